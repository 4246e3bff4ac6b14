/**
 * Figures of one run directory: the sd against generation beside exact theory (sd-trajectory),
 * and the distribution of the final log10 sd across experiments (final-log10sd).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { RuntimeError } from '../errors.js';
import { readResultDocument, SUMMARY_FILE } from '../results.js';
import { numberColumn, readCsv } from './csv.js';
import { CARRIERS_MIN, meanCarriers } from './carriers.js';
import { CONTOUR_GRID, mixtureContours, type Component, type ContourVertex } from './contour.js';
import type { Figure } from './render.js';
import { allFamilies, familyNames, familyOf, type MetricDef } from '../families/index.js';
import {
  ASPECT,
  extent,
  figureTitle,
  legendColumns,
  linearTicks,
  logAxis,
  logDomain,
  logTicks,
  settingsParts,
  type Params,
} from './style.js';

/** Vega-Lite schema the specs declare. */
export const VL_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Below this (or at 0) a value is plotted as its log10: a log axis cannot show it. */
const TINY = 1e-300;

/**
 * Most trajectory rows a figure draws: a 500 px plot cannot show more, and a run recorded with a
 * small --every (10^5 rows) would otherwise make a multi-megabyte SVG. The default --every keeps
 * runs at or below 1000 rows, which are all drawn.
 */
const MAX_ROWS = 1000;

/** What a run's figures need from summary.json. */
export interface RunInfo {
  params: Params;
  /** Theory E[log10 s_T], or null where the regime has no closed form. */
  theoryLog10Mean: number | null;
}

/** Reads the parts of summary.json the figures use (and checks its schema version). */
export function readRunInfo(dir: string): RunInfo {
  const doc = readResultDocument(path.join(dir, SUMMARY_FILE), 'collapse.run');
  const params = doc['params'] as Params | undefined;
  if (typeof params !== 'object' || params === null) throw new RuntimeError(`${path.join(dir, SUMMARY_FILE)} has no params`);
  const theory = doc['theory'] as { log10Sd?: { mean?: unknown } | null } | null | undefined;
  const m = theory?.log10Sd?.mean;
  return { params, theoryLog10Mean: typeof m === 'number' && Number.isFinite(m) ? m : null };
}

/** "replace regime": how titles name a run's regime (the subtitle gives λ for fresh and augment). */
function regimeName(p: Params): string {
  return `${String(p['regime'] ?? 'replace')} regime`;
}

/** A point of a line series. */
interface LinePoint {
  t: number;
  series: string;
  y: number;
  dash: 'solid' | 'dashed';
}

const SERIES = { band: 'p05–p95', median: 'median', mean: 'mean', theory: 'exact E[s_t]' } as const;

/** The mean series' names when E[log10 s_t] replaces E[s_t]: on a log axis it is 10^E[log10 s_t], the geometric mean. */
const LOG_SERIES = {
  log10: { mean: 'mean of log10 s_t', theory: 'exact E[log10 s_t]' },
  geometric: { mean: 'geometric mean', theory: 'exact geometric mean' },
} as const;

/**
 * The legend of a figure with a p05–p95 band and lines: one legend, the lines', whose colour domain
 * lists the band too (drawn with a fixed colour); its symbols take their shape, fill and dash from
 * the entry (a square for the band, a dashed stroke for theory).
 */
function bandLegend(domain: readonly string[], theoryName: string, bandColor: string, width: number): Record<string, unknown> {
  const isBand = `datum.value === '${SERIES.band}'`;
  const isTheory = `datum.value === '${theoryName}'`;
  return {
    title: null,
    columns: legendColumns(domain, width),
    symbolType: 'stroke',
    encoding: {
      symbols: {
        opacity: { value: 1 },
        shape: { condition: { test: isBand, value: 'square' }, value: 'stroke' },
        fill: { condition: { test: isBand, value: bandColor }, value: 'transparent' },
        fillOpacity: { condition: { test: isBand, value: 0.35 }, value: 1 },
        strokeOpacity: { condition: { test: isBand, value: 0 }, value: 1 },
        // a plain value: Vega sizes legend entries from it
        strokeWidth: { value: 2.5 },
        strokeDash: { condition: { test: isTheory, value: [5, 3] }, value: [1, 0] },
      },
    },
  };
}

