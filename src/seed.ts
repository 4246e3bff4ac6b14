/**
 * Derives each experiment's random stream from (seed, experiment index) alone, so that results do
 * not depend on which thread, chunk or machine runs an experiment.
 *
 * Scheme ("splitmix64-v1"): key = mix64(seed + γ); experiment e takes the two 64-bit words
 * w0 = mix64(key + (2e + 1)γ) and w1 = mix64(key + (2e + 2)γ), all arithmetic mod 2^64, where
 * mix64 is the SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014; Stafford's "Mix13" constants)
 * and γ = 0x9E3779B97F4A7C15. The four 32-bit halves (w0 low, w0 high, w1 low, w1 high) seed
 * xoshiro128** directly, and seed MT19937 through init_by_array for the stdlib path.
 * Distinct (seed, e) pairs give distinct inputs to a bijection, so streams never share a start.
 */

export const SEED_SCHEME = 'splitmix64-v1';

const MASK64 = (1n << 64n) - 1n;
/** SplitMix64's increment γ (the golden ratio's 64-bit fraction). */
export const GAMMA = 0x9e3779b97f4a7c15n;

/** SplitMix64's output function: a bijection on 64-bit integers with full avalanche. */
export function mix64(z: bigint): bigint {
  z &= MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** The four 32-bit seed words of experiment `experiment` under `seed` (both safe integers ≥ 0). */
export function experimentWords(seed: number, experiment: number): [number, number, number, number] {
  const key = mix64(BigInt(seed) + GAMMA);
  const base = BigInt(experiment) * 2n;
  const w0 = mix64(key + (base + 1n) * GAMMA);
  const w1 = mix64(key + (base + 2n) * GAMMA);
  return [
    Number(w0 & 0xffffffffn) >>> 0,
    Number(w0 >> 32n) >>> 0,
    Number(w1 & 0xffffffffn) >>> 0,
    Number(w1 >> 32n) >>> 0,
  ];
}
