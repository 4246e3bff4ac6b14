/**
 * Figures end to end: `collapse plot` on a real run (and a deep one whose sd underflows), and
 * plotDirectory on a small synthetic sweep; each SVG parses as XML and draws the expected series,
 * each PNG is a PNG of the right size with its text drawn, and the units behind them (CSV cells,
 * replicate pooling, swept-parameter detection, ticks) are checked against direct computations.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOMParser, type Document } from '@xmldom/xmldom';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberCell, parseCsv } from '../src/plot/csv.js';
import { textWidth } from '../src/plot/fonts.js';
import { plotDirectory } from '../src/plot/index.js';
import { resvgOptions } from '../src/plot/render.js';
import { svgToPdf } from '../src/plot/pdf.js';
import { histogram } from '../src/plot/run.js';
import { linearTicks, logTicks, MIN_LINEAR_TICKS, powerLabels, settingsParts, symlogTicks, tickLabels } from '../src/plot/style.js';
import { meanCarriers, normalUpperTail } from '../src/plot/carriers.js';
import { poolMeans, SWEEP_PARAMS, sweepLayout, sweepPoints, sweptParams } from '../src/plot/sweep.js';
import { SCHEMA_VERSION, TRAJECTORY_COLUMNS } from '../src/summary.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-plot-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function collapse(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: TMP, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Parses an SVG, failing on any XML error or warning. */
function parseSvg(file: string): Document {
  const text = fs.readFileSync(file, 'utf8');
  return new DOMParser({
    onError: (level, msg) => {
      throw new Error(`${file}: XML ${level}: ${msg}`);
    },
  }).parseFromString(text, 'image/svg+xml');
}

function texts(doc: Document): string[] {
  return Array.from(doc.getElementsByTagName('text')).map((t) => t.textContent ?? '');
}

function marks(doc: Document, role: string) {
  return Array.from(doc.getElementsByTagName('path')).filter((p) => p.getAttribute('aria-roledescription') === role);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(file: string): { width: number; height: number; bytes: number } {
  const b = fs.readFileSync(file);
  expect([...b.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  expect(b.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), bytes: b.length };
}

/** Whether any pixel in the box (SVG px at scale 1) is dark: text was drawn there. */
function darkPixelsIn(svg: string, box: { x0: number; x1: number; y0: number; y1: number }): number {
  const img = new Resvg(svg, resvgOptions(1)).render();
  const px = img.pixels; // a copy per access: read once
  let dark = 0;
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) if (px[4 * (y * img.width + x)]! < 100) dark++;
  }
  return dark;
}

interface VlLayer {
  data?: { values: Record<string, unknown>[] };
}

function vlData(file: string): Record<string, unknown>[] {
  const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as { data?: { values: Record<string, unknown>[] }; layer?: VlLayer[] };
  return [...(spec.data?.values ?? []), ...(spec.layer ?? []).flatMap((l) => l.data?.values ?? [])];
}

function lastRow(csvFile: string): Record<string, number | null> {
  const t = parseCsv(fs.readFileSync(csvFile, 'utf8'));
  const r = t.rows[t.rows.length - 1]!;
  return Object.fromEntries(t.columns.map((c, i) => [c, numberCell(r[i]!, c)]));
}

