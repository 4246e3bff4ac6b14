/**
 * Honest numbers at the extremes: no statistic reads as a silent 0 where the double underflows
 * (each carries its log10 in summary.json and trajectory.csv, checked against a shifted two-pass
 * computation on the run's own ln sd values and against mpmath), and a z-score is given only with
 * the standard error of its own statistic (the laws behind them against mpmath and a simulation),
 * and left out, with the reason, where that statistic is not yet near-normal.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { humanTable } from '../src/commands/run.js';
import { runSpec, type RunOutcome } from '../src/engine.js';
import { resolveRunSpec } from '../src/spec.js';
import { allRows, runTheory, summaryDocument, toJson, trajectoryCsv, TRAJECTORY_COLUMNS, type RowStats } from '../src/summary.js';
import { replaceLaws } from '../src/theory.js';
import { Z_BOUND } from './helpers.js';

const LN10 = Math.LN10;

async function run(flags: Record<string, string>): Promise<{ out: RunOutcome; rows: RowStats[] }> {
  const out = await runSpec(resolveRunSpec({ method: 'stats', ...flags }), 1, undefined, undefined, 'inline');
  return { out, rows: allRows(out) };
}

function summary(out: RunOutcome, f: RowStats): Record<string, any> {
  const timing = { wallSeconds: 1, normalsPerSecond: NaN, generationStepsPerSecond: 1, draws: 0 };
  return JSON.parse(toJson(summaryDocument(out.spec, 1, f, runTheory(out.spec, out.rows), timing, {} as never)));
}

/** Type-7 quantile of exp(x) from values scaled by the largest (a shift, not the code's log1p form). */
function lnQuantileShifted(lnValues: Float64Array, p: number): number {
  const sorted = Float64Array.from(lnValues).sort();
  const top = sorted[sorted.length - 1]!;
  const y = Array.from(sorted, (l) => Math.exp(l - top));
  const h = (y.length - 1) * p;
  const lo = Math.floor(h);
  const v = lo + 1 < y.length ? y[lo]! + (h - lo) * (y[lo + 1]! - y[lo]!) : y[lo]!;
  return Math.log(v) + top;
}

