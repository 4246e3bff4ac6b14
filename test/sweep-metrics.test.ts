/**
 * The family metrics (‖μ̂ − μ0‖², tr Σ̂ / tr Σ0, log10 det ratio, W2²) through sweeps, tables and
 * figures at d > 1: a sweep over --dim (d = 1, 3, 10) and one over n and T at d = 3 against the same
 * points run one by one with `collapse run` (the second path: each run's summary.json and its own
 * printed table); `collapse table` in its three formats against the summaries; the figures of the
 * sweeps and of a run written as valid SVG, PNG and PDF with theory drawn where it exists. The
 * z cells' reasons are checked against the rules that write them (metricZ, specOmissions).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../src/plot/csv.js';
import { metricZ, metricZCell } from '../src/summary.js';
import { centralSums34, metricStats } from '../src/digest.js';
import { specOmissions } from '../src/zscore.js';
import { regimeTheory } from '../src/theory.js';
import { resolveRunSpec } from '../src/spec.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-sweep-metrics-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function collapse(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: TMP, encoding: 'utf8', timeout: 170_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const METRICS = [
  { name: 'meanSqErr', column: 'mean_sq_err', label: '‖μ̂ − μ0‖²' },
  { name: 'traceRatio', column: 'trace_ratio', label: 'tr Σ̂ / tr Σ0' },
  { name: 'log10DetRatio', column: 'log10_det_ratio', label: 'log10 det Σ̂ − log10 det Σ0' },
  { name: 'w2sq', column: 'w2sq', label: 'W2² to original' },
] as const;

type Summary = {
  params: Record<string, unknown>;
  final: Record<string, { mean: number | null; sd: number | null }>;
  theory: Record<string, { mean: number; sd: number | null } | null>;
  z: Record<string, number | null> & { reasons: Record<string, string> };
};
const summaryOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;

/** sweep.csv as rows of name → cell text. */
function sweepRows(dir: string): Record<string, string>[] {
  const t = parseCsv(fs.readFileSync(path.join(dir, 'sweep.csv'), 'utf8'));
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]!])));
}
const cellNumber = (s: string): number | null => (s === 'NA' ? null : Number(s));

