/**
 * The chains: each data regime's generation loop over a Source, recording (ln sd, mean) of the
 * fitted model at the recorded generations. Generation 1 always draws from the original
 * N(mean0, sd0); from generation 2 on the model samples N(m, τ·s²).
 *
 * Replace runs in the scale-free form of docs/theory.md §2: with zbar and ss from a group of n standard
 * normals, m' = m + σ·zbar and ln s' = ln σ + ½(ln ss − ln(n − ddof)), σ the sampling sd. This is
 * the literal experiment on x = m + σ·z up to rounding, but s is never formed against m and never
 * underflows. The other regimes keep s near sd0 (that is their point) and merge groups in absolute
 * terms with Chan et al.'s pairwise update.
 */
import type { RngName, RunSpec } from '../src/spec.js';
import { experimentWords } from '../src/seed.js';
import { subsamplePoolLength } from '../src/plan.js';
import { FastSource, resampleGroup, sourceFor, statsGroup, X256Source, type Source } from './sources.js';
import { fillOpenUnits } from './xoshiro.js';
import { drawFast } from './kernel.js';
import { wasmKernels, type Draw4Fn, type DrawFn } from './wasm-kernel.js';
import { drawX256, fillOpenUnits256 } from './x256.js';

/** The part of a run's spec that the workers need. */
export type KernelSpec = Omit<RunSpec, 'experiments'>;

type GroupFn = (src: Source, k: number, out: Float64Array) => void;

/** Writes one recorded row. */
interface Recorder {
  lnSd: Float64Array;
  mean: Float64Array;
  count: number;
}

const out = new Float64Array(3);
const outB = new Float64Array(3);
let pool = new Float64Array(0);
let subNormals = new Float64Array(0);

/** Number of fresh draws per generation in the fresh regime: round(λn), halves rounded up. */
export function freshCount(fresh: number, samples: number): number {
  return Math.round(fresh * samples);
}

/** Number of synthetic draws per generation in the augment regime: round(λn), halves rounded up. */
export function syntheticCount(synthetic: number, samples: number): number {
  return Math.round(synthetic * samples);
}


/**
 * Runs experiments [start, start + count) of `spec`, writing ln sd to lnSd[r·count + e] and the
 * model mean to mean[r·count + e] for recorded row r and experiment offset e.
 */
export function runChains(spec: KernelSpec, start: number, count: number, lnSd: Float64Array, mean: Float64Array): void {
  const src = sourceFor(spec.rng);
  const group: GroupFn = spec.method === 'stats' ? statsGroup : resampleGroup;
  const rec: Recorder = { lnSd, mean, count };
  if (spec.regime === 'accumulate-subsample') {
    const need = subsamplePoolLength(spec);
    if (pool.length < need) pool = new Float64Array(need);
  }
  let e0 = 0;
  const kernels = wasmKernels();
  if (kernels !== null && src instanceof FastSource && spec.method === 'resample' && plainReplace(spec)) {
    for (; e0 + 4 <= count; e0 += 4) replaceFour(spec, kernels.draw4, start, rec, e0);
  }
  for (let e = e0; e < count; e++) {
    src.seed(experimentWords(spec.seed, start + e));
    switch (spec.regime) {
      case 'replace':
        replaceAny(spec, src, group, rec, e);
        break;
      case 'fresh':
        if (freshCount(spec.fresh, spec.samples) === 0) replaceAny(spec, src, group, rec, e);
        else freshChain(spec, src, group, rec, e);
        break;
      case 'accumulate':
        accumulateChain(spec, src, group, rec, e);
        break;
      case 'accumulate-subsample':
        subsampleChain(spec, src, rec, e);
        break;
      case 'augment':
        augmentChain(spec, src, group, rec, e);
        break;
    }
  }
}

/** Whether the regime runs as replace: replace itself, or fresh with no fresh draw (λn rounds to 0). */
function plainReplace(spec: KernelSpec): boolean {
  return spec.regime === 'replace' || (spec.regime === 'fresh' && freshCount(spec.fresh, spec.samples) === 0);
}

