/**
 * Turns merged statistics into the run's documents: the per-generation statistics beside exact
 * theory and z-scores, the summary document, and the tidy trajectory and finals tables.
 */
import type { RunOutcome } from './engine.js';
import { canonicalSpec, specHash, type RunSpec } from './spec.js';
import { SEED_SCHEME } from './seed.js';
import { F, NF, quantile7, sampleVariance } from './stats.js';
import {
  digestMetric,
  digestRow,
  digestWidth,
  METRIC_STATS,
  METRIC_WIDTH,
  QUANTILES,
  readMetricDigest,
  metricStats,
  summaryRanks,
  type MetricStat,
} from './digest.js';
import { recordedGeneration } from './plan.js';
import { csvRows, finalsRows } from './csv.js';
import { regimeTheory, type RegimeTheory, type RowTheory } from './theory.js';
import { lnVarianceSe, specOmissions, Z_KEYS, zFromLogs, type ZKey } from './zscore.js';
import type { Provenance } from './provenance.js';
import { allFamilies, familyOf, type FamilyTheory, type MetricDef, type MetricTheory } from './families/index.js';

/**
 * Version of the summary document's layout; readers refuse others. 2: the model family (model and
 * its parameters in params), its metrics in final, theory and z, their columns in trajectory.csv
 * and finals.csv.
 */
export const SCHEMA_VERSION = 2;

const LN10 = Math.LN10;
const QNAMES = ['p05', 'p25', 'p50', 'p75', 'p95'] as const;

/** Statistics of one recorded generation across experiments, beside theory. */
export interface RowStats {
  generation: number;
  /** mean, sd, min, max, p05 … p95 of the sd, and the log10 of each (log10Mean, log10Sd, log10Min, log10P05, …). */
  sd: Record<string, number>;
  log10Sd: Record<string, number>;
  mean: { mean: number; var: number };
  sdSq: { mean: number; sd: number; log10Mean: number; log10Sd: number };
  w2sq: { mean: number; sd: number };
  /** Share of experiments whose sd is above epsilon. */
  aboveEpsilon: number;
  theory: RowTheory;
  /** z-scores, NaN where left out; `reasons` says why, `se` and `seLog10` give the standard error each one uses. */
  z: Record<ZKey, number> & {
    se: Record<ZKey, number>;
    seLog10: Record<ZKey, number>;
    reasons: Partial<Record<ZKey, string>>;
    cells: Partial<Record<ZKey, string>>;
  };
  /** The family's metrics at this generation. */
  metrics: MetricRow;
}

const NAN = NaN;

/** ln of the type-7 quantile of exp(x) over ascending `sorted` ln values: log space, so it survives underflow. */
function lnQuantile7(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  if (lo + 1 >= n || h === lo) return a;
  return a + Math.log1p((h - lo) * Math.expm1(sorted[lo + 1]! - a));
}

/**
 * Statistics of recorded row `r`. `sortedLnSd` holds that row's ln sd values in ascending order, or
 * at least, at each rank the quantiles read (summaryRanks), the value that order has there.
 * Every statistic of the sd and of sd² is formed from ln sd, and carries its log10, so that none
 * reads as a silent 0 where the double underflows. z-scores (src/zscore.ts): the means of sd,
 * log10 sd, sd² and W2², and the sample variance of the model mean, each against theory with the
 * exact standard error of that statistic at this E; NaN, with the reason, where that s.e. is not
 * known or the statistic is not yet near-normal.
 */
