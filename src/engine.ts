/**
 * The coordinator: plans a run's chunks, runs them on the pool, and merges their statistics in
 * chunk order into a RunOutcome. Knows nothing of files or the command line.
 */
import { chunkSize, planChunks, recordCount, subsamplePoolLength, type Chunk } from './plan.js';
import { runTasks, runTasksInline, TaskError } from './pool.js';
import type { ChunkResult, ChunkTask } from './protocol.js';
import { chunkFailed } from './errors.js';
import { specCommand, type RunSpec } from './spec.js';
import { emptyMoments, mergeMoments, NF, type Moments } from './stats.js';

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
  draws: number;
}

/** Bytes a run holds at its peak, for the up-front memory check. */
export function estimateBytes(spec: RunSpec, workers: number): number {
  const rows = recordCount(spec.generations, spec.every);
  const E = spec.experiments;
  const chunk = chunkSize(spec);
  const store = E * rows * 8 + E * 8 * 3;
  const inFlight = workers * (chunk * rows * 8 * 3 + rows * NF * 8 * 2);
  const merged = rows * NF * 8 * 4;
  const pools = spec.regime === 'accumulate-subsample' ? workers * subsamplePoolLength(spec) * 8 : 0;
  return store + inFlight + merged + pools;
}

/** Collects results that arrive in any order and merges their moments strictly in chunk order. */
class OrderedMerge {
  private next = 0;
  private readonly waiting = new Map<number, Moments>();
  constructor(readonly total: Moments) {}

  add(index: number, m: Moments): void {
    this.waiting.set(index, m);
    for (let w = this.waiting.get(this.next); w !== undefined; w = this.waiting.get(this.next)) {
      mergeMoments(this.total, w);
      this.waiting.delete(this.next);
      this.next++;
    }
  }

  get merged(): number {
    return this.next;
  }
}

/** Below this many draws (or generation steps with --method stats) a run stays on the calling thread. */
export const INLINE_WORK = 2 ** 22;

/** Where chunks run: `auto` picks the calling thread for work below INLINE_WORK, else the pool. */
export type Placement = 'auto' | 'pool' | 'inline';

/** Draws (resample) or generation steps (stats) a run performs. */
export function workOf(spec: RunSpec, experiments = spec.experiments): number {
  return experiments * spec.generations * (spec.method === 'stats' ? 1 : spec.samples);
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
  const rows = recordCount(spec.generations, spec.every);
  const E = spec.experiments;
  const lnSd: Float64Array[] = [];
  for (let r = 0; r < rows; r++) lnSd.push(new Float64Array(E));
  const finalMean = new Float64Array(E);
  const merge = new OrderedMerge(emptyMoments(rows));
  const kernelSpec = kernelSpecOf(spec);
  const tasks: ChunkTask[] = chunks.map((chunk) => ({ spec: kernelSpec, chunk }));
  let done = 0;
  let draws = 0;
  const onResult = (res: ChunkResult): void => {
    for (let r = 0; r < rows; r++) {
      lnSd[r]!.set(res.lnSd.subarray(r * res.count, (r + 1) * res.count), res.start);
    }
    finalMean.set(res.finalMean, res.start);
    merge.add(res.index, { count: res.count, rows, data: res.moments });
    draws += res.draws;
    done++;
    onChunk(done, tasks.length);
  };
  try {
    const work = chunks.reduce((a, c) => a + workOf(spec, c.count), 0);
    const inline = placement === 'inline' || (placement === 'auto' && work < INLINE_WORK);
    if (inline) await runTasksInline(tasks, onResult);
    else await runTasks(tasks, Math.min(workers, Math.max(1, tasks.length)), onResult);
  } catch (err) {
    if (err instanceof TaskError) throw chunkFailed(err.task.chunk, spec.seed, specCommand(spec), err.causeMessage);
    throw err;
  }
  if (merge.merged !== tasks.length) throw new Error(`internal: merged ${merge.merged} of ${tasks.length} chunks`);
  return { spec, rows, moments: merge.total, lnSd, finalMean, draws };
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
  const tasks: ChunkTask[] = chunks.map((chunk) => ({ spec: kernelSpecOf(spec), chunk }));
  const byIndex = new Map<number, ChunkResult>();
  const onResult = (r: ChunkResult): void => {
    byIndex.set(r.index, r);
    onChunk(byIndex.size, tasks.length);
  };
  try {
    const work = chunks.reduce((a, c) => a + workOf(spec, c.count), 0);
    const inline = placement === 'inline' || (placement === 'auto' && work < INLINE_WORK);
    if (tasks.length === 0) return [];
    if (inline) await runTasksInline(tasks, onResult);
    else await runTasks(tasks, Math.min(workers, tasks.length), onResult);
  } catch (err) {
    if (err instanceof TaskError) throw chunkFailed(err.task.chunk, spec.seed, specCommand(spec), err.causeMessage);
    throw err;
  }
  return chunks.map((c) => byIndex.get(c.index)!);
}

/**
 * Rebuilds a run's outcome from every chunk's result, merged in chunk order from an empty
 * accumulator exactly as runSpec does, so a merge of shards gives the single-machine bytes.
 */
export function outcomeFromChunks(spec: RunSpec, results: readonly ChunkResult[]): RunOutcome {
  const rows = recordCount(spec.generations, spec.every);
  const E = spec.experiments;
  const lnSd: Float64Array[] = [];
  for (let r = 0; r < rows; r++) lnSd.push(new Float64Array(E));
  const finalMean = new Float64Array(E);
  const total = emptyMoments(rows);
  let draws = 0;
  results.forEach((res, i) => {
    if (res.index !== i) throw new Error(`internal: chunk ${res.index} at position ${i}`);
    for (let r = 0; r < rows; r++) lnSd[r]!.set(res.lnSd.subarray(r * res.count, (r + 1) * res.count), res.start);
    finalMean.set(res.finalMean, res.start);
    mergeMoments(total, { count: res.count, rows, data: res.moments });
    draws += res.draws;
  });
  return { spec, rows, moments: total, lnSd, finalMean, draws };
}

/** The fields of a spec that the workers need: all but the experiment count. */
export function kernelSpecOf(spec: RunSpec): ChunkTask['spec'] {
  const { experiments: _experiments, ...kernel } = spec;
  return kernel;
}
