/**
 * Piscina task entry: runs one chunk of experiments on its family's kernel and returns its moments
 * and recorded values.
 * No I/O and no pool here; everything it needs arrives in the task.
 */
import './jit.js';
import type { ChunkResult, ChunkTask, RecordStore } from '../src/protocol.js';
import type { BatchResult } from '../src/protocol.js';
import { chunkMoments, emptyMoments, mergeMoments, NF } from '../src/stats.js';
import { JOIN_VALUES, recordCount, samplesPerExperiment } from '../src/plan.js';
import { kernelOf } from './families/index.js';
import { warmUp } from './kernel.js';
import { wasmKernels } from './wasm-kernel.js';
// the per-generation statistics, on the same threads as the chunks (src/pool.ts BatchRunner.summarize)
export { default as summarize } from './summary.js';

// every thread that loads this entry draws (a worker, or the calling thread of an inline run); the
// JS kernel only where the WebAssembly one is not built or COLLAPSE_KERNEL=js asks for it (warmUp's
// 640 000 draws cost each thread about 25 ms at start-up, for a kernel that then never runs)
if (wasmKernels() === null) warmUp();

/** Fault injection for the CLI's failure tests: the chunk index at which to throw. */
const FAULT_CHUNK = process.env['COLLAPSE_FAULT_CHUNK'];

/**
 * The recording buffers of chunks whose values go to a store, kept from task to task: fresh memory
 * costs a page fault per 4 KiB on first touch, which is as slow as the stats kernel itself.
 */
let spare = new Float64Array(0);

/** The moments of a chunk whose store's summary tasks take them (ChunkResult.moments). */
const NO_MOMENTS = new Float64Array(0);

/** Zeroed recording buffers for lnSd, mean and metrics: reused where `reuse`, else fresh (they are sent back). */
function buffers(n: number, m: number, reuse: boolean): [Float64Array, Float64Array, Float64Array] {
  if (!reuse) return [new Float64Array(n), new Float64Array(n), new Float64Array(m)];
  if (spare.length < 2 * n + m) spare = new Float64Array(2 * n + m);
  const all = spare.subarray(0, 2 * n + m);
  all.fill(0);
  return [all.subarray(0, n), all.subarray(n, 2 * n), all.subarray(2 * n)];
}

export default function runChunk(task: ChunkTask): ChunkResult {
  const { spec, chunk } = task;
  if (FAULT_CHUNK !== undefined && Number(FAULT_CHUNK) === chunk.index) {
    throw new Error(`injected fault (COLLAPSE_FAULT_CHUNK=${FAULT_CHUNK})`);
  }
  const rows = recordCount(spec.generations, spec.every);
  const K = metricsRecorded(task);
  const [lnSd, mean, metrics] = buffers(rows * chunk.count, K * rows * chunk.count, task.store !== undefined);
  const scalar = kernelOf(spec.model).run(spec, chunk.start, chunk.count, rows, { lnSd, mean, metrics });
  return chunkResult(task, rows, scalar, lnSd, mean, metrics);
}

/** Metrics a chunk records: none when its store of (ln sd, mean) derives them when summarised. */
function metricsRecorded(task: ChunkTask): number {
  return task.store?.derived === true ? 0 : kernelOf(task.spec.model).metricCount(task.spec);
}

/**
 * A chunk's result from its recorded values, read in place where `total` (the experiments the
 * buffers hold) exceeds the chunk's own count: lnSd and mean [r·total + off + e], metric k at
 * [(k·rows + r)·total + off + e]. A stored chunk's values go straight from there to the store;
 * only a chunk whose values travel back gets buffers of its own.
 */
