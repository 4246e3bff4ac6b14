/**
 * The Gaussian family: N(mean0·1, sd0²·I) in d = --dim dimensions (1 to 1000), the engine's first
 * family and the worked example of docs/design.md. Its kernel is workers/families/gaussian.ts; here
 * are its flag, its metrics and their theory (docs/theory.md §14). At d = 1 it is the scalar engine
 * of before, number for number, and its metrics are read off the scalar chain.
 */
import { digamma, trigamma } from '../stdlib.js';
import { parseIntegerFlag } from '../spec.js';
import { regimeTheory, type RegimeTheory } from '../theory.js';
import type { BaseSpec, Family, FamilyTheory, MetricDef, MetricTheory, ModelParam } from './types.js';
import type { RunSpec } from '../spec.js';
import { GAUSSIAN_METRICS } from '../../workers/families/gaussian.js';

/** The largest --dim: a d×d factor per experiment in flight and O(d³) per generation. */
export const MAX_DIM = 1000;

const LABELS: Record<(typeof GAUSSIAN_METRICS)[number], [column: string, label: string, tex: string]> = {
  meanSqErr: ['mean_sq_err', '‖μ̂ − μ0‖²', '\\lVert\\hat\\mu-\\mu_0\\rVert^2'],
  traceRatio: ['trace_ratio', 'tr Σ̂ / tr Σ0', '\\mathrm{tr}\\,\\hat\\Sigma/\\mathrm{tr}\\,\\Sigma_0'],
  log10DetRatio: ['log10_det_ratio', 'log10 det Σ̂ − log10 det Σ0', '\\log_{10}\\det\\hat\\Sigma-\\log_{10}\\det\\Sigma_0'],
  w2sq: ['w2sq', 'W2² to original', 'W_2^2'],
};

/** At d = 1, tr Σ̂ / tr Σ0 = s²/s0² and W2² are the scalar summary's sd² and W2²: their z follow its rules. */
const SCALAR_Z: Partial<Record<(typeof GAUSSIAN_METRICS)[number], MetricDef['scalarZ']>> = { traceRatio: 'sdSqMean', w2sq: 'w2sqMean' };
const METRICS: readonly MetricDef[] = GAUSSIAN_METRICS.map((name) => {
  const z = SCALAR_Z[name];
  return { name, column: LABELS[name][0], label: LABELS[name][1], tex: LABELS[name][2], positive: name !== 'log10DetRatio', ...(name === 'traceRatio' ? { strictlyPositive: true } : {}), ...(z !== undefined ? { scalarZ: z } : {}) };
});

function dim(spec: Pick<RunSpec, 'modelParams'>): number {
  return Number(spec.modelParams['dim'] ?? 1);
}

/** Whether a spec's fits are from the replace chain (fresh with round(λn) = 0 is replace). */
function isReplace(spec: RunSpec): boolean {
  return spec.regime === 'replace' || (spec.regime === 'fresh' && Math.round(spec.fresh * spec.samples) === 0);
}

/**
 * E and sd of ln det(Σ̂_T / Σ0) under replace (docs/theory.md §14): the scatter of n draws is
 * L·W·Lᵀ with det W = Π_{i=1..d} χ²(n − i) (Bartlett), independent across generations, so
 *   E = T Σ_i [ψ((n − i)/2) + ln(2/(n − ddof))] + (T − 1) d ln τ,   Var = T Σ_i ψ′((n − i)/2),
 * each ψ((n−i)/2) + ln 2 − ln(n − ddof) taken as (ψ(x) − ln x) + ln((n − i)/(n − ddof)) so that
 * nothing cancels for large n. Needs n − 1 ≥ d (a nonsingular fit).
 */
export function lnDetTheory(n: number, ddof: number, d: number, T: number, tau: number): { mean: number; variance: number } {
  let perGen = 0;
  let v = 0;
  for (let i = 1; i <= d; i++) {
    const x = (n - i) / 2;
    perGen += digamma(x) - Math.log(x) + Math.log((n - i) / (n - ddof));
    v += trigamma(x);
  }
  return { mean: T * perGen + (T - 1) * d * Math.log(tau), variance: T * v };
}

function scalarTheory(spec: RunSpec, gens: readonly number[]): FamilyTheory {
  const th = regimeTheory(spec, gens);
  const s0 = spec.sd0;
  const l10s0 = Math.log10(s0);
  const rows: FamilyTheory['rows'] = { meanSqErr: [], traceRatio: [], log10DetRatio: [], w2sq: [] };
  for (const r of th.rows) {
    rows['meanSqErr']!.push(r.mean === null ? null : { mean: r.mean.var, sd: null });
    rows['traceRatio']!.push(r.sdSq === null ? null : { mean: r.sdSq.mean / (s0 * s0), sd: null });
    rows['log10DetRatio']!.push(r.log10Sd === null ? null : { mean: 2 * (r.log10Sd.mean - l10s0), sd: 2 * r.log10Sd.sd, terms: gens[rows['log10DetRatio']!.length]! });
    rows['w2sq']!.push(r.w2sq === null ? null : { mean: r.w2sq.mean, sd: null });
  }
  const reasons: Record<string, string> = {};
  const from: Record<string, string> = { meanSqErr: 'mean', traceRatio: 'sdSq', log10DetRatio: 'log10Sd', w2sq: 'w2sq' };
  for (const [metric, block] of Object.entries(from)) {
    if (th.reasons[block] !== undefined) reasons[metric] = th.reasons[block];
  }
  return { rows, reasons };
}

