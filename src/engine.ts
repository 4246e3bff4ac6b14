/**
 * The coordinator: plans a run's chunks, runs them on the pool, and merges their statistics in
 * chunk order into a RunOutcome. Knows nothing of files or the command line.
 */
import { chunkSize, JOIN_VALUES, planChunks, recordCount, workPerExperiment, type Chunk } from './plan.js';
import { familyOf } from './families/index.js';
import { runTasksInline, TaskError } from './pool.js';
import { BatchRunner } from './pool.js';
import type { ChunkResult, ChunkTask, RecordStore, SummaryTask } from './protocol.js';
import { chunkFailed, RuntimeError } from './errors.js';
import { CSV_CELL, finalsCells } from './results.js';
import { TRAJECTORY_BLOCK, TRAJECTORY_ROW_BYTES } from './summary.js';
import { digestWidth } from './digest.js';
import { kernelOf, type MetricsFromScalar } from '../workers/families/index.js';
import { specCommand, type RunSpec } from './spec.js';
import { emptyMoments, mergeMoments, NF, type Moments } from './stats.js';
import { finalsRows } from './csv.js';

/** Everything a run produced, independent of how it was split. */
export interface RunOutcome {
  spec: RunSpec;
  rows: number;
  /** Moments merged over all experiments in chunk order. */
  moments: Moments;
  /** ln sd per recorded row, one Float64Array(E) each, in experiment order. */
  lnSd: Float64Array[];
  /** Final model mean per experiment. */
  finalMean: Float64Array;
  /** The family's metrics: metrics[k][row] holds metric k at that recorded row, in experiment order. */
  metrics: Float64Array[][];
  draws: number;
  /**
   * The O(E) part of every recorded row's statistics (src/digest.ts), rows · digestWidth numbers,
   * where the engine computed it on the pool; summaries compute it themselves where absent.
   */
  digest?: Float64Array;
  /**
   * finals.csv's rows (no header) as ASCII bytes in chunk order, formatted chunk by chunk as the
   * chunks arrived, while the pool worked; finalsParts formats them itself where absent. The same
   * text either way (csv.ts finalsRows over consecutive ranges of experiments).
   */
  finalsBody?: readonly Uint8Array[];
}

/**
 * Bytes a run holds at its peak, for the up-front memory check: the recorded values (stored once,
 * shared with the workers), and the larger of the two phases' working memory: chunks in flight
 * (each worker's buffers, and a copy of a shard's results in the coordinator), then the
 * per-generation statistics (a scratch row per worker and, for a derived store, its rows in the
 * summary module, two in the coordinator, the digest); then
 * the result files' text that is held before it is written (finals.csv whole, trajectory.csv a
 * block of rows at a time).
 */
export function estimateBytes(spec: RunSpec, workers: number): number {
  const rows = recordCount(spec.generations, spec.every);
  const E = spec.experiments;
  const chunk = chunkSize(spec);
  const family = familyOf(spec.model);
  const K = family.metrics.length;
  const derived = workOf(spec) >= INLINE_WORK && deriveOf(spec) !== null;
  const store = storeBytes(spec);
  // a worker's buffers: one chunk's, or a joined call's of up to JOIN_VALUES a plane (runBatch)
  const held = Math.max(chunk * rows, kernelOf(spec.model).joinable(kernelSpecOf(spec)) ? Math.min(E * rows, JOIN_VALUES) : 0);
  const inFlight = workers * (held * 8 * (3 + K) + rows * NF * 8 * 2);
  // a worker's scratch row, and for a derived store its row of (ln sd, mean) and K metrics in the
  // WebAssembly module's memory (workers/wasm-summary.ts), which the thread keeps
  const summary = (workers * (derived ? 3 + K : 1) + 2) * E * 8 + rows * digestWidth(E, K) * 8 * 2;
  const merged = rows * NF * 8 * 4;
  const pools = workers * family.workerBytes(spec);
  // finals.csv's text, held as bytes until written; and trajectory.csv's block of rows in the heap
  const finals = E * finalsCells(spec) * CSV_CELL;
  const trajectory = Math.min(rows, TRAJECTORY_BLOCK) * TRAJECTORY_ROW_BYTES;
  return store + Math.max(inFlight, summary) + merged + pools + finals + trajectory;
}

/**
 * The recorded values' store of a run of `spec` (every recorded generation of every experiment, in
 * large blocks written once): the part of estimateBytes that huge pages serve (src/hugepages.ts).
 */
