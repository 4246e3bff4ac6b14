/**
 * The Gaussian family's worker kernel: N(mean0·1, sd0²·I) in d dimensions, refitted and resampled
 * under every regime, recording the family's metrics per experiment at the recorded generations.
 *
 * d = 1 runs the scalar chains of chains.ts unchanged (so its numbers are today's, byte for byte)
 * and derives the metrics from (ln sd, mean). d > 1 runs in standard units y = (x − mean0)/sd0,
 * an exact reparametrisation under which every regime is equivariant, and tracks the fitted
 * covariance as a Cholesky factor L with a separate log scale: Σ̂ = e^(2·lnS)·L·Lᵀ. A group of k
 * draws x = μ + A·z (A the sampling factor) has mean μ + A·z̄ and scatter A·Z·Aᵀ with Z = B·Bᵀ the
 * scatter of z, so a fit follows from (z̄, B) alone: replace sets L' = A·B/√(n − ddof) and never
 * forms Σ̂ or re-factors it, so it stays exact and scale-free at any depth (docs/theory.md §14).
 * `resample` gets (z̄, B) from k·d drawn normals; `stats` draws them from their exact laws:
 * z̄ ~ N(0, I/k) and B by Bartlett's decomposition of Wishart(k − 1, I), O(d²) draws, whatever k.
 * No I/O, no pool.
 */
import type { LnSdMap } from '../../src/digest.js';
import type { KernelSpec } from '../chains.js';
import { freshCount, runChains, syntheticCount, uniformIndex } from '../chains.js';
import { experimentWords } from '../../src/seed.js';
import { lnGamma01, sourceFor, type Source } from '../sources.js';
import {
  addScaledOuter,
  cholSemi,
  lowerTimesVector,
  normaliseInto,
  scaleInto,
  swapRows,
} from './linalg.js';
// the O(d³) and O(n·d²) products and the eigenvalues by WebAssembly SIMD where they pay, with the
// same bytes as the JS loops (workers/families/linalg-wasm.ts)
import {
  addLowerGramFast as addLowerGram,
  affineRowsFast as affineRows,
  lowerGramFast as lowerGram,
  lowerTimesLowerFast as lowerTimesLower,
  meanAndScatterFast as meanAndScatter,
  symmetricEigenvaluesFast as symmetricEigenvalues,
} from './linalg-wasm.js';

/** The Gaussian family's metrics, in the order the kernel writes them. */
export const GAUSSIAN_METRICS = ['meanSqErr', 'traceRatio', 'log10DetRatio', 'w2sq'] as const;

/**
 * Where a chunk's recorded values go: the scalar sd summary and the metrics [k·rows·count + r·count + e]
 * (empty where the caller derives them from the scalar summary: FamilyKernel.deriveMetrics).
 */
export interface ChunkOutput {
  lnSd: Float64Array;
  mean: Float64Array;
  metrics: Float64Array;
}

/** The dimension of a spec (1 when the family parameter is absent). */
export function dimOf(spec: Pick<KernelSpec, 'modelParams'>): number {
  return Number(spec.modelParams['dim'] ?? 1);
}


/**
 * Runs experiments [start, start + count) of `spec`. Returns true when it also wrote the scalar
 * sd summary (d = 1); for d > 1 lnSd and mean are left NaN and it returns false.
 */
