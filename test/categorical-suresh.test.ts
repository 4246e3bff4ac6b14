/**
 * The categorical family's lower bounds on E[support_t] and E[coverage_t] from the survival bound
 * of Suresh et al. (docs/theory.md §17): the conditional form P(X(t) > 0 | X(1) = c) ≥ 1 − e^(−c/(t−1))
 * against the exact Wright–Fisher chain iterated here from log-gamma pmfs; the averaged bound never
 * above the exact expectations of the engine's chain over a grid of n, K, β and t, equal at t = 1;
 * its values against an independent summation in scipy (test/fixtures/suresh_bound.py) and a hand
 * value; and where it shows up (summary.json, trajectory.csv, the table), null with a reason where
 * its hypotheses fail, never a z.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import gammaln from '@stdlib/math-base-special-gammaln';
import { describe, expect, it } from 'vitest';
import { executeRun } from '../src/execute.js';
import { resolveRunSpec, type RawRunFlags, type RunSpec } from '../src/spec.js';
import { categorical, chainLaws, sureshAlive, sureshBounds } from '../src/families/categorical.js';
import { startDistribution } from '../workers/families/categorical.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const PEER = path.join(ROOT, 'test', 'fixtures', 'suresh_bound.py');
const PYTHON = process.env['PYTHON'] ?? 'python3';

function spec(flags: Record<string, string>): RunSpec {
  return resolveRunSpec({ model: 'categorical', seed: '3', ...flags } as RawRunFlags);
}

/** bound ≤ exact, up to the rounding of the two computations (they agree to ~1e-14 where equal). */
function below(bound: number, exact: number): boolean {
  return bound <= exact * (1 + 1e-10) + 1e-300;
}

/**
 * P(X(t) > 0 | X(1) = c) for every c in 0..n and t = 1..T: the Wright–Fisher transition matrix
 * Binomial(n, x/n) from log-gamma, applied T − 1 times to the indicator of {X > 0} (backward
 * iteration, all starting counts at once). out[t − 1][c].
 */
function conditionalSurvival(n: number, T: number): Float64Array[] {
  const P: Float64Array[] = [];
  for (let x = 0; x <= n; x++) {
    const row = new Float64Array(n + 1);
    const p = x / n;
    for (let k = 0; k <= n; k++) {
      if (p === 0) row[k] = k === 0 ? 1 : 0;
      else if (p === 1) row[k] = k === n ? 1 : 0;
      else row[k] = Math.exp(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p));
    }
    P.push(row);
  }
  let h = Float64Array.from({ length: n + 1 }, (_, c) => (c > 0 ? 1 : 0));
  const out = [h];
  for (let t = 2; t <= T; t++) {
    const nh = new Float64Array(n + 1);
    for (let x = 0; x <= n; x++) {
      let s = 0;
      for (let k = 0; k <= n; k++) s += P[x]![k]! * h[k]!;
      nh[x] = s;
    }
    h = nh;
    out.push(h);
  }
  return out;
}

