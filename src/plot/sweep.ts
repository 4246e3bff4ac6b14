/**
 * Figures of a sweep directory (sweep.csv, one row per point): the final sd and the final log10 sd
 * (and each family metric where some point is at d > 1) against one swept parameter (T when
 * swept), a line per value of a second, exact theory dashed, and a panel per setting of all the
 * others (any number of them, the regime included).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { RuntimeError, UsageError } from '../errors.js';
import { allFamilies, familyNames, familyOf } from '../families/index.js';
import type { MetricDef } from '../families/types.js';
import { readResultDocument } from '../results.js';
import { numberCell, readCsv, type Table } from './csv.js';
import type { Figure } from './render.js';
import { VL_SCHEMA } from './run.js';
import { CARRIERS_MIN, meanCarriers } from './carriers.js';
import { textWidth } from './fonts.js';
import {
  ASPECT,
  extent,
  legendColumns,
  logAxis,
  logDomain,
  logTicks,
  PALETTE,
  symlogTicks,
  PARAM_AXIS,
  PARAM_SYMBOL,
  settingsParts,
  figureTitle,
  setting,
  shortNumber,
  type Params,
} from './style.js';

export const SWEEP_CSV = 'sweep.csv';
export const SWEEP_JSON = 'sweep.json';

/** The run parameters sweep.csv carries, in its column order. */
export const SWEEP_PARAMS = [
  'samples',
  'generations',
  'experiments',
  'ddof',
  'mean0',
  'sd0',
  'seed',
  'every',
  'rng',
  'regime',
  'fresh',
  'synthetic',
  'temperature',
  'method',
  'epsilon',
  'model',
  'dim',
] as const;

const CATEGORICAL = new Set(['rng', 'regime', 'method', 'model']);

/**
 * Parameters whose default follows from others (every from T, epsilon from σ₀, λ only with the
 * fresh regime, synthetic only with augment): they vary with a swept parameter without being swept themselves.
 */
const DERIVED = ['every', 'epsilon', 'fresh', 'synthetic'];

/** Regimes in the order the README lists them (panels follow it). */
const REGIME_ORDER = ['replace', 'accumulate', 'fresh', 'accumulate-subsample', 'augment'];

const TINY = 1e-300;
const SIM = 'simulated mean ± s.e.';
const SIM_NO_SE = 'simulated mean';
const THEORY = 'exact theory';

/** One point of the sweep after pooling its replicates. */
export interface SweepPoint {
  params: Params;
  /** Raw sweep.csv cells of the parameters (how points are grouped). */
  key: Record<string, string>;
  experiments: number;
  sd: { mean: number | null; se: number | null; log10Mean: number | null; theory: number | null; theoryLog10: number | null };
  log10Sd: { mean: number | null; se: number | null; theory: number | null; sd: number | null; theorySd: number | null };
  /** Whether every row of the point has its family's scalar sd summary (sd_mean is not NA). */
  scalar: boolean;
  /** The family metrics' final values by column stem, where sweep.csv has them. */
  metrics: Record<string, MetricPoint>;
}

/** A family metric at a point: pooled mean and its s.e., theory's expectation, and the spread of its log10. */
export interface MetricPoint {
  mean: number | null;
  se: number | null;
  theory: number | null;
}

function cellValue(param: string, cell: string, where: string): string | number | null {
  if (cell === 'null') return null; // a parameter a regime does not use, as String(null) writes it
  if (CATEGORICAL.has(param)) return cell === 'NA' || cell === '' ? null : cell;
  return numberCell(cell, where);
}

/** Reads sweep.csv; checks sweep.json's schema version and kind (readResultDocument) when it is there. */
export function readSweep(dir: string): Table {
  const json = path.join(dir, SWEEP_JSON);
  if (fs.existsSync(json)) readResultDocument(json, 'collapse.sweep');
  const csv = path.join(dir, SWEEP_CSV);
  if (!fs.existsSync(csv)) throw new UsageError(`DIR must hold ${SWEEP_CSV}, got ${JSON.stringify(dir)} (no ${SWEEP_CSV}: is the sweep still running?)`);
  const t = readCsv(csv);
  if (t.rows.length === 0) throw new RuntimeError(`${csv} has no points yet`);
  return t;
}

