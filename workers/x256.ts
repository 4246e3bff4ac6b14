/**
 * The `x256` generator (`--rng x256`): xoshiro256+ (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", ACM TOMS 2021) and a 256-region ziggurat that takes each
 * deviate from one 64-bit word w, as the native C loop does (bench/native/article.c `--gen x256`):
 * bits 3..10 pick the region, bit 11 the sign, bits 12..63 are the abscissa. It is a generator
 * version of its own, not the `fast` one: other deviates from the same seed, with their own
 * pinned values and statistical tests (test/x256.test.ts).
 *
 * Why it exists: one word per deviate and a finer ziggurat (rarer slow paths) make it the
 * cheapest common native loop, about 1.6x the `fast` generator's deviates per second in C
 * (docs/benchmarks.md). The WebAssembly kernel (workers/wasm/kernel.ts, `group256`) runs it; the
 * functions here are its reference, in 32-bit halves since JS has no 64-bit integers but BigInt.
 *
 * xoshiro256+'s three lowest bits have low linear complexity (its authors: use the upper bits);
 * numpy's ziggurat takes the region from the lowest byte, here it skips those three bits. The
 * uniforms of the slow path are the top 53 bits, the form the authors give for doubles.
 *
 * Seeds (`splitmix64-v1`, src/seed.ts): experiment e's words w0, w1 give the state
 * (w0, w1, mix64(w0 ^ γ), mix64(w1 ^ γ) | 1): never all zero, and as the C loop seeds it.
 *
 * State: an Int32Array(8), word k's low half at [2k], its high half at [2k + 1].
 */
import { GAMMA, mix64 } from '../src/seed.js';
import { bisectR, layers, squeezeTable, zigguratTables } from './ziggurat.js';

const REGIONS = 256;
const TWO21 = 2097152;
const TWO20 = 1048576;
const TWO_M53 = 1.1102230246251565e-16;

/**
 * r solved by bisection so that all 256 regions have the same area v (the construction of the
 * 128-region tables, workers/ziggurat.ts). Run by the tests, which hold X256_R to it; at import the
 * tables start from the constant (the bisection cost each thread about 12 ms at start-up).
 */
export function solveR256(): number {
  return bisectR(3.5, 3.8, REGIONS);
}

/** The tail start r (3.6541528853610088 to Marsaglia & Tsang's 17 digits) and the common region area v: what solveR256() returns, to the last bit. */
export const X256_R = 3.6541528853610092;
const L = layers(X256_R, REGIONS);
export const X256_V = L.v;
/** Area of the top region minus v: the table's self-consistency. */
export const X256_RESIDUAL = L.residual;

const TABLES = zigguratTables(L, 52);
/** Accept thresholds on the 52-bit abscissa integer, per region (exact integers as doubles). */
export const X256_K = TABLES.k;
/** Abscissa scale per 52-bit integer, signed: [i] for region i, [256 + i] for its negative side. */
export const X256_W = TABLES.w;
/** Density at each region's lower edge: F[i] = f(x_i), F[0] = 1. */
export const X256_F = TABLES.f;

/**
 * Bounds on the density in each region's wedge, laid out as SQUEEZE of workers/ziggurat.ts (8
 * doubles a region: kind, then the chord and the two tangents as a + b·|x|), for the WebAssembly
 * kernel to decide most wedge tests without calling exp, with the same outcome (the margin
 * argument of workers/wasm/kernel.ts wedgeAccepts).
 */
export const X256_SQUEEZE = squeezeTable(L.x, X256_F);

/** The state of experiment words (w0 lo, w0 hi, w1 lo, w1 hi) of `splitmix64-v1`, into `st`. */
export function seedX256(st: Int32Array, w: readonly number[]): void {
  const w0 = (BigInt(w[1]! >>> 0) << 32n) | BigInt(w[0]! >>> 0);
  const w1 = (BigInt(w[3]! >>> 0) << 32n) | BigInt(w[2]! >>> 0);
  const w2 = mix64(w0 ^ GAMMA);
  const w3 = mix64(w1 ^ GAMMA) | 1n;
  const words = [w0, w1, w2, w3];
  for (let k = 0; k < 4; k++) {
    st[2 * k] = Number(words[k]! & 0xffffffffn) | 0;
    st[2 * k + 1] = Number(words[k]! >> 32n) | 0;
  }
}

/** The output word's halves of the last `next64` call (no allocation per word). */
let outLo = 0;
let outHi = 0;