export function rowStats(
  out: RunOutcome,
  r: number,
  sortedLnSd: Float64Array,
  th: RowTheory,
  theoryReasons: Record<string, string> = {},
  metrics: MetricRow = metricRow(out, r, runMetricTheory(out.spec, out.rows), new Float64Array(out.spec.experiments)),
): RowStats {
  const spec = out.spec;
  const E = out.moments.count;
  const d = out.moments.data;
  const o = r * NF;
  const g = recordedGeneration(r, spec.generations, spec.every);
  const ref = d[o + F.sdRef]!;
  const lnSdMean = Math.log(d[o + F.sdMean]!) + ref;
  const lnSdSd = 0.5 * Math.log(sampleVariance(d[o + F.sdM2]!, E)) + ref;
  const sd: Record<string, number> = {
    mean: Math.exp(lnSdMean),
    sd: Math.exp(lnSdSd),
    min: Math.exp(d[o + F.lsMin]!),
    max: Math.exp(d[o + F.lsMax]!),
  };
  const log10Sd: Record<string, number> = {
    mean: d[o + F.l10Mean]!,
    sd: Math.sqrt(sampleVariance(d[o + F.l10M2]!, E)),
    min: d[o + F.lsMin]! / LN10,
    max: d[o + F.lsMax]! / LN10,
  };
  const lnQ: number[] = [];
  QUANTILES.forEach((p, i) => {
    sd[QNAMES[i]!] = quantile7(sortedLnSd, p, Math.exp);
    log10Sd[QNAMES[i]!] = quantile7(sortedLnSd, p, (x) => x / LN10);
    lnQ.push(lnQuantile7(sortedLnSd, p));
  });
  sd['log10Mean'] = lnSdMean / LN10;
  sd['log10Sd'] = lnSdSd / LN10;
  sd['log10Min'] = d[o + F.lsMin]! / LN10;
  sd['log10Max'] = d[o + F.lsMax]! / LN10;
  QNAMES.forEach((q, i) => (sd[`log10P${q.slice(1)}`] = lnQ[i]! / LN10));
  const sqrtE = Math.sqrt(E);
  const lnSqrtE = 0.5 * Math.log(E);
  const dm2Mean = d[o + F.dm2Mean]!;
  const w2Sd = Math.sqrt(sampleVariance(d[o + F.w2M2]!, E));
  // sd² moments are kept scaled by exp(2·ref), ref the largest ln sd: their logs never underflow.
  const lnSqMean = Math.log(d[o + F.sqMean]!) + 2 * ref;
  const lnSqSd = 0.5 * Math.log(sampleVariance(d[o + F.sqM2]!, E)) + 2 * ref;
  const meanVar = sampleVariance(d[o + F.mM2]!, E);

  const omit = specOmissions(th, E, theoryReasons);
  const lnSe: Record<ZKey, number> = { sdMean: NAN, log10SdMean: NAN, meanVar: NAN, sdSqMean: NAN, w2sqMean: NAN };
  const z: Record<ZKey, number> = { sdMean: NAN, log10SdMean: NAN, meanVar: NAN, sdSqMean: NAN, w2sqMean: NAN };
  if (E > 1) {
    if (th.sd !== null) {
      lnSe.sdMean = th.sd.log10Sd * LN10 - lnSqrtE;
      z.sdMean = zFromLogs(lnSdMean, th.sd.log10Mean * LN10, lnSe.sdMean);
    }
    if (th.log10Sd !== null) {
      lnSe.log10SdMean = Math.log(th.log10Sd.sd) - lnSqrtE;
      z.log10SdMean = ((log10Sd['mean']! - th.log10Sd.mean) / th.log10Sd.sd) * sqrtE;
    }
    if (th.sdSq !== null) {
      // replace: the exact sd of s_T²; elsewhere a t statistic on the simulated sd
      lnSe.sdSqMean = (Number.isFinite(th.sdSq.log10Sd) ? th.sdSq.log10Sd * LN10 : lnSqSd) - lnSqrtE;
      z.sdSqMean = zFromLogs(lnSqMean, th.sdSq.log10Mean * LN10, lnSe.sdSqMean);
    }
    if (th.mean !== null) {
      let kappa = th.laws?.meanKurtosis ?? NAN;
      if (th.laws === null) {
        // No closed fourth moment: plug in mean((m − m0)⁴)/σ⁴, at least 3 (m_T is a normal scale mixture).
        const m4 = d[o + F.dm2M2]! / E + dm2Mean * dm2Mean;
        kappa = Math.max(3, m4 / (th.mean.var * th.mean.var));
      }
      lnSe.meanVar = lnVarianceSe(Math.log(th.mean.var), kappa, E);
      z.meanVar = zFromLogs(Math.log(meanVar), Math.log(th.mean.var), lnSe.meanVar);
    }
    if (th.w2sq !== null && th.laws !== null) {
      lnSe.w2sqMean = 0.5 * Math.log(th.laws.w2sqVar) - lnSqrtE;
      z.w2sqMean = zFromLogs(Math.log(d[o + F.w2Mean]!), Math.log(th.w2sq.mean), lnSe.w2sqMean);
    }
  }
  const reasons: Partial<Record<ZKey, string>> = {};
  const cells: Partial<Record<ZKey, string>> = {};
  for (const k of Z_KEYS) {
    const why = omit[k];
    if (why) {
      z[k] = NAN;
      reasons[k] = why.reason;
      cells[k] = why.cell;
    }
  }
  const se = {} as Record<ZKey, number>;
  const seLog10 = {} as Record<ZKey, number>;
  for (const k of Z_KEYS) {
    se[k] = Math.exp(lnSe[k]);
    seLog10[k] = lnSe[k] / LN10;
  }
  return {
    generation: g,
    sd,
    log10Sd,
    mean: { mean: spec.mean0 + d[o + F.mMean]!, var: meanVar },
    sdSq: {
      mean: d[o + F.sqMean]! * Math.exp(2 * ref),
      sd: Math.sqrt(sampleVariance(d[o + F.sqM2]!, E)) * Math.exp(2 * ref),
      log10Mean: lnSqMean / LN10,
      log10Sd: lnSqSd / LN10,
    },
    w2sq: { mean: d[o + F.w2Mean]!, sd: w2Sd },
    aboveEpsilon: d[o + F.above]! / E,
    theory: th,
    z: { ...z, se, seLog10, reasons, cells },
    metrics: alignMetricZ(metrics, z, reasons, cells),
  };
}

/**
 * Where a metric tests the same mean as a scalar statistic (MetricDef.scalarZ) and the scalar
 * summary exists, the metric's z is left out exactly where the scalar's is, with its reason.
 */
function alignMetricZ(
  m: MetricRow,
  z: Record<ZKey, number>,
  reasons: Partial<Record<ZKey, string>>,
  cells: Partial<Record<ZKey, string>>,
): MetricRow {
  if (!m.scalar) return m;
  for (const def of m.defs) {
    const k = def.scalarZ;
    if (k === undefined || !Number.isNaN(z[k]) || Number.isNaN(m.z[def.name]!)) continue;
    m.z[def.name] = NAN;
    m.zCells[def.name] = cells[k] ?? 'n/a';
    m.zReasons[def.name] = `as for the scalar ${k}: ${reasons[k] ?? 'left out'}`;
  }
  return m;
}

