/**
 * Which z-scores a row may report, with which standard error, and why the others are left out:
 * a z is (simulated − theory)/s.e. read against N(0, 1), so it is given only where the s.e. is the
 * exact spread of that statistic and the statistic's law at that E is close enough to normal.
 */
import type { ReplaceLaws, RowTheory, Shape } from './theory.js';

export const Z_KEYS = ['sdMean', 'log10SdMean', 'meanVar', 'sdSqMean', 'w2sqMean'] as const;
export type ZKey = (typeof Z_KEYS)[number];

/**
 * Bounds on the skewness and the excess kurtosis of a mean over E experiments (γ/√E and κ/E).
 * By the Edgeworth expansion P(|z| > 3) ≈ 0.0027 + 2φ(3)(18κ/24 + 18γ²/72) = 0.0027 + 0.0089(0.75κ + 0.25γ²),
 * so at both bounds at most 0.0066: under 1% instead of the nominal 0.27%.
 */
export const MAX_MEAN_SKEW = 0.5;
export const MAX_MEAN_EXKURT = 0.5;

/**
 * Without closed higher moments (accumulate, fresh) the sd² and model-mean-variance z-scores are
 * t statistics on the run's own spread, given from this E on. Measured with bench/zscores.ts over
 * 1000 seeds (accumulate n = 3, T = 200; fresh λ = 0.1, n = 20, T = 100): at E = 300 the sd² z has
 * |z| > 3 in 0.7%; at E = 100 in 2.2% and 2.1%, at E = 32 up to 2.7% (a t statistic of a skewed
 * quantity leans negative until E is large).
 */
export const MIN_E_WITHOUT_SHAPE = 300;

/** Past this many experiments a requirement is reported as a heavy tail rather than "E < N". */
const FEASIBLE_E = 1e6;

/** Why a z is left out: a short table cell and a sentence for summary.json. */
export interface Omission {
  cell: string;
  reason: string;
}

/** The E a mean of a quantity of this shape needs to meet both bounds (NaN shapes need infinitely many). */
export function experimentsNeeded(shape: Shape): number {
  const need = Math.max(shape.skew ** 2 / MAX_MEAN_SKEW ** 2, shape.exKurt / MAX_MEAN_EXKURT, 2);
  return Number.isNaN(need) ? Infinity : Math.ceil(need);
}

function tooFew(E: number, need: number, what: string, why: string): Omission | null {
  if (E >= need) return null;
  if (need > FEASIBLE_E) {
    return { cell: 'heavy tail', reason: `${what} is far from normal at any feasible E: ${why}` };
  }
  return { cell: `E < ${need}`, reason: `${what} is not yet near-normal at E = ${E}: ${why}; it needs E ≥ ${need}` };
}

function shapeWhy(shape: Shape): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : 'overflows');
  return `the quantity has skewness ${f(shape.skew)} and excess kurtosis ${f(shape.exKurt)}, and the mean over E must stay within ${MAX_MEAN_SKEW} and ${MAX_MEAN_EXKURT} (γ/√E, κ/E)`;
}

/** The mean of a quantity whose exact shape is known. */
export function meanOmission(shape: Shape, E: number, what: string): Omission | null {
  return tooFew(E, experimentsNeeded(shape), what, shapeWhy(shape));
}

/**
 * The shape of (m_T − m0)² = V·Z², the law behind the sample variance of m_T: m_T is a normal scale
 * mixture (V the variance its path gives, Z standard normal), with kurtosis κ = 3E[V²]/E[V]². Only
 * E[V²]/E[V]² = ρ = κ/3 is known exactly, so V is taken as log-normal with that ρ (E[V^j]/E[V]^j =
 * ρ^(j(j−1)/2)); exact when m_T is normal (ρ = 1: skewness 2√2, excess kurtosis 12). With
 * E[Z^(2j)] = 1, 3, 15, 105: μ3/μ³ = 15ρ³ − 9ρ + 2 and μ4/μ⁴ = 105ρ⁶ − 60ρ³ + 18ρ − 3, over (3ρ − 1)^(3/2) and (3ρ − 1)².
 */