export function storeBytes(spec: RunSpec): number {
  const rows = recordCount(spec.generations, spec.every);
  const E = spec.experiments;
  const derived = workOf(spec) >= INLINE_WORK && deriveOf(spec) !== null;
  return E * rows * 8 * (derived ? 2 : 1 + familyOf(spec.model).metrics.length) + E * 8 * 3;
}

/** The family kernel's metrics-from-(ln sd, mean) function for this spec, or null. */
function deriveOf(spec: RunSpec): MetricsFromScalar | null {
  return kernelOf(spec.model).deriveMetrics(kernelSpecOf(spec));
}

/**
 * Assembles a run's outcome from chunk results that arrive in any order: recorded values are copied
 * into place on arrival (so a result's buffers can be dropped at once), moments are merged strictly
 * in chunk order from an empty accumulator. Used by a single-machine run and by the merge of
 * shards alike, which is why they give the same bytes. With `derive` (a pool run whose metrics
 * are a function of (ln sd, mean)) it stores the ln sd and the mean only, and forms a row's
 * metrics where something asks for them (the final row's, for finals.csv).
 */
class OutcomeBuilder {
  private next = 0;
  private draws = 0;
  private readonly waiting = new Map<number, { m: Moments; chunks: number }>();
  private readonly moments: Moments;
  private readonly lnSd: Float64Array[] = [];
  private readonly finalMean: Float64Array;
  private readonly metrics: Float64Array[][] = [];
  /** The recorded values, one shared plane per quantity; lnSd and metrics are views of its rows. */
  readonly store: RecordStore;
  /** finals.csv's rows of each result that has arrived, by its first chunk's index. */
  private readonly finalsParts = new Map<number, Uint8Array>();
  /** The final row's metrics (derived ones formed chunk by chunk for finalsParts), by experiment. */
  private readonly finalMetrics: Float64Array[];

  constructor(
    private readonly spec: RunSpec,
    private readonly derive: MetricsFromScalar | null = null,
  ) {
    const rows = recordCount(spec.generations, spec.every);
    const E = spec.experiments;
    const K = familyOf(spec.model).metrics.length;
    this.store = { experiments: E, derived: derive !== null, planes: [] };
    for (let p = 0; p < (derive !== null ? 2 : 1 + K); p++) this.store.planes.push(new SharedArrayBuffer(rows * E * 8));
    const view = (p: number, r: number) => new Float64Array(this.store.planes[p]!, r * E * 8, E);
    for (let r = 0; r < rows; r++) this.lnSd.push(view(0, r));
    for (let k = 0; k < K; k++) {
      const perRow: Float64Array[] = derive === null ? [] : new Array<Float64Array>(rows);
      if (derive === null) for (let r = 0; r < rows; r++) perRow.push(view(1 + k, r));
      this.metrics.push(perRow);
    }
    if (derive !== null) {
      // each row's metrics formed on first access (all K at once), then kept as plain entries
      const form = (r: number): void => {
        const buf = new Float64Array(K * E);
        derive(view(0, r), view(1, r), buf, E);
        for (let k = 0; k < K; k++) {
          const value = buf.subarray(k * E, (k + 1) * E);
          Object.defineProperty(this.metrics[k], r, { value, writable: true, enumerable: true, configurable: true });
        }
      };
      for (let k = 0; k < K; k++) {
        for (let r = 0; r < rows; r++) {
          Object.defineProperty(this.metrics[k], r, {
            enumerable: true,
            configurable: true,
            get: () => {
              form(r);
              return this.metrics[k]![r];
            },
          });
        }
      }
    }
    this.finalMean = new Float64Array(E);
    this.moments = emptyMoments(rows);
    this.finalMetrics = derive === null ? [] : Array.from({ length: K }, () => new Float64Array(E));
  }