function recordedGenerations(spec: RunSpec, rows: number): number[] {
  const gens: number[] = [];
  for (let r = 0; r < rows; r++) gens.push(recordedGeneration(r, spec.generations, spec.every));
  return gens;
}

/**
 * The last few theories computed, by everything in the spec but its seed (no family's theory reads
 * it: test/results.test.ts holds each family to that) and by row count. A sweep's points that
 * differ only in seed share one, and a run's rows and its summary.json share one, instead of
 * evaluating the closed forms (special functions over every recorded generation) each time. Each
 * is frozen, so that no caller can change what another will read.
 */
const theories = new Map<string, { rows: number; th?: RegimeTheory; mth?: FamilyTheory }>();
/** Theories kept: the points in flight together in a sweep rarely need more. */
const THEORIES_KEPT = 8;
/**
 * Recorded rows kept over all of them (a row's theory is some hundreds of bytes): beyond it the
 * oldest go, the newest always stays, so that a sweep of long, distinct points holds one at a time.
 */
const THEORY_ROWS_KEPT = 2 ** 14;

function theoryEntry(spec: RunSpec, rows: number): { th?: RegimeTheory; mth?: FamilyTheory } {
  const key = `${rows} ${JSON.stringify({ ...spec, seed: null })}`;
  let entry = theories.get(key);
  if (entry !== undefined) theories.delete(key);
  else entry = { rows };
  theories.set(key, entry);
  let held = 0;
  for (const e of theories.values()) held += e.rows;
  for (const [k, e] of theories) {
    if (theories.size <= 1 || (theories.size <= THEORIES_KEPT && held <= THEORY_ROWS_KEPT)) break;
    theories.delete(k);
    held -= e.rows;
  }
  return entry;
}

/** `value`, and every object and array within it, frozen (typed arrays, which cannot be, aside). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

/**
 * The theory of a run's scalar sd summary at each of its recorded generations: the family's, or
 * null everywhere (with the reason) where the family has no scalar summary for this spec.
 */
export function runTheory(spec: RunSpec, rows: number): RegimeTheory {
  const entry = theoryEntry(spec, rows);
  return (entry.th ??= deepFreeze(computeRunTheory(spec, rows)));
}

function computeRunTheory(spec: RunSpec, rows: number): RegimeTheory {
  const gens = recordedGenerations(spec, rows);
  const family = familyOf(spec.model);
  if (family.hasSdSummary(spec)) return family.sdTheory(spec, gens);
  const none = `no scalar sd summary for this model (${family.sdSummaryAbsent(spec)}); see the metrics`;
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
    reasons: { sd: none, log10Sd: none, mean: none, sdSq: none, w2sq: none, aboveEpsilon: none },
  };
}

/** The theory of the family's metrics at each recorded generation. */
export function runMetricTheory(spec: RunSpec, rows: number): FamilyTheory {
  const entry = theoryEntry(spec, rows);
  return (entry.mth ??= deepFreeze(familyOf(spec.model).theory(spec, recordedGenerations(spec, rows))));
}

/**
 * Computes the theory of `spec` at `rows` recorded rows now, for allRows and summary.json to take
 * from runTheory's store: called while the pool works (the calling thread is idle then), it loads
 * the special functions (about 50–100 ms on first use) and evaluates the closed forms off the end
 * of the run. The same numbers as computing them later: both are pure functions of the spec (less
 * its seed) and the row count.
 */
export function prefetchTheory(spec: RunSpec, rows: number): void {
  runTheory(spec, rows);
  runMetricTheory(spec, rows);
}

/**
 * Per-row statistics for every recorded generation, from the outcome's digest where the engine
 * computed it (on the pool), else from a digest of each row here: O(R · E) either way (selection,
 * src/select.ts), never a sort.
 */
export function allRows(out: RunOutcome): RowStats[] {
  return rowsOf(out, 0, out.rows);
}

/** allRows' rows [r0, r1) only: what trajectoryParts holds at once, and the final row alone. */
export function rowsOf(out: RunOutcome, r0: number, r1: number): RowStats[] {
  const th = runTheory(out.spec, out.rows);
  const mth = runMetricTheory(out.spec, out.rows);
  const rows: RowStats[] = [];
  const E = out.spec.experiments;
  const K = out.metrics.length;
  const W = digestWidth(E, K);
  const ranks = summaryRanks(E);
  // the ln sd at its quantile ranks, where rowStats reads them; the other entries are never read
  const tmp = new Float64Array(E);
  const scratch = new Float64Array(E);
  const own = out.digest === undefined ? new Float64Array(W) : null;
  for (let r = r0; r < r1; r++) {
    let dg: Float64Array;
    let o: number;
    if (own !== null) {
      digestRow(out.lnSd[r]!, out.metrics.map((m) => m[r]!), scratch, own, 0);
      dg = own;
      o = 0;
    } else {
      dg = out.digest!;
      o = r * W;
    }
    for (let i = 0; i < ranks.length; i++) tmp[ranks[i]!] = dg[o + i]!;
    rows.push(rowStats(out, r, tmp, th.rows[r]!, th.reasons, metricRow(out, r, mth, scratch, dg, o + ranks.length)));
  }
  return rows;
}