describe('collapse plot on a run directory', () => {
  const dir = path.join(TMP, 'run');
  let out: ReturnType<typeof collapse>;
  beforeAll(() => {
    expect(collapse(['run', '-n', '20', '-t', '30', '-e', '200', '-o', dir]).code).toBe(0);
    out = collapse(['plot', dir]);
  });

  it('writes the spec, SVG, PNG and PDF of both figures, atomically, and lists them', () => {
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toBe('');
    const names = ['sd-trajectory', 'final-log10sd'].flatMap((n) => ['vl.json', 'svg', 'png', 'pdf'].map((e) => `${n}.${e}`));
    expect(out.stdout.trim().split('\n')).toEqual(names.map((n) => path.join(dir, 'figures', n)));
    expect(fs.readdirSync(path.join(dir, 'figures')).sort()).toEqual([...names].sort());
  });

  it('sd-trajectory: log axis, band, median, mean and exact theory, with title and legend', () => {
    const doc = parseSvg(path.join(dir, 'figures', 'sd-trajectory.svg'));
    const t = texts(doc);
    for (const s of ['Fitted sd over generations, replace regime', 'n = 20, T = 30, E = 200, ddof = 0', 'generation t',
      'sd s_t (log scale)', 'p05–p95', 'median', 'mean', 'exact E[s_t]']) expect(t).toContain(s);
    expect(marks(doc, 'area mark')).toHaveLength(1);
    const lines = marks(doc, 'line mark');
    expect(lines.map((l) => /series: ([^;]*)/.exec(l.getAttribute('aria-label') ?? '')?.[1])).toEqual(['median', 'mean', 'exact E[s_t]']);
    for (const l of lines) expect((l.getAttribute('d') ?? '').split('L')).toHaveLength(31); // t = 0 … 30
    expect(lines[2]!.getAttribute('stroke-dasharray')).toBe('5,3');
    expect(fs.readFileSync(path.join(dir, 'figures', 'sd-trajectory.svg'), 'utf8')).not.toMatch(/NaN|Infinity/);
    // The plotted values are the run's: theory and median at T.
    const last = lastRow(path.join(dir, 'trajectory.csv'));
    const data = vlData(path.join(dir, 'figures', 'sd-trajectory.vl.json'));
    expect(data).toContainEqual({ t: 30, series: 'exact E[s_t]', y: last['theory_sd_mean'], dash: 'dashed' });
    expect(data).toContainEqual({ t: 30, series: 'median', y: last['sd_p50'], dash: 'solid' });
    expect(data).toContainEqual({ t: 30, lo: last['sd_p05'], hi: last['sd_p95'] });
  });

  it('final-log10sd: a histogram of every experiment and the theory rule', () => {
    const doc = parseSvg(path.join(dir, 'figures', 'final-log10sd.svg'));
    const t = texts(doc);
    for (const s of ['Final log10 sd across experiments, replace regime', 'final log10 sd (log10 s_T)', 'experiments',
      'exact E[log10 s_T]']) expect(t).toContain(s);
    const bins = vlData(path.join(dir, 'figures', 'final-log10sd.vl.json')).filter((d) => 'count' in d);
    expect(bins.reduce((a, b) => a + (b['count'] as number), 0)).toBe(200);
    expect(marks(doc, 'bar')).toHaveLength(bins.length);
    expect(marks(doc, 'rule').length + doc.getElementsByTagName('line').length).toBeGreaterThan(0);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { theory: { log10Sd: { mean: number } } };
    expect(vlData(path.join(dir, 'figures', 'final-log10sd.vl.json'))).toContainEqual({ x: summary.theory.log10Sd.mean, label: 'exact E[log10 s_T]' });
  });

  it('PNGs: PNG signature, 2x the 500 px SVG, and text drawn with the bundled font', () => {
    for (const n of ['sd-trajectory', 'final-log10sd']) {
      const svg = fs.readFileSync(path.join(dir, 'figures', `${n}.svg`), 'utf8');
      const w = Number(/width="(\d+)"/.exec(svg)![1]);
      const h = Number(/height="(\d+)"/.exec(svg)![1]);
      expect(w).toBe(500);
      const png = pngSize(path.join(dir, 'figures', `${n}.png`));
      expect(png).toMatchObject({ width: 2 * w, height: 2 * h });
      expect(png.bytes).toBeGreaterThan(20_000);
      // The title is the only thing in the top-left strip: dark pixels there are its glyphs.
      expect(darkPixelsIn(svg, { x0: 0, x1: 250, y0: 0, y1: 18 })).toBeGreaterThan(200);
    }
  });

  it('refuses a bad directory or format with a usage error (exit 2)', () => {
    const missing = collapse(['plot', path.join(TMP, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^collapse: DIR must be a collapse run or sweep directory/);
    const fmt = collapse(['plot', dir, '--format', 'svg,jpg']);
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toBe('collapse: --format must be a comma list of svg, png and pdf, got "svg,jpg"\n');
    const width = collapse(['plot', dir, '--width', '20']);
    expect(width.code).toBe(2);
    expect(width.stderr).toMatch(/--width must be a number of px from 150 to 10000, got "20"/);
  });
});

describe('a deep run whose sd underflows a double', () => {
  it('plots log10 values on a linear axis instead of failing', () => {
    const dir = path.join(TMP, 'deep');
    expect(collapse(['run', '-n', '3', '-t', '3000', '-e', '100', '--no-plot', '-o', dir]).code).toBe(0);
    const last = lastRow(path.join(dir, 'trajectory.csv'));
    expect(last['sd_p50']).toBe(0); // ~1e-640: the premise of the test
    const out = collapse(['plot', dir, '--format', 'svg']);
    expect(out.code, out.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'figures', 'sd-trajectory.png'))).toBe(false);
    const file = path.join(dir, 'figures', 'sd-trajectory.svg');
    const t = texts(parseSvg(file));
    expect(t).toContain('log10 sd (log10 s_t)');
    expect(t.some((s) => s.includes('log10 axis (sd below 1e-300)'))).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/NaN|Infinity/);
    const data = vlData(path.join(dir, 'figures', 'sd-trajectory.vl.json'));
    expect(data).toContainEqual({ t: 3000, series: 'median', y: last['log10_sd_p50'], dash: 'solid' });
    // E[s_t] is carried by chains a run never draws: the mean of log10 s_t is shown, and its theory
    expect(data).toContainEqual({ t: 3000, series: 'mean of log10 s_t', y: last['log10_sd_mean'], dash: 'solid' });
    expect(data).toContainEqual({ t: 3000, series: 'exact E[log10 s_t]', y: last['theory_log10_sd_mean'], dash: 'dashed' });
    expect(t.join('').replace(/\s+/g, '')).toContain('E[log10s_t]shown:E[s_t]comesfromchainstoorareforEruns');
  });
});

