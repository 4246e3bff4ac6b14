/**
 * When a mean of s_T cannot be read from a run: E[s_T] of a deep chain comes from a few rare
 * chains, and this counts how many of a run's experiments are expected among them.
 */

/** Standard normal upper tail, Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). */
export function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/**
 * Fewest experiments expected among those that carry half of E[s_T] before a simulated mean is
 * trusted to meet it. When log s_T is normal with sd σ (it is a sum of T independent terms in
 * the replace regime), half of E[s_T] comes from chains more than σ above the median
 * (E[X; ln X > μ + σ²] = E[X]/2 for lognormal X), a share Φ(−σ) of them.
 */
export const CARRIERS_MIN = 10;

/**
 * How many of `experiments` chains are expected to lie where half of E[s_T] comes from, given
 * the sd of log10 s_T (theory's where known); null without one.
 */
export function meanCarriers(experiments: number, log10SdSd: number | null): number | null {
  if (log10SdSd === null || !Number.isFinite(log10SdSd) || log10SdSd < 0) return null;
  return experiments * normalUpperTail(log10SdSd * Math.LN10);
}
