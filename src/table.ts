/**
 * Publication tables of a sweep (or a single run): reads the result files, then renders the final
 * sd and log10 sd (and the family metrics where a row has no scalar sd summary) beside theory with
 * standard errors and z-scores as LaTeX (booktabs), a GitHub Markdown table or a tidy CSV, with a
 * chosen number of significant digits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError, UsageError } from './errors.js';
import { SWEEP_FLAG_NAMES } from './grid.js';
import { readResultDocument, SUMMARY_FILE } from './results.js';
import { SWEEP_COLUMNS, SWEEP_CSV, SWEEP_FILE, SWEEP_KIND } from './sweep.js';
import { underflowReason } from './summary.js';
import { familyNames, familyOf } from './families/index.js';
import type { MetricDef } from './families/types.js';

export type TableFormat = 'latex' | 'markdown' | 'csv';
export const TABLE_FORMATS: readonly TableFormat[] = ['latex', 'markdown', 'csv'];

/** One row: a point's parameters (as their exact text) and its final-generation statistics. */
export interface TableRow {
  params: Record<string, string>;
  sdMean: number;
  /** log10 of sdMean, which survives its underflow to 0. */
  sdMeanLog10: number;
  /** Standard error of sdMean: the one its z uses (theory's sd / √E) where known, else the simulated sd / √E; NaN where unknown. */
  sdSe: number;
  /** log10 of sdSe, which survives its underflow to 0. */
  sdSeLog10: number;
  log10SdMean: number;
  log10SdSe: number;
  theorySdMean: number;
  theorySdMeanLog10: number;
  theoryLog10SdMean: number;
  zSd: number;
  zLog10Sd: number;
  /** Whether the point has its family's scalar sd summary (the sd columns above are NaN where not). */
  scalar: boolean;
  /** The family's metrics at the final generation, by column stem (mean_sq_err, …). */
  metrics: Record<string, MetricCells>;
}

/** A family metric's final mean, the s.e. its z uses, theory's expectation and the z (NaN where unknown or left out). */
export interface MetricCells {
  mean: number;
  se: number;
  theory: number;
  z: number;
  /**
   * Whether its NA cells are values that fell below the smallest double (a strictly positive
   * metric, MetricDef.strictlyPositive, whose statistics read 0: summary.ts metricRow), shown as
   * `underflow` in LaTeX and Markdown as `collapse run` shows them (NA in CSV, a numeric column).
   */
  underflow: boolean;
}

