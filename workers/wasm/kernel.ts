/**
 * AssemblyScript source of the WebAssembly group kernel: the same deviates as `drawFast` in
 * workers/kernel.ts (xoshiro128** + the 53-bit ziggurat of workers/ziggurat.ts), compiled by
 * `npm run build` to build/wasm/kernel.wasm and loaded by workers/wasm-kernel.ts.
 *
 * Memory layout (one 64 KiB page, filled by the loader): the ziggurat tables copied from the JS
 * module, so both kernels read the very same doubles; the generator state; the two moments; and a
 * buffer for the deviates themselves. exp and log are imported from JS (Math.exp, Math.log): wasm
 * has neither, and the imported ones keep the rare branches bit-identical to the JS kernel.
 */

@external('env', 'log') declare function jsLog(x: f64): f64;
@external('env', 'exp') declare function jsExp(x: f64): f64;

export const K24_AT: usize = 0; // i32[256]
export const W53_AT: usize = 1024; // f64[256]
export const K53_AT: usize = 3072; // f64[128]
export const F_AT: usize = 4096; // f64[128]
export const STATE_AT: usize = 5120; // i32[4]
export const OUT_AT: usize = 5136; // f64[2]: mean, sum of squared deviations
export const R_AT: usize = 5152; // f64: the tail start r
export const KEEP_AT: usize = 8192; // f64[KEEP_MAX]
export const KEEP_MAX: i32 = 7168;
export const SQUEEZE_AT: usize = 65536; // f64[128 · 8], the second page: SQUEEZE of workers/ziggurat.ts

/**
 * Where the wedge test may skip exp: a y this far below the density's lower bound is surely below
 * Math.exp(−x²/2), this far above its upper bound surely not. The density is at least 0.0026 in
 * every wedge; Math.exp is within one ulp of e^t, t = −x²/2 is rounded once, and each bound is
 * evaluated with a few roundings: all of it under 1e−15, a thousand times below this margin. So a
 * decision taken without exp is the one exp would give.
 */
const SQUEEZE_MARGIN: f64 = 1e-12;

/**
 * Whether y < Math.exp(−x²/2) in region i's wedge: from the bounds where they decide, else by exp.
 * `table`: SQUEEZE_AT (128 regions) or SQUEEZE256_AT (the x256 generator's 256).
 */
@inline function wedgeAccepts(table: usize, i: usize, x: f64, y: f64): bool {
  const at = table + (i << 6);
  const kind = load<f64>(at);
  if (kind != 0) {
    const ax = abs<f64>(x);
    const chord = load<f64>(at, 8) + load<f64>(at, 16) * ax;
    const left = load<f64>(at, 24) + load<f64>(at, 32) * ax;
    const right = load<f64>(at, 40) + load<f64>(at, 48) * ax;
    const lower = kind == 1 ? max<f64>(left, right) : chord;
    const upper = kind == 1 ? chord : min<f64>(left, right);
    if (y < lower - SQUEEZE_MARGIN) return true;
    if (y > upper + SQUEEZE_MARGIN) return false;
  }
  return y < jsExp(-0.5 * x * x);
}

const TWO_M53: f64 = 1.1102230246251565e-16;

// The generator state between the fast loop and the slow path, which is rare (2.8% of candidates).
let g0: u32 = 0;
let g1: u32 = 0;
let g2: u32 = 0;
let g3: u32 = 0;

@inline function next(): u32 {
  const s0 = g0;
  const s1 = g1;
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  const s2 = g2 ^ s0;
  const s3 = g3 ^ s1;
  g1 = s1 ^ s2;
  g0 = s0 ^ s3;
  g2 = s2 ^ t;
  g3 = rotl<u32>(s3, 11);
  return result;
}

@inline function openUnit(): f64 {
  const hi = next() >> 5;
  const lo = next() >> 6;
  return (<f64>hi * 67108864 + <f64>lo + 1) * TWO_M53;
}

