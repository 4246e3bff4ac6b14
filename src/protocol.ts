/**
 * Messages between the coordinator and the workers: plain data that structured clone carries.
 * Imported by both sides, so it holds types only.
 */
import type { KernelSpec } from '../workers/chains.js';

/** One unit of work: a chunk of consecutive experiments of a spec. */
export interface ChunkTask {
  spec: KernelSpec;
  chunk: { index: number; start: number; count: number };
}

/** A chunk's output: its moments, and the ln sd / mean values it recorded. */
export interface ChunkResult {
  index: number;
  start: number;
  count: number;
  rows: number;
  /** Moments per recorded generation, stride NF (see stats.ts). */
  moments: Float64Array;
  /** ln sd at every recorded generation, laid out [row · count + e]. */
  lnSd: Float64Array;
  /** Model mean at the final generation, per experiment. */
  finalMean: Float64Array;
  /** The family's metrics at every recorded generation, laid out [k · rows · count + row · count + e]. */
  metrics: Float64Array;
  /** Standard normal deviates drawn (resample), or generation steps (stats). */
  draws: number;
}

/** What a batch of chunk tasks returns: each chunk's result in task order, up to the first failure. */
export interface BatchResult {
  results: ChunkResult[];
  /** The item that threw, and its message; null when every chunk ran. */
  failure: { item: number; message: string } | null;
}