export function runGaussian(spec: KernelSpec, start: number, count: number, rows: number, out: ChunkOutput): boolean {
  const d = dimOf(spec);
  if (d === 1) {
    runChains(spec, start, count, out.lnSd, out.mean);
    // an empty metrics buffer: the caller stores (ln sd, mean) and derives the metrics itself
    if (out.metrics.length > 0) scalarMetrics(spec, rows, count, out);
    return true;
  }
  out.lnSd.fill(NaN);
  out.mean.fill(NaN);
  const src = sourceFor(spec.rng);
  const w = new Work(spec, d, out.metrics, rows * count, count);
  for (let e = 0; e < count; e++) {
    src.seed(experimentWords(spec.seed, start + e));
    w.e = e;
    w.row = 0;
    switch (spec.regime) {
      case 'replace':
        w.replace(src);
        break;
      case 'fresh':
        if (freshCount(spec.fresh, spec.samples) === 0) w.replace(src);
        else w.fresh(src);
        break;
      case 'accumulate':
        w.accumulate(src);
        break;
      case 'accumulate-subsample':
        w.subsample(src);
        break;
      case 'augment':
        w.augment(src);
        break;
    }
  }
  return false;
}

/** Pools of at most this many doubles (128 MiB) are kept by the thread for its next chunks. */
const POOL_KEEP = 2 ** 24;
let poolKept: Float64Array = new Float64Array(0);

/**
 * An accumulate-subsample pool of at least m doubles. A chunk is often one experiment (E = 100
 * makes chunks of one), and a fresh 80 MB pool (d = 100, n = 1000, T = 100) costs its page faults
 * and zeroing on every first write, about a fifth of that cell's time; so a pool up to POOL_KEEP
 * is reused by the thread's later chunks. Its old contents are never read: an experiment reads
 * only the rows it has written.
 */
function poolFor(m: number): Float64Array {
  if (m > POOL_KEEP) return new Float64Array(m);
  if (poolKept.length < m) poolKept = new Float64Array(m);
  return poolKept;
}

/** The metrics of a scalar chain, from its recorded (ln sd, mean). */
function scalarMetrics(spec: KernelSpec, rows: number, count: number, out: ChunkOutput): void {
  deriveScalarMetrics(spec, out.lnSd, out.mean, out.metrics, rows * count);
}

/**
 * The metrics of n scalar-chain values from their (ln sd, mean): metric k of value i at
 * metrics[k · n + i]. The same arithmetic wherever it runs, so a store of (ln sd, mean) alone
 * gives the recorded metrics to the bit.
 */
export function deriveScalarMetrics(
  spec: Pick<KernelSpec, 'mean0' | 'sd0'>,
  lnSd: Float64Array,
  mean: Float64Array,
  metrics: Float64Array,
  n: number,
): void {
  const m0 = spec.mean0;
  const s0 = spec.sd0;
  const lnS0 = Math.log(s0);
  const M = metrics;
  const plane = n;
  for (let i = 0; i < plane; i++) {
    const ls = lnSd[i]!;
    const dm = mean[i]! - m0;
    const ds = Math.exp(ls) - s0;
    M[i] = dm * dm;
    M[plane + i] = traceRatioOf(ls, lnS0);
    M[2 * plane + i] = log10DetRatioOf(ls, lnS0);
    M[3 * plane + i] = dm * dm + ds * ds;
  }
}

/** Σ̂/Σ0 of a scalar chain from its ln sd: exp(2(ln s − ln s0)), within 1 ulp of a non-decreasing function of ln s. */
function traceRatioOf(ls: number, lnS0: number): number {
  return Math.exp(2 * (ls - lnS0));
}

/** log10 det Σ̂ − log10 det Σ0 of a scalar chain from its ln sd: correctly rounded steps, so non-decreasing in ln s. */
function log10DetRatioOf(ls: number, lnS0: number): number {
  return 2 * (ls - lnS0) * Math.LOG10E;
}

/**
 * deriveScalarMetrics' metrics as maps of ln sd where they are one (FamilyKernel.lnSdMaps): the
 * trace and log-det ratios, by the same functions; null for the two that read the mean.
 */
export function scalarLnSdMaps(spec: Pick<KernelSpec, 'sd0'>): readonly LnSdMap[] {
  const lnS0 = Math.log(spec.sd0);
  return [null, (ls) => traceRatioOf(ls, lnS0), (ls) => log10DetRatioOf(ls, lnS0), null];
}

