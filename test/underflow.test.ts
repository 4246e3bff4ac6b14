/**
 * No value is shown as 0 because it underflowed: a strictly positive metric (tr Σ̂ / tr Σ0) whose
 * statistics or exact mean fall below the smallest double is NA with its reason, and the human
 * table says `underflow`; where nothing underflowed its numbers stand.
 */
import { describe, expect, it } from 'vitest';
import { runSpec } from '../src/engine.js';
import { resolveRunSpec } from '../src/spec.js';
import { allRows, runTheory, trajectoryCsv } from '../src/summary.js';
import { humanTable } from '../src/commands/run.js';
import { METRIC_STATS } from '../src/digest.js';

describe('a strictly positive metric that underflowed', () => {
  it('d = 1, T = 30000: tr Σ̂/tr Σ0 = s²/σ0², whose exact log10 mean is far below the smallest double, is NA, never 0', async () => {
    const spec = resolveRunSpec({ samples: '10', generations: '30000', experiments: '64', method: 'stats', every: '10000' });
    const out = await runSpec(spec, 1, undefined, undefined, 'inline');
    const rows = allRows(out);
    const final = rows[rows.length - 1]!;
    // the independent fact: theory's log10 E[s_T²] (closed form, log space) is below log10(5e-324)
    const th = runTheory(spec, out.rows).rows[out.rows - 1]!;
    expect(th.sdSq!.log10Mean).toBeLessThan(-324);
    // the scalar block keeps it in log space; the metric, a plain double, is NA with its reason
    expect(final.sdSq.log10Mean).toBeLessThan(-324);
    const st = final.metrics.stats['traceRatio']!;
    for (const k of METRIC_STATS) expect(st[k], k).toBeNaN();
    expect(final.metrics.theory['traceRatio']!.mean).toBeNaN();
    expect(final.metrics.zCells['traceRatio']).toBe('underflow');
    expect(final.metrics.zReasons['traceRatio']).toMatch(/above 0 by construction, but its simulated mean.* and its exact mean fell below the smallest double/);
    const table = humanTable(spec, 1, final, 1, 1, 'x');
    expect(table).toMatch(/tr Σ̂ \/ tr Σ0: mean\s+underflow\s+underflow\s+underflow/);
    const last = trajectoryCsv(rows).trim().split('\n').pop()!;
    const head = trajectoryCsv(rows).split('\n')[0]!.split(',');
    expect(last.split(',')[head.indexOf('trace_ratio_mean')]).toBe('NA');
    // the other metrics keep their numbers
    expect(Number.isFinite(final.metrics.stats['log10DetRatio']!.mean)).toBe(true);
    expect(Number.isFinite(final.metrics.stats['meanSqErr']!.mean)).toBe(true);
  });

  it('where nothing underflowed (T = 50), every statistic and the z stand', async () => {
    const spec = resolveRunSpec({ samples: '10', generations: '50', experiments: '400', method: 'stats' });
    const out = await runSpec(spec, 1, undefined, undefined, 'inline');
    const final = allRows(out).pop()!;
    const st = final.metrics.stats['traceRatio']!;
    for (const k of METRIC_STATS) expect(st[k], k).toBeGreaterThan(0);
    expect(final.metrics.theory['traceRatio']!.mean).toBeGreaterThan(0);
    expect(final.metrics.zCells['traceRatio']).not.toBe('underflow');
  });
});
