/**
 * The GMM family (Shumailov et al., Nature 2024): a k-component full-covariance Gaussian mixture
 * in 2-D, refitted by EM to each generation's training set and sampled n points at a time, with an
 * original that is a 2-D standard Gaussian (`--components0 1`) or a fixed mixture. Its kernel is
 * workers/families/gmm.ts; here are its flags and metrics (docs/theory.md §19: no closed form).
 */
import { invalidFlag } from '../errors.js';
import { parseIntegerFlag, type RunSpec } from '../spec.js';
import type { RegimeTheory } from '../theory.js';
import { GMM_METRICS, GMM_TEST_POINTS, gmmComponents, originalMixture, runGmm, type Mixture } from '../../workers/families/gmm.js';
import { bufferRows, sampleGenerations, samplesCsv } from '../../workers/families/pointchain.js';
import type { BaseSpec, Family, FamilyTheory, MetricDef, ModelParam } from './types.js';

/** The largest --components and --components0. */
export const MAX_COMPONENTS = 50;

/** The gmm family's second artifact: experiment 0's fitted mixtures at the samples' generations. */
export const FITS_FILE = 'fits.csv';
const FITS_HEADER = 'generation,component,weight,mean_x,mean_y,cov_xx,cov_xy,cov_yy';

/** fits.csv rows of one mixture at generation g (0: the original), components numbered from 1. */
function mixtureRows(g: number, m: Mixture): string[] {
  const out: string[] = [];
  for (let j = 0; j < m.k; j++) out.push([g, j + 1, m.w[j], m.mx[j], m.my[j], m.a[j], m.b[j], m.c[j]].map(String).join(','));
  return out;
}

const LABELS: Record<(typeof GMM_METRICS)[number], [string, string]> = {
  l2: ['l2', 'L2 distance to the original density'],
  loglik: ['loglik', 'mean log p̂ of 500 held-out original points'],
};
/** Each metric's LaTeX form, and whether a log axis suits it. */
const TEX: Record<(typeof GMM_METRICS)[number], string> = { l2: '\\lVert \\hat f - f_0 \\rVert_2', loglik: '\\overline{\\log \\hat f}' };
const POSITIVE: Record<(typeof GMM_METRICS)[number], boolean> = { l2: true, loglik: false };
const METRICS: readonly MetricDef[] = GMM_METRICS.map((name) => ({
  name,
  column: LABELS[name][0],
  label: LABELS[name][1],
  tex: TEX[name],
  positive: POSITIVE[name],
}));

export const gmm: Family = {
  name: 'gmm',
  flags: [
    {
      name: 'components',
      kind: 'integer',
      default: 2,
      describe: `k, the fitted mixture's components (full covariance, fitted by EM), 1 to ${MAX_COMPONENTS}; needs n ≥ 3k [default:\u00a02]`,
    },
    {
      name: 'components0',
      kind: 'integer',
      default: 2,
      describe: `the original's components: 1 is N(0, I₂); k0 > 1 puts k0 equal components of covariance 0.25·I on a circle of radius 3 [default:\u00a02]`,
    },
  ],
  metrics: METRICS,
  resolveParams(raw: Record<string, unknown>, spec: BaseSpec): Record<string, ModelParam> {
    const k = raw['components'] === undefined ? 2 : parseIntegerFlag('components', raw['components'], 1, MAX_COMPONENTS);
    const k0 = raw['components0'] === undefined ? 2 : parseIntegerFlag('components0', raw['components0'], 1, MAX_COMPONENTS);
    if (spec.method === 'stats') {
      throw invalidFlag('method', 'resample for --model gmm (EM has no sufficient statistics to draw exactly)', spec.method);
    }
    if (spec.samples < 3 * k) {
      throw invalidFlag('samples', `at least 3k = ${3 * k} for --model gmm --components ${k} (each component's covariance needs d + 1 = 3 points)`, spec.samples);
    }
    return { components: k, components0: k0 };
  },
  theory(_spec: RunSpec, gens: readonly number[]): FamilyTheory {
    const none = 'no closed form is known for a mixture refitted by EM (docs/theory.md §19)';
    return { rows: { l2: gens.map(() => null), loglik: gens.map(() => null) }, reasons: { l2: none, loglik: none } };
  },
  hasSdSummary(): boolean {
    return false;
  },
  sdSummaryAbsent(): string {
    return 'a mixture has no single sd (see its metrics l2 and loglik)';
  },
  sdTheory(): RegimeTheory {
    throw new Error('internal: the gmm family has no scalar sd summary');
  },
  undefinedReason(): string | null {
    return null;
  },
  workerBytes(spec: RunSpec): number {
    const { k } = gmmComponents(spec);
    const [a, b] = bufferRows(spec);
    // two point buffers, the held-out points, EM's responsibilities (N·k) and distances (N)
    return (a + b) * 2 * 8 + GMM_TEST_POINTS * 2 * 8 + Math.max(a, b) * (k + 1) * 8;
  },
  /**
   * samples.csv: experiment 0's training sets at generations 1, T^(1/3), T^(2/3), T; fits.csv: the
   * mixtures fitted to them, and the original as generation 0 (the samples figure's contours).
   */
  artifacts(spec: RunSpec): Record<string, string> {
    const rows = Math.ceil(spec.generations / spec.every);
    const out = { lnSd: new Float64Array(rows), mean: new Float64Array(rows), metrics: new Float64Array(GMM_METRICS.length * rows) };
    const shown = new Set(sampleGenerations(spec.generations));
    const { k0 } = gmmComponents(spec);
    const fits = [FITS_HEADER, ...mixtureRows(0, originalMixture(k0, spec.mean0, spec.sd0))];
    const samples = samplesCsv(spec.generations, 2, (onFit) =>
      runGmm(spec, 0, 1, rows, out, onFit, (g, fit) => {
        if (shown.has(g)) fits.push(...mixtureRows(g, fit));
      }),
    );
    return { 'samples.csv': samples, [FITS_FILE]: fits.join('\n') + '\n' };
  },
  stepCost(spec: Pick<RunSpec, 'method' | 'modelParams'>): number {
    // EM: about 40·k operations per point and iteration, typically 5 to 30 of EM_MAX_ITER iterations
    return 40 * gmmComponents(spec).k;
  },
};
