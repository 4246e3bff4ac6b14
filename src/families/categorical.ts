/**
 * The categorical family: a distribution over K categories refitted to its own samples' frequencies
 * (the Wright–Fisher model), with a language model's decoding cuts (temperature, top-k, top-p) and
 * add-α smoothing. Its kernel is workers/families/categorical.ts; here are its flags, its metrics and
 * their exact theory under replace (docs/theory.md §17), by the one-dimensional binomial chain of
 * each category's count.
 */
import { invalidFlag } from '../errors.js';
import { parseIntegerFlag, parseNumberFlag } from '../spec.js';
import type { RegimeTheory } from '../theory.js';
import type { BaseSpec, BoundDef, Family, FamilyTheory, MetricDef, MetricTheory, ModelParam } from './types.js';
import type { RunSpec } from '../spec.js';
import { CATEGORICAL_METRICS, categoricalParams, firstFits, startDistribution } from '../../workers/families/categorical.js';

/** The largest --categories: K doubles, several times over, per experiment in flight. */
export const MAX_CATEGORIES = 10_000_000;

/**
 * Simple operations (multiply-adds) the exact marginal chains may take for one theory call: about a
 * second. Beyond it the chain-based expectations are null with the cost in the reason.
 */
export const THEORY_BUDGET = 1e9;

/** Column, label, LaTeX form, and whether a log axis suits it (support and the fixation time; shares and entropies stay linear). */
const LABELS: Record<(typeof CATEGORICAL_METRICS)[number], [string, string, string, boolean]> = {
  support: ['support', 'categories with p̂ > 0', '|\\mathrm{supp}\\,\\hat p|', true],
  entropy: ['entropy', 'entropy of p̂ (bits)', 'H(\\hat p)', false],
  giniSimpson: ['gini_simpson', 'Gini–Simpson 1 − Σp̂²', '1 - \\sum \\hat p_i^2', false],
  coverage: ['coverage', 'original mass of the surviving categories', '\\sum_{\\hat p_i > 0} p_{0,i}', false],
  tv: ['tv', 'total variation to the original', '\\mathrm{TV}(\\hat p, p_0)', false],
  fixed: ['fixed', 'share with one category fixed by t', '\\Pr(\\text{fixed})', false],
  fixation: ['fixation', 'generation of fixation (Inf: not yet)', 'T_{\\mathrm{fix}}', true],
};

const METRICS: readonly MetricDef[] = CATEGORICAL_METRICS.map((name) => ({
  name,
  column: LABELS[name][0],
  label: LABELS[name][1],
  tex: LABELS[name][2],
  positive: LABELS[name][3],
}));

/**
 * The lower bounds of Suresh et al. (2024) on E[support_t] and E[coverage_t] (docs/theory.md §17,
 * "A lower bound on survival"), beside the exact values; never used for z.
 */
const BOUNDS: readonly BoundDef[] = [
  { name: 'supportSuresh', column: 'theory_support_suresh', metric: 'support', side: 'lower', source: 'Suresh' },
  { name: 'coverageSuresh', column: 'theory_coverage_suresh', metric: 'coverage', side: 'lower', source: 'Suresh' },
];

/**
 * Distinct start probabilities × requested generations the bounds may take for one theory call (a
 * log1p and an expm1 each: about a second). Beyond it the bounds are null with the cost in the reason.
 */
export const BOUND_BUDGET = 5e7;

/**
 * The survival bound of Suresh et al. averaged over the first fit's count (docs/theory.md §17):
 * P(X(t) > 0 | X(1) = c) ≥ 1 − e^(−c/(t − 1)) for the count X of a category with start probability
 * p, and X(1) ~ Binomial(n, p) gives E[e^(−X(1)/k)] = (1 − p(1 − e^(−1/k)))^n, so
 *
 *     P(X(t) > 0) ≥ 1 − (1 − p(1 − e^(−1/(t − 1))))^n,
 *
 * which at t = 1 (no resampling yet, e^(−1/0) = 0) is the exact 1 − (1 − p)^n. Formed as
 * −expm1(n·log1p(−p·m)), m = −expm1(−1/(t − 1)), so a tiny p keeps its digits.
 */
