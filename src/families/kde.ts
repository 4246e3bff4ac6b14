/**
 * The KDE family (Kazdan, Schaeffer et al. 2025's kernel density estimates): a Gaussian-kernel KDE
 * refitted on each generation's training set of a toy data set (`--data`) with `--bandwidth`, and
 * sampled by picking a training point and adding N(0, τh²I). Its kernel is workers/families/kde.ts;
 * here are its flags, its metrics and the exact recursion of E[spread] (docs/theory.md §18).
 */
import { invalidFlag } from '../errors.js';
import { parseChoiceFlag, type RunSpec } from '../spec.js';
import type { RegimeTheory } from '../theory.js';
import { freshCount, syntheticCount } from '../../workers/chains.js';
import { bandwidthFactor, KDE_METRICS, KDE_TEST_POINTS, runKde } from '../../workers/families/kde.js';
import { bufferRows, samplesCsv } from '../../workers/families/pointchain.js';
import { DATA_SETS, dataDim, dataMoments } from '../../workers/families/toydata.js';
import type { BaseSpec, Family, FamilyTheory, MetricDef, MetricTheory, ModelParam } from './types.js';

const LABELS: Record<(typeof KDE_METRICS)[number], [string, string]> = {
  nll: ['nll', 'mean −log p̂ of 500 held-out true points'],
  spread: ['spread', 'tr S of the training set'],
};
/** Each metric's LaTeX form, and whether a log axis suits it. */
const TEX: Record<(typeof KDE_METRICS)[number], string> = { nll: '-\\overline{\\log \\hat f}', spread: '\\operatorname{tr} S' };
const POSITIVE: Record<(typeof KDE_METRICS)[number], boolean> = { nll: false, spread: true };
const METRICS: readonly MetricDef[] = KDE_METRICS.map((name) => ({
  name,
  column: LABELS[name][0],
  label: LABELS[name][1],
  tex: TEX[name],
  positive: POSITIVE[name],
}));

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Reads --bandwidth: scott, silverman, or a finite number > 0 (canonical text: the word, or String(number)). */
export function parseBandwidth(raw: unknown): string {
  const rule = 'scott, silverman or a finite number > 0';
  if (Array.isArray(raw)) throw invalidFlag('bandwidth', `${rule}, given once`, raw);
  const text = String(raw).trim();
  if (text === 'scott' || text === 'silverman') return text;
  if (!NUMBER_TEXT.test(text)) throw invalidFlag('bandwidth', rule, raw);
  const h = Number(text);
  if (!Number.isFinite(h) || !(h > 0)) throw invalidFlag('bandwidth', rule, raw);
  return String(h);
}

function params(spec: Pick<RunSpec, 'modelParams'>): { data: string; bandwidth: string; d: number } {
  const data = String(spec.modelParams['data'] ?? 'moons');
  return { data, bandwidth: String(spec.modelParams['bandwidth'] ?? 'scott'), d: dataDim(data) };
}

/**
 * E[spread] at every generation 1 … max(gens), where spread_g = W_g/(N_g − ddof) and W_g is the
 * scatter Σ‖x_i − x̄‖² of generation g's training set (docs/theory.md §18). Conditional on a
 * training set of N points with scatter W, a KDE draw has mean x̄ and total variance
 * V = W/N + d·τh², and h² is either fixed or c²·(W/(N − ddof))/d, so every step is linear in the
 * expectations carried (W; and the centre's squared distances where the truth re-enters):
 * - replace: E W' = (n − 1)·E V;
 * - accumulate (N = g·n): E W' = E W + (n − 1 + N/(N + n))·E V;
 * - fresh (kA true, kB = n − kA model draws; D = ‖x̄ − μ0‖²): E W' = (kA − 1)⁺T0 + (kB − 1)⁺E V +
 *   (kA·kB/n)(E D + T0/kA + E V/kB), E D' = (kA·T0 + kB²·E D + kB·E V)/n²;
 * - augment (the n originals, scatter W_O, plus k model draws, N = n + k; Q = ‖ō − b̄‖² of the
 *   latest draws): E Q' = [g > 1](k/N)²·E Q + E V/k, E W' = (n − 1)T0 + (k − 1)E V + (nk/N)·E Q'.
 * Generation 1 is n true points: E W_1 = (n − 1)·T0, E D_1 = T0/n, with T0 = sd0²·tr Σ_data.
 * Returns null for accumulate-subsample (no exact form is derived).
 */