function chunkResult(
  task: ChunkTask,
  rows: number,
  scalar: boolean,
  lnSd: Float64Array,
  mean: Float64Array,
  metrics: Float64Array,
  total = task.chunk.count,
  off = 0,
): ChunkResult {
  const { spec, chunk } = task;
  const n = chunk.count;
  const store = task.store;
  // a derived store's moments are taken by its summary tasks, from the store (SummaryTask.chunkStarts)
  const moments = store?.derived === true ? NO_MOMENTS : momentsOf(spec, rows, scalar, lnSd, mean, n, total, off);
  const last = (rows - 1) * total + off;
  const finalMean = mean.slice(last, last + n);
  const K = metrics.length / (rows * total);
  /** Rows of plane `src` (plane k of K metrics, or lnSd/mean when k < 0) for this chunk, to `put(r, values)`. */
  const eachRow = (src: Float64Array, k: number, put: (r: number, values: Float64Array) => void): void => {
    for (let r = 0; r < rows; r++) {
      const o = (k < 0 ? r : k * rows + r) * total + off;
      put(r, src.subarray(o, o + n));
    }
  };
  // written in place by this thread: the coordinator neither receives nor copies them
  if (store !== undefined) writeStore(store, chunk.start, n, rows, lnSd, mean, metrics, total, off);
  let ownLnSd: Float64Array = new Float64Array(0);
  let ownMetrics: Float64Array = new Float64Array(0);
  if (store === undefined) {
    if (total === n) {
      ownLnSd = lnSd;
      ownMetrics = metrics;
    } else {
      ownLnSd = new Float64Array(rows * n);
      ownMetrics = new Float64Array(K * rows * n);
      eachRow(lnSd, -1, (r, v) => ownLnSd.set(v, r * n));
      for (let k = 0; k < K; k++) eachRow(metrics, k, (r, v) => ownMetrics.set(v, (k * rows + r) * n));
    }
  }
  return {
    index: chunk.index,
    start: chunk.start,
    count: n,
    rows,
    moments,
    stored: store !== undefined,
    lnSd: ownLnSd,
    finalMean,
    metrics: ownMetrics,
    draws: drawsOf(spec, n),
  };
}

/**
 * The moments of `n` experiments' recorded values, read in place (`total` a row, these from
 * `off`); without a scalar sd summary NaN, and so every statistic read from them.
 */
function momentsOf(
  spec: ChunkTask['spec'],
  rows: number,
  scalar: boolean,
  lnSd: Float64Array,
  mean: Float64Array,
  n: number,
  total: number,
  off: number,
): Float64Array {
  return scalar ? chunkMoments(lnSd, mean, rows, n, spec.mean0, spec.sd0, spec.epsilon, total, off).data : new Float64Array(rows * NF).fill(NaN);
}

/** Deviates drawn (or generation steps) by `n` experiments of `spec`. */
function drawsOf(spec: ChunkTask['spec'], n: number): number {
  return n * samplesPerExperiment(spec) * kernelOf(spec.model).valuesPerSample(spec);
}

/**
 * Writes experiments [start, start + n) of every recorded row into `store`, from buffers laid out
 * as chunkResult reads them (`total` experiments a row, these from `off`): one copy a row and plane.
 */
function writeStore(
  store: RecordStore,
  start: number,
  n: number,
  rows: number,
  lnSd: Float64Array,
  mean: Float64Array,
  metrics: Float64Array,
  total: number,
  off: number,
): void {
  const E = store.experiments;
  store.planes.forEach((buf, p) => {
    const dst = new Float64Array(buf);
    // plane 0 the ln sd; then the mean (derived store) or metric p − 1
    const src = p === 0 ? lnSd : store.derived ? mean : metrics;
    const k = p === 0 || store.derived ? 0 : p - 1;
    for (let r = 0; r < rows; r++) {
      const o = (k * rows + r) * total + off;
      dst.set(src.subarray(o, o + n), r * E + start);
    }
  });
}

/**
 * Whether `next` may run in one kernel call with the group that starts at `first` and ends at
 * `prev`: a kernel that allows it (FamilyKernel.joinable), the same spec and store, the next
 * experiments.
 */
function joins(first: ChunkTask, firstKey: () => string, prev: ChunkTask, next: ChunkTask): boolean {
  return (
    FAULT_CHUNK === undefined &&
    kernelOf(next.spec.model).joinable(next.spec) &&
    next.chunk.start === prev.chunk.start + prev.chunk.count &&
    next.store?.planes[0] === first.store?.planes[0] &&
    next.store?.derived === first.store?.derived &&
    (next.spec === first.spec || JSON.stringify(next.spec) === firstKey())
  );
}

/**
 * Runs chunks of consecutive experiments of one spec in one kernel call, and returns what
 * runChunk gives each alone: each experiment's values are its own stream's whatever the call, and
 * each chunk's moments are taken over its own experiments as before (test/task-batch.test.ts).
 */
