/**
 * The linear-regression family's worker kernel (Gerstgrasser et al. 2024; Dohmatob, Feng & Kempe
 * 2024): a design X (n × d, rows N(0, I_d)) and a true w* ~ N(0, I_d) drawn once per experiment,
 * labels y = Xw* + σε in generation 1 and y = Xŵ + σ√τ·ε from the current fit after that, each fit
 * least squares with ridge λ (the minimum-norm solution when n < d and λ = 0). Records ‖ŵ − w*‖²
 * and ‖ŵ‖² per experiment at the recorded generations (docs/theory.md §15).
 *
 * Every regime is a weighted least-squares fit of one design: a row that carries several labels
 * (accumulate's stacked copies of X, augment's kept real labels plus synthetic copies) enters with
 * its label average and a weight equal to its label count, which has the same minimisers as the
 * stacked problem; accumulate's t copies of X under ridge λ are the same as one copy under λ/t.
 * The fit is the primal normal equations (DᵀΩD + λI)ŵ = DᵀΩȳ when the design has at least as many
 * rows as columns, else the dual ŵ = Dᵀ(DDᵀ + λΩ⁻¹)⁻¹ȳ (min-norm at λ = 0); the Cholesky factor is
 * computed once per experiment (twice under augment; every generation only under accumulate with
 * λ > 0), so a generation costs O(rows · columns).
 *
 * `resample` runs the literal experiment on the n × d design: n label draws per generation
 * (round(λn) under augment). `stats` replaces the design by an exact compression with the same law
 * for everything the fits read: where n ≥ d, each group of k rows that is labelled alike (all n
 * rows; fresh's real and model rows; augment's rows with m + 1 and m synthetic copies) becomes the
 * min(k, d) rows of its R factor (X_g = Q·R, drawn by Bartlett's decomposition: R_jj = √χ²(k − j),
 * N(0, 1) above the diagonal), since X_gᵀX_g = RᵀR and X_gᵀε ~ N(0, RᵀR) = Rᵀz in law; where n < d,
 * the fits live in X's row space, whose coordinates make X the n × n lower factor L of X = L·Q₁ᵀ
 * (Bartlett for W_n(d, I)), w* splits into its N(0, I_n) coordinates there and a χ²(d − n) squared
 * norm outside it. Generations then cost O(min(n, d)²) whatever n. No I/O, no pool.
 */
import type { KernelSpec } from '../chains.js';
import { freshCount, syntheticCount } from '../chains.js';
import { experimentWords } from '../../src/seed.js';
import { lnGamma01, sourceFor, type Source } from '../sources.js';
import type { ChunkOutput } from './gaussian.js';

/** The linear-regression family's metrics, in the order the kernel writes them. */
export const LINREG_METRICS = ['testMse', 'weightNorm'] as const;

/** The family's parameters as the kernel reads them. */
export interface LinregParams {
  d: number;
  sigma: number;
  ridge: number;
}

/** The parameters of a spec (defaults where absent). */
export function linregParams(spec: Pick<KernelSpec, 'modelParams'>): LinregParams {
  const p = spec.modelParams;
  return { d: Number(p['dim'] ?? 10), sigma: Number(p['noise'] ?? 1), ridge: Number(p['ridge'] ?? 0) };
}


/** Runs experiments [start, start + count) of `spec`; there is no scalar sd summary (returns false). */
export function runLinreg(spec: KernelSpec, start: number, count: number, rows: number, out: ChunkOutput): boolean {
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

/** The next recorded generation after `g` (the last is always recorded). */
function nextRecord(g: number, every: number, T: number): number {
  return g + every < T ? g + every : T;
}

/** A chi-square variate with k > 0 degrees of freedom: 2·Gamma(k/2) (Marsaglia & Tsang). */
function chiSquare(src: Source, k: number): number {
  return 2 * Math.exp(lnGamma01(src, 0.5 * k));
}

/**
 * Cholesky factor of the symmetric matrix whose lower triangle is in A (q × q): L·Lᵀ = A, L lower.
 * Returns false where a pivot is not positive (the matrix is not positive definite in floating
 * point). O(q³/6).
 */
export function cholesky(A: Float64Array, q: number, L: Float64Array): boolean {
  for (let j = 0; j < q; j++) {
    const rj = j * q;
    let s = A[rj + j]!;
    for (let k = 0; k < j; k++) s -= L[rj + k]! * L[rj + k]!;
    if (!(s > 0) || !Number.isFinite(s)) return false;
    const p = Math.sqrt(s);
    L[rj + j] = p;
    for (let i = j + 1; i < q; i++) {
      const ri = i * q;
      let t = A[ri + j]!;
      for (let k = 0; k < j; k++) t -= L[ri + k]! * L[rj + k]!;
      L[ri + j] = t / p;
    }
  }
  return true;
}

/** Solves L·Lᵀ·x = b in place (b becomes x). O(q²). */
export function cholSolve(L: Float64Array, q: number, b: Float64Array): void {
  for (let i = 0; i < q; i++) {
    const ri = i * q;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[ri + k]! * b[k]!;
    b[i] = s / L[ri + i]!;
  }
  for (let i = q - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < q; k++) s -= L[k * q + i]! * b[k]!;
    b[i] = s / L[i * q + i]!;
  }
}

