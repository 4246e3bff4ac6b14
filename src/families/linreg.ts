/**
 * The linear-regression family (`--model linreg`): the regression setting of Gerstgrasser et al.
 * (2024) and Dohmatob, Feng & Kempe (2024), with its flags, metrics and closed forms
 * (docs/theory.md §15). Its kernel is workers/families/linreg.ts.
 */
import { invalidFlag } from '../errors.js';
import { parseIntegerFlag, parseNumberFlag } from '../spec.js';
import type { RegimeTheory } from '../theory.js';
import type { BaseSpec, Family, FamilyTheory, MetricDef, MetricTheory, ModelParam } from './types.js';
import type { RunSpec } from '../spec.js';
import { LINREG_METRICS, linregParams } from '../../workers/families/linreg.js';

/** The largest --dim: the design is n × d per experiment in flight and a d × d factor. */
export const MAX_DIM = 1000;
/** The default --dim. */
export const DEFAULT_DIM = 10;

const LABELS: Record<(typeof LINREG_METRICS)[number], [column: string, label: string, tex: string]> = {
  testMse: ['test_mse', '‖ŵ − w*‖² (test MSE)', '\\lVert \\hat w - w^* \\rVert^2'],
  weightNorm: ['weight_norm', '‖ŵ‖²', '\\lVert \\hat w \\rVert^2'],
};
const METRICS: readonly MetricDef[] = LINREG_METRICS.map((name) => ({
  name,
  column: LABELS[name][0],
  label: LABELS[name][1],
  tex: LABELS[name][2],
  positive: true,
}));

/** Whether a spec's chain is replace's (fresh with round(λn) = 0 is replace). */
function isReplace(spec: Pick<RunSpec, 'regime' | 'fresh' | 'samples'>): boolean {
  return spec.regime === 'replace' || (spec.regime === 'fresh' && Math.round(spec.fresh * spec.samples) === 0);
}

/**
 * The error's scale c_T at generation T without ridge: given X, ŵ_T − Πw* ~ N(0, c_T·(XᵀX)⁺), Π
 * the projection on X's row space (docs/theory.md §15). Generation 1 has σ²; model labels carry
 * noise σ²τ. Replace: c_T = σ²(1 + (T − 1)τ). Accumulate: ŵ_t − ŵ_{t−1} = u_t / t, so
 * c_T = σ²(1 + τ Σ_{t=2..T} 1/t²). Augment with k = m·n synthetic rows (m whole copies of X):
 * ŵ_t = (ŵ_1 + m·ŵ_{t−1} + σ√(τm)·u_t)/(1 + m), so e_t = α_t·e_1 + (independent part of scale β_t)
 * with α_1 = 1, β_1 = 0, α_t = (1 + mα_{t−1})/(1 + m), β_t = (m²β_{t−1} + mσ²τ)/(1 + m)², and
 * c_T = σ²α_T² + β_T. Null (with the reason) where no such form is known.
 */
export function errorScale(spec: RunSpec, T: number): { c: number } | { reason: string } {
  const { sigma, ridge } = linregParams(spec);
  const s2 = sigma * sigma;
  const tau = spec.temperature;
  if (ridge > 0) {
    return {
      reason:
        'no closed form is known with --ridge λ > 0 at finite n and d: E‖ŵ_T − w*‖² depends on the whole eigenvalue law of XᵀX ' +
        '(ŵ_T shrinks by (XᵀX + λI)⁻¹XᵀX each generation, so as T → ∞ it tends to 0 and ‖ŵ_T − w*‖² to ‖w*‖², of mean d)',
    };
  }
  if (isReplace(spec)) return { c: s2 * (1 + (T - 1) * tau) };
  if (spec.regime === 'accumulate') {
    let s = 0;
    for (let t = T; t >= 2; t--) s += 1 / (t * t); // smallest terms first
    return { c: s2 * (1 + tau * s) };
  }
  if (spec.regime === 'augment') {
    const n = spec.samples;
    const k = Math.round(spec.synthetic * n);
    if (k % n !== 0) {
      return {
        reason: `known only where round(λn) is a whole number of copies of X (here round(λn) = ${k}, n = ${n}): the partial copy weights some rows more than others, and the error then no longer has covariance c·(XᵀX)⁻¹`,
      };
    }
    const m = k / n;
    let a = 1;
    let b = 0;
    for (let t = 2; t <= T; t++) {
      a = (1 + m * a) / (1 + m);
      b = (m * m * b + m * s2 * tau) / ((1 + m) * (1 + m));
    }
    return { c: s2 * a * a + b };
  }
  return {
    reason: `no closed form is known for --regime ${spec.regime}: ${
      spec.regime === 'fresh'
        ? "the fit mixes the real rows' and the model rows' Gram matrices, which do not commute"
        : 'this regime is not run for linreg'
    }`,
  };
}