/** zigguratSlow of workers/ziggurat.ts on the state in g0..g3. */
@noinline function slow(idx: usize, j: f64): f64 {
  const r = load<f64>(R_AT);
  for (;;) {
    const i = idx & 127;
    if (j < load<f64>(K53_AT + (i << 3))) return j * load<f64>(W53_AT + (idx << 3));
    if (i == 0) {
      let x: f64;
      let y: f64;
      do {
        x = -jsLog(openUnit()) / r;
        y = -jsLog(openUnit());
      } while (y + y < x * x);
      return idx & 128 ? -(r + x) : r + x;
    }
    const x = j * load<f64>(W53_AT + (idx << 3));
    const fi = load<f64>(F_AT + (i << 3));
    if (wedgeAccepts(SQUEEZE_AT, i, x, fi + (1 - openUnit()) * (load<f64>(F_AT + ((i - 1) << 3)) - fi))) return x;
    const u1 = next();
    const u2 = next();
    idx = <usize>(u1 & 255);
    const hi = u1 >> 8;
    j = <f64>(((<i64>hi) << 29) | <i64>(u2 >> 3));
    if (<i32>hi < load<i32>(K24_AT + (idx << 2))) return j * load<f64>(W53_AT + (idx << 3));
  }
  return unreachable();
}

@inline function deviate(): f64 {
  const u1 = next();
  const u2 = next();
  const idx = <usize>(u1 & 255);
  const hi = u1 >> 8;
  const j = <f64>(((<i64>hi) << 29) | <i64>(u2 >> 3));
  if (<i32>hi < load<i32>(K24_AT + (idx << 2))) return j * load<f64>(W53_AT + (idx << 3));
  return slow(idx, j);
}

/**
 * n ≥ 1 deviates from the state at STATE_AT, reduced to (mean, ss) at OUT_AT by the shifted
 * one-pass sums of drawFast; with keep ≠ 0 (n ≤ KEEP_MAX) also stored at KEEP_AT.
 * The inner loop keeps the state in locals (V8 keeps wasm globals in memory) and has no call in
 * it: a candidate that fails the quick test leaves it, and the slow path runs on the state handed
 * over in g0..g3. (With the call inside the loop, V8, whose wasm calls keep no register across
 * them, spilled the loop's state: the same loop ran about 1.5x slower.)
 */
export function group(n: i32, keep: i32): void {
  g0 = load<u32>(STATE_AT);
  g1 = load<u32>(STATE_AT, 4);
  g2 = load<u32>(STATE_AT, 8);
  g3 = load<u32>(STATE_AT, 12);
  const shift = deviate();
  if (keep) store<f64>(KEEP_AT, shift);
  let sum: f64 = 0;
  let sumsq: f64 = 0;
  let i = 1;
  while (i < n) {
    let s0 = g0;
    let s1 = g1;
    let s2 = g2;
    let s3 = g3;
    let idx: usize = 0;
    let j: f64 = 0;
    let slowly = false;
    for (; i < n; i++) {
      const u1 = rotl<u32>(s1 * 5, 7) * 9;
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl<u32>(s3, 11);
      const u2 = rotl<u32>(s1 * 5, 7) * 9;
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl<u32>(s3, 11);
      idx = <usize>(u1 & 255);
      const hi = u1 >> 8;
      j = <f64>(((<i64>hi) << 29) | <i64>(u2 >> 3)); // exact: < 2^53
      if (<i32>hi >= load<i32>(K24_AT + (idx << 2))) {
        slowly = true;
        break;
      }
      const z = j * load<f64>(W53_AT + (idx << 3));
      if (keep) store<f64>(KEEP_AT + (<usize>i << 3), z);
      const d = z - shift;
      sum += d;
      sumsq += d * d;
    }
    g0 = s0;
    g1 = s1;
    g2 = s2;
    g3 = s3;
    if (!slowly) break;
    const z = slow(idx, j);
    if (keep) store<f64>(KEEP_AT + (<usize>i << 3), z);
    const d = z - shift;
    sum += d;
    sumsq += d * d;
    i++;
  }
  store<u32>(STATE_AT, g0);
  store<u32>(STATE_AT, g1, 4);
  store<u32>(STATE_AT, g2, 8);
  store<u32>(STATE_AT, g3, 12);
  store<f64>(OUT_AT, shift + sum / n);
  store<f64>(OUT_AT, sumsq - (sum * sum) / n, 8);
}