/** The columns of trajectory.csv the sd figure reads. */
const SD_FIGURE_COLUMNS = [
  'generation',
  ...['sd_p05', 'sd_p50', 'sd_p95', 'sd_mean', 'theory_sd_mean'],
  ...['log10_sd_sd', 'theory_log10_sd_sd', 'log10_sd_mean', 'theory_log10_sd_mean'],
  ...['log10_sd_p05', 'log10_sd_p50', 'log10_sd_p95'],
];

/**
 * The sd-trajectory figure. Generation 0 (the original distribution, sd = σ₀ in every
 * experiment) is added in front of the recorded rows so that every curve starts at σ₀. When any
 * plotted value is 0 or below 1e-300 (or not finite), the figure plots log10 values on a linear
 * axis instead, from the log10 columns the run also writes. When E[s_t] comes from chains too
 * rare for the run's E experiments (meanCarriers below CARRIERS_MIN by the last row), the mean
 * and theory lines show E[log10 s_t] instead, which lies in the bulk, and the subtitle says why.
 * Draws every row up to MAX_ROWS, then every k-th row and the last.
 */
export function sdTrajectoryFigure(dir: string, info: RunInfo, width: number): Figure {
  const t = readCsv(path.join(dir, 'trajectory.csv'), SD_FIGURE_COLUMNS);
  const gen = numberColumn(t, 'generation');
  const lin = {
    p05: numberColumn(t, 'sd_p05'),
    p50: numberColumn(t, 'sd_p50'),
    p95: numberColumn(t, 'sd_p95'),
    mean: numberColumn(t, 'sd_mean'),
    theory: numberColumn(t, 'theory_sd_mean'),
  };
  const plotted = [...lin.p05, ...lin.p50, ...lin.p95, ...lin.mean, ...lin.theory];
  const useLog10 = plotted.some((v) => v !== null && !(v >= TINY && v < Infinity));
  const E = Number(info.params['experiments'] ?? NaN);
  const l10Sd = numberColumn(t, 'log10_sd_sd');
  const thL10Sd = numberColumn(t, 'theory_log10_sd_sd');
  // the first recorded generation from which E[s_t] rests on chains too rare for E runs
  let rareFrom: number | null = null;
  gen.forEach((g, i) => {
    const k = meanCarriers(E, thL10Sd[i] ?? l10Sd[i] ?? null);
    if (rareFrom === null && g !== null && k !== null && k < CARRIERS_MIN) rareFrom = g;
  });
  const lastK = meanCarriers(E, thL10Sd[gen.length - 1] ?? l10Sd[gen.length - 1] ?? null);
  const logMean = useLog10 || (lastK !== null && lastK < CARRIERS_MIN);
  const l10Mean = numberColumn(t, 'log10_sd_mean');
  const thL10Mean = numberColumn(t, 'theory_log10_sd_mean');
  const pow10 = (xs: (number | null)[]) => xs.map((v) => (v === null ? null : 10 ** v));
  const cols = useLog10
    ? {
        p05: numberColumn(t, 'log10_sd_p05'),
        p50: numberColumn(t, 'log10_sd_p50'),
        p95: numberColumn(t, 'log10_sd_p95'),
        mean: l10Mean,
        theory: thL10Mean,
      }
    : logMean
      ? { ...lin, mean: pow10(l10Mean), theory: pow10(thL10Mean) }
      : lin;
  const names = useLog10 ? LOG_SERIES.log10 : logMean ? LOG_SERIES.geometric : { mean: SERIES.mean, theory: SERIES.theory };
  const sd0 = Number(info.params['sd0'] ?? 1);
  const start = useLog10 ? Math.log10(sd0) : sd0;
  const hasTheory = cols.theory.some((v) => v !== null);

  const ok = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
  const band: { t: number; lo: number; hi: number }[] = [{ t: 0, lo: start, hi: start }];
  const lines: LinePoint[] = [];
  const add = (t: number, series: string, y: number | null | undefined) => {
    if (ok(y)) lines.push({ t, series, y, dash: series === names.theory ? 'dashed' : 'solid' });
  };
  add(0, SERIES.median, start);
  add(0, names.mean, start);
  if (hasTheory) add(0, names.theory, start);
  const stride = Math.ceil(gen.length / MAX_ROWS);
  gen.forEach((g, i) => {
    if (g === null || (i % stride !== 0 && i !== gen.length - 1)) return;
    const lo = cols.p05[i];
    const hi = cols.p95[i];
    if (ok(lo) && ok(hi)) band.push({ t: g, lo, hi });
    add(g, SERIES.median, cols.p50[i]);
    add(g, names.mean, cols.mean[i]);
    if (hasTheory) add(g, names.theory, cols.theory[i]);
  });
  const meanNote = logMean
    ? [
        `${useLog10 ? 'E[log10 s_t]' : 'geometric mean 10^E[log10 s_t]'} shown: E[s_t] comes from chains too rare for E runs (fewer than ${CARRIERS_MIN} expected)${
          rareFrom !== null ? ` from t = ${rareFrom}` : ''
        }`,
      ]
    : [];

  const domain = [SERIES.band, SERIES.median, names.mean, ...(hasTheory ? [names.theory] : [])];
  const colors = ['#56B4E9', '#0072B2', '#D55E00', '#000000'];
  const ys = [...band.flatMap((b) => [b.lo, b.hi]), ...lines.map((l) => l.y)];
  const yTitle = useLog10 ? 'log10 sd (log10 s_t)' : 'sd s_t (log scale)';
  const [yLo, yHi] = extent(ys);
  const yPad = (yHi - yLo) * 0.03 || 1;
  const yAxis = useLog10
    ? { scale: { domain: [yLo - yPad, yHi + yPad], nice: false }, axis: { values: linearTicks(yLo, yHi, 6) } }
    : { scale: { type: 'log' as const, domain: logDomain(ys), nice: false }, axis: logAxis(logTicks(ys)) };
  const x = {
    field: 't',
    type: 'quantitative' as const,
    title: 'generation t',
    scale: { nice: false },
    axis: { tickCount: 6, tickMinStep: 1, format: '~d' },
  };
  // One legend, the lines': its colour domain lists the band too (drawn with a fixed colour), and
  // its symbols take their shape, fill and dash from the entry.
  const isBand = `datum.value === '${SERIES.band}'`;
  const isTheory = `datum.value === '${names.theory}'`;
  const legend = {
    title: null,
    columns: legendColumns(domain, width),
    symbolType: 'stroke',
    encoding: {
      symbols: {
        opacity: { value: 1 },
        shape: { condition: { test: isBand, value: 'square' }, value: 'stroke' },
        fill: { condition: { test: isBand, value: colors[0] }, value: 'transparent' },
        fillOpacity: { condition: { test: isBand, value: 0.35 }, value: 1 },
        strokeOpacity: { condition: { test: isBand, value: 0 }, value: 1 },
        // a plain value: Vega sizes legend entries from it
        strokeWidth: { value: 2.5 },
        strokeDash: { condition: { test: isTheory, value: [5, 3] }, value: [1, 0] },
      },
    },
  };
  const color = { type: 'nominal' as const, scale: { domain, range: colors.slice(0, domain.length) }, legend };
  const spec = {
    $schema: VL_SCHEMA,
    title: figureTitle(
      `Fitted sd over generations, ${regimeName(info.params)}`,
      [
        ...settingsParts(info.params),
        ...(useLog10 ? ['log10 axis (sd below 1e-300)'] : []),
        ...meanNote,
        ...(hasTheory ? [] : [`no closed form for ${logMean ? 'E[log10 s_t]' : 'E[s_t]'}`]),
      ],
      width,
    ),
    width,
    height: Math.round(width * ASPECT),
    autosize: { type: 'fit', contains: 'padding' },
    layer: [
      {
        data: { values: band },
        mark: { type: 'area', color: colors[0], opacity: 0.35 },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', title: yTitle, ...yAxis },
          y2: { field: 'hi' },
        },
      },
      {
        data: { values: lines },
        mark: { type: 'line' },
        encoding: {
          x,
          y: { field: 'y', type: 'quantitative' },
          color: { field: 'series', ...color },
          // keyed by its own field: one keyed by 'series' would merge into the colour legend.
          strokeDash: {
            field: 'dash',
            type: 'nominal',
            scale: { domain: ['solid', 'dashed'], range: [[1, 0], [5, 3]] },
            legend: null,
          },
        },
      },
    ],
  };
  return { name: 'sd-trajectory', spec: spec as unknown as TopLevelSpec };
}

