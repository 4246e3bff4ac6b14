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

/**
 * erfc by the Chebyshev fit of Numerical Recipes (erfcc, 2nd ed. §6.2): relative error below
 * 1.2e-7 everywhere, so it serves for tail probabilities where 1 − Φ would lose every digit.
 * Independent of the ziggurats' tables (which integrate the tail by a continued fraction).
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const ans =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? ans : 2 - ans;
}

/** One-sample Kolmogorov–Smirnov p-value (asymptotic law with Stephens' correction). */
export function ksOneSample(x: Float64Array, cdf: (v: number) => number): number {
  const s = Float64Array.from(x).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const lambda = (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n)) * d;
  let p = 0;
  for (let k = 1; k <= 100; k++) p += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
  return Math.min(1, Math.max(0, p));
}

/** The bins − 1 inner edges of `bins` equiprobable bins of N(0, 1), by bisection on normalCdf. */
export function normalBinEdges(bins: number): number[] {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    let lo = -10;
    let hi = 10;
    for (let it = 0; it < 80; it++) {
      const mid = (lo + hi) / 2;
      if (normalCdf(mid) < k / bins) lo = mid;
      else hi = mid;
    }
    edges.push((lo + hi) / 2);
  }
  return edges;
}

/** The bin of z among ascending inner `edges` (0 .. edges.length). */
export function binOf(edges: readonly number[], z: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (z < edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
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
