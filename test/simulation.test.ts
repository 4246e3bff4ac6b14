/**
 * The engine against exact theory: simulated means of sd, log10 sd, sd², (m − m0)² and W2² for
 * several (n, T, ddof, τ), both generators and both methods, by z-score, at every recorded
 * generation; one deep case with the sd far below 1e-300; and identical statistics for any worker
 * count.
 */
import { describe, expect, it } from 'vitest';
import { runSpec } from '../src/engine.js';
import { resolveRunSpec, type RunSpec } from '../src/spec.js';
import { allRows } from '../src/summary.js';
import { Z_BOUND } from './helpers.js';

function spec(flags: Record<string, string>): RunSpec {
  return resolveRunSpec(flags);
}

const CASES: { name: string; flags: Record<string, string> }[] = [
  { name: 'the article, fewer experiments', flags: { samples: '1000', generations: '1000', experiments: '300', every: '100' } },
  { name: 'n = 10, ddof 1', flags: { samples: '10', generations: '100', experiments: '4000', ddof: '1', every: '5' } },
  { name: 'n = 2, the smallest sample', flags: { samples: '2', generations: '40', experiments: '20000', every: '4' } },
  { name: 'n = 50, ddof 1, stdlib generator', flags: { samples: '50', generations: '200', experiments: '1000', ddof: '1', rng: 'stdlib', every: '20' } },
  { name: 'mean0 = 1e6, sd0 = 1e-3', flags: { samples: '20', generations: '100', experiments: '3000', mean0: '1e6', sd0: '0.001', every: '25' } },
  // The specialised stats kernel at small n, where Var[m_T] = (1 + r + … + r^(T−1))/n with r = 2/3
  // is far from the (r + … + r^T)/n of a mean stepped with the new sd instead of the old (1.0 vs 0.67).
  { name: 'n = 3, --method stats', flags: { samples: '3', generations: '30', experiments: '20000', every: '3', method: 'stats' } },
  // Temperature: E[s_T²] = τ^(T−1) r^T and Var[m_T] = (1 + Σ_{t<T} τ^t r^t)/n; a τ^T or a missing τ
  // is off by 50% in E[s²] (sd 32% of it here) or by 2.6x in Var[m_T].
  { name: 'τ = 1.5, n = 100, ddof 1, --method stats', flags: { samples: '100', generations: '5', experiments: '4000', ddof: '1', temperature: '1.5', every: '1', method: 'stats' } },
  { name: 'τ = 1.5, n = 10, resample', flags: { samples: '10', generations: '8', experiments: '6000', temperature: '1.5', every: '2' } },
  { name: 'τ = 0.7, n = 3, --method stats (gamma shape 1)', flags: { samples: '3', generations: '12', experiments: '20000', temperature: '0.7', every: '3', method: 'stats' } },
];