/** What a table shows. */
export interface TableData {
  /** Where the numbers came from. */
  source: string;
  kind: 'sweep' | 'run';
  /** Parameter columns, in grid order (replicate last). */
  columns: string[];
  /** Parameters equal in every row and not shown as columns, with their value. */
  fixed: Record<string, string>;
  rows: TableRow[];
  /** Points in the sweep (finished or not). */
  total: number;
  /** Whether the sd columns are shown: some row has the scalar sd summary, or no row has metrics to show instead. */
  scalar: boolean;
  /** The family metrics shown after the sd columns: those of every family lacking its scalar summary in some row. */
  metrics: MetricDef[];
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

function csvCell(t: string | undefined): number {
  if (t === undefined || t === 'NA' || t === '') return NaN;
  if (t === 'Inf') return Infinity;
  if (t === '-Inf') return -Infinity;
  return Number(t);
}

/** Parameters equal across all rows (and not already columns). */
function fixedParams(rows: readonly TableRow[], columns: readonly string[]): Record<string, string> {
  const fixed: Record<string, string> = {};
  for (const f of SWEEP_FLAG_NAMES) {
    if (columns.includes(f) || rows.length === 0) continue;
    const v = rows[0]!.params[f];
    if (v !== undefined && v !== 'NA' && rows.every((r) => r.params[f] === v)) fixed[f] = v;
  }
  return fixed;
}

/**
 * The standard error of a mean over E experiments as the z-scores use it: theory's sd / √E where
 * theory has it (as `collapse run` prints), else the simulated sd / √E. NaN where both underflowed
 * to 0 at great depth (summary.json keeps them in log10; sweep.csv does not).
 */
function standardError(theorySd: number, simSd: number, E: number): number {
  const sd = theorySd > 0 ? theorySd : simSd > 0 ? simSd : NaN;
  return sd / Math.sqrt(E);
}

/** `x` where it is a number, else the fallback (a file without the s.e. columns, or no theory). */
function orElse(x: number, fallback: () => number): number {
  return Number.isNaN(x) ? fallback() : x;
}

function readSweepTable(dir: string): TableData {
  const doc = readResultDocument(path.join(dir, SWEEP_FILE), SWEEP_KIND);
  const grid = (doc['grid'] ?? {}) as Record<string, unknown>;
  const varying = Array.isArray(grid['varying']) ? (grid['varying'] as unknown[]).map(String) : [];
  const replicates = typeof grid['replicates'] === 'number' ? grid['replicates'] : 1;
  const total = Array.isArray(doc['points']) ? doc['points'].length : 0;
  const csvFile = path.join(dir, SWEEP_CSV);
  let text: string;
  try {
    text = fs.readFileSync(csvFile, 'utf8');
  } catch (err) {
    throw new RuntimeError(`cannot read ${csvFile}: ${(err as Error).message}`);
  }
  const lines = text.split('\n').filter((l) => l !== '');
  const header = (lines[0] ?? '').split(',');
  if (header.join(',') !== SWEEP_COLUMNS.join(',')) {
    const missing = SWEEP_COLUMNS.find((c, i) => header[i] !== c);
    throw new RuntimeError(`${csvFile} does not have sweep.csv's columns (expected ${missing} at column ${SWEEP_COLUMNS.indexOf(missing!) + 1})`);
  }
  const at = (cells: string[], name: string) => cells[SWEEP_COLUMNS.indexOf(name)];
  const rows: TableRow[] = lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== SWEEP_COLUMNS.length) throw new RuntimeError(`${csvFile}: row ${i + 1} has ${cells.length} cells, expected ${SWEEP_COLUMNS.length}`);
    const params: Record<string, string> = { replicate: at(cells, 'replicate')! };
    for (const f of SWEEP_FLAG_NAMES) params[f] = at(cells, f)!;
    const E = csvCell(params['experiments']);
    return {
      params,
      sdMean: csvCell(at(cells, 'sd_mean')),
      sdMeanLog10: csvCell(at(cells, 'sd_mean_log10')),
      sdSe: orElse(csvCell(at(cells, 'se_sd_mean')), () => standardError(csvCell(at(cells, 'theory_sd_sd')), csvCell(at(cells, 'sd_sd')), E)),
      sdSeLog10: csvCell(at(cells, 'se_sd_mean_log10')),
      log10SdMean: csvCell(at(cells, 'log10_sd_mean')),
      log10SdSe: orElse(csvCell(at(cells, 'se_log10_sd_mean')), () => standardError(csvCell(at(cells, 'theory_log10_sd_sd')), csvCell(at(cells, 'log10_sd_sd')), E)),
      theorySdMean: csvCell(at(cells, 'theory_sd_mean')),
      theorySdMeanLog10: csvCell(at(cells, 'theory_sd_mean_log10')),
      theoryLog10SdMean: csvCell(at(cells, 'theory_log10_sd_mean')),
      zSd: csvCell(at(cells, 'z_sd_mean')),
      zLog10Sd: csvCell(at(cells, 'z_log10_sd_mean')),
      scalar: !Number.isNaN(csvCell(at(cells, 'sd_mean'))),
      metrics: Object.fromEntries(
        defsOf(params['model']).map((d) => {
          const c = (stem: string) => csvCell(at(cells, stem));
          const se = standardError(c(`theory_${d.column}_sd`), c(`${d.column}_sd`), E);
          const mean = c(`${d.column}_mean`);
          // sweep.csv has no reasons: a strictly positive metric's NA mean is its underflow (as collapse run reads it)
          const underflow = d.strictlyPositive === true && Number.isNaN(mean);
          return [d.column, { mean, se, theory: c(`theory_${d.column}_mean`), z: c(`z_${d.column}_mean`), underflow }];
        }),
      ),
    };
  });
  let columns = SWEEP_FLAG_NAMES.filter((f) => varying.includes(f));
  if (replicates > 1) columns.push('replicate');
  if (columns.length === 0) columns = ['samples', 'generations'];
  return { source: dir, kind: 'sweep', columns, fixed: fixedParams(rows, columns), rows, total, ...shownBlocks(rows) };
}

