/**
 * The GMM family's worker kernel (Shumailov et al., Nature 2024): a k-component full-covariance
 * Gaussian mixture in 2-D refitted by EM on each generation's training set (the regimes of
 * pointchain.ts) and sampled n points at a time. Metrics per recorded generation: `l2`, the L2
 * distance between the fitted and the original densities in closed form, and `loglik`, the mean
 * log-likelihood of the experiment's 500 held-out original points. No I/O, no pool.
 *
 * EM (Dempster, Laird & Rubin 1977; the scheme of scikit-learn's GaussianMixture): initial means
 * by k-means++ seeding (Arthur & Vassilvitskii 2007) from the experiment's stream, every initial
 * covariance the training set's covariance (divisor N), weights 1/k; then E and M steps until the
 * mean log-likelihood per point changes by less than EM_TOL, at most EM_MAX_ITER iterations.
 * Every covariance gets EM_REG added to its diagonal (sklearn's reg_covar), and every component's
 * responsibility sum 10·ε (sklearn's guard), so a component that loses its points stays defined.
 */
import type { KernelSpec } from '../chains.js';
import { uniformIndex } from '../chains.js';
import { experimentWords } from '../../src/seed.js';
import { sourceFor, type Source } from '../sources.js';
import type { ChunkOutput } from './gaussian.js';
import { PointChain, type OnFit, type PointModel, type Truth } from './pointchain.js';

/** The GMM family's metrics, in the order the kernel writes them. */
export const GMM_METRICS = ['l2', 'loglik'] as const;
/** Held-out original points per experiment for `loglik`, drawn first from the experiment's stream. */
export const GMM_TEST_POINTS = 500;
/** EM stops when the mean log-likelihood per point changes by less than this (sklearn's tol). */
export const EM_TOL = 1e-3;
/** EM's iteration cap (sklearn's max_iter). */
export const EM_MAX_ITER = 100;
/** Added to every covariance's diagonal (sklearn's reg_covar). */
export const EM_REG = 1e-6;
/** The original mixture's means lie at this radius (k0 > 1). */
export const ORIGINAL_RADIUS = 3;
/** The original mixture's components have covariance ORIGINAL_VAR·I (k0 > 1). */
export const ORIGINAL_VAR = 0.25;

const LN_2PI = Math.log(2 * Math.PI);
const EPS10 = 10 * 2.220446049250313e-16;

/** A 2-D Gaussian mixture: weights w, means (mx, my), covariances [[a, b], [b, c]]. */
export class Mixture {
  k = 0;
  readonly w: Float64Array;
  readonly mx: Float64Array;
  readonly my: Float64Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly c: Float64Array;
  constructor(readonly kmax: number) {
    this.w = new Float64Array(kmax);
    this.mx = new Float64Array(kmax);
    this.my = new Float64Array(kmax);
    this.a = new Float64Array(kmax);
    this.b = new Float64Array(kmax);
    this.c = new Float64Array(kmax);
  }
}

/**
 * The original distribution: N(mean0·1, sd0²·I) when k0 = 1; else k0 equal-weight components with
 * means mean0 + sd0·3(cos 2πj/k0, sin 2πj/k0) and covariances sd0²·0.25·I.
 */
export function originalMixture(k0: number, mean0: number, sd0: number): Mixture {
  const g = new Mixture(k0);
  g.k = k0;
  const v = k0 === 1 ? sd0 * sd0 : sd0 * sd0 * ORIGINAL_VAR;
  for (let j = 0; j < k0; j++) {
    const t = (2 * Math.PI * j) / k0;
    g.w[j] = 1 / k0;
    g.mx[j] = mean0 + (k0 === 1 ? 0 : sd0 * ORIGINAL_RADIUS * Math.cos(t));
    g.my[j] = mean0 + (k0 === 1 ? 0 : sd0 * ORIGINAL_RADIUS * Math.sin(t));
    g.a[j] = v;
    g.b[j] = 0;
    g.c[j] = v;
  }
  return g;
}