describe('no silent zeros where the sd underflows (n = 10, T = 10000: E[s_T] = 10^-349)', async () => {
  const { out, rows } = await run({ samples: '10', generations: '10000', experiments: '300', every: '10000', seed: '1' });
  const f = rows[rows.length - 1]!;
  const ln = out.lnSd[out.rows - 1]!;
  const E = ln.length;
  const top = Math.max(...ln);

  it('the run is deep enough that every plain double is 0', () => {
    expect(top / LN10).toBeLessThan(-320);
    expect(f.sd['p50']).toBe(0);
    expect(f.sdSq.mean).toBe(0);
  });

  it('quantiles, sd and sd² carry log10 values equal to a shifted two-pass computation', () => {
    for (const [name, p] of [['P05', 0.05], ['P25', 0.25], ['P50', 0.5], ['P75', 0.75], ['P95', 0.95]] as const) {
      expect(f.sd[`log10${name}`]!).toBeCloseTo(lnQuantileShifted(ln, p) / LN10, 9);
    }
    const y = Array.from(ln, (l) => Math.exp(l - top));
    const m = y.reduce((a, b) => a + b, 0) / E;
    const v = y.reduce((a, b) => a + (b - m) ** 2, 0) / (E - 1);
    expect(f.sd['log10Sd']!).toBeCloseTo((0.5 * Math.log(v) + top) / LN10, 9);
    const y2 = y.map((x) => x * x);
    const m2 = y2.reduce((a, b) => a + b, 0) / E;
    const v2 = y2.reduce((a, b) => a + (b - m2) ** 2, 0) / (E - 1);
    expect(f.sdSq.log10Mean).toBeCloseTo((Math.log(m2) + 2 * top) / LN10, 9);
    expect(f.sdSq.log10Sd).toBeCloseTo((0.5 * Math.log(v2) + 2 * top) / LN10, 9);
    expect(f.sd['log10Min']!).toBe(Math.min(...ln) / LN10);
    expect(f.sd['log10Max']!).toBe(top / LN10);
  });

  it('theory gives log10 of E[s_T²], its sd and the Markov bound (mpmath, 40 digits)', () => {
    const th = f.theory;
    // test/fixtures: mpmath, T·log10(k/n), log10(E[s²]·√((1 + 2/k)^T − 1)), T·log10 c + 1
    expect(th.sdSq!.log10Mean).toBeCloseTo(-457.57490560675125, 9);
    expect(th.sdSq!.log10Sd).toBeCloseTo(-21.824027012250423, 9);
    expect(th.aboveEpsilon.markovLog10!).toBeCloseTo(-348.180132174836, 9);
  });

  it('summary.json and trajectory.csv carry every log10 beside its value', () => {
    const doc = summary(out, f);
    expect(doc.final.sdSq.mean).toBe(0);
    expect(doc.final.sdSq.log10Mean).toBeCloseTo(f.sdSq.log10Mean, 12);
    expect(doc.final.sd.log10P50).toBeCloseTo(f.sd['log10P50']!, 12);
    expect(doc.theory.sdSq.log10Mean).toBeCloseTo(-457.57490560675125, 9);
    expect(doc.theory.aboveEpsilon.markovLog10).toBeCloseTo(-348.180132174836, 9);
    expect(doc.theory.laws).toBeUndefined();
    const [head, ...lines] = trajectoryCsv(rows).trim().split('\n');
    const cols = head!.split(',');
    expect(cols.slice(0, 41)).toEqual([...TRAJECTORY_COLUMNS].slice(0, 41)); // the original columns, in place
    const last = lines[lines.length - 1]!.split(',');
    const at = (c: string) => Number(last[cols.indexOf(c)]);
    expect(at('sd_p50')).toBe(0);
    expect(at('sd_p50_log10')).toBeCloseTo(lnQuantileShifted(ln, 0.5) / LN10, 9);
    expect(at('sd_sq_mean')).toBe(0);
    expect(at('sd_sq_mean_log10')).toBeCloseTo(f.sdSq.log10Mean, 12);
    expect(at('theory_sd_sq_mean_log10')).toBeCloseTo(-457.57490560675125, 9);
    expect(at('theory_above_epsilon_markov_log10')).toBeCloseTo(-348.180132174836, 9);
    expect(at('theory_sd_sd_log10')).toBeCloseTo(f.theory.sd!.log10Sd, 12);
  });

  it('the printed table shows none of them as 0', () => {
    const t = humanTable(out.spec, 1, f, 1, 1, 'dir');
    const line = (label: string) => t.split('\n').find((l) => l.startsWith(label))!;
    for (const label of ['sd: sd', 'sd: median', 'sd²: mean']) expect(line(label), label).not.toMatch(/(^|[\s[])0([\s,\]]|$)/);
    expect(line('sd: median')).toContain(`10^${Number((lnQuantileShifted(ln, 0.5) / LN10).toPrecision(5))} [`);
    expect(line('share with sd')).toContain('≤ 10^-348.18 (Markov)');
  });
});

