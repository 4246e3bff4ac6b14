/**
 * Splits a run's experiments into chunks. Boundaries depend on the spec only, never on the number
 * of workers or machines, so that every split of the work merges to the same bytes.
 */
import type { RunSpec } from './spec.js';
import { familyOf } from './families/index.js';

/** A contiguous range of experiment indices: [start, start + count). */
export interface Chunk {
  index: number;
  start: number;
  count: number;
}

/** The spec fields a chunk plan depends on. */
export type ChunkSpec = Pick<RunSpec, 'samples' | 'generations' | 'experiments'> &
  Partial<Pick<RunSpec, 'method' | 'regime' | 'synthetic' | 'model' | 'modelParams'>>;

/** A generation's cost relative to the scalar chain's, from the spec's family (1 without one). */
export function stepCost(spec: Omit<ChunkSpec, 'experiments'>): number {
  if (spec.model === undefined || spec.modelParams === undefined) return 1;
  return familyOf(spec.model).stepCost({ method: spec.method ?? 'resample', modelParams: spec.modelParams });
}

/** Draws per chunk aimed at: about 0.1 s of kernel time, small against a task's fixed cost. */
const TARGET_DRAWS_PER_CHUNK = 2 ** 24;
/** At least this many chunks when there are enough experiments, to balance up to 64 threads. */
const MIN_CHUNKS = 64;
/** At most this many chunks, to bound per-task overhead and merge work. */
const MAX_CHUNKS = 4096;

/**
 * Experiments per chunk for a spec: enough draws per chunk to amortise a task, few enough that
 * there are ≥ 64 chunks when E allows, and never more than 4096 chunks.
 */
export function chunkSize(spec: ChunkSpec): number {
  const E = spec.experiments;
  const perExperiment = workPerExperiment(spec);
  let size = Math.max(1, Math.ceil(TARGET_DRAWS_PER_CHUNK / perExperiment));
  // ⌊E/64⌋, not ⌈E/64⌉: 1000 experiments in chunks of ⌈1000/64⌉ = 16 make only 63 chunks
  size = Math.min(size, Math.max(1, Math.floor(E / MIN_CHUNKS)));
  size = Math.max(size, Math.ceil(E / MAX_CHUNKS));
  return size;
}

/**
 * Samples drawn (resample) or generation steps (stats) of one experiment: a generation costs n
 * draws when resampling, except under augment, whose later generations draw only the round(λn)
 * synthetic values.
 */
export function samplesPerExperiment(spec: Omit<ChunkSpec, 'experiments'>): number {
  if (spec.method === 'stats') return spec.generations;
  if (spec.regime === 'augment') return spec.samples + (spec.generations - 1) * Math.round((spec.synthetic ?? 0) * spec.samples);
  return spec.samples * spec.generations;
}

/** Work of one experiment in units of the scalar chain's draws: samplesPerExperiment × the family's step cost. */
export function workPerExperiment(spec: Omit<ChunkSpec, 'experiments'>): number {
  return samplesPerExperiment(spec) * stepCost(spec);
}

/** The chunk plan: consecutive ranges covering [0, E) exactly once, in order. O(E / size). */
export function planChunks(spec: ChunkSpec): Chunk[] {
  const size = chunkSize(spec);
  const chunks: Chunk[] = [];
  for (let start = 0, index = 0; start < spec.experiments; start += size, index++) {
    chunks.push({ index, start, count: Math.min(size, spec.experiments - start) });
  }
  return chunks;
}

/**
 * Recorded values a plane that one joined kernel call holds at most (16 MiB a plane; three planes
 * at most): consecutive chunks of a batch run in one call (workers/task.ts runBatch) only up to
 * this, which bounds a worker's buffers whatever the batch's size (engine.ts estimateBytes).
 */
export const JOIN_VALUES = 2 ** 21;

/** Number of recorded generations: every `every`-th, and always the last. */
export function recordCount(generations: number, every: number): number {
  return Math.ceil(generations / every);
}

/** The generation recorded in row `r` (0-based). */
export function recordedGeneration(r: number, generations: number, every: number): number {
  return Math.min((r + 1) * every, generations);
}

/** Pool values the accumulate-subsample regime keeps per experiment in flight: n·T. */
export function subsamplePoolLength(spec: Pick<RunSpec, 'samples' | 'generations'>): number {
  return spec.samples * spec.generations;
}