/** A histogram bin: [start, end) and its count (the last bin is closed). */
export interface Bin {
  start: number;
  end: number;
  count: number;
}

/**
 * Counts finite `values` into about `bins` bins of a nice width (1, 2, 2.5 or 5 × 10^k). Done here rather than by
 * Vega-Lite so that the spec carries ~40 counts, not one value per experiment. O(values).
 */
export function histogram(values: readonly number[], bins = 40): Bin[] {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return [];
  const [lo, hi] = extent(xs);
  const span = hi - lo > Math.abs(hi) * 1e-12 ? hi - lo : Math.max(Math.abs(hi), 1) * 0.01 * bins;
  // the nice width (1, 2, 2.5 or 5 × 10^k) whose bin count is nearest `bins` on a log scale
  const k = Math.floor(Math.log10(span / bins));
  let step = NaN;
  let miss = Infinity;
  for (const p of [k - 1, k, k + 1]) {
    for (const m of [1, 2, 2.5, 5]) {
      const c = Number((m * 10 ** p).toPrecision(12));
      const d = Math.abs(Math.log(span / c / bins));
      if (d < miss) [step, miss] = [c, d];
    }
  }
  const first = Math.floor(lo / step) * step;
  const n = Math.max(1, Math.floor((hi - first) / step) + 1);
  const counts = new Array<number>(n).fill(0);
  for (const v of xs) counts[Math.min(n - 1, Math.floor((v - first) / step))]! += 1;
  return counts.map((count, i) => ({ start: first + i * step, end: first + (i + 1) * step, count }));
}