/** The statistics of a metric across experiments (column order), and their computation. */
export { METRIC_STATS, metricStats, type MetricStat };

/** A family's metrics at one recorded generation: statistics, theory and z-scores by metric name. */
export interface MetricRow {
  model: string;
  /** Whether the family has a scalar sd summary for this spec (its columns are shared by name). */
  scalar: boolean;
  defs: readonly MetricDef[];
  stats: Record<string, Record<MetricStat, number>>;
  theory: Record<string, MetricTheory | null>;
  /** Bound name → the family's published bound at this generation (null where its hypotheses fail); no z. */
  bounds: Record<string, number | null>;
  /**
   * (mean − E)/(s.e.), with the theory's sd where it has one, else the simulated sd; NaN where left
   * out (see metricZ), and then `zCells` and `zReasons` say why.
   */
  z: Record<string, number>;
  /** Metric name → the table cell shown instead of a left-out z (`E < 300`, `heavy tail`, …). */
  zCells: Record<string, string>;
  /** Metric name → why its z is left out, one sentence. */
  zReasons: Record<string, string>;
  /** Metric name → experiments whose value is not finite (its statistics are NA then). */
  undefinedCount: Record<string, number>;
}

/**
 * Fewest experiments for a z on a metric's simulated sd (a t statistic): the floor measured for the
 * scalar t statistics of accumulate and fresh (|z| > 3 in at most 0.8% of 1000 seeds from E = 300,
 * up to 2.7% at E = 32–100; docs/theory.md §12).
 */
export const METRIC_T_MIN_E = 300;
/** Fewest experiments for a z on a metric's exact sd. */
export const METRIC_EXACT_MIN_E = 10;

/**
 * The z of a metric's mean against its theory, or why it is left out. The standard error is theory's
 * sd/√E where theory has an sd, else the simulated sd/√E (then at least METRIC_T_MIN_E experiments).
 * The family metrics have no closed higher moments, so nearness to normal is judged on the sample's
 * own shape, as for the scalar statistics' exact shapes (src/zscore.ts): the mean of E values has
 * skewness γ/√E and excess kurtosis κ/E, and the z is given when both are at most 0.5 (Edgeworth:
 * P(|z| > 3) stays below about 0.7%). A heavy tail inflates the sample κ towards E itself, so the
 * rule refuses exactly the deep, rare-chain-carried means whose z no correct engine could meet.
 * `sums34` holds Σ(x − mean)³ and Σ(x − mean)⁴ over the values (centralSums34).
 */
export function metricZ(
  sums34: readonly [number, number],
  st: Record<MetricStat, number>,
  t: MetricTheory | null,
  E: number,
): { z: number; cell: string | null; reason: string | null } {
  if (t === null) return { z: NAN, cell: 'n/a', reason: 'no exact theory for this metric in this regime' };
  if (!Number.isFinite(st.mean)) return { z: NAN, cell: 'n/a', reason: 'the metric is not finite in some experiments' };
  const exact = t.sd !== null && Number.isFinite(t.sd);
  // a sum of many independent terms with an exact sd: near-normal by the CLT at any E
  if (exact && t.terms !== undefined && E * t.terms >= 30 && E > 1) {
    const se = t.sd! / Math.sqrt(E);
    if (se > 0) return { z: (st.mean - t.mean) / se, cell: null, reason: null };
  }
  const minE = exact ? METRIC_EXACT_MIN_E : METRIC_T_MIN_E;
  if (E < minE) {
    return {
      z: NAN,
      cell: `E < ${minE}`,
      reason: exact
        ? `${E} experiments are too few to judge the shape of the mean (at least ${minE})`
        : `the s.e. comes from the simulated sd (no exact sd here), which needs at least ${minE} experiments to give a near-normal t statistic`,
    };
  }
  const [m3, m4] = sums34;
  const m2 = ((st.sd * st.sd) * (E - 1)) / E;
  // all E values equal while theory says they vary (a rare event not yet seen, e.g. fixation
  // with probability 0.003 at E = 200): the sample cannot show whether its mean is near-normal
  if (!(m2 > 0) && exact && t.sd! > 0) {
    return {
      z: NAN,
      cell: 'n/a',
      reason: `all ${E} values are equal while theory's sd is ${t.sd!.toPrecision(3)}: the sample cannot show whether its mean is near-normal`,
    };
  }
  const skew = m2 > 0 ? m3 / E / m2 ** 1.5 : 0;
  const kurt = m2 > 0 ? m4 / E / (m2 * m2) - 3 : 0;
  if (Math.abs(skew) / Math.sqrt(E) > 0.5 || kurt / E > 0.5) {
    return {
      z: NAN,
      cell: 'heavy tail',
      reason:
        `the values are too skewed or heavy-tailed for their mean to be near-normal at E = ${E} ` +
        `(sample skewness ${skew.toPrecision(3)}, excess kurtosis ${kurt.toPrecision(3)}; the rule needs |γ|/√E ≤ 0.5 and κ/E ≤ 0.5)`,
    };
  }
  const se = (exact ? t.sd! : st.sd) / Math.sqrt(E);
  if (!(se > 0 && Number.isFinite(se))) return { z: NAN, cell: 'n/a', reason: 'the standard error is zero or not finite' };
  return { z: (st.mean - t.mean) / se, cell: null, reason: null };
}