/** Σ_ij p.w_i q.w_j N(μ_i − μ_j; 0, Σ_i + Σ_j) = ∫ p·q: the closed form of the product integral of two 2-D mixtures. */
export function productIntegral(p: Mixture, q: Mixture): number {
  let s = 0;
  for (let i = 0; i < p.k; i++) {
    for (let j = 0; j < q.k; j++) {
      const a = p.a[i]! + q.a[j]!;
      const b = p.b[i]! + q.b[j]!;
      const c = p.c[i]! + q.c[j]!;
      const det = a * c - b * b;
      const dx = p.mx[i]! - q.mx[j]!;
      const dy = p.my[i]! - q.my[j]!;
      const quad = (c * dx * dx - 2 * b * dx * dy + a * dy * dy) / det;
      s += (p.w[i]! * q.w[j]! * Math.exp(-0.5 * quad)) / (2 * Math.PI * Math.sqrt(det));
    }
  }
  return s;
}

/**
 * The L2 distance ‖p − q‖₂ = √(∫p² − 2∫pq + ∫q²), each integral in closed form (qq given). The
 * three terms cancel as p → q: distances below about 1e-8·√∫q² are rounding, and a negative
 * rounding residue is reported as 0.
 */
export function l2Distance(p: Mixture, q: Mixture, qq: number): number {
  const d2 = productIntegral(p, p) - 2 * productIntegral(p, q) + qq;
  return Math.sqrt(Math.max(0, d2));
}

/** Mean log density of m rows of x (row length 2) under g, each by log-sum-exp over components. */
export function meanLogLik(g: Mixture, x: Float64Array, m: number): number {
  let sum = 0;
  for (let i = 0; i < m; i++) {
    const px = x[2 * i]!;
    const py = x[2 * i + 1]!;
    let mx = -Infinity;
    let s = 0;
    for (let j = 0; j < g.k; j++) {
      const lp = componentLogPdf(g, j, px, py);
      if (lp > mx) {
        s = s * Math.exp(mx - lp) + 1;
        mx = lp;
      } else s += Math.exp(lp - mx);
    }
    sum += mx + Math.log(s);
  }
  return sum / m;
}

/** ln(w_j·N(x; μ_j, Σ_j)). */
function componentLogPdf(g: Mixture, j: number, px: number, py: number): number {
  const a = g.a[j]!;
  const b = g.b[j]!;
  const c = g.c[j]!;
  const det = a * c - b * b;
  const dx = px - g.mx[j]!;
  const dy = py - g.my[j]!;
  return Math.log(g.w[j]!) - LN_2PI - 0.5 * Math.log(det) - (0.5 * (c * dx * dx - 2 * b * dx * dy + a * dy * dy)) / det;
}

/**
 * m draws from g into rows [at, at + m) of out, with every covariance scaled by τ: a component by
 * one uniform (inverse CDF of the weights), then μ + L·(z1, z2) with L the Cholesky factor of τΣ.
 */
export function sampleMixture(g: Mixture, tau: number, src: Source, out: Float64Array, at: number, m: number, cum: Float64Array): void {
  const k = g.k;
  let tot = 0;
  for (let j = 0; j < k; j++) {
    tot += g.w[j]!;
    cum[j] = tot;
  }
  for (let r = at; r < at + m; r++) {
    const t = (1 - src.uniform()) * tot;
    let j = 0;
    while (j < k - 1 && !(t < cum[j]!)) j++;
    const l11 = Math.sqrt(tau * g.a[j]!);
    const l21 = (tau * g.b[j]!) / l11;
    const l22 = Math.sqrt(Math.max(0, tau * g.c[j]! - l21 * l21));
    const z1 = src.normal();
    const z2 = src.normal();
    out[2 * r] = g.mx[j]! + l11 * z1;
    out[2 * r + 1] = g.my[j]! + l21 * z1 + l22 * z2;
  }
}

/** EM for a k-component 2-D mixture, with its scratch. */
export class Em {
  resp = new Float64Array(0);
  dist = new Float64Array(0);
  readonly lconst: Float64Array;
  readonly ia: Float64Array;
  readonly ib: Float64Array;
  readonly ic: Float64Array;
  readonly lp: Float64Array;
  /** Iterations of the last fit. */
  iterations = 0;

  constructor(
    readonly kmax: number,
    readonly tol = EM_TOL,
    readonly maxIter = EM_MAX_ITER,
    readonly reg = EM_REG,
  ) {
    this.lconst = new Float64Array(kmax);
    this.ia = new Float64Array(kmax);
    this.ib = new Float64Array(kmax);
    this.ic = new Float64Array(kmax);
    this.lp = new Float64Array(kmax);
  }

