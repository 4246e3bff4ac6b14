/**
 * The figures' shared look: a Vega-Lite config sized for a paper column, a colour-blind-safe
 * palette, and the notation used in titles and legends.
 */
import type { Config } from 'vega-lite';
import { FONT_STACK, textWidth } from './fonts.js';

/**
 * Default figure width in px: a 3.4 in paper column at 150 dpi. Font sizes stay in px whatever
 * the width, so a wider figure (a two-column one, 7 in ≈ 1050 px) keeps the same type size in
 * print; 13 px at 150 dpi is 6.2 pt, the smallest size journals accept for tick labels.
 */
export const DEFAULT_WIDTH = 500;

/** Height over width of a single panel. */
export const ASPECT = 0.68;

/** Okabe & Ito (2008) colour-blind-safe palette, yellow left out (too light on white). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

/** The Vega-Lite config every figure uses. */
export function figureConfig(): Config {
  const ink = '#222222';
  return {
    font: FONT_STACK,
    background: 'white',
    padding: 6,
    view: { stroke: null },
    axis: {
      labelFontSize: 13,
      titleFontSize: 14,
      titleFontWeight: 'normal',
      labelColor: ink,
      titleColor: ink,
      domainColor: '#555555',
      tickColor: '#555555',
      gridColor: '#e8e8e8',
      labelLimit: 0,
      // a label that would overlap its neighbour is left out (swept values 10 and 100 on a narrow panel)
      labelOverlap: 'greedy',
      titlePadding: 6,
    },
    legend: {
      orient: 'bottom',
      // several legends below the plot stack, so that each keeps the full width
      layout: { bottom: { direction: 'vertical', anchor: 'start', margin: 6 } },
      titleOrient: 'left',
      titleAnchor: 'middle',
      titleBaseline: 'middle',
      titlePadding: 8,
      offset: 12,
      direction: 'horizontal',
      labelFontSize: 13,
      titleFontSize: 13,
      titleFontWeight: 'normal',
      labelColor: ink,
      titleColor: ink,
      labelLimit: 0,
      symbolStrokeWidth: 2.5,
      symbolSize: 180,
      columnPadding: 14,
      rowPadding: 4,
      padding: 2,
    },
    title: {
      fontSize: 15,
      fontWeight: 'bold',
      subtitleFontSize: 13,
      subtitleColor: '#444444',
      color: ink,
      anchor: 'start',
      limit: 0,
      subtitlePadding: 3,
      offset: 8,
    },
    header: { labelFontSize: 13, titleFontSize: 13, labelColor: ink, title: null },
    line: { strokeWidth: 1.8 },
    point: { size: 36, filled: true },
    rule: { strokeWidth: 1.4 },
  } as unknown as Config;
}

/** How each run parameter is written in titles, legends and axes. */
export const PARAM_SYMBOL: Record<string, string> = {
  samples: 'n',
  generations: 'T',
  experiments: 'E',
  ddof: 'ddof',
  mean0: 'μ₀',
  sd0: 'σ₀',
  seed: 'seed',
  every: 'every',
  rng: 'rng',
  regime: 'regime',
  fresh: 'λ',
  synthetic: 'λ',
  temperature: 'τ',
  method: 'method',
  epsilon: 'ε',
  model: 'model',
  dim: 'd',
};

/** Axis titles for a parameter on the x axis. */
export const PARAM_AXIS: Record<string, string> = {
  samples: 'samples per generation n',
  generations: 'generations T',
  experiments: 'experiments E',
  ddof: 'ddof',
  mean0: 'original mean μ₀',
  sd0: 'original sd σ₀',
  every: 'recording step',
  rng: 'generator',
  regime: 'regime',
  fresh: 'fresh share λ',
  synthetic: 'synthetic draws per original λ',
  temperature: 'temperature τ',
  method: 'method',
  epsilon: 'threshold ε',
  model: 'model',
  dim: 'dimension d',
};

/** A number for a title or legend: up to 4 significant digits, no trailing zeros. */
export function shortNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e7) return String(x);
  if (a >= 1e-3 && a < 1e7) return String(Number(x.toPrecision(4)));
  return x.toExponential(2).replace(/\.?0+e/, 'e');
}

/** "name = value" for a parameter setting (regime, rng and method as their bare value). */
export function setting(param: string, value: string | number): string {
  if (param === 'regime') return `${value} regime`;
  if (param === 'rng' || param === 'method') return `${param} ${value}`;
  return `${PARAM_SYMBOL[param] ?? param} = ${typeof value === 'number' ? shortNumber(value) : value}`;
}

/** Parameters of a run, as the raw values summary.json or sweep.csv give them. */
export type Params = Record<string, string | number | null>;

/**
 * The settings a subtitle states, in order: n, T, E, ddof, then those that differ from the
 * defaults (σ₀, μ₀, λ, τ, method, generator: a figure of another stream than the default says
 * so). `skip` leaves out parameters the figure varies.
 */