/**
 * The table cell of a left-out metric z, from its sentence in summary.json's `z.reasons` (which
 * keeps no cells): `E < N`, `E = 1`, `heavy tail` or `n/a`, as metricZ and the scalar rules that
 * alignMetricZ copies (src/zscore.ts) give them. A sweep's table reads it off each point's summary.
 */
export function metricZCell(reason: string | undefined): string {
  if (reason === undefined) return 'n/a';
  if (reason.includes('one experiment')) return 'E = 1';
  const need = /E ≥ (\d+)|at least (\d+) experiments|\(at least (\d+)\)|used from E = (\d+)/.exec(reason);
  if (need !== null) return `E < ${need[1] ?? need[2] ?? need[3] ?? need[4]}`;
  if (/heavy-tailed|far from normal|overflows a double/.test(reason)) return 'heavy tail';
  return 'n/a';
}

/**
 * The family's metrics at recorded row `r`, from their digest at `dg[o]` (K · METRIC_WIDTH numbers,
 * src/digest.ts) where given, else from the row's values; `scratch` is Float64Array(E), overwritten.
 */
export function metricRow(
  out: RunOutcome,
  r: number,
  th: FamilyTheory,
  scratch: Float64Array,
  dg?: Float64Array,
  o = 0,
): MetricRow {
  const spec = out.spec;
  const family = familyOf(spec.model);
  const E = spec.experiments;
  const row: MetricRow = {
    model: family.name,
    scalar: family.hasSdSummary(spec),
    defs: family.metrics,
    stats: {},
    theory: {},
    bounds: {},
    z: {},
    zCells: {},
    zReasons: {},
    undefinedCount: {},
  };
  for (const b of family.bounds ?? []) row.bounds[b.name] = th.bounds?.[b.name]?.[r] ?? null;
  const own = dg === undefined ? new Float64Array(METRIC_WIDTH) : null;
  family.metrics.forEach((m, k) => {
    let at = o + k * METRIC_WIDTH;
    if (own !== null) {
      digestMetric(out.metrics[k]![r]!, scratch, own, 0);
      at = 0;
    }
    const { stats: st, bad, m3, m4 } = readMetricDigest(own ?? dg!, at);
    let t = th.rows[m.name]?.[r] ?? null;
    // a strictly positive metric's 0 is an underflow: NA, and no z
    const under = m.strictlyPositive === true ? underflowed(st, t) : null;
    if (under !== null) {
      for (const k of METRIC_STATS) if (st[k] === 0) st[k] = NAN;
      if (t?.mean === 0) t = { ...t, mean: NAN, sd: t.sd === 0 ? NAN : t.sd };
    }
    row.stats[m.name] = st;
    row.theory[m.name] = t;
    row.undefinedCount[m.name] = bad;
    const v = under !== null ? { z: NAN, cell: 'underflow', reason: under } : metricZ([m3, m4], st, t, E);
    row.z[m.name] = v.z;
    if (v.cell !== null) row.zCells[m.name] = v.cell;
    if (v.reason !== null) row.zReasons[m.name] = v.reason;
  });
  return row;
}

/**
 * Why a strictly positive metric's statistics or exact mean hold a 0 (a double that underflowed),
 * or null where none does: those are NA then, and its z is left out (no value of 0 is a result).
 */
/** What every reason of underflowed() says, and underflowReason() looks for. */
const UNDERFLOW_MARK = 'fell below the smallest double';

/** Whether `why`, a z reason of summary.json, is underflowed()'s: the metric's NA values underflowed. */
export function underflowReason(why: unknown): boolean {
  return typeof why === 'string' && why.includes(UNDERFLOW_MARK);
}

function underflowed(st: Record<MetricStat, number>, t: MetricTheory | null): string | null {
  const zeros = METRIC_STATS.filter((k) => st[k] === 0);
  if (zeros.length === 0 && t?.mean !== 0) return null;
  const what = [
    ...(zeros.length > 0 ? [`its simulated ${zeros.join(', ')}`] : []),
    ...(t?.mean === 0 ? ['its exact mean'] : []),
  ].join(' and ');
  return `the metric is above 0 by construction, but ${what} ${UNDERFLOW_MARK} (5e-324) and read 0: shown as NA, not as a 0 that reads as a value`;
}

/** Timing of a run. */
export interface Timing {
  wallSeconds: number;
  /** Normal deviates per second (resample; null for the stats method, which draws no samples). */
  normalsPerSecond: number;
  /** Experiments × generations per second, comparable across methods. */
  generationStepsPerSecond: number;
  /** Deviates drawn (resample) or generation steps (stats). */
  draws: number;
}