/** 2^-600: below this share of the largest entry, a factor's entry is set to zero. */
const TINY = 2.409919865102884e-181;

/** The next recorded generation after `g` (the last is always recorded). */
function nextRecord(g: number, every: number, T: number): number {
  return g + every < T ? g + every : T;
}

/** Scratch and chains for one chunk at dimension d > 1. */
class Work {
  readonly d: number;
  readonly n: number;
  readonly T: number;
  readonly df: number;
  readonly halfLnTau: number;
  readonly sqrtTau: number;
  readonly stats: boolean;
  readonly z: Float64Array;
  readonly zbar = { a: new Float64Array(0), b: new Float64Array(0) };
  readonly mu: Float64Array;
  readonly v: Float64Array;
  readonly L: Float64Array;
  readonly A: Float64Array;
  readonly B: Float64Array;
  readonly F: Float64Array;
  readonly S: Float64Array;
  readonly eig: Float64Array;
  readonly eigE: Float64Array;
  pool: Float64Array = new Float64Array(0);
  /** Augment's kept original data: its scatter (d×d) then its mean (d). */
  kept = new Float64Array(0);
  /** Scratch for Bartlett's normals below the diagonal. */
  below = new Float64Array(0);
  /** The experiment (offset in the chunk) and recorded row being written. */
  e = 0;
  row = 0;

  constructor(
    readonly spec: KernelSpec,
    d: number,
    private readonly metrics: Float64Array,
    private readonly plane: number,
    private readonly count: number,
  ) {
    this.d = d;
    this.n = spec.samples;
    this.T = spec.generations;
    this.df = spec.samples - spec.ddof;
    this.halfLnTau = 0.5 * Math.log(spec.temperature);
    this.sqrtTau = Math.sqrt(spec.temperature);
    this.stats = spec.method === 'stats';
    // a group is at most max(n, round(λn)) draws (augment's synthetic group can outnumber n)
    const most = spec.regime === 'augment' ? Math.max(spec.samples, syntheticCount(spec.synthetic, spec.samples)) : spec.samples;
    this.z = new Float64Array(this.stats ? d : most * d);
    this.zbar = { a: new Float64Array(d), b: new Float64Array(d) };
    this.mu = new Float64Array(d);
    this.v = new Float64Array(d);
    this.L = new Float64Array(d * d);
    this.A = new Float64Array(d * d);
    this.B = new Float64Array(d * d);
    this.F = new Float64Array(d * d);
    this.S = new Float64Array(d * d);
    this.eig = new Float64Array(d);
    this.eigE = new Float64Array(d);
    if (spec.regime === 'accumulate-subsample') this.pool = poolFor(spec.samples * spec.generations * d);
  }

  /**
   * A group of k standard normal vectors reduced to its mean (into `zbar`) and a lower factor B
   * of its scatter Z = B·Bᵀ. Resample: k·d draws, two-pass scatter, semidefinite Cholesky.
   * Stats: z̄ ~ N(0, I/k); B by Bartlett (1933): B_jj = √χ²(k − 1 − j) (0-based j), standard
   * normals below the diagonal, and a column of zeros where the degrees of freedom run out (a
   * scatter of k ≤ d points has rank k − 1). Draw order: z̄ (d normals), the normals below the
   * diagonal row by row (one fused batch), then the diagonal's chi-squares.
   */
  group(src: Source, k: number, zbar: Float64Array, B: Float64Array): void {
    const d = this.d;
    if (!this.stats) {
      src.fill(this.z, k * d);
      meanAndScatter(this.z, k, d, zbar, this.S);
      cholSemi(this.S, d, 1, B);
      return;
    }
    const isk = 1 / Math.sqrt(k);
    const z = this.z;
    src.fill(z, d);
    for (let j = 0; j < d; j++) zbar[j] = z[j]! * isk;
    B.fill(0);
    // below the diagonal, row by row, in columns that still have degrees of freedom
    const cols = Math.min(d, Math.max(0, k - 1));
    let m = 0;
    for (let i = 1; i < d; i++) m += Math.min(i, cols);
    if (this.below.length < m) this.below = new Float64Array(m);
    const nb = this.below;
    src.fill(nb, m);
    let t = 0;
    for (let i = 1; i < d; i++) {
      const ri = i * d;
      const c = Math.min(i, cols);
      for (let j = 0; j < c; j++) B[ri + j] = nb[t++]!;
    }
    for (let j = 0; j < cols; j++) B[j * d + j] = Math.sqrt(2 * Math.exp(lnGamma01(src, 0.5 * (k - 1 - j))));
  }