/**
 * Pools the rows of one point's replicates as one run of all their experiments: means weighted by
 * experiments, and the sd across experiments from Chan et al.'s merge of (count, mean, M2).
 * Returns the pooled mean and its standard error sd/√N (null where an sd is missing).
 */
export function poolMeans(parts: readonly { n: number; mean: number | null; sd: number | null }[]): { mean: number | null; se: number | null } {
  let N = 0;
  let sum = 0;
  for (const p of parts) {
    if (p.mean === null || !Number.isFinite(p.mean)) return { mean: null, se: null };
    N += p.n;
    sum += p.n * p.mean;
  }
  if (N === 0) return { mean: null, se: null };
  const mean = sum / N;
  let m2 = 0;
  for (const p of parts) {
    if (p.n > 1 && (p.sd === null || !Number.isFinite(p.sd))) return { mean, se: null };
    m2 += (p.n - 1) * (p.sd ?? 0) ** 2 + p.n * (p.mean! - mean) ** 2;
  }
  return { mean, se: N > 1 ? Math.sqrt(m2 / (N - 1)) / Math.sqrt(N) : null };
}

/** log10 of the experiment-weighted mean of values given as log10s (they may underflow). */
function pooledLog10(parts: readonly { n: number; l: number | null }[]): number | null {
  let hi = -Infinity;
  for (const p of parts) {
    if (p.l === null || !Number.isFinite(p.l)) return null;
    hi = Math.max(hi, p.l);
  }
  let N = 0;
  let s = 0;
  for (const p of parts) {
    N += p.n;
    s += p.n * 10 ** (p.l! - hi);
  }
  return hi + Math.log10(s / N);
}

/** The points of sweep.csv, replicates (rows equal but for seed and replicate) pooled. */
export function sweepPoints(t: Table): SweepPoint[] {
  const idx = (name: string) => {
    const i = t.columns.indexOf(name);
    if (i < 0) throw new RuntimeError(`${t.file} has no column ${name}`);
    return i;
  };
  const pIdx = SWEEP_PARAMS.map((p) => [p, idx(p)] as const);
  // every registered family's metrics that this sweep.csv has columns for
  const metricStems = [...new Set(allFamilies().flatMap((f) => f.metrics.map((d) => d.column)))].filter((c) =>
    [`${c}_mean`, `${c}_sd`, `theory_${c}_mean`].every((n) => t.columns.includes(n)),
  );
  const num = (r: string[], k: number, name: string) => numberCell(r[idx(name)]!, `${t.file} line ${k + 2}, column ${name}`);
  const groups = new Map<string, { rows: string[][]; lines: number[] }>();
  t.rows.forEach((r, k) => {
    const key = pIdx.filter(([p]) => p !== 'seed').map(([, i]) => r[i]).join('\u0000');
    const g = groups.get(key) ?? { rows: [], lines: [] };
    g.rows.push(r);
    g.lines.push(k);
    groups.set(key, g);
  });
  const points: SweepPoint[] = [];
  for (const { rows, lines } of groups.values()) {
    const first = rows[0]!;
    const k0 = lines[0]!;
    const params: Params = {};
    const key: Record<string, string> = {};
    for (const [p, i] of pIdx) {
      key[p] = first[i]!;
      params[p] = cellValue(p, first[i]!, `${t.file} line ${k0 + 2}, column ${p}`);
    }
    const parts = rows.map((r, j) => ({ r, k: lines[j]!, n: num(r, lines[j]!, 'experiments') ?? 0 }));
    const sd = poolMeans(parts.map(({ r, k, n }) => ({ n, mean: num(r, k, 'sd_mean'), sd: num(r, k, 'sd_sd') })));
    const l10 = poolMeans(parts.map(({ r, k, n }) => ({ n, mean: num(r, k, 'log10_sd_mean'), sd: num(r, k, 'log10_sd_sd') })));
    const metrics: Record<string, MetricPoint> = {};
    for (const c of metricStems) {
      const m = poolMeans(parts.map(({ r, k, n }) => ({ n, mean: num(r, k, `${c}_mean`), sd: num(r, k, `${c}_sd`) })));
      metrics[c] = { ...m, theory: num(first, k0, `theory_${c}_mean`) };
    }
    points.push({
      params,
      key,
      experiments: parts.reduce((a, p) => a + p.n, 0),
      sd: {
        ...sd,
        log10Mean: pooledLog10(parts.map(({ r, k, n }) => ({ n, l: num(r, k, 'sd_mean_log10') }))),
        theory: num(first, k0, 'theory_sd_mean'),
        theoryLog10: num(first, k0, 'theory_sd_mean_log10'),
      },
      log10Sd: {
        ...l10,
        theory: num(first, k0, 'theory_log10_sd_mean'),
        // sd of log10 s_T across all the point's experiments: se·√N undoes poolMeans
        sd: l10.se !== null ? l10.se * Math.sqrt(parts.reduce((a, q) => a + q.n, 0)) : null,
        theorySd: num(first, k0, 'theory_log10_sd_sd'),
      },
      scalar: parts.every(({ r, k }) => num(r, k, 'sd_mean') !== null),
      metrics,
    });
  }
  return points;
}

