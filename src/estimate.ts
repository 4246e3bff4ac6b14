/**
 * The engine's own estimate of how long a run takes, from calibrated per-worker rates: used to
 * balance sweep shards by work and to say up front when a request will take long.
 */
import os from 'node:os';
import { workOf } from './engine.js';
import { formatDuration } from './progress.js';
import { planChunks, recordCount } from './plan.js';
import type { RunSpec } from './spec.js';

/**
 * Draws (resample) or generation steps (stats) per second on one worker, measured end to end on
 * the 2-core AMD EPYC development machine (README, Benchmarks): fast resample 180.5 M normals/s,
 * stdlib 40.6 M/s; stats 78 M steps/s on 2 workers; stats with stdlib measured 6.7x slower than
 * stats with fast in one session. x256 against fast in one session (the article run, and the
 * T = 1000, E = 10^5 stats run, 2 workers): 1.37x the normals per second, 0.86x the steps.
 * A faster or busier machine moves every figure together.
 */
const RATE: Record<RunSpec['method'], Record<RunSpec['rng'], number>> = {
  resample: { fast: 180e6, x256: 246e6, stdlib: 40e6 },
  stats: { fast: 39e6, x256: 33.5e6, stdlib: 5.8e6 },
};

/**
 * Recorded values (experiments × recorded generations) summarised per second, on the coordinating
 * thread: recording all 1000 generations of the article's stats run costs 0.051 s more than
 * recording one (README: 0.074 s against 0.023 s), about 2e7 values/s.
 */
const RECORD_RATE = 2e7;

/**
 * Seconds per recorded generation on the coordinating thread, whatever E: its statistics, theory
 * and z-scores, and its line of trajectory.csv (109 cells at d = 1). Measured 83 µs a row on the
 * development machine (30000 recorded generations of 16 experiments: 1.25 s of simulation, 3.8 s
 * in all); 10^6 recorded generations take minutes here, not the seconds their draws take.
 */
const ROW_SECONDS = 85e-6;

/** Starting the pool, writing the result files: about 0.1 s per run (README). */
const FIXED_SECONDS = 0.1;

/** Seconds one worker would take for `spec`: the unit in which sweep shards are balanced. */
export function workSeconds(spec: RunSpec): number {
  return workOf(spec) / RATE[spec.method][spec.rng] + (spec.experiments * recordCount(spec.generations, spec.every)) / RECORD_RATE + FIXED_SECONDS;
}

/**
 * Estimated wall seconds of `spec` on `workers` threads: the draws spread over the workers that
 * have chunks and CPUs to run on, the recording on one thread.
 */
export function estimateSeconds(spec: RunSpec, workers: number, cpus = os.availableParallelism()): number {
  const threads = Math.max(1, Math.min(workers, cpus, planChunks(spec).length));
  const rows = recordCount(spec.generations, spec.every);
  const record = (spec.experiments * rows) / RECORD_RATE;
  return (workSeconds(spec) - record - FIXED_SECONDS) / threads + record + rows * ROW_SECONDS + FIXED_SECONDS;
}

/** A request estimated to take longer than this says so before it starts. */
export const LONG_SECONDS = 60;

/**
 * The up-front line for a long request (null when it is not long): what it is, the estimate, and
 * where progress shows. `what` names the request (`this run`, `these 40 points`).
 */
export function longNotice(what: string, seconds: number, workers: number): string | null {
  if (!(seconds > LONG_SECONDS)) return null;
  return (
    `collapse: note: ${what} will take about ${formatDuration(seconds)} on ${workers} worker${workers === 1 ? '' : 's'} ` +
    `by the engine's estimate (calibrated rates; a busy or faster machine differs)\n`
  );
}