export function varianceShape(kappa: number): Shape {
  const r = kappa / 3;
  const c = 3 * r - 1;
  const skew = (15 * r ** 3 - 9 * r + 2) / c ** 1.5;
  const exKurt = (105 * r ** 6 - 60 * r ** 3 + 18 * r - 3) / (c * c) - 3;
  return { skew: Number.isFinite(skew) ? skew : Infinity, exKurt: Number.isFinite(exKurt) ? exKurt : Infinity };
}

/** The sample variance of m_T, near-normal when the mean of (m_T − m0)² over E is (varianceShape). */
export function varianceOmission(kappa: number, E: number): Omission | null {
  return meanOmission(varianceShape(kappa), E, `the sample variance of the model mean (m_T has kurtosis ${Number.isFinite(kappa) ? kappa.toPrecision(4) : 'that overflows'})`);
}

/**
 * ln of the standard error of the sample variance of m_T over E experiments, σ² √(2/(E − 1) + (κ − 3)/E)
 * (exact for any law with kurtosis κ), with ln σ² given.
 */
export function lnVarianceSe(lnVar: number, kappa: number, E: number): number {
  return lnVar + 0.5 * Math.log(2 / (E - 1) + (kappa - 3) / E);
}

/** z of a mean, from the logs of the simulated mean, theory and s.e.: survives underflow of all three. */
export function zFromLogs(lnSim: number, lnTheory: number, lnSe: number): number {
  return Math.expm1(lnSim - lnTheory) * Math.exp(lnTheory - lnSe);
}

/** The omissions that depend on the spec alone (theory missing, one experiment, the shapes of replace). */
export function specOmissions(th: RowTheory, E: number, theoryReasons: Record<string, string>): Partial<Record<ZKey, Omission>> {
  const out: Partial<Record<ZKey, Omission>> = {};
  const noTheory = (block: string): Omission => ({
    cell: 'n/a',
    reason: `no exact value to compare with: ${theoryReasons[block] ?? 'no closed form in this regime'}`,
  });
  if (th.sd === null) out.sdMean = noTheory('sd');
  if (th.log10Sd === null) out.log10SdMean = noTheory('log10Sd');
  if (th.mean === null) out.meanVar = noTheory('mean');
  if (th.sdSq === null) out.sdSqMean = noTheory('sdSq');
  if (th.w2sq === null) out.w2sqMean = noTheory('w2sq');
  if (E < 2) {
    for (const k of Z_KEYS) out[k] ??= { cell: 'E = 1', reason: 'one experiment: no spread to compare with' };
    return out;
  }
  const L: ReplaceLaws | null = th.laws;
  if (L !== null) {
    if (!out.sdMean) out.sdMean = meanOmission(L.sd, E, 'the mean of s_T') ?? undefined;
    if (!out.log10SdMean) out.log10SdMean = meanOmission(L.log10Sd, E, 'the mean of log10 s_T') ?? undefined;
    if (!out.sdSqMean) out.sdSqMean = meanOmission(L.sdSq, E, 'the mean of s_T²') ?? undefined;
    if (!out.meanVar) out.meanVar = varianceOmission(L.meanKurtosis, E) ?? undefined;
    if (!out.w2sqMean) {
      // W2² = (m_T − m0)² + (s_T − s0)²: its tail is that of (m_T − m0)² or of s_T², whichever is heavier.
      const a = varianceOmission(L.meanKurtosis, E);
      const b = meanOmission(L.sdSq, E, 'the mean of s_T²');
      const w = a ?? b;
      if (!Number.isFinite(L.w2sqVar) || !(L.w2sqVar > 0)) {
        out.w2sqMean = { cell: 'heavy tail', reason: 'Var[W2²] overflows a double' };
      } else if (w) {
        out.w2sqMean = { cell: w.cell, reason: `the mean of W2² = (m_T − m0)² + (s_T − s0)² is not near-normal: ${w.reason}` };
      }
    }
  } else if (E < MIN_E_WITHOUT_SHAPE) {
    const t = (what: string): Omission => ({
      cell: `E < ${MIN_E_WITHOUT_SHAPE}`,
      reason: `no closed higher moments of ${what} in this regime: the z is a t statistic on the run's own spread, used from E = ${MIN_E_WITHOUT_SHAPE}`,
    });
    out.sdSqMean ??= t('s_T²');
    out.meanVar ??= t('m_T');
  }
  for (const k of Z_KEYS) if (out[k] === undefined) delete out[k];
  return out;
}
