/**
 * Piscina task entry for the per-generation statistics: the digest (src/digest.ts) of a block of
 * recorded rows, read from the run's shared store. No I/O and no pool here.
 */
import type { SummaryResult, SummaryTask } from '../src/protocol.js';
import { digestRows } from '../src/digest.js';

export default function summarize(task: SummaryTask): SummaryResult {
  const planes = task.store.planes.map((b) => new Float64Array(b));
  return { r0: task.r0, digest: digestRows(planes, task.store.experiments, task.r0, task.r1) };
}
