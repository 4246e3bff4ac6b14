/**
 * The categorical family's worker kernel: a distribution over K categories, refitted to the
 * empirical frequencies of its own samples (the Wright–Fisher model of population genetics) under
 * every regime, recording support, entropy, Gini–Simpson, coverage, total variation and fixation.
 *
 * A generation's n samples are drawn as multinomial counts (binomial.ts: conditional binomials,
 * O(K), or n categorical draws when n is below the number of live categories), so an experiment
 * holds K counts, never its samples. The fit is p̂ = (c + α)/(N + Kα) (add-α smoothing, α = 0 by
 * default); from generation 2 the model samples from p̂ transformed as a language model's decoder
 * would: temperature p^(1/τ), then top-k, then top-p (nucleus), each renormalised. The counts are
 * the sufficient statistic, so `--method stats` runs the same kernel as `resample`.
 * No I/O, no pool.
 */
import type { KernelSpec } from '../chains.js';
import { freshCount, syntheticCount, uniformIndex } from '../chains.js';
import { experimentWords } from '../../src/seed.js';
import { sourceFor, type Source } from '../sources.js';
import { multinomialAdd } from './binomial.js';
import type { ChunkOutput } from './gaussian.js';

/** The categorical family's metrics, in the order the kernel writes them. */
export const CATEGORICAL_METRICS = ['support', 'entropy', 'giniSimpson', 'coverage', 'tv', 'fixed', 'fixation'] as const;

/** The family's parameters as the kernel reads them. */
export interface CategoricalParams {
  K: number;
  dist: string;
  alpha: number;
  topK: number;
  topP: number;
}

/** The parameters of a spec (validated upstream by src/families/categorical.ts). */
export function categoricalParams(spec: Pick<KernelSpec, 'modelParams'>): CategoricalParams {
  const m = spec.modelParams;
  return {
    K: Number(m['categories']),
    dist: String(m['dist']),
    alpha: Number(m['smoothing'] ?? 0),
    topK: Number(m['top-k'] ?? 0),
    topP: Number(m['top-p'] ?? 1),
  };
}

/**
 * The start distribution p0 over ranks 1..K: uniform, or Zipf p_i ∝ i^−β (`zipf:β`), normalised
 * by a sum taken from the smallest term up.
 */
export function startDistribution(K: number, dist: string): Float64Array {
  const p = new Float64Array(K);
  if (dist === 'uniform') {
    p.fill(1 / K);
    return p;
  }
  const beta = Number(dist.slice('zipf:'.length));
  let s = 0;
  for (let i = K; i >= 1; i--) {
    const w = Math.pow(i, -beta);
    p[i - 1] = w;
    s += w;
  }
  for (let i = 0; i < K; i++) p[i] = p[i]! / s;
  return p;
}


/** Runs experiments [start, start + count) of `spec` into out.metrics; no scalar sd summary (returns false). */
export function runCategorical(spec: KernelSpec, start: number, count: number, rows: number, out: ChunkOutput): boolean {
  out.lnSd.fill(NaN);
  out.mean.fill(NaN);
  const src = sourceFor(spec.rng);
  const w = new Work(spec, out.metrics, rows * count, count);
  for (let e = 0; e < count; e++) {
    src.seed(experimentWords(spec.seed, start + e));
    w.experiment(src, e);
  }
  return false;
}

/** c·log2 c for the counts c below its length (grown as needed, at most 2^16, shared by every chunk of a worker). */
let clogc = new Float64Array(0);

/**
 * The fits of experiment 0 at the generations `gens` (each in 1..T), re-run from its own stream as
 * the run drew it: the same numbers as in the run, for the rank–frequency file.
 */
export function firstFits(spec: KernelSpec, gens: readonly number[]): Map<number, Float64Array> {
  const rows = Math.ceil(spec.generations / spec.every);
  const w = new Work(spec, new Float64Array(CATEGORICAL_METRICS.length * rows), rows, 1);
  for (const g of gens) w.snapshots.set(g, null);
  const src = sourceFor(spec.rng);
  src.seed(experimentWords(spec.seed, 0));
  w.experiment(src, 0);
  const out = new Map<number, Float64Array>();
  for (const [g, f] of w.snapshots) if (f !== null) out.set(g, f);
  return out;
}

/** The next recorded generation after `g` (the last is always recorded). */
function nextRecord(g: number, every: number, T: number): number {
  return g + every < T ? g + every : T;
}