const st4 = new Int32Array(16);
const out4 = new Float64Array(8);
const m4 = new Float64Array(4);
const ls4 = new Float64Array(4);

/**
 * replaceChain with resampled groups for experiments e..e+3 at once, one per SIMD lane of the
 * wasm kernel: each lane draws its own experiment's stream, and each chain does replaceChain's
 * arithmetic in the same order, so every value is the one replaceChain gives.
 */
function replaceFour(spec: KernelSpec, draw4: Draw4Fn, start: number, rec: Recorder, e: number): void {
  for (let k = 0; k < 4; k++) {
    const w = experimentWords(spec.seed, start + e + k);
    for (let j = 0; j < 4; j++) st4[4 * j + k] = w[j]! | 0;
    if ((st4[k]! | st4[4 + k]! | st4[8 + k]! | st4[12 + k]!) === 0) st4[k] = 1; // as setState
    m4[k] = spec.mean0;
    ls4[k] = Math.log(spec.sd0);
  }
  const n = spec.samples;
  const T = spec.generations;
  const lnDf = Math.log(n - spec.ddof);
  const halfLnTau = 0.5 * Math.log(spec.temperature);
  let row = 0;
  let next = nextRecord(0, spec.every, T);
  for (let g = 1; g <= T; g++) {
    draw4(st4, n, out4);
    for (let k = 0; k < 4; k++) {
      m4[k] = m4[k]! + Math.exp(ls4[k]!) * out4[k]!;
      ls4[k] = ls4[k]! + 0.5 * (Math.log(out4[4 + k]!) - lnDf);
    }
    if (g === next) {
      for (let k = 0; k < 4; k++) {
        rec.lnSd[row * rec.count + e + k] = ls4[k]!;
        rec.mean[row * rec.count + e + k] = m4[k]!;
      }
      row++;
      next = nextRecord(g, spec.every, T);
    }
    for (let k = 0; k < 4; k++) ls4[k] = ls4[k]! + halfLnTau;
  }
}

/** Replace on the fastest path that applies: the specialised stats kernel, or the generic chain. */
function replaceAny(spec: KernelSpec, src: Source, group: GroupFn, rec: Recorder, e: number): void {
  const batches = spec.method === 'stats' && spec.samples >= 3 ? statsBatchesOf(src) : null;
  if (batches !== null) replaceStatsBatched(spec, batches, rec, e);
  else replaceChain(spec, src, group, rec, e);
}

/** The next recorded generation after `g` (the last is always recorded). */
function nextRecord(g: number, every: number, T: number): number {
  return g + every < T ? g + every : T;
}

/** The article's chain (Shumailov et al.): each fit on the n samples of the current model. */
function replaceChain(spec: KernelSpec, src: Source, group: GroupFn, rec: Recorder, e: number): void {
  const n = spec.samples;
  const T = spec.generations;
  const lnDf = Math.log(n - spec.ddof);
  const halfLnTau = 0.5 * Math.log(spec.temperature);
  let m = spec.mean0;
  let ls = Math.log(spec.sd0); // ln sd of the sampling distribution of the next generation
  let row = 0;
  let next = nextRecord(0, spec.every, T);
  for (let g = 1; g <= T; g++) {
    group(src, n, out);
    m += Math.exp(ls) * out[0]!;
    ls += 0.5 * (out[2]! - lnDf);
    if (g === next) {
      rec.lnSd[row * rec.count + e] = ls;
      rec.mean[row * rec.count + e] = m;
      row++;
      next = nextRecord(g, spec.every, T);
    }
    ls += halfLnTau;
  }
}

/**
 * Fresh data each generation (Bertrand et al. 2024; Alemohammad et al. 2023): kA = round(λn) draws
 * from the original and n − kA from the model, fitted together (Chan et al.'s merge of two groups).
 */