  /**
   * Fits k components to rows [0, N) of x into g. `trace`, when given, receives the mean
   * log-likelihood per point of each E step (of the parameters before that iteration's M step).
   */
  fit(src: Source, x: Float64Array, N: number, k: number, g: Mixture, trace?: number[]): void {
    if (this.resp.length < N * k) this.resp = new Float64Array(N * k);
    if (this.dist.length < N) this.dist = new Float64Array(N);
    g.k = k;
    this.init(src, x, N, k, g);
    const { resp, lconst, ia, ib, ic, lp } = this;
    let prev = -Infinity;
    let it = 0;
    while (it < this.maxIter) {
      it++;
      for (let j = 0; j < k; j++) {
        const a = g.a[j]!;
        const b = g.b[j]!;
        const c = g.c[j]!;
        const det = a * c - b * b;
        ia[j] = c / det;
        ib[j] = -b / det;
        ic[j] = a / det;
        lconst[j] = Math.log(g.w[j]!) - LN_2PI - 0.5 * Math.log(det);
      }
      // E step: responsibilities by log-sum-exp, and the log-likelihood of the current parameters
      let ll = 0;
      for (let i = 0; i < N; i++) {
        const px = x[2 * i]!;
        const py = x[2 * i + 1]!;
        let mx = -Infinity;
        for (let j = 0; j < k; j++) {
          const dx = px - g.mx[j]!;
          const dy = py - g.my[j]!;
          const v = lconst[j]! - 0.5 * (ia[j]! * dx * dx + 2 * ib[j]! * dx * dy + ic[j]! * dy * dy);
          lp[j] = v;
          if (v > mx) mx = v;
        }
        let s = 0;
        for (let j = 0; j < k; j++) s += Math.exp(lp[j]! - mx);
        const li = mx + Math.log(s);
        ll += li;
        const o = i * k;
        for (let j = 0; j < k; j++) resp[o + j] = Math.exp(lp[j]! - li);
      }
      const lb = ll / N;
      if (trace !== undefined) trace.push(lb);
      // M step: weights, means, then covariances about the new means (two passes)
      let tot = 0;
      for (let j = 0; j < k; j++) {
        let nk = EPS10;
        let sx = 0;
        let sy = 0;
        for (let i = 0; i < N; i++) {
          const r = resp[i * k + j]!;
          nk += r;
          sx += r * x[2 * i]!;
          sy += r * x[2 * i + 1]!;
        }
        const mx = sx / nk;
        const my = sy / nk;
        let saa = 0;
        let sab = 0;
        let scc = 0;
        for (let i = 0; i < N; i++) {
          const r = resp[i * k + j]!;
          const dx = x[2 * i]! - mx;
          const dy = x[2 * i + 1]! - my;
          saa += r * dx * dx;
          sab += r * dx * dy;
          scc += r * dy * dy;
        }
        g.w[j] = nk;
        tot += nk;
        g.mx[j] = mx;
        g.my[j] = my;
        g.a[j] = saa / nk + this.reg;
        g.b[j] = sab / nk;
        g.c[j] = scc / nk + this.reg;
      }
      for (let j = 0; j < k; j++) g.w[j] = g.w[j]! / tot;
      if (Math.abs(lb - prev) < this.tol) break;
      prev = lb;
    }
    this.iterations = it;
  }