/** The final-log10sd figure: a histogram of the final log10 sd with a rule at theory E[log10 s_T]. */
export function finalLog10SdFigure(dir: string, info: RunInfo, width: number): Figure {
  const t = readCsv(path.join(dir, 'finals.csv'), ['log10_sd']);
  const values = numberColumn(t, 'log10_sd').filter((v): v is number => v !== null);
  const allBins = histogram(values);
  // empty bins only widen the axis; as bars they would draw a hairline along it
  const bins = allBins.filter((b) => b.count > 0);
  const edges = [...allBins.flatMap((b) => [b.start, b.end]), ...(info.theoryLog10Mean !== null ? [info.theoryLog10Mean] : [])];
  if (edges.length === 0) throw new RuntimeError(`${t.file} has no finite log10_sd to plot`);
  const [xLo, xHi] = extent(edges);
  const layers: unknown[] = [
    {
      data: { values: bins },
      mark: { type: 'bar', color: '#56B4E9', stroke: '#2b7bb0', strokeWidth: 0.5, binSpacing: 0 },
      encoding: {
        x: {
          field: 'start',
          type: 'quantitative',
          bin: { binned: true },
          title: 'final log10 sd (log10 s_T)',
          scale: { domain: [xLo, xHi], nice: false, zero: false },
          axis: { values: linearTicks(xLo, xHi, 5) },
        },
        x2: { field: 'end' },
        y: { field: 'count', type: 'quantitative', title: 'experiments' },
      },
    },
  ];
  if (info.theoryLog10Mean !== null) {
    layers.push({
      data: { values: [{ x: info.theoryLog10Mean, label: 'exact E[log10 s_T]' }] },
      mark: { type: 'rule', strokeDash: [5, 3], strokeWidth: 2 },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        color: {
          field: 'label',
          type: 'nominal',
          scale: { range: ['#000000'] },
          legend: { title: null, symbolType: 'stroke', symbolDash: [5, 3] },
        },
      },
    });
  }
  const spec = {
    $schema: VL_SCHEMA,
    title: figureTitle(
      `Final log10 sd across experiments, ${regimeName(info.params)}`,
      [...settingsParts(info.params), ...(info.theoryLog10Mean === null ? ['no closed form for E[log10 s_T]'] : [])],
      width,
    ),
    width,
    height: Math.round(width * ASPECT),
    autosize: { type: 'fit', contains: 'padding' },
    layer: layers,
  };
  return { name: 'final-log10sd', spec: spec as unknown as TopLevelSpec };
}

