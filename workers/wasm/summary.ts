/**
 * AssemblyScript source of the per-generation statistics' two loops over every recorded value of
 * the 1-D Gaussian (workers/summary.ts): a chunk's moments of a row (src/stats.ts chunkMoments,
 * rows = 1) and the four metrics derived from (ln sd, mean) (workers/families/gaussian.ts
 * deriveScalarMetrics). Built by `npm run build` to build/wasm/summary.wasm and loaded by
 * workers/wasm-summary.ts, which copies each row's ln sd and mean into this module's memory.
 *
 * Three exponentials a recorded value are most of those loops' arithmetic, and V8's Math.exp is
 * a call into C (fdlibm's e_exp.c, src/base/ieee754.cc): `fdexp` below is the same algorithm line
 * for line, with V8's one addition (exp(1) returns E), so the same double for every input
 * (test/wasm-summary.test.ts checks it over every binade, the thresholds and the special values),
 * inlined into the loops at about half the cost. Every other operation is the JS loops' own, in
 * their order, each rounded once (WebAssembly has no fused multiply-add): the JS results bit for bit.
 *
 * Memory from byte 0 (the module keeps no data of its own): ln sd [0, n), mean [n, 2n), the
 * metrics k = 0..3 at [(2 + k)·n, (3 + k)·n), then NF = 16 moment fields, then the metrics'
 * ranges (4 × 4 doubles) and central sums (4 × 3), four doubles of scratch, the histogram's counts
 * and slots and a scratch row, whose places the loader passes in (workers/wasm-summary.ts layout).
 */

const LN2_HI: f64 = 6.93147180369123816490e-1; // 0x3FE62E42 FEE00000
const LN2_LO: f64 = 1.90821492927058770002e-10; // 0x3DEA39EF 35793C76
const INV_LN2: f64 = 1.44269504088896338700; // 0x3FF71547 652B82FE
const P1: f64 = 1.66666666666666019037e-1;
const P2: f64 = -2.77777777770155933842e-3;
const P3: f64 = 6.61375632143793436117e-5;
const P4: f64 = -1.65339022054652515390e-6;
const P5: f64 = 4.13813679705723846039e-8;
const O_THRESHOLD: f64 = 7.09782712893383973096e2;
const U_THRESHOLD: f64 = -7.45133219101941108420e2;
const TWO_M1000: f64 = 9.33263618503218878990e-302; // 2^-1000
const TWO_1023: f64 = 8.988465674311579539e307; // 2^1023
const E_: f64 = 2.718281828459045;
const LOG10E: f64 = 0.4342944819032518; // Math.LOG10E

/** fdlibm's __ieee754_exp as V8 has it (ieee754::exp): Math.exp's double for every x. */
// @ts-ignore: decorator
@inline
function fdexp(x0: f64): f64 {
  let x = x0;
  const bits = reinterpret<u64>(x0);
  let hx = <u32>(bits >> 32);
  const xsb = <i32>(hx >> 31);
  hx &= 0x7fffffff;
  let hi: f64 = 0;
  let lo: f64 = 0;
  let k: i32 = 0;
  if (hx >= 0x40862e42) {
    // |x| ≥ 709.78…: NaN, ±Inf, overflow, underflow
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | <u32>bits) != 0) return x + x;
      return xsb == 0 ? x : 0.0;
    }
    if (x > O_THRESHOLD) return Infinity;
    if (x < U_THRESHOLD) return TWO_M1000 * TWO_M1000;
  }
  if (hx > 0x3fd62e42) {
    // |x| > ln2/2: x = k·ln2 + r, |r| ≤ ln2/2, r = hi − lo
    if (hx < 0x3ff0a2b2) {
      if (x == 1.0) return E_;
      hi = xsb == 0 ? x - LN2_HI : x + LN2_HI;
      lo = xsb == 0 ? LN2_LO : -LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = <i32>(INV_LN2 * x + (xsb == 0 ? 0.5 : -0.5));
      const t = <f64>k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2^-28
    return 1.0 + x;
  } else {
    k = 0;
  }
  const t = x * x;
  const twopk =
    k >= -1021 ? reinterpret<f64>(<u64>(0x3ff00000 + (k << 20)) << 32) : reinterpret<f64>(<u64>(0x3ff00000 + ((k + 1000) << 20)) << 32);
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - (lo - (x * c) / (2.0 - c) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * TWO_1023;
    return y * twopk;
  }
  return y * twopk * TWO_M1000;
}