export function settingsParts(p: Params, skip: ReadonlySet<string> = new Set()): string[] {
  const parts: string[] = [];
  const add = (k: string) => {
    const v = p[k];
    if (!skip.has(k) && v !== null && v !== undefined) parts.push(setting(k, v));
  };
  for (const k of ['samples', 'generations', 'experiments', 'ddof']) add(k);
  if (p['dim'] !== undefined && p['dim'] !== null && Number(p['dim']) !== 1) add('dim');
  if (Number(p['sd0']) !== 1) add('sd0');
  if (Number(p['mean0']) !== 0) add('mean0');
  if (p['regime'] === 'fresh') add('fresh');
  if (p['regime'] === 'augment') add('synthetic');
  if (p['temperature'] !== null && Number(p['temperature']) !== 1) add('temperature');
  if (p['method'] !== undefined && p['method'] !== null && p['method'] !== 'resample') add('method');
  if (p['rng'] !== undefined && p['rng'] !== null && p['rng'] !== 'fast') add('rng');
  return parts;
}

/** Title and subtitle font sizes (px) and their weights, as figureConfig sets them. */
const TITLE_SIZE = 15;
const SUBTITLE_SIZE = 13;

/**
 * Packs `parts` into lines no wider than `width` px, joined by `sep` within a line; a part wider
 * than a line is split at spaces. Vega draws an array of strings as one line each.
 */
