/**
 * csvRows writes tables of numbers by one JSON.stringify (src/csv.ts). Checked against an
 * independent cell-by-cell formatter (Number.prototype.toString, NA / Inf / -Inf), and every cell
 * read back: a finite number's text parses to the same double (the shortest round trip).
 */
import { describe, expect, it } from 'vitest';
import { csvRows } from '../src/csv.js';

/** The reference: one cell at a time. */
function cellByCell(rows: readonly (readonly number[])[]): string {
  const cell = (x: number): string => (Number.isNaN(x) ? 'NA' : x === Infinity ? 'Inf' : x === -Infinity ? '-Inf' : x.toString());
  return rows.map((r) => r.map(cell).join(',') + '\n').join('');
}

/** A deterministic stream of doubles from every class: random bits (subnormals included), decades, integers, specials. */
function doubles(count: number, seed: number): number[] {
  let s = seed >>> 0;
  const u32 = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const bits = new DataView(new ArrayBuffer(8));
  const special = [0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 1e21, 1e21 - 65536, 9.999999999999999e20, 1e-7, 1.0000000000000001e-7, 9.999999999999999e-8, 2 ** 53, 2 ** 53 + 2, 0.1, 0.30000000000000004, 123456789012345680000];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const kind = u32() % 5;
    if (kind === 0) {
      bits.setUint32(0, u32());
      bits.setUint32(4, u32());
      out.push(bits.getFloat64(0));
    } else if (kind === 1) out.push((u32() / 2 ** 32 - 0.5) * 10 ** ((u32() % 40) - 20));
    else if (kind === 2) out.push((u32() % 2000001) - 1000000);
    else if (kind === 3) out.push(Math.exp((u32() / 2 ** 32 - 0.5) * 1400));
    else out.push(special[u32() % special.length]!);
  }
  return out;
}

function table(values: readonly number[], width: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i + width <= values.length; i += width) rows.push(values.slice(i, i + width));
  return rows;
}

describe('csvRows', () => {
  it('writes what formatting cell by cell writes, over 10^5 doubles of every class, at several widths', () => {
    const values = doubles(100000, 7);
    const nonFinite = values.filter((x) => !Number.isFinite(x)).length;
    expect(nonFinite).toBeGreaterThan(1000); // the specials are there
    for (const width of [1, 2, 7, 120]) {
      const rows = table(values, width);
      expect(csvRows(rows)).toBe(cellByCell(rows));
    }
  });

  it('rows all finite, all non-finite, mixed, and no rows', () => {
    const cases: number[][][] = [
      [[1, 2.5, -3e-300]],
      [[NaN, Infinity, -Infinity]],
      [[NaN], [1], [-Infinity, 0.1]],
      [[0.1, NaN], [0.2, 0.3], [Infinity, -0]],
    ];
    for (const rows of cases) expect(csvRows(rows)).toBe(cellByCell(rows));
    expect(csvRows([])).toBe('');
  });

  it('every finite cell reads back as the same double (shortest round trip), every other as NA, Inf or -Inf', () => {
    const values = doubles(20000, 11);
    const rows = table(values, 10);
    const lines = csvRows(rows).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(rows.length);
    lines.forEach((line, r) => {
      const cells = line.split(',');
      expect(cells).toHaveLength(10);
      cells.forEach((text, i) => {
        const x = rows[r]![i]!;
        if (Number.isNaN(x)) expect(text).toBe('NA');
        else if (!Number.isFinite(x)) expect(text).toBe(x > 0 ? 'Inf' : '-Inf');
        else expect(Number(text)).toBe(x === 0 ? 0 : x); // -0 is written 0, as String(-0) does
      });
    });
  });
});
