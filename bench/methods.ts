/** The stats method against resample: the article's workload end to end, and generation steps per second at scale. */
import { runSpec } from '../src/engine.js';
import { resolveRunSpec, type RawRunFlags } from '../src/spec.js';

/** One timed run. */
export interface MethodPoint {
  flags: RawRunFlags;
  wallSeconds: number;
  generationSteps: number;
  stepsPerSecond: number;
  /** Mean of ln sd at the last generation, so a broken run cannot pass for a fast one. */
  meanFinalLnSd: number;
}

/** The figures of this benchmark. */
export interface MethodFigures {
  article: { resample: MethodPoint; stats: MethodPoint; ratio: number };
  /** The same with only the final generation recorded (--every 1000): the simulation alone. */
  articleFinalOnly: { resample: MethodPoint; stats: MethodPoint; ratio: number };
  /** E × T = 10^10 with --method stats (only with BENCH_BIG=1: about two minutes on 2 cores). */
  big: MethodPoint | null;
}

async function timed(flags: RawRunFlags, workers: number, reps: number): Promise<MethodPoint> {
  const spec = resolveRunSpec(flags);
  let best = Infinity;
  let meanFinalLnSd = NaN;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    const out = await runSpec(spec, workers);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    const ls = out.lnSd[out.rows - 1]!;
    meanFinalLnSd = ls.reduce((a, b) => a + b, 0) / ls.length;
  }
  const steps = spec.experiments * spec.generations;
  return { flags, wallSeconds: best, generationSteps: steps, stepsPerSecond: steps / best, meanFinalLnSd };
}

/** Runs the comparison on `workers` threads; best of 3 for the article, one run for the big case. */
export async function benchMethods(workers: number, experiments: number, big: boolean): Promise<MethodFigures> {
  const resample = await timed({ experiments: String(experiments) }, workers, 2);
  const stats = await timed({ experiments: String(experiments), method: 'stats' }, workers, 3);
  const resampleF = await timed({ experiments: String(experiments), every: '1000' }, workers, 2);
  const statsF = await timed({ experiments: String(experiments), every: '1000', method: 'stats' }, workers, 3);
  const bigPoint = big
    ? await timed({ experiments: '1000000', generations: '10000', every: '1000', method: 'stats' }, workers, 1)
    : null;
  return {
    article: { resample, stats, ratio: resample.wallSeconds / stats.wallSeconds },
    articleFinalOnly: { resample: resampleF, stats: statsF, ratio: resampleF.wallSeconds / statsF.wallSeconds },
    big: bigPoint,
  };
}

/** Lines for the console. */
export function formatMethods(f: MethodFigures): string {
  const p = (name: string, m: MethodPoint) =>
    `  ${name.padEnd(28)} ${m.wallSeconds.toFixed(3).padStart(8)} s  ${(m.stepsPerSecond / 1e6).toFixed(2).padStart(8)} M generation steps/s`;
  const lines = [
    p('article, --method resample', f.article.resample),
    p('article, --method stats', f.article.stats),
    `  stats is ${f.article.ratio.toFixed(1)}x faster end to end, recording all 1000 generations`,
    p('same, --every 1000, resample', f.articleFinalOnly.resample),
    p('same, --every 1000, stats', f.articleFinalOnly.stats),
    `  stats is ${f.articleFinalOnly.ratio.toFixed(1)}x faster end to end, recording the final generation only`,
  ];
  if (f.big !== null) lines.push(p('E = 10^6, T = 10^4, stats', f.big));
  else lines.push('  (BENCH_BIG=1 adds E = 10^6 × T = 10^4 with --method stats: about two minutes on 2 cores)');
  return lines.join('\n');
}
