/**
 * Sufficient statistics of the recorded generations across experiments, their exact merge, and
 * their read-out. Chunks are summarised by a two-pass computation and merged pairwise in chunk
 * order with the update of Chan, Golub & LeVeque (1983), so the result does not depend on how the
 * experiments were spread over threads or machines.
 *
 * The sd itself can fall below the smallest double at depth, so its moments are kept scaled:
 * (ref, mean, M2) of exp(ln sd − ref) with ref the largest ln sd seen, rescaled on merge.
 */

/** Fields per recorded generation, in a Float64Array with stride NF. */
export const F = {
  l10Mean: 0, // log10 sd
  l10M2: 1,
  lsMin: 2, // ln sd
  lsMax: 3,
  sdRef: 4, // sd, scaled by exp(sdRef)
  sdMean: 5,
  sdM2: 6,
  mMean: 7, // model mean minus mean0 (all chains start there: no offset to round against)
  mM2: 8,
  dm2Mean: 9, // (mean − mean0)²
  dm2M2: 10,
  w2Mean: 11, // W2² = (mean − mean0)² + (sd − sd0)²
  w2M2: 12,
  sqMean: 13, // sd², scaled by exp(2·sdRef)
  sqM2: 14,
  above: 15, // count of experiments with sd > epsilon
} as const;
export const NF = 16;

/** Moments of `rows` recorded generations over `count` experiments. */
export interface Moments {
  count: number;
  rows: number;
  data: Float64Array;
}

/**
 * Chan et al.'s pairwise update: the (mean, M2) of the union of two samples of sizes na and nb.
 * Exact in real arithmetic; in floating point its error does not grow with the data's offset.
 */
export function chanMerge(
  na: number,
  meanA: number,
  m2A: number,
  nb: number,
  meanB: number,
  m2B: number,
): [number, number] {
  if (na === 0) return [meanB, m2B];
  if (nb === 0) return [meanA, m2A];
  const n = na + nb;
  const delta = meanB - meanA;
  return [meanA + (delta * nb) / n, m2A + m2B + ((delta * delta) * na * nb) / n];
}

/**
 * Two-pass mean and M2 of x[offset .. offset + count), on data shifted by its first value: for data
 * far from 0 (a model mean near 1e12, say) the shifted values are exact (Sterbenz) and the sum
 * of 1e3 values near 1e15 no longer rounds the mean by 1e-4.
 */
function twoPass(x: Float64Array, offset: number, count: number): [number, number] {
  const shift = x[offset]!;
  if (!Number.isFinite(shift)) return plainTwoPass(x, offset, count);
  let s = 0;
  for (let i = 0; i < count; i++) s += x[offset + i]! - shift;
  const mean = s / count;
  let m2 = 0;
  for (let i = 0; i < count; i++) {
    const d = x[offset + i]! - shift - mean;
    m2 += d * d;
  }
  return [shift + mean, m2];
}

function plainTwoPass(x: Float64Array, offset: number, count: number): [number, number] {
  let s = 0;
  for (let i = 0; i < count; i++) s += x[offset + i]!;
  const mean = s / count;
  let m2 = 0;
  for (let i = 0; i < count; i++) {
    const d = x[offset + i]! - mean;
    m2 += d * d;
  }
  return [mean, m2];
}

/**
 * Moments of one chunk from its recorded values: lnSd and mean laid out [row · count + e].
 * Two passes per statistic; O(rows · count) time, O(count) scratch.
 */