/** Scratch and state for one chunk. */
class Work {
  readonly n: number;
  readonly d: number;
  readonly T: number;
  readonly sigma: number;
  /** The noise sd of model-generated labels: σ√τ. */
  readonly sigmaModel: number;
  readonly ridge: number;
  readonly stats: boolean;
  /** Columns of the design: d (resample, and stats with n ≥ d) or n (stats with n < d). */
  readonly q: number;
  /** Rows of the design: n (resample; stats with n < d), or the compressed rows (stats, n ≥ d). */
  readonly rows: number;
  /** Rows [0, rowsA) are fresh's real-label rows, augment's rows with one extra synthetic copy. */
  readonly rowsA: number;
  /** Whether the fit is the dual (rows < columns): resample with n < d. */
  readonly dual: boolean;
  /** Fresh's real-label rows (original rows) and augment's full copies m and remainder r of k = m·n + r. */
  readonly kA: number;
  readonly k: number;
  readonly m: number;
  readonly r: number;
  readonly D: Float64Array;
  readonly wstar: Float64Array;
  readonly w: Float64Array;
  /** D·w (the current fit's predictions), D·w* (the truth's), the fitted labels ȳ, kept labels, sums. */
  readonly f: Float64Array;
  readonly g: Float64Array;
  readonly y: Float64Array;
  readonly y1: Float64Array;
  readonly acc: Float64Array;
  readonly eps: Float64Array;
  /** Stats: the normals off a Bartlett factor's diagonal, at most q(q − 1)/2 per group. */
  readonly off: Float64Array;
  /** The factorised matrix (lower triangle) and its factor: q × q (primal) or rows × rows (dual). */
  readonly H: Float64Array;
  readonly L: Float64Array;
  readonly rhs: Float64Array;
  /** ‖(I − Π)w*‖²: stats with n < d draws it as χ²(d − n); 0 otherwise (resample carries all of w*). */
  outside = 0;
  /** False where a factorisation failed: the experiment's metrics are NaN. */
  ok = true;
  e = 0;
  row = 0;

  constructor(
    readonly spec: KernelSpec,
    private readonly metrics: Float64Array,
    private readonly plane: number,
    private readonly count: number,
  ) {
    const { d, sigma, ridge } = linregParams(spec);
    const n = spec.samples;
    this.n = n;
    this.d = d;
    this.T = spec.generations;
    this.sigma = sigma;
    this.sigmaModel = sigma * Math.sqrt(spec.temperature);
    this.ridge = ridge;
    this.stats = spec.method === 'stats';
    this.kA = spec.regime === 'fresh' ? freshCount(spec.fresh, n) : 0;
    this.k = spec.regime === 'augment' ? syntheticCount(spec.synthetic, n) : 0;
    this.m = Math.floor(this.k / n);
    this.r = this.k - this.m * n;
    // the row groups labelled alike: fresh's first kA rows, augment's first r rows
    const split = spec.regime === 'fresh' ? this.kA : spec.regime === 'augment' ? this.r : 0;
    if (this.stats && n >= d) {
      this.q = d;
      this.rowsA = Math.min(split, d);
      this.rows = this.rowsA + Math.min(n - split, d);
    } else {
      this.q = this.stats ? n : d;
      this.rowsA = split;
      this.rows = n;
    }
    this.dual = this.rows < this.q;
    const q = this.q;
    const R = this.rows;
    this.D = new Float64Array(R * q);
    this.wstar = new Float64Array(q);
    this.w = new Float64Array(q);
    this.f = new Float64Array(R);
    this.g = new Float64Array(R);
    this.y = new Float64Array(R);
    this.y1 = new Float64Array(R);
    this.acc = new Float64Array(R);
    this.eps = new Float64Array(Math.max(R, this.stats ? 0 : this.k, q));
    this.off = new Float64Array(this.stats ? (q * (q - 1)) / 2 : 0);
    const h = this.dual ? R : q;
    this.H = new Float64Array(h * h);
    this.L = new Float64Array(h * h);
    this.rhs = new Float64Array(h);
  }

