/**
 * Shared test helpers: z-score bounds, the normal CDF used by goodness-of-fit checks, and result
 * comparison.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * |z| bound for one check. Each suite makes a few dozen z checks at fixed seeds; at 4.5 the
 * chance that a correct engine fails any one check is 7e-6, so a failure means a real defect.
 */
export const Z_BOUND = 4.5;

/** Standard normal CDF via erfc (W. J. Cody's rational approximation is overkill here: 1e-7 is enough). */
export function normalCdf(x: number): number {
  // Abramowitz & Stegun 7.1.26 has 1.5e-7 absolute error, ample for binning 1e6 draws.
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Wilson–Hilferty: a chi-square statistic with k degrees of freedom as an approximate N(0,1) score. */
export function chiSquareZ(stat: number, k: number): number {
  const a = 2 / (9 * k);
  return (Math.cbrt(stat / k) - (1 - a)) / Math.sqrt(a);
}

/** A summary.json without what may differ between equal runs: timing, provenance, params.workers. */
export function comparableSummary(dir: string): string {
  const d = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  delete d['timing'];
  delete d['provenance'];
  delete d['params']!['workers'];
  return JSON.stringify(d);
}

/** A small deterministic generator for test inputs (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
