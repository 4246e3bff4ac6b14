/**
 * Closed forms of the replace chain (THEORY.md), computed in log space so that they stay exact
 * at any depth: c^T and r^T are never formed directly, and the small differences (ln r − 2 ln c,
 * ψ(x) − ln x) come from asymptotic series instead of cancelling large terms.
 */
import gammaln from '@stdlib/math-base-special-gammaln';
import digamma from '@stdlib/math-base-special-digamma';
import trigamma from '@stdlib/math-base-special-trigamma';

/** Below this argument the special functions are used directly; above it, the series. */
const SERIES_FROM = 20;

/**
 * g(x) = ln Γ(x + ½) − ln Γ(x) − ½ ln x. For x ≥ 20 from the Stirling series with Bernoulli
 * polynomials, ln Γ(x+a) ~ (x+a−½)ln x − x + ½ln 2π + Σ (−1)^(k+1) B_{k+1}(a) / (k(k+1) x^k),
 * taken at a = ½ and a = 0; the first omitted term is below 2e-17 at x = 20.
 */
export function lnGammaRatioCorrection(x: number): number {
  if (x < SERIES_FROM) return gammaln(x + 0.5) - gammaln(x) - 0.5 * Math.log(x);
  const y = 1 / (x * x);
  // -1/(8x) + 1/(192x^3) - 1/(640x^5) + 17/(14336x^7) - 31/(18432x^9)
  return (-1 / 8 + y * (1 / 192 + y * (-1 / 640 + y * (17 / 14336 + y * (-31 / 18432))))) / x;
}

/**
 * h(x) = ψ(x) − ln x. For x ≥ 20 from the asymptotic series
 * −1/(2x) − Σ B_{2k} / (2k x^{2k}); the first omitted term is below 1e-17 at x = 20.
 */
export function digammaMinusLn(x: number): number {
  if (x < SERIES_FROM) return digamma(x) - Math.log(x);
  const y = 1 / (x * x);
  return -0.5 / x - y * (1 / 12 - y * (1 / 120 - y * (1 / 252 - y * (1 / 240 - y * (1 / 132)))));
}

/** Exact moments of the replace chain after T generations; log10 fields never underflow. */
export interface ReplaceTheory {
  /** E[s_T] and its log10. */
  sdMean: number;
  sdMeanLog10: number;
  /** sd of s_T and its log10. */
  sdSd: number;
  sdSdLog10: number;
  /** E and sd of log10 s_T. */
  log10SdMean: number;
  log10SdSd: number;
  /** Var[m_T]. */
  meanVar: number;
  /** E[s_T²]. */
  sdSqMean: number;
  /** E[W2²] = Var[m_T] + E[s_T²] − 2 s0 E[s_T] + s0². */
  w2sqMean: number;
  /** c = E[R] and r = E[R²] per generation, and ln c. */
  c: number;
  r: number;
  lnC: number;
}

/**
 * Closed forms for n samples, ddof, initial sd s0 and T generations (THEORY.md, replace regime),
 * with k = n − 1 and x = k/2:
 *   ln r = ln(k/(n−ddof)),  ln c = ½ ln r + g(x),  ln r − 2 ln c = −2 g(x) > 0,
 *   E[ln s_T] = ln s0 + T (h(x) + ln r)/2,  Var[ln s_T] = T ψ'(x)/4,
 *   Var[m_T] = s0² Σ_{t<T} r^t / n.
 */
export function replaceTheory(n: number, ddof: number, s0: number, T: number): ReplaceTheory {
  const k = n - 1;
  const x = k / 2;
  const lnR = Math.log1p((ddof - 1) / (n - ddof));
  const g = lnGammaRatioCorrection(x);
  const lnC = 0.5 * lnR + g;
  const lnS0 = Math.log(s0);
  const lnMean = lnS0 + T * lnC;
  const a = -2 * T * g; // ln(r^T / c^2T) > 0
  const lnSd = lnMean + 0.5 * (a > 30 ? a + Math.log1p(-Math.exp(-a)) : Math.log(Math.expm1(a)));
  const eLn = lnS0 + (T * (digammaMinusLn(x) + lnR)) / 2;
  const varLn = (T * trigamma(x)) / 4;
  // Σ_{t<T} r^t = (1 − r^T)/(1 − r), with 1 − r = (1 − ddof)/(n − ddof); T when r = 1.
  const geometric = ddof === 1 ? T : (-Math.expm1(T * lnR) * (n - ddof)) / (1 - ddof);
  const meanVar = (s0 * s0 * geometric) / n;
  const sdMean = Math.exp(lnMean);
  const sdSqMean = s0 * s0 * Math.exp(T * lnR);
  return {
    sdMean,
    sdMeanLog10: lnMean * Math.LOG10E,
    sdSd: Math.exp(lnSd),
    sdSdLog10: lnSd * Math.LOG10E,
    log10SdMean: eLn * Math.LOG10E,
    log10SdSd: Math.sqrt(varLn) * Math.LOG10E,
    meanVar,
    sdSqMean,
    w2sqMean: meanVar + sdSqMean - 2 * s0 * sdMean + s0 * s0,
    c: Math.exp(lnC),
    r: Math.exp(lnR),
    lnC,
  };
}
