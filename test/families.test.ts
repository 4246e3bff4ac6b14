/**
 * Model families: the contract every registered family passes (bad input refused with exit 2,
 * the same bytes for any split of the work, stats against resample, theory by z-score), then the
 * Gaussian family's own checks: its linear algebra against independent code, its closed forms at
 * several (d, n, T, ddof, τ) on both methods, a literal implementation of the d-dimensional
 * experiment (np.cov-style refit, re-factored each generation) against the engine, singular fits,
 * and a d = 100, T = 10⁴ chain.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { executeRun } from '../src/execute.js';
import { runFigures } from '../src/plot/run.js';
import { describe, expect, it } from 'vitest';
import { kernelSpecOf, outcomeFromChunks, runChunkResults, runSpec, type RunOutcome } from '../src/engine.js';
import { UsageError } from '../src/errors.js';
import { allFamilies, familyOf } from '../src/families/index.js';
import { lnDetTheory } from '../src/families/gaussian.js';
import { planChunks } from '../src/plan.js';
import { resolveRunSpec, type RawRunFlags, type RunSpec } from '../src/spec.js';
import { allRows, finalsCsv, summaryDocument, toJson, trajectoryCsv, runTheory } from '../src/summary.js';
import { affineRows, cholSemi, meanAndScatter, symmetricEigenvalues } from '../workers/families/linalg.js';
import runChunk from '../workers/task.js';
import { Z_BOUND } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

/** Each family's non-trivial parameters for the contract; a family added later must add its line. */
const CASES: Record<string, Record<string, string>> = {
  gaussian: { dim: '4' },
  categorical: { categories: '4', dist: 'zipf:3' },
  linreg: { dim: '4', noise: '0.7' },
  ngram: { corpus: path.join(ROOT, 'test', 'fixtures', 'ngram-small.txt'), order: '1' },
  kde: { data: 'moons', bandwidth: '0.2' },
  gmm: { components: '2', components0: '3' },
};

/**
 * A family's sample-size flag at size n: -n for most; a family that sizes its data otherwise
 * (ngram: --tokens, -n refused) says so here.
 */
const SIZE: Record<string, (n: string) => Record<string, string>> = {
  ngram: (n) => ({ tokens: n }),
};
function size(family: string, n: string): Record<string, string> {
  return SIZE[family]?.(n) ?? { samples: n };
}

/** The methods a family accepts (a family without sufficient statistics refuses --method stats with exit 2). */
function methodsOf(flags: Record<string, string>): string[] {
  return ['resample', 'stats'].filter((method) => {
    try {
      spec({ ...flags, method });
      return true;
    } catch (err) {
      if (err instanceof UsageError && /--method/.test(err.message)) return false;
      throw err;
    }
  });
}

function spec(flags: Record<string, string>): RunSpec {
  return resolveRunSpec({ seed: '5', ...flags } as RawRunFlags);
}

async function run(flags: Record<string, string>, workers = 2): Promise<RunOutcome> {
  return runSpec(spec(flags), workers);
}

/** Final-generation values of metric `name`, one per experiment. */
function finalValues(out: RunOutcome, name: string): Float64Array {
  const k = familyOf(out.spec.model).metrics.findIndex((m) => m.name === name);
  return out.metrics[k]![out.rows - 1]!;
}

/** Two-sample Kolmogorov–Smirnov p-value (asymptotic law with Stephens' small-sample correction). */
function ksPValue(a: Float64Array, b: Float64Array): number {
  // a NaN would stall the merge below: fail instead
  if (a.some(Number.isNaN) || b.some(Number.isNaN)) throw new Error('ksPValue: NaN in a sample');
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let dmax = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    dmax = Math.max(dmax, Math.abs(i / x.length - j / y.length));
  }
  const ne = (x.length * y.length) / (x.length + y.length);
  const lambda = (Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * dmax;
  let p = 0;
  for (let k = 1; k <= 100; k++) p += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
  return Math.min(1, Math.max(0, p));
}

/** The flag each regime needs: λ for fresh, λ for augment. */
function extra(regime: string): Record<string, string> {
  if (regime === 'fresh') return { fresh: '0.3' };
  if (regime === 'augment') return { synthetic: '1.5' };
  return {};
}

/** The p-value below which a KS check fails: 1e-5 per check (a few dozen checks per run). */
const KS_P = 1e-5;