export function chunkMoments(
  lnSd: Float64Array,
  mean: Float64Array,
  rows: number,
  count: number,
  mean0: number,
  sd0: number,
  epsilon: number,
): Moments {
  const lnEps = Math.log(epsilon);
  const data = new Float64Array(rows * NF);
  const tmp = new Float64Array(count);
  const LOG10E = Math.LOG10E;
  for (let r = 0; r < rows; r++) {
    const off = r * count;
    const o = r * NF;
    let lo = Infinity;
    let hi = -Infinity;
    for (let e = 0; e < count; e++) {
      const ls = lnSd[off + e]!;
      if (ls < lo) lo = ls;
      if (ls > hi) hi = ls;
      tmp[e] = ls * LOG10E;
    }
    data[o + F.lsMin] = lo;
    data[o + F.lsMax] = hi;
    [data[o + F.l10Mean], data[o + F.l10M2]] = twoPass(tmp, 0, count);
    const ref = hi === -Infinity ? 0 : hi;
    data[o + F.sdRef] = ref;
    let above = 0;
    for (let e = 0; e < count; e++) {
      tmp[e] = Math.exp(lnSd[off + e]! - ref);
      if (lnSd[off + e]! > lnEps) above++;
    }
    data[o + F.above] = above;
    [data[o + F.sdMean], data[o + F.sdM2]] = twoPass(tmp, 0, count);
    for (let e = 0; e < count; e++) tmp[e] = tmp[e]! * tmp[e]!;
    [data[o + F.sqMean], data[o + F.sqM2]] = twoPass(tmp, 0, count);
    for (let e = 0; e < count; e++) tmp[e] = mean[off + e]! - mean0;
    [data[o + F.mMean], data[o + F.mM2]] = twoPass(tmp, 0, count);
    for (let e = 0; e < count; e++) {
      const d = mean[off + e]! - mean0;
      tmp[e] = d * d;
    }
    [data[o + F.dm2Mean], data[o + F.dm2M2]] = twoPass(tmp, 0, count);
    for (let e = 0; e < count; e++) {
      const d = mean[off + e]! - mean0;
      const s = Math.exp(lnSd[off + e]!) - sd0;
      tmp[e] = d * d + s * s;
    }
    [data[o + F.w2Mean], data[o + F.w2M2]] = twoPass(tmp, 0, count);
  }
  return { count, rows, data };
}

const PAIRS: readonly (readonly [number, number])[] = [
  [F.l10Mean, F.l10M2],
  [F.mMean, F.mM2],
  [F.dm2Mean, F.dm2M2],
  [F.w2Mean, F.w2M2],
];

/** Merges `b` into `a` (same rows); `a` holds the earlier experiments. O(rows). */
export function mergeMoments(a: Moments, b: Moments): void {
  if (a.rows !== b.rows) throw new Error(`mergeMoments: rows differ (${a.rows} vs ${b.rows})`);
  const na = a.count;
  const nb = b.count;
  if (nb === 0) return;
  if (na === 0) {
    a.data.set(b.data);
    a.count = nb;
    return;
  }
  const A = a.data;
  const B = b.data;
  for (let r = 0; r < a.rows; r++) {
    const o = r * NF;
    for (const [mi, vi] of PAIRS) {
      [A[o + mi], A[o + vi]] = chanMerge(na, A[o + mi]!, A[o + vi]!, nb, B[o + mi]!, B[o + vi]!);
    }
    A[o + F.lsMin] = Math.min(A[o + F.lsMin]!, B[o + F.lsMin]!);
    A[o + F.lsMax] = Math.max(A[o + F.lsMax]!, B[o + F.lsMax]!);
    const ra = A[o + F.sdRef]!;
    const rb = B[o + F.sdRef]!;
    const ref = Math.max(ra, rb);
    const fa = Math.exp(ra - ref);
    const fb = Math.exp(rb - ref);
    A[o + F.sdRef] = ref;
    [A[o + F.sdMean], A[o + F.sdM2]] = chanMerge(
      na,
      A[o + F.sdMean]! * fa,
      A[o + F.sdM2]! * fa * fa,
      nb,
      B[o + F.sdMean]! * fb,
      B[o + F.sdM2]! * fb * fb,
    );
    const fa2 = fa * fa;
    const fb2 = fb * fb;
    [A[o + F.sqMean], A[o + F.sqM2]] = chanMerge(
      na,
      A[o + F.sqMean]! * fa2,
      A[o + F.sqM2]! * fa2 * fa2,
      nb,
      B[o + F.sqMean]! * fb2,
      B[o + F.sqM2]! * fb2 * fb2,
    );
    A[o + F.above] = A[o + F.above]! + B[o + F.above]!;
  }
  a.count = na + nb;
}

/** An empty accumulator for `rows` recorded generations. */
export function emptyMoments(rows: number): Moments {
  return { count: 0, rows, data: new Float64Array(rows * NF) };
}

/**
 * Type-7 quantile (linear interpolation between order statistics; R's default, numpy's "linear")
 * of ascending `sorted`, with the values mapped through `f` before interpolating.
 */
export function quantile7(sorted: Float64Array, p: number, f: (x: number) => number = (x) => x): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const a = f(sorted[lo]!);
  if (lo + 1 >= n) return a;
  const b = f(sorted[lo + 1]!);
  return a + (h - lo) * (b - a);
}

/** Sample variance (n − 1 denominator) from M2, NaN when n < 2. */
export function sampleVariance(m2: number, n: number): number {
  return n > 1 ? m2 / (n - 1) : NaN;
}
