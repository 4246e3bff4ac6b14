/**
 * The categorical family: its binomial sampler and multinomial counts against exact pmfs (chi-square),
 * the exact marginal-chain laws against their closed forms, the simulation against the exact laws
 * by z-score at several (K, n, T), uniform and Zipf, the same bytes for any split of the work with
 * the decoding cuts on, and bad input refused with exit 2.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import gammaln from '@stdlib/math-base-special-gammaln';
import { describe, expect, it } from 'vitest';
import { runSpec, type RunOutcome } from '../src/engine.js';
import { executeRun } from '../src/execute.js';
import { runFigures } from '../src/plot/run.js';
import { UsageError } from '../src/errors.js';
import { resolveRunSpec, type RawRunFlags, type RunSpec } from '../src/spec.js';
import { categorical, chainLaws, startGiniSimpson } from '../src/families/categorical.js';
import { planChunks } from '../src/plan.js';
import { allRows, finalsCsv, trajectoryCsv } from '../src/summary.js';
import { binomial, multinomialAdd } from '../workers/families/binomial.js';
import { startDistribution } from '../workers/families/categorical.js';
import { FastSource, StdlibSource, type Source } from '../workers/sources.js';
import { chiSquareZ, Z_BOUND } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

function spec(flags: Record<string, string>): RunSpec {
  return resolveRunSpec({ model: 'categorical', seed: '3', ...flags } as RawRunFlags);
}

function source(seed: number, kind: 'fast' | 'stdlib' = 'fast'): Source {
  const s = kind === 'fast' ? new FastSource() : new StdlibSource();
  s.seed([seed, 0x9e3779b9, 0x7f4a7c15, seed * 7 + 1]);
  return s;
}

/** The Binomial(n, p) pmf at k from log-gamma, independent of the sampler's recurrences. */
function binomPmf(n: number, p: number, k: number): number {
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  return Math.exp(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/**
 * Pearson's chi-square of observed counts against expected probabilities, cells with expected
 * count below 5 pooled into their neighbours (from each end inwards); returns the Wilson–Hilferty z.
 */
function chiSquare(observed: Map<number, number>, prob: (k: number) => number, lo: number, hi: number, draws: number): number {
  const cells: { o: number; e: number }[] = [];
  let o = 0;
  let e = 0;
  for (let k = lo; k <= hi; k++) {
    o += observed.get(k) ?? 0;
    e += prob(k) * draws;
    if (e >= 5) {
      cells.push({ o, e });
      o = 0;
      e = 0;
    }
  }
  // what is left (and every draw outside [lo, hi]) joins the last cell
  let outside = draws;
  for (const c of cells) outside -= c.o;
  outside -= o;
  const last = cells[cells.length - 1]!;
  last.o += o + outside;
  last.e += e + Math.max(0, draws - cells.reduce((s, c) => s + c.e, 0) - e);
  let stat = 0;
  for (const c of cells) stat += (c.o - c.e) ** 2 / c.e;
  expect(cells.length).toBeGreaterThan(1);
  return chiSquareZ(stat, cells.length - 1);
}

describe('binomial sampler against the exact pmf', () => {
  // inversion below n·min(p, q) = 10, BTRS from it; p > ½ by symmetry; n up to 10⁹
  const cases: [number, number][] = [
    [1, 0.3],
    [5, 0.3],
    [30, 0.02],
    [1000, 0.004],
    [10_000, 0.00099],
    [50, 0.2],
    [21, 0.5],
    [40, 0.26],
    [100, 0.97],
    [1000, 0.3],
    [12_345, 0.61],
    [1_000_000, 0.5],
    [1_000_000_000, 0.001],
  ];
  for (const [n, p] of cases) {
    it(`Binomial(${n}, ${p}) by chi-square over 200 000 draws (fast and stdlib sources)`, () => {
      for (const kind of ['fast', 'stdlib'] as const) {
        const src = source(n % 1000 + 17, kind);
        const draws = 200_000;
        const seen = new Map<number, number>();
        let lo = Infinity;
        let hi = -Infinity;
        let invalid = 0;
        for (let i = 0; i < draws; i++) {
          const k = binomial(src, n, p);
          if (!(Number.isInteger(k) && k >= 0 && k <= n)) invalid++;
          seen.set(k, (seen.get(k) ?? 0) + 1);
          if (k < lo) lo = k;
          if (k > hi) hi = k;
        }
        expect(invalid).toBe(0);
        const mu = n * p;
        const sd = Math.sqrt(n * p * (1 - p));
        const a = Math.max(0, Math.floor(mu - 12 * sd - 2));
        const b = Math.min(n, Math.ceil(mu + 12 * sd + 2));
        const z = chiSquare(seen, (k) => binomPmf(n, p, k), a, b, draws);
        expect(Math.abs(z), `${kind}: chi-square z = ${z}`).toBeLessThan(Z_BOUND);
      }
    });
  }

  it('edge values: n = 0, p = 0, p = 1', () => {
    const src = source(1);
    expect(binomial(src, 0, 0.5)).toBe(0);
    expect(binomial(src, 10, 0)).toBe(0);
    expect(binomial(src, 10, 1)).toBe(10);
  });
});

/** Exact multinomial pmf of a count vector. */
function multinomialPmf(counts: number[], p: number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  let l = gammaln(n + 1);
  counts.forEach((c, i) => {
    l -= gammaln(c + 1);
    if (c > 0) l += c * Math.log(p[i]!);
  });
  return Math.exp(l);
}

/** Every count vector of K non-negative integers summing to n. */
function compositions(n: number, K: number): number[][] {
  if (K === 1) return [[n]];
  const out: number[][] = [];
  for (let c = 0; c <= n; c++) for (const rest of compositions(n - c, K - 1)) out.push([c, ...rest]);
  return out;
}

describe('multinomial counts against the exact multinomial pmf', () => {
  // conditional binomials (n ≥ live categories) and categorical draws (n < live categories);
  // unnormalised weights, a zero weight, and a subset of categories in idx
  const cases = [
    { n: 6, w: [0.5, 0.2, 0.3], label: 'conditional binomials' },
    { n: 40, w: [3, 1, 0, 2], label: 'conditional binomials, a zero weight, unnormalised' },
    { n: 3, w: [0.1, 0.4, 0.2, 0.2, 0.1], label: 'categorical draws (n < K)' },
    { n: 2, w: [1, 0, 5, 2, 2, 1], label: 'categorical draws, a zero weight' },
  ];
  for (const c of cases) {
    it(`${c.label}: n = ${c.n}, w = [${c.w.join(', ')}]`, () => {
      const K = c.w.length;
      const total = c.w.reduce((a, b) => a + b, 0);
      const p = c.w.map((x) => x / total);
      // the categories through idx in a scrambled order, with an extra category outside idx
      const w = new Float64Array([...c.w, 9]);
      const idx = Int32Array.from([...Array(K).keys()].reverse());
      const counts = new Float64Array(K + 1);
      const tail = new Float64Array(K + 2);
      const src = source(c.n * 31 + K);
      const draws = 100_000;
      const key = (v: ArrayLike<number>) => Array.from(v).slice(0, K).join(',');
      const outcomes = compositions(c.n, K).filter((v) => multinomialPmf(v, p) > 0);
      const index = new Map(outcomes.map((v, i) => [v.join(','), i]));
      const seen = new Map<number, number>();
      const impossible: string[] = [];
      for (let i = 0; i < draws; i++) {
        counts.fill(0);
        multinomialAdd(src, c.n, w, idx, K, counts, tail);
        const j = counts[K] === 0 ? index.get(key(counts)) : undefined;
        if (j === undefined) impossible.push(Array.from(counts).join(','));
        else seen.set(j, (seen.get(j) ?? 0) + 1);
      }
      expect(impossible).toEqual([]);
      const z = chiSquare(seen, (j) => multinomialPmf(outcomes[j]!, p), 0, outcomes.length - 1, draws);
      expect(Math.abs(z), `chi-square z = ${z}`).toBeLessThan(Z_BOUND);
    });
  }

  it('adds to the counts it is given, and a large K·n draw keeps the total and the per-category means', () => {
    const K = 10_000;
    const n = 10_000;
    const p0 = startDistribution(K, 'zipf:1.1');
    const idx = Int32Array.from(Array(K).keys());
    const counts = new Float64Array(K).fill(1);
    const src = source(5);
    const reps = 200;
    const sum = new Float64Array(K);
    for (let r = 0; r < reps; r++) {
      counts.fill(1);
      multinomialAdd(src, n, p0, idx, K, counts, new Float64Array(K + 1));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(n + K);
      for (let i = 0; i < K; i++) sum[i] = sum[i]! + counts[i]! - 1;
    }
    // the top category's mean count, and the total of the 9000 rarest, against n·p by z
    const top = sum[0]! / reps;
    expect(Math.abs((top - n * p0[0]!) / Math.sqrt((n * p0[0]! * (1 - p0[0]!)) / reps))).toBeLessThan(Z_BOUND);
    let tailMass = 0;
    let tailCount = 0;
    for (let i = 1000; i < K; i++) {
      tailMass += p0[i]!;
      tailCount += sum[i]!;
    }
    const z = (tailCount / reps - n * tailMass) / Math.sqrt((n * tailMass * (1 - tailMass)) / reps);
    expect(Math.abs(z)).toBeLessThan(Z_BOUND);
  });
});

describe('the exact marginal-chain laws against closed forms', () => {
  for (const [K, dist, n] of [
    [5, 'uniform', 10],
    [20, 'zipf:1.1', 50],
    [7, 'zipf:2.5', 300],
  ] as const) {
    it(`K = ${K}, ${dist}, n = ${n}: Gini–Simpson is H0(1 − 1/n)^t; support after the first fit is Σ(1 − (1 − p_i)^n)`, () => {
      const gens = [1, 2, 5, 13];
      const L = chainLaws(K, dist, n, gens);
      const H0 = startGiniSimpson(K, dist);
      gens.forEach((t, i) => expect(L.giniSimpson[i]! / (H0 * (1 - 1 / n) ** t)).toBeCloseTo(1, 10));
      const p0 = startDistribution(K, dist);
      let s1 = 0;
      let c1 = 0;
      for (const p of p0) {
        s1 += 1 - (1 - p) ** n;
        c1 += p * (1 - (1 - p) ** n);
      }
      expect(L.support[0]!).toBeCloseTo(s1, 11);
      expect(L.coverage[0]!).toBeCloseTo(c1, 11);
      // P(fixed after the first fit) = Σ p_i^n
      expect(L.fixed[0]! / p0.reduce((s, p) => s + p ** n, 0)).toBeCloseTo(1, 9);
    });
  }

  it('category i ends as the sole survivor with probability p0_i (the count is a martingale)', () => {
    const L = chainLaws(4, 'zipf:1', 12, [2000]);
    const p0 = startDistribution(4, 'zipf:1');
    L.fixedByValue.forEach((f, i) => expect(f).toBeCloseTo(p0[i]!, 9));
    expect(L.support[0]!).toBeCloseTo(1, 9);
    // then coverage = p0 of the winner: E = Σ p0_i²
    expect(L.coverage[0]!).toBeCloseTo(p0.reduce((s, p) => s + p * p, 0), 9);
  });
});

/** The z of every metric that has a theory at every recorded generation, and how many were given. */
function zScores(out: RunOutcome): { z: [string, number, number][]; left: [string, number, string][] } {
  const z: [string, number, number][] = [];
  const left: [string, number, string][] = [];
  for (const row of allRows(out)) {
    for (const [name, t] of Object.entries(row.metrics.theory)) {
      if (t === null) continue;
      const v = row.metrics.z[name]!;
      if (Number.isFinite(v)) z.push([name, row.generation, v]);
      else left.push([name, row.generation, row.metrics.zCells[name] ?? '?']);
    }
  }
  return { z, left };
}

describe('the simulation against the exact laws by z-score', () => {
  const cases = [
    { categories: '5', dist: 'uniform', samples: '10', generations: '12', every: '4' },
    { categories: '50', dist: 'uniform', samples: '30', generations: '40', every: '10' },
    { categories: '20', dist: 'zipf:1.1', samples: '50', generations: '20', every: '5' },
    { categories: '200', dist: 'zipf:1.5', samples: '300', generations: '6', every: '3' },
    { categories: '3', dist: 'zipf:1', samples: '8', generations: '24', every: '8' },
  ];
  for (const c of cases) {
    for (const method of ['resample', 'stats']) {
      if (method === 'stats' && c.categories !== '5') continue;
      it(`K = ${c.categories}, ${c.dist}, n = ${c.samples}, T = ${c.generations} (${method})`, async () => {
        const out = await runSpec(spec({ ...c, experiments: '3000', method, seed: '11' }), 2);
        const { z, left } = zScores(out);
        for (const [name, g, v] of z) expect(Math.abs(v), `${name} at t = ${g}: z = ${v}`).toBeLessThan(Z_BOUND);
        // every metric with a theory has its z somewhere; only rare-event indicators may be left out
        const names = new Set(z.map((x) => x[0]));
        for (const m of ['support', 'coverage', 'entropy', 'tv', 'giniSimpson']) expect(names.has(m), m).toBe(true);
        // (fixed, a rare event, may not have happened in any experiment yet: all values equal, no z)
        for (const [name, , cell] of left) expect(`${name}: ${cell}`).toMatch(/^((fixed|support|coverage|entropy|tv|giniSimpson): heavy tail|fixed: n\/a)$/);
      });
    }
  }

  it('no theory (with the reason) under other regimes, temperature, truncation or smoothing', async () => {
    for (const [flags, why] of [
      [{ regime: 'accumulate' }, /--regime accumulate/],
      [{ temperature: '0.9' }, /--temperature/],
      [{ 'top-k': '3' }, /--top-k/],
      [{ 'top-p': '0.8' }, /--top-p/],
      [{ smoothing: '0.5' }, /--smoothing/],
    ] as const) {
      const s = spec({ categories: '5', samples: '10', generations: '3', experiments: '20', ...flags });
      const out = await runSpec(s, 1);
      const row = allRows(out).pop()!;
      expect(row.metrics.theory['support']).toBeNull();
      expect(categorical.theory(s, [3]).reasons['support']).toMatch(why);
    }
  });

  it('beyond the theory budget the chain laws are null with the cost, and Gini–Simpson keeps its closed form', () => {
    const s = spec({ categories: '10000', dist: 'zipf:1', samples: '10000', generations: '100' });
    const { rows, reasons } = categorical.theory(s, [s.generations]);
    expect(rows['support']![0]).toBeNull();
    expect(reasons['support']).toMatch(/operations/);
    expect(rows['giniSimpson']![0]).not.toBeNull();
  });
});

describe('determinism with the decoding cuts', () => {
  it('the same bytes inline and on the pool, for accumulate-subsample with temperature, top-k and top-p', async () => {
    const s = spec({ categories: '300', dist: 'zipf:0.8', samples: '40', generations: '9', experiments: '130', every: '2', regime: 'accumulate-subsample', temperature: '1.3', 'top-k': '50', 'top-p': '0.9' });
    expect(planChunks(s).length).toBeGreaterThan(2);
    const a = await runSpec(s, 1, undefined, planChunks(s), 'inline');
    const b = await runSpec(s, 2, undefined, planChunks(s), 'pool');
    const text = (o: RunOutcome) => trajectoryCsv(allRows(o)) + finalsCsv(o);
    expect(text(b)).toBe(text(a));
  });
});

describe('bad input', () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ categories: '1' }, /--categories must be an integer from 2/],
    [{ dist: 'zipf:0' }, /--dist must be uniform or zipf:β/],
    [{ dist: 'zipf:-1' }, /--dist/],
    [{ dist: 'zipf:' }, /--dist/],
    [{ dist: 'normal' }, /--dist/],
    [{ 'top-p': '0' }, /--top-p must be a number in \(0, 1\]/],
    [{ 'top-p': '1.5' }, /--top-p/],
    [{ 'top-k': '2.5' }, /--top-k/],
    [{ smoothing: '-0.1' }, /--smoothing must be a number from 0 to 1e290/],
    [{ smoothing: '1e291' }, /--smoothing/],
  ];
  for (const [flags, msg] of bad) {
    it(`${JSON.stringify(flags)} is a UsageError`, () => {
      expect(() => spec(flags)).toThrow(UsageError);
      expect(() => spec(flags)).toThrow(msg);
    });
  }

  it('exit 2, one line, for K < 2, β ≤ 0, top-p outside (0, 1], an unknown dist, and a categorical flag on the Gaussian', () => {
    for (const args of [
      ['--categories', '1'],
      ['--dist', 'zipf:0'],
      ['--top-p', '0'],
      ['--dist', 'poisson'],
    ]) {
      const r = spawnSync(process.execPath, [CLI, 'run', '--model', 'categorical', ...args, '-o', '/nonexistent/never'], { encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(args[0]!);
    }
    const r = spawnSync(process.execPath, [CLI, 'run', '--categories', '10', '-o', '/nonexistent/never'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--categories must be a flag of --model categorical/);
  });

  it('canonical text: zipf:1.50 is zipf:1.5', () => {
    expect(spec({ dist: 'zipf:1.50' }).modelParams['dist']).toBe('zipf:1.5');
  });
});

describe('categorical result files and figures', () => {
  it('rank-frequency.csv re-runs experiment 0 (its last curve has finals.csv support points) the same for any --workers; figures with exact curves', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-categorical-'));
    try {
      const s = spec({ categories: '60', dist: 'zipf:1.2', samples: '50', generations: '30', experiments: '300' });
      const a = path.join(dir, 'a');
      const b = path.join(dir, 'b');
      await executeRun(s, 1, a);
      await executeRun(s, 2, b);
      const rf = fs.readFileSync(path.join(a, 'rank-frequency.csv'), 'utf8');
      expect(fs.readFileSync(path.join(b, 'rank-frequency.csv'), 'utf8')).toBe(rf);
      const rows = rf.trim().split('\n').slice(1).map((l) => l.split(',').map(Number) as [number, number, number]);
      // generation 0 is the start distribution
      const p0 = startDistribution(60, 'zipf:1.2');
      const g0 = rows.filter((r) => r[0] === 0);
      expect(g0.map((r) => r[2])).toEqual(Array.from(p0));
      expect([...new Set(rows.map((r) => r[0]))]).toEqual([0, 1, 2, 5, 10, 20, 30]);
      // the last curve has as many points as experiment 0's final support, and sums to 1
      const finals = fs.readFileSync(path.join(a, 'finals.csv'), 'utf8').trim().split('\n');
      const head = finals[0]!.split(',');
      const first = finals[1]!.split(',').map(Number);
      const at = (c: string) => first[head.indexOf(c)]!;
      expect(first[0]).toBe(0);
      const last = rows.filter((r) => r[0] === 30).map((r) => r[2]);
      expect(last.length).toBe(at('support'));
      expect(last.reduce((t, p) => t + p, 0)).toBeCloseTo(1, 12);
      // and its entropy and Gini–Simpson are experiment 0's, computed independently from the curve
      expect(last.reduce((t, p) => t - p * Math.log2(p), 0)).toBeCloseTo(at('entropy'), 12);
      expect(1 - last.reduce((t, p) => t + p * p, 0)).toBeCloseTo(at('gini_simpson'), 12);
      const figs = runFigures(a, 500);
      const names = figs.map((f) => f.name);
      expect(names).toContain('rank-frequency');
      for (const m of ['support', 'entropy', 'coverage', 'gini_simpson']) {
        const f = figs.find((x) => x.name === `metric-${m}`)!;
        const layer = (f.spec as unknown as { layer: { data: { values: { series?: string }[] } }[] }).layer[1]!;
        expect(new Set(layer.data.values.map((v) => v.series)).has('exact expectation'), m).toBe(true);
      }
      // fixation is Inf (never finite here): nothing to draw, no figure, no failure
      expect(names).not.toContain('metric-fixation');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
