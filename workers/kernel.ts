/**
 * The resample kernels: a group of k standard normal draws reduced to its mean and sum of squared
 * deviations, on the fast generator (fused, no storage) or the stdlib reference path.
 * Pure computation: no I/O, no pool.
 */
import { StdlibNormal } from './stdlib-normal.js';
import { F, K24, K53, W53, ZIGGURAT_R } from './ziggurat.js';
import { variance as varianceFn } from '../src/stdlib.js';

const TWO29 = 536870912;
const TWO_M53 = 1.1102230246251565e-16;

/**
 * Draws n ≥ 1 standard normals from the xoshiro128** state `st` (ziggurat, 53 bits) and writes
 * their mean to out[0] and their sum of squared deviations to out[1]; with `keep`, also the
 * deviates themselves to keep[0..n). The deviates are exactly those of `normal(st)` from
 * ziggurat.ts, in the same order.
 *
 * Generator state lives in locals for the whole call. The ziggurat's rare branches (about 2.8% of
 * candidates) run as a small state machine inside the same loop, each loop turn supplying one pair
 * of words: calling out to a function that draws from `st` forced the state through memory on
 * every turn and measured slower (150M against 170–185M deviates/s on the development machine).
 * Moments use the shifted-data algorithm (Chan, Golub & LeVeque 1983) with the first draw as shift:
 * one pass, no storage, and no cancellation even for n = 2 with nearly equal draws (a naive
 * Σz² − (Σz)²/n loses every digit there).
 */
export function drawFast(st: Int32Array, n: number, out: Float64Array, keep: Float64Array | null = null): void {
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
    if (keep !== null) keep[i] = z;
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

let warm = false;

/**
 * Runs every branch of `drawFast` (tail and wedge included) before V8 optimises it. Without type
 * feedback for the rare branches, the optimised code deoptimised on the first tail draw and was
 * then often left in slower code: 45M instead of 170M deviates/s, in about half of the runs.
 * Called by whatever is about to draw (the task entry, on each worker and for inline runs; the
 * benchmark), not on import: the coordinator imports the kernels' descriptions without drawing,
 * and 640 000 draws there cost it about 15 ms at start-up. Once per thread.
 */
export function warmUp(): void {
  if (warm) return;
  warm = true;
  const st = new Int32Array([0x12345678, 0x9abcdef, 0x0fedcba9, 0x76543210]);
  const out = new Float64Array(2);
  const keep = new Float64Array(32);
  for (let k = 0; k < 20000; k++) drawFast(st, 32, out, k & 1 ? keep : null);
}