/**
 * A family metric against generation (metric-<column>): the p05–p95 band, median, mean and, where
 * known, the exact expectation (dashed). A log axis where every plotted value is positive and above
 * 1e-300, else linear. Draws every row up to MAX_ROWS, then every k-th row and the last.
 */
export function metricTrajectoryFigure(dir: string, info: RunInfo, width: number, def: MetricDef): Figure {
  const stats = ['p05', 'p50', 'p95', 'mean'].map((stat) => `${def.column}_${stat}`);
  const t = readCsv(path.join(dir, 'trajectory.csv'), ['generation', ...stats, `theory_${def.column}_mean`]);
  const gen = numberColumn(t, 'generation');
  const col = (stat: string) => numberColumn(t, `${def.column}_${stat}`);
  const p05 = col('p05');
  const p50 = col('p50');
  const p95 = col('p95');
  const mean = col('mean');
  const theory = numberColumn(t, `theory_${def.column}_mean`);
  const hasTheory = theory.some((v) => v !== null && Number.isFinite(v));
  const ok = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
  const names = { mean: 'mean', theory: 'exact expectation' };
  const band: { t: number; lo: number; hi: number }[] = [];
  const lines: LinePoint[] = [];
  const add = (g: number, series: string, y: number | null | undefined) => {
    if (ok(y)) lines.push({ t: g, series, y, dash: series === names.theory ? 'dashed' : 'solid' });
  };
  const stride = Math.ceil(gen.length / MAX_ROWS);
  gen.forEach((g, i) => {
    if (g === null || (i % stride !== 0 && i !== gen.length - 1)) return;
    if (ok(p05[i]) && ok(p95[i])) band.push({ t: g, lo: p05[i]!, hi: p95[i]! });
    add(g, SERIES.median, p50[i]);
    add(g, names.mean, mean[i]);
    if (hasTheory) add(g, names.theory, theory[i]);
  });
  const ys = [...band.flatMap((b) => [b.lo, b.hi]), ...lines.map((l) => l.y)];
  if (ys.length === 0) throw new RuntimeError(`${t.file} has no finite ${def.column} to plot`);
  const log = ys.every((v) => v >= TINY);
  const [yLo, yHi] = extent(ys);
  const yPad = (yHi - yLo) * 0.03 || 1;
  const yAxis = log
    ? { scale: { type: 'log' as const, domain: logDomain(ys), nice: false }, axis: logAxis(logTicks(ys)) }
    : { scale: { domain: [yLo - yPad, yHi + yPad], nice: false }, axis: { values: linearTicks(yLo, yHi, 6) } };
  // rows with nothing finite to draw at the end (a strictly positive metric that underflowed, NA
  // from there on): the axis still runs to the last generation, and the subtitle says why it is empty
  const drawn = gen.map((g, i) => g !== null && (ok(p50[i]) || ok(mean[i]) || (hasTheory && ok(theory[i]))));
  const lastDrawn = drawn.lastIndexOf(true);
  const gens = gen.filter((g): g is number => g !== null);
  const emptyFrom = lastDrawn < gen.length - 1 ? gen[lastDrawn + 1] ?? null : null;
  const emptyNote =
    emptyFrom === null
      ? []
      : [def.strictlyPositive === true ? `NA from t = ${emptyFrom}: below the smallest double (underflow)` : `NA from t = ${emptyFrom}`];
  const xScale = emptyFrom === null ? { nice: false } : { nice: false, domain: [gens[0]!, gens[gens.length - 1]!] };
  const x = { field: 't', type: 'quantitative' as const, title: 'generation t', scale: xScale, axis: { tickCount: 6, tickMinStep: 1, format: '~d' } };
  const domain = [SERIES.band, SERIES.median, names.mean, ...(hasTheory ? [names.theory] : [])];
  const colors = ['#56B4E9', '#0072B2', '#D55E00', '#000000'];
  const spec = {
    $schema: VL_SCHEMA,
    title: figureTitle(
      `${def.label} over generations, ${regimeName(info.params)}`,
      [
        ...settingsParts(info.params),
        ...(hasTheory ? [] : ['no closed form for its expectation']),
        ...emptyNote,
      ],
      width,
    ),
    width,
    height: Math.round(width * ASPECT),
    autosize: { type: 'fit', contains: 'padding' },
    layer: [
      {
        data: { values: band },
        mark: { type: 'area', color: colors[0], opacity: 0.35 },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: `${def.label}${log ? ' (log scale)' : ''}`, ...yAxis }, y2: { field: 'hi' } },
      },
      {
        data: { values: lines },
        mark: { type: 'line' },
        encoding: {
          x,
          y: { field: 'y', type: 'quantitative' },
          color: { field: 'series', type: 'nominal' as const, scale: { domain, range: colors.slice(0, domain.length) }, legend: bandLegend(domain, names.theory, colors[0]!, width) },
          strokeDash: { field: 'dash', type: 'nominal', scale: { domain: ['solid', 'dashed'], range: [[1, 0], [5, 3]] }, legend: null },
        },
      },
    ],
  };
  return { name: `metric-${def.column}`, spec: spec as unknown as TopLevelSpec };
}