  /**
   * Replace: L' = L·B/√(n − ddof), renormalised so that max |L| = 1 (its scale moves into lnS);
   * μ' = μ + e^lnS·L·z̄. Temperature multiplies the sampling factor by √τ from generation 2 on.
   */
  replace(src: Source): void {
    const { d, mu, L, B, F, v } = this;
    const zbar = this.zbar.a;
    mu.fill(0);
    L.fill(0);
    for (let j = 0; j < d; j++) L[j * d + j] = 1;
    let lnS = 0;
    // ln det L, carried exactly: the diagonal of a product of lower triangular matrices is the
    // product of their diagonals, whereas L's own smallest diagonal entries fall below the
    // smallest double at depth (at d = 100, n = 200 the extreme columns drift apart by e^0.69
    // per generation, so read off L the determinant would be −Inf within about 1000 generations)
    let lnDetL = 0;
    const lnDf = 0.5 * Math.log(this.df);
    let next = nextRecord(0, this.spec.every, this.T);
    for (let g = 1; g <= this.T; g++) {
      this.group(src, this.n, zbar, B);
      lowerTimesVector(L, zbar, d, v);
      const s = Math.exp(lnS);
      for (let j = 0; j < d; j++) mu[j] = mu[j]! + s * v[j]!;
      lowerTimesLower(L, B, d, F);
      // entries below 2^-600 of the largest count for nothing in any metric, and as subnormals
      // they would slow every later product
      const mx = normaliseInto(F, d, TINY, L);
      for (let j = 0; j < d; j++) lnDetL += Math.log(B[j * d + j]!);
      lnDetL -= d * Math.log(mx);
      lnS += Math.log(mx) - lnDf;
      if (g === next) {
        this.record(mu, L, lnS, lnDetL);
        next = nextRecord(g, this.spec.every, this.T);
      }
      lnS += this.halfLnTau;
    }
  }

  /** Accumulate: the pool's (N, mean, scatter) merged with each new group (Chan et al.'s update). */
  accumulate(src: Source): void {
    const { d, n, mu, L, A, B, F, v } = this;
    const zbar = this.zbar.a;
    const ddof = this.spec.ddof;
    const SS = this.pooled();
    this.group(src, n, zbar, B);
    for (let j = 0; j < d; j++) mu[j] = zbar[j]!;
    lowerGram(B, d, SS);
    let N = n;
    cholSemi(SS, d, 1 / (N - ddof), L);
    let next = nextRecord(0, this.spec.every, this.T);
    for (let g = 1; g <= this.T; g++) {
      if (g > 1) {
        scaleInto(L, this.sqrtTau, d * d, A);
        this.group(src, n, zbar, B);
        lowerTimesVector(A, zbar, d, v); // the group's mean minus the pool's
        lowerTimesLower(A, B, d, F);
        addLowerGram(F, d, SS);
        const N2 = N + n;
        addScaledOuter(SS, v, (N * n) / N2, d);
        for (let i = 0; i < d; i++) mu[i] = mu[i]! + (v[i]! * n) / N2;
        N = N2;
        cholSemi(SS, d, 1 / (N - ddof), L);
      }
      if (g === next) {
        this.record(mu, L, 0);
        next = nextRecord(g, this.spec.every, this.T);
      }
    }
  }