/** The summary document (summary.json, and what --json prints). Non-finite numbers become null. */
export function summaryDocument(
  spec: RunSpec,
  workers: number,
  final: RowStats,
  reasons: RegimeTheory,
  timing: Timing,
  provenance: Provenance,
): Record<string, unknown> {
  const m = final.metrics;
  const fam = familyOf(spec.model);
  const metricFinal: Record<string, unknown> = {};
  const metricTheory: Record<string, unknown> = {};
  const metricZ: Record<string, number> = {};
  const metricReasons: Record<string, string> = {};
  const metricTh = fam.theory(spec, [final.generation]);
  for (const def of m.defs) {
    metricFinal[def.name] = m.stats[def.name];
    metricTheory[def.name] = m.theory[def.name];
    metricZ[def.name] = m.z[def.name]!;
    const why = metricTh.reasons[def.name];
    if (m.theory[def.name] === null && why !== undefined) metricReasons[def.name] = why;
    if (m.undefinedCount[def.name]! > 0) {
      metricReasons[`final.${def.name}`] =
        `not finite in ${m.undefinedCount[def.name]} of ${spec.experiments} experiments, so its statistics are NA: ${fam.undefinedReason(def.name, spec) ?? 'undefined there'}`;
    }
  }
  // A name the scalar summary shares (w2sq) keeps the scalar's fields where it has them.
  const scalarFinal: Record<string, unknown> = {
    sd: final.sd,
    log10Sd: final.log10Sd,
    mean: final.mean,
    sdSq: final.sdSq,
    w2sq: final.w2sq,
    aboveEpsilon: final.aboveEpsilon,
  };
  const merged: Record<string, unknown> = { generation: final.generation };
  for (const [k, v] of Object.entries(metricFinal)) merged[k] = v;
  for (const [k, v] of Object.entries(scalarFinal)) {
    const g = merged[k];
    merged[k] = g !== undefined && typeof g === 'object' ? (m.scalar ? { ...g, ...(v as object) } : g) : v;
  }
  const theory: Record<string, unknown> = { regime: reasons.regime };
  for (const [k, v] of Object.entries(metricTheory)) theory[k] = v;
  // the family's published bounds, after its metrics (never a z: a bound has no standard error)
  for (const b of fam.bounds ?? []) {
    const v = m.bounds[b.name] ?? null;
    theory[b.name] = v;
    const why = metricTh.reasons[b.name];
    if (v === null && why !== undefined) metricReasons[b.name] = why;
  }
  for (const [k, v] of Object.entries(theoryBlocks(final.theory))) {
    if (theory[k] === undefined || m.scalar) theory[k] = v;
  }
  theory['reasons'] = { ...metricReasons, ...(m.scalar ? reasons.reasons : { ...reasons.reasons, ...metricReasons }) };
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'collapse.run',
    specHash: specHash(spec),
    params: { ...canonicalSpec(spec), workers },
    seedScheme: SEED_SCHEME,
    final: merged,
    theory,
    z: { ...zBlockWith(final.z, m.zReasons), ...metricZ },
    timing,
    provenance,
  };
}

/** A row's theory as summary.json gives it: without the shapes that only the z-scores use. */
function theoryBlocks(th: RowTheory): Omit<RowTheory, 'laws'> {
  const { laws: _laws, ...rest } = th;
  return rest;
}

/**
 * A row's z-scores as summary.json gives them: each z (null where left out), the reasons (the
 * family metrics' too, by metric name), the standard errors.
 */
function zBlockWith(z: RowStats['z'], metricReasons: Record<string, string>): Record<string, unknown> {
  const { cells: _cells, ...rest } = z;
  return { ...rest, reasons: { ...rest.reasons, ...metricReasons } };
}