/** True when `param`'s value is a function of the values of `others` across `points`. */
function determinedBy(points: readonly SweepPoint[], param: string, others: readonly string[]): boolean {
  const seen = new Map<string, string>();
  for (const p of points) {
    const k = others.map((o) => p.key[o]).join('\u0000');
    const v = seen.get(k);
    if (v === undefined) seen.set(k, p.key[param]!);
    else if (v !== p.key[param]) return false;
  }
  return true;
}

/**
 * The swept parameters, in sweep.csv's order: those with more than one value, less seed and
 * less a parameter whose default follows from the others (every, epsilon, λ) when it is a function
 * of the other swept ones.
 */
export function sweptParams(points: readonly SweepPoint[]): string[] {
  let swept: string[] = SWEEP_PARAMS.filter((p) => p !== 'seed' && new Set(points.map((q) => q.key[p])).size > 1);
  for (const d of DERIVED) {
    const others = swept.filter((p) => p !== d);
    if (swept.includes(d) && others.length > 0 && determinedBy(points, d, others)) swept = others;
  }
  return swept;
}

function compareValues(a: string | number | null | undefined, b: string | number | null | undefined): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return String(a).localeCompare(String(b));
}

function regimeRank(r: unknown): number {
  const i = REGIME_ORDER.indexOf(String(r));
  return i < 0 ? REGIME_ORDER.length : i;
}

/** How a sweep is laid out: x axis, colour groups and panels. */
export interface SweepLayout {
  swept: string[];
  x: string;
  xNumeric: boolean;
  xLog: boolean;
  /** Swept parameters that split lines by colour (at most one). */
  groups: string[];
  /** Swept parameters that split the figure into panels, one per setting of them all (the regime first). */
  panels: string[];
}

/**
 * Chooses the x axis: `x`, which must be swept, or the generations when swept (the sd decays with
 * T, so every line is monotone), else the first numeric swept parameter, else the first swept
 * one. The next swept parameter colours the lines; every other one, and the regime, splits panels.
 */