function readRunTable(dir: string): TableData {
  const doc = readResultDocument(path.join(dir, SUMMARY_FILE), 'collapse.run');
  const p = (doc['params'] ?? {}) as Record<string, unknown>;
  const final = (doc['final'] ?? {}) as Record<string, Record<string, unknown>>;
  const theory = (doc['theory'] ?? {}) as Record<string, Record<string, unknown> | null>;
  const z = (doc['z'] ?? {}) as Record<string, unknown>;
  const sd = final['sd'] ?? {};
  const l10 = final['log10Sd'] ?? {};
  const E = num(p['experiments']);
  const params: Record<string, string> = {};
  for (const f of SWEEP_FLAG_NAMES) if (p[f] !== undefined) params[f] = String(p[f]);
  // As z uses: theory's sd where there is one (from its log10, which survives underflow), else the simulated one.
  const sdSdLog10 = theory['sd'] ? num(theory['sd']['log10Sd']) : num(sd['log10Sd']);
  const row: TableRow = {
    params,
    sdMean: num(sd['mean']),
    sdMeanLog10: num(sd['log10Mean']),
    sdSe: 10 ** (sdSdLog10 - 0.5 * Math.log10(E)),
    sdSeLog10: sdSdLog10 - 0.5 * Math.log10(E),
    log10SdMean: num(l10['mean']),
    log10SdSe: standardError(num(theory['log10Sd']?.['sd']), num(l10['sd']), E),
    theorySdMean: num(theory['sd']?.['mean']),
    theorySdMeanLog10: num(theory['sd']?.['log10Mean']),
    theoryLog10SdMean: num(theory['log10Sd']?.['mean']),
    zSd: num(z['sdMean']),
    zLog10Sd: num(z['log10SdMean']),
    scalar: Number.isFinite(num(sd['mean'])),
    metrics: Object.fromEntries(
      defsOf(params['model']).map((d) => {
        const f = (final[d.name] ?? {}) as Record<string, unknown>;
        const t = theory[d.name] ?? null;
        const se = standardError(num(t?.['sd']), num(f['sd']), E);
        const reasons = (z['reasons'] ?? {}) as Record<string, unknown>;
        const underflow = d.strictlyPositive === true && underflowReason(reasons[d.name]);
        return [d.column, { mean: num(f['mean']), se, theory: num(t?.['mean']), z: num(z[d.name]), underflow }];
      }),
    ),
  };
  const columns = ['samples', 'generations'];
  return { source: dir, kind: 'run', columns, fixed: fixedParams([row], columns), rows: [row], total: 1, ...shownBlocks([row]) };
}

/** A row's family metrics (none for a model this collapse does not know). */
function defsOf(model: string | undefined): readonly MetricDef[] {
  const name = model ?? familyNames()[0]!;
  return familyNames().includes(name) ? familyOf(name).metrics : [];
}

/**
 * Which blocks a table shows: the sd columns where some row has the scalar summary, and the
 * metrics of every family that lacks it in some row (the Gaussian at d > 1), in registry order. A
 * table of scalar rows only is the table of before, column for column.
 */
function shownBlocks(rows: readonly TableRow[]): { scalar: boolean; metrics: MetricDef[] } {
  const metrics: MetricDef[] = [];
  for (const r of rows) {
    if (r.scalar) continue;
    for (const d of defsOf(r.params['model'])) if (!metrics.some((e) => e.column === d.column)) metrics.push(d);
  }
  return { scalar: metrics.length === 0 || rows.some((r) => r.scalar), metrics };
}

/** Reads DIR/sweep.json + sweep.csv, or a single run's DIR/summary.json (a one-row table). */
export function readTable(dir: string): TableData {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`DIR must be a collapse sweep or run directory, got ${JSON.stringify(dir)} (not a directory)`);
  }
  if (fs.existsSync(path.join(dir, SWEEP_FILE))) return readSweepTable(dir);
  if (fs.existsSync(path.join(dir, SUMMARY_FILE))) return readRunTable(dir);
  throw new UsageError(`DIR must be a collapse sweep or run directory, got ${JSON.stringify(dir)} (no ${SWEEP_FILE} or ${SUMMARY_FILE})`);
}

/** How a format writes what a number cannot say by itself. */
interface Style {
  na: string;
  sci: (mantissa: string, exponent: number) => string;
  /** Wraps a number's text (LaTeX: math mode, for a true minus sign and ×10^). */
  wrap: (s: string) => string;
}

