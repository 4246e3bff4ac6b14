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
 * metrics k = 0..3 at [(2 + k)·n, (3 + k)·n), then NF = 16 moment fields.
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
  for (let i: usize = 0; i < end; i += 8) {
    const ls = load<f64>(L + i);
    if (ls > lnEps) above++;
    const y = fdexp(ls - ref);
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
  for (let i: usize = 0; i < N; i += 8) {
    const ls = load<f64>(i);
    const dm = load<f64>(N + i) - m0;
    const ds = fdexp(ls) - s0;
    store<f64>(2 * N + i, dm * dm);
    store<f64>(3 * N + i, fdexp(2 * (ls - lnS0)));
    store<f64>(4 * N + i, 2 * (ls - lnS0) * LOG10E);
    store<f64>(5 * N + i, dm * dm + ds * ds);
  }
}