describe('the family contract (every registered family)', () => {
  it('every family has a contract case', () => {
    for (const f of allFamilies()) expect(CASES[f.name], f.name).toBeDefined();
  });

  for (const family of allFamilies()) {
    const flags = { model: family.name, ...CASES[family.name]! };

    it(`${family.name}: bad values of its flags, and an unknown model, are UsageErrors naming the flag`, () => {
      for (const f of family.flags) {
        for (const bad of ['abc', '-1', '1e999', '']) {
          expect(() => spec({ ...flags, [f.name]: bad }), `--${f.name} ${bad}`).toThrow(UsageError);
          expect(() => spec({ ...flags, [f.name]: bad })).toThrow(new RegExp(`--${f.name}`));
        }
      }
      expect(() => spec({ model: 'nonesuch' })).toThrow(/--model must be one of/);
    });

    it(`${family.name}: exit 2 with one line on stderr and nothing written for a bad flag`, () => {
      const f = family.flags[0];
      if (f === undefined) return;
      const r = spawnSync(process.execPath, [CLI, 'run', '--model', family.name, `--${f.name}`, 'x', '-o', '/nonexistent/never'], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`--${f.name}`));
    });

    it(`${family.name}: the same bytes on the calling thread, on 2 workers, and from 3 shards merged`, async () => {
      for (const method of methodsOf(flags)) {
        const s = spec({ ...flags, ...size(family.name, '6'), generations: '7', experiments: '70', every: '3', method, regime: 'fresh', fresh: '0.5' });
        const inline = await runSpec(s, 1, undefined, planChunks(s), 'inline');
        const pool = await runSpec(s, 2, undefined, planChunks(s), 'pool');
        const chunks = planChunks(s);
        expect(chunks.length).toBeGreaterThan(3);
        const cut = [0, 1, Math.floor(chunks.length / 2), chunks.length];
        const parts = [];
        for (let i = 0; i < 3; i++) parts.push(...(await runChunkResults(s, 1, chunks.slice(cut[i]!, cut[i + 1]!), undefined, 'inline')));
        const merged = outcomeFromChunks(s, parts);
        const text = (o: RunOutcome) => trajectoryCsv(allRows(o)) + finalsCsv(o);
        expect(text(pool)).toBe(text(inline));
        expect(text(merged)).toBe(text(inline));
      }
    });

    it(`${family.name}: stats against resample (two-sample KS on every metric) in every regime both have`, async () => {
      if (methodsOf(flags).length < 2) return;
      for (const regime of ['replace', 'accumulate', 'fresh', 'augment']) {
        const base = { ...flags, samples: '12', generations: '6', experiments: '1500', every: '6', regime, ...extra(regime) };
        const a = await run({ ...base, method: 'resample', seed: '21' });
        const b = await run({ ...base, method: 'stats', seed: '22' });
        for (const m of family.metrics) {
          const p = ksPValue(finalValues(a, m.name), finalValues(b, m.name));
          expect(p, `${regime} ${m.name}: KS p = ${p}`).toBeGreaterThan(KS_P);
        }
      }
    });

    it(`${family.name}: every metric with a theory matches it by z-score`, async () => {
      for (const method of methodsOf(flags)) {
        const s = spec({ ...flags, ...size(family.name, '30'), generations: '4', experiments: '4000', every: '2', method, seed: '31' });
        // a family may have no closed form at all (then there is nothing to check)
        if (Object.values(family.theory(s, [2, 4]).rows).every((r) => r.every((t) => t === null))) continue;
        const rows = allRows(await runSpec(s, 2));
        let checked = 0;
        for (const row of rows) {
          for (const m of family.metrics) {
            if (row.metrics.theory[m.name] === null) continue;
            checked++;
            expect(Math.abs(row.metrics.z[m.name]!), `${method} g=${row.generation} ${m.name}`).toBeLessThan(Z_BOUND);
          }
        }
        expect(checked).toBeGreaterThan(0);
      }
    });
  }
});

/** Symmetric eigenvalues by cyclic Jacobi rotations (Golub & Van Loan §8.5): the independent reference. */
function jacobiEigenvalues(A: number[][]): number[] {
  const n = A.length;
  const a = A.map((r) => r.slice());
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p]![q] === 0) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * a[p]![q]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((r, i) => r[i]!).sort((x, y) => x - y);
}