export function sureshAlive(n: number, p: number, t: number): number {
  const m = t <= 1 ? 1 : -Math.expm1(-1 / (t - 1));
  return -Math.expm1(n * Math.log1p(-p * m));
}

/** The lower bounds on E[support_t] and E[coverage_t]: sureshAlive summed over the categories (weighted by p0_i for coverage). */
export function sureshBounds(K: number, dist: string, n: number, gens: readonly number[]): { support: number[]; coverage: number[] } {
  return boundsOver(distinctStart(K, dist), n, gens);
}

function boundsOver(start: { value: Float64Array; count: Float64Array }, n: number, gens: readonly number[]): { support: number[]; coverage: number[] } {
  const { value, count } = start;
  const support: number[] = [];
  const coverage: number[] = [];
  for (const t of gens) {
    let s = 0;
    let c = 0;
    for (let d = 0; d < value.length; d++) {
      const v = value[d]!;
      const a = sureshAlive(n, v, t);
      s += count[d]! * a;
      c += count[d]! * v * a;
    }
    support.push(s);
    coverage.push(c);
  }
  return { support, coverage };
}

const ZIPF = /^zipf:([+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/;

/** Canonical text of a --dist value: `uniform` or `zipf:β` with β > 0 finite (shortest decimal). */
export function parseDist(raw: unknown): string {
  const rule = 'uniform or zipf:β with β a finite number > 0 (p_i ∝ i^−β)';
  if (Array.isArray(raw)) throw invalidFlag('dist', 'given once', raw);
  const text = typeof raw === 'string' ? raw.trim() : String(raw);
  if (text === 'uniform') return text;
  const m = ZIPF.exec(text);
  if (m === null) throw invalidFlag('dist', rule, raw);
  const beta = Number(m[1]);
  if (!Number.isFinite(beta) || !(beta > 0)) throw invalidFlag('dist', rule, raw);
  return `zipf:${beta}`;
}

/** Why the exact laws do not apply to this spec, or null when they do (replace, τ = 1, no cuts, no smoothing). */
export function exactLawAbsent(spec: RunSpec): string | null {
  const p = categoricalParams(spec);
  const replace = spec.regime === 'replace' || (spec.regime === 'fresh' && Math.round(spec.fresh * spec.samples) === 0);
  if (!replace) return `no exact law under --regime ${spec.regime} (the exact laws are for replace)`;
  if (spec.temperature !== 1) return `--temperature ${spec.temperature} ≠ 1 breaks the martingale p̂ → E[p̂′] = p̂ the exact laws rest on`;
  if (p.topK > 0 && p.topK < p.K) return `--top-k ${p.topK} truncates the model: no exact law is known`;
  if (p.topP < 1) return `--top-p ${p.topP} truncates the model: no exact law is known`;
  if (p.alpha > 0) return `--smoothing ${p.alpha} > 0: no category dies, and no exact law is known for the smoothed chain`;
  return null;
}

/** The distinct values of p0 with their multiplicities (uniform: one value, K times). */
function distinctStart(K: number, dist: string): { value: Float64Array; count: Float64Array } {
  const p0 = startDistribution(K, dist);
  // two passes over typed arrays (K can be 10^7: growing plain arrays took seconds)
  let D = 0;
  for (let i = 0; i < K; i++) if (i === 0 || p0[i] !== p0[i - 1]) D++;
  const value = new Float64Array(D);
  const count = new Float64Array(D);
  let d = -1;
  for (let i = 0; i < K; i++) {
    const v = p0[i]!;
    if (d >= 0 && value[d] === v) count[d]!++;
    else {
      value[++d] = v;
      count[d] = 1;
    }
  }
  return { value, count };
}

/** Relative size below which a binomial pmf's terms are dropped from a transition row (dropped mass < n·1e-40). */
const ROW_CUT = 1e-40;

/** ln k! for k = 0..n, by summing logs (exact to rounding for every k used). */
function logFactorials(n: number): Float64Array {
  const lf = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) lf[k] = lf[k - 1]! + Math.log(k);
  return lf;
}

/**
 * The Binomial(n, x/n) pmf into row[lo..hi] (returned as [lo, hi]): the mode's term from log
 * factorials, the others by the ratio recurrence outwards, stopping where a term falls below
 * ROW_CUT of the mode's.
 */
function binomialRow(n: number, x: number, lf: Float64Array, row: Float64Array): [number, number] {
  const p = x / n;
  const q = 1 - p;
  const m = Math.min(n, Math.floor((n + 1) * p));
  const fm = Math.exp(lf[n]! - lf[m]! - lf[n - m]! + m * Math.log(p) + (n - m) * Math.log(q));
  row[m] = fm;
  const r = p / q;
  let f = fm;
  let hi = m;
  while (hi < n) {
    f *= ((n - hi) / (hi + 1)) * r;
    if (f < ROW_CUT * fm) break;
    hi++;
    row[hi] = f;
  }
  f = fm;
  let lo = m;
  while (lo > 0) {
    f *= lo / ((n - lo + 1) * r);
    if (f < ROW_CUT * fm) break;
    lo--;
    row[lo] = f;
  }
  return [lo, hi];
}

/**
 * One generation of the D marginal chains (laws over 0..n, D rows of n + 1): nxt = cur·P, P the
 * Binomial(n, x/n) transition. A function of its own, called once per generation: a worker pool
 * in this process turns V8's on-stack replacement off process-wide (workers/jit.ts), so a loop
 * over all generations inside one call would stay unoptimised (11 s instead of 0.6 s for K = 1000
 * Zipf, n = 100, T = 50 after a run).
 */
function chainStep(cur: Float64Array, nxt: Float64Array, D: number, n: number, lf: Float64Array, row: Float64Array): void {
  const W = n + 1;
  nxt.fill(0);
  for (let d = 0; d < D; d++) {
    nxt[d * W] = cur[d * W]!;
    nxt[d * W + n] = cur[d * W + n]!;
  }
  for (let x = 1; x < n; x++) {
    let any = false;
    for (let d = 0; d < D; d++) if (cur[d * W + x]! > 0) any = true;
    if (!any) continue;
    const [lo, hi] = binomialRow(n, x, lf, row);
    for (let d = 0; d < D; d++) {
      const c = cur[d * W + x]!;
      if (c === 0) continue;
      const o = d * W;
      for (let k = lo; k <= hi; k++) nxt[o + k] = nxt[o + k]! + c * row[k]!;
    }
  }
}

/** Estimated multiply-adds of the exact chains: (T − 1) steps × Σ_x row width × (D + 1). */
export function chainCost(n: number, T: number, D: number): number {
  const width = Math.min(n + 1, 2 * 14 * Math.sqrt(n / 4) + 3);
  return Math.max(0, T - 1) * (n + 1) * width * (D + 1);
}

/** Expectations of the chain-based metrics at each requested generation. */
export interface ChainLaws {
  support: number[];
  coverage: number[];
  entropy: number[];
  tv: number[];
  giniSimpson: number[];
  fixed: number[];
  /** Per distinct p0 value (in distinctStart's order): P(its category holds all n at the last requested generation). */
  fixedByValue: number[];
  /** Per distinct p0 value: P(its category is alive) at each requested generation. */
  aliveByValue: number[][];
}

/**
 * Exact expectations under replace (docs/theory.md §17): category i's count X_i(t) is the
 * one-dimensional Wright–Fisher chain X(1) ~ Binomial(n, p0_i), X(t + 1) | X(t) ~ Binomial(n, X(t)/n),
 * whatever the other categories do, and every metric's expectation is a sum over categories of an
 * expectation under that marginal (support: P(X > 0); coverage: p0_i·P(X > 0); entropy, tv, Gini–Simpson:
 * E of a function of X/n; fixed: P(X = n), the events being disjoint across i). The marginal's law is
 * iterated over 0..n for each distinct p0 value.
 */
export function chainLaws(K: number, dist: string, n: number, gens: readonly number[]): ChainLaws {
  return lawsOver(distinctStart(K, dist), n, gens);
}

/** chainLaws from the distinct start probabilities (distinctStart), already at hand in theoryOf. */
function lawsOver(start: { value: Float64Array; count: Float64Array }, n: number, gens: readonly number[]): ChainLaws {
  const { value, count } = start;
  const D = value.length;
  const lf = logFactorials(n);
  const W = n + 1;
  let cur = new Float64Array(D * W);
  let nxt = new Float64Array(D * W);
  const row = new Float64Array(W);
  for (let d = 0; d < D; d++) {
    const v = value[d]!;
    // X(1) ~ Binomial(n, v): the first draw from p0 (a Zipf start with a large β has exact 0s and a 1)
    if (v === 0 || v === 1) {
      cur[d * W + (v === 0 ? 0 : n)] = 1;
      continue;
    }
    const lp = Math.log(v);
    const lq = Math.log1p(-v);
    for (let k = 0; k <= n; k++) cur[d * W + k] = Math.exp(lf[n]! - lf[k]! - lf[n - k]! + k * lp + (n - k) * lq);
  }
  const out: ChainLaws = { support: [], coverage: [], entropy: [], tv: [], giniSimpson: [], fixed: [], fixedByValue: [], aliveByValue: value.length ? Array.from(value, () => []) : [] };
  // per-state values of x/n: −p log2 p and p²
  const hx = new Float64Array(W);
  const sx = new Float64Array(W);
  for (let k = 1; k <= n; k++) {
    const p = k / n;
    hx[k] = -p * Math.log2(p);
    sx[k] = p * p;
  }
  const T = gens.length ? gens[gens.length - 1]! : 0;
  let gi = 0;
  for (let t = 1; t <= T; t++) {
    if (t > 1) {
      chainStep(cur, nxt, D, n, lf, row);
      const s = cur;
      cur = nxt;
      nxt = s;
    }
    if (t !== gens[gi]) continue;
    let support = 0;
    let coverage = 0;
    let entropy = 0;
    let tv = 0;
    let sq = 0;
    let fixed = 0;
    for (let d = 0; d < D; d++) {
      const o = d * W;
      const v = value[d]!;
      const w = count[d]!;
      let alive = 0;
      let h = 0;
      let dev = 0;
      let s2 = 0;
      dev += cur[o]! * v;
      for (let k = 1; k <= n; k++) {
        const pk = cur[o + k]!;
        alive += pk;
        h += pk * hx[k]!;
        s2 += pk * sx[k]!;
        dev += pk * Math.abs(k / n - v);
      }
      support += w * alive;
      coverage += w * v * alive;
      entropy += w * h;
      tv += w * dev;
      sq += w * s2;
      fixed += w * cur[o + n]!;
      out.aliveByValue[d]!.push(alive);
      if (t === T) out.fixedByValue.push(cur[o + n]!);
    }
    // a generation asked for twice gets its values twice
    for (; gens[gi] === t; gi++) {
      out.support.push(support);
      out.coverage.push(coverage);
      out.entropy.push(entropy);
      out.tv.push(0.5 * tv);
      out.giniSimpson.push(1 - sq);
      out.fixed.push(fixed);
    }
  }
  return out;
}

/** H0 = 1 − Σ p0_i², the start's Gini–Simpson index. */
export function startGiniSimpson(K: number, dist: string): number {
  const p0 = startDistribution(K, dist);
  let s = 0;
  for (let i = 0; i < K; i++) s += p0[i]! * p0[i]!;
  return 1 - s;
}

const cache = new Map<string, ChainLaws>();

function theoryOf(spec: RunSpec, gens: readonly number[]): FamilyTheory {
  const names = CATEGORICAL_METRICS;
  const rows: FamilyTheory['rows'] = {};
  for (const m of names) rows[m] = gens.map(() => null);
  const reasons: Record<string, string> = {
    fixation: 'no exact law of the fixation time is computed (the mean time to fixation has only the diffusion approximation of docs/theory.md §17, not used for z)',
  };
  const bounds: Record<string, (number | null)[]> = {};
  for (const b of BOUNDS) bounds[b.name] = gens.map(() => null);
  const absent = exactLawAbsent(spec);
  if (absent !== null) {
    for (const m of names) if (m !== 'fixation') reasons[m] = absent;
    for (const b of BOUNDS) reasons[b.name] = `the bound of Suresh et al. (2024) is for maximum-likelihood refits of the plain chain: ${absent}`;
    return { rows, bounds, reasons };
  }
  const { K, dist } = categoricalParams(spec);
  const n = spec.samples;
  const start = distinctStart(K, dist);
  const D = start.value.length;
  // the bounds cost a log1p and an expm1 per distinct start probability and generation
  if (D * gens.length > BOUND_BUDGET) {
    const why =
      `the bound of Suresh et al. (2024) would take ${(D * gens.length).toPrecision(2)} terms (${D} distinct start probabilities × ` +
      `${gens.length} generations), beyond the ${BOUND_BUDGET.toPrecision(1)} budget of one theory call`;
    for (const b of BOUNDS) reasons[b.name] = why;
  } else {
    const sb = boundsOver(start, n, gens);
    bounds['supportSuresh'] = sb.support;
    bounds['coverageSuresh'] = sb.coverage;
  }
  // E[1 − Σp̂²] shrinks by exactly (1 − 1/n) per generation
  const H0 = startGiniSimpson(K, dist);
  rows['giniSimpson'] = gens.map((g) => ({ mean: H0 * Math.pow(1 - 1 / n, g), sd: null }));
  const T = gens.length ? gens[gens.length - 1]! : 0;
  const cost = chainCost(n, T, D);
  if (cost > THEORY_BUDGET) {
    const why =
      `the exact marginal chains would take about ${cost.toPrecision(2)} operations ((T − 1) steps × (n + 1) states × row width × ` +
      `${D + 1}, with ${D} distinct start probabilities), beyond the ${THEORY_BUDGET.toPrecision(1)} budget of one theory call`;
    for (const m of ['support', 'coverage', 'entropy', 'tv', 'fixed']) reasons[m] = why;
    return { rows, bounds, reasons };
  }
  const key = JSON.stringify([K, dist, n, gens]);
  let laws = cache.get(key);
  if (laws === undefined) {
    laws = lawsOver(start, n, gens);
    if (cache.size > 16) cache.clear();
    cache.set(key, laws);
  }
  const L = laws;
  const at = (a: number[], i: number): MetricTheory => ({ mean: a[i]!, sd: null });
  rows['support'] = gens.map((_, i) => at(L.support, i));
  rows['coverage'] = gens.map((_, i) => at(L.coverage, i));
  rows['entropy'] = gens.map((_, i) => at(L.entropy, i));
  rows['tv'] = gens.map((_, i) => at(L.tv, i));
  // an indicator: its sd is exact
  rows['fixed'] = gens.map((_, i) => {
    const q = Math.min(1, Math.max(0, L.fixed[i]!));
    return { mean: q, sd: Math.sqrt(q * (1 - q)) };
  });
  return { rows, bounds, reasons };
}

/** The generations of the rank–frequency file: 1, 2, 5, 10, 20, 50, … up to T, and T. */
export function rankFrequencyGenerations(T: number): number[] {
  const out = new Set<number>();
  for (let d = 1; d <= T; d *= 10) for (const m of [1, 2, 5]) if (m * d <= T) out.add(m * d);
  out.add(T);
  return [...out].sort((a, b) => a - b);
}

/** Ranks written per curve: all up to this K, else this many log-spaced ranks (and the last). */
export const RANK_POINTS = 2000;

/** The ranks written for K categories: 1..K, or about RANK_POINTS log-spaced ones from 1 to K. */
export function rankGrid(K: number): number[] {
  if (K <= RANK_POINTS) return Array.from({ length: K }, (_, i) => i + 1);
  const out = new Set<number>();
  for (let j = 0; j < RANK_POINTS; j++) out.add(Math.round(Math.exp((Math.log(K) * j) / (RANK_POINTS - 1))));
  out.add(K);
  return [...out].sort((a, b) => a - b);
}

/**
 * rank-frequency.csv: the start distribution (generation 0) and experiment 0's fit at
 * rankFrequencyGenerations(T), each sorted into decreasing probability, one row per (generation,
 * rank) with p > 0 (a dead category has no place on a log axis): the tail being cut, as a table.
 */
export function rankFrequencyCsv(spec: RunSpec): string {
  const { K, dist } = categoricalParams(spec);
  const gens = rankFrequencyGenerations(spec.generations);
  const fits = firstFits(spec, gens);
  const ranks = rankGrid(K);
  const lines = ['generation,rank,probability'];
  const write = (g: number, p: Float64Array) => {
    const sorted = Float64Array.from(p).sort().reverse();
    for (const r of ranks) {
      const v = sorted[r - 1]!;
      if (v > 0) lines.push(`${g},${r},${v}`);
    }
  };
  write(0, startDistribution(K, dist));
  for (const g of gens) write(g, fits.get(g)!);
  return lines.join('\n') + '\n';
}

export const categorical: Family = {
  name: 'categorical',
  flags: [
    {
      name: 'categories',
      kind: 'integer',
      default: 100,
      describe: `categorical: the number K of categories, an integer from 2 to ${MAX_CATEGORIES} [default:\u00a0100]`,
    },
    {
      name: 'dist',
      kind: 'word',
      default: 'uniform',
      describe: 'categorical: the start distribution over ranks 1..K: uniform, or zipf:β (p_i ∝ i^−β, β > 0) [default:\u00a0uniform]',
    },
    {
      name: 'smoothing',
      kind: 'real',
      default: 0,
      describe: 'add-α smoothing of each fit, p̂ = (c + α)/(N + Kα), α from 0 to 1e290 [default:\u00a00]',
    },
    {
      name: 'top-k',
      kind: 'integer',
      default: 0,
      describe: 'categorical: from generation 2, sample only the k most probable categories (0: no cut) [default:\u00a00]',
    },
    {
      name: 'top-p',
      kind: 'real',
      default: 1,
      describe: 'categorical: from generation 2, sample only the smallest set of most probable categories holding mass ≥ p, p in (0, 1] (1: no cut) [default:\u00a01]',
    },
  ],
  metrics: METRICS,
  bounds: BOUNDS,
  resolveParams(raw: Record<string, unknown>, _spec: BaseSpec): Record<string, ModelParam> {
    const K = raw['categories'] === undefined ? 100 : parseIntegerFlag('categories', raw['categories'], 2, MAX_CATEGORIES);
    const dist = raw['dist'] === undefined ? 'uniform' : parseDist(raw['dist']);
    let alpha = 0;
    if (raw['smoothing'] !== undefined) {
      alpha = parseNumberFlag('smoothing', raw['smoothing']);
      // N + Kα must stay a finite double (K ≤ 10^7)
      if (alpha < 0 || alpha > 1e290) throw invalidFlag('smoothing', 'a number from 0 to 1e290', raw['smoothing']);
    }
    const topK = raw['top-k'] === undefined ? 0 : parseIntegerFlag('top-k', raw['top-k'], 0, MAX_CATEGORIES);
    let topP = 1;
    if (raw['top-p'] !== undefined) {
      topP = parseNumberFlag('top-p', raw['top-p']);
      if (!(topP > 0 && topP <= 1)) throw invalidFlag('top-p', 'a number in (0, 1]', raw['top-p']);
    }
    return { categories: K, dist, smoothing: alpha, 'top-k': topK, 'top-p': topP };
  },
  theory(spec: RunSpec, gens: readonly number[]): FamilyTheory {
    return theoryOf(spec, gens);
  },
  hasSdSummary(): boolean {
    return false;
  },
  sdSummaryAbsent(spec: RunSpec): string {
    return `--model categorical fits ${categoricalParams(spec).K} category probabilities, not a Gaussian`;
  },
  sdTheory(): RegimeTheory {
    throw new Error('internal: the categorical family has no scalar sd summary');
  },
  undefinedReason(metric: string): string | null {
    if (metric !== 'fixation') return null;
    return 'fixation is Inf where no category has taken everything by that generation (see the fixed metric for the share fixed)';
  },
  workerBytes(spec: RunSpec): number {
    // p0, data, fit, q, pool, Fenwick tree, tail (doubles) and two index arrays (int32)
    return categoricalParams(spec).K * (7 * 8 + 2 * 4);
  },
  artifacts(spec: RunSpec): Record<string, string> {
    return { 'rank-frequency.csv': rankFrequencyCsv(spec) };
  },
  stepCost(spec: Pick<RunSpec, 'method' | 'modelParams'>): number {
    // per drawn sample, relative to a normal draw: O(K) binomials per n draws, plus the metrics' O(K)
    const K = Number(spec.modelParams['categories'] ?? 100);
    return 2 + K / 1000;
  },
};