describe('the survival bound against the exact chain', () => {
  it('P(X(t) > 0 | X(1) = c) ≥ 1 − exp(−c/(t − 1)) for every c ≤ n, t ≤ 80, n = 1 … 40', () => {
    let tightest = Infinity;
    for (const n of [1, 2, 3, 4, 6, 10, 17, 40]) {
      const S = conditionalSurvival(n, 80);
      for (let t = 2; t <= 80; t++) {
        for (let c = 0; c <= n; c++) {
          const b = -Math.expm1(-c / (t - 1));
          const e = S[t - 1]![c]!;
          expect(below(b, e), `n = ${n}, t = ${t}, c = ${c}: bound ${b} > exact ${e}`).toBe(true);
          if (c > 0 && e < 1) tightest = Math.min(tightest, e - b);
        }
      }
    }
    // tight to a few per cent somewhere (c = 1, t = 2, n = 40: 1 − (1 − 1/40)^40 = 0.636 against 0.632)
    expect(tightest).toBeLessThan(0.01);
  });

  it('E[support_t] and E[coverage_t] bounds never exceed the exact values (per category too), and equal them at t = 1', () => {
    const gens = [1, 2, 3, 4, 6, 9, 15, 30, 60, 150, 400];
    let checked = 0;
    for (const n of [1, 2, 3, 5, 12, 40, 200]) {
      for (const [K, dist] of [
        [2, 'uniform'],
        [7, 'zipf:0.5'],
        [30, 'zipf:1.1'],
        [12, 'zipf:2.5'],
        [50, 'uniform'],
      ] as const) {
        const L = chainLaws(K, dist, n, gens);
        const B = sureshBounds(K, dist, n, gens);
        gens.forEach((t, i) => {
          const where = `n = ${n}, K = ${K}, ${dist}, t = ${t}`;
          expect(below(B.support[i]!, L.support[i]!), `${where}: support bound ${B.support[i]} > exact ${L.support[i]}`).toBe(true);
          expect(below(B.coverage[i]!, L.coverage[i]!), `${where}: coverage bound ${B.coverage[i]} > exact ${L.coverage[i]}`).toBe(true);
          expect(B.support[i]!).toBeGreaterThan(0);
          checked++;
        });
        // per distinct start probability, against the chain's P(alive)
        const p0 = startDistribution(K, dist);
        const distinct = [...new Set(p0)];
        distinct.forEach((v, d) => gens.forEach((t, i) => expect(below(sureshAlive(n, v, t), L.aliveByValue[d]![i]!), `p = ${v}, n = ${n}, t = ${t}`).toBe(true)));
        // at t = 1 no resampling has happened: the bound is the exact 1 − (1 − p)^n
        expect(B.support[0]! / L.support[0]!).toBeCloseTo(1, 12);
        expect(B.coverage[0]! / L.coverage[0]!).toBeCloseTo(1, 12);
      }
    }
    expect(checked).toBe(7 * 5 * gens.length);
  });

  it('close to exact right after the first fit when n is large, far below once t is of order n', () => {
    const L = chainLaws(50, 'uniform', 200, [2, 400]);
    const B = sureshBounds(50, 'uniform', 200, [2, 400]);
    expect(B.support[0]! / L.support[0]!).toBeGreaterThan(0.99);
    // E[support] stays ≥ 1 (one category always survives) while the bound decays like n/t
    expect(L.support[1]!).toBeGreaterThan(1);
    expect(B.support[1]!).toBeLessThan(0.6);
  });
});