/** JSON with non-finite numbers as null, two-space indented, newline-terminated. */
export function toJson(doc: unknown): string {
  // JSON.stringify itself writes null for NaN and ±Infinity (ECMA-262 SerializeJSONProperty): no
  // replacer, which cost a call per value (a third of a small point's summary time)
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Columns of trajectory.csv, in order. */
export const TRAJECTORY_COLUMNS = [
  'generation',
  'sd_mean',
  'sd_sd',
  'sd_min',
  'sd_p05',
  'sd_p25',
  'sd_p50',
  'sd_p75',
  'sd_p95',
  'sd_max',
  'sd_mean_log10',
  'log10_sd_mean',
  'log10_sd_sd',
  'log10_sd_min',
  'log10_sd_p05',
  'log10_sd_p25',
  'log10_sd_p50',
  'log10_sd_p75',
  'log10_sd_p95',
  'log10_sd_max',
  'mean_mean',
  'mean_var',
  'sd_sq_mean',
  'w2sq_mean',
  'w2sq_sd',
  'above_epsilon',
  'theory_sd_mean',
  'theory_sd_sd',
  'theory_sd_mean_log10',
  'theory_log10_sd_mean',
  'theory_log10_sd_sd',
  'theory_mean_var',
  'theory_sd_sq_mean',
  'theory_w2sq_mean',
  'theory_above_epsilon_markov',
  'theory_above_epsilon_suresh',
  'z_sd_mean',
  'z_log10_sd_mean',
  'z_mean_var',
  'z_sd_sq_mean',
  'z_w2sq_mean',
  // log10 beside every statistic that can underflow (added after the original columns)
  'sd_sd_log10',
  'sd_min_log10',
  'sd_p05_log10',
  'sd_p25_log10',
  'sd_p50_log10',
  'sd_p75_log10',
  'sd_p95_log10',
  'sd_max_log10',
  'sd_sq_mean_log10',
  'sd_sq_sd',
  'sd_sq_sd_log10',
  'theory_sd_sd_log10',
  'theory_sd_sq_mean_log10',
  'theory_sd_sq_sd',
  'theory_sd_sq_sd_log10',
  'theory_above_epsilon_markov_log10',
  'theory_above_epsilon_suresh_log10',
  // the standard error each z uses (NA where there is none), and its log10 where it can underflow
  'se_sd_mean',
  'se_sd_mean_log10',
  'se_log10_sd_mean',
  'se_mean_var',
  'se_sd_sq_mean',
  'se_sd_sq_mean_log10',
  'se_w2sq_mean',
] as const;

/** A metric's columns: its statistics, its theory (mean, sd) and its z-score. */
export function metricColumns(def: MetricDef): string[] {
  return [
    ...METRIC_STATS.map((st) => `${def.column}_${st}`),
    `theory_${def.column}_mean`,
    `theory_${def.column}_sd`,
    `z_${def.column}_mean`,
  ];
}

/**
 * Columns of a model's trajectory.csv: the scalar sd block (TRAJECTORY_COLUMNS, NA where the
 * family has no scalar summary), then each metric's columns that the block does not already have
 * (w2sq_mean, theory_w2sq_mean, z_w2sq_mean are shared by name).
 */
export function trajectoryColumns(model: string): string[] {
  return [...columnsOf(model)];
}

/** trajectoryColumns' list of each model, formed once (a sweep's every point and block reads it). */
const columnsByModel = new Map<string, readonly string[]>();

function columnsOf(model: string): readonly string[] {
  let cols = columnsByModel.get(model);
  if (cols === undefined) {
    cols = Object.freeze(formColumns(model));
    columnsByModel.set(model, cols);
  }
  return cols;
}

function formColumns(model: string): string[] {
  const cols: string[] = [...TRAJECTORY_COLUMNS];
  const family = familyOf(model);
  for (const def of family.metrics) for (const c of metricColumns(def)) if (!cols.includes(c)) cols.push(c);
  // then its published bounds (after every metric column, so those keep their positions)
  for (const b of family.bounds ?? []) if (!cols.includes(b.column)) cols.push(b.column);
  return cols;
}

/** Every registered family's trajectory columns, de-duplicated, in registry order, the bounds last (sweep.csv's). */
export function allTrajectoryColumns(): string[] {
  const cols: string[] = [];
  const bounds = new Set(allFamilies().flatMap((f) => (f.bounds ?? []).map((b) => b.column)));
  // every family's metric columns first, then the published bounds (added later: at the end, so
  // sweep.csv's earlier columns keep their positions)
  for (const f of allFamilies()) for (const c of trajectoryColumns(f.name)) if (!bounds.has(c) && !cols.includes(c)) cols.push(c);
  for (const c of bounds) if (!cols.includes(c)) cols.push(c);
  return cols;
}

/** Reads one cell of a row's metrics. */
type CellReader = (m: MetricRow) => number;

/**
 * The readers of a model's metric cells by column name, built once per table (not a map of cells
 * per row: that cost more than formatting the row). A later column of the same name replaces an
 * earlier one's reader, the bounds last.
 */
function metricCellReaders(model: string): ReadonlyMap<string, CellReader> {
  let readers = readersByModel.get(model);
  if (readers === undefined) {
    readers = formReaders(model);
    readersByModel.set(model, readers);
  }
  return readers;
}

/** metricCellReaders' map of each model, formed once. */
const readersByModel = new Map<string, ReadonlyMap<string, CellReader>>();

function formReaders(model: string): Map<string, CellReader> {
  const readers = new Map<string, CellReader>();
  const family = familyOf(model);
  for (const def of family.metrics) {
    const name = def.name;
    for (const k of METRIC_STATS) readers.set(`${def.column}_${k}`, (m) => m.stats[name]![k]);
    readers.set(`theory_${def.column}_mean`, (m) => m.theory[name]?.mean ?? NAN);
    readers.set(`theory_${def.column}_sd`, (m) => m.theory[name]?.sd ?? NAN);
    readers.set(`z_${def.column}_mean`, (m) => m.z[name]!);
  }
  for (const b of family.bounds ?? []) readers.set(b.column, (m) => m.bounds[b.name] ?? NAN);
  return readers;
}

/** trajectory.csv: one row per recorded generation. */
export function trajectoryCsv(rows: readonly RowStats[]): string {
  const model = rows[0]?.metrics.model ?? allFamilies()[0]!.name;
  return trajectoryHeader(model) + '\n' + trajectoryLines(model, rows);
}

/** trajectory.csv's header line (without its newline) for a run of `model`. */
export function trajectoryHeader(model: string): string {
  return columnsOf(model).join(',');
}

/**
 * Recorded rows per block of trajectoryParts: their statistics and text are all it holds at once.
 * Small enough that a block's objects (about 20 KB a row) die in V8's young generation (16 MiB)
 * instead of being copied and promoted: at 1024 a trajectory of 10^5 rows spent a third of its
 * writing in the garbage collector, and took 1.5x as long as at 64 (docs/benchmarks.md).
 */
export const TRAJECTORY_BLOCK = 64;

/**
 * Heap bytes a row of a block of trajectoryParts takes: its statistics and text, measured about
 * 20 KB a row at d = 1 with its four metrics (24 KB allowed).
 */
export const TRAJECTORY_ROW_BYTES = 24 * 1024;

/** Heap bytes a whole block of trajectoryParts takes. */
export const TRAJECTORY_BLOCK_BYTES = TRAJECTORY_BLOCK * TRAJECTORY_ROW_BYTES;

/**
 * trajectory.csv of `out` in parts (its header, then the lines of TRAJECTORY_BLOCK rows at a
 * time), formed as they are read: the same text as trajectoryCsv(allRows(out)), without holding
 * every row's statistics or the whole text, which at 10^5 recorded rows and more outgrows the
 * heap (about 20 KB a row) and a string's longest length (2^29 characters; about 2 KB a row).
 */
export function* trajectoryParts(out: RunOutcome, block = TRAJECTORY_BLOCK): Generator<string> {
  const model = familyOf(out.spec.model).name;
  yield trajectoryHeader(model) + '\n';
  for (let r0 = 0; r0 < out.rows; r0 += block) yield trajectoryLines(model, rowsOf(out, r0, Math.min(out.rows, r0 + block)));
}

/** The lines of trajectory.csv (no header) for `rows` of a run of `model`. */
export function trajectoryLines(model: string, rows: readonly RowStats[]): string {
  const columns = columnsOf(model);
  const readers = metricCellReaders(model);
  // the scalar block's columns a metric also fills, and the metric columns after the block
  const shared = TRAJECTORY_COLUMNS.map((c) => readers.get(c));
  const extra = columns.slice(TRAJECTORY_COLUMNS.length).map((c) => readers.get(c)!);
  const values: number[][] = [];
  for (const s of rows) {
    const th = s.theory;
    const v = [
      s.generation,
      s.sd['mean']!,
      s.sd['sd']!,
      s.sd['min']!,
      s.sd['p05']!,
      s.sd['p25']!,
      s.sd['p50']!,
      s.sd['p75']!,
      s.sd['p95']!,
      s.sd['max']!,
      s.sd['log10Mean']!,
      s.log10Sd['mean']!,
      s.log10Sd['sd']!,
      s.log10Sd['min']!,
      s.log10Sd['p05']!,
      s.log10Sd['p25']!,
      s.log10Sd['p50']!,
      s.log10Sd['p75']!,
      s.log10Sd['p95']!,
      s.log10Sd['max']!,
      s.mean.mean,
      s.mean.var,
      s.sdSq.mean,
      s.w2sq.mean,
      s.w2sq.sd,
      s.aboveEpsilon,
      th.sd?.mean ?? NAN,
      th.sd?.sd ?? NAN,
      th.sd?.log10Mean ?? NAN,
      th.log10Sd?.mean ?? NAN,
      th.log10Sd?.sd ?? NAN,
      th.mean?.var ?? NAN,
      th.sdSq?.mean ?? NAN,
      th.w2sq?.mean ?? NAN,
      th.aboveEpsilon.markov ?? NAN,
      th.aboveEpsilon.suresh ?? NAN,
      s.z.sdMean,
      s.z.log10SdMean,
      s.z.meanVar,
      s.z.sdSqMean,
      s.z.w2sqMean,
      s.sd['log10Sd']!,
      s.sd['log10Min']!,
      s.sd['log10P05']!,
      s.sd['log10P25']!,
      s.sd['log10P50']!,
      s.sd['log10P75']!,
      s.sd['log10P95']!,
      s.sd['log10Max']!,
      s.sdSq.log10Mean,
      s.sdSq.sd,
      s.sdSq.log10Sd,
      th.sd?.log10Sd ?? NAN,
      th.sdSq?.log10Mean ?? NAN,
      th.sdSq?.sd ?? NAN,
      th.sdSq?.log10Sd ?? NAN,
      th.aboveEpsilon.markovLog10 ?? NAN,
      th.aboveEpsilon.sureshLog10 ?? NAN,
      s.z.se.sdMean,
      s.z.seLog10.sdMean,
      s.z.se.log10SdMean,
      s.z.se.meanVar,
      s.z.se.sdSqMean,
      s.z.seLog10.sdSqMean,
      s.z.se.w2sqMean,
    ];
    // by name: a cell the scalar block shares with a metric takes the metric's value where the
    // family has no scalar summary
    const m = s.metrics;
    if (!m.scalar) shared.forEach((read, i) => (v[i] = read?.(m) ?? v[i]!));
    for (const read of extra) v.push(read(m));
    values.push(v);
  }
  return csvRows(values);
}

/** finals.csv: one row per experiment at the final generation, the scalar summary then every metric. */
export function finalsCsv(out: RunOutcome): string {
  return [...finalsParts(out)].map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))).join('');
}

/** Experiments per part where finalsParts formats finals.csv itself. */
const FINALS_BLOCK = 1 << 16;

/**
 * finals.csv in parts: its header, then the rows the engine formatted while the chunks arrived
 * (RunOutcome.finalsBody: ASCII bytes, off the JS heap), or else blocks of rows formed as they are
 * read. Never one string: at about 100–200 bytes an experiment, 4·10^6 experiments and more would
 * pass a string's longest length (2^29 characters).
 */
export function* finalsParts(out: RunOutcome, block = FINALS_BLOCK): Generator<string | Uint8Array> {
  const defs = familyOf(out.spec.model).metrics;
  yield `experiment,mean,sd,log10_sd,${defs.map((d) => d.column).join(',')}\n`;
  // formatted while the chunks arrived (engine.ts), without forming the final row's metrics again
  if (out.finalsBody !== undefined) {
    yield* out.finalsBody;
    return;
  }
  const ls = out.lnSd[out.rows - 1]!;
  const finals = out.metrics.map((perRow) => perRow[out.rows - 1]!);
  for (let e0 = 0; e0 < ls.length; e0 += block) yield finalsRows(ls, out.finalMean, finals, e0, Math.min(ls.length, e0 + block));
}