/**
 * E and Var of ‖ŵ − w*‖² and ‖ŵ‖² when ŵ − Πw* ~ N(0, c·(XᵀX)⁺) given X (docs/theory.md §15).
 * With p = min(n, d), q = max(n, d) and a = q − p − 1, the noise part is c·Q with
 * Q = χ²(p)/χ²(q − p + 1), independent (uᵀW⁻¹u = 1/χ²(q − p + 1) for a unit u and W ~ W_p(q, I)):
 * E[Q] = p/a (a > 0), E[Q²] = p(p + 2)/(a(a − 2)) (a > 2). ‖ŵ − w*‖² = cQ + χ²(d − n)⁺ (w*'s part
 * outside the row space); ‖ŵ‖² = zᵀ(I_p + cM)z with M = (XᵀX)⁺ restricted to the row space, whose
 * variance follows from E[(tr M)²] + 2E[tr M²] = E[Q²]: 2p + 4cp/a + c²Var Q.
 */
export function linregMoments(
  n: number,
  d: number,
  c: number,
): { testMse: { mean: number; variance: number | null }; weightNorm: { mean: number; variance: number | null } } | null {
  const p = Math.min(n, d);
  const q = Math.max(n, d);
  const a = q - p - 1;
  if (a <= 0) return null;
  const out = d > n ? d - n : 0;
  const eq = p / a;
  const varQ = a > 2 ? (p * (p + 2)) / (a * (a - 2)) - eq * eq : null;
  return {
    testMse: { mean: out + c * eq, variance: varQ === null ? null : 2 * out + c * c * varQ },
    weightNorm: { mean: p + c * eq, variance: varQ === null ? null : 2 * p + 4 * c * eq + c * c * varQ },
  };
}

function theory(spec: RunSpec, gens: readonly number[]): FamilyTheory {
  const { d } = linregParams(spec);
  const n = spec.samples;
  const rows: FamilyTheory['rows'] = { testMse: [], weightNorm: [] };
  const reasons: Record<string, string> = {};
  const p = Math.min(n, d);
  const q = Math.max(n, d);
  for (const g of gens) {
    const s = errorScale(spec, g);
    if ('reason' in s) {
      reasons['testMse'] = s.reason;
      reasons['weightNorm'] = s.reason;
      rows['testMse']!.push(null);
      rows['weightNorm']!.push(null);
      continue;
    }
    const mo = linregMoments(n, d, s.c);
    if (mo === null) {
      const why =
        `E[(XᵀX)⁺] is infinite unless max(n, d) ≥ min(n, d) + 2 (n = ${n}, d = ${d}): ` +
        `the inverse Wishart W_${p}(${q}) has mean I/(${q} − ${p} − 1)`;
      reasons['testMse'] = why;
      reasons['weightNorm'] = why;
      rows['testMse']!.push(null);
      rows['weightNorm']!.push(null);
      continue;
    }
    const th = (x: { mean: number; variance: number | null }): MetricTheory => ({
      mean: x.mean,
      sd: x.variance === null ? null : Math.sqrt(x.variance),
    });
    rows['testMse']!.push(th(mo.testMse));
    rows['weightNorm']!.push(th(mo.weightNorm));
  }
  return { rows, reasons };
}