function freshChain(spec: KernelSpec, src: Source, group: GroupFn, rec: Recorder, e: number): void {
  const n = spec.samples;
  const T = spec.generations;
  const kA = freshCount(spec.fresh, n);
  const kB = n - kA;
  const df = n - spec.ddof;
  const m0 = spec.mean0;
  const s0 = spec.sd0;
  const sqrtTau = Math.sqrt(spec.temperature);
  let m = m0;
  let ls = Math.log(s0);
  let row = 0;
  let next = nextRecord(0, spec.every, T);
  for (let g = 1; g <= T; g++) {
    if (g === 1) {
      group(src, n, out);
      m = m0 + s0 * out[0]!;
      ls = Math.log(s0) + 0.5 * (out[2]! - Math.log(df));
    } else {
      group(src, kA, out);
      const meanA = m0 + s0 * out[0]!;
      const ssA = s0 * s0 * out[1]!;
      let mean = meanA;
      let ss = ssA;
      if (kB > 0) {
        const sigma = Math.exp(ls) * sqrtTau;
        group(src, kB, outB);
        const meanB = m + sigma * outB[0]!;
        const ssB = sigma * sigma * outB[1]!;
        const d = meanB - meanA;
        mean = meanA + (d * kB) / n;
        ss = ssA + ssB + (d * d * kA * kB) / n;
      }
      m = mean;
      ls = 0.5 * Math.log(ss / df);
    }
    if (g === next) {
      rec.lnSd[row * rec.count + e] = ls;
      rec.mean[row * rec.count + e] = m;
      row++;
      next = nextRecord(g, spec.every, T);
    }
  }
}

/**
 * Augmented data (Bertrand et al. 2024; the fixed-real-data loop of Alemohammad et al. 2023): the n
 * original draws of generation 1 are kept for good, as their mean and ss, and every later fit merges
 * them with k = round(λn) draws from the current model (Chan et al.'s merge). With k = 0 every fit
 * is generation 1's, so nothing more is drawn.
 */
function augmentChain(spec: KernelSpec, src: Source, group: GroupFn, rec: Recorder, e: number): void {
  const n = spec.samples;
  const T = spec.generations;
  const k = syntheticCount(spec.synthetic, n);
  const N = n + k;
  const lnDf = Math.log(N - spec.ddof);
  const s0 = spec.sd0;
  const sqrtTau = Math.sqrt(spec.temperature);
  group(src, n, out);
  const meanA = spec.mean0 + s0 * out[0]!;
  const ssA = s0 * s0 * out[1]!;
  let m = meanA;
  let ls = Math.log(s0) + 0.5 * (out[2]! - Math.log(n - spec.ddof));
  let row = 0;
  let next = nextRecord(0, spec.every, T);
  for (let g = 1; g <= T; g++) {
    if (g > 1 && k > 0) {
      const sigma = Math.exp(ls) * sqrtTau;
      group(src, k, outB);
      const d = m - meanA + sigma * outB[0]!; // the synthetic group's mean minus the kept one's
      m = meanA + (d * k) / N;
      ls = 0.5 * (Math.log(ssA + sigma * sigma * outB[1]! + (d * d * n * k) / N) - lnDf);
    }
    if (g === next) {
      rec.lnSd[row * rec.count + e] = ls;
      rec.mean[row * rec.count + e] = m;
      row++;
      next = nextRecord(g, spec.every, T);
    }
  }
}

/**
 * Accumulating data (Gerstgrasser et al. 2024): the pool of every sample so far, kept as its
 * sufficient statistics (count, mean, ss) and merged with each new group: O(1) memory and O(n)
 * (resample) or O(1) (stats) time per generation, never O(t·n).
 */