/** A family's rank–frequency file (src/families/types.ts artifacts), drawn where a run has one. */
export const RANK_FREQUENCY_FILE = 'rank-frequency.csv';

/**
 * The rank–frequency (Zipf) plot, log–log: the start distribution (dashed) and experiment 0's
 * fit at the generations of rank-frequency.csv, each sorted into decreasing probability; a
 * category that died has no point, so the curves end where the tail was cut.
 */
export function rankFrequencyFigure(dir: string, info: RunInfo, width: number): Figure {
  const t = readCsv(path.join(dir, RANK_FREQUENCY_FILE));
  const gen = numberColumn(t, 'generation');
  const rank = numberColumn(t, 'rank');
  const prob = numberColumn(t, 'probability');
  const label = (g: number) => (g === 0 ? 'original' : `t = ${g}`);
  const points: { rank: number; p: number; series: string; dash: string }[] = [];
  const order: string[] = [];
  gen.forEach((g, i) => {
    const r = rank[i];
    const p = prob[i];
    if (g === null || r === null || p === null || r === undefined || p === undefined || !(p > 0)) return;
    const series = label(g);
    if (!order.includes(series)) order.push(series);
    points.push({ rank: r, p, series, dash: g === 0 ? 'dashed' : 'solid' });
  });
  if (points.length === 0) throw new RuntimeError(`${t.file} has no positive probability to plot`);
  const ps = points.map((q) => q.p);
  const rs = points.map((q) => q.rank);
  // the original in black, then the generations from light to dark
  const palette = ['#000000', '#F0E442', '#E69F00', '#56B4E9', '#009E73', '#0072B2', '#D55E00', '#CC79A7', '#999999'];
  const range = order.map((_, i) => palette[Math.min(i, palette.length - 1)]!);
  const spec = {
    $schema: VL_SCHEMA,
    title: figureTitle(`Rank–frequency of the fit, experiment 1, ${regimeName(info.params)}`, settingsParts(info.params), width),
    width,
    height: Math.round(width * ASPECT),
    autosize: { type: 'fit', contains: 'padding' },
    data: { values: points },
    mark: { type: 'line', point: false },
    encoding: {
      x: { field: 'rank', type: 'quantitative', title: 'rank (log scale)', scale: { type: 'log', domain: logDomain(rs), nice: false }, axis: logAxis(logTicks(rs)) },
      y: { field: 'p', type: 'quantitative', title: 'probability (log scale)', scale: { type: 'log', domain: logDomain(ps), nice: false }, axis: logAxis(logTicks(ps)) },
      color: { field: 'series', type: 'nominal', sort: order, scale: { domain: order, range }, legend: { title: null, columns: legendColumns(order, width) } },
      strokeDash: { field: 'dash', type: 'nominal', scale: { domain: ['solid', 'dashed'], range: [[1, 0], [5, 3]] }, legend: null },
      order: { field: 'rank', type: 'quantitative' },
    },
  };
  return { name: 'rank-frequency', spec: spec as unknown as TopLevelSpec };
}

