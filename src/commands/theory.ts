/**
 * `collapse theory`: the exact values of docs/theory.md for given n, T, ddof, s0, τ and regime, without
 * simulating; several generations at once, and values that underflow a double shown through log10.
 */
import { alignRows } from '../textwidth.js';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { UsageError } from '../errors.js';
import { parseAxis } from '../grid.js';
import { parseIntegerFlag, resolveRunSpec, type RunSpec } from '../spec.js';
import { toJson } from '../summary.js';
import { formatNumber } from '../table.js';
import { regimeTheory, replaceTheory, type RowTheory } from '../theory.js';
import { example } from './help.js';

/** The recursions for accumulate, fresh and augment are O(T): beyond this they would take seconds per call. */
export const MAX_RECURSION_GENERATIONS = 100_000_000;

interface TheoryArgs {
  samples?: unknown;
  generations?: unknown;
  ddof?: unknown;
  sd0?: unknown;
  temperature?: unknown;
  regime?: unknown;
  fresh?: unknown;
  synthetic?: unknown;
  epsilon?: unknown;
  json?: boolean;
}

/** One generation's exact values; null where the regime has no exact form. */
export interface TheoryRow {
  generation: number;
  sd: { mean: number; log10Mean: number; sd: number; log10Sd: number } | null;
  log10Sd: { mean: number; sd: number } | null;
  mean: { var: number } | null;
  sdSq: { mean: number; log10Mean: number } | null;
  w2sq: { mean: number } | null;
  aboveEpsilon: { markov: number | null; markovLog10: number | null; suresh: number | null; sureshLog10: number | null };
}

/** Everything the command prints. */
export interface TheoryReport {
  spec: RunSpec;
  regime: string;
  /** c = E[R] and r = E[R²] of the per-generation factor R (replace only). */
  perGeneration: { c: number; r: number; lnC: number } | null;
  rows: TheoryRow[];
  reasons: Record<string, string>;
}

/**
 * The values for each generation in `gens` (any order). log10 E[s_T²] and the bounds' log10 are
 * formed in log space from docs/theory.md §4 and §6 (E[s_T²] = s0² τ^(T−1) r^T; Markov (s0/ε)c^T; Suresh
 * (s0/ε)exp(−T/(4n−1))), so they survive where the values themselves underflow.
 */
export function theoryReport(spec: RunSpec, gens: readonly number[]): TheoryReport {
  const sorted = [...gens].sort((a, b) => a - b);
  const th = regimeTheory(spec, sorted);
  const byGen = new Map<number, RowTheory>(sorted.map((g, i) => [g, th.rows[i]!]));
  const replace = th.regime === 'replace';
  const one = replace ? replaceTheory(spec.samples, spec.ddof, spec.sd0, 1, spec.temperature) : null;
  const lnR = Math.log1p((spec.ddof - 1) / (spec.samples - spec.ddof));
  const log10Eps = Math.log10(spec.epsilon);
  const rows = gens.map((g): TheoryRow => {
    const r = byGen.get(g)!;
    const sdSqLog10 = replace
      ? (2 * (Math.log(spec.sd0) + 0.5 * (g - 1) * Math.log(spec.temperature)) + g * lnR) / Math.LN10
      : r.sdSq !== null
        ? Math.log10(r.sdSq.mean)
        : NaN;
    const markovLog10 = r.sd !== null ? Math.min(0, r.sd.log10Mean - log10Eps) : null;
    const sureshLog10 =
      r.aboveEpsilon.suresh !== null
        ? Math.min(0, Math.log10(spec.sd0) - log10Eps - g / ((4 * spec.samples - 1) * Math.LN10))
        : null;
    return {
      generation: g,
      sd: r.sd,
      log10Sd: r.log10Sd,
      mean: r.mean,
      sdSq: r.sdSq === null ? null : { mean: r.sdSq.mean, log10Mean: sdSqLog10 },
      w2sq: r.w2sq,
      aboveEpsilon: { markov: r.aboveEpsilon.markov, markovLog10, suresh: r.aboveEpsilon.suresh, sureshLog10 },
    };
  });
  return {
    spec,
    regime: th.regime,
    perGeneration: one === null ? null : { c: one.c, r: one.r, lnC: one.lnC },
    rows,
    reasons: th.reasons,
  };
}

