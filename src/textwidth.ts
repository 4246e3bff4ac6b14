/**
 * Widths of text as a terminal shows it, for the aligned tables commands print: a combining mark
 * (the hat of μ̂ or Σ̂) takes no column of its own, so String.length would pad such a label short.
 */

/** Terminal columns of `s`: code points, less combining marks (East Asian wide forms never occur here). */
export function displayWidth(s: string): number {
  let n = 0;
  for (const ch of s) if (!/\p{M}/u.test(ch)) n++;
  return n;
}

/** `s` padded with spaces on the right to `width` columns. */
export function padEndTo(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

/** `s` padded with spaces on the left to `width` columns. */
export function padStartTo(s: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(s))) + s;
}

/**
 * Rows of cells as aligned lines: the first column left-aligned, the others right-aligned, two
 * spaces apart, with a rule of dashes under the first row when `rule` is set.
 */
export function alignRows(rows: readonly (readonly string[])[], rule: boolean): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => displayWidth(r[c]!))));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? padEndTo(cell, widths[c]!) : padStartTo(cell, widths[c]!))).join('  ').trimEnd());
  if (rule) lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines;
}