/** Math.exp's double at x (for the tests). */
export function exp(x: f64): f64 {
  return fdexp(x);
}

/** The inner bounds of vexp's lanes: 2^-28 ≤ |x| (fdlibm returns 1 + x below), −707 < x < 709 (k in [−1020, 1022]). */
const TINY: f64 = 3.725290298461914e-9; // 2^-28, the double of high word 0x3E300000
const LOW: f64 = -707.0;
const HIGH: f64 = 709.0;
/** The smallest |x| whose high word exceeds 0x3FD62E42 (fdlibm reduces from there; k = 0 below). */
const REDUCE_FROM: f64 = 0.3465735912322998; // high word 0x3FD62E43, low word 0

/**
 * fdexp of both lanes of x, for lanes with TINY ≤ |x|, LOW < x < HIGH and x ≠ 1; other lanes
 * take fdexp one by one. Every lane's arithmetic is fdexp's, operation for operation:
 * - fdexp's three reductions are one here. For REDUCE_FROM ≤ |x| < 1.5 ln2 it sets k = ±1, hi =
 *   x ∓ LN2_HI, lo = ±LN2_LO, which are k·LN2_HI and k·LN2_LO for that k, and the general
 *   k = trunc(x/ln2 ± ½) is ±1 there. Below REDUCE_FROM fdexp does not reduce (k = 0): here k is
 *   set to 0, so hi = x − 0·LN2_HI = x and lo = +0, r = x.
 * - At k = 0 fdexp returns 1 − ((x·c)/(c − 2) − x), and the general form is
 *   (1 − ((lo − (x·c)/(2 − c)) − hi))·2^0: c − 2 = −(2 − c) and a/(−b) = −(a/b) exactly,
 *   0 − q = −q (q ≠ 0: x ≠ 0 and c ≈ x), and the product by 1 is exact, so the same double.
 */
// @ts-ignore: decorator
@inline
function vexp(x: v128): v128 {
  const ax = f64x2.abs(x);
  const ok = v128.and(
    v128.and(f64x2.ge(ax, f64x2.splat(TINY)), f64x2.ne(x, f64x2.splat(1.0))),
    v128.and(f64x2.gt(x, f64x2.splat(LOW)), f64x2.lt(x, f64x2.splat(HIGH))),
  );
  if (!i64x2.all_true(ok)) {
    return f64x2.replace_lane(f64x2.splat(fdexp(f64x2.extract_lane(x, 0))), 1, fdexp(f64x2.extract_lane(x, 1)));
  }
  // ±½ with x's sign, then k = trunc(x/ln2 ± ½), 0 where fdexp does not reduce
  const half = v128.or(v128.and(x, i64x2.splat(0x8000000000000000)), f64x2.splat(0.5));
  const reduce = f64x2.ge(ax, f64x2.splat(REDUCE_FROM));
  const k = v128.and(i32x4.trunc_sat_f64x2_s_zero(f64x2.add(f64x2.mul(f64x2.splat(INV_LN2), x), half)), i32x4.shuffle(reduce, reduce, 0, 2, 0, 0));
  const t = f64x2.convert_low_i32x4_s(k);
  const hi = f64x2.sub(x, f64x2.mul(t, f64x2.splat(LN2_HI)));
  const lo = f64x2.mul(t, f64x2.splat(LN2_LO));
  const r = f64x2.sub(hi, lo);
  const tt = f64x2.mul(r, r);
  let p = f64x2.add(f64x2.splat(P4), f64x2.mul(tt, f64x2.splat(P5)));
  p = f64x2.add(f64x2.splat(P3), f64x2.mul(tt, p));
  p = f64x2.add(f64x2.splat(P2), f64x2.mul(tt, p));
  p = f64x2.add(f64x2.splat(P1), f64x2.mul(tt, p));
  const c = f64x2.sub(r, f64x2.mul(tt, p));
  const q = f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2.0), c));
  const y = f64x2.sub(f64x2.splat(1.0), f64x2.sub(f64x2.sub(lo, q), hi));
  const twopk = i64x2.shl(i64x2.add(i64x2.extend_low_i32x4_s(k), i64x2.splat(0x3ff)), 52);
  return f64x2.mul(y, twopk);
}