describe('the laws behind the z-scores', () => {
  // test/fixtures/laws_mpmath.py: [n, T, ddof, τ, s0, skew and excess kurtosis of s_T, of s_T², of ln s_T, κ of m_T, Var[W2²]]
  const cwd = path.dirname(new URL(import.meta.url).pathname);
  const pinned: number[][] = [
    [20, 10, 0, 1, 1, 1.636458448066645, 4.935614296577743, 5.414917309505154, 73.25133154478759, -0.10524791288931533, 0.022131824187224456, 3.931740067437193, 0.5584953890966988],
    [10, 100, 1, 1, 1, 2367.7709935448042, 522901247.67368346, 409803347901.0587, 2.753858860116495e29, -0.04962456997802429, 0.004901464800916758, 7004083.6269501755, 1686150314.471726],
    [2, 7, 0, 1, 2.5, 27.478625941320704, 2358.4668822506305, 1671.6559744726214, 29445750.280093987, -0.5802289823321299, 0.5714285714285714, 7.155992311984624, 242.3681745205191],
    [5, 40, 0, 1.3, 1, 639.2948474771761, 11215239.781733964, 330654703.13405794, 8.225264827718395e20, -0.12336748623715761, 0.02968814377991405, 621928.6510561365, 515451143.231209],
    [1000, 3, 1, 0.8, 1, 0.09045524734013119, 0.013359462894142193, 0.2070765179616803, 0.07376293274276984, -0.02584573468350132, 0.0013360035555409458, 3.0025058853734343, 0.00016485469652957474],
    [3, 150, 0, 1, 1, 3.510992977511118e18, 1.4272476927059605e45, 9.793513654045538e48, 5.2806521159415856e116, -0.09304363104700032, 0.016, 14.999999553993767, 13.999999617708944],
    [100, 1, 0, 1, 1, 0.07151545753826909, 7.767451648287257e-5, 0.28426762180748055, 0.12121212121212122, -0.14284970755672205, 0.04081066219799565, 3.0, 0.000250119321734607],
  ];
  it('match mpmath (raw moments at 50 digits, plain double sums over generations)', () => {
    expect(fs.existsSync(path.join(cwd, 'fixtures', 'laws_mpmath.py'))).toBe(true);
    for (const [n, T, ddof, tau, s0, ...want] of pinned) {
      const L = replaceLaws(n!, ddof!, s0!, tau!, [T!])[0]!;
      const got = [L.sd.skew, L.sd.exKurt, L.sdSq.skew, L.sdSq.exKurt, L.log10Sd.skew, L.log10Sd.exKurt, L.meanKurtosis, L.w2sqVar];
      // 1e-8: the near-normal excess kurtosis (1e-4) is a difference of O(1) terms
      got.forEach((g, i) => expect(Math.abs(g / want[i]! - 1), `n=${n} T=${T} ddof=${ddof} τ=${tau}: ${i}`).toBeLessThan(1e-8));
    }
  });

  it('E[(m_T − m0)⁴] and Var[W2²] match a simulation (n = 5, T = 3, E = 200000)', async () => {
    const { out, rows } = await run({ samples: '5', generations: '3', experiments: '200000', seed: '7' });
    const f = rows[rows.length - 1]!;
    const L = f.theory.laws!;
    const m4 = Array.from(out.finalMean, (m) => m ** 4);
    const w = Array.from(out.finalMean, (m, e) => m * m + (Math.exp(out.lnSd[out.rows - 1]![e]!) - 1) ** 2);
    const meanSd = (v: number[]) => {
      const mu = v.reduce((a, b) => a + b, 0) / v.length;
      return [mu, Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1) / v.length)] as const;
    };
    const [em4, se4] = meanSd(m4);
    expect(Math.abs(em4 - L.meanKurtosis * f.theory.mean!.var ** 2) / se4).toBeLessThan(Z_BOUND);
    const [ew, ] = meanSd(w);
    const w2 = w.map((x) => (x - ew) ** 2);
    const [vw, sev] = meanSd(w2);
    expect(Math.abs(vw - L.w2sqVar) / sev).toBeLessThan(Z_BOUND);
  });
});