/** The JSON document --json prints. */
export function theoryDocument(rep: TheoryReport): Record<string, unknown> {
  const s = rep.spec;
  return {
    schemaVersion: 1,
    kind: 'collapse.theory',
    params: { samples: s.samples, ddof: s.ddof, sd0: s.sd0, temperature: s.temperature, regime: s.regime, fresh: s.fresh, synthetic: s.synthetic, epsilon: s.epsilon },
    regime: rep.regime,
    perGeneration: rep.perGeneration,
    generations: rep.rows,
    reasons: rep.reasons,
  };
}

/** A value to 5 significant digits, through its log10 where it underflowed; n/a where null. */
function v(x: number | undefined, log10?: number | null): string {
  if (x === undefined) return 'n/a';
  return formatNumber(x, 5, 'markdown', log10 ?? NaN);
}

/** The human table: one row per quantity, one column per generation. */
export function theoryText(rep: TheoryReport): string {
  const s = rep.spec;
  const regime =
    s.regime === 'fresh' ? `fresh regime (λ = ${s.fresh})` : s.regime === 'augment' ? `augment regime (λ = ${s.synthetic})` : `${s.regime} regime`;
  const tau = s.temperature !== 1 ? `, τ=${s.temperature}` : '';
  const lines = [
    `collapse theory: ${regime}, n=${s.samples}, ddof=${s.ddof}, s0=${s.sd0}${tau}, ε=${s.epsilon} (exact; nothing simulated)`,
    '',
  ];
  if (rep.perGeneration !== null) {
    const g = rep.perGeneration;
    lines.push(
      `per generation: s_{t+1} = s_t·R_t${s.temperature !== 1 ? '·√τ (from t = 1)' : ''}, c = E[R] = ${formatNumber(g.c, 10, 'markdown')}, ` +
        `r = E[R²] = ${formatNumber(g.r, 10, 'markdown')}`,
      '',
    );
  }
  const table: string[][] = [
    ['quantity', ...rep.rows.map((r) => `T=${r.generation}`)],
    ['E[s_T]', ...rep.rows.map((r) => v(r.sd?.mean, r.sd?.log10Mean))],
    ['sd[s_T]', ...rep.rows.map((r) => v(r.sd?.sd, r.sd?.log10Sd))],
    ['E[log10 s_T]', ...rep.rows.map((r) => v(r.log10Sd?.mean))],
    ['sd[log10 s_T]', ...rep.rows.map((r) => v(r.log10Sd?.sd))],
    ['Var[m_T]', ...rep.rows.map((r) => v(r.mean?.var))],
    ['E[s_T²]', ...rep.rows.map((r) => v(r.sdSq?.mean, r.sdSq?.log10Mean))],
    ['E[W2²]', ...rep.rows.map((r) => v(r.w2sq?.mean))],
    ['P(s_T > ε): Markov bound', ...rep.rows.map((r) => v(r.aboveEpsilon.markov ?? undefined, r.aboveEpsilon.markovLog10))],
    ['P(s_T > ε): Suresh bound', ...rep.rows.map((r) => v(r.aboveEpsilon.suresh ?? undefined, r.aboveEpsilon.sureshLog10))],
  ];
  lines.push(...alignRows(table, true));
  const reasons = Object.entries(rep.reasons);
  if (reasons.length > 0) {
    lines.push('', 'n/a:');
    for (const [k, why] of reasons) lines.push(`  ${k}: ${why}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** The whole command: validate, compute, print. */
export function theoryCommand(argv: ArgumentsCamelCase<TheoryArgs>): void {
  const gens = argv.generations === undefined ? [1000] : parseAxis('generations', 'integer', argv.generations).map((a) => parseIntegerFlag('generations', a.text, 1));
  const spec = resolveRunSpec({
    samples: argv.samples,
    generations: String(Math.max(...gens)),
    ddof: argv.ddof,
    sd0: argv.sd0,
    temperature: argv.temperature,
    regime: argv.regime,
    fresh: argv.fresh,
    synthetic: argv.synthetic,
    epsilon: argv.epsilon,
  });
  const deepest = Math.max(...gens);
  if ((spec.regime === 'accumulate' || spec.regime === 'fresh' || spec.regime === 'augment') && deepest > MAX_RECURSION_GENERATIONS) {
    throw new UsageError(
      `--generations must be at most ${MAX_RECURSION_GENERATIONS} for --regime ${spec.regime} (its exact moments come from an O(T) recursion), got ${deepest}`,
    );
  }
  const rep = theoryReport(spec, gens);
  process.stdout.write(argv.json === true ? toJson(theoryDocument(rep)) : theoryText(rep));
}

/** yargs registration. */
export function registerTheory<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'theory',
    'Print the exact values of docs/theory.md (E[s_T], sd, log10 moments, Var[m_T], E[s_T²], E[W2²], bounds) without simulating',
    (b) => {
      const c = b
        .option('samples', { alias: 'n', type: 'string', describe: 'samples per generation, an integer ≥ 2 [default:\u00a01000]' })
        .option('generations', {
          alias: 't',
          type: 'string',
          describe: 'generations T: an integer ≥ 1, a comma list or a range (a..b, a..b:step, a..b:log:k), one column each [default:\u00a01000]',
        })
        .option('ddof', { type: 'string', describe: 'sd estimator: 0 = population sd, 1 = sample sd [default:\u00a00]' })
        .option('sd0', { type: 'string', describe: 'sd of the original distribution, a number > 0 [default:\u00a01]' })
        .option('temperature', { type: 'string', describe: 'τ > 0: the model samples N(mean, τ·sd²) from generation 2 on [default:\u00a01]' })
        .option('regime', { type: 'string', describe: 'replace, accumulate, fresh (needs --fresh), accumulate-subsample or augment (needs --synthetic) [default:\u00a0replace]' })
        .option('fresh', { type: 'string', describe: 'λ from 0 to 1: share of fresh original data per generation (only and always with --regime fresh)' })
        .option('synthetic', { type: 'string', describe: 'λ ≥ 0: synthetic draws per generation, round(λn), added to the n kept originals (only and always with --regime augment)' })
        .option('epsilon', { type: 'string', describe: 'threshold ε of the bounds on P(s_T > ε), a number > 0 [default:\u00a00.1·sd0]' })
        .option('json', { type: 'boolean', default: false, describe: 'print the values as a JSON document' });
      example(c, "the article's E[s_T] = 0.47213 at T = 1000 and 5.503e-4 at T = 10000", 'theory -n 1000 -t 1000,10000');
      return example(c, 'the collapse over six decades of depth', 'theory -n 100 -t 1..1000000:log:7 --ddof 1').epilog(
        'replace: every closed form of docs/theory.md (c and r per generation, the law of s_T and of log10 s_T, Var[m_T], ' +
          "E[s_T²], E[W2²], Markov's bound (s0/ε)c^T and, for ddof 1 and τ = 1, the bound (s0/ε)exp(−T/(4n − 1)) of " +
          'Suresh et al.). accumulate, fresh and augment: the exact Var[m_T] and E[s_T²] from their recursions; the rest is n/a, ' +
          'with the reason. A value below 1e-308 is printed from its log10.',
      );
    },
    (argv) => theoryCommand(argv as ArgumentsCamelCase<TheoryArgs>),
  ) as Argv<T>;
}