  /**
   * k-means++ seeding: the first mean a uniform row, each next one a row drawn with probability
   * proportional to its squared distance to the nearest mean so far (a uniform row when every
   * distance is 0). Covariances: the set's covariance (divisor N) + reg; weights 1/k.
   */
  private init(src: Source, x: Float64Array, N: number, k: number, g: Mixture): void {
    const dist = this.dist;
    let c = uniformIndex(src, N);
    g.mx[0] = x[2 * c]!;
    g.my[0] = x[2 * c + 1]!;
    for (let i = 0; i < N; i++) dist[i] = Infinity;
    for (let j = 1; j < k; j++) {
      const cx = g.mx[j - 1]!;
      const cy = g.my[j - 1]!;
      let tot = 0;
      for (let i = 0; i < N; i++) {
        const dx = x[2 * i]! - cx;
        const dy = x[2 * i + 1]! - cy;
        const q = dx * dx + dy * dy;
        if (q < dist[i]!) dist[i] = q;
        tot += dist[i]!;
      }
      if (tot > 0) {
        const t = (1 - src.uniform()) * tot;
        let cum = 0;
        c = N - 1;
        for (let i = 0; i < N; i++) {
          cum += dist[i]!;
          if (t < cum) {
            c = i;
            break;
          }
        }
      } else c = uniformIndex(src, N);
      g.mx[j] = x[2 * c]!;
      g.my[j] = x[2 * c + 1]!;
    }
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < N; i++) {
      sx += x[2 * i]!;
      sy += x[2 * i + 1]!;
    }
    const ux = sx / N;
    const uy = sy / N;
    let saa = 0;
    let sab = 0;
    let scc = 0;
    for (let i = 0; i < N; i++) {
      const dx = x[2 * i]! - ux;
      const dy = x[2 * i + 1]! - uy;
      saa += dx * dx;
      sab += dx * dy;
      scc += dy * dy;
    }
    for (let j = 0; j < k; j++) {
      g.w[j] = 1 / k;
      g.a[j] = saa / N + this.reg;
      g.b[j] = sab / N;
      g.c[j] = scc / N + this.reg;
    }
  }
}

const chain = new PointChain();

class MixtureTruth implements Truth {
  readonly d = 2;
  readonly cum: Float64Array;
  constructor(readonly g: Mixture) {
    this.cum = new Float64Array(g.k);
  }
  draw(src: Source, out: Float64Array, at: number, m: number): void {
    sampleMixture(this.g, 1, src, out, at, m, this.cum);
  }
}

/** The GMM of one experiment at a time: its held-out points, EM, its metrics. */
class Gmm implements PointModel {
  readonly test = new Float64Array(GMM_TEST_POINTS * 2);
  readonly g: Mixture;
  readonly em: Em;
  readonly cum: Float64Array;
  readonly qq: number;
  e = 0;

  constructor(
    readonly spec: KernelSpec,
    readonly k: number,
    readonly truth: Mixture,
    private readonly metrics: Float64Array,
    private readonly plane: number,
    private readonly count: number,
  ) {
    this.g = new Mixture(k);
    this.em = new Em(k);
    this.cum = new Float64Array(k);
    this.qq = productIntegral(truth, truth);
  }

  fit(src: Source, x: Float64Array, N: number): void {
    this.em.fit(src, x, N, this.k, this.g);
  }

  sample(src: Source, out: Float64Array, at: number, m: number): void {
    sampleMixture(this.g, this.spec.temperature, src, out, at, m, this.cum);
  }

  record(_x: Float64Array, _N: number, row: number): void {
    const o = row * this.count + this.e;
    this.metrics[o] = l2Distance(this.g, this.truth, this.qq);
    this.metrics[this.plane + o] = meanLogLik(this.g, this.test, GMM_TEST_POINTS);
  }
}

/** --components and --components0 of a spec. */
export function gmmComponents(spec: Pick<KernelSpec, 'modelParams'>): { k: number; k0: number } {
  return { k: Number(spec.modelParams['components'] ?? 2), k0: Number(spec.modelParams['components0'] ?? 2) };
}

/**
 * Runs experiments [start, start + count) of a gmm spec; there is no scalar sd summary (returns
 * false). `onMixture`, when given, sees every generation's fitted mixture right after its fit
 * (after `onFit`; valid only during the call).
 */
export function runGmm(
  spec: KernelSpec,
  start: number,
  count: number,
  rows: number,
  out: ChunkOutput,
  onFit?: OnFit,
  onMixture?: (g: number, fit: Mixture) => void,
): boolean {
  out.lnSd.fill(NaN);
  out.mean.fill(NaN);
  const { k, k0 } = gmmComponents(spec);
  const original = originalMixture(k0, spec.mean0, spec.sd0);
  const truth = new MixtureTruth(original);
  const model = new Gmm(spec, k, original, out.metrics, rows * count, count);
  const src = sourceFor(spec.rng);
  for (let e = 0; e < count; e++) {
    src.seed(experimentWords(spec.seed, start + e));
    model.e = e;
    truth.draw(src, model.test, 0, GMM_TEST_POINTS);
    const hook: OnFit | undefined =
      onMixture === undefined
        ? onFit
        : (g, x, N) => {
            onFit?.(g, x, N);
            onMixture(g, model.g);
          };
    chain.run(spec, src, truth, model, hook);
  }
  return false;
}