export function sweepLayout(points: readonly SweepPoint[], x?: string): SweepLayout {
  const swept = sweptParams(points);
  if (x !== undefined && (x === 'seed' || !SWEEP_PARAMS.includes(x as (typeof SWEEP_PARAMS)[number]))) {
    throw new UsageError(`--x-axis must be one of ${SWEEP_PARAMS.filter((p) => p !== 'seed').join(', ')}, got ${JSON.stringify(x)}`);
  }
  if (x !== undefined && !swept.includes(x)) {
    throw new UsageError(
      `--x-axis must name a swept parameter (${swept.length > 0 ? swept.join(', ') : 'none: every point has the same settings'}), got ${JSON.stringify(x)}`,
    );
  }
  const xParam = x ?? (swept.includes('generations') ? 'generations' : undefined) ?? swept.find((p) => !CATEGORICAL.has(p)) ?? swept[0] ?? 'samples';
  const xNumeric = !CATEGORICAL.has(xParam);
  const xs = points.map((p) => p.params[xParam]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const [lo, hi] = extent(xs);
  const xLog = xNumeric && xs.length > 0 && lo > 0 && hi / lo > 10;
  const rest = swept.filter((p) => p !== xParam);
  const colour = rest.find((p) => p !== 'regime');
  const groups = colour === undefined ? [] : [colour];
  const panels = [...rest.filter((p) => p === 'regime'), ...rest.filter((p) => p !== 'regime' && p !== colour)];
  return { swept, x: xParam, xNumeric, xLog, groups, panels };
}

/** Label of a colour group: the bare value of the one parameter that splits the lines. */
function groupLabel(p: SweepPoint, groups: readonly string[]): string {
  if (groups.length === 0) return 'all';
  if (groups.length === 1) {
    const v = p.params[groups[0]!];
    return typeof v === 'number' ? shortNumber(v) : String(v ?? 'NA');
  }
  return groups.map((g) => setting(g, p.params[g] ?? 'NA')).join(', ');
}

/** Label of a panel: "accumulate regime, ddof = 1, τ = 0.9". */
function panelLabel(p: SweepPoint, panels: readonly string[]): string {
  return panels.map((g) => setting(g, p.params[g] ?? 'NA')).join(', ');
}

/** A row of a sweep figure's data. */
interface Row {
  x: number | string;
  group: string;
  panel: string;
  series: string;
  y: number;
  lo?: number;
  hi?: number;
  /** The point's E[s_T] rests on rare chains: its simulated mean cannot be expected to meet theory. */
  rare?: boolean;
}

/** What a sweep figure plots: the final sd, the final log10 sd, or a family metric. */
type Quantity = 'sd' | 'log10sd' | MetricDef;

/**
 * The y scale of log10 values: linear, or symlog (linear within ±`constant` decades of 0,
 * logarithmic beyond) when they span over 30 decades and some lie within a thirtieth of that
 * span of 0, which a linear axis would squash into one line (n = 10 at T = 10⁴ is 480 decades
 * down, n = 1000 at T = 100 is 0.03).
 */
export function log10Scale(values: readonly number[]): { scale: Record<string, unknown>; axis: Record<string, unknown>; symlog: boolean } {
  const [lo, hi] = extent(values);
  const span = hi - lo;
  const near = Math.min(...values.filter((v) => Number.isFinite(v)).map((v) => Math.abs(v)));
  if (!(span > 30 && near < span / 30)) return { scale: { zero: false }, axis: {}, symlog: false };
  const constant = Math.min(1, Math.max(0.01, 10 ** Math.floor(Math.log10(Math.max(near, 1e-9)))));
  const domain = [lo < 0 ? lo * 1.15 : lo, hi > 0 ? hi * 1.15 + constant : hi + constant * 0.3];
  const ticks = symlogTicks(domain[0]!, domain[1]!, constant);
  return { scale: { type: 'symlog', constant, domain, nice: false }, axis: { values: ticks, format: '~r' }, symlog: true };
}

/** One sweep figure: the final sd (log axis, or log10 when it underflows) or the final log10 sd. */
function sweepFigure(points: readonly SweepPoint[], lay: SweepLayout, quantity: Quantity, width: number): Figure {
  const sorted = [...points].sort(
    (a, b) =>
      regimeRank(a.params['regime']) - regimeRank(b.params['regime']) ||
      lay.panels.reduce((c, g) => c || compareValues(a.params[g], b.params[g]), 0) ||
      lay.groups.reduce((c, g) => c || compareValues(a.params[g], b.params[g]), 0) ||
      compareValues(a.params[lay.x], b.params[lay.x]),
  );
  const metric = typeof quantity === 'object' ? quantity : null;
  const useLog10 =
    quantity === 'sd' &&
    points.some((p) => [p.sd.mean, p.sd.theory].some((v) => v !== null && !(v >= TINY && v < Infinity)));
  // a positive metric goes on a log axis while every value can be drawn there
  const metricLog =
    metric !== null &&
    metric.positive &&
    points.every((p) => {
      const m = p.metrics[metric.column];
      return m === undefined || [m.mean, m.theory].every((v) => v === null || !Number.isFinite(v) || v >= TINY);
    });
  const rows: Row[] = [];
  let rareCount = 0;
  for (const p of sorted) {
    const xv = p.params[lay.x];
    if (xv === null || xv === undefined) continue;
    const base = { x: xv, group: groupLabel(p, lay.groups), panel: panelLabel(p, lay.panels) };
    let y: number | null;
    let se: number | null;
    let th: number | null;
    const m = metric === null ? undefined : p.metrics[metric.column];
    if (metric !== null) [y, se, th] = m === undefined ? [null, null, null] : [m.mean, m.se, m.theory];
    else if (quantity === 'log10sd') [y, se, th] = [p.log10Sd.mean, p.log10Sd.se, p.log10Sd.theory];
    else if (useLog10) [y, se, th] = [p.sd.log10Mean, null, p.sd.theoryLog10];
    else [y, se, th] = [p.sd.mean, p.sd.se, p.sd.theory];
    if (y !== null && Number.isFinite(y)) {
      const r: Row = { ...base, series: SIM, y };
      if (se !== null && Number.isFinite(se)) {
        r.lo = y - se;
        r.hi = y + se;
      }
      // Not for the family metrics: the rule treats ln of the value as normal, which holds for s_T
      // (a sum of T independent terms) but not for tr Σ̂ (its largest eigenvalue dominates; at
      // n = 10, T = 100, d = 3, E = 400 the rule would flag from t = 19, and the mean meets E up to t ≈ 90).
      if (quantity === 'sd' && th !== null) {
        const k = meanCarriers(p.experiments, p.log10Sd.theorySd ?? p.log10Sd.sd);
        if (k !== null && k < CARRIERS_MIN) {
          r.rare = true;
          rareCount++;
        }
      }
      rows.push(r);
    }
    if (th !== null && Number.isFinite(th)) rows.push({ ...base, series: THEORY, y: th });
  }
  const logY = (quantity === 'sd' && !useLog10) || metricLog;
  let yScale: Record<string, unknown> = { zero: false };
  let yAxis: Record<string, unknown> = {};
  let symlog = false;
  if (logY) {
    // Error bars reaching 0 or below go to the bottom of the axis (the scale clamps) instead of
    // stretching the log domain towards 0.
    const ys = rows.flatMap((r) => [r.y, ...(r.hi !== undefined ? [r.hi] : []), ...(r.lo !== undefined && r.lo > 0 ? [r.lo] : [])]);
    const domain = logDomain(ys);
    for (const r of rows) if (r.lo !== undefined && r.lo <= 0) r.lo = domain[0];
    yScale = { type: 'log', domain, clamp: true, nice: false };
    yAxis = logAxis(logTicks(ys));
  } else {
    const l = log10Scale(rows.flatMap((r) => [r.y, ...(r.lo !== undefined ? [r.lo, r.hi!] : [])]));
    [yScale, yAxis, symlog] = [l.scale, l.axis, l.symlog];
  }

  // Without error bars (sd underflowing, or one experiment) the legend says only "mean".
  if (!rows.some((r) => r.lo !== undefined)) for (const r of rows) if (r.series === SIM) r.series = SIM_NO_SE;
  const simName = rows.some((r) => r.series === SIM) ? SIM : SIM_NO_SE;
  const groups = [...new Set(rows.map((r) => r.group))];
  const oneGroup = groups.length <= 1;
  const colorRange =
    groups.length <= PALETTE.length
      ? PALETTE.slice(0, groups.length)
      : groups.map((_, i) => viridis(i / (groups.length - 1)));
  const hasTheory = rows.some((r) => r.series === THEORY);
  const seriesDomain = hasTheory ? [simName, THEORY] : [simName];
  // the x values drawn: a point with nothing to draw here (the sd of a d > 1 point) takes no tick
  const xValues = [...new Set(rows.map((r) => r.x))];
  const xNums = xValues.filter((v): v is number => typeof v === 'number').sort((u, v) => u - v);
  const panels = [...new Set(rows.map((r) => r.panel))];
  const faceted = lay.panels.length > 0 && panels.length > 0;
  const columns = faceted ? Math.max(1, Math.min(panels.length, Math.floor((width - 80) / 170))) : 1;
  const plotWidth = faceted ? (width - 90 - 20 * (columns - 1)) / columns : width - 90;
  // Ticks at the swept values themselves while there are few of them and they do not collide.
  const few = xNums.length <= Math.max(2, Math.floor(plotWidth / 45));
  const xAxis = lay.xLog ? logAxis(few ? xNums : logTicks(xNums)) : few ? { values: xNums, format: '~r' } : { format: '~r', tickCount: 4 };
  const x = lay.xNumeric
    ? {
        field: 'x',
        type: 'quantitative',
        title: PARAM_AXIS[lay.x] ?? lay.x,
        scale: lay.xLog ? { type: 'log', nice: false, padding: 10 } : { zero: false, nice: false, padding: 12 },
        axis: xAxis,
      }
    : { field: 'x', type: 'ordinal', title: PARAM_AXIS[lay.x] ?? lay.x, sort: xValues, scale: { padding: 0.4 } };
  const yTitle = metric !== null
    ? `final ${metric.label}${logY ? ' (log scale)' : symlog ? ' (symlog)' : ''}`
    : quantity === 'log10sd'
      ? `final log10 sd, log10 s_T${symlog ? ' (symlog)' : ''}`
      : useLog10
        ? `log10 of final sd s_T${symlog ? ' (symlog)' : ''}`
        : 'final sd s_T (log scale)';
  const legendTitle = lay.groups.length === 1 ? (PARAM_SYMBOL[lay.groups[0]!] ?? lay.groups[0]!) : null;
  const legendWidth = width - (legendTitle === null ? 0 : textWidth(legendTitle, 13) + 8);
  const colorColumns = legendColumns(groups, legendWidth);
  const color = oneGroup
    ? { value: PALETTE[0] }
    : {
        field: 'group',
        type: 'nominal',
        sort: groups,
        scale: { domain: groups, range: colorRange },
        legend: { title: legendTitle, symbolType: 'stroke', columns: colorColumns, order: 0 },
      };
  const y = { field: 'y', type: 'quantitative', title: yTitle, scale: yScale, axis: yAxis };
  const sim = { filter: `datum.series === '${simName}'` };
  const layers: unknown[] = [
    {
      mark: { type: 'line', strokeWidth: 1.6 },
      encoding: {
        x,
        y,
        color,
        detail: { field: 'group' },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          scale: { domain: seriesDomain, range: [[1, 0], [5, 3]].slice(0, seriesDomain.length) },
          legend: { title: null, symbolType: 'stroke', symbolStrokeColor: '#444444', order: 1, columns: seriesDomain.length },
        },
      },
    },
    {
      transform: [sim, { filter: '!datum.rare' }],
      mark: { type: 'point', filled: true, size: 30, opacity: 1 },
      encoding: { x, y: { field: 'y', type: 'quantitative' }, color },
    },
  ];
  // open points where E[s_T] rests on rare chains (a layer with no data would warn of an empty extent)
  if (rareCount > 0) {
    layers.push({
      transform: [sim, { filter: 'datum.rare' }],
      mark: { type: 'point', filled: false, fill: 'white', fillOpacity: 1, size: 42, strokeWidth: 1.6, opacity: 1 },
      encoding: { x, y: { field: 'y', type: 'quantitative' }, color },
    });
  }
  // theory as a short dash at each point too, so that a value known at a single point of a line
  // (W2² at d = 1 only) is seen
  if (metric !== null && hasTheory) {
    layers.push({
      transform: [{ filter: `datum.series === '${THEORY}'` }],
      mark: { type: 'tick', orient: 'horizontal', thickness: 1.6, size: 12, opacity: 1 },
      encoding: { x, y: { field: 'y', type: 'quantitative' }, color },
    });
  }
  // error bars, where there are any
  if (simName === SIM) {
    layers.splice(1, 0, {
      transform: [sim, { filter: 'isValid(datum.lo)' }],
      mark: { type: 'rule', strokeWidth: 1.4 },
      encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
    });
  }

  const fixed = new Set<string>([...lay.swept, 'seed', 'every', 'epsilon']);
  const first = sorted[0]?.params ?? {};
  const regimes = [...new Set(sorted.map((p) => String(p.params['regime'])))];
  const context = lay.panels.includes('regime') || lay.x === 'regime' ? '' : regimes.length === 1 ? `, ${regimes[0]} regime` : '';
  const what = metric !== null ? `Final ${metric.label}` : quantity === 'log10sd' ? 'Final log10 sd' : 'Final sd';
  const byWhat = faceted ? ` by ${lay.panels.map((p) => PARAM_SYMBOL[p] ?? p).join(' and ')}` : '';
  const notes = [
    ...(useLog10 ? ['log10 of the mean sd (sd below 1e-300)'] : []),
    ...(symlog ? ['symlog axis: linear near 0, log beyond'] : []),
    ...(rareCount > 0
      ? [`open points: E[s_T] rests on chains too rare for E runs, so the simulated mean misses it (typically low)`]
      : []),
    ...(metric !== null && !rows.some((r) => r.series === THEORY) ? ['no closed form for its expectation'] : []),
  ];
  const title = figureTitle(`${what} against ${PARAM_SYMBOL[lay.x] ?? lay.x}${byWhat}${context}`, [...settingsParts(first, fixed), ...notes], width);
  // The plot must be at least as tall as the rotated y title, or the title overflows the figure.
  const legendRows = (oneGroup ? 0 : Math.ceil(groups.length / colorColumns)) + 1;
  const overhead = 100 + 24 * legendRows;
  const minPlot = Math.ceil(textWidth(yTitle, 14)) + 16;
  const height = Math.max(Math.round(width * ASPECT), minPlot + overhead);
  let spec: Record<string, unknown>;
  let fit: Figure['fit'];
  if (faceted) {
    const panelWidth = Math.max(60, Math.round(plotWidth));
    // each row of panels has its y title, which must not reach into the next row
    const panelHeight = Math.max(Math.round(panelWidth * 0.75), minPlot);
    spec = {
      $schema: VL_SCHEMA,
      title,
      data: { values: rows },
      facet: { field: 'panel', type: 'nominal', sort: panels, header: { title: null, labelFontWeight: 'bold', labelLimit: 0 } },
      columns,
      spec: { width: panelWidth, height: panelHeight, layer: layers },
      resolve: { scale: { y: 'shared' } },
      spacing: 20,
    };
    fit = { width, panels: columns };
  } else {
    spec = { $schema: VL_SCHEMA, title, data: { values: rows }, width, height, autosize: { type: 'fit', contains: 'padding' }, layer: layers };
  }
  const name = metric !== null ? `sweep-${metric.column}` : quantity === 'log10sd' ? 'sweep-log10sd' : 'sweep-sd';
  return fit ? { name, spec: spec as unknown as TopLevelSpec, fit } : { name, spec: spec as unknown as TopLevelSpec };
}