/** The cells of a printed table's line for a metric in `collapse run`'s table: [mean, s.e., theory, z]. */
function runTableCells(stdout: string, label: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${label}: mean`))!;
  expect(line, label).toBeDefined();
  return line.slice(`${label}: mean`.length).trim().split(/\s{2,}/);
}

/** The rows under a printed sweep table whose header row contains `marker` (the lines after its rule). */
function sweepTableRows(stdout: string, marker: string): string[][] {
  const lines = stdout.split('\n');
  const h = lines.findIndex((l) => l.includes(marker));
  expect(h, marker).toBeGreaterThanOrEqual(0);
  const rule = lines.findIndex((l, i) => i > h && /^-+(\s+-+)*$/.test(l));
  const rows: string[][] = [];
  for (let i = rule + 1; i < lines.length && lines[i]!.trim() !== ''; i++) rows.push(lines[i]!.trim().split(/\s{2,}/));
  return rows;
}

const DIM_FLAGS = ['-n', '20', '-t', '30', '-e', '200'];

describe('a sweep over --dim 1,3,10 against the same points run one by one', () => {
  const sweep = path.join(TMP, 'dims');
  const runs = new Map<number, { dir: string; stdout: string }>();
  let out: ReturnType<typeof collapse>;
  beforeAll(() => {
    out = collapse(['sweep', '--dim', '1,3,10', ...DIM_FLAGS, '--out', sweep]);
    expect(out.code, out.stderr).toBe(0);
    for (const d of [1, 3, 10]) {
      const dir = path.join(TMP, `run-d${d}`);
      const r = collapse(['run', '--dim', String(d), ...DIM_FLAGS, '-o', dir, '--no-plot']);
      expect(r.code, r.stderr).toBe(0);
      runs.set(d, { dir, stdout: r.stdout });
    }
  });

  it("sweep.csv's metric columns equal each run's summary.json: final mean, theory and z", () => {
    const rows = sweepRows(sweep);
    expect(rows.map((r) => r['dim'])).toEqual(['1', '3', '10']);
    for (const r of rows) {
      const s = summaryOf(runs.get(Number(r['dim']))!.dir);
      for (const m of METRICS) {
        expect(cellNumber(r[`${m.column}_mean`]!), `${m.name} d=${r['dim']}`).toBe(s.final[m.name]!.mean);
        expect(cellNumber(r[`${m.column}_sd`]!)).toBe(s.final[m.name]!.sd);
        expect(cellNumber(r[`theory_${m.column}_mean`]!)).toBe(s.theory[m.name]?.mean ?? null);
        expect(cellNumber(r[`z_${m.column}_mean`]!)).toBe(s.z[m.name] ?? null);
      }
    }
    // where theory is missing (W2² at d > 1) the summary says why
    expect(summaryOf(runs.get(3)!.dir).theory['w2sq']).toBeNull();
    expect(rows[1]!['theory_w2sq_mean']).toBe('NA');
  });

  it('d = 1 keeps its sd columns: the d = 1 row equals a sweep of d = 1 alone, cell for cell', () => {
    const alone = path.join(TMP, 'd1-alone');
    expect(collapse(['sweep', ...DIM_FLAGS, '--out', alone, '--no-plot']).code).toBe(0);
    const a = sweepRows(alone)[0]!;
    const b = sweepRows(sweep)[0]!;
    for (const [k, v] of Object.entries(a)) if (!['point', 'spec_hash', 'dim'].includes(k)) expect(b[k], k).toBe(v);
    expect(b['spec_hash']).toBe(a['spec_hash']); // dim = 1 does not enter the hash
    // and its table keeps today's columns only
    const csv = collapse(['table', alone, '--format', 'csv']).stdout.split('\n')[0];
    expect(csv).toBe('samples,generations,sd_mean,sd_mean_se,theory_sd_mean,z_sd_mean,log10_sd_mean,log10_sd_mean_se,theory_log10_sd_mean,z_log10_sd_mean');
  });

  it("the printed sweep table gives each metric's mean, theory and z cell as collapse run prints them", () => {
    expect(out.stdout).toMatch(/mean_sq_err\s+trace_ratio\s+log10_det_ratio\s+w2sq/);
    const rows = sweepTableRows(out.stdout, 'mean_sq_err');
    expect(rows.map((r) => r[1])).toEqual(['1', '3', '10']);
    for (const r of rows) {
      const d = Number(r[1]);
      if (d === 1) continue; // collapse run prints the scalar block at d = 1
      const printed = runs.get(d)!.stdout;
      METRICS.forEach((m, k) => {
        const [mean, , theory, z] = runTableCells(printed, m.label);
        expect(r.slice(2 + 3 * k, 5 + 3 * k), `${m.name} d=${d}`).toEqual([mean, theory, z]);
      });
    }
    // d > 1 rows of the sd block read n/a
    const sd = sweepTableRows(out.stdout, 'sd: mean');
    expect(sd[1]!.slice(2)).toEqual(['n/a', 'n/a', 'n/a', 'n/a', 'n/a']);
    expect(out.stdout).toContain('where a z is left out the cell says why');
  });

  it('collapse table (csv) gives mean, s.e., theory and z of each metric, from sweep and from a run alike', () => {
    const t = collapse(['table', sweep, '--format', 'csv', '--digits', '17']);
    expect(t.code, t.stderr).toBe(0);
    const tab = parseCsv(t.stdout);
    const metricCols = METRICS.flatMap((m) => [`${m.column}_mean`, `${m.column}_mean_se`, `theory_${m.column}_mean`, `z_${m.column}_mean`]);
    expect(tab.columns.slice(-16)).toEqual(metricCols);
    expect(tab.columns.slice(0, 2)).toEqual(['dim', 'sd_mean']);
    const E = 200;
    for (const row of tab.rows) {
      const d = Number(row[0]);
      const s = summaryOf(runs.get(d)!.dir);
      const cell = (c: string) => row[tab.columns.indexOf(c)]!;
      for (const m of METRICS) {
        const f = s.final[m.name]!;
        const th = s.theory[m.name];
        expect(Number(cell(`${m.column}_mean`))).toBe(f.mean);
        // the s.e. the z uses: theory's sd where it has one, else the simulated sd; over √E
        const se = (th?.sd ?? f.sd!) / Math.sqrt(E);
        expect(Number(cell(`${m.column}_mean_se`)), `${m.name} d=${d} se`).toBe(Number(se.toPrecision(2)));
        if (th === null || th === undefined) expect(cell(`theory_${m.column}_mean`)).toBe('NA');
        else expect(Number(cell(`theory_${m.column}_mean`))).toBe(th.mean);
        const z = s.z[m.name];
        expect(cell(`z_${m.column}_mean`)).toBe(z === null || z === undefined ? 'NA' : z.toFixed(2) === '-0.00' ? '0.00' : z.toFixed(2));
      }
      if (d > 1) expect(cell('sd_mean')).toBe('NA');
    }
    // a run directory's one-row table has the same metric cells as its sweep row
    const run = parseCsv(collapse(['table', runs.get(3)!.dir, '--format', 'csv', '--digits', '17']).stdout);
    expect(run.columns).toEqual(['samples', 'generations', ...metricCols]); // no sd block at d > 1
    const sweepRow = tab.rows.find((r) => r[0] === '3')!;
    expect(run.rows[0]!.slice(2)).toEqual(metricCols.map((c) => sweepRow[tab.columns.indexOf(c)]!));
  });

  it('collapse table (markdown, latex) heads the metric columns by label and in math', () => {
    const md = collapse(['table', sweep]).stdout;
    expect(md).toContain('| d | mean sd | ± s.e. | theory | z | mean log10 sd | ± s.e. | theory | z | mean ‖μ̂ − μ0‖² | ± s.e. | theory | z | mean tr Σ̂ / tr Σ0 |');
    const tex = collapse(['table', sweep, '--format', 'latex']).stdout;
    expect(tex).toContain('mean $\\mathrm{tr}\\,\\hat\\Sigma/\\mathrm{tr}\\,\\Sigma_0$ & s.e. & theory & $z$');
    expect(tex).toContain(`\\begin{tabular}{${'r'.repeat(1 + 8 + 16)}}`);
  });

  it('draws sweep-sd, sweep-log10sd and a sweep-<metric> figure per metric: SVG, PNG and PDF, valid', () => {
    const figs = path.join(sweep, 'figures');
    const names = ['sweep-sd', 'sweep-log10sd', ...METRICS.map((m) => `sweep-${m.column}`)];
    expect(fs.readdirSync(figs).sort()).toEqual(names.flatMap((n) => ['pdf', 'png', 'svg', 'vl.json'].map((e) => `${n}.${e}`)).sort());
    for (const n of names) checkImages(figs, n);
  });

  it('sweep-<metric>: the final mean ± s.e. against d with exact theory where it exists', () => {
    const rows = sweepRows(sweep);
    for (const m of METRICS) {
      const data = vlData(path.join(sweep, 'figures', `sweep-${m.column}.vl.json`));
      for (const r of rows) {
        const d = Number(r['dim']);
        const s = summaryOf(runs.get(d)!.dir);
        const f = s.final[m.name]!;
        const sim = data.find((v) => v['x'] === d && v['series'] === 'simulated mean ± s.e.')!;
        // pooled over the point's (one) replicate: E·mean/E, equal to the last bit or two
        const near = (a: number, b: number) => expect(Math.abs(a - b), `${m.name} d=${d}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-14 * Math.abs(f.mean!));
        near(sim['y'] as number, f.mean!);
        near(sim['hi'] as number, f.mean! + f.sd! / Math.sqrt(200));
        const th = data.find((v) => v['x'] === d && v['series'] === 'exact theory');
        expect(th?.['y'] ?? null).toBe(s.theory[m.name]?.mean ?? null);
      }
      const spec = JSON.parse(fs.readFileSync(path.join(sweep, 'figures', `sweep-${m.column}.vl.json`), 'utf8'));
      expect(JSON.stringify(spec.title)).toContain(`Final ${m.label} against d`);
    }
    // W2² has theory at d = 1 only: marked there by a dash, since one point draws no line
    const svg = fs.readFileSync(path.join(sweep, 'figures', 'sweep-w2sq.svg'), 'utf8');
    expect(svg).toMatch(/aria-roledescription="tick"/);
  });
});