export function spreadExpectations(spec: RunSpec, T: number): number[] | null {
  const { data, bandwidth, d } = params(spec);
  const n = spec.samples;
  const ddof = spec.ddof;
  const tau = spec.temperature;
  const T0 = spec.sd0 * spec.sd0 * dataMoments(data).trace;
  const fixed = bandwidth !== 'scott' && bandwidth !== 'silverman';
  const h2 = fixed ? Number(bandwidth) ** 2 : 0;
  // E V from E W at a training set of N points
  const ev = (W: number, N: number): number => {
    if (fixed) return W / N + d * tau * h2;
    const c = bandwidthFactor(bandwidth, N, d);
    return W / N + tau * c * c * (W / (N - ddof));
  };
  const out: number[] = [];
  let W = (n - 1) * T0;
  let D = T0 / n;
  let Q = 0;
  let N = n;
  const kA = spec.regime === 'fresh' ? freshCount(spec.fresh, n) : 0;
  const kB = n - kA;
  const k = spec.regime === 'augment' ? syntheticCount(spec.synthetic, n) : 0;
  for (let g = 1; g <= T; g++) {
    if (g > 1) {
      const V = ev(W, N);
      switch (spec.regime) {
        case 'replace':
          W = (n - 1) * V;
          break;
        case 'accumulate':
          W = W + (n - 1 + N / (N + n)) * V;
          N += n;
          break;
        case 'fresh': {
          let W2 = Math.max(kA - 1, 0) * T0 + Math.max(kB - 1, 0) * V;
          if (kA > 0 && kB > 0) W2 += ((kA * kB) / n) * (D + T0 / kA + V / kB);
          D = (kA * T0 + kB * kB * D + kB * V) / (n * n);
          W = W2;
          break;
        }
        case 'augment':
          if (k > 0) {
            const N2 = n + k;
            Q = (g > 2 ? (k / N2) ** 2 * Q : 0) + V / k;
            W = (n - 1) * T0 + (k - 1) * V + ((n * k) / N2) * Q;
            N = N2;
          }
          break;
        default:
          return null;
      }
    }
    out.push(W / (N - ddof));
  }
  return out;
}

export const kde: Family = {
  name: 'kde',
  flags: [
    {
      name: 'data',
      kind: 'word',
      default: 'moons',
      describe: `the true data set: ${DATA_SETS.join(', ')} (scikit-learn's generators' laws; swiss-roll is 3-D, the others 2-D) [default:\u00a0moons]`,
    },
    {
      name: 'bandwidth',
      kind: 'word',
      default: 'scott',
      describe: 'the KDE bandwidth h: a number > 0, or scott or silverman (the normal-reference rules on the training set) [default:\u00a0scott]',
    },
  ],
  metrics: METRICS,
  resolveParams(raw: Record<string, unknown>, spec: BaseSpec): Record<string, ModelParam> {
    const data = raw['data'] === undefined ? 'moons' : parseChoiceFlag('data', raw['data'], DATA_SETS);
    const bandwidth = raw['bandwidth'] === undefined ? 'scott' : parseBandwidth(raw['bandwidth']);
    if (spec.method === 'stats') {
      throw invalidFlag('method', 'resample for --model kde (a KDE has no sufficient statistics to draw exactly)', spec.method);
    }
    return { data, bandwidth };
  },
  theory(spec: RunSpec, gens: readonly number[]): FamilyTheory {
    const reasons: Record<string, string> = {
      nll: 'no closed form is known for the expected log of a kernel sum',
    };
    const last = gens.length === 0 ? 0 : gens[gens.length - 1]!;
    const e = spreadExpectations(spec, last);
    if (e === null) reasons['spread'] = 'no exact recursion is derived for accumulate-subsample (the subsample depends on the pool\'s make-up)';
    const rows: FamilyTheory['rows'] = {
      nll: gens.map(() => null),
      spread: gens.map((g): MetricTheory | null => (e === null || !Number.isFinite(e[g - 1]!) ? null : { mean: e[g - 1]!, sd: null })),
    };
    if (e !== null) {
      const over = e.findIndex((v) => !Number.isFinite(v));
      if (over >= 0) reasons['spread'] = `E[spread] grows geometrically under --bandwidth ${params(spec).bandwidth} and overflows a double from generation ${over + 1} on`;
    }
    return { rows, reasons };
  },
  hasSdSummary(): boolean {
    return false;
  },
  sdSummaryAbsent(): string {
    return 'a KDE has no single sd (see its metrics nll and spread)';
  },
  sdTheory(): RegimeTheory {
    throw new Error('internal: the kde family has no scalar sd summary');
  },
  undefinedReason(metric: string, spec: RunSpec): string | null {
    const { bandwidth } = params(spec);
    if (bandwidth !== 'scott' && bandwidth !== 'silverman') return null;
    return `under --bandwidth ${bandwidth} E[spread] grows geometrically (docs/theory.md §18), so at depth the ${metric === 'spread' ? 'spread' : 'training points'} can overflow a double`;
  },
  workerBytes(spec: RunSpec): number {
    const { d } = params(spec);
    const [a, b] = bufferRows(spec);
    // two point buffers, the held-out points, and the nll scratch (one per training row)
    return (a + b) * d * 8 + KDE_TEST_POINTS * d * 8 + Math.max(a, b) * 8;
  },
  /** samples.csv: experiment 0's training sets at generations 1, T^(1/3), T^(2/3), T (the samples figure). */
  artifacts(spec: RunSpec): Record<string, string> {
    const rows = Math.ceil(spec.generations / spec.every);
    const out = { lnSd: new Float64Array(rows), mean: new Float64Array(rows), metrics: new Float64Array(KDE_METRICS.length * rows) };
    return { 'samples.csv': samplesCsv(spec.generations, params(spec).d, (onFit) => runKde(spec, 0, 1, rows, out, onFit)) };
  },
  stepCost(spec: Pick<RunSpec, 'method' | 'modelParams'>): number {
    // a draw is d normals and a uniform index; the nll is 500·(d + 3) operations per training row
    // at each recorded generation, which dominates when every generation is recorded
    return 50 * (params(spec).d + 3);
  },
};