  /**
   * Fresh: kA = round(λn) draws from the original and n − kA from the model, merged (Chan et
   * al.); generation 1 is n draws from the original.
   */
  fresh(src: Source): void {
    const { d, n, mu, L, A, B, F, v } = this;
    const kA = freshCount(this.spec.fresh, n);
    const kB = n - kA;
    const za = this.zbar.a;
    const zb = this.zbar.b;
    const SS = this.pooled();
    let next = nextRecord(0, this.spec.every, this.T);
    for (let g = 1; g <= this.T; g++) {
      if (g === 1) {
        this.group(src, n, za, B);
        for (let j = 0; j < d; j++) mu[j] = za[j]!;
        lowerGram(B, d, SS);
      } else {
        this.group(src, kA, za, B);
        lowerGram(B, d, SS);
        if (kB > 0) {
          scaleInto(L, this.sqrtTau, d * d, A);
          this.group(src, kB, zb, B);
          lowerTimesLower(A, B, d, F);
          addLowerGram(F, d, SS);
          lowerTimesVector(A, zb, d, v);
          // the model group's mean minus the original group's
          for (let i = 0; i < d; i++) v[i] = mu[i]! + v[i]! - za[i]!;
          addScaledOuter(SS, v, (kA * kB) / n, d);
          for (let i = 0; i < d; i++) mu[i] = za[i]! + (v[i]! * kB) / n;
        } else {
          for (let j = 0; j < d; j++) mu[j] = za[j]!;
        }
      }
      cholSemi(SS, d, 1 / this.df, L);
      if (g === next) {
        this.record(mu, L, 0);
        next = nextRecord(g, this.spec.every, this.T);
      }
    }
  }

  /**
   * Augment (Bertrand et al. 2024; Alemohammad et al. 2023's fixed real data): generation 1's n
   * original draws are kept for good; each later fit merges them with k = round(λn) draws from the
   * current model (Chan et al.), with N = n + k and divisor N − ddof. k = 0 keeps generation 1's fit.
   */
  augment(src: Source): void {
    const { d, n, mu, L, A, B, F, v } = this;
    const k = syntheticCount(this.spec.synthetic, n);
    const N = n + k;
    const ddof = this.spec.ddof;
    const za = this.zbar.a;
    const zb = this.zbar.b;
    const SS = this.pooled();
    if (this.kept.length !== d * d + d) this.kept = new Float64Array(d * d + d);
    const SA = this.kept.subarray(0, d * d);
    const meanA = this.kept.subarray(d * d);
    this.group(src, n, za, B);
    meanA.set(za);
    mu.set(za);
    lowerGram(B, d, SA);
    cholSemi(SA, d, 1 / (n - ddof), L);
    let next = nextRecord(0, this.spec.every, this.T);
    for (let g = 1; g <= this.T; g++) {
      if (g > 1 && k > 0) {
        scaleInto(L, this.sqrtTau, d * d, A);
        this.group(src, k, zb, B);
        lowerTimesLower(A, B, d, F);
        SS.set(SA);
        addLowerGram(F, d, SS);
        lowerTimesVector(A, zb, d, v);
        // the synthetic group's mean minus the kept one's
        for (let i = 0; i < d; i++) v[i] = mu[i]! + v[i]! - meanA[i]!;
        addScaledOuter(SS, v, (n * k) / N, d);
        for (let i = 0; i < d; i++) mu[i] = meanA[i]! + (v[i]! * k) / N;
        cholSemi(SS, d, 1 / (N - ddof), L);
      }
      if (g === next) {
        this.record(mu, L, 0);
        next = nextRecord(g, this.spec.every, this.T);
      }
    }
  }