describe('a sweep over n and T at d = 3 (stats), against separate runs', () => {
  const sweep = path.join(TMP, 'nt');
  const flags = ['--dim', '3', '--method', 'stats', '-e', '400'];
  let out: ReturnType<typeof collapse>;
  beforeAll(() => {
    out = collapse(['sweep', '-n', '10,100', '-t', '10,100', ...flags, '--out', sweep]);
    expect(out.code, out.stderr).toBe(0);
  });

  it('prints only the metric block, each z or its cell (heavy tail included) as collapse run prints it', () => {
    expect(out.stdout).not.toContain('sd: mean');
    const rows = sweepTableRows(out.stdout, 'samples');
    expect(rows).toHaveLength(4);
    const cells = new Set<string>();
    for (const r of rows) {
      const run = collapse(['run', '-n', r[1]!, '-t', r[2]!, ...flags, '-o', path.join(TMP, `nt-${r[1]}-${r[2]}`), '--no-plot']);
      expect(run.code, run.stderr).toBe(0);
      METRICS.forEach((m, k) => {
        const [mean, , theory, z] = runTableCells(run.stdout, m.label);
        expect(r.slice(3 + 3 * k, 6 + 3 * k), `${m.name} n=${r[1]} T=${r[2]}`).toEqual([mean, theory, z]);
        cells.add(z!);
      });
    }
    expect(cells.has('heavy tail')).toBe(true); // tr Σ̂ at n = 10, T = 100
    expect(cells.has('n/a')).toBe(true); // W2² has no theory at d > 1
  });

  it('draws only the metric figures, T on the x axis by default and n with --x-axis samples', () => {
    const figs = path.join(sweep, 'figures');
    expect(fs.readdirSync(figs).filter((f) => f.endsWith('.vl.json')).sort()).toEqual(
      METRICS.map((m) => `sweep-${m.column}.vl.json`).sort(),
    );
    const xTitle = (f: string) => JSON.parse(fs.readFileSync(path.join(figs, f), 'utf8')).layer[0].encoding.x.title;
    expect(xTitle('sweep-trace_ratio.vl.json')).toBe('generations T');
    const r = collapse(['plot', sweep, '--x-axis', 'samples']);
    expect(r.code, r.stderr).toBe(0);
    expect(xTitle('sweep-trace_ratio.vl.json')).toBe('samples per generation n');
    const data = vlData(path.join(figs, 'sweep-log10_det_ratio.vl.json'));
    expect(data.filter((d) => d['series'] === 'exact theory')).toHaveLength(4);
    for (const m of METRICS) checkImages(figs, `sweep-${m.column}`);
  });
});