  /**
   * finals.csv's rows of experiments [start, start + count), whose final values have all arrived:
   * formatted now, while the pool works and this thread would wait, instead of all at the end.
   * Derived metrics (elementwise in the experiments: MetricsFromScalar) are formed for these
   * experiments only.
   */
  private formatFinals(index: number, start: number, count: number): void {
    const last = this.moments.rows - 1;
    const ls = this.lnSd[last]!;
    let finals: Float64Array[];
    if (this.derive === null) finals = this.metrics.map((perRow) => perRow[last]!);
    else {
      const K = this.finalMetrics.length;
      const buf = new Float64Array(K * count);
      this.derive(ls.subarray(start, start + count), this.finalMean.subarray(start, start + count), buf, count);
      for (let k = 0; k < K; k++) this.finalMetrics[k]!.set(buf.subarray(k * count, (k + 1) * count), start);
      finals = this.finalMetrics;
    }
    // as bytes, which a large run's memory check counts and the JS heap does not hold; the text is
    // ASCII, so its UTF-8 is its Latin-1, and Node encodes UTF-8 twice as fast (48 vs 100 ms for 14 MB)
    this.finalsParts.set(index, Buffer.from(finalsRows(ls, this.finalMean, finals, start, start + count), 'utf8'));
  }

  add(res: ChunkResult): void {
    const rows = this.moments.rows;
    this.finalMean.set(res.finalMean, res.start);
    if (res.stored !== true) {
      for (let r = 0; r < rows; r++) this.lnSd[r]!.set(res.lnSd.subarray(r * res.count, (r + 1) * res.count), res.start);
      const plane = rows * res.count;
      this.metrics.forEach((perRow, k) => {
        for (let r = 0; r < rows; r++) {
          const o = k * plane + r * res.count;
          perRow[r]!.set(res.metrics.subarray(o, o + res.count), res.start);
        }
      });
    }
    this.draws += res.draws;
    if (rows > 0) this.formatFinals(res.index, res.start, res.count);
    if ((res.chunks ?? 1) > 1 && res.index !== 0) throw new Error(`internal: chunks ${res.index}.. arrived merged`);
    this.waiting.set(res.index, { m: { count: res.count, rows, data: res.moments }, chunks: res.chunks ?? 1 });
    for (let w = this.waiting.get(this.next); w !== undefined; w = this.waiting.get(this.next)) {
      // a derived store's chunks bring no moments: its summary tasks take them (digestOnPool)
      if (!this.store.derived) mergeMoments(this.moments, w.m);
      this.waiting.delete(this.next);
      this.next += w.chunks;
    }
  }

