/**
 * `collapse run`: one experiment spec on the worker pool; writes summary.json, trajectory.csv and
 * finals.csv, and prints a table (or the summary document with --json).
 */
import { alignRows } from '../textwidth.js';
import os from 'node:os';
import v8 from 'node:v8';
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import fs from 'node:fs';
import { estimateBytes, runChunkResults, storeBytes } from '../engine.js';
import { relaunchForHugePages } from '../hugepages.js';
import { Progress, PROGRESS_MODES, resolveProgress, type ProgressMode } from '../progress.js';
import { estimateSeconds, longNotice } from '../estimate.js';
import { provenance } from '../provenance.js';
import { parseShard, PART_FILE, PART_SCHEMA_VERSION, shardChunks, writePart, type Shard } from '../shard.js';
import { shown, UsageError } from '../errors.js';
import { defaultWorkers } from '../pool.js';
import { acquireLock, checkFreeSpace, checkOutDir, makeDirs, readResultDocument, removeMade, resultBytes, SUMMARY_FILE } from '../results.js';
import { canonicalSpec, DEFAULTS, parseIntegerFlag, resolveRunSpec, specDifference, specHash, type RawRunFlags, type RunSpec } from '../spec.js';
import { TRAJECTORY_BLOCK_BYTES, TRAJECTORY_COLUMNS, type RowStats } from '../summary.js';
import type { ZKey } from '../zscore.js';
import { executeRun } from '../execute.js';
import { chunkSize, recordCount } from '../plan.js';
import { NF } from '../stats.js';
import { example } from './help.js';
import { allFamilies, familyNames, familyOf } from '../families/index.js';

/** --progress, for run and sweep. */
export const PROGRESS_HELP =
  `progress on stderr: ${PROGRESS_MODES.join(', ')}; auto is the bar on a terminal, a plain line every 10 s inside a Slurm job ` +
  '(SLURM_JOB_ID set), none otherwise [default:\u00a0auto]';

/**
 * Options shared by every command that runs experiments. Values stay strings (yargs' type labels
 * are hidden in cli.ts) so that spec.ts parses and reports them; each description says what the
 * value must be. `workers: false` leaves --workers out (slurm sets it per task).
 */
export function runOptions<T>(y: Argv<T>, opts: { workers?: boolean } = {}) {
  const base = y
    .option('samples', { alias: 'n', type: 'string', describe: `samples drawn per generation, an integer ≥ 2 [default:\u00a0${DEFAULTS.samples}]` })
    .option('generations', { alias: 't', type: 'string', describe: `generations per experiment, an integer ≥ 1 [default:\u00a0${DEFAULTS.generations}]` })
    .option('experiments', { alias: 'e', type: 'string', describe: `independent experiments, an integer ≥ 1 [default:\u00a0${DEFAULTS.experiments}]` })
    .option('ddof', { type: 'string', describe: "sd estimator: 0 = population sd (numpy's default, the article's), 1 = sample sd [default:\u00a00]" })
    .option('mean0', { type: 'string', describe: 'mean of the original distribution, a number [default:\u00a00]' })
    .option('sd0', { type: 'string', describe: 'sd of the original distribution, a number > 0 [default:\u00a01]' })
    .option('seed', { type: 'string', describe: `integer seed, 0 to 2^53 − 1; the same seed gives the same bytes [default:\u00a0${DEFAULTS.seed}]` })
    .option('every', { type: 'string', describe: 'record every k-th generation (and always the last), an integer ≥ 1 [default:\u00a0ceil(T/1000)]' })
    .option('rng', { type: 'string', describe: 'generator: fast (xoshiro128** + 128-region ziggurat), x256 (xoshiro256+ + 256-region ziggurat, one 64-bit word per deviate; other deviates, about 1.2x faster runs) or stdlib (@stdlib/random-base-normal on MT19937) [default:\u00a0fast]' })
    .option('regime', {
      type: 'string',
      describe:
        'what each fit is trained on: replace (the n new samples; the article), accumulate (every sample so far), ' +
        'fresh (round(λn) draws from the original, the rest from the model; needs --fresh), accumulate-subsample ' +
        '(a random n of the accumulated pool; holds n·T values per experiment) or augment (generation 1\'s n originals ' +
        'kept, plus round(λn) model draws; needs --synthetic) [default:\u00a0replace]',
    })
    .option('fresh', { type: 'string', describe: 'λ from 0 to 1: share of fresh original data per generation (only and always with --regime fresh)' })
    .option('synthetic', { type: 'string', describe: 'λ ≥ 0: synthetic draws per generation, round(λn), added to the n kept originals (only and always with --regime augment)' })
    .option('temperature', { type: 'string', describe: 'τ > 0: from generation 2 on the model samples N(mean, τ·sd²); τ < 1 favours typical outputs [default:\u00a01]' })
    .option('method', {
      type: 'string',
      describe:
        "resample (n draws per generation, the literal experiment) or stats (each generation's mean and sum of squares " +
        'drawn from their exact laws, O(1) per generation; not with accumulate-subsample) [default:\u00a0resample]',
    })
    .option('epsilon', { type: 'string', describe: 'report the share of experiments whose sd is above ε, a number > 0 [default:\u00a00.1·sd0]' })
    .option('model', { type: 'string', describe: `model family: ${familyNames().join(', ')} [default:\u00a0${DEFAULTS.model}]` });
  const withFamilies = [...familyFlagHelp()].reduce((acc, [name, describe]) => acc.option(name, { type: 'string', describe }), base);
  return opts.workers === false
    ? withFamilies
    : withFamilies.option('workers', { alias: 'w', type: 'string', describe: 'worker threads, 1 to 1024; never changes a result [default:\u00a0available parallelism]' });
}

