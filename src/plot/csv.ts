/**
 * Reads the tidy CSV files collapse writes (trajectory.csv, finals.csv, sweep.csv): a header and
 * rows of unquoted cells, with NA, Inf and -Inf for non-finite numbers (csvNumber in src/csv.ts).
 */
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
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
  const t = tableBuilder(file);
  const lines = text.split('\n');
  lines.forEach((l, i) => t.line(l, i < lines.length - 1));
  return t.table();
}

/**
 * A table built line by line, for parseCsv (lines of a text) and readCsv (lines of a file read in
 * chunks) alike: `line(text, ended)` takes a line ended by \n (less a \r before it: lines end in
 * \r?\n) or the last, unended, as it is; empty lines count as rows only where a line follows.
 * With `only`, keeps just those columns (in that order, those the header has).
 */
function tableBuilder(file: string, only?: readonly string[]): { line: (text: string, ended: boolean) => void; table: () => Table } {
  let columns: string[] | null = null;
  let keep: number[] | null = null;
  let width = 0;
  const rows: string[][] = [];
  let lineNo = 0;
  let blanks = 0; // empty lines not yet taken: rows if a line follows, dropped at the end
  const take = (line: string): void => {
    lineNo++;
    if (columns === null) {
      const header = splitLine(line);
      width = header.length;
      keep = only === undefined ? null : only.map((c) => header.indexOf(c)).filter((i) => i >= 0);
      columns = keep === null ? header : keep.map((i) => header[i]!);
      return;
    }
    const cells = splitLine(line);
    if (cells.length !== width) throw new RuntimeError(`${file} line ${lineNo} has ${cells.length} cells, the header has ${width}`);
    rows.push(keep === null ? cells : keep.map((i) => cells[i]!));
  };
  return {
    line: (text, ended) => {
      const l = ended && text.endsWith('\r') ? text.slice(0, -1) : text;
      if (l === '') {
        blanks++;
        return;
      }
      for (; blanks > 0; blanks--) take('');
      take(l);
    },
    table: () => {
      if (columns === null) throw new RuntimeError(`${file} is empty: expected a header line`);
      return { file, columns, rows };
    },
  };
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

/**
 * Reads and parses a CSV file as parseCsv parses its text, read `chunkBytes` at a time so that a
 * file larger than a string can hold (trajectory.csv at 3·10^5 recorded rows, finals.csv at 4·10^6
 * experiments) is never one string. With `only`, keeps just those columns (in that order, those
 * the header has), so that the table holds what a figure reads, not every cell of a large file.
 * A missing or unreadable file is a RuntimeError naming it.
 */
export function readCsv(file: string, only?: readonly string[], chunkBytes = 1 << 22): Table {
  const cannot = (err: unknown): RuntimeError => new RuntimeError(`cannot read ${file}: ${(err as Error).message}`);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw cannot(err);
  }
  const t = tableBuilder(file, only);
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        throw cannot(err);
      }
      const lines = (rest + (n === 0 ? decoder.end() : decoder.write(buf.subarray(0, n)))).split('\n');
      rest = n === 0 ? '' : lines.pop()!;
      lines.forEach((l, i) => t.line(l, n > 0 || i < lines.length - 1));
      if (n === 0) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  return t.table();
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