  /**
   * The outcome, once chunks 0 … chunks − 1 have all arrived. A derived store's moments are not in
   * yet (count 0): digestOnPool takes them with the digest.
   */
  finish(chunks: number): RunOutcome {
    if (this.next !== chunks) throw new Error(`internal: merged ${this.next} of ${chunks} chunks`);
    const { spec, moments, lnSd, finalMean, metrics, draws } = this;
    // the final row's derived metrics, formed chunk by chunk for finals.csv, are that row's: not
    // formed again where something reads it (the derivation is elementwise, so the same values)
    const last = moments.rows - 1;
    this.finalMetrics.forEach((value, k) => Object.defineProperty(metrics[k], last, { value, writable: true, enumerable: true, configurable: true }));
    const parts = [...this.finalsParts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    this.finalsParts.clear();
    return { spec, rows: moments.rows, moments, lnSd, finalMean, metrics, draws, finalsBody: parts };
  }
}

/** Below this many draws (or generation steps with --method stats) a run stays on the calling thread. */
export const INLINE_WORK = 2 ** 22;

/** Where chunks run: `auto` picks the calling thread for work below INLINE_WORK, else the pool. */
export type Placement = 'auto' | 'pool' | 'inline';

/** Draws (resample) or generation steps (stats) a run performs. */
export function workOf(spec: RunSpec, experiments = spec.experiments): number {
  return experiments * workPerExperiment(spec);
}

/**
 * Runs `spec` on `workers` threads; `onChunk` is called after each chunk completes. Where the
 * chunks run never changes a result: the plan and the merge order depend on the spec only.
 */
export async function runSpec(
  spec: RunSpec,
  workers: number,
  onChunk: (done: number, total: number) => void = () => undefined,
  chunks: readonly Chunk[] = planChunks(spec),
  placement: Placement = 'auto',
): Promise<RunOutcome> {
  const pooled = onPool(spec, chunks, placement);
  const built = new OutcomeBuilder(spec, pooled ? deriveOf(spec) : null);
  let done = 0;
  // one pool for the chunks and then the per-generation statistics
  const runner = pooled ? new BatchRunner(Math.max(1, Math.min(workers, chunks.length))) : null;
  try {
    await dispatch(spec, workers, chunks, placement, (res) => {
      built.add(res);
      onChunk(++done, chunks.length);
    }, built.store, runner);
    const out = built.finish(chunks.length);
    if (runner !== null) await digestOnPool(spec, built.store, out, runner, workers, chunks);
    return out;
  } finally {
    await runner?.close();
  }
}

/** Whether `chunks` run on the pool (placement `pool`, or `auto` from INLINE_WORK up). */
function onPool(spec: RunSpec, chunks: readonly Chunk[], placement: Placement): boolean {
  const work = chunks.reduce((a, c) => a + workOf(spec, c.count), 0);
  return placement === 'pool' || (placement === 'auto' && work >= INLINE_WORK);
}

/** Recorded rows per summary task, at most, where a row is large; enough tasks that every worker stays busy to the end. */
const SUMMARY_ROWS_MAX = 16;

/** Recorded values per summary task, at least, so that a small row's task is worth its round trip. */
const SUMMARY_VALUES_MIN = 2 ** 16;

/**
 * The digest of every recorded row (src/digest.ts), computed on `runner`'s threads (`workers` of
 * them) from the shared store, in blocks of rows, into out.digest; each row's digest depends on
 * that row only, so the split changes no number. For a derived store, whose chunks brought no
 * moments, the same tasks take each row's moments from the store over `chunks` (the run's plan, in
 * chunk order) into out.moments: each chunk's by chunkMoments and merged in chunk order, as
 * OutcomeBuilder merges chunks' own, so the same numbers (test/onepool.test.ts).
 */
async function digestOnPool(
  spec: RunSpec,
  store: RecordStore,
  out: RunOutcome,
  runner: BatchRunner,
  workers: number,
  chunks: readonly Chunk[],
): Promise<void> {
  const rows = out.rows;
  const W = digestWidth(store.experiments, familyOf(spec.model).metrics.length);
  const kernel = kernelSpecOf(spec);
  const digest = new Float64Array(rows * W);
  const per = Math.min(
    rows,
    Math.max(1, Math.min(SUMMARY_ROWS_MAX, Math.ceil(rows / (4 * workers))), Math.ceil(SUMMARY_VALUES_MIN / Math.max(1, store.experiments))),
  );
  const chunkStarts = store.derived ? Int32Array.from(chunks, (c) => c.start) : undefined;
  const tasks: SummaryTask[] = [];
  for (let r0 = 0; r0 < rows; r0 += per) {
    const r1 = Math.min(rows, r0 + per);
    tasks.push(chunkStarts === undefined ? { spec: kernel, store, r0, r1 } : { spec: kernel, store, r0, r1, chunkStarts });
  }
  const moments = out.moments;
  try {
    await Promise.all(
      tasks.map((t) =>
        runner.summarize(t).then((res) => {
          digest.set(res.digest, res.r0 * W);
          if (res.moments !== undefined) moments.data.set(res.moments, res.r0 * NF);
        }),
      ),
    );
  } catch (err) {
    throw new RuntimeError(`the per-generation statistics failed on a worker: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (chunkStarts !== undefined) moments.count = store.experiments;
  out.digest = digest;
}

/**
 * Runs `chunks` of `spec` on the calling thread (placement `inline`, or `auto` below INLINE_WORK)
 * or on the pool (`runner`'s, else one of its own), a chunk per task, calling `onResult` as each
 * completes; a task failure becomes a RuntimeError naming the chunk, the seed and the command that
 * reproduce it. With a `store`, the workers write their recorded values there instead of sending
 * them back.
 */
async function dispatch(
  spec: RunSpec,
  workers: number,
  chunks: readonly Chunk[],
  placement: Placement,
  onResult: (r: ChunkResult) => void,
  store?: RecordStore,
  runner: BatchRunner | null = null,
): Promise<void> {
  if (chunks.length === 0) return;
  const kernel = kernelSpecOf(spec);
  const tasks: ChunkTask[] = chunks.map((chunk) => (store === undefined ? { spec: kernel, chunk } : { spec: kernel, chunk, store }));
  try {
    if (!onPool(spec, chunks, placement)) await runTasksInline(tasks, onResult);
    else if (runner !== null) await runEach(runner, tasks, onResult);
    else {
      const own = new BatchRunner(Math.max(1, Math.min(workers, tasks.length)));
      try {
        await runEach(own, tasks, onResult);
      } finally {
        await own.close();
      }
    }
  } catch (err) {
    if (err instanceof TaskError) throw chunkFailed(err.task.chunk, spec.seed, specCommand(spec), err.causeMessage);
    throw err;
  }
}

/**
 * Runs each of `tasks` as a task of its own on `runner` and calls `onResult` as each completes
 * (callers that need a fixed order use the result's index). The first failure stops the run: the
 * runner is closed and its TaskError thrown; no result is passed on after it.
 */
async function runEach(runner: BatchRunner, tasks: readonly ChunkTask[], onResult: (r: ChunkResult) => void): Promise<void> {
  let failure: unknown = null;
  let failed = false;
  await Promise.all(
    tasks.map((t) =>
      runner.run([t]).then(
        (r) => {
          if (!failed) onResult(r[0]!);
        },
        (err: unknown) => {
          if (failed) return; // later rejections include the pool's own shutdown
          failed = true;
          failure = err;
          void runner.close();
        },
      ),
    ),
  );
  if (failed) throw failure;
}

/**
 * Runs `chunks` of `spec` and returns their raw results in chunk order (for a shard's partial
 * result, which keeps each chunk's statistics for the merge). Memory: the shard's own share.
 */
export async function runChunkResults(
  spec: RunSpec,
  workers: number,
  chunks: readonly Chunk[],
  onChunk: (done: number, total: number) => void = () => undefined,
  placement: Placement = 'auto',
): Promise<ChunkResult[]> {
  const byIndex = new Map<number, ChunkResult>();
  await dispatch(spec, workers, chunks, placement, (r) => {
    byIndex.set(r.index, r);
    onChunk(byIndex.size, chunks.length);
  });
  return chunks.map((c) => byIndex.get(c.index)!);
}

/**
 * Rebuilds a run's outcome from every chunk's result, merged in chunk order from an empty
 * accumulator exactly as runSpec does, so a merge of shards gives the single-machine bytes.
 */
export function outcomeFromChunks(spec: RunSpec, results: readonly ChunkResult[]): RunOutcome {
  const built = new OutcomeBuilder(spec);
  for (const r of results) built.add(r);
  return built.finish(chunkCount(results));
}

/** Chunks the results stand for (a result may stand for several: ChunkResult.chunks). */
function chunkCount(results: readonly ChunkResult[]): number {
  return results.reduce((a, r) => a + (r.chunks ?? 1), 0);
}

/**
 * outcomeFromChunks, with the per-generation statistics' digest computed on a pool of `workers`
 * threads from the outcome's shared store where the run is pool-sized (placement as in runSpec),
 * as runSpec does: the same bytes, the O(R · E) part off the calling thread (collapse merge).
 */
export async function outcomeFromChunksOnPool(
  spec: RunSpec,
  results: readonly ChunkResult[],
  workers: number,
  placement: Placement = 'auto',
): Promise<RunOutcome> {
  const built = new OutcomeBuilder(spec);
  for (const r of results) built.add(r);
  const out = built.finish(chunkCount(results));
  const pooled = placement === 'pool' || (placement === 'auto' && workOf(spec) >= INLINE_WORK);
  if (!pooled || out.rows === 0) return out;
  const runner = new BatchRunner(Math.max(1, workers));
  try {
    await digestOnPool(spec, built.store, out, runner, Math.max(1, workers), []);
  } finally {
    await runner.close();
  }
  return out;
}

/** The fields of a spec that the workers need: all but the experiment count. */
export function kernelSpecOf(spec: RunSpec): ChunkTask['spec'] {
  const { experiments: _experiments, ...kernel } = spec;
  return kernel;
}

/**
 * Work per batch of chunks that runSpecs sends as one task: about 25 ms of kernel time, so that a
 * task's own round trip (~0.1–0.3 ms) costs ~1% even when every chunk is a single experiment.
 */
const BATCH_WORK = 2 ** 22;

/** A spec of runSpecs that failed: a chunk (the RuntimeError of chunkFailed) or its onOutcome. */
export class SpecFailure extends Error {
  constructor(
    readonly index: number,
    readonly error: unknown,
    /** Where it failed: running a chunk, or in onOutcome (whose error is passed on as it is). */
    readonly stage: 'chunk' | 'outcome',
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/** What runSpecs reports while it works. */
export interface SpecsHooks {
  /**
   * Once, as soon as the pool's threads are starting and before any chunk is sent: what the
   * caller does here (its own files, git) overlaps the threads' start-up. What it throws stops
   * everything and is thrown as it is.
   */
  onStarted?: () => void;
  /** After each batch: the work (workOf) done so far and the total, over all specs. */
  onWork?: (done: number, total: number) => void;
  /**
   * Once per spec, as soon as its last chunk has arrived (in about spec order, not strictly), with
   * its outcome, when its first chunk was sent and the seconds since. Runs on the calling thread
   * while the pool goes on with the next specs' chunks.
   */
  onOutcome: (index: number, outcome: RunOutcome, startedAt: Date, seconds: number) => void;
}

/**
 * Threads runSpecs starts for `specs` on `workers`: none when all of them together are less work
 * than INLINE_WORK (they run on the calling thread, as one run of that size would, with no thread
 * start-up), else `workers`, at most one per chunk.
 */
export function specsThreads(specs: readonly RunSpec[], workers: number): number {
  if (specs.reduce((a, spec) => a + workOf(spec), 0) < INLINE_WORK) return 0;
  const chunks = specs.reduce((a, spec) => a + Math.ceil(spec.experiments / chunkSize(spec)), 0);
  return Math.max(1, Math.min(workers, chunks));
}

/** A spec whose chunks are being run: its merge, the chunks still out, when it started. */
interface OpenSpec {
  built: OutcomeBuilder;
  left: number;
  bytes: number;
  startedAt: Date;
  t0: bigint;
}

/**
 * Runs several specs on one pool of `workers` threads started once (or, when all of them together
 * are less work than INLINE_WORK, on the calling thread, as one such run would): their chunks are
 * sent in spec order, several specs' chunks in flight together, small chunks batched into tasks of
 * about BATCH_WORK, so the threads never wait at the end of a spec. Each spec's chunks are merged in
 * its own chunk order (OutcomeBuilder), so each outcome has the bytes runSpec gives it alone. On the
 * pool, each spec's chunks write their recorded values into its own shared store (nothing copied
 * back), and when its last chunk is in, its per-generation statistics (digestOnPool) are sent to
 * the same threads; the outcome, with its digest, is handed over when they are back. A spec
 * opens (its merge buffers are allocated) only while the open specs' estimateBytes stay within
 * `memoryLimit`, or when none is open. The first failure stops everything and is thrown as a
 * SpecFailure naming the spec; outcomes already handed to onOutcome stay handed.
 */
export async function runSpecs(specs: readonly RunSpec[], workers: number, hooks: SpecsHooks, memoryLimit = Infinity): Promise<void> {
  const plans = specs.map((spec) => planChunks(spec));
  const kernels = specs.map((spec) => kernelSpecOf(spec));
  const total = specs.reduce((a, spec) => a + workOf(spec), 0);
  const threads = specsThreads(specs, workers);
  const target = Math.min(BATCH_WORK, Math.ceil(total / (4 * Math.max(1, threads))));
  // two batches queued on each thread and two more ready: a thread never waits for the next one
  const maxInFlight = threads === 0 ? 1 : 2 * threads + 2;
  const open = new Map<number, OpenSpec>();
  let openBytes = 0;
  let s = 0; // next spec to send from
  let c = 0; // its next chunk
  let done = 0;
  let failure: SpecFailure | null = null;
  const inFlight = new Set<Promise<void>>();
  /** Specs' per-generation statistics being computed (not counted against maxInFlight). */
  const summaries = new Set<Promise<void>>();
  const runner = new BatchRunner(threads);

  const opens = (i: number): boolean => {
    if (open.has(i)) return true;
    const bytes = estimateBytes(specs[i]!, Math.max(1, threads));
    if (open.size > 0 && openBytes + bytes > memoryLimit) return false;
    // on the pool, each spec's chunks write their recorded values into its own shared store
    const built = new OutcomeBuilder(specs[i]!, threads === 0 ? null : deriveOf(specs[i]!));
    open.set(i, { built, left: plans[i]!.length, bytes, startedAt: new Date(), t0: process.hrtime.bigint() });
    openBytes += bytes;
    return true;
  };

  /**
   * Whether spec `i` goes into one batch whole: at most twice the target's work. Its chunks then
   * run in one kernel call and their moments merge on the worker (the coordinator receives one
   * result for the spec, not one per chunk: for a sweep of small points, most of what it would
   * receive and merge).
   */
  const whole = (i: number): boolean => workOf(specs[i]!) <= 2 * target;

  /**
   * The next batch: consecutive chunks, possibly of several specs, up to `target` work; a spec
   * that goes whole (above) is not cut, and starts a batch of its own unless it fits in what is
   * left of this one.
   */
  const nextBatch = (): { tasks: ChunkTask[]; owner: number[] } | null => {
    const tasks: ChunkTask[] = [];
    const owner: number[] = [];
    let work = 0;
    while (s < specs.length) {
      if (c >= plans[s]!.length) {
        s++;
        c = 0;
        continue;
      }
      if (c === 0 ? tasks.length > 0 && (work >= target || (whole(s) && work + workOf(specs[s]!) > target)) : work >= target && !whole(s)) break;
      if (!opens(s)) break;
      const chunk = plans[s]![c++]!;
      tasks.push(threads === 0 ? { spec: kernels[s]!, chunk } : { spec: kernels[s]!, chunk, store: open.get(s)!.built.store });
      owner.push(s);
      work += workOf(specs[s]!, chunk.count);
    }
    return tasks.length === 0 ? null : { tasks, owner };
  };

  const finish = (i: number, o: OpenSpec, out: RunOutcome): void => {
    open.delete(i);
    openBytes -= o.bytes;
    const seconds = Number(process.hrtime.bigint() - o.t0) / 1e9;
    hooks.onOutcome(i, out, o.startedAt, seconds);
  };

  /**
   * A spec whose last chunk is in: on the pool, its per-generation statistics go to the same
   * threads (behind the chunks already queued) and it is handed over when they are back; on the
   * calling thread, at once.
   */
  const complete = (i: number, o: OpenSpec): void => {
    const out = o.built.finish(plans[i]!.length);
    if (threads === 0) {
      finish(i, o, out);
      return;
    }
    const p: Promise<void> = digestOnPool(specs[i]!, o.built.store, out, runner, threads, plans[i]!).then(
      () => {
        if (failure !== null) return;
        try {
          finish(i, o, out);
        } catch (err) {
          failure = new SpecFailure(i, err, 'outcome');
        }
      },
      (err: unknown) => {
        failure ??= new SpecFailure(i, err, 'chunk');
      },
    );
    summaries.add(p);
    void p.finally(() => summaries.delete(p));
  };

  const receive = (owner: readonly number[], results: readonly ChunkResult[]): void => {
    // a result may stand for several tasks (ChunkResult.chunks): owner is by task
    for (let k = 0, t = 0; k < results.length && failure === null; t += results[k]!.chunks ?? 1, k++) {
      const i = owner[t]!;
      const o = open.get(i)!;
      o.built.add(results[k]!);
      done += workOf(specs[i]!, results[k]!.count);
      o.left -= results[k]!.chunks ?? 1;
      if (o.left === 0) {
        try {
          complete(i, o);
        } catch (err) {
          failure = new SpecFailure(i, err, 'outcome');
        }
      }
    }
    if (failure === null) hooks.onWork?.(done, total);
  };

  const launch = (batch: { tasks: ChunkTask[]; owner: number[] }): void => {
    const p: Promise<void> = runner.run(batch.tasks).then(
      (results) => {
        if (failure !== null) return;
        try {
          receive(batch.owner, results);
        } catch (err) {
          failure ??= new SpecFailure(batch.owner[0]!, err, 'chunk');
        }
      },
      (err: unknown) => {
        if (failure !== null) return; // later rejections include the pool's own shutdown
        const i = err instanceof TaskError ? batch.owner[batch.tasks.indexOf(err.task)]! : batch.owner[0]!;
        failure = new SpecFailure(
          i,
          err instanceof TaskError ? chunkFailed(err.task.chunk, specs[i]!.seed, specCommand(specs[i]!), err.causeMessage) : err,
          'chunk',
        );
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  try {
    hooks.onStarted?.();
    for (;;) {
      while (failure === null && inFlight.size < maxInFlight) {
        const batch = nextBatch();
        if (batch === null) break;
        launch(batch);
      }
      if (failure !== null || inFlight.size + summaries.size === 0) break;
      await Promise.race([...inFlight, ...summaries]);
      // on the calling thread, a turn of the event loop between batches lets a signal in
      if (threads === 0) await new Promise((r) => setImmediate(r));
    }
  } finally {
    await runner.close();
  }
  if (failure !== null) throw failure;
  if (s < specs.length || open.size > 0) throw new Error(`internal: ${open.size} specs left open`);
}