export const STATE4_AT: usize = 5248; // v128[4]: s0..s3, lane k = stream k
export const OUT4_AT: usize = 5312; // f64[8]: the four means, then the four ss

/**
 * Four streams at once, one per i32x4 lane (xoshiro128** is a 32-bit generator, so a v128 holds
 * four): each lane gives exactly the deviates and the (mean, ss) that `group` gives on its own
 * stream. A lane whose candidate fails the quick test leaves the vectors for the scalar slow
 * path, which draws as many more words from that lane alone as it needs; the other lanes wait.
 * Measured on the 2-core development machine (benchmark.js, one thread, four different streams):
 * about 255M deviates/s against 185–240M for `group` on one stream and 125M for the JS kernel. A
 * lane's rare branch stops all four, so lanes in one state (which take every branch together)
 * read about 1.4x faster than real streams do.
 */
export function group4(n: i32): void {
  let s0 = v128.load(STATE4_AT);
  let s1 = v128.load(STATE4_AT, 16);
  let s2 = v128.load(STATE4_AT, 32);
  let s3 = v128.load(STATE4_AT, 48);
  const two29 = f64x2.splat(536870912);
  let shiftA = f64x2.splat(0);
  let shiftB = f64x2.splat(0);
  let sumA = f64x2.splat(0);
  let sumB = f64x2.splat(0);
  let sqA = f64x2.splat(0);
  let sqB = f64x2.splat(0);
  for (let i = 0; i < n; i++) {
    // ×5 and ×9 as shift-and-add: V8 rebuilds a splatted constant on every turn, and the
    // registers it would hold are needed for the sums
    let x = i32x4.add(i32x4.shl(s1, 2), s1);
    x = v128.or(i32x4.shl(x, 7), i32x4.shr_u(x, 25));
    const u1 = i32x4.add(i32x4.shl(x, 3), x);
    let t = i32x4.shl(s1, 9);
    s2 = v128.xor(s2, s0);
    s3 = v128.xor(s3, s1);
    s1 = v128.xor(s1, s2);
    s0 = v128.xor(s0, s3);
    s2 = v128.xor(s2, t);
    s3 = v128.or(i32x4.shl(s3, 11), i32x4.shr_u(s3, 21));
    x = i32x4.add(i32x4.shl(s1, 2), s1);
    x = v128.or(i32x4.shl(x, 7), i32x4.shr_u(x, 25));
    const u2 = i32x4.add(i32x4.shl(x, 3), x);
    t = i32x4.shl(s1, 9);
    s2 = v128.xor(s2, s0);
    s3 = v128.xor(s3, s1);
    s1 = v128.xor(s1, s2);
    s0 = v128.xor(s0, s3);
    s2 = v128.xor(s2, t);
    s3 = v128.or(i32x4.shl(s3, 11), i32x4.shr_u(s3, 21));
    const hi = i32x4.shr_u(u1, 8);
    const lo = i32x4.shr_u(u2, 3);
    const i0 = <usize>(i32x4.extract_lane(u1, 0) & 255);
    const i1 = <usize>(i32x4.extract_lane(u1, 1) & 255);
    const i2 = <usize>(i32x4.extract_lane(u1, 2) & 255);
    const i3 = <usize>(i32x4.extract_lane(u1, 3) & 255);
    let k = v128.load32_zero(K24_AT + (i0 << 2));
    k = v128.load32_lane(K24_AT + (i1 << 2), k, 1);
    k = v128.load32_lane(K24_AT + (i2 << 2), k, 2);
    k = v128.load32_lane(K24_AT + (i3 << 2), k, 3);
    // 53-bit abscissa integers as doubles, exactly: hi < 2^24 and lo < 2^29 convert as signed,
    // and hi·2^29 + lo < 2^53
    const jA = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(hi), two29), f64x2.convert_low_i32x4_s(lo));
    const hiB = i32x4.shuffle(hi, hi, 2, 3, 2, 3);
    const loB = i32x4.shuffle(lo, lo, 2, 3, 2, 3);
    const jB = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(hiB), two29), f64x2.convert_low_i32x4_s(loB));
    let w = v128.load64_zero(W53_AT + (i0 << 3));
    w = v128.load64_lane(W53_AT + (i1 << 3), w, 1);
    let zA = f64x2.mul(jA, w);
    w = v128.load64_zero(W53_AT + (i2 << 3));
    w = v128.load64_lane(W53_AT + (i3 << 3), w, 1);
    let zB = f64x2.mul(jB, w);
    const rejected = i32x4.bitmask(i32x4.ge_s(hi, k));
    if (rejected) {
      // each rejected lane through the scalar slow path, its words taken from and put back into
      // the vectors lane by lane, in registers (through memory, as vectors stored and read back
      // as words, they missed the store forwarding: 2% slower in all)
      if (rejected & 1) {
        g0 = <u32>i32x4.extract_lane(s0, 0);
        g1 = <u32>i32x4.extract_lane(s1, 0);
        g2 = <u32>i32x4.extract_lane(s2, 0);
        g3 = <u32>i32x4.extract_lane(s3, 0);
        zA = f64x2.replace_lane(zA, 0, slow(i0, f64x2.extract_lane(jA, 0)));
        s0 = i32x4.replace_lane(s0, 0, <i32>g0);
        s1 = i32x4.replace_lane(s1, 0, <i32>g1);
        s2 = i32x4.replace_lane(s2, 0, <i32>g2);
        s3 = i32x4.replace_lane(s3, 0, <i32>g3);
      }
      if (rejected & 2) {
        g0 = <u32>i32x4.extract_lane(s0, 1);
        g1 = <u32>i32x4.extract_lane(s1, 1);
        g2 = <u32>i32x4.extract_lane(s2, 1);
        g3 = <u32>i32x4.extract_lane(s3, 1);
        zA = f64x2.replace_lane(zA, 1, slow(i1, f64x2.extract_lane(jA, 1)));
        s0 = i32x4.replace_lane(s0, 1, <i32>g0);
        s1 = i32x4.replace_lane(s1, 1, <i32>g1);
        s2 = i32x4.replace_lane(s2, 1, <i32>g2);
        s3 = i32x4.replace_lane(s3, 1, <i32>g3);
      }
      if (rejected & 4) {
        g0 = <u32>i32x4.extract_lane(s0, 2);
        g1 = <u32>i32x4.extract_lane(s1, 2);
        g2 = <u32>i32x4.extract_lane(s2, 2);
        g3 = <u32>i32x4.extract_lane(s3, 2);
        zB = f64x2.replace_lane(zB, 0, slow(i2, f64x2.extract_lane(jB, 0)));
        s0 = i32x4.replace_lane(s0, 2, <i32>g0);
        s1 = i32x4.replace_lane(s1, 2, <i32>g1);
        s2 = i32x4.replace_lane(s2, 2, <i32>g2);
        s3 = i32x4.replace_lane(s3, 2, <i32>g3);
      }
      if (rejected & 8) {
        g0 = <u32>i32x4.extract_lane(s0, 3);
        g1 = <u32>i32x4.extract_lane(s1, 3);
        g2 = <u32>i32x4.extract_lane(s2, 3);
        g3 = <u32>i32x4.extract_lane(s3, 3);
        zB = f64x2.replace_lane(zB, 1, slow(i3, f64x2.extract_lane(jB, 1)));
        s0 = i32x4.replace_lane(s0, 3, <i32>g0);
        s1 = i32x4.replace_lane(s1, 3, <i32>g1);
        s2 = i32x4.replace_lane(s2, 3, <i32>g2);
        s3 = i32x4.replace_lane(s3, 3, <i32>g3);
      }
    }
    if (i == 0) {
      shiftA = zA;
      shiftB = zB;
    }
    const dA = f64x2.sub(zA, shiftA);
    const dB = f64x2.sub(zB, shiftB);
    sumA = f64x2.add(sumA, dA);
    sumB = f64x2.add(sumB, dB);
    sqA = f64x2.add(sqA, f64x2.mul(dA, dA));
    sqB = f64x2.add(sqB, f64x2.mul(dB, dB));
  }
  v128.store(STATE4_AT, s0);
  v128.store(STATE4_AT, s1, 16);
  v128.store(STATE4_AT, s2, 32);
  v128.store(STATE4_AT, s3, 48);
  const nn = f64x2.splat(<f64>n);
  v128.store(OUT4_AT, f64x2.add(shiftA, f64x2.div(sumA, nn)));
  v128.store(OUT4_AT, f64x2.add(shiftB, f64x2.div(sumB, nn)), 16);
  v128.store(OUT4_AT, f64x2.sub(sqA, f64x2.div(f64x2.mul(sumA, sumA), nn)), 32);
  v128.store(OUT4_AT, f64x2.sub(sqB, f64x2.div(f64x2.mul(sumB, sumB), nn)), 48);
}

