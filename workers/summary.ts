/**
 * Piscina task entry for the per-generation statistics: the digest (src/digest.ts) of a block of
 * recorded rows, read from the run's shared store, and, for a derived store, those rows' moments.
 * No I/O and no pool here.
 */
import type { SummaryResult, SummaryTask } from '../src/protocol.js';
// the coordinator's family registry first, as in task.ts: it reads the kernels' metric lists at load
import '../src/families/index.js';
import { digestRow, digestRows, digestWidth, PASS_WIDTH } from '../src/digest.js';
import { chunkMoments, emptyMoments, mergeMoments, NF } from '../src/stats.js';
import { kernelOf } from './families/index.js';
import { WASM_SUMMARY_MAX, WASM_SUMMARY_MIN, wasmSummary, type WasmSummary } from './wasm-summary.js';

export default function summarize(task: SummaryTask): SummaryResult {
  const { spec, store, r0, r1, chunkStarts } = task;
  const planes = store.planes.map((b) => new Float64Array(b));
  const kernel = kernelOf(spec.model);
  const derive = store.derived ? { K: kernel.metricCount(spec), fn: kernel.deriveMetrics(spec)!, maps: kernel.lnSdMaps?.(spec) } : undefined;
  const E = store.experiments;
  if (chunkStarts === undefined) return { r0, digest: digestRows(planes, E, r0, r1, derive) };
  // the module's loops are deriveScalarMetrics' and chunkMoments': the 1-D Gaussian's derived store
  const ws = spec.model === 'gaussian' && derive!.K === 4 && E >= WASM_SUMMARY_MIN && E <= WASM_SUMMARY_MAX ? wasmSummary() : null;
  if (ws !== null && ws.reserve(E)) return inWasm(ws, task, planes, derive!.maps);
  // row by row: its moments, then its digest while its values are still in cache
  const moments = new Float64Array((r1 - r0) * NF);
  const digest = digestRows(planes, E, r0, r1, derive, (r) => {
    const row = rowMoments(spec, planes[0]!.subarray(r * E, (r + 1) * E), planes[1]!.subarray(r * E, (r + 1) * E), chunkStarts);
    moments.set(row, (r - r0) * NF);
  });
  return { r0, digest, moments };
}

/**
 * The moments of one recorded row of ln sd and model mean over every experiment: each chunk's
 * (experiments [chunkStarts[c], chunkStarts[c + 1]), the last to the row's end) by chunkMoments,
 * merged in chunk order from an empty accumulator; what the chunks' own moments merged by the
 * coordinator give (src/engine.ts OutcomeBuilder), number for number.
 */
function rowMoments(spec: SummaryTask['spec'], lnSd: Float64Array, mean: Float64Array, chunkStarts: Int32Array): Float64Array {
  return mergedChunks(chunkStarts, lnSd.length, (start, count, into) =>
    chunkMoments(lnSd, mean, 1, count, spec.mean0, spec.sd0, spec.epsilon, lnSd.length, start, into),
  );
}

/**
 * Each chunk's moments of a row of E experiments, taken by `chunk` (experiments [start, start +
 * count), NF numbers into `into`), merged in chunk order from an empty accumulator.
 */
function mergedChunks(chunkStarts: Int32Array, E: number, chunk: (start: number, count: number, into: Float64Array) => void): Float64Array {
  // the accumulator and each chunk's moments in two buffers kept from row to row (a row of small
  // chunks, such as the article run's 64 chunks of 15 or 16 experiments, is mostly calls)
  acc.count = 0;
  for (let c = 0; c < chunkStarts.length; c++) {
    const start = chunkStarts[c]!;
    const end = c + 1 < chunkStarts.length ? chunkStarts[c + 1]! : E;
    chunk(start, end - start, one.data);
    one.count = end - start;
    mergeMoments(acc, one);
  }
  return acc.data;
}

const acc = emptyMoments(1);
const one = emptyMoments(1);

/**
 * summarize's work for a derived store (the 1-D Gaussian's ln sd and mean) with the module's loops
 * (workers/wasm-summary.ts): each row loaded into the module once, its moments taken chunk by chunk
 * there and merged here in chunk order (mergedChunks), its metrics derived there and digested from
 * there (digestRows' arithmetic). The same numbers as the JS path (test/wasm-summary.test.ts).
 */
function inWasm(ws: WasmSummary, task: SummaryTask, planes: readonly Float64Array[], maps: Parameters<typeof digestRow>[5]): SummaryResult {
  const { spec, store, r0, r1, chunkStarts } = task;
  const E = store.experiments;
  const W = digestWidth(E, 4); // the four metrics of deriveScalarMetrics
  const digest = new Float64Array((r1 - r0) * W);
  const moments = new Float64Array((r1 - r0) * NF);
  const passes = new Float64Array(4 * PASS_WIDTH);
  for (let r = r0; r < r1; r++) {
    ws.load(planes[0]!.subarray(r * E, (r + 1) * E), planes[1]!.subarray(r * E, (r + 1) * E));
    // the row's ln sd and the scratch in the module's memory, where its histogram passes read them
    const lnSd = ws.lnSd();
    const scratch = ws.scratch();
    moments.set(
      mergedChunks(chunkStarts!, E, (start, count, into) => ws.moments(start, count, spec.mean0, spec.sd0, spec.epsilon, into)),
      (r - r0) * NF,
    );
    const metrics = ws.derive(spec.mean0, spec.sd0);
    ws.metricPasses(passes);
    digestRow(lnSd, metrics, scratch, digest, (r - r0) * W, maps, passes, ws.histogram);
  }
  return { r0, digest, moments };
}