export function wrapParts(parts: readonly string[], width: number, size: number, bold = false, sep = ', '): string[] {
  // Tokens with the text that joins each to the one before: `sep` between parts, a space
  // between the words of a part too wide for a line.
  const tokens: { text: string; join: string }[] = [];
  for (const p of parts) {
    const words = textWidth(p, size, bold) <= width ? [p] : p.split(' ');
    words.forEach((w, i) => tokens.push({ text: w, join: i === 0 ? sep : ' ' }));
  }
  const lines: string[] = [];
  let line = '';
  for (const t of tokens) {
    if (line === '') line = t.text;
    else if (textWidth(line + t.join + t.text, size, bold) <= width) line += t.join + t.text;
    else {
      lines.push(line + t.join.trimEnd());
      line = t.text;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * A figure's title and subtitle, wrapped to fit `width` px: the title at its commas (then
 * spaces), the subtitle between its parts.
 */
export function figureTitle(title: string, subtitle: readonly string[], width: number): { text: string | string[]; subtitle?: string | string[] } {
  const room = width - 16;
  const text = wrapParts(title.split(', '), room, TITLE_SIZE, true);
  const sub = subtitle.length > 0 ? wrapParts(subtitle, room, SUBTITLE_SIZE) : [];
  const one = (l: string[]) => (l.length === 1 ? l[0]! : l);
  return sub.length > 0 ? { text: one(text), subtitle: one(sub) } : { text: one(text) };
}

/** Symbol width, gap and column padding of a legend entry, in px (Vega's defaults with ours). */
const LEGEND_SYMBOL = 16 + 5;
const LEGEND_COLUMN_PADDING = 14;

/**
 * The most legend columns (entries laid out row by row, Vega's grid) whose widths, measured in
 * DejaVu Sans at the legend's 13 px, fit in `width` px. O(labels²).
 */
export function legendColumns(labels: readonly string[], width: number): number {
  const w = labels.map((l) => LEGEND_SYMBOL + textWidth(l, 13));
  for (let c = labels.length; c > 1; c--) {
    const cols = new Array<number>(c).fill(0);
    w.forEach((x, i) => {
      cols[i % c] = Math.max(cols[i % c]!, x);
    });
    if (cols.reduce((a, b) => a + b, 0) + LEGEND_COLUMN_PADDING * (c - 1) <= width - 24) return c;
  }
  return 1;
}

/** The positive finite values of `ys`, lowest and highest; [1, 1] when there are none. */
function positiveRange(ys: readonly number[]): [number, number] {
  const [lo, hi] = extent(ys.filter((y) => y > 0));
  return Number.isNaN(lo) ? [1, 1] : [lo, hi];
}

/**
 * A log-axis domain around the positive values of `ys`, padded by 4% of its decades on each side
 * (at least a factor 1.05), instead of Vega's rounding out to whole decades, which can leave half
 * the plot empty.
 */
export function logDomain(ys: readonly number[]): [number, number] {
  const [lo, hi] = positiveRange(ys);
  const pad = Math.max(1.05, (hi / lo) ** 0.04);
  return [lo / pad, hi * pad];
}

/**
 * Labelled ticks for a log axis over logDomain(ys): 1-2-3-5 per decade over up to 1.2 decades,
 * 1-2-5 up to 2.5, then decades only (every k-th decade, k = 1, 2, 5, 10, 20 …, beyond 7), so that
 * a wide axis is labelled at powers of ten; a linear nice step when the domain holds fewer than
 * three of those.
 */
export function logTicks(ys: readonly number[]): number[] {
  const [a, b] = logDomain(ys);
  const decades = Math.log10(b / a);
  // 1-3 only where decades alone give fewer than three ticks (2.5 to 4 decades)
  const sets = decades <= 1.2 ? [[1, 2, 3, 5]] : decades <= 2.5 ? [[1, 2, 5]] : [[1], [1, 3]];
  // every k-th decade, k a whole 1, 2 or 5 × 10^j (a step of 2.5 decades would put ticks at 10^-2.5)
  const every = decades <= 7 ? 1 : wholeStep(decades / 6);
  for (const mantissas of sets) {
    const ticks: number[] = [];
    for (let k = Math.ceil(Math.floor(Math.log10(a)) / every) * every; k <= Math.ceil(Math.log10(b)); k += every) {
      for (const m of mantissas) {
        const v = Number((m * 10 ** k).toPrecision(12));
        if (v >= a && v <= b) ticks.push(v);
      }
    }
    if (ticks.length >= 3) return ticks;
  }
  return linearTicks(a, b, 4);
}

/** The smallest of 1, 2, 5, 10, 20, 50 … at or above `x`. */
export function wholeStep(x: number): number {
  for (let p = 1; ; p *= 10) for (const m of [1, 2, 5]) if (m * p >= x) return m * p;
}

/** `span / bins` rounded up to 1, 2, 2.5 or 5 × 10^k. */
export function niceStep(span: number, bins: number): number {
  const raw = span / bins;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5]) if (m * p >= raw * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** Fewest labelled ticks a linear axis gets: two labels (1 and 1.2) do not give its scale. */
export const MIN_LINEAR_TICKS = 4;

/**
 * Ticks at multiples of a nice step (1, 2, 2.5 or 5 × 10^k) giving about `count` ticks in
 * [lo, hi], and at least MIN_LINEAR_TICKS: the step is refined until that many fall inside.
 */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  let out: number[] = [];
  for (let bins = count; bins <= 4 * count + 8; bins++) {
    const step = niceStep(hi - lo, bins);
    out = [];
    for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
    if (out.length >= MIN_LINEAR_TICKS) break;
  }
  return out;
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** 10^k written with superscript digits: 10⁻¹². */
export function powerOfTen(k: number): string {
  return `10${[...String(k)].map((c) => SUPERSCRIPT[c] ?? c).join('')}`;
}

/**
 * How a log-axis tick is written: plain (0.02, 500) while every tick is within 10^±4.5, else
 * 10ᵏ for a decade and m·10ᵏ otherwise, so that no label runs to twenty digits.
 */
export function tickLabels(ticks: readonly number[]): string[] | null {
  const ks = ticks.map((t) => Math.floor(Math.log10(t) + 1e-9));
  if (ticks.length === 0 || ks.every((k) => Math.abs(k) <= 4)) return null;
  return ticks.map((t, i) => {
    const m = Number((t / 10 ** ks[i]!).toPrecision(6));
    return m === 1 ? powerOfTen(ks[i]!) : `${m}·${powerOfTen(ks[i]!)}`;
  });
}

/**
 * A Vega labelExpr that writes the ticks as tickLabels does, or null to keep plain numbers. The
 * ticks are the axis's explicit values, so a chain of comparisons covers them all.
 */
export function powerLabels(ticks: readonly number[]): string | null {
  const labels = tickLabels(ticks);
  if (labels === null) return null;
  return ticks.reduceRight((rest, t, i) => `abs(datum.value / ${t} - 1) < 1e-9 ? '${labels[i]}' : ${rest}`, 'datum.label');
}

/** Axis properties of a log axis with ticks `values`: those values, written by tickLabels. */
export function logAxis(values: readonly number[]): Record<string, unknown> {
  const expr = powerLabels(values);
  return expr === null ? { values, format: '~r' } : { values, labelExpr: expr };
}

/**
 * Ticks for a symlog axis of log10 values spanning many decades (0, ±1, ±10, ±100 …): the
 * powers of ten within [lo, hi] in magnitude from `constant` up (10 × `constant` and 0 where 0 is inside);
 * 1-2-5 × 10^k where those are fewer than three (−50, −20, −10 over −62 … −1).
 */
export function symlogTicks(lo: number, hi: number, constant: number): number[] {
  const top = Math.max(Math.abs(lo), Math.abs(hi));
  // 1-2-5 per decade where the decades alone give fewer than three ticks (all values on one side of 0)
  for (const mantissas of [[1], [1, 2, 5]]) {
    const out: number[] = [];
    const mags: number[] = [];
    // from 10 × constant where 0 is inside: ticks at ±constant would crowd the one at 0
    const zero = lo <= 0 && hi >= 0;
    for (let k = Math.ceil(Math.log10(constant) - 1e-9) + (zero ? 1 : 0); 10 ** k <= top * (1 + 1e-9); k++) {
      for (const m of mantissas) if (m * 10 ** k <= top * (1 + 1e-9)) mags.push(Number((m * 10 ** k).toPrecision(12)));
    }
    for (const m of [...mags].reverse()) if (-m >= lo && -m <= hi) out.push(-m);
    if (zero) out.push(0);
    for (const m of mags) if (m <= hi && m >= lo) out.push(m);
    if (out.length >= 3 || mantissas.length > 1) return out;
  }
  return [];
}

/** Lowest and highest finite value of `xs` ([NaN, NaN] for none); a loop, so any length works. */
export function extent(xs: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of xs) {
    if (!Number.isFinite(x)) continue;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}
