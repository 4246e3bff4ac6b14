/**
 * Closed forms of the replace chain (docs/theory.md §4, §10), computed in log space so that they stay exact
 * at any depth: c^T and r^T are never formed directly, and the small differences (ln r − 2 ln c,
 * ψ(x) − ln x) come from asymptotic series instead of cancelling large terms.
 */
import { digamma, gammaln, trigamma } from './stdlib.js';

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
  /** E[s_T²] and its log10. */
  sdSqMean: number;
  sdSqLog10: number;
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
    sdSqLog10: (2 * lnS0 + T * lnR) * Math.LOG10E,
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
  /** E[s_T²] and its log10; its sd (and log10) where the fourth moment is known (replace), else NaN. */
  sdSq: { mean: number; log10Mean: number; sd: number; log10Sd: number } | null;
  w2sq: { mean: number } | null;
  aboveEpsilon: { markov: number | null; suresh: number | null; markovLog10: number | null; sureshLog10: number | null };
  /** Shapes of the laws behind the z-scores (replace only); not part of the summary document. */
  laws: ReplaceLaws | null;
}

/** Skewness and excess kurtosis of one quantity's law across experiments. */
export interface Shape {
  skew: number;
  exKurt: number;
}

/**
 * What the z-scores need beyond the means (replace): the shapes of s_T, s_T² and ln s_T, the
 * kurtosis E[(m_T − m0)⁴]/Var[m_T]² of the model mean, and Var[W2²].
 */
export interface ReplaceLaws {
  sd: Shape;
  sdSq: Shape;
  log10Sd: Shape;
  meanKurtosis: number;
  w2sqVar: number;
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

/**
 * ρ(x, h) = ln Γ(x + h) − ln Γ(x) − h ln x for h a multiple of ½: by Γ(x + 1) = xΓ(x), a sum of
 * log1p terms (plus g(x) for half-integers), so that differences of moments stay exact at large x.
 */
export function lnGammaShift(x: number, h: number): number {
  const m = Math.floor(h);
  const half = h - m === 0.5;
  let s = half ? lnGammaRatioCorrection(x) : 0;
  for (let i = 0; i < m; i++) s += Math.log1p((i + (half ? 0.5 : 0)) / x);
  return s;
}

/**
 * ψ″(x) and ψ‴(x): shifted to x ≥ 20 by ψ⁽ᵐ⁾(x) = ψ⁽ᵐ⁾(x + 1) + (−1)^(m+1) m!/x^(m+1), then the
 * derivatives of ψ′(x) ~ 1/x + 1/(2x²) + Σ B_2k/x^(2k+1); the first omitted terms are below 1e-17.
 */
export function polygamma23(x: number): [number, number] {
  let p2 = 0;
  let p3 = 0;
  while (x < SERIES_FROM) {
    const x2 = x * x;
    p2 -= 2 / (x2 * x);
    p3 += 6 / (x2 * x2);
    x += 1;
  }
  const y = 1 / x;
  const y2 = y * y;
  p2 += -y2 * (1 + y * (1 + y * (0.5 + y2 * (-1 / 6 + y2 * (1 / 6 + y2 * (-3 / 10))))));
  p3 += y2 * y * (2 + y * (3 + y * (2 + y2 * (-1 + y2 * (4 / 3 + y2 * -3)))));
  return [p2, p3];
}

/**
 * Skewness and excess kurtosis of X from u_j = ln E[X^j] − j ln E[X] (j = 2, 3, 4), through
 * expm1 so that a nearly constant X keeps its digits; infinite where the moments overflow.
 */
function shapeOf(u2: number, u3: number, u4: number): Shape {
  const c = Math.expm1(u2);
  const e3 = Math.expm1(u3);
  const m3 = e3 - 3 * c;
  const m4 = Math.expm1(u4) - 4 * e3 + 6 * c;
  const skew = m3 / c ** 1.5;
  const exKurt = m4 / (c * c) - 3;
  return { skew: Number.isFinite(skew) ? skew : Infinity, exKurt: Number.isFinite(exKurt) ? exKurt : Infinity };
}

/** ln Σ_{t<N} e^(t·l), through expm1 so that l near 0 keeps its digits. */
function lnGeometric(l: number, N: number): number {
  if (l === 0) return Math.log(N);
  if (l > 0) return (N - 1) * l + Math.log(-Math.expm1(-N * l)) - Math.log(-Math.expm1(-l));
  return Math.log(-Math.expm1(N * l)) - Math.log(-Math.expm1(l));
}

/** ln(e^a + e^b). */
function lnAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const hi = Math.max(a, b);
  return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
}