/** mulberry32 and Box–Muller: a generator independent of the engine's. */
function rng(seed: number): { normal(): number; uniform(): number } {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform: u,
    normal: () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()),
  };
}

describe('Gaussian linear algebra against independent code', () => {
  it('eigenvalues agree with Jacobi rotations; their sum is the trace and their product the determinant', () => {
    const g = rng(1);
    for (const d of [1, 2, 3, 7, 20, 33]) {
      const B = Array.from({ length: d }, () => Array.from({ length: d }, () => g.normal()));
      const A = B.map((_, i) => B.map((_, j) => B[i]!.reduce((s, v, k) => s + v * B[j]![k]!, 0)));
      const low = new Float64Array(d * d);
      for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) low[i * d + j] = A[i]![j]!;
      const w = new Float64Array(d);
      symmetricEigenvalues(low, d, w, new Float64Array(d));
      const got = Array.from(w).sort((x, y) => x - y);
      const ref = jacobiEigenvalues(A);
      const scale = Math.max(...ref.map(Math.abs));
      got.forEach((v, i) => expect(Math.abs(v - ref[i]!), `d=${d} λ${i}`).toBeLessThan(1e-10 * scale));
    }
  });

  it('the semidefinite Cholesky reproduces a rank-deficient scatter and zeroes the missing columns', () => {
    const g = rng(2);
    for (const [k, d] of [
      [3, 6],
      [5, 5],
      [12, 4],
    ] as const) {
      const z = new Float64Array(k * d).map(() => g.normal());
      const copy = Float64Array.from(z);
      const mean = new Float64Array(d);
      const S = new Float64Array(d * d);
      meanAndScatter(z, k, d, mean, S);
      // two-pass reference
      for (let a = 0; a < d; a++) {
        let m = 0;
        for (let i = 0; i < k; i++) m += copy[i * d + a]!;
        expect(mean[a]!).toBeCloseTo(m / k, 14);
      }
      const L = new Float64Array(d * d);
      const zeros = cholSemi(S, d, 1, L);
      expect(zeros).toBe(Math.max(0, d - (k - 1)));
      for (let i = 0; i < d; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let t = 0; t < d; t++) s += L[i * d + t]! * L[j * d + t]!;
          expect(Math.abs(s - S[i * d + j]!)).toBeLessThan(1e-12 * (S[i * d + i]! + S[j * d + j]!));
        }
      }
    }
  });
});

describe('Gaussian accumulate-subsample kernels', () => {
  it('affineRows gives each row the one-row sum mu[a] + Σ_b A[a, b]·z[b] in order b, bit for bit, at every k mod 8', () => {
    const g = rng(5);
    for (const d of [1, 3, 7]) {
      const A = new Float64Array(d * d);
      for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) A[a * d + b] = g.normal();
      const mu = new Float64Array(d).map(() => g.normal());
      for (let k = 1; k <= 19; k++) {
        const z = new Float64Array(k * d).map(() => g.normal());
        const o = 2 * d;
        const out = new Float64Array(o + k * d);
        affineRows(A, mu, z, k, d, out, o);
        for (let i = 0; i < k; i++) {
          for (let a = 0; a < d; a++) {
            let s = mu[a]!;
            for (let b = 0; b <= a; b++) s += A[a * d + b]! * z[i * d + b]!;
            expect(Object.is(out[o + i * d + a], s), `d=${d} k=${k} row ${i} entry ${a}`).toBe(true);
          }
        }
      }
    }
  });

  it("the pool a thread keeps between chunks changes no byte: a chunk after a larger or a smaller one matches a fresh worker's", async () => {
    const shape = (dim: string, samples: string, generations: string) =>
      spec({ dim, samples, generations, experiments: '2', every: '1', regime: 'accumulate-subsample', method: 'resample', seed: '17' });
    const big = shape('6', '40', '9');
    const small = shape('3', '10', '5');
    const bigger = shape('7', '50', '10');
    const here = (s: RunSpec) => runChunk({ spec: kernelSpecOf(s), chunk: { index: 0, start: 0, count: 2 } }).metrics;
    const fresh = async (s: RunSpec) => (await runChunkResults(s, 1, [{ index: 0, start: 0, count: 2 }], undefined, 'pool'))[0]!.metrics;
    const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    here(big); // the kept pool now holds big's rows
    expect(same(here(small), await fresh(small))).toBe(true);
    expect(same(here(bigger), await fresh(bigger))).toBe(true); // the kept pool must grow
    expect(same(here(big), await fresh(big))).toBe(true);
  });
});