/** A sweep.csv row: params, then the final statistics (NA unless given). */
function sweepRow(point: number, replicate: number, p: Record<string, string | number>, stats: Record<string, number | string>) {
  const params: Record<string, string | number> = {
    samples: 100, generations: 100, experiments: 50, ddof: 0, mean0: 0, sd0: 1, seed: 1, every: 1,
    rng: 'fast', regime: 'replace', fresh: 0, temperature: 1, method: 'resample', epsilon: 0.1, ...p,
  };
  const cols = TRAJECTORY_COLUMNS.slice(1);
  return [point, replicate, `h${point}`, ...SWEEP_PARAMS.map((k) => params[k]), ...cols.map((c) => stats[c] ?? 'NA')].join(',');
}

const SWEEP_HEADER = ['point', 'replicate', 'spec_hash', ...SWEEP_PARAMS, ...TRAJECTORY_COLUMNS.slice(1)].join(',');

/** samples 10, 100, 1000 × ddof 0, 1 × regime replace, accumulate; two replicates (seeds) each. */
function writeSweep(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const lines = [SWEEP_HEADER];
  let point = 0;
  for (const regime of ['replace', 'accumulate']) {
    for (const ddof of [0, 1]) {
      for (const samples of [10, 100, 1000]) {
        const exact = regime === 'replace' ? (1 - (1.5 - ddof) / samples) ** 50 : NaN;
        for (const [replicate, seed] of [[0, 1], [1, 2]] as const) {
          const m = (regime === 'replace' ? exact : 0.97) * (replicate === 0 ? 0.98 : 1.02);
          lines.push(sweepRow(point, replicate, { samples, ddof, regime, seed }, {
            sd_mean: m, sd_sd: 0.2, sd_mean_log10: Math.log10(m),
            log10_sd_mean: Math.log10(m) - 0.05, log10_sd_sd: 0.3,
            ...(regime === 'replace'
              ? { theory_sd_mean: exact, theory_sd_mean_log10: Math.log10(exact), theory_log10_sd_mean: Math.log10(exact) - 0.05 }
              : {}),
          }));
        }
        point++;
      }
    }
  }
  fs.writeFileSync(path.join(dir, 'sweep.csv'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify({ schemaVersion: SCHEMA_VERSION, kind: 'collapse.sweep' }) + '\n');
}

describe('plotDirectory on a sweep directory', () => {
  const dir = path.join(TMP, 'sweep');
  let written: string[];
  const warnings: string[] = [];
  beforeAll(async () => {
    writeSweep(dir);
    written = await plotDirectory(dir, { onWarning: (w) => warnings.push(w) });
  });

  it('writes both figures with no Vega or Vega-Lite warning', () => {
    expect(written.map((f) => path.basename(f))).toEqual(
      ['sweep-sd', 'sweep-log10sd'].flatMap((n) => [`${n}.vl.json`, `${n}.svg`, `${n}.png`, `${n}.pdf`]),
    );
    expect(warnings).toEqual([]);
  });

  it('puts n on a log x axis, regimes side by side, a line per ddof and theory dashed', () => {
    for (const [name, yTitle] of [['sweep-sd', 'final sd s_T (log scale)'], ['sweep-log10sd', 'final log10 sd, log10 s_T']] as const) {
      const doc = parseSvg(path.join(dir, 'figures', `${name}.svg`));
      const t = texts(doc);
      for (const s of ['replace regime', 'accumulate regime', 'samples per generation n', yTitle, 'ddof', '0', '1', '10', '100', '1000',
        'simulated mean ± s.e.', 'exact theory', 'T = 100, E = 50']) expect(t, `${name}: ${s}`).toContain(s);
      expect(t.some((s) => s.startsWith('Final') && s.endsWith('against n by regime'))).toBe(true);
      const lines = marks(doc, 'line mark');
      // 2 regimes × 2 ddof simulated lines, and theory only for replace (accumulate has no closed form)
      expect(lines.filter((l) => l.getAttribute('stroke-dasharray') !== '5,3')).toHaveLength(4);
      expect(lines.filter((l) => l.getAttribute('stroke-dasharray') === '5,3')).toHaveLength(2);
      expect(marks(doc, 'point')).toHaveLength(12);
      const svg = fs.readFileSync(path.join(dir, 'figures', `${name}.svg`), 'utf8');
      expect(Math.abs(Number(/width="([\d.]+)"/.exec(svg)![1]) - 500)).toBeLessThanOrEqual(1);
      expect(pngSize(path.join(dir, 'figures', `${name}.png`)).width).toBeGreaterThanOrEqual(998);
    }
  });

  it('plots replicates pooled as one run of all their experiments', () => {
    const row = vlData(path.join(dir, 'figures', 'sweep-sd.vl.json')).find(
      (d) => d['x'] === 100 && d['panel'] === 'replace regime' && d['group'] === '0' && d['series'] === 'simulated mean ± s.e.',
    )!;
    const exact = (1 - 1.5 / 100) ** 50;
    expect(row['y']).toBeCloseTo(exact, 12);
    // two samples of 50 with sd 0.2 and means exact·(1 ∓ 0.02): M2 = 2·49·0.2² + 2·50·(0.02·exact)²
    const se = Math.sqrt((2 * 49 * 0.04 + 2 * 50 * (0.02 * exact) ** 2) / 99) / Math.sqrt(100);
    expect((row['hi'] as number) - (row['y'] as number)).toBeCloseTo(se, 12);
  });
});

describe('units', () => {
  it('a subtitle names the generator where it is not the default, and only there', () => {
    const p = { samples: 10, generations: 5, experiments: 7, ddof: 0, sd0: 1, mean0: 0, temperature: 1, method: 'resample', regime: 'replace' };
    expect(settingsParts({ ...p, rng: 'fast' })).toEqual(['n = 10', 'T = 5', 'E = 7', 'ddof = 0']);
    expect(settingsParts({ ...p, rng: 'x256' })).toEqual(['n = 10', 'T = 5', 'E = 7', 'ddof = 0', 'rng x256']);
    expect(settingsParts({ ...p, rng: 'stdlib' }).at(-1)).toBe('rng stdlib');
    expect(settingsParts({ ...p, rng: 'x256' }, new Set(['rng']))).not.toContain('rng x256'); // a figure that varies it
  });

  it('reads NA, Inf and -Inf cells and quoted cells', () => {
    const t = parseCsv('a,b,c\n1.5,NA,Inf\n-Inf,"x,y",2\n');
    expect(t.rows).toEqual([['1.5', 'NA', 'Inf'], ['-Inf', 'x,y', '2']]);
    expect(['1.5', 'NA', 'Inf', '-Inf', ''].map((c) => numberCell(c, 'here'))).toEqual([1.5, null, Infinity, -Infinity, null]);
    expect(() => numberCell('abc', 'sweep.csv line 2')).toThrow(/sweep.csv line 2: expected a number/);
    expect(() => parseCsv('a,b\n1\n', 'f.csv')).toThrow(/f.csv line 2 has 1 cells, the header has 2/);
  });

  it('pools replicates exactly as the concatenated sample', () => {
    const a = [0.1, 0.5, 0.9, 1.3];
    const b = [2, 2.5, 0.4];
    const stats = (xs: number[]) => {
      const m = xs.reduce((s, x) => s + x, 0) / xs.length;
      return { n: xs.length, mean: m, sd: Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)) };
    };
    const all = stats([...a, ...b]);
    const p = poolMeans([stats(a), stats(b)]);
    expect(p.mean).toBeCloseTo(all.mean, 14);
    expect(p.se).toBeCloseTo(all.sd / Math.sqrt(7), 14);
    expect(poolMeans([{ n: 3, mean: 1, sd: null }])).toEqual({ mean: 1, se: null });
  });

  it('finds swept parameters, leaving out seed and those that follow from others (every from T)', () => {
    const lines = [SWEEP_HEADER];
    let k = 0;
    for (const generations of [10, 1000, 10000]) {
      for (const samples of [20, 2000]) {
        lines.push(sweepRow(k++, 0, { generations, samples, every: Math.ceil(generations / 1000), seed: k }, { sd_mean: 0.5, sd_sd: 0.1 }));
      }
    }
    const points = sweepPoints(parseCsv(lines.join('\n')));
    expect(sweptParams(points)).toEqual(['samples', 'generations']);
    // T on the x axis when swept: the sd decays with it
    expect(sweepLayout(points)).toMatchObject({ x: 'generations', xLog: true, panels: [], groups: ['samples'] });
    expect(sweepLayout(points, 'samples')).toMatchObject({ x: 'samples', xLog: true, groups: ['generations'] });
    expect(() => sweepLayout(points, 'colour')).toThrow(/--x-axis must be one of samples/);
    expect(() => sweepLayout(points, 'ddof')).toThrow('--x-axis must name a swept parameter (samples, generations), got "ddof"');
  });

  it('refuses a sweep.json of another schema version, naming it', async () => {
    const dir = path.join(TMP, 'newer-sweep');
    writeSweep(dir);
    fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify({ schemaVersion: 99, kind: 'collapse.sweep' }));
    await expect(plotDirectory(dir)).rejects.toThrow(/schemaVersion 99, newer than this collapse's/);
  });

  it('draws a sweep whose final sd underflows on a log10 axis, symlog when it spans hundreds of decades', async () => {
    const dir = path.join(TMP, 'deep-sweep');
    fs.mkdirSync(dir);
    const lines = [SWEEP_HEADER];
    [10, 3000].forEach((generations, i) => {
      const l = generations === 10 ? -0.2 : -640;
      lines.push(sweepRow(i, 0, { generations, samples: 3 }, {
        sd_mean: 10 ** l, sd_sd: 10 ** l, sd_mean_log10: l, log10_sd_mean: l - 1, log10_sd_sd: 5,
        theory_sd_mean: 10 ** (l / 2), theory_sd_mean_log10: l / 2, theory_log10_sd_mean: l - 1,
      }));
    });
    fs.writeFileSync(path.join(dir, 'sweep.csv'), lines.join('\n') + '\n');
    await plotDirectory(dir, { formats: ['svg'] });
    const file = path.join(dir, 'figures', 'sweep-sd.svg');
    const t = texts(parseSvg(file));
    expect(t).toContain('log10 of final sd s_T (symlog)');
    // −640 decades beside −0.2: a linear axis would squash the shallow point onto 0
    for (const s of ['−100', '−10', '−1']) expect(t).toContain(s);
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/NaN|Infinity/);
  });

  it('bins every value into nice, contiguous bins', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3 - 640);
    const bins = histogram(xs);
    expect(bins.reduce((a, b) => a + b.count, 0)).toBe(1000);
    expect(bins.length).toBeGreaterThanOrEqual(20);
    expect(bins.length).toBeLessThanOrEqual(45);
    for (let i = 1; i < bins.length; i++) expect(bins[i]!.start).toBeCloseTo(bins[i - 1]!.end, 9);
    expect(histogram([2, 2, 2])).toEqual([expect.objectContaining({ count: 3 })]);
  });

  it('labels log axes: 1-2-5 within two decades, decades beyond, 10ᵏ for long numbers', () => {
    expect(logTicks([0.06, 1.3])).toEqual([0.1, 0.2, 0.5, 1]);
    const deep = logTicks([1e-60, 1]);
    expect(deep).toEqual([1e-60, 1e-40, 1e-20, 1]);
    expect(powerLabels(deep)).toContain("'10⁻⁶⁰'");
    expect(powerLabels([0.1, 0.2, 0.5])).toBeNull();
    expect(powerLabels([10, 100, 1000, 10000])).toBeNull();
    expect(logTicks([0.002, 0.9])).toEqual([0.01, 0.1, 1]);
    expect(tickLabels([3e-20, 1e-19])).toEqual(['3·10⁻²⁰', '10⁻¹⁹']);
  });

  it('puts wide log axes at whole decades only, written 10ᵏ (no 10^-2.5 = 0.00316227766017)', () => {
    // the sd of -n 100 -t 2000 spans about 13 decades: a step of 13/6 decades was rounded to 2.5
    for (let lo = -3; lo >= -300; lo = Math.round(lo * 1.37 - 1)) {
      const ticks = logTicks([10 ** lo * 0.37, 1.2]);
      expect(ticks.length, `10^${lo}`).toBeGreaterThanOrEqual(3);
      for (const t of ticks) expect(Math.abs(Math.log10(t) - Math.round(Math.log10(t))), `10^${lo}: ${t}`).toBeLessThan(1e-9);
      const labels = tickLabels(ticks) ?? ticks.map(String);
      for (const l of labels) expect(l, `10^${lo}`).toMatch(/^(10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+|1|10|100|1000|10000|0\.1|0\.01|0\.001|0\.0001)$/);
    }
  });

  it('gives a linear axis at least four ticks (an accumulate run had only 1 and 1.2)', () => {
    expect(logTicks([0.95, 1.25]).length).toBeGreaterThanOrEqual(MIN_LINEAR_TICKS);
    for (let lo = 0.5; lo < 1.2; lo += 0.0137) {
      for (const span of [0.05, 0.2, 0.31, 0.4, 0.7]) {
        expect(linearTicks(lo, lo + span, 4).length, `[${lo}, ${lo + span}]`).toBeGreaterThanOrEqual(MIN_LINEAR_TICKS);
        expect(logTicks([lo, lo + span]).length, `log [${lo}, ${lo + span}]`).toBeGreaterThanOrEqual(MIN_LINEAR_TICKS - 1);
      }
    }
    expect(MIN_LINEAR_TICKS).toBe(4);
  });

  it('symlog ticks for log10 values over hundreds of decades, and the normal tail behind the rare-chain note', () => {
    expect(symlogTicks(-480, -0.03, 0.01)).toEqual([-100, -10, -1, -0.1]);
    expect(symlogTicks(-25, 0.003, 0.001)).toEqual([-10, -1, -0.1, -0.01, 0]);
    // Φ(−z) from tables (Abramowitz & Stegun 26.2): the approximation's error is below 1.5e-7
    for (const [z, p] of [[0, 0.5], [1, 0.158655254], [1.959964, 0.025], [3, 0.001349898], [-1, 0.841344746]] as const) {
      expect(Math.abs(normalUpperTail(z) - p)).toBeLessThan(1.5e-7);
    }
    // half of E[s_T] lies σ above the median (lognormal): with σ10 = 1, E = 2000 expects 2000·Φ(−ln 10) chains there
    expect(meanCarriers(2000, 1)).toBeCloseTo(2000 * 0.010651, 1);
    expect(meanCarriers(2000, null)).toBeNull();
  });

  it('measures text as resvg sets it in DejaVu Sans', () => {
    const bbox = (text: string, weight = 'normal') =>
      new Resvg(
        `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="200"><text x="10" y="150" font-family="DejaVu Sans" font-size="100" font-weight="${weight}">${text}</text></svg>`,
        resvgOptions(1),
      ).getBBox()!.width;
    // Ink widths differ from advances only by the end glyphs' side bearings, which cancel here
    // (characters without kerning pairs with themselves).
    for (const c of ['H', 'i', 'σ', '⁻', '0']) {
      expect(textWidth(c.repeat(10), 100) - textWidth(c, 100)).toBeCloseTo(bbox(c.repeat(10)) - bbox(c), 0);
    }
    expect(textWidth('WW', 100, true) - textWidth('W', 100, true)).toBeCloseTo(bbox('WW', 'bold') - bbox('W', 'bold'), 0);
    const label = 'final sd s_T (log scale)';
    expect(Math.abs(textWidth(label, 100) - bbox(label))).toBeLessThan(25);
  });

  it('draws text only because the bundled font is given to resvg', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="30"><text x="4" y="22" font-family="DejaVu Sans, Verdana, sans-serif" font-size="20">Hg</text></svg>';
    const dark = (opts: ReturnType<typeof resvgOptions>) => {
      const px = new Resvg(svg, opts).render().pixels;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i]! < 100) n++;
      return n;
    };
    expect(dark(resvgOptions(1))).toBeGreaterThan(50);
    expect(dark({ ...resvgOptions(1), font: { loadSystemFonts: false } })).toBe(0);
  });
});

