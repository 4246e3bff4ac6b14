/**
 * Reads the tidy CSV files collapse writes (trajectory.csv, finals.csv, sweep.csv): a header and
 * rows of unquoted cells, with NA, Inf and -Inf for non-finite numbers (csvNumber in src/csv.ts).
 */
import fs from 'node:fs';
import { RuntimeError } from '../errors.js';

/** A CSV table: the header and, per row, its cells as text. */
export interface Table {
  file: string;
  columns: string[];
  rows: string[][];
}

/**
 * Parses `text`. Cells are split on commas with double-quoted cells honoured (a quote doubled
 * inside one), which covers collapse's own files (never quoted) and a file re-saved by a
 * spreadsheet. Every row must have the header's number of cells.
 */
export function parseCsv(text: string, file = '(csv)'): Table {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new RuntimeError(`${file} is empty: expected a header line`);
  const columns = splitLine(lines[0]!);
  const rows: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = splitLine(lines[i]!);
    if (cells.length !== columns.length) {
      throw new RuntimeError(`${file} line ${i + 1} has ${cells.length} cells, the header has ${columns.length}`);
    }
    rows.push(cells);
  }
  return { file, columns, rows };
}

function splitLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cell);
      cell = '';
    } else cell += c;
  }
  out.push(cell);
  return out;
}

/** Reads and parses a CSV file; a missing or unreadable file is a RuntimeError naming it. */
export function readCsv(file: string): Table {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuntimeError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseCsv(text, file);
}

/** A cell as a number: NA (or empty) is null, Inf and -Inf are infinities; anything else that is not a number is an error. */
export function numberCell(cell: string, where: string): number | null {
  if (cell === 'NA' || cell === '') return null;
  if (cell === 'Inf') return Infinity;
  if (cell === '-Inf') return -Infinity;
  const x = Number(cell);
  if (Number.isNaN(x)) throw new RuntimeError(`${where}: expected a number, NA, Inf or -Inf, got ${JSON.stringify(cell)}`);
  return x;
}

/** Index of `name` in the table's header; a missing column is an error naming the file. */
export function columnIndex(t: Table, name: string): number {
  const i = t.columns.indexOf(name);
  if (i < 0) throw new RuntimeError(`${t.file} has no column ${name}`);
  return i;
}

/** Column `name` as numbers (null for NA). */
export function numberColumn(t: Table, name: string): (number | null)[] {
  const i = columnIndex(t, name);
  return t.rows.map((r, k) => numberCell(r[i]!, `${t.file} line ${k + 2}, column ${name}`));
}