/** vexp of (a, b) (for the tests). */
export function exp2(a: f64, b: f64): f64 {
  const v = vexp(f64x2.replace_lane(f64x2.splat(a), 1, b));
  store<f64>(0, f64x2.extract_lane(v, 1));
  return f64x2.extract_lane(v, 0);
}

/**
 * chunkMoments of one row (rows = 1) over experiments [e0, e0 + count) of the n in memory, its NF
 * fields at byte 48n (src/stats.ts F): the same two passes, sums and order.
 */
export function moments(n: i32, e0: i32, count: i32, mean0: f64, sd0: f64, lnEps: f64): void {
  const L: usize = (<usize>e0) << 3;
  const M: usize = (<usize>(n + e0)) << 3;
  const end: usize = (<usize>count) << 3;
  let lo: f64 = Infinity;
  let hi: f64 = -Infinity;
  for (let i: usize = 0; i < end; i += 8) {
    const ls = load<f64>(L + i);
    if (ls < lo) lo = ls;
    if (ls > hi) hi = ls;
  }
  const ref: f64 = hi - hi == 0 ? hi : 0;
  const eRef = fdexp(ref);
  const ls0 = load<f64>(L);
  const k10 = ls0 * LOG10E;
  const kY = fdexp(ls0 - ref);
  const kQ = kY * kY;
  const kM = load<f64>(M) - mean0;
  const kD = kM * kM;
  const s0d = kY * eRef - sd0;
  const kW = kD + s0d * s0d;
  let a10: f64 = 0, b10: f64 = 0, aY: f64 = 0, bY: f64 = 0, aQ: f64 = 0, bQ: f64 = 0;
  let aM: f64 = 0, bM: f64 = 0, aD: f64 = 0, bD: f64 = 0, aW: f64 = 0, bW: f64 = 0;
  let above: i32 = 0;
  const REF = f64x2.splat(ref);
  // exp(ls − ref) four values ahead, by two two-lane exps side by side, into four doubles after
  // the row's other numbers; every sum still in experiment order
  const Y: usize = (<usize>n) * 48 + 44 * 8;
  for (let i: usize = 0; i < end; i += 8) {
    const ls = load<f64>(L + i);
    if (ls > lnEps) above++;
    let y: f64;
    const j = i & 31;
    if (i - j + 32 <= end) {
      if (j == 0) {
        v128.store(Y, vexp(f64x2.sub(v128.load(L + i), REF)));
        v128.store(Y, vexp(f64x2.sub(v128.load(L + i, 16), REF)), 16);
      }
      y = load<f64>(Y + j);
    } else y = fdexp(ls - ref);
    const dm = load<f64>(M + i) - mean0;
    const dm2 = dm * dm;
    const ds = y * eRef - sd0;
    const w = dm2 + ds * ds;
    let t = ls * LOG10E - k10;
    a10 += t;
    b10 += t * t;
    t = y - kY;
    aY += t;
    bY += t * t;
    t = y * y - kQ;
    aQ += t;
    bQ += t * t;
    t = dm - kM;
    aM += t;
    bM += t * t;
    t = dm2 - kD;
    aD += t;
    bD += t * t;
    t = w - kW;
    aW += t;
    bW += t * t;
  }
  const out: usize = (<usize>n) * 48;
  store<f64>(out + 2 * 8, lo);
  store<f64>(out + 3 * 8, hi);
  store<f64>(out + 4 * 8, ref);
  store<f64>(out + 15 * 8, <f64>above);
  const c = <f64>count;
  shifted(a10, b10, k10, c, out + 0 * 8);
  shifted(aY, bY, kY, c, out + 5 * 8);
  shifted(aQ, bQ, kQ, c, out + 13 * 8);
  shifted(aM, bM, kM, c, out + 7 * 8);
  shifted(aD, bD, kD, c, out + 9 * 8);
  shifted(aW, bW, kW, c, out + 11 * 8);
}