describe('a z is given only with a valid standard error', () => {
  it('E = 10 (n = 20, T = 10): the variance z is left out with its reason, the log10 z stays', async () => {
    const { out, rows } = await run({ samples: '20', generations: '10', experiments: '10', seed: '1' });
    const f = rows[rows.length - 1]!;
    for (const k of ['meanVar', 'sdSqMean', 'w2sqMean', 'sdMean'] as const) {
      expect(f.z[k], k).toBeNaN();
      expect(f.z.reasons[k], k).toMatch(/needs E ≥ \d+/);
    }
    expect(f.z.cells.meanVar).toBe('E < 92');
    expect(Number.isFinite(f.z.log10SdMean)).toBe(true);
    const doc = summary(out, f);
    expect(doc.z.meanVar).toBeNull();
    expect(doc.z.reasons.meanVar).toContain('kurtosis 3.932');
    expect(doc.z.cells).toBeUndefined();
    const t = humanTable(out.spec, 1, f, 1, 1, 'dir');
    const line = t.split('\n').find((l) => l.startsWith('model mean: var'))!;
    expect(line).toMatch(/\s0\.\d+\s+0\.40126\s+E < 92$/); // an s.e., theory, and why z is left out
    expect(t.split('\n').filter((l) => l.includes('too few')).length).toBe(1);
  });

  it('deep and heavy-tailed (n = 10, T = 10000, E = 300): only the log10 z is given', async () => {
    const { out, rows } = await run({ samples: '10', generations: '10000', experiments: '300', every: '10000', seed: '1' });
    const f = rows[rows.length - 1]!;
    for (const k of ['sdMean', 'sdSqMean', 'meanVar', 'w2sqMean'] as const) {
      expect(f.z[k], k).toBeNaN();
      expect(f.z.cells[k], k).toBe('heavy tail');
    }
    expect(Math.abs(f.z.log10SdMean)).toBeLessThan(Z_BOUND);
    const t = humanTable(out.spec, 1, f, 1, 1, 'dir');
    expect(t).toContain('heavy tail');
    expect(t).not.toMatch(/e-1\d\d/); // no z like −1.28e-119
  });

  it('where given, each s.e. is that statistic\'s own (n = 20, T = 10, E = 150)', async () => {
    const E = 150;
    const { rows } = await run({ samples: '20', generations: '10', experiments: String(E), seed: '3' });
    const f = rows[rows.length - 1]!;
    const th = f.theory;
    for (const k of ['sdMean', 'log10SdMean', 'meanVar', 'sdSqMean', 'w2sqMean'] as const) expect(Number.isFinite(f.z[k]), k).toBe(true);
    // mpmath (laws_mpmath.py, first row): κ of m_T and Var[W2²]
    const kappa = 3.931740067437193;
    const s2 = th.mean!.var;
    expect(f.z.se.meanVar / (s2 * Math.sqrt(2 / (E - 1) + (kappa - 3) / E)) - 1).toBeCloseTo(0, 12);
    expect(f.z.se.w2sqMean / Math.sqrt(0.5584953890966988 / E) - 1).toBeCloseTo(0, 10);
    // E[s_T²] = (k/n)^T, E[s_T⁴]/E[s_T²]² = (1 + 2/k)^T
    const sq = (19 / 20) ** 10;
    expect(f.z.se.sdSqMean / ((sq * Math.sqrt((1 + 2 / 19) ** 10 - 1)) / Math.sqrt(E)) - 1).toBeCloseTo(0, 12);
    expect(f.z.se.sdMean / (th.sd!.sd / Math.sqrt(E)) - 1).toBeCloseTo(0, 12);
    expect(f.z.meanVar).toBeCloseTo((f.mean.var - s2) / f.z.se.meanVar, 10);
    expect(f.z.sdSqMean).toBeCloseTo((f.sdSq.mean - sq) / f.z.se.sdSqMean, 10);
  });
});

describe('collapse run prints the reasons', () => {
  it('one line for few experiments, cells that say why', () => {
    const dir = fs.mkdtempSync(path.join(process.env['TMPDIR'] ?? '/tmp', 'collapse-numbers-'));
    try {
      const cli = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'src', 'cli.js');
      const t = execFileSync('node', [cli, 'run', '-n', '20', '-t', '10', '-e', '10', '--method', 'stats', '--no-plot', '-w', '1', '-o', path.join(dir, 'r')], { encoding: 'utf8' });
      expect(t).toMatch(/model mean: var .*E < 92/);
      const doc = JSON.parse(fs.readFileSync(path.join(dir, 'r', 'summary.json'), 'utf8'));
      expect(doc.z.meanVar).toBeNull();
      expect(typeof doc.z.reasons.meanVar).toBe('string');
      expect(doc.z.se.meanVar).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