describe('the bound against an independent evaluation', () => {
  it('a hand value: K = 2 uniform, n = 2, t = 2 gives 2 − (1 + 1/e)²/2', () => {
    const b = sureshBounds(2, 'uniform', 2, [2]);
    expect(b.support[0]!).toBeCloseTo(2 - (1 + Math.exp(-1)) ** 2 / 2, 14);
    expect(b.coverage[0]!).toBeCloseTo((2 - (1 + Math.exp(-1)) ** 2 / 2) / 2, 14);
  });

  for (const [K, dist, n, ts] of [
    [5, 'uniform', 10, [1, 2, 4, 30]],
    [20, 'zipf:1.1', 50, [1, 3, 20, 200]],
    [7, 'zipf:2.5', 3, [2, 5]],
    [1000, 'zipf:1', 1000, [1, 10, 100, 5000]],
  ] as const) {
    it(`K = ${K}, ${dist}, n = ${n}, t = ${ts.join(', ')}: the closed form against a direct sum over the binomial pmf (scipy)`, () => {
      const r = spawnSync(PYTHON, [PEER, String(K), dist, String(n), ...ts.map(String)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const peer = JSON.parse(r.stdout) as { support: number[]; coverage: number[] };
      const b = sureshBounds(K, dist, n, ts);
      ts.forEach((t, i) => {
        expect(b.support[i]! / peer.support[i]!, `support at t = ${t}`).toBeCloseTo(1, 11);
        expect(b.coverage[i]! / peer.coverage[i]!, `coverage at t = ${t}`).toBeCloseTo(1, 11);
      });
    });
  }
});

describe('where the bound shows up', () => {
  it('summary.json theory.supportSuresh and coverageSuresh, trajectory.csv columns, no z; the table says ≥ … (Suresh)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-suresh-'));
    try {
      const s = spec({ categories: '20', dist: 'zipf:1.1', samples: '50', generations: '20', experiments: '200', every: '5' });
      await executeRun(s, 1, dir);
      const doc = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as {
        theory: Record<string, unknown> & { reasons: Record<string, string> };
        z: Record<string, unknown>;
      };
      const B = sureshBounds(20, 'zipf:1.1', 50, [5, 10, 15, 20]);
      expect(doc.theory['supportSuresh']).toBe(B.support[3]);
      expect(doc.theory['coverageSuresh']).toBe(B.coverage[3]);
      expect(doc.theory.reasons['supportSuresh']).toBeUndefined();
      expect(Object.keys(doc.z).filter((k) => /suresh/i.test(k))).toEqual([]);
      const lines = fs.readFileSync(path.join(dir, 'trajectory.csv'), 'utf8').trim().split('\n');
      const head = lines[0]!.split(',');
      // after every metric column, so those keep their positions
      expect(head.slice(-2)).toEqual(['theory_support_suresh', 'theory_coverage_suresh']);
      expect(head.filter((c) => /suresh/.test(c) && c.startsWith('z_'))).toEqual([]);
      lines.slice(1).forEach((l, i) => {
        const cells = l.split(',');
        expect(Number(cells[head.indexOf('theory_support_suresh')])).toBe(B.support[i]);
        expect(Number(cells[head.indexOf('theory_coverage_suresh')])).toBe(B.coverage[i]);
        expect(Number(cells[head.indexOf('theory_support_suresh')])).toBeLessThan(Number(cells[head.indexOf('theory_support_mean')]));
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const cli = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-suresh-cli-'));
    const r = spawnSync(process.execPath, [CLI, 'run', '--model', 'categorical', '--categories', '20', '-n', '50', '-t', '20', '-e', '20', '-o', cli], { encoding: 'utf8' });
    fs.rmSync(cli, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    const b = sureshBounds(20, 'uniform', 50, [20]);
    expect(r.stdout).toMatch(new RegExp(`categories with p̂ > 0: bound +≥ ${b.support[0]!.toPrecision(5).replace('.', '\\.')} \\(Suresh\\)`));
  }, 60_000);

  it('null with the reason under other regimes, temperature, truncation or smoothing; and the other families have none', () => {
    for (const [flags, why] of [
      [{ regime: 'accumulate' }, /--regime accumulate/],
      [{ regime: 'fresh', fresh: '0.3' }, /--regime fresh/],
      [{ temperature: '0.9' }, /--temperature/],
      [{ 'top-k': '3' }, /--top-k/],
      [{ 'top-p': '0.8' }, /--top-p/],
      [{ smoothing: '0.5' }, /--smoothing/],
    ] as const) {
      const s = spec({ categories: '5', samples: '10', generations: '3', ...flags });
      const th = categorical.theory(s, [1, 3]);
      expect(th.bounds!['supportSuresh']).toEqual([null, null]);
      expect(th.bounds!['coverageSuresh']).toEqual([null, null]);
      expect(th.reasons['supportSuresh']).toMatch(/Suresh et al\. \(2024\)/);
      expect(th.reasons['supportSuresh']).toMatch(why);
    }
    // fresh with round(λn) = 0 is replace: the bound holds
    const f = categorical.theory(spec({ categories: '5', samples: '10', generations: '3', regime: 'fresh', fresh: '0.01' }), [3]);
    expect(f.bounds!['supportSuresh']![0]).toBe(sureshBounds(5, 'uniform', 10, [3]).support[0]);
  });

  it('kept where the exact chain is beyond its budget (it costs K terms per generation), null with the cost beyond its own', () => {
    const s = spec({ categories: '10000', dist: 'zipf:1', samples: '10000', generations: '100' });
    const th = categorical.theory(s, [100]);
    expect(th.rows['support']![0]).toBeNull();
    expect(th.bounds!['supportSuresh']![0]).toBe(sureshBounds(10000, 'zipf:1', 10000, [100]).support[0]);
    // 10^7 distinct Zipf probabilities × 6 generations = 6·10^7 terms > 5·10^7
    const big = spec({ categories: '10000000', dist: 'zipf:1.1', samples: '100', generations: '6' });
    const tb = categorical.theory(big, [1, 2, 3, 4, 5, 6]);
    expect(tb.bounds!['supportSuresh']).toEqual([null, null, null, null, null, null]);
    expect(tb.reasons['supportSuresh']).toMatch(/6\.0e\+7 terms \(10000000 distinct start probabilities × 6 generations\)/);
  }, 60_000);
});