  /** One experiment: its design and truth, then T generations. */
  experiment(src: Source, e: number): void {
    this.e = e;
    this.row = 0;
    this.ok = true;
    this.outside = 0;
    if (this.stats) this.drawCompressed(src);
    else {
      src.fill(this.D, this.n * this.d);
      src.fill(this.wstar, this.d);
    }
    this.chain(src);
  }

  /**
   * Stats: w*'s coordinates (and, for n < d, its squared norm outside the row space), then the
   * compressed design. Draw order: w* (q normals); χ²(d − n) where n < d; each group's normals
   * off the diagonal (row by row), then its diagonal's chi-squares.
   */
  drawCompressed(src: Source): void {
    const { n, d, q, D } = this;
    src.fill(this.wstar, q);
    D.fill(0);
    if (n < d) {
      this.outside = chiSquare(src, d - n);
      // X = L·Q₁ᵀ: L lower n × n, L_jj = √χ²(d − j), N(0, 1) below the diagonal
      this.bartlett(src, 0, n, d, true);
      return;
    }
    const split = this.spec.regime === 'fresh' ? this.kA : this.spec.regime === 'augment' ? this.r : 0;
    // group 1 (rows [0, split)) then group 2: each the R factor of its rows
    if (split > 0) this.bartlett(src, 0, this.rowsA, split, false);
    this.bartlett(src, this.rowsA, this.rows - this.rowsA, n - split, false);
  }

  /**
   * Writes `count` rows of a Bartlett factor into D from row `at`: lower (X = L·Q₁ᵀ for W_n(k)) or
   * upper trapezoidal (X_g = Q·R for k rows in d columns), diagonal √χ²(k − j), N(0, 1) off it.
   */
  bartlett(src: Source, at: number, count: number, k: number, lower: boolean): void {
    const { q, D } = this;
    let off = 0;
    for (let j = 0; j < count; j++) off += lower ? j : q - 1 - j;
    const buf = this.off;
    src.fill(buf, off);
    let t = 0;
    for (let j = 0; j < count; j++) {
      const o = (at + j) * q;
      if (lower) for (let c = 0; c < j; c++) D[o + c] = buf[t++]!;
      else for (let c = j + 1; c < q; c++) D[o + c] = buf[t++]!;
    }
    for (let j = 0; j < count; j++) D[(at + j) * q + j] = Math.sqrt(chiSquare(src, k - j));
  }

  /** out = D·v over all rows. O(rows · q). */
  predict(v: Float64Array, out: Float64Array): void {
    const { D, q, rows } = this;
    for (let i = 0; i < rows; i++) {
      const o = i * q;
      let s = 0;
      for (let c = 0; c < q; c++) s += D[o + c]! * v[c]!;
      out[i] = s;
    }
  }

  /** The weight of row i: its label count (1, or 1 + its synthetic copies under augment from generation 2). */
  private weight(i: number, augmented: boolean): number {
    if (!augmented) return 1;
    return 1 + this.m + (i < this.rowsA ? 1 : 0);
  }

  /**
   * Factorises the fit's matrix for ridge `lam` and weights (augment's from generation 2 when
   * `augmented`): primal DᵀΩD + λI (q × q) or dual DDᵀ + λΩ⁻¹ (rows × rows). O(rows·q²/2).
   */
  factor(lam: number, augmented: boolean): void {
    const { D, q, rows, H } = this;
    if (this.dual) {
      for (let i = 0; i < rows; i++) {
        const oi = i * q;
        const ri = i * rows;
        for (let j = 0; j <= i; j++) {
          const oj = j * q;
          let s = 0;
          for (let c = 0; c < q; c++) s += D[oi + c]! * D[oj + c]!;
          H[ri + j] = s;
        }
        H[ri + i] = H[ri + i]! + lam / this.weight(i, augmented);
      }
      this.ok = this.ok && cholesky(H, rows, this.L);
      return;
    }
    for (let a = 0; a < q; a++) for (let b = 0; b <= a; b++) H[a * q + b] = 0;
    for (let i = 0; i < rows; i++) {
      const o = i * q;
      const wi = this.weight(i, augmented);
      for (let a = 0; a < q; a++) {
        const x = wi * D[o + a]!;
        if (x === 0) continue;
        const ra = a * q;
        for (let b = 0; b <= a; b++) H[ra + b] = H[ra + b]! + x * D[o + b]!;
      }
    }
    for (let a = 0; a < q; a++) H[a * q + a] = H[a * q + a]! + lam;
    this.ok = this.ok && cholesky(H, q, this.L);
  }