function accumulateChain(spec: KernelSpec, src: Source, group: GroupFn, rec: Recorder, e: number): void {
  const n = spec.samples;
  const T = spec.generations;
  const ddof = spec.ddof;
  const tau = spec.temperature;
  group(src, n, out);
  let N = n;
  let M = spec.mean0 + spec.sd0 * out[0]!;
  let SS = spec.sd0 * spec.sd0 * out[1]!;
  let row = 0;
  let next = nextRecord(0, spec.every, T);
  for (let g = 1; g <= T; g++) {
    if (g > 1) {
      const sigma = Math.sqrt((tau * SS) / (N - ddof));
      group(src, n, out);
      const d = sigma * out[0]!; // new group's mean minus the pool's
      const N2 = N + n;
      M += (d * n) / N2;
      SS += sigma * sigma * out[1]! + (d * d * N * n) / N2;
      N = N2;
    }
    if (g === next) {
      rec.lnSd[row * rec.count + e] = 0.5 * Math.log(SS / (N - ddof));
      rec.mean[row * rec.count + e] = M;
      row++;
      next = nextRecord(g, spec.every, T);
    }
  }
}

/** A uniform integer in [0, N) for N ≤ 2^53, by rejection on 53 random bits (no modulo bias). */
export function uniformIndex(src: Source, N: number): number {
  const TWO53 = 9007199254740992;
  const limit = TWO53 - (TWO53 % N);
  for (;;) {
    const j = Math.floor((1 - src.uniform()) * TWO53); // 53-bit integer in [0, 2^53)
    if (j < limit) return j % N;
  }
}

/**
 * Accumulate with a fixed training budget (Kazdan, Schaeffer et al., ICML 2025): the pool keeps
 * every value; each fit uses a uniform subsample of n without replacement, taken by a partial
 * Fisher–Yates shuffle of the pool (O(n) per generation; the pool is a multiset, so its order may
 * change). Memory: n·T doubles per experiment in flight. Generation 1 fits on the whole pool.
 */
function subsampleChain(spec: KernelSpec, src: Source, rec: Recorder, e: number): void {
  const n = spec.samples;
  const T = spec.generations;
  const df = n - spec.ddof;
  const sqrtTau = Math.sqrt(spec.temperature);
  let N = 0;
  let m = spec.mean0;
  let sigma = spec.sd0;
  let row = 0;
  let next = nextRecord(0, spec.every, T);
  for (let g = 1; g <= T; g++) {
    // the generation's n normals in one call (the order normal() gives them), then scaled
    if (subNormals.length < n) subNormals = new Float64Array(n);
    src.fill(subNormals, n);
    for (let i = 0; i < n; i++) pool[N + i] = m + sigma * subNormals[i]!;
    N += n;
    if (N > n) {
      for (let i = 0; i < n; i++) {
        const j = i + uniformIndex(src, N - i);
        const t = pool[i]!;
        pool[i] = pool[j]!;
        pool[j] = t;
      }
    }
    // two passes over the subsample, shifted by its first value
    const shift = pool[0]!;
    let s = 0;
    for (let i = 0; i < n; i++) s += pool[i]! - shift;
    const dm = s / n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = pool[i]! - shift - dm;
      ss += d * d;
    }
    m = shift + dm;
    const lsFit = 0.5 * Math.log(ss / df);
    sigma = Math.exp(lsFit) * sqrtTau;
    if (g === next) {
      rec.lnSd[row * rec.count + e] = lsFit;
      rec.mean[row * rec.count + e] = m;
      row++;
      next = nextRecord(g, spec.every, T);
    }
  }
}

const TWO500 = 3.273390607896142e150; // 2^500
const LN_TWO500 = 346.57359027997264; // 500 ln 2
const BATCH = 1024;
const normalsBuf = new Float64Array(BATCH);
const uniformsBuf = new Float64Array(BATCH);
const batchOut = new Float64Array(2);

/** How a generator fills the stats path's batches from its state `st`: normals (a group kernel with keep) and uniforms in (0, 1]. */
interface StatsBatches {
  st: Int32Array;
  normals: DrawFn;
  uniforms: (st: Int32Array, n: number, out: Float64Array) => void;
}