/** Advances `st` by one xoshiro256+ step; the output (s0 + s3 mod 2^64) is left in outLo, outHi. */
export function next64(st: Int32Array): void {
  const s0l = st[0]! | 0;
  const s0h = st[1]! | 0;
  let s1l = st[2]! | 0;
  let s1h = st[3]! | 0;
  let s2l = st[4]! | 0;
  let s2h = st[5]! | 0;
  let s3l = st[6]! | 0;
  let s3h = st[7]! | 0;
  const lo = (s0l >>> 0) + (s3l >>> 0);
  outLo = lo >>> 0;
  outHi = (s0h + s3h + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  // t = s1 << 17
  const tl = s1l << 17;
  const th = (s1h << 17) | (s1l >>> 15);
  s2l ^= s0l;
  s2h ^= s0h;
  s3l ^= s1l;
  s3h ^= s1h;
  s1l ^= s2l;
  s1h ^= s2h;
  st[0] = s0l ^ s3l;
  st[1] = s0h ^ s3h;
  s2l ^= tl;
  s2h ^= th;
  // s3 = rotl(s3, 45) = rotr(s3, 19)
  st[6] = (s3l >>> 19) | (s3h << 13);
  st[7] = (s3h >>> 19) | (s3l << 13);
  st[2] = s1l;
  st[3] = s1h;
  st[4] = s2l;
  st[5] = s2h;
}

/** The next output as a double in [0, 1): its top 53 bits times 2^-53. */
export function unit53(st: Int32Array): number {
  next64(st);
  return (outHi * TWO21 + (outLo >>> 11)) * TWO_M53;
}

/** A uniform double in (0, 1]: 1 − unit53, exact. */
export function openUnit256(st: Int32Array): number {
  return 1 - unit53(st);
}

/**
 * out[0 .. n) = n successive openUnit256(st), the uniforms of the stats path's batches, with the
 * state in locals for the whole loop (next64 reads and writes `st` on every word).
 */
export function fillOpenUnits256(st: Int32Array, n: number, out: Float64Array): void {
  let s0l = st[0]! | 0;
  let s0h = st[1]! | 0;
  let s1l = st[2]! | 0;
  let s1h = st[3]! | 0;
  let s2l = st[4]! | 0;
  let s2h = st[5]! | 0;
  let s3l = st[6]! | 0;
  let s3h = st[7]! | 0;
  for (let i = 0; i < n; i++) {
    const lo = (s0l >>> 0) + (s3l >>> 0);
    const hi = (s0h + s3h + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    out[i] = 1 - (hi * TWO21 + ((lo >>> 0) >>> 11)) * TWO_M53;
    const tl = s1l << 17;
    const th = (s1h << 17) | (s1l >>> 15);
    s2l ^= s0l;
    s2h ^= s0h;
    s3l ^= s1l;
    s3h ^= s1h;
    s1l ^= s2l;
    s1h ^= s2h;
    s0l ^= s3l;
    s0h ^= s3h;
    s2l ^= tl;
    s2h ^= th;
    const r3l = (s3l >>> 19) | (s3h << 13);
    s3h = (s3h >>> 19) | (s3l << 13);
    s3l = r3l;
  }
  st[0] = s0l;
  st[1] = s0h;
  st[2] = s1l;
  st[3] = s1h;
  st[4] = s2l;
  st[5] = s2h;
  st[6] = s3l;
  st[7] = s3h;
}

/** The deviate of a word whose quick test failed (region index with sign `idx`, abscissa `rabs`). */
function slow256(st: Int32Array, idx: number, rabs: number): number {
  for (;;) {
    const i = idx & 255;
    const x = rabs * X256_W[idx]!;
    if (rabs < X256_K[i]!) return x;
    if (i === 0) {
      // Marsaglia (1964) tail: exact for |x| > r
      for (;;) {
        const xx = -Math.log(1 - unit53(st)) / X256_R;
        const yy = -Math.log(1 - unit53(st));
        if (yy + yy > xx * xx) return idx & 256 ? -(X256_R + xx) : X256_R + xx;
      }
    }
    if ((X256_F[i - 1]! - X256_F[i]!) * unit53(st) + X256_F[i]! < Math.exp(-0.5 * x * x)) return x;
    next64(st);
    idx = (outLo >>> 3) & 0x1ff;
    rabs = outHi * TWO20 + (outLo >>> 12);
  }
}

/** One standard normal deviate from `st`: the reference the WebAssembly kernel must match. */
export function normal256(st: Int32Array): number {
  next64(st);
  const idx = (outLo >>> 3) & 0x1ff;
  const rabs = outHi * TWO20 + (outLo >>> 12);
  if (rabs < X256_K[idx & 255]!) return rabs * X256_W[idx]!;
  return slow256(st, idx, rabs);
}

/**
 * n ≥ 1 deviates from `st` reduced to out[0] = mean and out[1] = sum of squared deviations by the
 * shifted one-pass sums of drawFast (workers/kernel.ts), the first deviate the shift; with
 * `keep`, also the deviates in keep[0..n). The JS fallback of the WebAssembly `group256`.
 */
export function drawX256(st: Int32Array, n: number, out: Float64Array, keep: Float64Array | null = null): void {
  const shift = normal256(st);
  if (keep !== null) keep[0] = shift;
  let sum = 0;
  let sumsq = 0;
  for (let i = 1; i < n; i++) {
    const z = normal256(st);
    if (keep !== null) keep[i] = z;
    const d = z - shift;
    sum += d;
    sumsq += d * d;
  }
  out[0] = shift + sum / n;
  out[1] = sumsq - (sum * sum) / n;
}
