/**
 * The worker side of the model-family registry: each family's kernel by model name. A family
 * added later adds its kernel module and one line here (and one in src/families/index.ts).
 */
import type { KernelSpec } from '../chains.js';
import type { LnSdMap } from '../../src/digest.js';
import { deriveScalarMetrics, dimOf, GAUSSIAN_METRICS, runGaussian, scalarLnSdMaps, type ChunkOutput } from './gaussian.js';
import { LINREG_METRICS, linregParams, runLinreg } from './linreg.js';
import { NGRAM_METRICS, runNgram } from './ngram.js';
import { CATEGORICAL_METRICS, runCategorical } from './categorical.js';
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
  /**
   * Where every metric is a function of the experiment's (ln sd, mean) at the same generation,
   * that function over n values (metric k of value i to metrics[k · n + i]), so that a run may
   * store (ln sd, mean) alone and derive the metrics when it summarises; null where the kernel
   * records the metrics on their own. Where it is not null, `run` accepts an empty out.metrics and
   * then skips them.
   */
  deriveMetrics(spec: KernelSpec): MetricsFromScalar | null;
  /**
   * Where deriveMetrics is not null, for each metric the map from an experiment's ln sd to its
   * value, where the metric is a non-decreasing function of ln sd alone (src/digest.ts LnSdMap:
   * the same arithmetic as deriveMetrics, so the same bits), else null: its order statistics are
   * then ln sd's mapped, without a selection of its own. Absent: none.
   */
  lnSdMaps?(spec: KernelSpec): readonly LnSdMap[];
  /**
   * Whether consecutive chunks of `spec` that reach a worker in one batch may run in one `run`
   * call and be split back (workers/task.ts, runJoined): true only where every experiment's values
   * are its own stream's whatever the call, and where one larger call pays.
   */
  joinable(spec: KernelSpec): boolean;
}

/** Metrics of n values from their (ln sd, mean): see FamilyKernel.deriveMetrics. */
export type MetricsFromScalar = (lnSd: Float64Array, mean: Float64Array, metrics: Float64Array, n: number) => void;

export const KERNELS: Readonly<Record<string, FamilyKernel>> = {
  gaussian: {
    metricCount: () => GAUSSIAN_METRICS.length,
    run: runGaussian,
    valuesPerSample: (spec) => (spec.method === 'stats' ? 1 : dimOf(spec)),
    deriveMetrics: (spec) =>
      dimOf(spec) === 1 ? (lnSd, mean, metrics, n) => deriveScalarMetrics(spec, lnSd, mean, metrics, n) : null,
    lnSdMaps: (spec) => (dimOf(spec) === 1 ? scalarLnSdMaps(spec) : []),
    // the article chain draws four experiments per SIMD call, which chunks of one or two never fill
    joinable: (spec) => dimOf(spec) === 1,
  },
  categorical: { metricCount: () => CATEGORICAL_METRICS.length, run: runCategorical, valuesPerSample: () => 1, deriveMetrics: () => null, joinable: () => false },
  linreg: {
    metricCount: () => LINREG_METRICS.length,
    run: runLinreg,
    valuesPerSample: (spec) => (spec.method === 'stats' ? Math.min(spec.samples, linregParams(spec).d) : 1),
    deriveMetrics: () => null,
    joinable: () => false,
  },
  ngram: { metricCount: () => NGRAM_METRICS.length, run: runNgram, valuesPerSample: () => 1, deriveMetrics: () => null, joinable: () => false },
  gmm: { metricCount: () => GMM_METRICS.length, run: runGmm, valuesPerSample: () => 2, deriveMetrics: () => null, joinable: () => false },
  kde: { metricCount: () => KDE_METRICS.length, run: runKde, valuesPerSample: (spec) => (spec.modelParams['data'] === 'swiss-roll' ? 3 : 2), deriveMetrics: () => null, joinable: () => false },
};

/** The kernel of `model`; the spec was validated upstream, so an unknown name is an internal error. */
export function kernelOf(model: string): FamilyKernel {
  const k = KERNELS[model];
  if (k === undefined) throw new Error(`internal: no kernel for model ${JSON.stringify(model)}`);
  return k;
}
