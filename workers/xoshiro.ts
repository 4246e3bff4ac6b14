/**
 * xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS 2021):
 * 128 bits of state in four int32 words, period 2^128 - 1, every output bit passes BigCrush/PractRand.
 *
 * The hot kernels inline this step on local variables; the functions here operate on a state
 * `Int32Array(4)` and are the reference the inlined copies are tested against.
 */

/** Advances `st` in place and returns the next 32-bit output as an unsigned integer in [0, 2^32). */
export function nextU32(st: Int32Array): number {
  const s0 = st[0]! | 0;
  const s1 = st[1]! | 0;
  let s2 = st[2]! | 0;
  let s3 = st[3]! | 0;
  const x = Math.imul(s1, 5);
  const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  st[1] = s1 ^ s2;
  st[0] = s0 ^ s3;
  st[2] = s2 ^ t;
  st[3] = (s3 << 11) | (s3 >>> 21);
  return result;
}

/** Returns a uniform double in (0, 1]: 53 random bits, offset so that `Math.log` never sees 0. */
export function nextOpenUnit(st: Int32Array): number {
  const hi = nextU32(st) >>> 5; // 27 bits
  const lo = nextU32(st) >>> 6; // 26 bits
  return (hi * 67108864 + lo + 1) * 1.1102230246251565e-16; // 2^-53
}

/**
 * out[0 .. n) = n successive nextOpenUnit(st), with the state in locals for the whole loop
 * (nextOpenUnit reads and writes `st` twice per value): the same values, the same final state.
 */
export function fillOpenUnits(st: Int32Array, n: number, out: Float64Array): void {
  let s0 = st[0]! | 0;
  let s1 = st[1]! | 0;
  let s2 = st[2]! | 0;
  let s3 = st[3]! | 0;
  for (let i = 0; i < n; i++) {
    let x = Math.imul(s1, 5);
    const hi = (Math.imul((x << 7) | (x >>> 25), 9) >>> 0) >>> 5;
    let t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    x = Math.imul(s1, 5);
    const lo = (Math.imul((x << 7) | (x >>> 25), 9) >>> 0) >>> 6;
    t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    out[i] = (hi * 67108864 + lo + 1) * 1.1102230246251565e-16;
  }
  st[0] = s0;
  st[1] = s1;
  st[2] = s2;
  st[3] = s3;
}

/**
 * Sets `st` from four 32-bit words. An all-zero state is the one fixed point of xoshiro, so it is
 * replaced by a fixed non-zero word (probability 2^-128 for derived seeds).
 */
export function setState(st: Int32Array, w0: number, w1: number, w2: number, w3: number): void {
  st[0] = w0 | 0;
  st[1] = w1 | 0;
  st[2] = w2 | 0;
  st[3] = w3 | 0;
  if ((st[0] | st[1] | st[2] | st[3]) === 0) st[0] = 1;
}
