/**
 * Piscina task entry: runs one chunk of experiments on its family's kernel and returns its moments
 * and recorded values.
 * No I/O and no pool here; everything it needs arrives in the task.
 */
import './jit.js';
import type { ChunkResult, ChunkTask } from '../src/protocol.js';
import type { BatchResult } from '../src/protocol.js';
import { chunkMoments, NF } from '../src/stats.js';
import { recordCount, samplesPerExperiment } from '../src/plan.js';
import { kernelOf } from './families/index.js';
// the per-generation statistics, on the same threads as the chunks (src/pool.ts BatchRunner.summarize)
export { default as summarize } from './summary.js';

/** Fault injection for the CLI's failure tests: the chunk index at which to throw. */
const FAULT_CHUNK = process.env['COLLAPSE_FAULT_CHUNK'];

/**
 * The recording buffers of chunks whose values go to a store, kept from task to task: fresh memory
 * costs a page fault per 4 KiB on first touch, which is as slow as the stats kernel itself.
 */
let spare = new Float64Array(0);

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

/** A chunk's result from its recorded values (lnSd and mean [r·count + e], metric k at [(k·rows + r)·count + e]). */
function chunkResult(task: ChunkTask, rows: number, scalar: boolean, lnSd: Float64Array, mean: Float64Array, metrics: Float64Array): ChunkResult {
  const { spec, chunk } = task;
  const kernel = kernelOf(spec.model);
  // without a scalar sd summary its moments are NaN, and so every statistic read from them
  const moments = scalar
    ? chunkMoments(lnSd, mean, rows, chunk.count, spec.mean0, spec.sd0, spec.epsilon).data
    : new Float64Array(rows * NF).fill(NaN);
  const finalMean = mean.slice((rows - 1) * chunk.count);
  const store = task.store;
  if (store !== undefined) {
    // written in place by this thread: the coordinator neither receives nor copies them
    const E = store.experiments;
    const n = chunk.count;
    store.planes.forEach((buf, p) => {
      const dst = new Float64Array(buf);
      const src = p === 0 ? lnSd : store.derived ? mean : metrics.subarray((p - 1) * rows * n, p * rows * n);
      for (let r = 0; r < rows; r++) dst.set(src.subarray(r * n, (r + 1) * n), r * E + chunk.start);
    });
  }
  return {
    index: chunk.index,
    start: chunk.start,
    count: chunk.count,
    rows,
    moments,
    stored: store !== undefined,
    lnSd: store !== undefined ? new Float64Array(0) : lnSd,
    finalMean,
    metrics: store !== undefined ? new Float64Array(0) : metrics,
    draws: chunk.count * samplesPerExperiment(spec) * kernel.valuesPerSample(spec),
  };
}

/**
 * Whether `next` may run in one kernel call with the group that starts at `first` and ends at
 * `prev`: a kernel that allows it (FamilyKernel.joinable), the same spec and store, the next
 * experiments.
 */
function joins(first: ChunkTask, firstKey: string, prev: ChunkTask, next: ChunkTask): boolean {
  return (
    FAULT_CHUNK === undefined &&
    kernelOf(next.spec.model).joinable(next.spec) &&
    next.chunk.start === prev.chunk.start + prev.chunk.count &&
    next.store?.planes[0] === first.store?.planes[0] &&
    next.store?.derived === first.store?.derived &&
    JSON.stringify(next.spec) === firstKey
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
  const out: ChunkResult[] = [];
  let off = 0;
  for (const task of group) {
    const n = task.chunk.count;
    const [l, m, x] = [new Float64Array(rows * n), new Float64Array(rows * n), new Float64Array(K * rows * n)];
    for (let r = 0; r < rows; r++) {
      l.set(lnSd.subarray(r * total + off, r * total + off + n), r * n);
      m.set(mean.subarray(r * total + off, r * total + off + n), r * n);
      for (let k = 0; k < K; k++) {
        const o = (k * rows + r) * total + off;
        x.set(metrics.subarray(o, o + n), (k * rows + r) * n);
      }
    }
    out.push(chunkResult(task, rows, scalar, l, m, x));
    off += n;
  }
  return out;
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
    const key = JSON.stringify(first.spec);
    let j = i + 1;
    while (j < tasks.length && joins(first, key, tasks[j - 1]!, tasks[j]!)) j++;
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