const STYLES: Record<TableFormat, Style> = {
  latex: { na: 'n/a', sci: (m, e) => `${m}\\times10^{${e}}`, wrap: (s) => `$${s}$` },
  markdown: { na: 'n/a', sci: (m, e) => `${m}e${e}`, wrap: (s) => s },
  csv: { na: 'NA', sci: (m, e) => `${m}e${e}`, wrap: (s) => s },
};

/**
 * `x` to `digits` significant digits: fixed notation for 1e-3 ≤ |x| < 10^digits, scientific
 * otherwise. Where x underflowed to 0 but its log10 is known, the mantissa and exponent come from
 * the log10, so 10^-640.27 prints as 5.37×10^{-641}.
 */
export function formatNumber(x: number, digits: number, format: TableFormat, log10 = NaN): string {
  const st = STYLES[format];
  if (x === 0 && Number.isFinite(log10)) {
    let e = Math.floor(log10);
    let m = (10 ** (log10 - e)).toFixed(digits - 1);
    if (Number(m) >= 10) {
      e += 1;
      m = (1).toFixed(digits - 1);
    }
    return st.wrap(st.sci(m, e));
  }
  if (Number.isNaN(x)) return st.na;
  if (!Number.isFinite(x)) return st.wrap(format === 'latex' ? (x > 0 ? '\\infty' : '-\\infty') : x > 0 ? 'Inf' : '-Inf');
  if (x === 0) return st.wrap('0');
  const [m, es] = x.toExponential(digits - 1).split('e') as [string, string];
  const e = Number(es);
  if (e >= -3 && e < digits) return st.wrap(x.toFixed(Math.max(0, digits - 1 - e)));
  return st.wrap(st.sci(m, e));
}