/**
 * Each family flag's --help text, in registry order: a name that two families share (--dim) is
 * registered once, its text each family's own, prefixed with the family where there are several.
 */
export function familyFlagHelp(): Map<string, string> {
  const by = new Map<string, [string, string][]>();
  for (const f of allFamilies()) for (const g of f.flags) by.set(g.name, [...(by.get(g.name) ?? []), [f.name, g.describe]]);
  const out = new Map<string, string>();
  for (const [name, texts] of by) out.set(name, texts.length === 1 ? texts[0]![1] : texts.map(([m, t]) => `--model ${m}: ${t}`).join('; '));
  return out;
}

/**
 * Parses --workers: an integer from 1 to 1024, default the available parallelism. More workers than
 * that are allowed (the bytes do not depend on it) but warned about: each worker holds its own
 * buffers and the threads only take turns (-n 100 -t 300 -e 20000 on 2 cores: -w 2 37 s and 0.2 GB,
 * -w 64 137 s and 1.1 GB, same bytes).
 */
export function resolveWorkers(raw: unknown): number {
  if (raw === undefined) return defaultWorkers();
  const workers = parseIntegerFlag('workers', raw, 1, 1024);
  const cpus = defaultWorkers();
  if (workers > cpus) {
    process.stderr.write(
      `collapse: warning: --workers ${workers} is more than the ${cpus} CPU${cpus === 1 ? '' : 's'} this process may use ` +
        `(os.availableParallelism()); the extra workers add memory and thread switching, not speed\n`,
    );
  }
  return workers;
}

/** Memory a run may use: COLLAPSE_MEMORY_LIMIT bytes if set, else half of this machine's memory. */
export function memoryLimit(): number {
  const env = process.env['COLLAPSE_MEMORY_LIMIT'];
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return Math.floor(os.totalmem() / 2);
}