/** Scratch for one chunk: K-long arrays, allocated once. */
class Work {
  readonly K: number;
  readonly n: number;
  readonly T: number;
  readonly par: CategoricalParams;
  readonly p0: Float64Array;
  /** The data the current fit is made from (counts), and their total. */
  readonly data: Float64Array;
  /** accumulate-subsample's pool, augment's kept generation-1 counts. */
  readonly pool: Float64Array;
  readonly fit: Float64Array;
  /** Sampling weights (unnormalised), and the categories that carry them. */
  readonly q: Float64Array;
  readonly idx: Int32Array;
  readonly all: Int32Array;
  readonly tail: Float64Array;
  /** Fenwick tree over the pool (accumulate-subsample). */
  readonly tree: Float64Array;
  e = 0;
  row = 0;
  /** Generation → a copy of the fit at it (for firstFits; empty in runs). */
  snapshots: Map<number, Float64Array | null> = new Map();

  constructor(
    readonly spec: KernelSpec,
    private readonly metrics: Float64Array,
    private readonly plane: number,
    private readonly count: number,
  ) {
    this.par = categoricalParams(spec);
    const K = (this.K = this.par.K);
    this.n = spec.samples;
    this.T = spec.generations;
    this.p0 = startDistribution(K, this.par.dist);
    this.data = new Float64Array(K);
    const needPool = spec.regime === 'accumulate-subsample' || spec.regime === 'augment';
    this.pool = new Float64Array(needPool ? K : 0);
    this.fit = new Float64Array(K);
    this.q = new Float64Array(K);
    this.idx = new Int32Array(K);
    this.all = new Int32Array(K);
    for (let i = 0; i < K; i++) this.all[i] = i;
    this.tail = new Float64Array(K + 1);
    this.tree = new Float64Array(spec.regime === 'accumulate-subsample' ? K + 1 : 0);
  }

  /** One experiment, from its own seeded stream. */
  experiment(src: Source, e: number): void {
    const { spec, n, K, data, p0 } = this;
    this.e = e;
    this.row = 0;
    const regime = spec.regime;
    const kA = regime === 'fresh' ? freshCount(spec.fresh, n) : 0;
    const kS = regime === 'augment' ? syntheticCount(spec.synthetic, n) : 0;
    let fixation = Infinity;
    let next = nextRecord(0, spec.every, this.T);
    data.fill(0);
    multinomialAdd(src, n, p0, this.all, K, data, this.tail);
    let N = n;
    if (regime === 'augment') this.pool.set(data);
    if (regime === 'accumulate-subsample') this.pool.set(data);
    for (let g = 1; g <= this.T; g++) {
      if (g > 1) {
        const m = this.sampling();
        switch (regime) {
          case 'replace':
            data.fill(0);
            multinomialAdd(src, n, this.q, this.idx, m, data, this.tail);
            break;
          case 'accumulate':
            multinomialAdd(src, n, this.q, this.idx, m, data, this.tail);
            N += n;
            break;
          case 'fresh':
            data.fill(0);
            multinomialAdd(src, kA, p0, this.all, K, data, this.tail);
            multinomialAdd(src, n - kA, this.q, this.idx, m, data, this.tail);
            break;
          case 'augment':
            data.set(this.pool);
            multinomialAdd(src, kS, this.q, this.idx, m, data, this.tail);
            N = n + kS;
            break;
          case 'accumulate-subsample':
            multinomialAdd(src, n, this.q, this.idx, m, this.pool, this.tail);
            this.subsample(src, g * n);
            break;
        }
      }
      const support = this.refit(N);
      if (support === 1 && fixation === Infinity) fixation = g;
      if (this.snapshots.has(g)) this.snapshots.set(g, Float64Array.from(this.fit));
      if (g === next) {
        this.record(support, fixation, N);
        next = nextRecord(g, spec.every, this.T);
      }
    }
  }

  /** p̂ = (c + α)/(N + Kα); returns the support (categories with p̂ > 0). */
  refit(N: number): number {
    const { K, data, fit } = this;
    const a = this.par.alpha;
    const inv = 1 / (N + K * a);
    let s = 0;
    for (let i = 0; i < K; i++) {
      const v = (data[i]! + a) * inv;
      fit[i] = v;
      if (v > 0) s++;
    }
    return s;
  }