// ---- the x256 generator (workers/x256.ts): xoshiro256+ and the 256-region ziggurat ----

export const W256_AT: usize = 73728; // f64[512]: X256_W, signed by bit 8 of the index
export const K256_AT: usize = 77824; // i64[256]: X256_K as integers
export const F256_AT: usize = 79872; // f64[256]: X256_F
export const STATE256_AT: usize = 81920; // u64[4]
export const R256_AT: usize = 81952; // f64: X256_R
export const SQUEEZE256_AT: usize = 82944; // f64[256 · 8]: X256_SQUEEZE

let h0: u64 = 0;
let h1: u64 = 0;
let h2: u64 = 0;
let h3: u64 = 0;

@inline function next256(): u64 {
  const result = h0 + h3;
  const t = h1 << 17;
  h2 ^= h0;
  h3 ^= h1;
  h1 ^= h2;
  h0 ^= h3;
  h2 ^= t;
  h3 = rotl<u64>(h3, 45);
  return result;
}

@inline function unit256(): f64 {
  return <f64>(next256() >> 11) * TWO_M53;
}

/** slow256 of workers/x256.ts on the state in h0..h3. */
@noinline function slow256(idx: usize, rabs: i64): f64 {
  for (;;) {
    const i = idx & 255;
    const x = <f64>rabs * load<f64>(W256_AT + (idx << 3));
    if (rabs < load<i64>(K256_AT + (i << 3))) return x;
    if (i == 0) {
      const r = load<f64>(R256_AT);
      for (;;) {
        const xx = -jsLog(1 - unit256()) / r;
        const yy = -jsLog(1 - unit256());
        if (yy + yy > xx * xx) return idx & 256 ? -(r + xx) : r + xx;
      }
    }
    const fi = load<f64>(F256_AT + (i << 3));
    if (wedgeAccepts(SQUEEZE256_AT, i, x, (load<f64>(F256_AT + ((i - 1) << 3)) - fi) * unit256() + fi)) return x;
    const w = next256();
    idx = <usize>((w >> 3) & 0x1ff);
    rabs = <i64>(w >> 12);
  }
  return unreachable();
}