/** shiftedMoments of src/stats.ts: (mean, M2) from the shifted sums. */
// @ts-ignore: decorator
@inline
function shifted(sum: f64, sumsq: f64, shift: f64, count: f64, at: usize): void {
  const dm = sum / count;
  store<f64>(at, shift + dm);
  store<f64>(at + 8, max<f64>(0, sumsq - sum * dm));
}

/** deriveScalarMetrics of the n values in memory: metric k of value i at (2 + k)·n + i. */
export function derive(n: i32, m0: f64, s0: f64, lnS0: f64): void {
  const N: usize = (<usize>n) << 3;
  const pairs: usize = ((<usize>n) >> 1) << 4;
  const M0 = f64x2.splat(m0);
  const S0 = f64x2.splat(s0);
  const LNS0 = f64x2.splat(lnS0);
  const TWO = f64x2.splat(2);
  const L10 = f64x2.splat(LOG10E);
  // four values an iteration: four independent exps in flight (each is a long chain of dependent
  // operations, so two pairs side by side keep the core busy)
  const quads: usize = ((<usize>n) >> 2) << 5;
  for (let i: usize = 0; i < quads; i += 32) {
    const ls = v128.load(i);
    const ls1 = v128.load(i, 16);
    const d = f64x2.mul(TWO, f64x2.sub(ls, LNS0));
    const d1 = f64x2.mul(TWO, f64x2.sub(ls1, LNS0));
    const e = vexp(ls);
    const e1 = vexp(ls1);
    const f = vexp(d);
    const f1 = vexp(d1);
    const dm = f64x2.sub(v128.load(N + i), M0);
    const dm1 = f64x2.sub(v128.load(N + i, 16), M0);
    const ds = f64x2.sub(e, S0);
    const ds1 = f64x2.sub(e1, S0);
    const dm2 = f64x2.mul(dm, dm);
    const dm21 = f64x2.mul(dm1, dm1);
    v128.store(2 * N + i, dm2);
    v128.store(2 * N + i, dm21, 16);
    v128.store(3 * N + i, f);
    v128.store(3 * N + i, f1, 16);
    v128.store(4 * N + i, f64x2.mul(d, L10));
    v128.store(4 * N + i, f64x2.mul(d1, L10), 16);
    v128.store(5 * N + i, f64x2.add(dm2, f64x2.mul(ds, ds)));
    v128.store(5 * N + i, f64x2.add(dm21, f64x2.mul(ds1, ds1)), 16);
  }
  for (let i: usize = quads; i < pairs; i += 16) {
    const ls = v128.load(i);
    const dm = f64x2.sub(v128.load(N + i), M0);
    const ds = f64x2.sub(vexp(ls), S0);
    const d = f64x2.mul(TWO, f64x2.sub(ls, LNS0));
    const dm2 = f64x2.mul(dm, dm);
    v128.store(2 * N + i, dm2);
    v128.store(3 * N + i, vexp(d));
    v128.store(4 * N + i, f64x2.mul(d, L10));
    v128.store(5 * N + i, f64x2.add(dm2, f64x2.mul(ds, ds)));
  }
  for (let i: usize = pairs; i < N; i += 8) {
    const ls = load<f64>(i);
    const dm = load<f64>(N + i) - m0;
    const ds = fdexp(ls) - s0;
    store<f64>(2 * N + i, dm * dm);
    store<f64>(3 * N + i, fdexp(2 * (ls - lnS0)));
    store<f64>(4 * N + i, 2 * (ls - lnS0) * LOG10E);
    store<f64>(5 * N + i, dm * dm + ds * ds);
  }
}

