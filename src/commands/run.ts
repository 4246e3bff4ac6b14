/**
 * `collapse run`: one experiment spec on the worker pool; writes summary.json, trajectory.csv and
 * finals.csv, and prints a table (or the summary document with --json).
 */
import os from 'node:os';
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { estimateBytes, runSpec } from '../engine.js';
import { UsageError } from '../errors.js';
import { defaultWorkers } from '../pool.js';
import { Progress } from '../progress.js';
import { provenance } from '../provenance.js';
import { checkOutDir, writeResultDir } from '../results.js';
import { DEFAULTS, parseIntegerFlag, resolveRunSpec, specHash, type RawRunFlags, type RunSpec } from '../spec.js';
import { allRows, finalsCsv, summaryDocument, toJson, trajectoryCsv, type RowStats } from '../summary.js';
import { chunkSize, recordCount } from '../plan.js';
import { NF } from '../stats.js';

/** Options shared by every command that runs experiments. */
export function runOptions<T>(y: Argv<T>) {
  return y
    .option('samples', { alias: 'n', type: 'string', describe: `samples drawn per generation [default: ${DEFAULTS.samples}]` })
    .option('generations', { alias: 't', type: 'string', describe: `generations per experiment [default: ${DEFAULTS.generations}]` })
    .option('experiments', { alias: 'e', type: 'string', describe: `independent experiments [default: ${DEFAULTS.experiments}]` })
    .option('ddof', { type: 'string', describe: 'sd estimator: 0 = population sd (numpy default, the article), 1 = sample sd [default: 0]' })
    .option('mean0', { type: 'string', describe: 'mean of the original distribution [default: 0]' })
    .option('sd0', { type: 'string', describe: 'sd of the original distribution, > 0 [default: 1]' })
    .option('seed', { type: 'string', describe: `integer seed, 0 to 2^53 − 1 [default: ${DEFAULTS.seed}]` })
    .option('every', { type: 'string', describe: 'record the trajectory every k generations (the last is always recorded) [default: ceil(T / 1000)]' })
    .option('rng', { type: 'string', describe: 'generator: fast (xoshiro128** + ziggurat) or stdlib (@stdlib/random-base-normal on MT19937) [default: fast]' })
    .option('workers', { alias: 'w', type: 'string', describe: 'worker threads [default: available parallelism]' });
}

/** Parses --workers: an integer from 1 to 1024, default the available parallelism. */
export function resolveWorkers(raw: unknown): number {
  return raw === undefined ? defaultWorkers() : parseIntegerFlag('workers', raw, 1, 1024);
}

/** Memory a run may use: COLLAPSE_MEMORY_LIMIT bytes if set, else half of this machine's memory. */
export function memoryLimit(): number {
  const env = process.env['COLLAPSE_MEMORY_LIMIT'];
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return Math.floor(os.totalmem() / 2);
}

function gib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Refuses, before any work, a spec whose recorded statistics would not fit in memory. */
export function checkMemory(spec: RunSpec, workers: number): void {
  const need = estimateBytes(spec, workers);
  const limit = memoryLimit();
  if (need <= limit) return;
  const rows = recordCount(spec.generations, spec.every);
  const E = spec.experiments;
  const perRow = E * 8 + workers * chunkSize(spec) * 24 + NF * 8 * (2 * workers + 4);
  const rowsMax = Math.floor((limit - E * 24) / perRow);
  const way =
    rowsMax >= 1
      ? `use --every ${Math.ceil(spec.generations / rowsMax)} or more`
      : 'use fewer --experiments (or split the run with shards)';
  throw new UsageError(
    `--every ${spec.every} records ${rows} generations of ${E} experiments, which needs about ${gib(need)} of memory ` +
      `(limit ${gib(limit)}: half of this machine's, or COLLAPSE_MEMORY_LIMIT); ${way}`,
  );
}

/** Significant-figure formatting for the human table. */
export function fmt(x: number, digits = 5): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NA' : String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-4 && a < 1e6) return Number(x.toPrecision(digits)).toString();
  return x.toExponential(digits - 1);
}