function runJoined(group: readonly ChunkTask[]): ChunkResult[] {
  const first = group[0]!;
  const spec = first.spec;
  const rows = recordCount(spec.generations, spec.every);
  const K = metricsRecorded(first);
  const total = group.reduce((t, g) => t + g.chunk.count, 0);
  const lnSd = new Float64Array(rows * total);
  const mean = new Float64Array(rows * total);
  const metrics = new Float64Array(K * rows * total);
  const scalar = kernelOf(spec.model).run(spec, first.chunk.start, total, rows, { lnSd, mean, metrics });
  if (first.chunk.index === 0 && first.store !== undefined) return [mergedPrefix(group, rows, scalar, lnSd, mean, metrics, total)];
  const out: ChunkResult[] = [];
  let off = 0;
  for (const task of group) {
    out.push(chunkResult(task, rows, scalar, lnSd, mean, metrics, total, off));
    off += task.chunk.count;
  }
  return out;
}

/**
 * The results of chunks 0, 1, … of a spec, run in one kernel call, as one: their values written
 * into the store a row at a time for all of them, their moments (none for a derived store, whose
 * summary tasks take them) taken chunk by chunk (each over
 * its own experiments, as chunkResult takes them) and merged here in chunk order from an empty
 * accumulator, as the coordinator's OutcomeBuilder would merge them, by the same functions, so the
 * same bytes (test/task-batch.test.ts), and their final means together. The coordinator then
 * receives and merges one result instead of one per chunk.
 */
function mergedPrefix(
  group: readonly ChunkTask[],
  rows: number,
  scalar: boolean,
  lnSd: Float64Array,
  mean: Float64Array,
  metrics: Float64Array,
  total: number,
): ChunkResult {
  const first = group[0]!;
  const spec = first.spec;
  writeStore(first.store!, first.chunk.start, total, rows, lnSd, mean, metrics, total, 0);
  let moments: Float64Array = NO_MOMENTS;
  if (!first.store!.derived) {
    const acc = emptyMoments(rows);
    let off = 0;
    for (const task of group) {
      const n = task.chunk.count;
      mergeMoments(acc, { count: n, rows, data: momentsOf(spec, rows, scalar, lnSd, mean, n, total, off) });
      off += n;
    }
    moments = acc.data;
  }
  const last = (rows - 1) * total;
  return {
    index: 0,
    start: first.chunk.start,
    count: total,
    rows,
    moments,
    stored: true,
    lnSd: new Float64Array(0),
    finalMean: mean.slice(last, last + total),
    metrics: new Float64Array(0),
    draws: drawsOf(spec, total),
    chunks: group.length,
  };
}

/**
 * Runs several chunks (of one spec or of several) in one task, in order, for a sweep whose chunks
 * are too small to pay for a task each (one experiment of 5·10⁴ draws takes ~0.3 ms, about a
 * task's own round trip). Each chunk's result is what runChunk gives it alone. A failure stops the
 * batch and says which item failed, so that the coordinator names that chunk. Consecutive chunks
 * of one spec whose kernel allows it (the 1-D Gaussian) run in one kernel call (runJoined): the
 * same results.
 */
export function runBatch(tasks: readonly ChunkTask[]): BatchResult {
  const results: ChunkResult[] = [];
  for (let i = 0; i < tasks.length; ) {
    const first = tasks[i]!;
    // the spec as text, for a next chunk whose spec is not the same object (a batch's chunks of
    // one spec share it: a message keeps shared references): formed once, if at all
    let text: string | undefined;
    const key = (): string => (text ??= JSON.stringify(first.spec));
    let j = i + 1;
    // at most JOIN_VALUES recorded values a plane in one call (beyond one chunk's own)
    const rows = recordCount(first.spec.generations, first.spec.every);
    let values = first.chunk.count * rows;
    while (j < tasks.length && joins(first, key, tasks[j - 1]!, tasks[j]!) && (values += tasks[j]!.chunk.count * rows) <= JOIN_VALUES) j++;
    try {
      if (j - i > 1) results.push(...runJoined(tasks.slice(i, j)));
      else results.push(runChunk(first));
    } catch (err) {
      return { results, failure: { item: i, message: err instanceof Error ? err.message : String(err) } };
    }
    i = j;
  }
  return { results, failure: null };
}