/** Viridis at `t` in [0, 1], from its 0, 0.25, 0.5, 0.75, 1 stops (matplotlib's values), for more groups than the palette has. */
function viridis(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  // stop at 0.9: the yellow end is too light on white
  const u = Math.min(0.9, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const c = stops[i]!.map((a, k) => Math.round(a + (stops[i + 1]![k]! - a) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The figures of a sweep directory: sweep-sd and sweep-log10sd where some point has the scalar sd
 * summary, and a sweep-<metric> figure per metric of every family that lacks it at some point
 * (the Gaussian at d > 1), drawn from every point with a finite value of that metric.
 */
export function sweepFigures(dir: string, width: number, x?: string): Figure[] {
  const points = sweepPoints(readSweep(dir));
  const lay = sweepLayout(points, x);
  const defs: MetricDef[] = [];
  for (const p of points) {
    const model = typeof p.params['model'] === 'string' ? p.params['model'] : familyNames()[0]!;
    if (p.scalar || !familyNames().includes(model)) continue;
    for (const d of familyOf(model).metrics) if (!defs.some((e) => e.column === d.column)) defs.push(d);
  }
  const figures: Figure[] = [];
  if (defs.length === 0 || points.some((p) => p.scalar)) figures.push(sweepFigure(points, lay, 'sd', width), sweepFigure(points, lay, 'log10sd', width));
  for (const d of defs) {
    if (points.some((p) => Number.isFinite(p.metrics[d.column]?.mean ?? NaN))) figures.push(sweepFigure(points, lay, d, width));
  }
  return figures;
}