/** The samples file a point-set family writes (families' artifacts): generation, x, y[, z]. */
export const SAMPLES_FILE = 'samples.csv';
/** The fitted mixtures --model gmm writes beside samples.csv (generation 0: the original). */
export const FITS_FILE = 'fits.csv';
/** The highest-density-region masses whose contours the samples figure draws. */
export const CONTOUR_MASSES = [0.5, 0.9, 0.99] as const;

/** At most about `count` ticks at multiples of a 1, 2, 2.5, 4 or 5 × 10^k step within [lo, hi]. */
function panelTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 4, 5, 10].map((m) => m * p).find((v) => v >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** fits.csv's mixtures by generation. */
function readFits(file: string): Map<number, Component[]> {
  const t = readCsv(file);
  const col = (c: string) => numberColumn(t, c);
  const [gen, w, mx, my, a, b, c] = ['generation', 'weight', 'mean_x', 'mean_y', 'cov_xx', 'cov_xy', 'cov_yy'].map(col) as (number | null)[][];
  const fits = new Map<number, Component[]>();
  gen!.forEach((g, i) => {
    const q = { w: w![i], mx: mx![i], my: my![i], a: a![i], b: b![i], c: c![i] };
    if (g === null || Object.values(q).some((v) => v === null || v === undefined || !Number.isFinite(v))) return;
    if (!fits.has(g)) fits.set(g, []);
    fits.get(g)!.push(q as Component);
  });
  return fits;
}

/**
 * Experiment 0's training set at a few generations (samples.csv), one scatter panel per generation
 * on shared axes: x against y, or against the last coordinate for 3-D points (the swiss roll's
 * cross-section). Where the run has fits.csv (--model gmm), each panel also draws the contours of
 * the mixture fitted to its points and (dashed) of the original, at the levels whose
 * highest-density regions hold 50%, 90% and 99% of each mixture's mass (src/plot/contour.ts); the
 * axes are then equal and square.
 */
export function samplesFigure(dir: string, info: RunInfo, width: number): Figure {
  const t = readCsv(path.join(dir, SAMPLES_FILE));
  const gen = numberColumn(t, 'generation');
  const xs = numberColumn(t, 'x');
  const yName = t.columns.includes('z') ? 'z' : 'y';
  const ys = numberColumn(t, yName);
  const points: { g: string; x: number; y: number }[] = [];
  const gens: string[] = [];
  const gensNum: number[] = [];
  gen.forEach((g, i) => {
    const x = xs[i];
    const y = ys[i];
    if (g === null || x === null || y === null || x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) return;
    const label = `generation ${g}`;
    if (!gens.includes(label)) {
      gens.push(label);
      gensNum.push(g);
    }
    points.push({ g: label, x, y });
  });
  if (points.length === 0) throw new RuntimeError(`${t.file} has no finite point to plot`);
  const panel = Math.max(80, Math.floor((width - 40) / Math.max(1, gens.length)) - 10);
  const fitsFile = path.join(dir, FITS_FILE);
  const fits = yName === 'y' && fs.existsSync(fitsFile) ? readFits(fitsFile) : null;
  const dot = { type: 'circle', size: 6, opacity: 0.5, color: '#0072B2' };
  let inner: Record<string, unknown> = {
    mark: dot,
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'x', scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: yName, scale: { zero: false } },
    },
  };
  let values: unknown[] = points;
  const notes: string[] = [];
  if (fits !== null) {
    // a square window holding every point, 5% padded, so that ellipses look like ellipses
    const [xLo, xHi] = extent(points.map((p) => p.x));
    const [yLo, yHi] = extent(points.map((p) => p.y));
    const span = 1.1 * Math.max(xHi - xLo, yHi - yLo, 1e-9);
    const window = { x0: (xLo + xHi - span) / 2, y0: (yLo + yHi - span) / 2, span };
    const names = { fit: 'fitted mixture', original: 'original density' };
    const lines: ContourVertex[] = [];
    gens.forEach((label, k) => {
      const fitted = fits.get(gensNum[k]!);
      if (fitted !== undefined) lines.push(...mixtureContours(fitted, CONTOUR_MASSES, window, label, names.fit));
      const original = fits.get(0);
      if (original !== undefined) lines.push(...mixtureContours(original, CONTOUR_MASSES, window, label, names.original));
    });
    values = [...points, ...lines];
    const domain = [names.fit, names.original];
    const axis = (field: string, lo: number) => ({
      field,
      type: 'quantitative',
      title: field === 'x' ? 'x' : yName,
      scale: { domain: [lo, lo + span], nice: false, zero: false },
      axis: { values: panelTicks(lo, lo + span, Math.max(2, Math.floor(panel / 35))), format: '~g', labelOverlap: true },
    });
    inner = {
      layer: [
        { transform: [{ filter: 'datum.series == null' }], mark: dot, encoding: { x: axis('x', window.x0), y: axis('y', window.y0) } },
        {
          transform: [{ filter: 'datum.series != null' }],
          mark: { type: 'line', strokeWidth: 1.2, clip: true },
          encoding: {
            x: { field: 'x', type: 'quantitative' },
            y: { field: 'y', type: 'quantitative' },
            detail: { field: 'path', type: 'nominal' },
            order: { field: 'i', type: 'quantitative' },
            color: {
              field: 'series',
              type: 'nominal',
              scale: { domain, range: ['#D55E00', '#000000'] },
              legend: { title: null, orient: 'bottom', symbolType: 'stroke', columns: legendColumns(domain, width), encoding: { symbols: { strokeDash: { condition: { test: `datum.value === '${names.original}'`, value: [4, 3] }, value: [1, 0] } } } },
            },
            strokeDash: { field: 'series', type: 'nominal', scale: { domain, range: [[1, 0], [4, 3]] }, legend: null },
          },
        },
      ],
    };
    notes.push(`contours: 50, 90, 99% highest-density regions of the fit and the original (dashed), exact on a ${CONTOUR_GRID}² grid (none for a fit narrower than its step)`);
  }
  const spec = {
    $schema: VL_SCHEMA,
    title: figureTitle(`samples of experiment 0 at ${gens.length} generations, ${regimeName(info.params)}`, [...settingsParts(info.params), ...notes], width),
    data: { values },
    facet: { column: { field: 'g', type: 'nominal' as const, sort: gens, title: null } },
    spec: { width: panel, height: panel, ...inner },
  };
  return { name: 'samples', spec: spec as unknown as TopLevelSpec };
}

