/**
 * Piscina task entry: runs one chunk of experiments and returns its moments and recorded values.
 * No I/O and no pool here; everything it needs arrives in the task.
 */
import './jit.js';
import type { ChunkResult, ChunkTask } from '../src/protocol.js';
import { chunkMoments } from '../src/stats.js';
import { recordCount, workPerExperiment } from '../src/plan.js';
import { runChains } from './chains.js';

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
  runChains(spec, chunk.start, chunk.count, lnSd, mean);
  const m = chunkMoments(lnSd, mean, rows, chunk.count, spec.mean0, spec.sd0, spec.epsilon);
  const finalMean = mean.slice((rows - 1) * chunk.count);
  return {
    index: chunk.index,
    start: chunk.start,
    count: chunk.count,
    rows,
    moments: m.data,
    lnSd,
    finalMean,
    draws: chunk.count * workPerExperiment(spec),
  };
}
