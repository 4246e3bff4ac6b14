/**
 * Sufficient statistics of the recorded generations across experiments, their exact merge, and
 * their read-out. Chunks are summarised by shifted-data sums (tested against a two-pass
 * computation) and merged pairwise in chunk order with the update of Chan, Golub & LeVeque (1983),
 * so the result does not depend on how the experiments were spread over threads or machines.
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
 * Shifted-data accumulator: (Σd, Σd²) of d = x − shift, shift the first value seen; writes
 * (mean, M2) at out[o] and out[o + 1] (no pair allocated: it runs once per field, row and chunk).
 */
function shiftedMoments(sum: number, sumsq: number, shift: number, count: number, out: Float64Array, o: number): void {
  const dm = sum / count;
  out[o] = shift + dm;
  out[o + 1] = Math.max(0, sumsq - sum * dm);
}

/**
 * Moments of one chunk from its recorded values: lnSd and mean laid out [row · stride + offset + e]
 * (stride count and offset 0 for the chunk's own buffers; a wider stride reads the chunk out of a
 * joined buffer in place).
 * Two passes per row (the largest ln sd first, as the scale of the sd moments; then every sum at
 * once, each shifted by its first value: the shifted-data algorithm of Chan, Golub & LeVeque 1983,
 * exact to rounding whatever the data's offset) and one exp per value. O(rows · count). Every
 * field of every row is written, into `into` where given (rows · NF or more numbers, reused by a
 * caller that takes many small chunks' moments).
 */
export function chunkMoments(
  lnSd: Float64Array,
  mean: Float64Array,
  rows: number,
  count: number,
  mean0: number,
  sd0: number,
  epsilon: number,
  stride = count,
  offset = 0,
  into?: Float64Array,
): Moments {
  const lnEps = Math.log(epsilon);
  const data = into ?? new Float64Array(rows * NF);
  const LOG10E = Math.LOG10E;
  for (let r = 0; r < rows; r++) {
    const off = r * stride + offset;
    const o = r * NF;
    let lo = Infinity;
    let hi = -Infinity;
    for (let e = 0; e < count; e++) {
      const ls = lnSd[off + e]!;
      if (ls < lo) lo = ls;
      if (ls > hi) hi = ls;
    }
    const ref = Number.isFinite(hi) ? hi : 0;
    const eRef = Math.exp(ref);
    const ls0 = lnSd[off]!;
    const k10 = ls0 * LOG10E;
    const kY = Math.exp(ls0 - ref);
    const kQ = kY * kY;
    const kM = mean[off]! - mean0;
    const kD = kM * kM;
    const s0d = kY * eRef - sd0;
    const kW = kD + s0d * s0d;
    let a10 = 0, b10 = 0, aY = 0, bY = 0, aQ = 0, bQ = 0, aM = 0, bM = 0, aD = 0, bD = 0, aW = 0, bW = 0;
    let above = 0;
    for (let e = 0; e < count; e++) {
      const ls = lnSd[off + e]!;
      if (ls > lnEps) above++;
      const y = Math.exp(ls - ref);
      const dm = mean[off + e]! - mean0;
      const dm2 = dm * dm;
      const ds = y * eRef - sd0;
      const w = dm2 + ds * ds;
      let t = ls * LOG10E - k10;
      a10 += t;
      b10 += t * t;
      t = y - kY;
      aY += t;
      bY += t * t;
      t = y * y - kQ;
      aQ += t;
      bQ += t * t;
      t = dm - kM;
      aM += t;
      bM += t * t;
      t = dm2 - kD;
      aD += t;
      bD += t * t;
      t = w - kW;
      aW += t;
      bW += t * t;
    }
    data[o + F.lsMin] = lo;
    data[o + F.lsMax] = hi;
    data[o + F.sdRef] = ref;
    data[o + F.above] = above;
    shiftedMoments(a10, b10, k10, count, data, o + F.l10Mean);
    shiftedMoments(aY, bY, kY, count, data, o + F.sdMean);
    shiftedMoments(aQ, bQ, kQ, count, data, o + F.sqMean);
    shiftedMoments(aM, bM, kM, count, data, o + F.mMean);
    shiftedMoments(aD, bD, kD, count, data, o + F.dm2Mean);
    shiftedMoments(aW, bW, kW, count, data, o + F.w2Mean);
  }
  return { count, rows, data };
}

/**
 * Chan et al.'s pairwise update: the (mean, M2) of the union of two samples of sizes na and nb
 * (n = na + nb, both non-empty), exact in real arithmetic and, in floating point, with an error
 * that does not grow with the data's offset. The pair at A[i], A[i + 1] is merged with the pair at
 * B[i], B[i + 1], each first scaled (mean by f, M2 by f²), in place: no pair allocated (it runs
 * once per field, row and chunk).
 */
function mergePair(A: Float64Array, B: Float64Array, i: number, na: number, nb: number, n: number, fa: number, fb: number): void {
  const meanA = A[i]! * fa;
  const m2A = A[i + 1]! * fa * fa;
  const meanB = B[i]! * fb;
  const m2B = B[i + 1]! * fb * fb;
  const delta = meanB - meanA;
  A[i] = meanA + (delta * nb) / n;
  A[i + 1] = m2A + m2B + ((delta * delta) * na * nb) / n;
}

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
  const n = na + nb;
  const A = a.data;
  const B = b.data;
  for (let r = 0; r < a.rows; r++) {
    const o = r * NF;
    // unscaled fields: a factor of 1 leaves every product exact
    mergePair(A, B, o + F.l10Mean, na, nb, n, 1, 1);
    mergePair(A, B, o + F.mMean, na, nb, n, 1, 1);
    mergePair(A, B, o + F.dm2Mean, na, nb, n, 1, 1);
    mergePair(A, B, o + F.w2Mean, na, nb, n, 1, 1);
    A[o + F.lsMin] = Math.min(A[o + F.lsMin]!, B[o + F.lsMin]!);
    A[o + F.lsMax] = Math.max(A[o + F.lsMax]!, B[o + F.lsMax]!);
    const ra = A[o + F.sdRef]!;
    const rb = B[o + F.sdRef]!;
    const ref = Math.max(ra, rb);
    // exp(±0) is exactly 1: only the side whose scale is below the merged one needs an exp
    const da = ra - ref;
    const db = rb - ref;
    const fa = da === 0 ? 1 : Math.exp(da);
    const fb = db === 0 ? 1 : Math.exp(db);
    A[o + F.sdRef] = ref;
    mergePair(A, B, o + F.sdMean, na, nb, n, fa, fb);
    mergePair(A, B, o + F.sqMean, na, nb, n, fa * fa, fb * fb);
    A[o + F.above] = A[o + F.above]! + B[o + F.above]!;
  }
  a.count = n;
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