/**
 * The figures of a run directory: the sd figures where the family has a scalar sd summary for the
 * run (its sd columns are not all NA; the metrics there are functions of the sd and mean), else
 * one figure per family metric.
 */
export function runFigures(dir: string, width: number): Figure[] {
  const info = readRunInfo(dir);
  const model = typeof info.params['model'] === 'string' ? (info.params['model'] as string) : allFamilies()[0]!.name;
  const metrics = familyNames().includes(model) ? familyOf(model).metrics : [];
  const sd = numberColumn(readCsv(path.join(dir, 'trajectory.csv'), ['sd_mean']), 'sd_mean');
  const scalar = sd.some((v) => v !== null && !Number.isNaN(v));
  if (scalar) return [sdTrajectoryFigure(dir, info, width), finalLog10SdFigure(dir, info, width)];
  const figures: Figure[] = [];
  const t = readCsv(path.join(dir, 'trajectory.csv'), metrics.map((def) => `${def.column}_p50`));
  // a metric with no finite value (a singular fit's −Inf log det) has nothing to draw
  const drawable = (c: string) => t.columns.includes(c) && numberColumn(t, c).some((v) => v !== null && Number.isFinite(v));
  for (const def of metrics) if (drawable(`${def.column}_p50`)) figures.push(metricTrajectoryFigure(dir, info, width, def));
  if (fs.existsSync(path.join(dir, RANK_FREQUENCY_FILE))) figures.push(rankFrequencyFigure(dir, info, width));
  if (fs.existsSync(path.join(dir, SAMPLES_FILE))) figures.push(samplesFigure(dir, info, width));
  return figures;
}