/** The human-readable table: simulated beside theory, with z-scores. */
export function humanTable(spec: RunSpec, workers: number, f: RowStats, wall: number, rate: number, out: string): string {
  const E = spec.experiments;
  const se = (sd: number) => sd / Math.sqrt(E);
  const sdMean = f.sd['mean']! > 0 ? fmt(f.sd['mean']!) : `10^${fmt(f.sd['log10Mean']!)}`;
  const thSdMean = f.theory.sd.mean > 0 ? fmt(f.theory.sd.mean) : `10^${fmt(f.theory.sd.log10Mean)}`;
  const rows: string[][] = [
    ['statistic (final generation)', 'simulated', '± s.e.', 'theory', 'z'],
    ['sd: mean', sdMean, fmt(se(f.theory.sd.sd), 3), thSdMean, fmt(f.z.sdMean, 3)],
    ['sd: sd', fmt(f.sd['sd']!), '', fmt(f.theory.sd.sd), ''],
    ['sd: median [p05, p95]', `${fmt(f.sd['p50']!, 4)} [${fmt(f.sd['p05']!, 3)}, ${fmt(f.sd['p95']!, 3)}]`, '', '', ''],
    ['log10 sd: mean', fmt(f.log10Sd['mean']!), fmt(se(f.theory.log10Sd.sd), 3), fmt(f.theory.log10Sd.mean), fmt(f.z.log10SdMean, 3)],
    ['log10 sd: sd', fmt(f.log10Sd['sd']!), '', fmt(f.theory.log10Sd.sd), ''],
    ['model mean: var', fmt(f.mean.var), '', fmt(f.theory.mean.var), fmt(f.z.meanVar, 3)],
    ['W2² to original: mean', fmt(f.w2sq.mean), fmt(se(f.w2sq.sd), 3), fmt(f.theory.w2sq.mean), fmt(f.z.w2sqMean, 3)],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return [
    `collapse run: replace regime, n=${spec.samples} samples, T=${spec.generations} generations, ` +
      `E=${E} experiments, ddof=${spec.ddof}, rng=${spec.rng}, seed=${spec.seed}`,
    '',
    ...lines,
    '',
    `${fmt(wall, 3)} s on ${workers} worker${workers === 1 ? '' : 's'}, ${fmt(rate / 1e6, 4)}M normals/s; results in ${out}`,
    '',
  ].join('\n');
}

interface RunArgs extends RawRunFlags {
  workers?: unknown;
  out?: string;
  json?: boolean;
}

/** The whole command: validate, check, run, write, report. */
export async function runCommand(argv: ArgumentsCamelCase<RunArgs>): Promise<void> {
  const spec = resolveRunSpec(argv);
  const workers = resolveWorkers(argv.workers);
  checkMemory(spec, workers);
  if (argv.out !== undefined && typeof argv.out !== 'string') throw new UsageError(`--out must be a directory path, got ${String(argv.out)}`);
  const out = argv.out ?? path.join('results', `run-${specHash(spec)}`);
  if (out.trim() === '') throw new UsageError('--out must be a directory path, got ""');
  checkOutDir(out);

  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  const progress = new Progress('collapse run');
  const outcome = await runSpec(spec, workers, (d, t) => progress.update(d, t));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  progress.done();
  const rows = allRows(outcome);
  const final = rows[rows.length - 1]!;
  const timing = { wallSeconds: wall, normalsPerSecond: outcome.draws / wall, draws: outcome.draws };
  const doc = summaryDocument(spec, workers, final, timing, provenance(workers, startedAt, new Date()));
  const summary = toJson(doc);
  writeResultDir(out, {
    'trajectory.csv': trajectoryCsv(rows),
    'finals.csv': finalsCsv(outcome),
    'summary.json': summary,
  });
  if (argv.json === true) process.stdout.write(summary);
  else process.stdout.write(humanTable(spec, workers, final, wall, timing.normalsPerSecond, out));
}

/** yargs registration. */
export function registerRun<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'run',
    'Run the refit-and-resample experiment (defaults: the article, n = T = E = 1000)',
    (b) =>
      runOptions(b)
        .option('out', { alias: 'o', type: 'string', describe: 'result directory [default: results/run-<spec hash>]' })
        .option('json', { type: 'boolean', default: false, describe: 'print the summary document on stdout and nothing else there' })
        .example('$0 run', "the article's experiment")
        .example('$0 run -n 100 -t 10000 -e 200 --ddof 1 -o results/deep', 'a deeper chain with the sample sd'),
    (argv) => runCommand(argv as ArgumentsCamelCase<RunArgs>),
  ) as Argv<T>;
}