  /**
   * Accumulate-subsample (resample only): every drawn vector is pooled; each fit uses a uniform
   * subsample of n rows without replacement (a partial Fisher–Yates shuffle of rows, as the scalar
   * chain does). Generation 1 fits the whole pool. Memory: n·T·d doubles.
   */
  subsample(src: Source): void {
    const { d, n, mu, L, A, z, pool } = this;
    const zbar = this.zbar.a;
    A.fill(0);
    for (let j = 0; j < d; j++) A[j * d + j] = 1;
    mu.fill(0);
    let N = 0;
    let next = nextRecord(0, this.spec.every, this.T);
    for (let g = 1; g <= this.T; g++) {
      src.fill(z, n * d);
      affineRows(A, mu, z, n, d, pool, N * d);
      N += n;
      if (N > n) this.shuffleHead(src, N);
      z.set(pool.subarray(0, n * d));
      meanAndScatter(z, n, d, zbar, this.S);
      for (let j = 0; j < d; j++) mu[j] = zbar[j]!;
      cholSemi(this.S, d, 1 / this.df, L);
      scaleInto(L, this.sqrtTau, d * d, A);
      if (g === next) {
        this.record(mu, L, 0);
        next = nextRecord(g, this.spec.every, this.T);
      }
    }
  }

  /** Moves a uniform n of the pool's first N rows, without replacement, to its head (a partial Fisher–Yates shuffle). */
  private shuffleHead(src: Source, N: number): void {
    const { d, n, pool } = this;
    for (let i = 0; i < n; i++) {
      const j = i + uniformIndex(src, N - i);
      if (j !== i) swapRows(pool, i, j, d);
    }
  }

  /** The pooled scatter's buffer (the F buffer is needed for products; S is the resample scratch). */
  private pooledBuf = new Float64Array(0);
  private pooled(): Float64Array {
    if (this.pooledBuf.length !== this.d * this.d) this.pooledBuf = new Float64Array(this.d * this.d);
    return this.pooledBuf;
  }

  /**
   * Records the metrics of the fit N(μ, e^(2·lnS)·L·Lᵀ) in standard units: ‖μ‖², tr Σ̂ / d,
   * log10 det Σ̂ (−Inf when singular), and W2² = ‖μ‖² + Σ (σ_i − 1)² with σ_i the singular values
   * of e^lnS·L (Σ̂^½ has eigenvalues σ_i, Σ0 = I): summing squares avoids the cancellation of
   * tr Σ̂ + d − 2 tr Σ̂^½ near Σ̂ = I. Both squared distances are scaled back by sd0².
   */
  record(mu: Float64Array, L: Float64Array, lnS: number, lnDetL = NaN): void {
    const d = this.d;
    const s02 = this.spec.sd0 * this.spec.sd0;
    let sq = 0;
    for (let j = 0; j < d; j++) sq += mu[j]! * mu[j]!;
    let fro = 0;
    let lnDet = 0;
    for (let i = 0; i < d; i++) {
      const ri = i * d;
      for (let j = 0; j <= i; j++) fro += L[ri + j]! * L[ri + j]!;
      lnDet += Math.log(L[ri + i]!);
    }
    if (!Number.isNaN(lnDetL)) lnDet = lnDetL;
    const M = this.F;
    lowerGram(L, d, M);
    symmetricEigenvalues(M, d, this.eig, this.eigE);
    const s = Math.exp(lnS);
    let w2 = 0;
    for (let j = 0; j < d; j++) {
      const t = s * Math.sqrt(Math.max(0, this.eig[j]!)) - 1;
      w2 += t * t;
    }
    const o = this.row * this.count + this.e;
    const P = this.plane;
    this.metrics[o] = s02 * sq;
    this.metrics[P + o] = Math.exp(2 * lnS) * (fro / d);
    this.metrics[2 * P + o] = 2 * (lnDet + d * lnS) * Math.LOG10E;
    this.metrics[3 * P + o] = s02 * (sq + w2);
    this.row++;
  }
}