  /** The fit from the labels in `y` with the current factor and weights: w = (DᵀΩD + λI)⁻¹DᵀΩȳ, or Dᵀ(DDᵀ + λΩ⁻¹)⁻¹ȳ. */
  fit(augmented: boolean): void {
    const { D, q, rows, y, rhs, w } = this;
    if (!this.ok) return;
    if (this.dual) {
      for (let i = 0; i < rows; i++) rhs[i] = y[i]!;
      cholSolve(this.L, rows, rhs);
      w.fill(0);
      for (let i = 0; i < rows; i++) {
        const o = i * q;
        const b = rhs[i]!;
        for (let c = 0; c < q; c++) w[c] = w[c]! + b * D[o + c]!;
      }
      return;
    }
    rhs.fill(0);
    for (let i = 0; i < rows; i++) {
      const o = i * q;
      const yi = this.weight(i, augmented) * y[i]!;
      for (let c = 0; c < q; c++) rhs[c] = rhs[c]! + yi * D[o + c]!;
    }
    cholSolve(this.L, q, rhs);
    w.set(rhs);
  }

  /** T generations of the spec's regime. */
  chain(src: Source): void {
    const { rows, f, g, y, y1, acc, eps, T } = this;
    const regime = this.spec.regime;
    const lam = this.ridge;
    const sig = this.sigma;
    const sm = this.sigmaModel;
    // generation 1: real labels on every row
    this.predict(this.wstar, g);
    src.fill(eps, rows);
    for (let i = 0; i < rows; i++) y[i] = g[i]! + sig * eps[i]!;
    y1.set(y);
    acc.set(y);
    this.factor(lam, false);
    this.fit(false);
    let next = nextRecord(0, this.spec.every, T);
    if (next === 1) {
      this.record();
      next = nextRecord(1, this.spec.every, T);
    }
    const augmentLater = regime === 'augment' && this.k > 0;
    if (augmentLater && T > 1) this.factor(lam, true);
    for (let t = 2; t <= T; t++) {
      if (regime === 'augment') {
        // k = 0: every fit is generation 1's
        if (augmentLater) this.augmentLabels(src);
      } else {
        this.predict(this.w, f);
        src.fill(eps, rows);
        if (regime === 'fresh') {
          const kA = this.rowsA;
          for (let i = 0; i < kA; i++) y[i] = g[i]! + sig * eps[i]!;
          for (let i = kA; i < rows; i++) y[i] = f[i]! + sm * eps[i]!;
        } else if (regime === 'accumulate') {
          const it = 1 / t;
          for (let i = 0; i < rows; i++) {
            acc[i] = acc[i]! + f[i]! + sm * eps[i]!;
            y[i] = acc[i]! * it;
          }
          // t stacked copies under λ are one copy of the averaged labels under λ/t
          if (lam > 0) this.factor(lam / t, false);
        } else {
          for (let i = 0; i < rows; i++) y[i] = f[i]! + sm * eps[i]!;
        }
      }
      if (!(regime === 'augment' && !augmentLater)) this.fit(augmentLater);
      if (t === next) {
        this.record();
        next = nextRecord(t, this.spec.every, T);
      }
    }
  }

  /**
   * Augment's labels from generation 2: each row's average of its kept real label and its synthetic
   * labels x_i·ŵ + σ√τ·ε, one per copy. Resample draws the k synthetic noises literally (draw j
   * labels row j mod n); stats draws each row's noise sum as √c·z (c copies).
   */
  private augmentLabels(src: Source): void {
    const { rows, f, y, y1, acc, eps, n, k, m } = this;
    const sm = this.sigmaModel;
    this.predict(this.w, f);
    if (this.stats) {
      src.fill(eps, rows);
      for (let i = 0; i < rows; i++) acc[i] = Math.sqrt(m + (i < this.rowsA ? 1 : 0)) * eps[i]!;
    } else {
      src.fill(eps, k);
      acc.fill(0);
      for (let j = 0, i = 0; j < k; j++) {
        acc[i] = acc[i]! + eps[j]!;
        if (++i === n) i = 0;
      }
    }
    for (let i = 0; i < rows; i++) {
      const c = m + (i < this.rowsA ? 1 : 0);
      y[i] = (y1[i]! + c * f[i]! + sm * acc[i]!) / (1 + c);
    }
  }

  /** Records ‖ŵ − w*‖² (plus w*'s squared norm outside the row space) and ‖ŵ‖². */
  record(): void {
    const { w, wstar, q } = this;
    let mse = this.outside;
    let norm = 0;
    for (let c = 0; c < q; c++) {
      const dv = w[c]! - wstar[c]!;
      mse += dv * dv;
      norm += w[c]! * w[c]!;
    }
    const o = this.row * this.count + this.e;
    this.metrics[o] = this.ok ? mse : NaN;
    this.metrics[this.plane + o] = this.ok ? norm : NaN;
    this.row++;
  }
}
