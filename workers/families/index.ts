/**
 * The worker side of the model-family registry: each family's kernel by model name. A family
 * added later adds its kernel module and one line here (and one in src/families/index.ts).
 */
import type { KernelSpec } from '../chains.js';
import { dimOf, GAUSSIAN_METRICS, runGaussian, type ChunkOutput } from './gaussian.js';
import { GMM_METRICS, runGmm } from './gmm.js';
import { KDE_METRICS, runKde } from './kde.js';

export type { ChunkOutput } from './gaussian.js';

/** What the task entry needs of a family: how many metrics it records, and its chunk runner. */
export interface FamilyKernel {
  /** Metrics recorded per experiment and recorded generation (the order of the family's metric list). */
  metricCount(spec: KernelSpec): number;
  /**
   * Runs experiments [start, start + count) into `out`; returns true when it also wrote the scalar
   * sd summary (out.lnSd, out.mean), false when it left them NaN.
   */
  run(spec: KernelSpec, start: number, count: number, rows: number, out: ChunkOutput): boolean;
  /** Standard normal deviates per drawn sample (resample), or 1 (stats, where a draw is a generation step). */
  valuesPerSample(spec: KernelSpec): number;
}

export const KERNELS: Readonly<Record<string, FamilyKernel>> = {
  gaussian: {
    metricCount: () => GAUSSIAN_METRICS.length,
    run: runGaussian,
    valuesPerSample: (spec) => (spec.method === 'stats' ? 1 : dimOf(spec)),
  },
  gmm: { metricCount: () => GMM_METRICS.length, run: runGmm, valuesPerSample: () => 2 },
  kde: { metricCount: () => KDE_METRICS.length, run: runKde, valuesPerSample: (spec) => (spec.modelParams['data'] === 'swiss-roll' ? 3 : 2) },
};

/** The kernel of `model`; the spec was validated upstream, so an unknown name is an internal error. */
export function kernelOf(model: string): FamilyKernel {
  const k = KERNELS[model];
  if (k === undefined) throw new Error(`internal: no kernel for model ${JSON.stringify(model)}`);
  return k;
}