describe('the figures of a run at d = 3', () => {
  it('writes metric-<column> as valid SVG, PNG and PDF, the exact expectation dashed where known', () => {
    const dir = path.join(TMP, 'run-plot');
    const r = collapse(['run', '--dim', '3', '-n', '10', '-t', '40', '-e', '300', '-o', dir]);
    expect(r.code, r.stderr).toBe(0);
    const figs = path.join(dir, 'figures');
    for (const m of METRICS) {
      checkImages(figs, `metric-${m.column}`);
      const svg = fs.readFileSync(path.join(figs, `metric-${m.column}.svg`), 'utf8');
      expect(svg.includes('exact expectation'), m.name).toBe(m.name !== 'w2sq');
      if (m.name !== 'w2sq') expect(svg).toMatch(/stroke-dasharray="5,3"/);
    }
    // the theory drawn is the run's own theory column
    const t = parseCsv(fs.readFileSync(path.join(dir, 'trajectory.csv'), 'utf8'));
    const last = t.rows[t.rows.length - 1]!;
    const data = vlData(path.join(figs, 'metric-trace_ratio.vl.json'));
    expect(data).toContainEqual({ t: 40, series: 'exact expectation', y: Number(last[t.columns.indexOf('theory_trace_ratio_mean')]), dash: 'dashed' });
  });
});

