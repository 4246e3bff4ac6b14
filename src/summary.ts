/**
 * Turns merged statistics into the run's documents: the per-generation statistics beside exact
 * theory and z-scores, the summary document, and the tidy trajectory and finals tables.
 */
import type { RunOutcome } from './engine.js';
import { canonicalSpec, specHash, type RunSpec } from './spec.js';
import { SEED_SCHEME } from './seed.js';
import { F, NF, quantile7, sampleVariance } from './stats.js';
import { recordedGeneration } from './plan.js';
import { regimeTheory, type RegimeTheory, type RowTheory } from './theory.js';
import type { Provenance } from './provenance.js';

/** Version of the summary document's layout; readers refuse others. */
export const SCHEMA_VERSION = 1;

const LN10 = Math.LN10;
const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
const QNAMES = ['p05', 'p25', 'p50', 'p75', 'p95'] as const;

/** Statistics of one recorded generation across experiments, beside theory. */
export interface RowStats {
  generation: number;
  sd: Record<string, number>;
  log10Sd: Record<string, number>;
  mean: { mean: number; var: number };
  sdSq: { mean: number; sd: number };
  w2sq: { mean: number; sd: number };
  /** Share of experiments whose sd is above epsilon. */
  aboveEpsilon: number;
  theory: RowTheory;
  z: { sdMean: number; log10SdMean: number; meanVar: number; sdSqMean: number; w2sqMean: number };
}

const NAN = NaN;

/**
 * Statistics of recorded row `r`. `sortedLnSd` is that row's ln sd values in ascending order.
 * z-scores: the sd and log10 sd means against the exact sd of their theory; the mean's variance,
 * sd² and W2² as the mean of (m − m0)², of s² and of W2² against their expectation, with the
 * simulated sd (a t statistic). NaN where undefined (no theory, or one experiment).
 */
export function rowStats(out: RunOutcome, r: number, sortedLnSd: Float64Array, th: RowTheory): RowStats {
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
  QUANTILES.forEach((p, i) => {
    sd[QNAMES[i]!] = quantile7(sortedLnSd, p, Math.exp);
    log10Sd[QNAMES[i]!] = quantile7(sortedLnSd, p, (x) => x / LN10);
  });
  sd['log10Mean'] = lnSdMean / LN10;
  sd['log10Sd'] = lnSdSd / LN10;
  const sqrtE = Math.sqrt(E);
  const dm2Sd = Math.sqrt(sampleVariance(d[o + F.dm2M2]!, E));
  const w2Sd = Math.sqrt(sampleVariance(d[o + F.w2M2]!, E));
  const sqScale = Math.exp(2 * ref);
  const sqMean = d[o + F.sqMean]! * sqScale;
  const sqSd = Math.sqrt(sampleVariance(d[o + F.sqM2]!, E)) * sqScale;
  const t = (sim: number, expect: number | undefined, sdv: number) =>
    E > 1 && expect !== undefined ? ((sim - expect) / sdv) * sqrtE : NAN;
  let zSd = NAN;
  if (E > 1 && th.sd !== null) {
    // (mean − E[s]) / (sd[s]/√E) in units of sd[s], so that it survives underflow of both.
    const thLnSd = th.sd.log10Sd * LN10;
    zSd = (Math.exp(lnSdMean - thLnSd) - Math.exp(th.sd.log10Mean * LN10 - thLnSd)) * sqrtE;
  }
  return {
    generation: g,
    sd,
    log10Sd,
    mean: { mean: spec.mean0 + d[o + F.mMean]!, var: sampleVariance(d[o + F.mM2]!, E) },
    sdSq: { mean: sqMean, sd: sqSd },
    w2sq: { mean: d[o + F.w2Mean]!, sd: w2Sd },
    aboveEpsilon: d[o + F.above]! / E,
    theory: th,
    z: {
      sdMean: zSd,
      log10SdMean: th.log10Sd === null ? NAN : t(log10Sd['mean']!, th.log10Sd.mean, th.log10Sd.sd),
      meanVar: t(d[o + F.dm2Mean]!, th.mean?.var, dm2Sd),
      sdSqMean: t(sqMean, th.sdSq?.mean, sqSd),
      w2sqMean: t(d[o + F.w2Mean]!, th.w2sq?.mean, w2Sd),
    },
  };
}

/** The theory of a run at each of its recorded generations. */
export function runTheory(spec: RunSpec, rows: number): RegimeTheory {
  const gens: number[] = [];
  for (let r = 0; r < rows; r++) gens.push(recordedGeneration(r, spec.generations, spec.every));
  return regimeTheory(spec, gens);
}

/** Per-row statistics for every recorded generation; sorts a copy of each row. O(R · E log E). */
export function allRows(out: RunOutcome): RowStats[] {
  const th = runTheory(out.spec, out.rows);
  const rows: RowStats[] = [];
  const tmp = new Float64Array(out.spec.experiments);
  for (let r = 0; r < out.rows; r++) {
    tmp.set(out.lnSd[r]!);
    tmp.sort();
    rows.push(rowStats(out, r, tmp, th.rows[r]!));
  }
  return rows;
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
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'collapse.run',
    specHash: specHash(spec),
    params: { ...canonicalSpec(spec), workers },
    seedScheme: SEED_SCHEME,
    final: {
      generation: final.generation,
      sd: final.sd,
      log10Sd: final.log10Sd,
      mean: final.mean,
      sdSq: final.sdSq,
      w2sq: final.w2sq,
      aboveEpsilon: final.aboveEpsilon,
    },
    theory: { regime: reasons.regime, ...final.theory, reasons: reasons.reasons },
    z: final.z,
    timing,
    provenance,
  };
}

/** JSON with non-finite numbers as null, two-space indented, newline-terminated. */
export function toJson(doc: unknown): string {
  return JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

/** A CSV cell: shortest round-trip decimal; NA for NaN, Inf/-Inf for infinities (R and pandas read all). */
export function csvNumber(x: number): string {
  if (Number.isNaN(x)) return 'NA';
  if (x === Infinity) return 'Inf';
  if (x === -Infinity) return '-Inf';
  return String(x);
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
] as const;

/** trajectory.csv: one row per recorded generation. */
export function trajectoryCsv(rows: readonly RowStats[]): string {
  const lines = [TRAJECTORY_COLUMNS.join(',')];
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
    ];
    lines.push(v.map(csvNumber).join(','));
  }
  return lines.join('\n') + '\n';
}

/** finals.csv: one row per experiment at the final generation. */
export function finalsCsv(out: RunOutcome): string {
  const ls = out.lnSd[out.rows - 1]!;
  const parts: string[] = ['experiment,mean,sd,log10_sd\n'];
  for (let e = 0; e < ls.length; e++) {
    const l = ls[e]!;
    parts.push(`${e},${csvNumber(out.finalMean[e]!)},${csvNumber(Math.exp(l))},${csvNumber(l / LN10)}\n`);
  }
  return parts.join('');
}