/**
 * The batch fillers of `src`'s generator: `fast` and `x256` (each from its WebAssembly kernel where
 * it is built, else its JS kernel: the same deviates); null for `stdlib`, which takes the generic path.
 */
function statsBatchesOf(src: Source): StatsBatches | null {
  const wasm = wasmKernels();
  if (src instanceof FastSource) return { st: src.st, normals: wasm?.draw ?? drawFast, uniforms: fillOpenUnits };
  if (src instanceof X256Source) return { st: src.st, normals: wasm?.draw256 ?? drawX256, uniforms: fillOpenUnits256 };
  return null;
}

/**
 * Replace with `--method stats` on the fast or x256 generator, n ≥ 3: per generation one normal for the
 * mean (N(0, 1/n)) and one Marsaglia–Tsang gamma for ss = 2·Gamma((n−1)/2), as in statsGroup.
 * Two choices make it 3x faster than the generic path (about 33M against 9.5M generation steps/s
 * per thread on the development machine):
 * - normals and uniforms come from batches filled by the fused kernel loop (generator state in
 *   registers) instead of one call per deviate; each experiment's stream is consumed as
 *   [normal batch, uniform batch]* with batch sizes fixed by the spec, so results are reproducible;
 * - the sd is carried as a double s·2^(500·k) instead of its log, so a generation needs a square
 *   root instead of a log and an exp.
 * The same law as the generic path (the tests compare them), not the same bytes.
 */
function replaceStatsBatched(spec: KernelSpec, batches: StatsBatches, rec: Recorder, e: number): void {
  const st = batches.st;
  const n = spec.samples;
  const T = spec.generations;
  const d = 0.5 * (n - 1) - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  const K = (2 * d) / (n - spec.ddof);
  const invSqrtN = 1 / Math.sqrt(n);
  const sqrtTau = Math.sqrt(spec.temperature);
  const nb = normalsBuf;
  const ub = uniformsBuf;
  const fill = batches.normals;
  const fillUnits = batches.uniforms;
  let ni = BATCH;
  let nEnd = 0;
  let ui = BATCH;
  let uEnd = 0;
  let m = spec.mean0;
  let s = spec.sd0; // the next generation samples with sd s·2^(500k)
  let k = 0;
  let scale = 1; // 2^(500k)
  let row = 0;
  let next = nextRecord(0, spec.every, T);
  for (let g = 1; g <= T; g++) {
    if (ni + 4 > nEnd) {
      // a generation takes 2.02 normals on average; refills shrink near the end of the chain
      nEnd = Math.min(BATCH, 3 * (T - g + 1) + 8);
      fill(st, nEnd, batchOut, nb);
      ni = 0;
    }
    const zbar = nb[ni++]! * invSqrtN;
    let v: number;
    for (;;) {
      let x: number;
      do {
        if (ni >= nEnd) {
          nEnd = Math.min(BATCH, 3 * (T - g + 1) + 8);
          fill(st, nEnd, batchOut, nb);
          ni = 0;
        }
        x = nb[ni++]!;
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      if (ui >= uEnd) {
        uEnd = Math.min(BATCH, 2 * (T - g + 1) + 8);
        fillUnits(st, uEnd, ub);
        ui = 0;
      }
      const u = ub[ui++]!;
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) break;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) break;
    }
    m += s * scale * zbar;
    s *= Math.sqrt(K * v);
    if (s < 1e-150 || s > 1e150) {
      const up = s < 1e-150;
      s = up ? s * TWO500 : s / TWO500;
      k += up ? -1 : 1;
      scale = Math.pow(2, 500 * k);
    }
    if (g === next) {
      rec.lnSd[row * rec.count + e] = Math.log(s) + k * LN_TWO500;
      rec.mean[row * rec.count + e] = m;
      row++;
      next = nextRecord(g, spec.every, T);
    }
    s *= sqrtTau;
  }
}