/**
 * The two passes of src/digest.ts digestMetric over each of the four metric planes in memory, two
 * metrics to a vector (lane j of pair p is metric 2p + j), every lane its own sum in experiment
 * order: (Σv, the count of non-finite v, min, max) of each metric at byte 48n + 128 + 32k, as
 * `if (v < lo) lo = v` and `if (v > hi) hi = v` keep them (pmin, pmax: NaN never taken, the first
 * of ±0 kept).
 */
export function metricRange(n: i32): void {
  const N: usize = (<usize>n) << 3;
  const at: usize = (<usize>n) * 48 + 128;
  for (let p: usize = 0; p < 2; p++) {
    const A: usize = (2 + 2 * p) * N;
    const B: usize = A + N;
    let sum = f64x2.splat(0);
    let bad = i64x2.splat(0);
    let lo = f64x2.splat(Infinity);
    let hi = f64x2.splat(-Infinity);
    for (let i: usize = 0; i < N; i += 8) {
      const v = f64x2.replace_lane(f64x2.splat(load<f64>(A + i)), 1, load<f64>(B + i));
      sum = f64x2.add(sum, v);
      bad = i64x2.sub(bad, f64x2.ne(f64x2.sub(v, v), f64x2.splat(0)));
      lo = f64x2.pmin(lo, v);
      hi = f64x2.pmax(hi, v);
    }
    for (let j = 0; j < 2; j++) {
      const o: usize = at + (2 * p + <usize>j) * 32;
      store<f64>(o, j == 0 ? f64x2.extract_lane(sum, 0) : f64x2.extract_lane(sum, 1));
      store<f64>(o + 8, <f64>(j == 0 ? i64x2.extract_lane(bad, 0) : i64x2.extract_lane(bad, 1)));
      store<f64>(o + 16, j == 0 ? f64x2.extract_lane(lo, 0) : f64x2.extract_lane(lo, 1));
      store<f64>(o + 24, j == 0 ? f64x2.extract_lane(hi, 0) : f64x2.extract_lane(hi, 1));
    }
  }
}

/**
 * digestMetric's second pass for the four metrics, about their means m0..m3: Σd², Σd³, Σd⁴ of
 * d = v − mean (d² = d·d; d³ = d²·d; d⁴ = d²·d²), each in experiment order, at byte 48n + 256 + 24k.
 */
export function metricCentral(n: i32, m0: f64, m1: f64, m2: f64, m3: f64): void {
  const N: usize = (<usize>n) << 3;
  const at: usize = (<usize>n) * 48 + 256;
  for (let p: usize = 0; p < 2; p++) {
    const A: usize = (2 + 2 * p) * N;
    const B: usize = A + N;
    const mean = p == 0 ? f64x2.replace_lane(f64x2.splat(m0), 1, m1) : f64x2.replace_lane(f64x2.splat(m2), 1, m3);
    let s2 = f64x2.splat(0);
    let s3 = f64x2.splat(0);
    let s4 = f64x2.splat(0);
    for (let i: usize = 0; i < N; i += 8) {
      const v = f64x2.replace_lane(f64x2.splat(load<f64>(A + i)), 1, load<f64>(B + i));
      const d = f64x2.sub(v, mean);
      const d2 = f64x2.mul(d, d);
      s2 = f64x2.add(s2, d2);
      s3 = f64x2.add(s3, f64x2.mul(d2, d));
      s4 = f64x2.add(s4, f64x2.mul(d2, d2));
    }
    for (let j = 0; j < 2; j++) {
      const o: usize = at + (2 * p + <usize>j) * 24;
      store<f64>(o, j == 0 ? f64x2.extract_lane(s2, 0) : f64x2.extract_lane(s2, 1));
      store<f64>(o + 8, j == 0 ? f64x2.extract_lane(s3, 0) : f64x2.extract_lane(s3, 1));
      store<f64>(o + 16, j == 0 ? f64x2.extract_lane(s4, 0) : f64x2.extract_lane(s4, 1));
    }
  }
}

