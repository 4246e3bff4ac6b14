/**
 * Piscina task entry for the per-generation statistics: the digest (src/digest.ts) of a block of
 * recorded rows, read from the run's shared store. No I/O and no pool here.
 */
import type { SummaryResult, SummaryTask } from '../src/protocol.js';
// the coordinator's family registry first, as in task.ts: it reads the kernels' metric lists at load
import '../src/families/index.js';
import { digestRows } from '../src/digest.js';
import { kernelOf } from './families/index.js';

export default function summarize(task: SummaryTask): SummaryResult {
  const { spec, store } = task;
  const planes = store.planes.map((b) => new Float64Array(b));
  const kernel = kernelOf(spec.model);
  const derive = store.derived ? { K: kernel.metricCount(spec), fn: kernel.deriveMetrics(spec)! } : undefined;
  return { r0: task.r0, digest: digestRows(planes, store.experiments, task.r0, task.r1, derive) };
}