/**
 * The laws behind the z-scores of the replace chain at each generation of ascending `gens`, with
 * s_T² = s0² V_1 Π_{t=2..T} τV_t, V = χ²_k/(n − ddof), k = n − 1, x = k/2, and
 * m_T − m0 = Σ_{t<T} σ_t Z_t/√n, Z_t standard normal and independent of every s (the mean and
 * the sum of squares of a normal sample are independent), σ_0 = s0, σ_t² = τ s_t²:
 * - ln E[V^p] − p ln(k/(n − ddof)) = ρ(x, p), so the shape of s_T^q has u_j = T(ρ(x, jq/2) − jρ(x, q/2));
 * - ln s_T has cumulants κ_j = T ψ⁽ʲ⁻¹⁾(x)/2^j (j ≥ 2);
 * - with R = τr and Q = τ²E[V²]: E[m_T²]·n/s0² = Σ_{t<T} R^t and
 *   E[m_T⁴]·n²/s0⁴ = 3 Σ_{t<T} Q^t + 6 Σ_{t<u<T} Q^t R^(u−t) (E[σ_t²σ_u²] = E[σ_t⁴]R^(u−t));
 * - W2² = A + B with A = (m_T − m0)², B = (s_T − s0)²: E[A²] = E[m_T⁴], E[B²] from E[s_T^p],
 *   E[AB] = Σ_{t<T} E[σ_t² B]/n with E[σ_t² s_T^j] = s0^(2+j) H_j, H_j built up generation by generation.
 * One pass in log space up to the last generation: O(T).
 */
export function replaceLaws(n: number, ddof: number, s0: number, tau: number, gens: readonly number[]): ReplaceLaws[] {
  const k = n - 1;
  const x = k / 2;
  const lnR0 = Math.log1p((ddof - 1) / (n - ddof)); // ln(k/(n − ddof))
  const lnTau = Math.log(tau);
  const rho = (h: number) => lnGammaShift(x, h);
  // ln E[V^(p/2)], p = 0..4
  const lnM = [0, 0.5 * lnR0 + rho(0.5), lnR0, 1.5 * lnR0 + rho(1.5), 2 * lnR0 + rho(2)];
  const lnR = lnTau + lnM[2]!;
  const lnQ = 2 * lnTau + lnM[4]!;
  const [p2, p3] = polygamma23(x);
  const p1 = trigamma(x);
  const out: ReplaceLaws[] = [];
  // Linear recursions on values scaled by Ms^T, Ms = max(Q, R, 1), so that they stay within range
  // without a log per step (T can be 10^7): c = C/Ms^T, p = P/Ms^T, with C = Σ_{t<u<T} Q^t R^(u−t)
  // and P = Σ_{t<T} Q^t R^(T−t); A = Σ_{t<T} R^t and B = Σ_{t<T} Q^t are geometric sums.
  const lnMs = Math.max(lnQ, lnR, 0);
  const f = Math.exp(-lnMs);
  const rStep = Math.exp(lnR - lnMs);
  const qStep = Math.exp(lnQ - lnMs);
  let c = 0, p = 0, qPow = 1;
  // H_j = Σ_{t<T} E[σ_t² s_T^j]/s0^(2+j): H_j(1) = M_j, H_j(T+1) = g_j (H_j(T) + τ e_j(T)) with
  // g_j = τ^(j/2) M_j and e_j(T) = E[s_T^(2+j)]/s0^(2+j) = τ^(−(2+j)/2) (τ^((2+j)/2) M_(2+j))^T; scaled by S_j^T.
  const lnG = [0, 0.5 * lnTau + lnM[1]!, lnTau + lnM[2]!];
  const lnE = [0, 1.5 * lnTau + lnM[3]!, 2 * lnTau + lnM[4]!];
  const lnS = [0, Math.max(lnG[1]!, lnE[1]!, 0), Math.max(lnG[2]!, lnE[2]!, 0)];
  const h = [0, 0, 0];
  const [g1, g2] = [Math.exp(lnG[1]! - lnS[1]!), Math.exp(lnG[2]! - lnS[2]!)];
  const [eStep1, eStep2] = [Math.exp(lnE[1]! - lnS[1]!), Math.exp(lnE[2]! - lnS[2]!)];
  const [tau1, tau2] = [Math.exp(-0.5 * lnTau), Math.exp(-lnTau)]; // τ·τ^(−(2+j)/2)
  let ePow1 = 1;
  let ePow2 = 1;
  let gi = 0;
  for (let T = 0; gi < gens.length; T++) {
    while (gi < gens.length && gens[gi] === T) {
      const lnA = lnGeometric(lnR, T);
      const lnB = lnGeometric(lnQ, T);
      const lnC = Math.log(c) + T * lnMs;
      const lnH = (j: number) => Math.log(h[j]!) + T * lnS[j]!;
      const lnEs = (q: number) => q * Math.log(s0) + (q * (T - 1) * lnTau) / 2 + T * lnM[q]!;
      const u = (q: number, j: number) => T * (rho((j * q) / 2) - j * rho(q / 2));
      const lnFourth = lnAdd(Math.log(3) + lnB, Math.log(6) + lnC);
      const eA = (s0 * s0 * Math.exp(lnA)) / n;
      const eA2 = (s0 ** 4 * Math.exp(lnFourth)) / (n * n);
      const es = [1, Math.exp(lnEs(1)), Math.exp(lnEs(2)), Math.exp(lnEs(3)), Math.exp(lnEs(4))];
      const eB = es[2]! - 2 * s0 * es[1]! + s0 * s0;
      const eB2 = es[4]! - 4 * s0 * es[3]! + 6 * s0 * s0 * es[2]! - 4 * s0 ** 3 * es[1]! + s0 ** 4;
      const eAB = (s0 ** 4 * (Math.exp(lnH(2)) - 2 * Math.exp(lnH(1)) + Math.exp(lnA))) / n;
      const eW = eA + eB;
      const k2 = (T * p1) / 4;
      out.push({
        sd: shapeOf(u(1, 2), u(1, 3), u(1, 4)),
        sdSq: shapeOf(u(2, 2), u(2, 3), u(2, 4)),
        log10Sd: { skew: (T * p2) / 8 / k2 ** 1.5, exKurt: (T * p3) / 16 / (k2 * k2) },
        meanKurtosis: Math.exp(lnFourth - 2 * lnA),
        w2sqVar: eA2 + 2 * eAB + eB2 - eW * eW,
      });
      gi++;
    }
    if (gi >= gens.length) break;
    // T → T + 1: the terms of index t = T (qPow = (Q/Ms)^T)
    c = (c + p) * f;
    p = rStep * (p + qPow);
    qPow *= qStep;
    if (T === 0) {
      h[1] = Math.exp(lnM[1]! - lnS[1]!);
      h[2] = Math.exp(lnM[2]! - lnS[2]!);
    } else {
      // ePow_j = (τ^((2+j)/2) M_(2+j) / S_j)^T
      ePow1 *= eStep1;
      ePow2 *= eStep2;
      h[1] = g1 * (h[1]! + tau1 * ePow1);
      h[2] = g2 * (h[2]! + tau2 * ePow2);
    }
  }
  return out;
}