/** One x256 deviate from the state in h0..h3 (the first of a group, and the slow path's way in). */
@inline function deviate256(): f64 {
  const w = next256();
  const idx = <usize>((w >> 3) & 0x1ff);
  const rabs = <i64>(w >> 12);
  if (rabs < load<i64>(K256_AT + ((idx & 255) << 3))) return <f64>rabs * load<f64>(W256_AT + (idx << 3));
  return slow256(idx, rabs);
}

/**
 * n ≥ 1 deviates of the x256 generator from the state at STATE256_AT, reduced to (mean, ss) at
 * OUT_AT by the shifted one-pass sums of `group`; with keep ≠ 0 (n ≤ KEEP_MAX) also stored at
 * KEEP_AT. The same deviates as normal256 in workers/x256.ts.
 *
 * The inner loop holds the state in locals and has no call in it: a candidate that fails the
 * quick test (about 1.5%) leaves it, and slow256's loop runs after it on the same locals; only the
 * tail calls out (slow256, the state handed over in h0..h3). With the slow path called from inside
 * the loop the loop ran at about half the speed (V8's wasm calls keep no register across them);
 * called from outside it, 503M deviates/s on one thread, inline as here 540M.
 */
export function group256(n: i32, keep: i32): void {
  h0 = load<u64>(STATE256_AT);
  h1 = load<u64>(STATE256_AT, 8);
  h2 = load<u64>(STATE256_AT, 16);
  h3 = load<u64>(STATE256_AT, 24);
  const shift = deviate256();
  if (keep) store<f64>(KEEP_AT, shift);
  let sum: f64 = 0;
  let sumsq: f64 = 0;
  let s0 = h0;
  let s1 = h1;
  let s2 = h2;
  let s3 = h3;
  let i = 1;
  while (i < n) {
    let idx: usize = 0;
    let rabs: i64 = 0;
    let slow = false;
    for (; i < n; i++) {
      const w = s0 + s3;
      const t = s1 << 17;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl<u64>(s3, 45);
      idx = <usize>((w >> 3) & 0x1ff);
      rabs = <i64>(w >> 12);
      if (rabs >= load<i64>(K256_AT + ((idx & 255) << 3))) {
        slow = true;
        break;
      }
      const z = <f64>rabs * load<f64>(W256_AT + (idx << 3));
      if (keep) store<f64>(KEEP_AT + (<usize>i << 3), z);
      const d = z - shift;
      sum += d;
      sumsq += d * d;
    }
    if (!slow) break;
    // slow256's loop, here on the locals; only the tail (about 2% of slow candidates) calls out
    let z: f64 = 0;
    for (;;) {
      const r = idx & 255;
      const x = <f64>rabs * load<f64>(W256_AT + (idx << 3));
      if (rabs < load<i64>(K256_AT + (r << 3))) {
        z = x;
        break;
      }
      if (r == 0) {
        h0 = s0;
        h1 = s1;
        h2 = s2;
        h3 = s3;
        z = slow256(idx, rabs);
        s0 = h0;
        s1 = h1;
        s2 = h2;
        s3 = h3;
        break;
      }
      let w = s0 + s3;
      let t = s1 << 17;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl<u64>(s3, 45);
      const fi = load<f64>(F256_AT + (r << 3));
      if (wedgeAccepts(SQUEEZE256_AT, r, x, (load<f64>(F256_AT + ((r - 1) << 3)) - fi) * (<f64>(w >> 11) * TWO_M53) + fi)) {
        z = x;
        break;
      }
      w = s0 + s3;
      t = s1 << 17;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl<u64>(s3, 45);
      idx = <usize>((w >> 3) & 0x1ff);
      rabs = <i64>(w >> 12);
    }
    if (keep) store<f64>(KEEP_AT + (<usize>i << 3), z);
    const d = z - shift;
    sum += d;
    sumsq += d * d;
    i++;
  }
  h0 = s0;
  h1 = s1;
  h2 = s2;
  h3 = s3;
  store<u64>(STATE256_AT, h0);
  store<u64>(STATE256_AT, h1, 8);
  store<u64>(STATE256_AT, h2, 16);
  store<u64>(STATE256_AT, h3, 24);
  store<f64>(OUT_AT, shift + sum / n);
  store<f64>(OUT_AT, sumsq - (sum * sum) / n, 8);
}
