/**
 * The linear-regression family: its closed forms against scipy's F moments, the engine against
 * them by z-score at several (d, n, T, σ, τ) in replace, accumulate and augment on both methods,
 * the engine against the literal numpy loop (np.linalg.lstsq on the stacked design; test/fixtures/
 * linreg_peer.py) by two-sample KS in every regime it runs, ridge and n < d included, and its
 * bad input (exit 2, one line naming the flag).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { outcomeFromChunks, runChunkResults, runSpec, type RunOutcome } from '../src/engine.js';
import { planChunks } from '../src/plan.js';
import { UsageError } from '../src/errors.js';
import { familyOf } from '../src/families/index.js';
import { errorScale, linregMoments } from '../src/families/linreg.js';
import { resolveRunSpec, type RawRunFlags, type RunSpec } from '../src/spec.js';
import { allRows, finalsCsv, trajectoryCsv } from '../src/summary.js';
import { expandGrid } from '../src/grid.js';
import { Z_BOUND } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const PEER = path.join(ROOT, 'test', 'fixtures', 'linreg_peer.py');
const PYTHON = process.env['PYTHON'] ?? 'python3';

function spec(flags: Record<string, string>): RunSpec {
  return resolveRunSpec({ model: 'linreg', seed: '5', ...flags } as RawRunFlags);
}

/** Final-generation values of metric `name`, one per experiment. */
function finalValues(out: RunOutcome, name: string): Float64Array {
  const k = familyOf(out.spec.model).metrics.findIndex((m) => m.name === name);
  return out.metrics[k]![out.rows - 1]!;
}