describe('Gaussian theory by z-score', () => {
  // replace at several (d, n, T, ddof, τ): log10DetRatio has an exact sd, so its z is exact;
  // traceRatio and meanSqErr are t statistics, kept to depths where their tails are mild
  const cases = [
    { dim: '3', samples: '10', generations: '5', ddof: '0', temperature: '1' },
    { dim: '10', samples: '40', generations: '8', ddof: '1', temperature: '1' },
    { dim: '10', samples: '25', generations: '3', ddof: '0', temperature: '1.3' },
    { dim: '20', samples: '100', generations: '20', ddof: '1', temperature: '0.9' },
  ];
  for (const c of cases) {
    for (const method of ['stats', 'resample']) {
      // resample is compared with stats and with the literal experiment below; here at small sizes
      if (method === 'resample' && Number(c.dim) * Number(c.samples) * Number(c.generations) > 1000) continue;
      it(`replace d=${c.dim} n=${c.samples} T=${c.generations} ddof=${c.ddof} τ=${c.temperature} (${method})`, async () => {
        const out = await run({ ...c, experiments: '3000', every: c.generations, method, seed: '41' });
        const f = allRows(out).pop()!.metrics;
        for (const m of ['log10DetRatio', 'traceRatio', 'meanSqErr']) {
          expect(f.theory[m], m).not.toBeNull();
          expect(Math.abs(f.z[m]!), `${m}: z = ${f.z[m]}`).toBeLessThan(Z_BOUND);
        }
        expect(f.theory['w2sq']).toBeNull();
      });
    }
  }

  it('the log det closed form against the mpmath value at d = 10, n = 50, T = 5', () => {
    // mpmath at 30 digits: T Σ_{i=1..10} [ψ((50−i)/2) + ln(2/50)] / ln 10 and √(T Σ ψ′((50−i)/2)) / ln 10
    const t = lnDetTheory(50, 0, 10, 5, 1);
    expect(t.mean * Math.LOG10E).toBeCloseTo(-3.06962141872555070853761134494, 12);
    expect(Math.sqrt(t.variance) * Math.LOG10E).toBeCloseTo(0.659861292839326889561304559858, 12);
  });

  for (const regime of ['accumulate', 'fresh', 'augment']) {
    it(`${regime} at d = 3: traceRatio and meanSqErr against the per-dimension recursions (both methods)`, async () => {
      for (const method of ['stats', 'resample']) {
        const out = await run({ dim: '3', samples: '10', generations: '12', experiments: '4000', every: '4', regime, method, temperature: '1.1', ...extra(regime) });
        for (const row of allRows(out)) {
          for (const m of ['traceRatio', 'meanSqErr']) {
            expect(row.metrics.theory[m], m).not.toBeNull();
            expect(Math.abs(row.metrics.z[m]!), `${method} g=${row.generation} ${m}`).toBeLessThan(Z_BOUND);
          }
        }
      }
    });
  }

  it('a d = 100, T = 10⁴ stats chain stays finite and matches E[log10DetRatio]', async () => {
    // two chains suffice: the z-score uses the exact sd of log10 det, a sum of 10⁴ independent terms
    const out = await run({ dim: '100', samples: '200', generations: '10000', experiments: '2', every: '10000', method: 'stats', seed: '7' });
    const f = allRows(out).pop()!.metrics;
    const v = finalValues(out, 'log10DetRatio');
    expect(v.every(Number.isFinite)).toBe(true);
    expect(f.stats['log10DetRatio']!.mean).toBeLessThan(-1e5); // deep: det Σ̂ near 10^(−250000)
    expect(Math.abs(f.z['log10DetRatio']!), `z = ${f.z['log10DetRatio']}`).toBeLessThan(Z_BOUND);
    expect(finalValues(out, 'meanSqErr').every(Number.isFinite)).toBe(true);
  }, 120_000);
});

