/**
 * Closed forms of the replace chain (docs/theory.md §4, §10), computed in log space so that they stay exact
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
 * Closed forms for n samples, ddof, initial sd s0, T generations and temperature τ (docs/theory.md §4,
 * replace regime; τ multiplies the sampling variance from generation 2 on), with k = n − 1, x = k/2:
 *   ln r = ln(k/(n−ddof)),  ln c = ½ ln r + g(x),  ln r − 2 ln c = −2 g(x) > 0,
 *   E[ln s_T] = ln s0 + T (h(x) + ln r)/2,  Var[ln s_T] = T ψ'(x)/4,
 *   Var[m_T] = s0² Σ_{t<T} (τr)^t / n,
 * where every ln s0 stands for ln s0 + ((T − 1)/2) ln τ: T factors R but T − 1 factors √τ.
 */
export function replaceTheory(n: number, ddof: number, s0: number, T: number, tau = 1): ReplaceTheory {
  const k = n - 1;
  const x = k / 2;
  const lnR = Math.log1p((ddof - 1) / (n - ddof));
  const g = lnGammaRatioCorrection(x);
  const lnC = 0.5 * lnR + g;
  // Temperature scales the sampling variance from generation 2 on: T − 1 factors of τ.
  const lnTau = Math.log(tau);
  const lnS0 = Math.log(s0) + 0.5 * (T - 1) * lnTau;
  const lnMean = lnS0 + T * lnC;
  const a = -2 * T * g; // ln(r^T / c^2T) > 0
  const lnSd = lnMean + 0.5 * (a > 30 ? a + Math.log1p(-Math.exp(-a)) : Math.log(Math.expm1(a)));
  const eLn = lnS0 + (T * (digammaMinusLn(x) + lnR)) / 2;
  const varLn = (T * trigamma(x)) / 4;
  // Var[m_T] = (s0²/n) Σ_{t<T} q^t with q = τr (the sampling variance at generation t+1 has mean
  // s0² q^t); the sum is (q^T − 1)/(q − 1), or T when q = 1.
  const lnQ = lnTau + lnR;
  const geometric = lnQ === 0 ? T : Math.expm1(T * lnQ) / Math.expm1(lnQ);
  const meanVar = (s0 * s0 * geometric) / n;
  const sdMean = Math.exp(lnMean);
  const sdSqMean = Math.exp(2 * lnS0 + T * lnR);
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

/** What theory says about one recorded generation; null where no exact form is known. */
export interface RowTheory {
  sd: { mean: number; sd: number; log10Mean: number; log10Sd: number } | null;
  log10Sd: { mean: number; sd: number } | null;
  mean: { var: number } | null;
  sdSq: { mean: number } | null;
  w2sq: { mean: number } | null;
  aboveEpsilon: { markov: number | null; suresh: number | null };
}

/** The spec fields theory depends on. */
export interface TheorySpec {
  samples: number;
  ddof: number;
  sd0: number;
  regime: 'replace' | 'accumulate' | 'fresh' | 'accumulate-subsample' | 'augment';
  fresh: number;
  synthetic: number;
  temperature: number;
  epsilon: number;
}

/** Theory for a run: one entry per requested generation, and why any block is missing. */
export interface RegimeTheory {
  rows: RowTheory[];
  /** The regime whose forms were used (fresh with round(λn) = 0 is replace). */
  regime: string;
  /** Block name → why it is null. */
  reasons: Record<string, string>;
}

function replaceRow(spec: TheorySpec, g: number): RowTheory {
  const th = replaceTheory(spec.samples, spec.ddof, spec.sd0, g, spec.temperature);
  const suresh =
    spec.ddof === 1 && spec.temperature === 1
      ? Math.min(1, (spec.sd0 / spec.epsilon) * Math.exp(-g / (4 * spec.samples - 1)))
      : null;
  return {
    sd: { mean: th.sdMean, sd: th.sdSd, log10Mean: th.sdMeanLog10, log10Sd: th.sdSdLog10 },
    log10Sd: { mean: th.log10SdMean, sd: th.log10SdSd },
    mean: { var: th.meanVar },
    sdSq: { mean: th.sdSqMean },
    w2sq: { mean: th.w2sqMean },
    aboveEpsilon: { markov: Math.min(1, Math.exp(th.sdMeanLog10 * Math.LN10 - Math.log(spec.epsilon))), suresh },
  };
}

/**
 * Exact second moments by recursion on expectations (docs/theory.md §7, §8), for regimes whose sd has no closed law:
 * a_t = E[s_t²] and b_t = E[(m_t − m0)²] after generation t's fit (E[m_t] = m0 by symmetry), with
 * the sampling variance τ·a_t from generation 2 on. O(T) for the largest requested generation.
 *
 * accumulate (pool of N_t = t·n values, pooled ss S_t; Chan's merge with a group of n):
 *   E[S_1] = s0²(n−1);  E[S_{t+1}] = E[S_t] + τ a_t (n − 1 + t/(t+1));  a_t = E[S_t]/(t·n − ddof);
 *   b_1 = s0²/n;  b_{t+1} = b_t + τ a_t / (n (t+1)²).
 * fresh (kA = round(λn) original draws, kB = n − kA model draws, merged):
 *   b_{t+1} = (kA s0² + kB² b_t + kB τ a_t)/n²;
 *   a_{t+1} = [s0²(kA−1) + τ a_t (kB−1) + (kA kB/n)(s0²/kA + b_t + τ a_t/kB)]/(n − ddof)   (kB ≥ 1),
 *   and with kB = 0 every generation is a fresh sample: a = s0²(n−1)/(n−ddof), b = s0²/n.
 * augment (the n original draws A kept, k = round(λn) model draws B, merged; docs/theory.md §augment):
 *   with D_t = E[(m_t − m_A)²], independent of m_A because the chain sees A only through its ss,
 *   D_1 = 0,  D_{t+1} = (k/(n+k))² (D_t + τ a_t/k),  b_t = s0²/n + D_t,
 *   a_{t+1} = [s0²(n−1) + τ a_t (k−1) + (n k/(n+k))(D_t + τ a_t/k)]/(n + k − ddof)   (k ≥ 1).
 */
function secondMoments(spec: TheorySpec, gens: readonly number[]): { a: number; b: number }[] {
  const n = spec.samples;
  const ddof = spec.ddof;
  const tau = spec.temperature;
  const s02 = spec.sd0 * spec.sd0;
  const kA = Math.round(spec.fresh * n);
  const kB = n - kA;
  const k = Math.round(spec.synthetic * n);
  const out: { a: number; b: number }[] = [];
  let S = s02 * (n - 1);
  let a = S / (n - ddof);
  let b = s02 / n;
  let gi = 0;
  for (let t = 1; gi < gens.length; t++) {
    while (gi < gens.length && gens[gi] === t) {
      out.push({ a, b });
      gi++;
    }
    if (gi >= gens.length) break;
    if (spec.regime === 'accumulate') {
      const b2 = b + (tau * a) / (n * (t + 1) * (t + 1));
      S += tau * a * (n - 1 + t / (t + 1));
      a = S / ((t + 1) * n - ddof);
      b = b2;
    } else if (spec.regime === 'augment') {
      // b − s0²/n is D_t; k = 0 is handled by the caller (the fit never changes)
      const D = b - s02 / n;
      const spread = D + (tau * a) / k; // E[(m_B − m_A)²]
      a = (s02 * (n - 1) + tau * a * (k - 1) + ((n * k) / (n + k)) * spread) / (n + k - ddof);
      b = s02 / n + ((k * k) / ((n + k) * (n + k))) * spread;
    } else if (kB === 0) {
      a = (s02 * (n - 1)) / (n - ddof);
      b = s02 / n;
    } else {
      const ta = tau * a;
      const b2 = (kA * s02 + kB * kB * b + kB * ta) / (n * n);
      a = (s02 * (kA - 1) + ta * (kB - 1) + ((kA * kB) / n) * (s02 / kA + b + ta / kB)) / (n - ddof);
      b = b2;
    }
  }
  return out;
}

/** Theory for each generation in ascending `gens` under the spec's regime. */
export function regimeTheory(spec: TheorySpec, gens: readonly number[]): RegimeTheory {
  const isReplace = spec.regime === 'replace' || (spec.regime === 'fresh' && Math.round(spec.fresh * spec.samples) === 0);
  if (isReplace) {
    const reasons: Record<string, string> = {};
    if (!(spec.ddof === 1 && spec.temperature === 1)) {
      reasons['aboveEpsilon.suresh'] = 'the bound of Suresh et al. (2024) is stated for ddof 1 and temperature 1';
    }
    return { regime: 'replace', rows: gens.map((g) => replaceRow(spec, g)), reasons };
  }
  if (spec.regime === 'augment' && Math.round(spec.synthetic * spec.samples) === 0) {
    // no synthetic draws: every fit is generation 1's, whose law is replace's after one generation
    const reasons: Record<string, string> = {};
    if (spec.ddof !== 1 || spec.temperature !== 1) {
      reasons['aboveEpsilon.suresh'] = 'the bound of Suresh et al. (2024) is stated for ddof 1 and temperature 1';
    }
    return { regime: 'augment', rows: gens.map(() => replaceRow(spec, 1)), reasons };
  }
  const noLaw = 'no closed form for the law of the sd in this regime; its exact second moment is in sdSq';
  const reasons: Record<string, string> = {
    sd: noLaw,
    log10Sd: noLaw,
    w2sq: 'needs E[sd], which has no closed form in this regime',
    'aboveEpsilon.markov': 'needs E[sd], which has no closed form in this regime',
    'aboveEpsilon.suresh': 'the bound of Suresh et al. (2024) is for the replace regime',
  };
  if (spec.regime === 'accumulate-subsample') {
    reasons['mean'] = 'no exact form: each fit depends on which pooled values the subsample draws';
    reasons['sdSq'] = reasons['mean'];
    return {
      regime: spec.regime,
      rows: gens.map(() => ({
        sd: null,
        log10Sd: null,
        mean: null,
        sdSq: null,
        w2sq: null,
        aboveEpsilon: { markov: null, suresh: null },
      })),
      reasons,
    };
  }
  const mom = secondMoments(spec, gens);
  return {
    regime: spec.regime,
    rows: mom.map(({ a, b }) => ({
      sd: null,
      log10Sd: null,
      mean: { var: b },
      sdSq: { mean: a },
      w2sq: null,
      aboveEpsilon: { markov: null, suresh: null },
    })),
    reasons,
  };
}
