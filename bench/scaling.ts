/** End-to-end throughput of the default run through the engine at each worker count, to show how it scales. */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { runSpec } from '../src/engine.js';
import { resolveRunSpec, type RunSpec } from '../src/spec.js';

/** One worker count's best repetition. */
export interface ScalingPoint {
  workers: number;
  wallSeconds: number;
  /** Wall of every repetition, so the spread is visible next to the best. */
  repetitionWallSeconds: number[];
  draws: number;
  normalsPerSecond: number;
  speedup: number;
  efficiency: number;
}

/** The scaling benchmark's figures. */
export interface ScalingFigures {
  spec: RunSpec;
  repetitions: number;
  points: ScalingPoint[];
  /** Mean of ln sd at the last generation, so a broken run cannot pass for a fast one. */
  meanFinalLnSd: number;
}

/** BENCH_EXPERIMENTS, if set, shrinks E for quick runs; the default is the article's 1000. */
export function benchExperiments(): number {
  const raw = process.env['BENCH_EXPERIMENTS'];
  if (raw === undefined || raw.trim() === '') return 1000;
  const e = Number(raw);
  if (!Number.isInteger(e) || e < 1) throw new Error(`BENCH_EXPERIMENTS must be an integer ≥ 1, got ${JSON.stringify(raw)}`);
  return e;
}

/** 1, 2 and every count up to the machine's parallelism. */
export function workerCounts(max = os.availableParallelism()): number[] {
  const counts = new Set<number>([1, 2]);
  for (let w = 1; w <= max; w++) counts.add(w);
  return [...counts].sort((a, b) => a - b);
}

/**
 * Runs the spec `repetitions` times per worker count and keeps the fastest: on a shared machine
 * interference only ever adds time, so the minimum is the best estimate of the code's own cost.
 */
export async function benchScaling(
  experiments = benchExperiments(),
  counts = workerCounts(),
  repetitions = 2,
  log: (line: string) => void = () => undefined,
): Promise<ScalingFigures> {
  const spec = resolveRunSpec({ experiments: String(experiments) });
  const points: ScalingPoint[] = [];
  let meanFinalLnSd = Number.NaN;
  for (const workers of counts) {
    const walls: number[] = [];
    let draws = 0;
    for (let r = 0; r < repetitions; r++) {
      const t0 = process.hrtime.bigint();
      const outcome = await runSpec(spec, workers);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      walls.push(wall);
      draws = outcome.draws;
      const last = outcome.lnSd[outcome.rows - 1]!;
      let sum = 0;
      for (const v of last) sum += v;
      meanFinalLnSd = sum / last.length;
      log(`  ${workers} worker(s), repetition ${r + 1}: ${wall.toFixed(2)} s`);
    }
    const wallSeconds = Math.min(...walls);
    points.push({
      workers,
      wallSeconds,
      repetitionWallSeconds: walls,
      draws,
      normalsPerSecond: draws / wallSeconds,
      speedup: Number.NaN,
      efficiency: Number.NaN,
    });
  }
  const base = points.find((p) => p.workers === 1);
  for (const p of points) {
    p.speedup = base === undefined ? Number.NaN : base.wallSeconds / p.wallSeconds;
    p.efficiency = p.speedup / p.workers;
  }
  return { spec, repetitions, points, meanFinalLnSd };
}

/** One line per worker count, for the console. */
export function formatScaling(s: ScalingFigures): string {
  return s.points
    .map(
      (p) =>
        `  ${String(p.workers).padStart(3)} worker(s) ${p.wallSeconds.toFixed(2).padStart(8)} s ` +
        `${(p.normalsPerSecond / 1e6).toFixed(1).padStart(8)} M normals/s  speed-up ${p.speedup.toFixed(2)}  ` +
        `efficiency ${(100 * p.efficiency).toFixed(0)}%`,
    )
    .join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = await benchScaling(undefined, undefined, 2, (l) => console.log(l));
  console.log(formatScaling(s));
}