/**
 * How far the drawn content of a written figure reaches past its SVG's edges, laid out again by
 * Vega from its .vl.json with the same DejaVu metrics: a cut legend or title shows here.
 */
async function contentOverflow(vlJson: string, svgFile: string): Promise<number> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const { useFontMetrics } = await import('../src/plot/fonts.js');
  useFontMetrics((vega as unknown as { textMetrics: Parameters<typeof useFontMetrics>[0] }).textMetrics);
  const view = new vega.View(vega.parse(compile(JSON.parse(fs.readFileSync(vlJson, 'utf8'))).spec), { renderer: 'none' });
  await view.runAsync();
  const b = (view as unknown as { scenegraph(): { root: { bounds: { x1: number; x2: number; y1: number; y2: number } } } }).scenegraph().root.bounds;
  const [ox, oy] = view.origin();
  view.finalize();
  const svg = fs.readFileSync(svgFile, 'utf8');
  const w = Number(/width="([\d.]+)"/.exec(svg)![1]);
  const h = Number(/height="([\d.]+)"/.exec(svg)![1]);
  return Math.max(-(ox + b.x1), ox + b.x2 - w, -(oy + b.y1), oy + b.y2 - h);
}

describe('a sweep with four swept flags (the figures once failed: Undefined data set name "layer_0_main")', () => {
  const dir = path.join(TMP, 'sweep4');
  const args = ['sweep', '-n', '10,100', '-t', '10,100', '--ddof', '0,1', '--temperature', '0.9,1', '-e', '50', '--method', 'stats', '-w', '1', '-o', dir];
  let out: ReturnType<typeof collapse>;
  beforeAll(() => {
    out = collapse(args);
  });

  it('prints the table, then draws every figure: T on x, a line per n, a panel per ddof and τ', async () => {
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toBe('');
    const lines = out.stdout.trim().split('\n');
    expect(lines.filter((l) => /^\s*\d+\s+10{1,2}\s+10{1,2}\s+[01]\s+(0\.9|1)\s/.test(l))).toHaveLength(16);
    expect(lines[lines.length - 1]).toBe(`figures in ${path.join(dir, 'figures')}`);
    const names = ['sweep-sd', 'sweep-log10sd'].flatMap((n) => ['vl.json', 'svg', 'png', 'pdf'].map((e) => `${n}.${e}`));
    expect(fs.readdirSync(path.join(dir, 'figures')).sort()).toEqual([...names].sort());
    for (const n of ['sweep-sd', 'sweep-log10sd']) {
      const t = texts(parseSvg(path.join(dir, 'figures', `${n}.svg`)));
      for (const s of ['ddof = 0, τ = 0.9', 'ddof = 0, τ = 1', 'ddof = 1, τ = 0.9', 'ddof = 1, τ = 1', 'generations T', 'n', '10', '100']) {
        expect(t, `${n}: ${s}`).toContain(s);
      }
      expect(t.join(' ')).not.toContain('…');
      expect(await contentOverflow(path.join(dir, 'figures', `${n}.vl.json`), path.join(dir, 'figures', `${n}.svg`))).toBeLessThanOrEqual(1);
    }
  });

  it('writes each figure as a valid one-page PDF: DejaVu embedded, text as text, no raster, the same bytes again', async () => {
    const file = path.join(dir, 'figures', 'sweep-sd.pdf');
    const b = fs.readFileSync(file);
    const text = b.toString('latin1');
    expect(text.startsWith('%PDF-1.')).toBe(true);
    // startxref points at the xref table, whose every in-use entry points at its object
    const start = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)![1]);
    expect(text.slice(start, start + 4)).toBe('xref');
    const head = /^xref\s+0\s+(\d+)\s+/.exec(text.slice(start))!;
    const count = Number(head[1]);
    const entries = text.slice(start + head[0].length).split(/\r?\n/).slice(0, count);
    expect(entries).toHaveLength(count);
    for (const [i, e] of entries.entries()) {
      const m = /^(\d{10}) (\d{5}) ([nf])\s*$/.exec(e);
      expect(m, e).not.toBeNull();
      if (m![3] === 'n') expect(text.slice(Number(m![1]), Number(m![1]) + 20)).toMatch(new RegExp(`^${i} 0 obj`));
    }
    expect(text).toMatch(new RegExp(`trailer\\s*<<[^]*?/Size ${count}[^]*?/Root \\d+ 0 R`));
    expect(text.match(/\/Type \/Page\b/g)).toHaveLength(1);
    expect(text.match(/\/FontFile2/g)?.length).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/\/FontName \/[A-Z]{6}\+DejaVuSans\b/);
    expect(text).not.toMatch(/\/Subtype \/Image/);
    // the page content sets text in the embedded font (Tf) as glyph strings (Tj or TJ)
    const { inflateSync } = await import('node:zlib');
    const contents = [...text.matchAll(/\/Length (\d+)[^]*?>>\s*stream\r?\n/g)].map((m) => {
      const at = m.index + m[0].length;
      try {
        return inflateSync(b.subarray(at, at + Number(m[1]))).toString('latin1');
      } catch {
        return '';
      }
    });
    expect(contents.some((c) => /\/F\d+ [\d.]+ Tf/.test(c) && /(Tj|TJ)\b/.test(c))).toBe(true);
    // a 500 px figure (a faceted one within 1 px) at 150 px per inch: a 240 pt wide page
    const box = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(text)!;
    expect(Math.abs(Number(box[1]) - 240)).toBeLessThanOrEqual(0.5);
    const svg = fs.readFileSync(path.join(dir, 'figures', 'sweep-sd.svg'), 'utf8');
    const [, w, h] = /width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
    expect((await svgToPdf(svg, Number(w), Number(h))).equals(b)).toBe(true);
  });

  it('plot --format svg removes the PNG and PDF an earlier plot left; --x-axis must name a swept flag', async () => {
    // in-process (what `collapse plot DIR --format svg --x-axis samples` runs): no second Vega start-up
    await plotDirectory(dir, { formats: ['svg'], x: 'samples' });
    expect(fs.readdirSync(path.join(dir, 'figures')).sort()).toEqual(['sweep-log10sd.svg', 'sweep-log10sd.vl.json', 'sweep-sd.svg', 'sweep-sd.vl.json']);
    expect(texts(parseSvg(path.join(dir, 'figures', 'sweep-sd.svg')))).toContain('samples per generation n');
    const before = fs.readdirSync(path.join(dir, 'figures')).map((f) => fs.statSync(path.join(dir, 'figures', f)).mtimeMs);
    const bad = collapse(['plot', dir, '--x-axis', 'sd0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('collapse: --x-axis must name a swept parameter (samples, generations, ddof, temperature), got "sd0"\n');
    expect(fs.readdirSync(path.join(dir, 'figures')).map((f) => fs.statSync(path.join(dir, 'figures', f)).mtimeMs)).toEqual(before);
  });

  it('fits four panels and their legends in a 320 px figure: legends stack rather than widen it', async () => {
    await plotDirectory(dir, { formats: ['svg'], width: 320 });
    const file = path.join(dir, 'figures', 'sweep-sd.svg');
    expect(Number(/width="([\d.]+)"/.exec(fs.readFileSync(file, 'utf8'))![1])).toBeLessThanOrEqual(321);
    expect(await contentOverflow(path.join(dir, 'figures', 'sweep-sd.vl.json'), file)).toBeLessThanOrEqual(1);
    expect(texts(parseSvg(file))).toContain('exact theory');
  });

  it('a figure that fails never withholds the results: the table first, then one warning line, exit 0', () => {
    fs.rmSync(path.join(dir, 'figures'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'figures'), 'not a directory\n');
    const r = collapse(args);
    fs.rmSync(path.join(dir, 'figures'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('all 16 points were already done');
    expect(r.stdout.split('\n').filter((l) => /^\s*15\s/.test(l))).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^collapse: warning: results are in ${dir}, but drawing the figures failed: [^\\n]*; retry with collapse plot ${dir}\\n$`));
  });
});

describe('a deep run (-n 100 -t 2000): decades on the log axis, E[log10 s_t] overlaid, nothing cut', () => {
  const dir = path.join(TMP, 'deep2000');
  beforeAll(() => {
    expect(collapse(['run', '-n', '100', '-t', '2000', '-e', '2000', '--method', 'stats', '-w', '1', '--no-plot', '-o', dir]).code).toBe(0);
  });

  it('labels the y axis 10ᵏ at whole decades and says why it shows the geometric mean', async () => {
    await plotDirectory(dir, { formats: ['svg'] });
    const file = path.join(dir, 'figures', 'sd-trajectory.svg');
    const doc = parseSvg(file);
    const axis = Array.from(doc.getElementsByTagName('g')).find((g) => g.getAttribute('aria-label')?.startsWith('Y-axis'))!;
    const labels = Array.from(axis.getElementsByTagName('text')).map((t) => t.textContent ?? '').filter((l) => l !== '' && !l.startsWith('sd'));
    expect(labels.length).toBeGreaterThanOrEqual(3);
    for (const l of labels) expect(l).toMatch(/^10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+$/);
    const t = texts(doc);
    for (const s of ['geometric mean', 'exact geometric mean', 'median', 'p05–p95']) expect(t).toContain(s);
    expect(t.join(' ')).toMatch(/E\[s_t\] comes from chains too rare for E runs/);
    expect(t.join(' ')).not.toContain('…');
    expect(await contentOverflow(path.join(dir, 'figures', 'sd-trajectory.vl.json'), file)).toBeLessThanOrEqual(1);
    // the geometric mean plotted is 10^log10_sd_mean, theory's 10^theory_log10_sd_mean
    const last = lastRow(path.join(dir, 'trajectory.csv'));
    const data = vlData(path.join(dir, 'figures', 'sd-trajectory.vl.json'));
    const at = (series: string) => data.find((d) => d['t'] === 2000 && d['series'] === series)!['y'] as number;
    expect(Math.log10(at('geometric mean'))).toBeCloseTo(last['log10_sd_mean']!, 10);
    expect(Math.log10(at('exact geometric mean'))).toBeCloseTo(last['theory_log10_sd_mean']!, 10);
  });

  it('cuts no legend or title at the narrowest --width; --x-axis on a run is refused', async () => {
    await plotDirectory(dir, { formats: ['svg'], width: 150 });
    const file = path.join(dir, 'figures', 'sd-trajectory.svg');
    expect(await contentOverflow(path.join(dir, 'figures', 'sd-trajectory.vl.json'), file)).toBeLessThanOrEqual(1);
    expect(texts(parseSvg(file))).toContain('exact geometric mean');
    const x = collapse(['plot', dir, '--x-axis', 'samples']);
    expect(x.code).toBe(2);
    expect(x.stderr).toBe(`collapse: --x-axis applies to sweep directories only, got "samples" for the run directory ${JSON.stringify(dir)}\n`);
  });
});

describe('a sweep with more colour groups than the palette has', () => {
  it('draws nine values of n in viridis', async () => {
    const dir = path.join(TMP, 'many-groups');
    fs.mkdirSync(dir);
    const lines = [SWEEP_HEADER];
    let k = 0;
    for (const samples of [10, 20, 30, 50, 70, 100, 200, 500, 1000]) {
      for (const generations of [10, 100]) {
        const m = (1 - 1.5 / samples) ** generations;
        lines.push(sweepRow(k++, 0, { samples, generations }, { sd_mean: m, sd_sd: 0.1, sd_mean_log10: Math.log10(m), log10_sd_mean: Math.log10(m), log10_sd_sd: 0.1 }));
      }
    }
    fs.writeFileSync(path.join(dir, 'sweep.csv'), lines.join('\n') + '\n');
    const warnings: string[] = [];
    await plotDirectory(dir, { formats: ['svg'], onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    const doc = parseSvg(path.join(dir, 'figures', 'sweep-sd.svg'));
    const strokes = new Set(marks(doc, 'line mark').map((l) => l.getAttribute('stroke')));
    expect(strokes.size).toBe(9);
  });
});