  /**
   * The sampling weights q from the fit (temperature, top-k, top-p) into q and idx; returns the
   * number of categories in idx. Without truncation idx lists the live categories in index order;
   * with it, in decreasing q (ties by index), cut to the top k and then to the smallest prefix
   * whose mass reaches p of the total (Holtzman et al. 2020).
   */
  sampling(): number {
    const { K, fit, q, idx } = this;
    const { topK, topP } = this.par;
    const tau = this.spec.temperature;
    let m = 0;
    let mx = 0;
    for (let i = 0; i < K; i++) {
      const v = fit[i]!;
      if (v > 0) {
        idx[m++] = i;
        if (v > mx) mx = v;
      }
    }
    if (tau === 1) {
      for (let j = 0; j < m; j++) q[idx[j]!] = fit[idx[j]!]!;
    } else {
      // p^(1/τ) scaled by the largest, in logs: no overflow at small τ, no underflow of the top
      const lm = Math.log(mx);
      const it = 1 / tau;
      for (let j = 0; j < m; j++) {
        const i = idx[j]!;
        q[i] = Math.exp((Math.log(fit[i]!) - lm) * it);
      }
    }
    const cutK = topK > 0 && topK < m;
    const cutP = topP < 1;
    if (!cutK && !cutP) return m;
    const view = idx.subarray(0, m);
    view.sort((x, y) => q[y]! - q[x]! || x - y);
    if (cutK) m = topK;
    if (cutP) {
      let total = 0;
      for (let j = 0; j < m; j++) total += q[idx[j]!]!;
      const goal = topP * total;
      let s = 0;
      let j = 0;
      while (j < m) {
        s += q[idx[j]!]!;
        j++;
        if (s >= goal) break;
      }
      m = j;
    }
    return m;
  }

  /**
   * A uniform subsample of n of the pool's N values without replacement, as counts into data:
   * n sequential draws, each a uniform index into what is left, located by a Fenwick tree over
   * the pool's counts (O(K + n log K)).
   */
  subsample(src: Source, N: number): void {
    const { K, pool, tree, data, n } = this;
    // Fenwick tree, 1-based, built in O(K)
    for (let i = 1; i <= K; i++) tree[i] = pool[i - 1]!;
    for (let i = 1; i <= K; i++) {
      const j = i + (i & -i);
      if (j <= K) tree[j] = tree[j]! + tree[i]!;
    }
    let top = 1;
    while (top * 2 <= K) top *= 2;
    data.fill(0);
    for (let t = 0; t < n; t++) {
      let r = uniformIndex(src, N - t);
      // the category whose cumulative count first exceeds r
      let pos = 0;
      for (let step = top; step > 0; step >>= 1) {
        const nx = pos + step;
        if (nx <= K && tree[nx]! <= r) {
          pos = nx;
          r -= tree[nx]!;
        }
      }
      data[pos] = data[pos]! + 1;
      for (let i = pos + 1; i <= K; i += i & -i) tree[i] = tree[i]! - 1;
    }
  }

  /**
   * Writes the metrics of the current fit (made from N values) at the next recorded row. Without
   * smoothing p̂ = c/N and the entropy is log2 N − Σ c log2 c / N, the c log2 c read from a table
   * (at K = n = 10⁴ the logarithms were half of a generation's time).
   */
  record(support: number, fixation: number, N: number): void {
    const { K, fit, p0, data } = this;
    const byCount = this.par.alpha === 0;
    const want = Math.min(1 << 16, N + 1);
    if (byCount && clogc.length < want) {
      clogc = new Float64Array(want);
      for (let c = 2; c < want; c++) clogc[c] = c * Math.log2(c);
    }
    const table = clogc;
    const L = table.length;
    let h = 0;
    let sq = 0;
    let cov = 0;
    let tv = 0;
    for (let i = 0; i < K; i++) {
      const v = fit[i]!;
      const p = p0[i]!;
      tv += Math.abs(v - p);
      if (v > 0) {
        if (byCount) {
          const c = data[i]!;
          h += c < L ? table[c]! : c * Math.log2(c);
        } else h -= v * Math.log2(v);
        sq += v * v;
        cov += p;
      }
    }
    if (byCount) h = support === 1 ? 0 : Math.log2(N) - h / N;
    const o = this.row * this.count + this.e;
    const P = this.plane;
    const M = this.metrics;
    M[o] = support;
    M[P + o] = h;
    M[2 * P + o] = 1 - sq;
    M[3 * P + o] = cov;
    M[4 * P + o] = 0.5 * tv;
    M[5 * P + o] = fixation === Infinity ? 0 : 1;
    M[6 * P + o] = fixation;
    this.row++;
  }
}