/**
 * d > 1. Each coordinate's chain is the scalar chain in law (its samples are N(μ̂_j, τΣ̂_jj) and
 * its fit reads only them), so E[tr Σ̂] = d·E[s²] and E[‖μ̂ − μ0‖²] = d·E[(m − m0)²] of the scalar
 * regime, wherever those exist; ln det under replace is lnDetTheory.
 */
function matrixTheory(spec: RunSpec, gens: readonly number[]): FamilyTheory {
  const d = dim(spec);
  const th = regimeTheory(spec, gens);
  const s02 = spec.sd0 * spec.sd0;
  const rows: FamilyTheory['rows'] = { meanSqErr: [], traceRatio: [], log10DetRatio: [], w2sq: [] };
  const reasons: Record<string, string> = {
    w2sq: 'no closed form is known for E[W2²] between Gaussians at d > 1 (exact only at d = 1)',
  };
  const singular = spec.samples - 1 < d;
  if (!isReplace(spec)) reasons['log10DetRatio'] = `no closed form for E[log10 det Σ̂] under --regime ${spec.regime}`;
  else if (singular) {
    reasons['log10DetRatio'] = `the fit is singular (n − 1 = ${spec.samples - 1} < d = ${d}): log10 det Σ̂ is −Inf`;
  }
  gens.forEach((g, i) => {
    const r = th.rows[i]!;
    rows['meanSqErr']!.push(r.mean === null ? null : { mean: d * r.mean.var, sd: null });
    rows['traceRatio']!.push(r.sdSq === null ? null : { mean: r.sdSq.mean / s02, sd: null });
    let det: MetricTheory | null = null;
    if (reasons['log10DetRatio'] === undefined) {
      const t = lnDetTheory(spec.samples, spec.ddof, d, g, spec.temperature);
      det = { mean: t.mean * Math.LOG10E, sd: Math.sqrt(t.variance) * Math.LOG10E, terms: g * d };
    }
    rows['log10DetRatio']!.push(det);
    rows['w2sq']!.push(null);
  });
  if (th.reasons['mean'] !== undefined) reasons['meanSqErr'] = th.reasons['mean'];
  if (th.reasons['sdSq'] !== undefined) reasons['traceRatio'] = th.reasons['sdSq'];
  return { rows, reasons };
}

export const gaussian: Family = {
  name: 'gaussian',
  flags: [
    {
      name: 'dim',
      kind: 'integer',
      default: 1,
      describe: `dimension d of the Gaussian N(mean0·1, sd0²·I), an integer from 1 to ${MAX_DIM} [default:\u00a01]`,
    },
  ],
  metrics: METRICS,
  resolveParams(raw: Record<string, unknown>, _spec: BaseSpec): Record<string, ModelParam> {
    const d = raw['dim'] === undefined ? 1 : parseIntegerFlag('dim', raw['dim'], 1, MAX_DIM);
    return { dim: d };
  },
  theory(spec: RunSpec, gens: readonly number[]): FamilyTheory {
    return dim(spec) === 1 ? scalarTheory(spec, gens) : matrixTheory(spec, gens);
  },
  hasSdSummary(spec: RunSpec): boolean {
    return dim(spec) === 1;
  },
  sdSummaryAbsent(spec: RunSpec): string {
    return `d = ${dim(spec)} > 1: the fit is a mean vector and a covariance matrix`;
  },
  sdTheory(spec: RunSpec, gens: readonly number[]): RegimeTheory {
    return regimeTheory(spec, gens, true);
  },
  undefinedReason(metric: string, spec: RunSpec): string | null {
    if (metric !== 'log10DetRatio') return null;
    return `log10 det Σ̂ is −Inf where the fit is singular (fewer than d + 1 = ${dim(spec) + 1} distinct points behind it)`;
  },
  workerBytes(spec: RunSpec): number {
    const d = dim(spec);
    if (d === 1) return spec.regime === 'accumulate-subsample' ? spec.samples * spec.generations * 8 : 0;
    const most = spec.regime === 'augment' ? Math.max(spec.samples, Math.round(spec.synthetic * spec.samples)) : spec.samples;
    const scratch = (spec.method === 'stats' ? d : most * d) * 8 + 8 * d * d * 8;
    return scratch + (spec.regime === 'accumulate-subsample' ? spec.samples * spec.generations * d * 8 : 0);
  },
  stepCost(spec: Pick<RunSpec, 'method' | 'modelParams'>): number {
    const d = dim(spec);
    if (d === 1) return 1;
    return spec.method === 'stats' ? 1 + (d * d * d) / 3 : (d * (d + 3)) / 2;
  },
};