describe("a left-out z's cell, read back from its reason", () => {
  const scratch = new Float64Array(1000);
  const values = (n: number, f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  const check = (v: Float64Array, t: { mean: number; sd: number | null; terms?: number } | null, E: number) => {
    const st = metricStats(v, scratch.subarray(0, v.length));
    const r = metricZ(centralSums34(v, st.mean), st, t, E);
    expect(r.cell).not.toBeNull();
    expect(metricZCell(r.reason!), r.reason!).toBe(r.cell);
    return r.cell;
  };

  it('for every omission of the metric rule (metricZ)', () => {
    const smooth = (n: number) => values(n, (i) => 1 + Math.sin(i));
    expect(check(smooth(50), null, 50)).toBe('n/a'); // no theory
    expect(check(values(50, (i) => (i === 3 ? -Infinity : 1)), { mean: 1, sd: 1 }, 50)).toBe('n/a'); // not finite
    expect(check(smooth(5), { mean: 1, sd: 1 }, 5)).toBe('E < 10'); // exact sd, too few
    expect(check(smooth(100), { mean: 1, sd: null }, 100)).toBe('E < 300'); // simulated sd, too few
    expect(check(values(400, (i) => (i === 0 ? 1e6 : 1 + (i % 7))), { mean: 1, sd: null }, 400)).toBe('heavy tail');
  });

  it("for the scalar rules a d = 1 metric copies (specOmissions), each cell and reason", () => {
    const seen = new Set<string>();
    const cases: [Record<string, string>, number][] = [
      [{ samples: '20', generations: '10', experiments: '10' }, 10], // E < N
      [{ samples: '20', generations: '10', experiments: '1' }, 1], // E = 1
      [{ samples: '3', generations: '3000', experiments: '100' }, 100], // far from normal
      [{ samples: '20', generations: '10', experiments: '50', regime: 'accumulate' }, 50], // t statistic floor, no theory
    ];
    for (const [flags, E] of cases) {
      const spec = resolveRunSpec(flags);
      const th = regimeTheory(spec, [spec.generations], true);
      for (const o of Object.values(specOmissions(th.rows[0]!, E, th.reasons))) {
        expect(metricZCell(`as for the scalar sdSqMean: ${o!.reason}`), o!.reason).toBe(o!.cell);
        seen.add(o!.cell.replace(/^E < \d+$/, 'E < N'));
      }
    }
    expect([...seen].sort()).toEqual(['E < N', 'E = 1', 'heavy tail', 'n/a']);
  });
});

/** Checks that `<name>.svg` parses, `<name>.png` is a 1000 px wide PNG and `<name>.pdf` a one-page PDF. */
function checkImages(dir: string, name: string): void {
  const svg = fs.readFileSync(path.join(dir, `${name}.svg`), 'utf8');
  new DOMParser({
    onError: (level, msg) => {
      throw new Error(`${name}.svg: XML ${level}: ${msg}`);
    },
  }).parseFromString(svg, 'image/svg+xml');
  expect(svg, name).not.toMatch(/NaN|Infinity/);
  const png = fs.readFileSync(path.join(dir, `${name}.png`));
  expect([...png.subarray(0, 8)], name).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.readUInt32BE(16), name).toBe(2 * Number(/width="([\d.]+)"/.exec(svg)![1]));
  const pdf = fs.readFileSync(path.join(dir, `${name}.pdf`)).toString('latin1');
  expect(pdf.startsWith('%PDF-1.'), name).toBe(true);
  expect(pdf.match(/\/Type \/Page\b/g), name).toHaveLength(1);
  expect(pdf).toMatch(/%%EOF\s*$/);
}

function vlData(file: string): Record<string, unknown>[] {
  const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as { data?: { values: Record<string, unknown>[] }; layer?: { data?: { values: Record<string, unknown>[] } }[] };
  return [...(spec.data?.values ?? []), ...(spec.layer ?? []).flatMap((l) => l.data?.values ?? [])];
}