describe('Gaussian singular fits (n − 1 < d)', () => {
  it('log10DetRatio is −Inf, its statistics NA with the reason, and the chain goes on in the subspace', async () => {
    for (const method of ['stats', 'resample']) {
      const out = await run({ dim: '6', samples: '4', generations: '3', experiments: '3000', method, seed: '51' });
      expect(finalValues(out, 'log10DetRatio').every((x) => x === -Infinity)).toBe(true);
      const rows = allRows(out);
      const f = rows.pop()!;
      expect(Number.isNaN(f.metrics.stats['log10DetRatio']!.mean)).toBe(true);
      expect(Math.abs(f.metrics.z['traceRatio']!), `${method} traceRatio`).toBeLessThan(Z_BOUND);
      expect(Math.abs(f.metrics.z['meanSqErr']!), `${method} meanSqErr`).toBeLessThan(Z_BOUND);
      const doc = JSON.parse(
        toJson(summaryDocument(out.spec, 1, f, runTheory(out.spec, out.rows), { wallSeconds: 1, normalsPerSecond: 1, generationStepsPerSecond: 1, draws: 1 }, {} as never)),
      ) as Record<string, Record<string, unknown>>;
      expect(doc['final']!['log10DetRatio']).toMatchObject({ mean: null, sd: null });
      const reasons = doc['theory']!['reasons'] as Record<string, string>;
      expect(reasons['log10DetRatio']).toMatch(/singular/);
      expect(reasons['final.log10DetRatio']).toMatch(/not finite in 3000 of 3000/);
      expect(trajectoryCsv(allRows(out)).split('\n')[1]).toContain('NA');
    }
  });
});

/**
 * The literal d-dimensional experiment, as a numpy loop would write it: draw x = μ + A·z, fit the
 * mean and the covariance (np.cov with ddof), re-factor it by Cholesky every generation. Fine at
 * the small depths used here; the engine never forms Σ̂ (docs/theory.md §14).
 */
function literalChain(regime: string, d: number, n: number, T: number, ddof: number, tau: number, lambda: number, g: ReturnType<typeof rng>): number[] {
  let kept: number[][] = [];
  const chol = (S: number[][]): number[][] => {
    const L = S.map(() => new Array<number>(d).fill(0));
    for (let j = 0; j < d; j++) {
      let s = S[j]![j]!;
      for (let k = 0; k < j; k++) s -= L[j]![k]! ** 2;
      L[j]![j] = Math.sqrt(s);
      for (let i = j + 1; i < d; i++) {
        let t = S[i]![j]!;
        for (let k = 0; k < j; k++) t -= L[i]![k]! * L[j]![k]!;
        L[i]![j] = t / L[j]![j]!;
      }
    }
    return L;
  };
  const draw = (mu: number[], A: number[][]): number[] => {
    const z = Array.from({ length: d }, () => g.normal());
    return mu.map((m, i) => m + A[i]!.reduce((s, a, k) => s + a * z[k]!, 0));
  };
  const fit = (xs: number[][]): [number[], number[][]] => {
    const mu = Array.from({ length: d }, (_, j) => xs.reduce((s, x) => s + x[j]!, 0) / xs.length);
    const S = mu.map((_, i) => mu.map((_, j) => xs.reduce((s, x) => s + (x[i]! - mu[i]!) * (x[j]! - mu[j]!), 0) / (xs.length - ddof)));
    return [mu, S];
  };
  const I = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  const zero = new Array<number>(d).fill(0);
  let pool: number[][] = [];
  for (let i = 0; i < n; i++) pool.push(draw(zero, I));
  let [mu, S] = fit(pool);
  kept = pool;
  for (let t = 2; t <= T; t++) {
    const A = chol(S).map((r) => r.map((v) => v * Math.sqrt(tau)));
    const fresh: number[][] = [];
    if (regime === 'fresh') {
      const kA = Math.round(lambda * n);
      for (let i = 0; i < kA; i++) fresh.push(draw(zero, I));
      for (let i = kA; i < n; i++) fresh.push(draw(mu, A));
      pool = fresh;
    } else if (regime === 'augment') {
      for (let i = 0; i < Math.round(lambda * n); i++) fresh.push(draw(mu, A));
      pool = kept.concat(fresh);
    } else {
      for (let i = 0; i < n; i++) fresh.push(draw(mu, A));
      if (regime === 'replace') pool = fresh;
      else if (regime === 'accumulate') pool = pool.concat(fresh);
      else {
        pool = pool.concat(fresh);
        const copy = pool.slice();
        for (let i = 0; i < n; i++) {
          const j = i + Math.floor(g.uniform() * (copy.length - i));
          [copy[i], copy[j]] = [copy[j]!, copy[i]!];
        }
        [mu, S] = fit(copy.slice(0, n));
        continue;
      }
    }
    [mu, S] = fit(pool);
  }
  const L = chol(S);
  const trace = S.reduce((s, r, i) => s + r[i]!, 0) / d;
  const logDet = 2 * L.reduce((s, r, i) => s + Math.log(r[i]!), 0) * Math.LOG10E;
  return [mu.reduce((s, v) => s + v * v, 0), trace, logDet];
}

