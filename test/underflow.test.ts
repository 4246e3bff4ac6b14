/**
 * No value is shown as 0 because it underflowed: a strictly positive metric (tr Σ̂ / tr Σ0) whose
 * statistics or exact mean fall below the smallest double is NA with its reason, and the human
 * table says `underflow`; where nothing underflowed its numbers stand.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/plot/csv.js';
import { runSpec } from '../src/engine.js';
import { resolveRunSpec } from '../src/spec.js';
import { allRows, runTheory, trajectoryCsv } from '../src/summary.js';
import { humanTable } from '../src/commands/run.js';
import { METRIC_STATS } from '../src/digest.js';

const CLI = path.join(path.resolve(import.meta.dirname, '..'), 'dist', 'src', 'cli.js');

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

describe('the metric figure of a metric that underflowed', () => {
  it('runs its axis to the last generation and says from when it is NA; a shallow run\'s figure has neither', () => {
    const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-underflow-'));
    try {
      const run = (out: string, t: string) =>
        spawnSync(process.execPath, [CLI, 'run', '--dim', '2', '-n', '10', '-t', t, '--every', '100', '-e', '50', '--method', 'stats', '-o', out], { cwd: TMP, encoding: 'utf8', timeout: 120_000 });
      expect(run('deep', '8000').status).toBe(0);
      const traj = parseCsv(fs.readFileSync(path.join(TMP, 'deep', 'trajectory.csv'), 'utf8'));
      const col = (c: string) => traj.rows.map((r) => r[traj.columns.indexOf(c)]!);
      // the first row where neither the simulated median nor mean nor theory is a number
      const na = (i: number) => ['trace_ratio_p50', 'trace_ratio_mean', 'theory_trace_ratio_mean'].every((c) => col(c)[i] === 'NA');
      const first = traj.rows.findIndex((_, i) => na(i) && traj.rows.slice(i).every((__, j) => na(i + j)));
      expect(first).toBeGreaterThan(0);
      const spec = JSON.parse(fs.readFileSync(path.join(TMP, 'deep', 'figures', 'metric-trace_ratio.vl.json'), 'utf8')) as {
        title: { subtitle: string | string[] };
        layer: { encoding: { x: { scale: { domain?: number[] } } } }[];
      };
      expect([spec.title.subtitle].flat().join(' ')).toContain(`NA from t = ${col('generation')[first]}: below the smallest double (underflow)`);
      expect(spec.layer[0]!.encoding.x.scale.domain).toEqual([100, 8000]);
      expect(run('shallow', '300').status).toBe(0);
      const shallow = fs.readFileSync(path.join(TMP, 'shallow', 'figures', 'metric-trace_ratio.vl.json'), 'utf8');
      expect(shallow).not.toContain('NA from');
      expect(shallow).not.toContain('"domain":[100');
    } finally {
      fs.rmSync(TMP, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('collapse table on a metric that underflowed', () => {
  it('says underflow where the run and the sweep read NA (LaTeX and Markdown), and keeps NA in CSV; a point that did not underflow keeps its numbers', () => {
    const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-underflow-table-'));
    try {
      const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: TMP, encoding: 'utf8', timeout: 120_000 });
      const flags = ['--dim', '2', '-n', '10', '-e', '200', '--method', 'stats', '--no-plot'];
      expect(cli('run', ...flags, '-t', '20000', '--every', '20000', '-o', 'run').status).toBe(0);
      expect(cli('sweep', ...flags, '-t', '100,20000', '--every', '20000', '-o', 'sweep').status).toBe(0);
      // the tr Σ̂ / tr Σ0 block (mean, ± s.e., theory, z) follows ‖μ̂ − μ0‖²'s four columns
      const md = (dir: string) => cli('table', dir, '--format', 'markdown').stdout;
      const runMd = md('run');
      expect(runMd).toMatch(/\| 10 \| 20000 \|( [^|]+ \|){4} underflow \| underflow \| underflow \| underflow \|/);
      const sweepMd = md('sweep');
      expect(sweepMd).toMatch(/\| 20000 \|( [^|]+ \|){4} underflow \| underflow \| underflow \| underflow \|/);
      // the shallow point keeps its numbers
      const shallow = sweepMd.split('\n').find((l) => l.startsWith('| 100 |'))!;
      expect(shallow).not.toContain('underflow');
      expect(shallow.split('|').map((c) => c.trim())[6]).toMatch(/^\d/);
      expect(cli('table', 'sweep', '--format', 'latex').stdout).toContain('underflow');
      const csv = cli('table', 'sweep', '--format', 'csv').stdout;
      expect(csv).not.toContain('underflow');
      expect(csv.trim().split('\n').pop()!.split(',').slice(5, 9)).toEqual(['NA', 'NA', 'NA', 'NA']);
    } finally {
      fs.rmSync(TMP, { recursive: true, force: true });
    }
  }, 120_000);
});