/** A finite number ≥ 0. */
function nonNegative(flag: string, raw: unknown): number {
  const v = parseNumberFlag(flag, raw);
  if (v < 0) throw invalidFlag(flag, 'a finite number ≥ 0', raw);
  return v;
}

export const linreg: Family = {
  name: 'linreg',
  flags: [
    {
      name: 'dim',
      kind: 'integer',
      default: DEFAULT_DIM,
      describe: `features d of the regression y = Xw* + σε, an integer from 1 to ${MAX_DIM} [default:\u00a0${DEFAULT_DIM}]`,
    },
    {
      name: 'noise',
      kind: 'real',
      default: 1,
      describe: 'σ ≥ 0: the label noise sd of every generation (times √τ for model labels) [default:\u00a01]',
    },
    {
      name: 'ridge',
      kind: 'real',
      default: 0,
      describe: 'λ ≥ 0: each fit minimises ‖y − Xw‖² + λ‖w‖²; 0 is least squares, minimum-norm when n < d [default:\u00a00]',
    },
  ],
  metrics: METRICS,
  resolveParams(raw: Record<string, unknown>, spec: BaseSpec): Record<string, ModelParam> {
    const dim = raw['dim'] === undefined ? DEFAULT_DIM : parseIntegerFlag('dim', raw['dim'], 1, MAX_DIM);
    const noise = raw['noise'] === undefined ? 1 : nonNegative('noise', raw['noise']);
    const ridge = raw['ridge'] === undefined ? 0 : nonNegative('ridge', raw['ridge']);
    if (spec.regime === 'accumulate-subsample') {
      throw invalidFlag(
        'regime',
        'replace, accumulate, fresh or augment with --model linreg (a subsample of the pooled labelled rows is not run for regression)',
        spec.regime,
      );
    }
    // the Gaussian's original distribution and sd estimator mean nothing here: refuse rather than ignore
    const unused: [string, number, number][] = [
      ['mean0', spec.mean0, 0],
      ['sd0', spec.sd0, 1],
      ['ddof', spec.ddof, 0],
    ];
    for (const [flag, value, def] of unused) {
      if (value !== def) {
        throw invalidFlag(flag, `${def} (its default) with --model linreg, whose data are X with N(0, I) rows and labels Xw* + σε (see --noise)`, raw[flag]);
      }
    }
    return { dim, noise, ridge };
  },
  theory,
  hasSdSummary(): boolean {
    return false;
  },
  sdSummaryAbsent(): string {
    return 'linreg fits a weight vector, not a mean and an sd';
  },
  sdTheory(spec: RunSpec, gens: readonly number[]): RegimeTheory {
    // never called: hasSdSummary is false
    throw new Error(`internal: linreg has no scalar sd summary (${spec.model}, ${gens.length} generations)`);
  },
  undefinedReason(): string | null {
    return "NaN where a fit's matrix (XᵀX + λI, or XXᵀ + λI when n < d) is not positive definite in floating point";
  },
  workerBytes(spec: RunSpec): number {
    const { d } = linregParams(spec);
    const n = spec.samples;
    const stats = spec.method === 'stats';
    const q = stats ? Math.min(n, d) : d;
    const rows = stats ? (n >= d ? 2 * d : n) : n;
    const h = !stats && n < d ? n : q;
    const k = spec.regime === 'augment' ? Math.round(spec.synthetic * n) : 0;
    return 8 * (rows * q + 2 * h * h + 6 * rows + k + 3 * q + (stats ? (q * q) / 2 : 0));
  },
  stepCost(spec: Pick<RunSpec, 'method' | 'modelParams'>): number {
    const { d } = linregParams(spec);
    // resample: n draws and two n·d products per generation; stats: O(d²) per generation
    return spec.method === 'stats' ? 1 + d * d : 1 + d;
  },
};
