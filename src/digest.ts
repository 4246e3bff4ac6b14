/**
 * The O(E) part of each recorded generation's statistics across experiments, as flat numbers: the
 * ln sd values at the ranks its quantiles read, and each metric's moments, order statistics, count
 * of non-finite values and third and fourth central sums. Pure and thread-free, so the coordinator
 * and the workers (workers/summary.ts) compute it alike; src/summary.ts forms the rest from it.
 */
import { sampleVariance } from './stats.js';
import { orderStatistics, quantileRanks, type HistogramPasses } from './select.js';

/** The probabilities of the quantile columns (p05 … p95). */
export const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;

/** The statistics of a metric across experiments, in column order. */
export const METRIC_STATS = ['mean', 'sd', 'min', 'p05', 'p25', 'p50', 'p75', 'p95', 'max'] as const;
export type MetricStat = (typeof METRIC_STATS)[number];

/** Numbers per metric in digestMetric's `passes`: Σv, non-finite count, min, max, Σd², Σd³, Σd⁴. */
export const PASS_WIDTH = 7;

/** Numbers per metric in a digest: METRIC_STATS, then the non-finite count, Σ(x − mean)³ and Σ(x − mean)⁴. */
export const METRIC_WIDTH = METRIC_STATS.length + 3;
const BAD = METRIC_STATS.length;

const NAN = NaN;

let cachedN = -1;
let cachedRanks: Int32Array = new Int32Array(0);

/** The ranks the quantile columns (and min, max) read from n sorted values; see quantileRanks. */
export function summaryRanks(n: number): Int32Array {
  if (n !== cachedN) {
    cachedRanks = quantileRanks(n, QUANTILES);
    cachedN = n;
  }
  return cachedRanks;
}

/** Numbers per recorded row in a digest of E experiments and K metrics. */
export function digestWidth(E: number, K: number): number {
  return summaryRanks(E).length + K * METRIC_WIDTH;
}

/**
 * Statistics of `values` (one per experiment, in experiment order): mean and sd by two passes in
 * experiment order (so the same for any split of the work), min, max and type-7 quantiles from
 * exact order statistics (selected, not sorted: O(E)); `scratch` is Float64Array(E), overwritten.
 * All NaN when a value is not finite (a singular fit's −Inf log det). digestMetric's numbers.
 */
export function metricStats(values: Float64Array, scratch: Float64Array): Record<MetricStat, number> {
  const d = new Float64Array(METRIC_WIDTH);
  digestMetric(values, scratch, d, 0);
  return readMetricDigest(d, 0).stats;
}