/** The order key of a double's upper word h (src/select.ts upperKey): keys compare as the doubles do. */
// @ts-ignore: decorator
@inline
function upperKey(h: i32): i32 {
  return h ^ ((h >> 31) & 0x7fffffff);
}

/** src/select.ts's linear bucket of v: ((v − lo)·scale) | 0, the last bucket for anything past it. */
// @ts-ignore: decorator
@inline
function linearBucket(v: f64, lo: f64, scale: f64): i32 {
  const c = <i32>((v - lo) * scale);
  return c < 2048 ? c : 2047;
}

/**
 * orderStatistics' counting pass (src/select.ts countLinear or countKeys, `linear` choosing) over
 * the n doubles at `src`, into 2048 i32 counts at `counts` (zeroed here); the same bucket of every
 * value as those loops give it.
 */
export function histogram(src: usize, n: i32, linear: i32, lo: f64, scale: f64, kLo: i32, shift: i32, counts: usize): void {
  memory.fill(counts, 0, 2048 << 2);
  const end: usize = src + ((<usize>n) << 3);
  if (linear != 0) {
    for (let p = src; p < end; p += 8) {
      const at = counts + ((<usize>linearBucket(load<f64>(p), lo, scale)) << 2);
      store<i32>(at, load<i32>(at) + 1);
    }
  } else {
    for (let p = src; p < end; p += 8) {
      const c = <u32>(<i64>upperKey(load<i32>(p, 4)) - <i64>kLo) >>> shift;
      const at = counts + ((<usize>c) << 2);
      store<i32>(at, load<i32>(at) + 1);
    }
  }
}

/**
 * orderStatistics' copying pass (copyLinear or copyKeys): each value at `src` whose bucket b has
 * slot[b] ≥ 0 goes to scratch[slot[b]++] (slots i32 at `slot`, scratch doubles at `scratch`), in
 * the values' order.
 */
export function copyBuckets(src: usize, n: i32, linear: i32, lo: f64, scale: f64, kLo: i32, shift: i32, slot: usize, scratch: usize): void {
  const end: usize = src + ((<usize>n) << 3);
  for (let p = src; p < end; p += 8) {
    const v = load<f64>(p);
    const c = linear != 0 ? linearBucket(v, lo, scale) : <i32>(<u32>(<i64>upperKey(load<i32>(p, 4)) - <i64>kLo) >>> shift);
    const at = slot + ((<usize>c) << 2);
    const s = load<i32>(at);
    if (s >= 0) {
      store<f64>(scratch + ((<usize>s) << 3), v);
      store<i32>(at, s + 1);
    }
  }
}

/**
 * orderStatistics' range pass over the n doubles at `src`: min and max as `if (v < lo) lo = v` and
 * `if (v > hi) hi = v` keep them, the min NaN where any value is NaN; at byte `into`, `into` + 8.
 */
export function range(src: usize, n: i32, into: usize): void {
  const end: usize = src + ((<usize>n) << 3);
  let lo: f64 = Infinity;
  let hi: f64 = -Infinity;
  let nan = false;
  for (let p = src; p < end; p += 8) {
    const v = load<f64>(p);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (v != v) nan = true;
  }
  store<f64>(into, nan ? NaN : lo);
  store<f64>(into + 8, hi);
}