/** Bytes as GiB or MiB with one decimal, or whole KiB below a MiB (never 0.0 MiB). */
export function gib(bytes: number): string {
  if (bytes < 2 ** 20) return `${Math.ceil(bytes / 2 ** 10)} KiB`;
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * JavaScript heap bytes each recorded generation keeps until a run's files are written: its
 * theory, its metrics' theory and its digest; 3.5 KB at d = 1 (four metrics), a third over the 2.7
 * KB measured there (10^5 rows failed in a 250 MB heap and ran in 300 MB).
 */
function rowHeapBytes(spec: RunSpec): number {
  return 1024 + 512 * (1 + familyOf(spec.model).metrics.length);
}

/** Heap bytes a run's summaries hold besides its recorded rows: trajectory.csv's block of rows, and the rest of the program. */
const HEAP_BASE = TRAJECTORY_BLOCK_BYTES + 96 * 2 ** 20;

/**
 * Refuses, before any work, a spec whose recorded generations' statistics would outgrow this
 * process's JavaScript heap (V8's limit, which node's --max-old-space-size sets, about 4 GiB by
 * default whatever the machine's memory): the run would end in a crash after its work.
 */
export function checkHeap(spec: RunSpec): void {
  const rows = recordCount(spec.generations, spec.every);
  const per = rowHeapBytes(spec);
  const limit = v8.getHeapStatistics().heap_size_limit;
  if (HEAP_BASE + rows * per <= limit) return;
  const rowsMax = Math.max(1, Math.floor((limit - HEAP_BASE) / per));
  throw new UsageError(
    `--every ${spec.every} records ${rows} generations, whose statistics need about ${gib(HEAP_BASE + rows * per)} of JavaScript heap ` +
      `(this process's limit is ${gib(limit)}; NODE_OPTIONS=--max-old-space-size=<MiB> raises it); use --every ${Math.ceil(spec.generations / rowsMax)} or more`,
  );
}

/** Refuses, before any work, a spec whose recorded statistics would not fit in memory; else returns its estimate (estimateBytes). */
export function checkMemory(spec: RunSpec, workers: number): number {
  const need = estimateBytes(spec, workers);
  const limit = memoryLimit();
  if (need <= limit) {
    // then the JavaScript heap, which is smaller than the machine's memory on most machines
    checkHeap(spec);
    return need;
  }
  const family = familyOf(spec.model);
  const perWorker = family.workerBytes(spec);
  if (perWorker * workers > limit / 2) {
    const what =
      spec.regime === 'accumulate-subsample'
        ? perWorker / 8 === spec.samples * spec.generations
          ? `--regime accumulate-subsample keeps n·T = ${perWorker / 8} values per experiment in flight`
          : `--regime accumulate-subsample keeps its n·T drawn vectors, ${perWorker / 8} values per experiment with scratch, in flight`
        : `--model ${spec.model} with these flags holds ${perWorker / 8} values per experiment in flight`;
    throw new UsageError(
      `${what}, ${gib(perWorker)} on each of ${workers} worker${workers === 1 ? '' : 's'} (limit ${gib(limit)}: half of this ` +
        `machine's, or COLLAPSE_MEMORY_LIMIT); use fewer --generations or --samples, or fewer --workers`,
    );
  }
  const rows = recordCount(spec.generations, spec.every);
  const E = spec.experiments;
  const K = family.metrics.length;
  const perRow = E * 8 * (1 + K) + workers * chunkSize(spec) * 8 * (3 + K) + NF * 8 * (2 * workers + 4);
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

/**
 * A value that may have underflowed to 0: shown through its log10 then (at least 5 significant
 * digits, two decimals at the depths where doubles underflow, whatever `digits` the value gets).
 */
export function tiny(x: number, log10: number, digits = 5): string {
  if (Number.isNaN(x)) return 'n/a';
  return x > 0 || !Number.isFinite(log10) ? fmt(x, digits) : `10^${fmt(log10, Math.max(digits, 5))}`;
}

/** The human-readable table: simulated beside theory, with z-scores (or why each is left out). */
export function humanTable(spec: RunSpec, workers: number, f: RowStats, wall: number, rate: number, out: string): string {
  const E = spec.experiments;
  const th = f.theory;
  const se = (k: ZKey) => (Number.isNaN(f.z.se[k]) || f.z.se[k] === Infinity ? '' : tiny(f.z.se[k], f.z.seLog10[k], 3));
  const z = (k: ZKey) => f.z.cells[k] ?? (Number.isNaN(f.z[k]) ? '' : fmt(f.z[k], 3));
  const val = (x: number | undefined, log10?: number) => (x === undefined ? 'n/a' : tiny(x, log10 ?? NaN));
  const bound = th.aboveEpsilon.suresh !== null
    ? `≤ ${tiny(th.aboveEpsilon.suresh, th.aboveEpsilon.sureshLog10 ?? NaN, 3)} (Suresh)`
    : th.aboveEpsilon.markov !== null
      ? `≤ ${tiny(th.aboveEpsilon.markov, th.aboveEpsilon.markovLog10 ?? NaN, 3)} (Markov)`
      : 'n/a';
  const q = (p: string, digits: number) => tiny(f.sd[p]!, f.sd[`log10P${p.slice(1)}`]!, digits);
  const rows: string[][] = [
    ['statistic (final generation)', 'simulated', '± s.e.', 'theory', 'z'],
    ['sd: mean', tiny(f.sd['mean']!, f.sd['log10Mean']!), se('sdMean'), val(th.sd?.mean, th.sd?.log10Mean), z('sdMean')],
    ['sd: sd', tiny(f.sd['sd']!, f.sd['log10Sd']!), '', val(th.sd?.sd, th.sd?.log10Sd), ''],
    ['sd: median [p05, p95]', `${q('p50', 4)} [${q('p05', 3)}, ${q('p95', 3)}]`, '', '', ''],
    ['sd²: mean', tiny(f.sdSq.mean, f.sdSq.log10Mean), se('sdSqMean'), val(th.sdSq?.mean, th.sdSq?.log10Mean), z('sdSqMean')],
    ['log10 sd: mean', fmt(f.log10Sd['mean']!), se('log10SdMean'), val(th.log10Sd?.mean), z('log10SdMean')],
    ['log10 sd: sd', fmt(f.log10Sd['sd']!), '', val(th.log10Sd?.sd), ''],
    ['model mean: var', fmt(f.mean.var), se('meanVar'), val(th.mean?.var), z('meanVar')],
    ['W2² to original: mean', fmt(f.w2sq.mean), se('w2sqMean'), val(th.w2sq?.mean), z('w2sqMean')],
    [`share with sd > ${fmt(spec.epsilon, 3)}`, fmt(f.aboveEpsilon, 4), '', bound, ''],
  ];
  // the scalar rows where the family has a scalar summary for this spec; then every metric
  if (!f.metrics.scalar) rows.splice(1);
  for (const def of f.metrics.defs) {
    if (f.metrics.scalar && TRAJECTORY_COLUMNS.includes(`${def.column}_mean` as never)) continue; // shown in the scalar block
    const st = f.metrics.stats[def.name]!;
    const t = f.metrics.theory[def.name] ?? null;
    const sd = t?.sd ?? st.sd;
    const zm = f.metrics.z[def.name]!;
    const zCell = Number.isNaN(zm) ? (f.metrics.zCells[def.name] ?? '') : fmt(zm, 3);
    // a strictly positive metric's NA is a value that underflowed (summary.ts metricRow): said so
    const shown = (x: number) => (def.strictlyPositive === true && Number.isNaN(x) ? 'underflow' : fmt(x));
    rows.push([`${def.label}: mean`, shown(st.mean), Number.isNaN(sd) ? '' : fmt(sd / Math.sqrt(E), 3), t === null ? 'n/a' : shown(t.mean), zCell]);
    // a published bound on this mean, beside it (no z: a bound has no standard error)
    for (const b of familyOf(spec.model).bounds ?? []) {
      if (b.metric !== def.name) continue;
      const v = f.metrics.bounds[b.name] ?? null;
      rows.push([`${def.label}: bound`, '', '', v === null ? 'n/a' : `${b.side === 'lower' ? '≥' : '≤'} ${fmt(v)} (${b.source})`, '']);
    }
  }
  const lines = alignRows(rows, true);
  const regime =
    spec.regime === 'fresh'
      ? `fresh regime (λ = ${spec.fresh})`
      : spec.regime === 'augment'
        ? `augment regime (λ = ${spec.synthetic})`
        : `${spec.regime} regime`;
  const model = f.metrics.scalar ? '' : `${spec.model} (${Object.entries(spec.modelParams).map(([k, v]) => `${k}=${v}`).join(', ')})`;
  const extras = [model, spec.temperature !== 1 ? `τ=${spec.temperature}` : '', spec.method !== 'resample' ? `method=${spec.method}` : '']
    .filter((x) => x !== '')
    .join(', ');
  const unit = spec.method === 'stats' ? 'generation steps/s' : 'normals/s';
  const fewE = [...Object.values(f.z.cells), ...Object.values(f.metrics.zCells)].some((c) => c.startsWith('E '));
  const left = Object.keys(f.z.reasons).length > 0 && Object.values(f.z.cells).some((c) => c !== 'n/a');
  return [
    `collapse run: ${regime}, n=${spec.samples} samples, T=${spec.generations} generations, ` +
      `E=${E} experiments, ddof=${spec.ddof}, rng=${spec.rng}, seed=${spec.seed}${extras ? `, ${extras}` : ''}`,
    '',
    ...lines,
    '',
    ...(fewE
      ? [`E=${E} experiments are too few for some z-scores (cells "E < N"): their means are not yet near-normal; z.reasons in summary.json says why`]
      : left
        ? ['z left out where the statistic is far from normal ("heavy tail"); z.reasons in summary.json says why']
        : []),
    `${fmt(wall, 3)} s on ${workers} worker${workers === 1 ? '' : 's'}, ${fmt(rate / 1e6, 4)}M ${unit}; results in ${out}`,
    '',
  ].join('\n');
}

interface RunArgs extends RawRunFlags {
  workers?: unknown;
  out?: string;
  json?: boolean;
  shard?: unknown;
  plot?: boolean;
  force?: boolean;
  progress?: unknown;
}

/** What claimOut holds: call done(true) after a written result, done(false) on any failure. */
interface Claim {
  done(ok: boolean): void;
}

/**
 * Claims the result directory `out` before any work: makes its parents, takes its lock (the one
 * mechanism sweeps use; the file is .<name>.lock beside `out`, because `out` itself is replaced by
 * a rename), and, unless `force`, refuses to replace a result of another spec, naming the first
 * differing field and both values. Replacing a result of the same spec is a re-run and allowed.
 * done(false) releases the lock and removes the parents it made, so a refusal leaves nothing behind.
 */
export function claimOut(out: string, spec: RunSpec, force: boolean, marker: string): Claim {
  const abs = path.resolve(out);
  const made = makeDirs(path.dirname(abs), 'out', out);
  let release: () => void;
  try {
    release = acquireLock(path.join(path.dirname(abs), `.${path.basename(abs)}.lock`), out, 'run');
  } catch (err) {
    removeMade(made);
    throw err;
  }
  const claim: Claim = {
    done(ok) {
      release();
      if (!ok) removeMade(made);
    },
  };
  const file = path.join(abs, marker);
  if (force || !fs.existsSync(file)) return claim;
  let why: string | null;
  try {
    const doc = marker === PART_FILE ? readResultDocument(file, 'collapse.part', PART_SCHEMA_VERSION) : readResultDocument(file, 'collapse.run');
    const prev = (marker === PART_FILE ? doc['spec'] : doc['params']) as Record<string, unknown> | undefined;
    const d = specDifference(canonicalSpec(spec), prev ?? {});
    why = d === null ? null : `${d.field} is ${shown(d.a)} here but ${shown(d.b)} in ${file}`;
  } catch (err) {
    why = `${file} cannot be read here (${(err as Error).message.split('\n')[0]})`;
  }
  if (why === null) return claim;
  claim.done(false);
  throw new UsageError(`--out ${out} holds a result of another spec: ${why}; add --force to replace it, or choose another --out`);
}

/** Runs `work` holding the claim on `out` (claimOut); a failure releases it and removes what it made. */
export async function withClaim<T>(out: string, spec: RunSpec, force: boolean, marker: string, work: () => Promise<T>): Promise<T> {
  const claim = claimOut(out, spec, force, marker);
  let result: T;
  try {
    result = await work();
  } catch (err) {
    claim.done(false);
    throw err;
  }
  claim.done(true);
  return result;
}

/** `run --shard`: runs one slice of the chunk plan and writes a partial result for `collapse merge`. */
async function runShard(spec: RunSpec, workers: number, argv: ArgumentsCamelCase<RunArgs>, mode: Exclude<ProgressMode, 'auto'>): Promise<void> {
  const shard = parseShard(argv.shard);
  const out = argv.out ?? path.join('results', `run-${specHash(spec)}.part-${shard.index}-of-${shard.count}`);
  checkOutDir(out, PART_FILE);
  await withClaim(out, spec, argv.force === true, PART_FILE, () => runShardInto(out, spec, shard, workers, argv, mode));
}

/** The shard's work once its --out is claimed: run its chunks, write the part, report. */
async function runShardInto(
  out: string,
  spec: RunSpec,
  shard: Shard,
  workers: number,
  argv: ArgumentsCamelCase<RunArgs>,
  mode: Exclude<ProgressMode, 'auto'>,
): Promise<void> {
  const chunks = shardChunks(spec, shard);
  const experiments = chunks.reduce((a, c) => a + c.count, 0);
  process.stderr.write(longNotice(`shard ${shard.index}/${shard.count}`, estimateSeconds({ ...spec, experiments }, workers), workers) ?? '');
  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  const progress = new Progress(`collapse run, shard ${shard.index}/${shard.count}`, mode);
  const results = await runChunkResults(spec, workers, chunks, (d, t) => progress.update(d, t, `${d}/${t} chunks`));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  progress.done();
  const draws = results.reduce((a, r) => a + r.draws, 0);
  writePart(out, spec, shard, results, { wallSeconds: wall, draws }, provenance(workers, startedAt, new Date()));
  const range = chunks.length === 0 ? 'no chunks (more shards than chunks)' : `chunks ${chunks[0]!.index}..${chunks[chunks.length - 1]!.index} (${experiments} experiments)`;
  const line = `collapse run: shard ${shard.index}/${shard.count} of spec ${specHash(spec)}: ${range} in ${fmt(wall, 3)} s; partial result in ${out}\n`;
  if (argv.json === true) process.stdout.write(fs.readFileSync(path.join(out, PART_FILE), 'utf8'));
  else process.stdout.write(line);
}

/** The whole command: validate, check, run, write, report. */
export async function runCommand(argv: ArgumentsCamelCase<RunArgs>): Promise<void> {
  const spec = resolveRunSpec(argv);
  const workers = resolveWorkers(argv.workers);
  checkMemory(spec, workers);
  await relaunchForHugePages(storeBytes(spec));
  if (argv.out !== undefined && typeof argv.out !== 'string') throw new UsageError(`--out must be a directory path, got ${String(argv.out)}`);
  if (argv.out !== undefined && argv.out.trim() === '') throw new UsageError('--out must be a directory path, got ""');
  const mode = resolveProgress(argv.progress);
  if (argv.shard !== undefined) return runShard(spec, workers, argv, mode);
  const out = argv.out ?? path.join('results', `run-${specHash(spec)}`);
  checkOutDir(out);
  // results plus about 1 MiB of figures
  checkFreeSpace(out, resultBytes(spec) + (argv.plot === false ? 0 : 2 ** 20));
  // the results first, then the figures (whose failure is one line on stderr, see drawFigures),
  // all under the claim on --out so that no other collapse writes there meanwhile
  const figures = await withClaim(out, spec, argv.force === true, SUMMARY_FILE, async () => {
    process.stderr.write(longNotice('this run', estimateSeconds(spec, workers), workers) ?? '');
    const r = await executeRun(spec, workers, out, 'collapse run', mode);
    if (argv.json === true) process.stdout.write(r.summary);
    else {
      const rate = spec.method === 'stats' ? r.timing.generationStepsPerSecond : r.timing.normalsPerSecond;
      process.stdout.write(humanTable(spec, workers, r.final, r.timing.wallSeconds, rate, out));
    }
    return argv.plot === false ? [] : await drawFigures(out);
  });
  if (argv.json !== true && figures.length > 0) process.stdout.write(`figures in ${path.dirname(figures[0]!)}\n`);
}

/**
 * Draws a result directory's figures (Vega is loaded only here: about 2 s). The results are
 * already safe on disk, so a failure here is reported in one line on stderr and does not fail
 * the run, sweep or merge (exit 0).
 */
export async function drawFigures(dir: string): Promise<string[]> {
  try {
    const { plotDirectory } = await import('../plot/index.js');
    return await plotDirectory(dir);
  } catch (err) {
    const why = String((err as Error).message ?? err).replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`collapse: warning: results are in ${dir}, but drawing the figures failed: ${why}; retry with collapse plot ${dir}\n`);
    return [];
  }
}

/** yargs registration. */
export function registerRun<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'run',
    'Run the refit-and-resample experiment (defaults: the article, n = T = E = 1000)',
    (b) => {
      const c = runOptions(b)
        .option('out', {
          alias: 'o',
          type: 'string',
          describe: 'result directory [default:\u00a0results/run-<spec hash>; with --shard: results/run-<spec hash>.part-<i>-of-<N>]',
        })
        .option('json', { type: 'boolean', default: false, describe: 'print the summary document on stdout and nothing else there' })
        .option('plot', { type: 'boolean', default: true, describe: 'draw the figures into DIR/figures, about 2 s [default:\u00a0on; --no-plot skips them]' })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'replace a result in --out of another spec (one of the same spec is replaced without it: a re-run)',
        })
        .option('progress', { type: 'string', describe: PROGRESS_HELP })
        .option('shard', {
          type: 'string',
          describe:
            'run only shard i of N of the chunk plan and write a partial result for collapse merge: i/N, auto (a Slurm ' +
            'job array: SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT) or auto/N (the index ' +
            "from Slurm or from a Kubernetes Indexed Job's JOB_COMPLETION_INDEX)",
        });
      example(c, "the article's experiment: n = T = E = 1000, figures included", 'run');
      example(c, 'a deeper chain with the sample sd, into results/deep', 'run -n 100 -t 10000 -e 200 --ddof 1 -o results/deep');
      return example(c, 'shard 0 of 4 of a large run (then collapse merge)', 'run -e 100000 --shard 0/4 -o parts/part-0');
    },
    (argv) => runCommand(argv as ArgumentsCamelCase<RunArgs>),
  ) as Argv<T>;
}
