/**
 * The KDE family's worker kernel: a Gaussian-kernel density estimate on each generation's training
 * set (the regimes of pointchain.ts), sampled by picking a training point uniformly and adding
 * N(0, τh²I). Metrics per recorded generation: `nll`, the mean negative log-likelihood of the
 * experiment's 500 held-out true points under the KDE (log-sum-exp, so finite at any h > 0), and
 * `spread`, tr S of the training set (divisor N − ddof). No I/O, no pool.
 */
import type { KernelSpec } from '../chains.js';
import { uniformIndex } from '../chains.js';
import { experimentWords } from '../../src/seed.js';
import { sourceFor, type Source } from '../sources.js';
import type { ChunkOutput } from './gaussian.js';
import { PointChain, type OnFit, type PointModel, type Truth } from './pointchain.js';
import { dataCode, dataDim, drawData } from './toydata.js';

/** The KDE family's metrics, in the order the kernel writes them. */
export const KDE_METRICS = ['nll', 'spread'] as const;

/** Held-out true points per experiment for `nll`, drawn first from the experiment's stream. */
export const KDE_TEST_POINTS = 500;

/** A bandwidth rule's factor c at N points in d dimensions: h = c·√(tr S / d). */
export function bandwidthFactor(rule: string, N: number, d: number): number {
  if (rule === 'scott') return Math.pow(N, -1 / (d + 4));
  // silverman: (4 / ((d + 2) N))^(1/(d + 4))
  return Math.pow(4 / ((d + 2) * N), 1 / (d + 4));
}

/**
 * The bandwidth of a training set of N points with trace `trS` (divisor N − ddof): the fixed
 * number, or the rule's c·√(trS/d) (Scott 1992 and Silverman 1986's normal-reference rules, with
 * one pooled scale for the isotropic kernel).
 */
export function bandwidthOf(param: string, N: number, d: number, trS: number): number {
  if (param === 'scott' || param === 'silverman') return bandwidthFactor(param, N, d) * Math.sqrt(trS / d);
  return Number(param);
}

/** tr of the sample covariance of rows [0, N) of x (row length d), by two passes; divisor N − ddof. */
export function traceCov(x: Float64Array, N: number, d: number, ddof: number, mean: Float64Array): number {
  for (let c = 0; c < d; c++) mean[c] = 0;
  for (let i = 0; i < N; i++) for (let c = 0; c < d; c++) mean[c] = mean[c]! + x[i * d + c]!;
  for (let c = 0; c < d; c++) mean[c] = mean[c]! / N;
  let ss = 0;
  for (let i = 0; i < N; i++) {
    const o = i * d;
    for (let c = 0; c < d; c++) {
      const t = x[o + c]! - mean[c]!;
      ss += t * t;
    }
  }
  return ss / (N - ddof);
}

/**
 * Mean negative log-likelihood of the m test rows of `test` under the KDE on rows [0, N) of x with
 * bandwidth h: log p̂(y) = max + ln Σ_i exp(a_i − max) − ln N − (d/2) ln(2πh²), a_i = −‖y − x_i‖²/(2h²).
 * The largest term is factored out, so a tiny h gives its exact limit instead of ln 0. O(m·N·d).
 */
export function kdeNll(test: Float64Array, m: number, x: Float64Array, N: number, d: number, h: number, scratch: Float64Array): number {
  const k = -0.5 / (h * h);
  const norm = Math.log(N) + 0.5 * d * Math.log(2 * Math.PI * h * h);
  let sum = 0;
  for (let t = 0; t < m; t++) {
    const ot = t * d;
    let mx = -Infinity;
    for (let i = 0; i < N; i++) {
      const o = i * d;
      let q = 0;
      for (let c = 0; c < d; c++) {
        const u = test[ot + c]! - x[o + c]!;
        q += u * u;
      }
      const a = k * q;
      scratch[i] = a;
      if (a > mx) mx = a;
    }
    let s = 0;
    for (let i = 0; i < N; i++) s += Math.exp(scratch[i]! - mx);
    sum += norm - mx - Math.log(s);
  }
  return sum / m;
}

const chain = new PointChain();

class DataTruth implements Truth {
  readonly d: number;
  constructor(
    private readonly code: number,
    private readonly mean0: number,
    private readonly sd0: number,
  ) {
    this.d = this.code === 3 ? 3 : 2;
  }
  draw(src: Source, out: Float64Array, at: number, m: number): void {
    drawData(this.code, src, out, at, m, this.mean0, this.sd0);
  }
}

/** The KDE of one experiment at a time: its held-out points, its fit, its metrics. */
class Kde implements PointModel {
  readonly d: number;
  readonly test: Float64Array;
  readonly mean: Float64Array;
  scratch = new Float64Array(0);
  x: Float64Array = new Float64Array(0);
  N = 0;
  h = 1;
  trS = 0;
  sdNoise = 1;
  e = 0;

  constructor(
    readonly spec: KernelSpec,
    d: number,
    private readonly metrics: Float64Array,
    private readonly plane: number,
    private readonly count: number,
  ) {
    this.d = d;
    this.test = new Float64Array(KDE_TEST_POINTS * d);
    this.mean = new Float64Array(d);
  }

  fit(_src: Source, x: Float64Array, N: number): void {
    this.x = x;
    this.N = N;
    this.trS = traceCov(x, N, this.d, this.spec.ddof, this.mean);
    this.h = bandwidthOf(String(this.spec.modelParams['bandwidth']), N, this.d, this.trS);
    this.sdNoise = this.h * Math.sqrt(this.spec.temperature);
  }

  sample(src: Source, out: Float64Array, at: number, m: number): void {
    const { d, x, N, sdNoise } = this;
    for (let r = at; r < at + m; r++) {
      const o = uniformIndex(src, N) * d;
      const w = r * d;
      for (let c = 0; c < d; c++) out[w + c] = x[o + c]! + sdNoise * src.normal();
    }
  }

  record(x: Float64Array, N: number, row: number): void {
    if (this.scratch.length < N) this.scratch = new Float64Array(N);
    const o = row * this.count + this.e;
    this.metrics[o] = kdeNll(this.test, KDE_TEST_POINTS, x, N, this.d, this.h, this.scratch);
    this.metrics[this.plane + o] = this.trS;
  }
}

/** Runs experiments [start, start + count) of a kde spec; there is no scalar sd summary (returns false). */
export function runKde(spec: KernelSpec, start: number, count: number, rows: number, out: ChunkOutput, onFit?: OnFit): boolean {
  out.lnSd.fill(NaN);
  out.mean.fill(NaN);
  const name = String(spec.modelParams['data']);
  const d = dataDim(name);
  const truth = new DataTruth(dataCode(name), spec.mean0, spec.sd0);
  const kde = new Kde(spec, d, out.metrics, rows * count, count);
  const src = sourceFor(spec.rng);
  for (let e = 0; e < count; e++) {
    src.seed(experimentWords(spec.seed, start + e));
    kde.e = e;
    truth.draw(src, kde.test, 0, KDE_TEST_POINTS);
    chain.run(spec, src, truth, kde, onFit);
  }
  return false;
}
