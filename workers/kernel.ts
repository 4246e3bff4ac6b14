/**
 * The resample kernel: runs a block of experiments of the Gaussian refit-and-resample chain and
 * records (ln sd, mean) at the recorded generations. Pure computation: no I/O, no pool.
 *
 * Scale-free form (THEORY.md): a generation draws n standard normals z, and with zbar their mean
 * and ss their sum of squared deviations, the refit model is
 *     m' = m + s·zbar,   ln s' = ln s + ½·ln(ss / (n − ddof)),
 * exactly the literal experiment on x = m + s·z up to rounding, but with no loss of s against m
 * and no underflow of s at any depth.
 */
import { StdlibNormal } from './stdlib-normal.js';
import { F, K24, K53, W53, ZIGGURAT_R } from './ziggurat.js';
import varianceFn from '@stdlib/stats-base-variance';
import { setState } from './xoshiro.js';
import { experimentWords } from '../src/seed.js';

/** The part of a run's spec that the kernel needs. */
export interface KernelSpec {
  samples: number;
  generations: number;
  ddof: number;
  mean0: number;
  sd0: number;
  every: number;
  seed: number;
  rng: 'fast' | 'stdlib';
}

const TWO29 = 536870912;
const TWO_M53 = 1.1102230246251565e-16;

/**
 * Draws n ≥ 1 standard normals from the xoshiro128** state `st` (ziggurat, 53 bits) and writes
 * their mean to out[0] and their sum of squared deviations to out[1]. The deviates are exactly
 * those of `normal(st)` from ziggurat.ts, in the same order.
 *
 * Generator state lives in locals for the whole call. The ziggurat's rare branches (about 1.2% of
 * candidates) run as a small state machine inside the same loop, each loop turn supplying one pair
 * of words: calling out to a function that draws from `st` forced the state through memory on
 * every turn and measured 2x slower (285M versus 150M deviates/s on the development machine).
 * Moments use the shifted-data algorithm (Chan, Golub & LeVeque 1983) with the first draw as shift:
 * one pass, no storage, and no cancellation even for n = 2 with nearly equal draws (a naive
 * Σz² − (Σz)²/n loses every digit there).
 */
export function drawFast(st: Int32Array, n: number, out: Float64Array): void {
  let s0 = st[0]! | 0;
  let s1 = st[1]! | 0;
  let s2 = st[2]! | 0;
  let s3 = st[3]! | 0;
  const k24 = K24; // module bindings read in the loop measured slower than locals
  const w53 = W53;
  let shift = 0;
  let sum = 0;
  let sumsq = 0;
  let mode = 0; // 0 candidate, 1 wedge test pending, 2 tail first uniform, 3 tail second uniform
  let px = 0; // pending abscissa (wedge) or tail excess
  let pr = 0; // pending region (wedge) or sign (tail)
  let i = 0;
  while (i < n) {
    let x = Math.imul(s1, 5);
    const u1 = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    let t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    x = Math.imul(s1, 5);
    const u2 = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    let z: number;
    if (mode === 0) {
      const idx = u1 & 255;
      const hi = u1 >>> 8;
      const j = hi * TWO29 + (u2 >>> 3);
      if (hi < k24[idx]!) {
        z = j * w53[idx]!;
      } else {
        const r = idx & 127;
        if (j < K53[r]!) {
          z = j * w53[idx]!;
        } else if (r === 0) {
          mode = 2;
          pr = idx & 128;
          continue;
        } else {
          mode = 1;
          px = j * w53[idx]!;
          pr = r;
          continue;
        }
      }
    } else {
      const u = ((u1 >>> 5) * 67108864 + (u2 >>> 6) + 1) * TWO_M53; // (0, 1], as nextOpenUnit
      if (mode === 1) {
        const f = F[pr]!;
        mode = 0;
        if (f + (1 - u) * (F[pr - 1]! - f) >= Math.exp(-0.5 * px * px)) continue;
        z = px;
      } else if (mode === 2) {
        px = -Math.log(u) / ZIGGURAT_R;
        mode = 3;
        continue;
      } else {
        const y = -Math.log(u);
        if (y + y < px * px) {
          mode = 2;
          continue;
        }
        mode = 0;
        z = pr ? -(ZIGGURAT_R + px) : ZIGGURAT_R + px;
      }
    }
    if (i === 0) shift = z;
    const d = z - shift;
    sum += d;
    sumsq += d * d;
    i++;
  }
  st[0] = s0;
  st[1] = s1;
  st[2] = s2;
  st[3] = s3;
  out[0] = shift + sum / n;
  out[1] = sumsq - (sum * sum) / n;
}

/**
 * The reference path: n draws from @stdlib/random-base-normal into `scratch`, the mean by a
 * plain sum and ss from @stdlib/stats-base-variance (correction 0) times n.
 */
export function drawStdlib(gen: StdlibNormal, n: number, scratch: Float64Array, out: Float64Array): void {
  const draw = gen.draw;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const z = draw();
    scratch[i] = z;
    sum += z;
  }
  out[0] = sum / n;
  out[1] = varianceFn(n, 0, scratch, 1) * n;
}

/** Per-worker scratch, allocated once and reused across tasks. */
interface Scratch {
  st: Int32Array;
  out: Float64Array;
  buf: Float64Array;
  stdlib: StdlibNormal | null;
}

const scratch: Scratch = { st: new Int32Array(4), out: new Float64Array(2), buf: new Float64Array(0), stdlib: null };

/**
 * Runs experiments [start, start + count) of `spec` and writes, for recorded row r and experiment
 * offset e, ln sd to lnSd[r·count + e] and the model mean to mean[r·count + e].
 */
export function runReplace(
  spec: KernelSpec,
  start: number,
  count: number,
  lnSd: Float64Array,
  mean: Float64Array,
): void {
  const n = spec.samples;
  const T = spec.generations;
  const every = spec.every;
  const lnDf = Math.log(n - spec.ddof);
  const { st, out } = scratch;
  const useStdlib = spec.rng === 'stdlib';
  let gen: StdlibNormal | null = null;
  if (useStdlib) {
    if (scratch.stdlib === null) scratch.stdlib = new StdlibNormal();
    if (scratch.buf.length < n) scratch.buf = new Float64Array(n);
    gen = scratch.stdlib;
  }
  const buf = scratch.buf;
  for (let e = 0; e < count; e++) {
    const w = experimentWords(spec.seed, start + e);
    if (gen !== null) gen.seed(w);
    else setState(st, w[0], w[1], w[2], w[3]);
    let m = spec.mean0;
    let ls = Math.log(spec.sd0);
    let row = 0;
    let next = every < T ? every : T;
    for (let g = 1; g <= T; g++) {
      if (gen !== null) drawStdlib(gen, n, buf, out);
      else drawFast(st, n, out);
      m += Math.exp(ls) * out[0]!;
      ls += 0.5 * (Math.log(out[1]!) - lnDf);
      if (g === next) {
        lnSd[row * count + e] = ls;
        mean[row * count + e] = m;
        row++;
        next = next + every < T ? next + every : T;
      }
    }
  }
}

/**
 * Runs every branch of `drawFast` (tail and wedge included) before V8 optimises it. Without type
 * feedback for the rare branches, the optimised code deoptimised on the first tail draw and was
 * then often left in slower code: 45M instead of 170M deviates/s, in about half of the runs.
 */
function warmUp(): void {
  const st = new Int32Array([0x12345678, 0x9abcdef, 0x0fedcba9, 0x76543210]);
  const out = new Float64Array(2);
  for (let k = 0; k < 20000; k++) drawFast(st, 32, out);
}
warmUp();