/** Escapes text for LaTeX's text mode. */
export function escapeLatex(s: string): string {
  return s.replace(/[\\&%$#_{}~^]/g, (c) =>
    c === '\\' ? '\\textbackslash{}' : c === '~' ? '\\textasciitilde{}' : c === '^' ? '\\textasciicircum{}' : `\\${c}`,
  );
}

/** Column headers per format: LaTeX in math where a symbol is meant, CSV tidy snake_case. */
const PARAM_HEADERS: Record<string, [latex: string, markdown: string]> = {
  samples: ['$n$', 'n'],
  generations: ['$T$', 'T'],
  experiments: ['$E$', 'E'],
  ddof: ['ddof', 'ddof'],
  mean0: ['$m_0$', 'm0'],
  sd0: ['$s_0$', 's0'],
  seed: ['seed', 'seed'],
  every: ['every', 'every'],
  rng: ['rng', 'rng'],
  regime: ['regime', 'regime'],
  fresh: ['$\\lambda$', 'λ'],
  synthetic: ['$\\lambda$', 'λ'],
  temperature: ['$\\tau$', 'τ'],
  method: ['method', 'method'],
  epsilon: ['$\\varepsilon$', 'ε'],
  model: ['model', 'model'],
  dim: ['$d$', 'd'],
  replicate: ['replicate', 'replicate'],
};
const STAT_HEADERS: Record<TableFormat, string[]> = {
  latex: ['mean $s_T$', 's.e.', 'theory', '$z$', 'mean $\\log_{10} s_T$', 's.e.', 'theory', '$z$'],
  markdown: ['mean sd', '± s.e.', 'theory', 'z', 'mean log10 sd', '± s.e.', 'theory', 'z'],
  csv: ['sd_mean', 'sd_mean_se', 'theory_sd_mean', 'z_sd_mean', 'log10_sd_mean', 'log10_sd_mean_se', 'theory_log10_sd_mean', 'z_log10_sd_mean'],
};
const WORD_PARAMS = new Set(['rng', 'regime', 'method']);

/** The four headers of a family metric's columns. */
function metricHeaders(d: MetricDef, format: TableFormat): string[] {
  if (format === 'latex') return [`mean $${d.tex}$`, 's.e.', 'theory', '$z$'];
  if (format === 'markdown') return [`mean ${d.label}`, '± s.e.', 'theory', 'z'];
  return [`${d.column}_mean`, `${d.column}_mean_se`, `theory_${d.column}_mean`, `z_${d.column}_mean`];
}

/** Every statistic header of a table, in column order. */
function statHeaders(data: TableData, format: TableFormat): string[] {
  return [...(data.scalar ? STAT_HEADERS[format] : []), ...data.metrics.flatMap((d) => metricHeaders(d, format))];
}

function paramHeader(name: string, format: TableFormat): string {
  if (format === 'csv') return name;
  const h = PARAM_HEADERS[name];
  return h ? (format === 'latex' ? h[0] : h[1]) : format === 'latex' ? escapeLatex(name) : name;
}

function paramCell(name: string, value: string | undefined, format: TableFormat): string {
  if (value === undefined) return STYLES[format].na;
  if (WORD_PARAMS.has(name)) return format === 'latex' ? escapeLatex(value) : value;
  return format === 'latex' ? `$${value}$` : value;
}

function zCell(z: number, format: TableFormat): string {
  if (!Number.isFinite(z)) return STYLES[format].na;
  const t = z.toFixed(2);
  return STYLES[format].wrap(t === '-0.00' ? '0.00' : t);
}

/** The cells of one row, in column order. s.e. to 2 significant digits, z to 2 decimals. */
function rowCells(data: TableData, r: TableRow, digits: number, format: TableFormat): string[] {
  const f = (x: number, log10?: number) => formatNumber(x, digits, format, log10);
  const sd = data.scalar
    ? [
        f(r.sdMean, r.sdMeanLog10),
        formatNumber(r.sdSe, 2, format, r.sdSeLog10),
        f(r.theorySdMean, r.theorySdMeanLog10),
        zCell(r.zSd, format),
        f(r.log10SdMean),
        formatNumber(r.log10SdSe, 2, format),
        f(r.theoryLog10SdMean),
        zCell(r.zLog10Sd, format),
      ]
    : [];
  const metrics = data.metrics.flatMap((d) => {
    const m = r.metrics[d.column];
    if (m === undefined) return [STYLES[format].na, STYLES[format].na, STYLES[format].na, STYLES[format].na];
    const cells = [f(m.mean), formatNumber(m.se, 2, format), f(m.theory), zCell(m.z, format)];
    return m.underflow && format !== 'csv' ? cells.map((c) => (c === STYLES[format].na ? 'underflow' : c)) : cells;
  });
  return [...data.columns.map((c) => paramCell(c, r.params[c], format)), ...sd, ...metrics];
}

function fixedText(data: TableData, format: 'latex' | 'markdown'): string {
  const parts = Object.entries(data.fixed).map(([k, v]) =>
    format === 'latex' ? `${paramHeader(k, 'latex')} = ${escapeLatex(v)}` : `${paramHeader(k, 'markdown')} = ${v}`,
  );
  return parts.join(', ');
}

/** Renders `data` in `format` with `digits` significant digits for the means and theory. */
export function renderTable(data: TableData, format: TableFormat, digits = 4): string {
  const header = [...data.columns.map((c) => paramHeader(c, format)), ...statHeaders(data, format)];
  const body = data.rows.map((r) => rowCells(data, r, digits, format));
  const what = `${data.kind === 'sweep' ? `sweep of ${data.total} points` : 'run'} in ${data.source}`;
  if (format === 'csv') return [header, ...body].map((r) => r.join(',')).join('\n') + '\n';
  if (format === 'markdown') {
    const align = [...data.columns.map((c) => (WORD_PARAMS.has(c) ? ':---' : '---:')), ...statHeaders(data, 'markdown').map(() => '---:')];
    const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
    const fixed = fixedText(data, 'markdown');
    return [
      `<!-- collapse table: ${what}; final generation; s.e. = sd/√E with theory's sd where known, else the simulated one; z = (simulated − theory)/s.e.${fixed ? `; fixed: ${fixed}` : ''} -->`,
      line(header),
      `|${align.map((a) => ` ${a} `).join('|')}|`,
      ...body.map(line),
      '',
    ].join('\n');
  }
  const spec = [...data.columns.map((c) => (WORD_PARAMS.has(c) ? 'l' : 'r')), ...statHeaders(data, 'latex').map(() => 'r')].join('');
  const fixed = fixedText(data, 'latex');
  return [
    `% collapse table: ${what}; final generation; s.e. = sd/sqrt(E) with theory's sd where known, else the simulated one; z = (simulated - theory)/s.e.`,
    ...(fixed ? [`% fixed: ${fixed}`] : []),
    `\\begin{tabular}{${spec}}`,
    '\\toprule',
    `${header.join(' & ')} \\\\`,
    '\\midrule',
    ...body.map((r) => `${r.join(' & ')} \\\\`),
    '\\bottomrule',
    '\\end{tabular}',
    '',
  ].join('\n');
}