/** Σ(x − mean)³ and Σ(x − mean)⁴ over `values` in experiment order (the shape test of metricZ). */
export function centralSums34(values: Float64Array, mean: number): [number, number] {
  let m3 = 0;
  let m4 = 0;
  for (let e = 0; e < values.length; e++) {
    const d = values[e]! - mean;
    const d2 = d * d;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  return [m3, m4];
}

let rankValues = new Float64Array(0);

/** The type-7 quantile at p of n values whose order statistics at `ranks` are `at` (as stats.ts quantile7 reads a sorted array). */
function quantileAt(ranks: Int32Array, at: Float64Array, n: number, p: number): number {
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  let j = 0;
  while (ranks[j] !== lo) j++;
  const a = at[j]!;
  if (lo + 1 >= n) return a;
  return a + (h - lo) * (at[j + 1]! - a);
}

/**
 * Writes one metric's digest (METRIC_WIDTH numbers) at out[o]: its statistics, the count of
 * non-finite values, and the central sums (NaN where the mean is not finite; centralSums34's
 * numbers). Each sum in experiment order, in two fused passes (sum, count and range; then the
 * second, third and fourth central sums), and the order statistics of orderStatistics, or `given`
 * (the values at summaryRanks(E), known to be those order statistics: digestRow's monotone maps).
 * `passes`, where given, holds at p the two passes' results as they would come out (Σv, the
 * non-finite count, min, max, then the central sums about Σv/E: PASS_WIDTH numbers), taken in the
 * same order elsewhere (workers/wasm-summary.ts).
 */
export function digestMetric(
  values: Float64Array,
  scratch: Float64Array,
  out: Float64Array,
  o: number,
  given?: Float64Array,
  passes?: Float64Array,
  p = 0,
  histogram?: HistogramPasses,
): void {
  const E = values.length;
  let sum = 0;
  let bad = 0;
  let lo = Infinity;
  let hi = -Infinity;
  if (passes !== undefined) {
    sum = passes[p]!;
    bad = passes[p + 1]!;
    lo = passes[p + 2]!;
    hi = passes[p + 3]!;
  } else {
    for (let e = 0; e < E; e++) {
      const v = values[e]!;
      sum += v;
      if (v - v !== 0) bad++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  out[o + BAD] = bad;
  if (bad > 0 || E === 0) {
    for (let i = 0; i < METRIC_STATS.length; i++) out[o + i] = NAN;
    out[o + BAD + 1] = NAN;
    out[o + BAD + 2] = NAN;
    return;
  }
  const mean = sum / E;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  if (passes !== undefined) {
    m2 = passes[p + 4]!;
    m3 = passes[p + 5]!;
    m4 = passes[p + 6]!;
  } else {
    for (let e = 0; e < E; e++) {
      const d = values[e]! - mean;
      const d2 = d * d;
      m2 += d2;
      m3 += d2 * d;
      m4 += d2 * d2;
    }
  }
  const ranks = summaryRanks(E);
  let at: Float64Array;
  if (given !== undefined) at = given;
  else {
    if (rankValues.length < ranks.length) rankValues = new Float64Array(ranks.length);
    at = rankValues;
    orderStatistics(values, ranks, at, scratch, lo, hi, histogram);
  }
  out[o] = mean;
  out[o + 1] = Math.sqrt(sampleVariance(m2, E));
  out[o + 2] = at[0]!;
  QUANTILES.forEach((p, i) => (out[o + 3 + i] = quantileAt(ranks, at, E, p)));
  out[o + 8] = at[ranks.length - 1]!;
  out[o + BAD + 1] = m3;
  out[o + BAD + 2] = m4;
}

/** A metric's digest read back: its statistics, non-finite count and central sums. */
export function readMetricDigest(
  d: Float64Array,
  o: number,
): { stats: Record<MetricStat, number>; bad: number; m3: number; m4: number } {
  const stats = {} as Record<MetricStat, number>;
  METRIC_STATS.forEach((k, i) => (stats[k] = d[o + i]!));
  return { stats, bad: d[o + BAD]!, m3: d[o + BAD + 1]!, m4: d[o + BAD + 2]! };
}

/**
 * A metric that is a non-decreasing function of ln sd (FamilyKernel.lnSdMaps): `map`
 * gives, from an experiment's ln sd, that experiment's value of the metric to the bit, computed
 * within 1 ulp of a non-decreasing function (correctly rounded arithmetic, and Math.exp, whose
 * error is below 1 ulp: fdlibm's e_exp.c, V8's ieee754::exp). Its order statistics are then the
 * map of ln sd's, wherever those are not near-ties (sharedOrderStatistics).
 */
export type LnSdMap = ((lnSd: number) => number) | null;

let cachedExtN = -1;
let extRanks: Int32Array = new Int32Array(0);
let extIndex: Int32Array = new Int32Array(0);
let extValues: Float64Array = new Float64Array(0);
let mapped: Float64Array = new Float64Array(0);

/** summaryRanks(n) with each rank's neighbours (k − 1, k + 1 inside [0, n)), and where each rank of summaryRanks sits in it. */
function extendedRanks(n: number): void {
  if (n === cachedExtN) return;
  const ranks = summaryRanks(n);
  const set = new Set<number>();
  for (const k of ranks) for (const j of [k - 1, k, k + 1]) if (j >= 0 && j < n) set.add(j);
  extRanks = Int32Array.from([...set].sort((a, b) => a - b));
  extIndex = Int32Array.from(ranks, (k) => extRanks.indexOf(k));
  extValues = new Float64Array(extRanks.length);
  mapped = new Float64Array(extRanks.length);
  cachedExtN = n;
}

/** Twice an upper bound on the ulp of a value of magnitude up to |a| or |b| (2^-50 of it, and above the subnormal spacing). */
function twoUlps(a: number, b: number): number {
  return Math.max(Math.abs(a), Math.abs(b)) * 2 ** -50 + 2 ** -1070;
}

/**
 * The order statistics at summaryRanks of map(x) over the row, into `at`, from ln sd's order
 * statistics at the extended ranks (extValues): map(x_(k)) for each rank k, where that value is
 * more than two ulps above map(x_(k−1)) and below map(x_(k+1)). Then every x_i below x_(k) (so at
 * most x_(k−1)) maps strictly below it and every x_i above maps strictly above, since the map is
 * within 1 ulp of a non-decreasing function; so map(x_(k)) is the k-th of the mapped values, as a
 * sort of them gives it. False (nothing to use) where a rank fails that, or maps to a zero (whose
 * sign the sort would order): the caller selects on the metric's own values.
 */
function sharedOrderStatistics(map: (x: number) => number, n: number, at: Float64Array): boolean {
  for (let i = 0; i < extRanks.length; i++) mapped[i] = map(extValues[i]!);
  for (let j = 0; j < extIndex.length; j++) {
    const i = extIndex[j]!;
    const v = mapped[i]!;
    if (v === 0 || v !== v) return false;
    const k = extRanks[i]!;
    if (k > 0 && !(v - mapped[i - 1]! > twoUlps(v, mapped[i - 1]!))) return false;
    if (k < n - 1 && !(mapped[i + 1]! - v > twoUlps(v, mapped[i + 1]!))) return false;
    at[j] = v;
  }
  return true;
}

/**
 * Writes the digest of one recorded row at out[o] (digestWidth numbers): lnSd (E values) at its
 * quantile ranks, then each metric's digest. `scratch` is Float64Array(E), overwritten. O(E · (1 + K)).
 * A metric with a map in `maps` (LnSdMap) takes its order statistics from ln sd's where
 * sharedOrderStatistics allows, instead of a selection of its own: the same numbers. `passes`,
 * where given, holds each metric's digestMetric passes (PASS_WIDTH numbers a metric, in order);
 * `histogram`, the order statistics' counting and copying passes run elsewhere (HistogramPasses).
 */
export function digestRow(
  lnSd: Float64Array,
  metrics: readonly Float64Array[],
  scratch: Float64Array,
  out: Float64Array,
  o: number,
  maps?: readonly LnSdMap[],
  passes?: Float64Array,
  histogram?: HistogramPasses,
): void {
  const n = lnSd.length;
  const ranks = summaryRanks(n);
  const shared = maps !== undefined && maps.some((m) => m !== null);
  if (shared) {
    extendedRanks(n);
    orderStatistics(lnSd, extRanks, extValues, scratch, NaN, NaN, histogram);
    for (let i = 0; i < ranks.length; i++) out[o + i] = extValues[extIndex[i]!]!;
  } else {
    if (rankValues.length < ranks.length) rankValues = new Float64Array(ranks.length);
    orderStatistics(lnSd, ranks, rankValues, scratch, NaN, NaN, histogram);
    for (let i = 0; i < ranks.length; i++) out[o + i] = rankValues[i]!;
  }
  let at = o + ranks.length;
  for (let k = 0; k < metrics.length; k++) {
    const map = shared ? maps![k] ?? null : null;
    let given: Float64Array | undefined;
    if (map !== null) {
      if (givenValues.length < ranks.length) givenValues = new Float64Array(ranks.length);
      if (sharedOrderStatistics(map, n, givenValues)) given = givenValues;
    }
    digestMetric(metrics[k]!, scratch, out, at, given, passes, k * PASS_WIDTH, histogram);
    at += METRIC_WIDTH;
  }
}

let givenValues = new Float64Array(0);

/**
 * The digest of rows [r0, r1) of recorded values held as planes, each laid out [row · E + e]:
 * plane 0 the ln sd, then plane 1 + k metric k, or, with `derive`, plane 1 the model mean from
 * which `derive.fn` forms the K metrics of each row (src/protocol.ts, RecordStore). Returns
 * (r1 − r0) · digestWidth numbers. `beforeRow(r)`, where given, runs just before row r's digest
 * (workers/summary.ts takes the row's moments there, while the row is in cache for both).
 */
export function digestRows(
  planes: readonly Float64Array[],
  E: number,
  r0: number,
  r1: number,
  derive?: { K: number; fn: (lnSd: Float64Array, mean: Float64Array, metrics: Float64Array, n: number) => void; maps?: readonly LnSdMap[] },
  beforeRow?: (r: number) => void,
): Float64Array {
  const K = derive === undefined ? planes.length - 1 : derive.K;
  const W = digestWidth(E, K);
  const out = new Float64Array((r1 - r0) * W);
  const scratch = new Float64Array(E);
  const derived = derive === undefined ? null : new Float64Array(K * E);
  const metrics: Float64Array[] = new Array<Float64Array>(K);
  for (let r = r0; r < r1; r++) {
    beforeRow?.(r);
    const lnSd = planes[0]!.subarray(r * E, (r + 1) * E);
    if (derived !== null) {
      derive!.fn(lnSd, planes[1]!.subarray(r * E, (r + 1) * E), derived, E);
      for (let k = 0; k < K; k++) metrics[k] = derived.subarray(k * E, (k + 1) * E);
    } else {
      for (let k = 0; k < K; k++) metrics[k] = planes[1 + k]!.subarray(r * E, (r + 1) * E);
    }
    digestRow(lnSd, metrics, scratch, out, (r - r0) * W, derive?.maps);
  }
  return out;
}
