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

/** Fault injection for the CLI's failure tests: the chunk index at which to throw. */
const FAULT_CHUNK = process.env['COLLAPSE_FAULT_CHUNK'];

export default function runChunk(task: ChunkTask): ChunkResult {
  const { spec, chunk } = task;
  if (FAULT_CHUNK !== undefined && Number(FAULT_CHUNK) === chunk.index) {
    throw new Error(`injected fault (COLLAPSE_FAULT_CHUNK=${FAULT_CHUNK})`);
  }
  const rows = recordCount(spec.generations, spec.every);
  const lnSd = new Float64Array(rows * chunk.count);
  const mean = new Float64Array(rows * chunk.count);
  const kernel = kernelOf(spec.model);
  const metrics = new Float64Array(kernel.metricCount(spec) * rows * chunk.count);
  const scalar = kernel.run(spec, chunk.start, chunk.count, rows, { lnSd, mean, metrics });
  // without a scalar sd summary its moments are NaN, and so every statistic read from them
  const moments = scalar
    ? chunkMoments(lnSd, mean, rows, chunk.count, spec.mean0, spec.sd0, spec.epsilon).data
    : new Float64Array(rows * NF).fill(NaN);
  const finalMean = mean.slice((rows - 1) * chunk.count);
  return {
    index: chunk.index,
    start: chunk.start,
    count: chunk.count,
    rows,
    moments,
    lnSd,
    finalMean,
    metrics,
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
