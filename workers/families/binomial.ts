/**
 * Exact binomial and multinomial variates on a Source's uniforms, for the categorical family.
 *
 * Binomial(n, p) with n·min(p, 1 − p) < 10 by inversion (sequential search from 0, Kachitvichyanukul
 * & Schmeiser 1988's BINV, one uniform per draw); otherwise by BTRS, the transformed rejection with
 * squeeze of W. Hörmann, "The generation of binomial random variables", J. Statist. Comput. Simul.
 * 46 (1993) 101–110 (acceptance about 0.79 for large n·p, two uniforms per try), with the exact
 * log-ratio test of f(k)/f(m) written through Stirling's series tail (as TensorFlow's
 * random_binomial_op does). Both are exact up to floating-point rounding; test/categorical.test.ts
 * checks them against exact pmfs by chi-square at small and large n·p.
 *
 * Multinomial counts by conditional binomials (O(number of categories)), or by n categorical draws
 * on the cumulative distribution (O(n log K)) when n is below the number of categories. Every
 * function draws only from its Source, so an experiment's stream alone fixes its counts.
 */
import type { Source } from '../sources.js';

/** Below this n·min(p, 1 − p), inversion (expected n·p + 1 steps); from it, BTRS (its hat needs n·p ≥ 10). */
const INVERSION_LIMIT = 10;

/** ln k! − [(k + ½) ln(k + 1) − (k + 1) + ½ ln 2π], the tail of Stirling's series, exact below 10. */
const STIRLING_TAIL = [
  0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
  0.0118967099458917, 0.010411265261972, 0.00925546218271273, 0.00833056343336287,
];

function stirlingTail(k: number): number {
  if (k <= 9) return STIRLING_TAIL[k]!;
  const k1 = k + 1;
  const s = k1 * k1;
  return (1 / 12 - (1 / 360 - 1 / 1260 / s) / s) / k1;
}

/**
 * One Binomial(n, p) variate (n a non-negative integer up to 2^53, p in [0, 1]). O(n·p) expected
 * for inversion, O(1) expected for BTRS.
 */
export function binomial(src: Source, n: number, p: number): number {
  if (n === 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomialLow(src, n, 1 - p);
  return binomialLow(src, n, p);
}

/** Binomial(n, p) for 0 < p ≤ ½. */
function binomialLow(src: Source, n: number, p: number): number {
  const q = 1 - p;
  if (n * p < INVERSION_LIMIT) {
    // BINV: P(0) = q^n, P(k + 1) = P(k)·(n − k)/(k + 1)·p/q; restart in the rare case rounding
    // leaves u above the summed mass
    const r = p / q;
    const f0 = Math.exp(n * Math.log1p(-p));
    for (;;) {
      let u = src.uniform();
      let f = f0;
      let k = 0;
      while (u > f) {
        u -= f;
        f *= ((n - k) / (k + 1)) * r;
        k++;
        if (k > n || f === 0) break;
      }
      if (k <= n && u <= f) return k;
    }
  }
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const r = p / q;
  const alpha = (2.83 + 5.1 / b) * spq;
  const m = Math.floor((n + 1) * p);
  const lnFm = (m + 0.5) * Math.log((m + 1) / (r * (n - m + 1))) + stirlingTail(m) + stirlingTail(n - m);
  for (;;) {
    const u = src.uniform() - 0.5;
    let v = src.uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || k > n) continue;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    const bound =
      lnFm +
      (n + 1) * Math.log((n - m + 1) / (n - k + 1)) +
      (k + 0.5) * Math.log((r * (n - k + 1)) / (k + 1)) -
      stirlingTail(k) -
      stirlingTail(n - k);
    if (v <= bound) return k;
  }
}

/**
 * Multinomial(n, w) counts over the categories idx[0..m) with weights w[idx[j]] (not necessarily
 * normalised, all ≥ 0, summing to `total` > 0), ADDED to counts[idx[j]]. `tail` is scratch of
 * length ≥ m + 1. Conditional binomials: X_j ~ Binomial(n − Σ_{i<j} X_i, w_j / Σ_{i≥j} w_i), the
 * remaining mass summed from the end (no cancellation), stopping when nothing is left to place;
 * when n < m, n categorical draws by binary search on the cumulative weights instead.
 */
export function multinomialAdd(
  src: Source,
  n: number,
  w: Float64Array,
  idx: Int32Array,
  m: number,
  counts: Float64Array,
  tail: Float64Array,
): void {
  if (n <= 0 || m === 0) return;
  if (n < m) {
    // tail[j] = Σ_{i<j} w (cumulative from the front)
    let s = 0;
    tail[0] = 0;
    for (let j = 0; j < m; j++) {
      s += w[idx[j]!]!;
      tail[j + 1] = s;
    }
    for (let t = 0; t < n; t++) {
      const u = (1 - src.uniform()) * s; // in [0, s)
      let lo = 0;
      let hi = m - 1;
      // the first j with tail[j + 1] > u (a zero-weight category is never chosen)
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (tail[mid + 1]! > u) hi = mid;
        else lo = mid + 1;
      }
      const i = idx[lo]!;
      counts[i] = counts[i]! + 1;
    }
    return;
  }
  tail[m] = 0;
  for (let j = m - 1; j >= 0; j--) tail[j] = tail[j + 1]! + w[idx[j]!]!;
  let left = n;
  for (let j = 0; j < m - 1 && left > 0; j++) {
    const rest = tail[j]!;
    const wj = w[idx[j]!]!;
    const x = rest > 0 ? binomial(src, left, wj >= rest ? 1 : wj / rest) : 0;
    const i = idx[j]!;
    counts[i] = counts[i]! + x;
    left -= x;
  }
  if (left > 0) {
    // the last category with positive weight takes what is left (the conditional probability is 1)
    let j = m - 1;
    while (j > 0 && !(w[idx[j]!]! > 0)) j--;
    const i = idx[j]!;
    counts[i] = counts[i]! + left;
  }
}