describe('Gaussian against the literal experiment', () => {
  for (const regime of ['replace', 'accumulate', 'fresh', 'accumulate-subsample', 'augment']) {
    it(`${regime}, d = 3, n = 8, T = 4, ddof 1, τ = 1.2: every metric by two-sample KS`, async () => {
      const E = 1500;
      const lambda = regime === 'augment' ? 1.5 : 0.375;
      const flag: Record<string, string> = regime === 'fresh' ? { fresh: String(lambda) } : regime === 'augment' ? { synthetic: String(lambda) } : {};
      const out = await run({ dim: '3', samples: '8', generations: '4', experiments: String(E), every: '4', regime, ddof: '1', temperature: '1.2', ...flag, seed: '61' });
      const g = rng(99);
      const ref = [new Float64Array(E), new Float64Array(E), new Float64Array(E)];
      for (let e = 0; e < E; e++) {
        const v = literalChain(regime, 3, 8, 4, 1, 1.2, lambda, g);
        for (let k = 0; k < 3; k++) ref[k]![e] = v[k]!;
      }
      ['meanSqErr', 'traceRatio', 'log10DetRatio'].forEach((m, k) => {
        const p = ksPValue(finalValues(out, m), ref[k]!);
        expect(p, `${regime} ${m}: KS p = ${p}`).toBeGreaterThan(KS_P);
      });
    });
  }
});

describe('Gaussian at d = 1 is the scalar engine', () => {
  it("the metrics are the scalar chain's: trace ratio s²/s0², log10 det ratio 2·log10(s/s0), squared error (m − m0)²", async () => {
    const out = await run({ samples: '7', generations: '20', experiments: '50', sd0: '2.5', mean0: '3', regime: 'accumulate' });
    const lines = finalsCsv(out).trim().split('\n');
    expect(lines[0]).toBe('experiment,mean,sd,log10_sd,mean_sq_err,trace_ratio,log10_det_ratio,w2sq');
    for (const line of lines.slice(1)) {
      const [, m, s, l10, mse, tr, ldr, w2] = line.split(',').map(Number) as number[];
      expect(mse).toBeCloseTo((m! - 3) ** 2, 12);
      expect(tr! / (s! / 2.5) ** 2).toBeCloseTo(1, 12);
      expect(ldr).toBeCloseTo(2 * (l10! - Math.log10(2.5)), 12);
      expect(w2).toBeCloseTo((m! - 3) ** 2 + (s! - 2.5) ** 2, 12);
    }
  });
});

describe('Gaussian figures at d > 1', () => {
  it('one figure per metric against generation, with the exact expectation where theory has one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-families-'));
    try {
      const out = path.join(dir, 'run');
      await executeRun(spec({ dim: '3', samples: '10', generations: '8', experiments: '200' }), 1, out);
      const figs = runFigures(out, 500);
      expect(figs.map((f) => f.name)).toEqual(['metric-mean_sq_err', 'metric-trace_ratio', 'metric-log10_det_ratio', 'metric-w2sq']);
      const series = (name: string) => {
        const spec = figs.find((f) => f.name === name)!.spec as unknown as { layer: { data: { values: { series?: string }[] } }[] };
        return new Set(spec.layer[1]!.data.values.map((v) => v.series));
      };
      expect(series('metric-trace_ratio').has('exact expectation')).toBe(true);
      expect(series('metric-log10_det_ratio').has('exact expectation')).toBe(true);
      expect(series('metric-w2sq').has('exact expectation')).toBe(false); // no closed form at d > 1
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