describe('simulation against closed forms', () => {
  for (const c of CASES) {
    it(`${c.name}: z-scores within ±${Z_BOUND} at every recorded generation`, async () => {
      const s = spec({ ...c.flags, seed: '2024' });
      const out = await runSpec(s, 2);
      const rows = allRows(out);
      expect(rows.length).toBe(Math.ceil(s.generations / s.every));
      expect(rows[rows.length - 1]!.generation).toBe(s.generations);
      let checked = 0;
      for (const r of rows) {
        const where = `generation ${r.generation}`;
        expect(Math.abs(r.z.log10SdMean), `log10 sd ${where}`).toBeLessThan(Z_BOUND);
        // src/zscore.ts leaves a z out (NaN, with the reason) where its statistic is not yet near-normal
        const ok = { sd: Number.isFinite(r.z.sdMean), m: Number.isFinite(r.z.meanVar), w: Number.isFinite(r.z.w2sqMean) };
        if (ok.m) expect(Math.abs(r.z.meanVar), `Var[m] ${where}`).toBeLessThan(Z_BOUND);
        if (ok.w) expect(Math.abs(r.z.w2sqMean), `W2² ${where}`).toBeLessThan(Z_BOUND);
        if (ok.sd) expect(Math.abs(r.z.sdMean), `sd ${where}`).toBeLessThan(Z_BOUND);
        if (Number.isFinite(r.z.sdSqMean)) expect(Math.abs(r.z.sdSqMean), `sd² ${where}`).toBeLessThan(Z_BOUND);
        for (const k of ['sdMean', 'meanVar', 'w2sqMean', 'sdSqMean'] as const) {
          if (!Number.isFinite(r.z[k])) expect(r.z.reasons[k], `${k} ${where}`).toBeTypeOf('string');
        }
        checked += Number(ok.m) + Number(ok.sd) + Number(Number.isFinite(r.z.sdSqMean));
        expect(Number.isFinite(r.sd['log10Mean']!)).toBe(true);
      }
      expect(checked).toBeGreaterThan(0); // each case checks some plain means too
    });
  }

  it('stays exact where the sd falls far below 1e-300 (n = 3, T = 3000: E[log10 s_T] = −640)', async () => {
    const s = spec({ samples: '3', generations: '3000', experiments: '3000', every: '300', seed: '99' });
    const out = await runSpec(s, 2);
    const rows = allRows(out);
    const f = rows[rows.length - 1]!;
    expect(f.theory.log10Sd!.mean).toBeCloseTo(-640.159, 2);
    expect(f.log10Sd['max']!).toBeLessThan(-300); // every chain is far below the smallest double
    expect(f.sd['mean']).toBe(0); // the plain double underflows…
    expect(Number.isFinite(f.sd['log10Mean']!)).toBe(true); // …the log10 field carries it
    for (const r of rows) {
      expect(Math.abs(r.z.log10SdMean), `generation ${r.generation}`).toBeLessThan(Z_BOUND);
      if (Number.isFinite(r.z.meanVar)) expect(Math.abs(r.z.meanVar), `generation ${r.generation}`).toBeLessThan(Z_BOUND);
    }
  });

  it('gives identical statistics on 1, 2 and 3 workers and on the calling thread', async () => {
    const s = spec({ samples: '30', generations: '50', experiments: '777', every: '7', seed: '5' });
    const a = await runSpec(s, 1, undefined, undefined, 'pool');
    const b = await runSpec(s, 2, undefined, undefined, 'pool');
    const c = await runSpec(s, 3, undefined, undefined, 'pool');
    const d = await runSpec(s, 2, undefined, undefined, 'inline');
    expect(Buffer.from(d.moments.data.buffer).equals(Buffer.from(a.moments.data.buffer))).toBe(true);
    expect(Buffer.from(b.moments.data.buffer).equals(Buffer.from(a.moments.data.buffer))).toBe(true);
    expect(Buffer.from(c.moments.data.buffer).equals(Buffer.from(a.moments.data.buffer))).toBe(true);
    for (let r = 0; r < a.rows; r++) expect(Buffer.from(c.lnSd[r]!.buffer).equals(Buffer.from(a.lnSd[r]!.buffer))).toBe(true);
    expect(Buffer.from(c.finalMean.buffer).equals(Buffer.from(a.finalMean.buffer))).toBe(true);
  });

  it('the fast and stdlib generators agree in distribution (two-sample z on mean log10 sd)', async () => {
    const base = { samples: '5', generations: '30', experiments: '6000', seed: '3' };
    const fa = allRows(await runSpec(spec({ ...base, rng: 'fast' }), 2)).pop()!;
    const st = allRows(await runSpec(spec({ ...base, rng: 'stdlib' }), 2)).pop()!;
    const se = Math.sqrt((fa.log10Sd['sd']! ** 2 + st.log10Sd['sd']! ** 2) / 6000);
    expect(Math.abs(fa.log10Sd['mean']! - st.log10Sd['mean']!) / se).toBeLessThan(Z_BOUND);
  });
});