/** Two-sample Kolmogorov–Smirnov p-value (asymptotic law with Stephens' small-sample correction). */
function ksPValue(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  if (x.some(Number.isNaN) || y.some(Number.isNaN)) throw new Error('ksPValue: NaN in a sample');
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

const KS_P = 1e-5;

function python(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${PYTHON} exited ${code}: ${err}`))));
  });
}

describe('linreg closed forms against independent values', () => {
  it('E and Var of χ²(p)/χ²(q − p + 1) agree with scipy.stats.f (Q = p/k · F(p, k), k = q − p + 1)', () => {
    // scipy 1.17: s = p/k; m, v = stats.f.stats(p, k, moments='mv'); s·m and s²·v
    const pins: [number, number, number, number][] = [
      [40, 10, 0.3448275862068965, 0.034350640771568235],
      [12, 20, 1.7142857142857144, 1.861224489795918],
      [30, 4, 0.16, 0.016139130434782607],
    ];
    for (const [n, d, mean, variance] of pins) {
      const m = linregMoments(n, d, 1)!;
      const out = Math.max(0, d - n);
      expect(m.testMse.mean - out).toBeCloseTo(mean, 13);
      expect(m.testMse.variance! - 2 * out).toBeCloseTo(variance, 13);
    }
  });

  it('no theory where E[(XᵀX)⁺] is infinite; no sd where the variance is', () => {
    expect(linregMoments(10, 10, 1)).toBeNull();
    expect(linregMoments(11, 10, 1)).toBeNull();
    expect(linregMoments(9, 10, 1)).toBeNull();
    expect(linregMoments(12, 10, 1)!.testMse.variance).toBeNull(); // a = 1
    expect(linregMoments(14, 10, 1)!.testMse.variance).not.toBeNull(); // a = 3 > 2: finite
  });

  it('the error scales: replace T·σ², accumulate σ²Σ1/t², augment with whole copies of X', () => {
    const s = (flags: Record<string, string>, T: number) => {
      const r = errorScale(spec(flags), T);
      if (!('c' in r)) throw new Error(r.reason);
      return r.c;
    };
    expect(s({ noise: '2' }, 7)).toBeCloseTo(4 * 7, 12);
    expect(s({ noise: '2', temperature: '0.5' }, 7)).toBeCloseTo(4 * (1 + 6 * 0.5), 12);
    expect(s({ regime: 'accumulate' }, 1000)).toBeCloseTo(Math.PI ** 2 / 6 - 1 / 1000 + 1 / 2e6, 7);
    // augment, m = 1: e_t = (e_1 + e_{t−1} + u_t)/2 → c_2 = (2² + 1)/4 σ², c_3 = ((1 + ½·... )) by hand:
    // c_2: α = 1, β = 1/4 → 1.25; c_3: α = 1, β = (1/4 + 1)/4 = 5/16 → 1.3125
    expect(s({ regime: 'augment', synthetic: '1', samples: '20' }, 2)).toBeCloseTo(1.25, 12);
    expect(s({ regime: 'augment', synthetic: '1', samples: '20' }, 3)).toBeCloseTo(1.3125, 12);
    const none: Record<string, string>[] = [{ ridge: '0.1' }, { regime: 'fresh', fresh: '0.5' }, { regime: 'augment', synthetic: '0.5', samples: '20' }];
    for (const f of none) {
      expect('reason' in errorScale(spec(f), 3), JSON.stringify(f)).toBe(true);
    }
    expect(s({ regime: 'fresh', fresh: '0.01', samples: '20' }, 5)).toBe(5); // round(0.2) = 0: replace
  });
});

describe('linreg theory by z-score (both methods)', () => {
  // a = max(n, d) − min(n, d) − 1 ≥ 10 keeps the F tails mild enough for the mean's z
  const cases: Record<string, string>[] = [
    { dim: '5', samples: '20', generations: '5' },
    { dim: '10', samples: '40', generations: '3', noise: '0.5', temperature: '1.3' },
    { dim: '30', samples: '12', generations: '4', noise: '2' },
    { dim: '3', samples: '16', generations: '10', regime: 'accumulate' },
    { dim: '8', samples: '30', generations: '6', regime: 'accumulate', temperature: '0.7', noise: '1.5' },
    { dim: '25', samples: '10', generations: '5', regime: 'accumulate' },
    { dim: '4', samples: '15', generations: '5', regime: 'augment', synthetic: '2', temperature: '1.2' },
  ];
  for (const c of cases) {
    for (const method of ['stats', 'resample']) {
      it(`${JSON.stringify(c)} ${method}`, async () => {
        const out = await runSpec(spec({ ...c, experiments: '4000', every: '1', method, seed: '41' }), 2);
        let checked = 0;
        for (const row of allRows(out)) {
          for (const m of ['testMse', 'weightNorm']) {
            expect(row.metrics.theory[m], `g=${row.generation} ${m}`).not.toBeNull();
            const z = row.metrics.z[m]!;
            if (Number.isNaN(z)) continue; // left out by the shape rule, with its reason
            checked++;
            expect(Math.abs(z), `g=${row.generation} ${m}: z = ${z}`).toBeLessThan(Z_BOUND);
          }
        }
        expect(checked).toBeGreaterThan(Number(c.generations));
        // the exact sd too: the sample variance against theory's, with its s.e. √((m4 − s⁴)/E) from the sample
        const last = allRows(out).pop()!.metrics;
        for (const m of ['testMse', 'weightNorm']) {
          const sd = last.theory[m]!.sd;
          if (sd === null) continue;
          const v = finalValues(out, m);
          const mean = v.reduce((a, b) => a + b, 0) / v.length;
          let m2 = 0;
          let m4 = 0;
          for (const x of v) {
            m2 += (x - mean) ** 2;
            m4 += (x - mean) ** 4;
          }
          m2 /= v.length;
          m4 /= v.length;
          const z = (m2 - sd * sd) / Math.sqrt((m4 - m2 * m2) / v.length);
          expect(Math.abs(z), `${m}: sample variance ${m2} against ${sd * sd}, z = ${z}`).toBeLessThan(Z_BOUND);
        }
      });
    }
  }

  it('a T = 10⁴ replace chain (stats) stays finite and matches E‖ŵ − w*‖² = Tσ²d/(n − d − 1)', async () => {
    const out = await runSpec(spec({ dim: '20', samples: '60', generations: '10000', experiments: '400', every: '10000', method: 'stats', seed: '7' }), 2);
    const f = allRows(out).pop()!.metrics;
    expect(f.theory['testMse']!.mean).toBeCloseTo((1e4 * 20) / 39, 9);
    expect(finalValues(out, 'testMse').every(Number.isFinite)).toBe(true);
    expect(Math.abs(f.z['testMse']!), `z = ${f.z['testMse']}`).toBeLessThan(Z_BOUND);
  }, 60_000);
});

describe('linreg against the literal numpy loop (np.linalg.lstsq on the stacked design)', () => {
  const cases: { name: string; flags: Record<string, string>; peer: string[] }[] = [
    { name: 'replace', flags: { dim: '4', samples: '9', generations: '4' }, peer: ['--regime', 'replace'] },
    { name: 'replace, n < d (min-norm)', flags: { dim: '9', samples: '5', generations: '4' }, peer: ['--regime', 'replace'] },
    { name: 'replace, ridge', flags: { dim: '6', samples: '8', generations: '4', ridge: '2.5' }, peer: ['--regime', 'replace', '--ridge', '2.5'] },
    { name: 'replace, ridge, n < d', flags: { dim: '8', samples: '5', generations: '4', ridge: '0.7' }, peer: ['--regime', 'replace', '--ridge', '0.7'] },
    { name: 'accumulate, ridge, τ', flags: { dim: '5', samples: '7', generations: '4', regime: 'accumulate', ridge: '1.5', temperature: '1.4' }, peer: ['--regime', 'accumulate', '--ridge', '1.5', '--temperature', '1.4'] },
    { name: 'accumulate, n < d', flags: { dim: '7', samples: '4', generations: '4', regime: 'accumulate' }, peer: ['--regime', 'accumulate'] },
    { name: 'fresh, τ', flags: { dim: '4', samples: '10', generations: '4', regime: 'fresh', fresh: '0.55', noise: '0.8', temperature: '3' }, peer: ['--regime', 'fresh', '--lam', '0.55', '--noise', '0.8', '--temperature', '3'] },
    { name: 'fresh, n < d, ridge', flags: { dim: '9', samples: '6', generations: '4', regime: 'fresh', fresh: '0.5', ridge: '0.3' }, peer: ['--regime', 'fresh', '--lam', '0.5', '--ridge', '0.3'] },
    { name: 'augment, partial copy', flags: { dim: '3', samples: '8', generations: '4', regime: 'augment', synthetic: '1.375', temperature: '0.8' }, peer: ['--regime', 'augment', '--lam', '1.375', '--temperature', '0.8'] },
    { name: 'augment, n < d, ridge', flags: { dim: '7', samples: '5', generations: '4', regime: 'augment', synthetic: '0.6', ridge: '0.5' }, peer: ['--regime', 'augment', '--lam', '0.6', '--ridge', '0.5'] },
  ];
  for (const c of cases) {
    it(`${c.name}: both metrics, both methods, by two-sample KS`, async () => {
      const E = 1500;
      const text = await python([PEER, '-n', c.flags['samples']!, '-d', c.flags['dim']!, '-t', c.flags['generations']!, '-e', String(E), '--seed', '3', ...c.peer]);
      const ref = text.trim().split('\n').map((l) => JSON.parse(l) as [number, number]);
      expect(ref).toHaveLength(E);
      for (const method of ['resample', 'stats']) {
        const out = await runSpec(spec({ ...c.flags, experiments: String(E), method, seed: '77' }), 2);
        ['testMse', 'weightNorm'].forEach((m, k) => {
          const p = ksPValue(finalValues(out, m), ref.map((r) => r[k]!));
          expect(p, `${method} ${m}: KS p = ${p}`).toBeGreaterThan(KS_P);
        });
      }
    }, 60_000);
  }
});

describe('linreg: the same bytes for any split of the work', () => {
  // the contract test covers fresh; these take the other paths: augment's second factor and its
  // partial copy, accumulate's per-generation refactor under ridge, the dual (n < d), stdlib
  const cases: Record<string, string>[] = [
    { regime: 'augment', synthetic: '1.5', dim: '3', samples: '6' },
    { regime: 'accumulate', ridge: '0.5', dim: '4', samples: '7' },
    { regime: 'replace', dim: '9', samples: '5', rng: 'stdlib' },
  ];
  for (const c of cases) {
    it(JSON.stringify(c), async () => {
      for (const method of ['resample', 'stats']) {
        const s = spec({ ...c, generations: '5', experiments: '70', every: '2', method });
        const inline = await runSpec(s, 1, undefined, planChunks(s), 'inline');
        const pool = await runSpec(s, 2, undefined, planChunks(s), 'pool');
        const chunks = planChunks(s);
        expect(chunks.length).toBeGreaterThan(3);
        const parts = [];
        for (const [a, b] of [[0, 2], [2, chunks.length]] as const) parts.push(...(await runChunkResults(s, 1, chunks.slice(a, b), undefined, 'inline')));
        const text = (o: RunOutcome) => trajectoryCsv(allRows(o)) + finalsCsv(o);
        expect(text(pool)).toBe(text(inline));
        expect(text(outcomeFromChunks(s, parts))).toBe(text(inline));
      }
    }, 60_000);
  }
});

describe('linreg in sweeps', () => {
  it('--dim is one axis for both families; --noise and --ridge are real flags (lists and ranges)', () => {
    const g = expandGrid({ model: 'gaussian,linreg', dim: '3', samples: '20' });
    expect(g.points.map((p) => [p.spec.model, p.spec.modelParams])).toEqual([
      ['gaussian', { dim: 3 }],
      ['linreg', { dim: 3, noise: 1, ridge: 0 }],
    ]);
    const r = expandGrid({ model: 'linreg', ridge: '0,0.1..10:log:3', noise: '0.5' });
    expect(r.points.map((p) => p.spec.modelParams['ridge'])).toEqual([0, 0.1, 1, 10]);
    expect(new Set(r.points.map((p) => p.hash)).size).toBe(4);
    // a linreg flag on a Gaussian point is refused, not ignored
    expect(() => expandGrid({ model: 'gaussian,linreg', noise: '0.5' })).toThrow(/--noise must be a flag of --model linreg/);
  });
});

describe('linreg bad input', () => {
  it('bad values are UsageErrors naming the flag, the rule and the value', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ noise: '-0.1' }, /--noise must be a finite number ≥ 0, got "-0.1"/],
      [{ ridge: '-1' }, /--ridge must be a finite number ≥ 0, got "-1"/],
      [{ ridge: 'inf' }, /--ridge must be a finite number/],
      [{ dim: '0' }, /--dim must be an integer from 1 to 1000, got "0"/],
      [{ dim: '1001' }, /--dim must be an integer from 1 to 1000/],
      [{ regime: 'accumulate-subsample' }, /--regime must be replace, accumulate, fresh or augment with --model linreg/],
      [{ sd0: '2' }, /--sd0 must be 1 \(its default\) with --model linreg/],
      [{ mean0: '1' }, /--mean0 must be 0/],
      [{ ddof: '1' }, /--ddof must be 0/],
    ];
    for (const [flags, re] of bad) {
      expect(() => spec(flags), JSON.stringify(flags)).toThrow(UsageError);
      expect(() => spec(flags)).toThrow(re);
    }
    // the defaults written out, as a result file's canonical spec has them, are accepted
    expect(() => spec({ sd0: '1', mean0: '0', ddof: '0', noise: '0', ridge: '0' })).not.toThrow();
    // linreg's flags are refused for the Gaussian; --dim is both families'
    expect(() => resolveRunSpec({ model: 'gaussian', noise: '1' } as RawRunFlags)).toThrow(/--noise must be a flag of --model linreg/);
    expect(resolveRunSpec({ model: 'gaussian', dim: '3' } as RawRunFlags).modelParams).toEqual({ dim: 3 });
    expect(spec({}).modelParams).toEqual({ dim: 10, noise: 1, ridge: 0 });
  });

  it('the CLI: exit 2, one line on stderr, nothing written', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-linreg-'));
    try {
      for (const args of [['--noise', '-1'], ['--ridge', '-2'], ['--regime', 'accumulate-subsample'], ['--sd0', '3']]) {
        const out = path.join(dir, 'r');
        const r = spawnSync(process.execPath, [CLI, 'run', '--model', 'linreg', ...args, '-e', '10', '-t', '2', '-n', '20', '-o', out], { encoding: 'utf8' });
        expect(r.status, args.join(' ')).toBe(2);
        expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr).toContain(args[0]!);
        expect(r.stderr).not.toMatch(/at .*\.js/);
        expect(fs.readdirSync(dir)).toEqual([]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help gives --dim for both families and lists --noise and --ridge', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '200' } });
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--dim --model gaussian: dimension d of the Gaussian .*; --model linreg: features d of the regression/);
    expect(help).toMatch(/--noise σ ≥ 0/);
    expect(help).toMatch(/--ridge λ ≥ 0/);
  });
});
