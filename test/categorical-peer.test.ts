/**
 * The categorical engine against an independent numpy implementation of the chain
 * (test/fixtures/categorical_peer.py: Generator.multinomial, multivariate_hypergeometric) where no
 * closed form exists — temperature, top-k, top-p, smoothing, every regime — by two-sample z-scores
 * of the final generation's support, coverage, entropy and total variation.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSpec } from '../src/engine.js';
import { resolveRunSpec, type RawRunFlags } from '../src/spec.js';
import { allRows } from '../src/summary.js';
import { Z_BOUND } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PEER = path.join(ROOT, 'test', 'fixtures', 'categorical_peer.py');
const PYTHON = process.env['PYTHON'] ?? 'python3';

interface Case {
  K: number;
  dist: string;
  n: number;
  T: number;
  regime: string;
  lam: number;
  alpha: number;
  topk: number;
  topp: number;
  tau: number;
}

const CASES: Case[] = [
  { K: 30, dist: 'zipf:1.2', n: 40, T: 6, regime: 'replace', lam: 0, alpha: 0, topk: 8, topp: 1, tau: 0.8 },
  { K: 50, dist: 'uniform', n: 30, T: 5, regime: 'accumulate', lam: 0, alpha: 0, topk: 0, topp: 0.7, tau: 1.3 },
  { K: 20, dist: 'zipf:1', n: 25, T: 6, regime: 'fresh', lam: 0.3, alpha: 0, topk: 5, topp: 1, tau: 1 },
  { K: 40, dist: 'zipf:0.7', n: 20, T: 5, regime: 'accumulate-subsample', lam: 0, alpha: 0, topk: 0, topp: 0.9, tau: 0.6 },
  { K: 30, dist: 'uniform', n: 20, T: 5, regime: 'augment', lam: 1.5, alpha: 0, topk: 10, topp: 1, tau: 1.5 },
  { K: 25, dist: 'zipf:1.5', n: 30, T: 6, regime: 'replace', lam: 0, alpha: 0.3, topk: 12, topp: 0.95, tau: 0.9 },
];

const E_PEER = 2000;
const E_ENGINE = 4000;
const METRICS = ['support', 'coverage', 'entropy', 'tv'] as const;

describe('categorical engine against a numpy peer', () => {
  for (const c of CASES) {
    const label = `${c.regime} K=${c.K} ${c.dist} n=${c.n} T=${c.T} τ=${c.tau} top-k=${c.topk} top-p=${c.topp} α=${c.alpha}`;
    it(label, async () => {
      const r = spawnSync(
        PYTHON,
        [PEER, ...[c.K, c.dist, c.n, c.T, E_PEER, 12345, c.regime, c.lam, c.alpha, c.topk, c.topp, c.tau].map(String)],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      const peer = JSON.parse(r.stdout) as Record<string, { mean: number; se: number }>;
      const flags: Record<string, string> = {
        model: 'categorical',
        categories: String(c.K),
        dist: c.dist,
        samples: String(c.n),
        generations: String(c.T),
        experiments: String(E_ENGINE),
        every: String(c.T),
        regime: c.regime,
        smoothing: String(c.alpha),
        'top-k': String(c.topk),
        'top-p': String(c.topp),
        temperature: String(c.tau),
        seed: '77',
      };
      if (c.regime === 'fresh') flags['fresh'] = String(c.lam);
      if (c.regime === 'augment') flags['synthetic'] = String(c.lam);
      const out = await runSpec(resolveRunSpec(flags as RawRunFlags), 2);
      const f = allRows(out).pop()!.metrics;
      let compared = 0;
      for (const m of METRICS) {
        const a = f.stats[m]!;
        const b = peer[m]!;
        const se = Math.sqrt((a.sd * a.sd) / E_ENGINE + b.se * b.se);
        if (!(se > 0)) {
          // a constant metric (support = K under smoothing): both sides must hold the same constant
          expect(a.mean, m).toBeCloseTo(b.mean, 12);
          continue;
        }
        compared++;
        const z = (a.mean - b.mean) / se;
        expect(Math.abs(z), `${m}: engine ${a.mean} vs numpy ${b.mean}, z = ${z}`).toBeLessThan(Z_BOUND);
      }
      expect(compared).toBeGreaterThan(1);
    }, 120_000);
  }
});
