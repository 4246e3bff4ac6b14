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
  const kernel = kernelOf(spec.model);
  // a store of (ln sd, mean) derives the metrics when it is summarised: none recorded here
  const K = task.store?.derived === true ? 0 : kernel.metricCount(spec);
  const [lnSd, mean, metrics] = buffers(rows * chunk.count, K * rows * chunk.count, task.store !== undefined);
  const scalar = kernel.run(spec, chunk.start, chunk.count, rows, { lnSd, mean, metrics });
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
 * Runs several chunks (of one spec or of several) in one task, in order, for a sweep whose chunks
 * are too small to pay for a task each (one experiment of 5·10⁴ draws takes ~0.3 ms, about a
 * task's own round trip). Each chunk's result is what runChunk gives it alone. A failure stops the
 * batch and says which item failed, so that the coordinator names that chunk.
 */
export function runBatch(tasks: readonly ChunkTask[]): BatchResult {
  const results: ChunkResult[] = [];
  for (let i = 0; i < tasks.length; i++) {
    try {
      results.push(runChunk(tasks[i]!));
    } catch (err) {
      return { results, failure: { item: i, message: err instanceof Error ? err.message : String(err) } };
    }
  }
  return { results, failure: null };
}
