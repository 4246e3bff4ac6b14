/**
 * Messages between the coordinator and the workers: plain data that structured clone carries.
 * Imported by both sides, so it holds types only.
 */
import type { KernelSpec } from '../workers/chains.js';

/**
 * Where a run's recorded values live, shared by every thread: plane 0 the ln sd, then plane 1 the
 * model mean where the metrics are `derived` from (ln sd, mean) (FamilyKernel.deriveMetrics), else
 * plane 1 + k metric k; each laid out [row · experiments + e]. A derived store's chunks also leave
 * their moments to the summary tasks (SummaryTask.chunkStarts), which take them from the store.
 */
export interface RecordStore {
  experiments: number;
  derived: boolean;
  planes: SharedArrayBuffer[];
}

/** One unit of work: a chunk of consecutive experiments of a spec. */
export interface ChunkTask {
  spec: KernelSpec;
  chunk: { index: number; start: number; count: number };
  /** Where given, the worker writes its recorded values here and returns them empty. */
  store?: RecordStore;
}

/** The per-generation statistics' O(E) part for recorded rows [r0, r1) of a store (src/digest.ts). */
export interface SummaryTask {
  spec: KernelSpec;
  store: RecordStore;
  r0: number;
  r1: number;
  /**
   * For a derived store, the first experiment of each chunk, in chunk order (from 0): the task
   * then also takes each row's moments, chunk by chunk from the store and merged in chunk order
   * (as the coordinator merges chunks' own moments elsewhere), while the row is in cache for its
   * digest. The chunks of a derived store return none.
   */
  chunkStarts?: Int32Array;
}

/** A SummaryTask's digest, (r1 − r0) · digestWidth numbers, and its rows' moments where it took them. */
export interface SummaryResult {
  r0: number;
  digest: Float64Array;
  /** Moments of rows [r0, r1), stride NF (src/stats.ts), over every experiment: where chunkStarts was given. */
  moments?: Float64Array;
}

/** A chunk's output: its moments, and the ln sd / mean values it recorded. */
export interface ChunkResult {
  index: number;
  start: number;
  count: number;
  rows: number;
  /** Moments per recorded generation, stride NF (see stats.ts); empty for a derived store's chunk (SummaryTask.chunkStarts). */
  moments: Float64Array;
  /** Whether lnSd and metrics went to the task's store (and are empty here). */
  stored?: boolean;
  /** ln sd at every recorded generation, laid out [row · count + e]. */
  lnSd: Float64Array;
  /** Model mean at the final generation, per experiment. */
  finalMean: Float64Array;
  /** The family's metrics at every recorded generation, laid out [k · rows · count + row · count + e]. */
  metrics: Float64Array;
  /** Standard normal deviates drawn (resample), or generation steps (stats). */
  draws: number;
  /**
   * Consecutive chunks this result stands for, from chunk `index` on (1 when absent). More than
   * one only where `index` is 0: the chunks' moments are then already merged, in chunk order from
   * an empty accumulator, exactly as the coordinator would merge them (workers/task.ts runJoined),
   * and finalMean holds all their experiments.
   */
  chunks?: number;
}

/** What a batch of chunk tasks returns: each chunk's result in task order, up to the first failure. */
export interface BatchResult {
  results: ChunkResult[];
  /** The item that threw, and its message; null when every chunk ran. */
  failure: { item: number; message: string } | null;
}