function replaceRow(spec: TheorySpec, g: number): RowTheory {
  const th = replaceTheory(spec.samples, spec.ddof, spec.sd0, g, spec.temperature);
  const suresh =
    spec.ddof === 1 && spec.temperature === 1
      ? Math.min(1, (spec.sd0 / spec.epsilon) * Math.exp(-g / (4 * spec.samples - 1)))
      : null;
  // E[s_T⁴]/E[s_T²]² = (1 + 2/k)^T: ln sd[s_T²] = ln E[s_T²] + ½ ln expm1(T log1p(2/k)).
  const lnSq = th.sdSqLog10 * Math.LN10;
  const v = g * Math.log1p(2 / (spec.samples - 1));
  const lnSqSd = lnSq + 0.5 * (v > 30 ? v + Math.log1p(-Math.exp(-v)) : Math.log(Math.expm1(v)));
  const log10Eps = Math.log10(spec.epsilon);
  const markovLog10 = Math.min(0, th.sdMeanLog10 - log10Eps);
  const sureshLog10 =
    suresh === null ? null : Math.min(0, Math.log10(spec.sd0) - log10Eps - g / ((4 * spec.samples - 1) * Math.LN10));
  return {
    sd: { mean: th.sdMean, sd: th.sdSd, log10Mean: th.sdMeanLog10, log10Sd: th.sdSdLog10 },
    log10Sd: { mean: th.log10SdMean, sd: th.log10SdSd },
    mean: { var: th.meanVar },
    sdSq: { mean: th.sdSqMean, log10Mean: th.sdSqLog10, sd: Math.exp(lnSqSd), log10Sd: lnSqSd / Math.LN10 },
    w2sq: { mean: th.w2sqMean },
    aboveEpsilon: { markov: Math.min(1, Math.exp(th.sdMeanLog10 * Math.LN10 - Math.log(spec.epsilon))), suresh, markovLog10, sureshLog10 },
    laws: null,
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

/**
 * Theory for each generation in ascending `gens` under the spec's regime; with `laws`, also the
 * shapes the z-scores need (replace: one O(T) pass, so only for runs, not for `collapse theory`).
 */
export function regimeTheory(spec: TheorySpec, gens: readonly number[], laws = false): RegimeTheory {
  const isReplace = spec.regime === 'replace' || (spec.regime === 'fresh' && Math.round(spec.fresh * spec.samples) === 0);
  if (isReplace) {
    const reasons: Record<string, string> = {};
    if (!(spec.ddof === 1 && spec.temperature === 1)) {
      reasons['aboveEpsilon.suresh'] = 'the bound of Suresh et al. (2024) is stated for ddof 1 and temperature 1';
    }
    const shapes = laws ? replaceLaws(spec.samples, spec.ddof, spec.sd0, spec.temperature, gens) : null;
    return { regime: 'replace', rows: gens.map((g, i) => ({ ...replaceRow(spec, g), laws: shapes?.[i] ?? null })), reasons };
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
        aboveEpsilon: { markov: null, suresh: null, markovLog10: null, sureshLog10: null },
        laws: null,
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
      sdSq: { mean: a, log10Mean: Math.log10(a), sd: NaN, log10Sd: NaN },
      w2sq: null,
      aboveEpsilon: { markov: null, suresh: null, markovLog10: null, sureshLog10: null },
      laws: null,
    })),
    reasons,
  };
}
