/**
 * The figures' one typeface, DejaVu Sans from the dejavu-fonts-ttf package (so text renders on a
 * machine with no system fonts), and its advance widths, which Vega uses to lay out text.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The family every figure names; resvg is given the matching files and nothing else. */
export const FONT_FAMILY = 'DejaVu Sans';

/** What an SVG viewer without DejaVu Sans falls back to (metrics close to DejaVu's). */
export const FONT_STACK = `${FONT_FAMILY}, Verdana, sans-serif`;

/** Paths of the regular and bold TrueType files. */
export function fontFiles(): { regular: string; bold: string } {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return { regular: path.join(dir, 'DejaVuSans.ttf'), bold: path.join(dir, 'DejaVuSans-Bold.ttf') };
}

/** Advance widths of one font, in em units, looked up by code point. */
export interface AdvanceWidths {
  /** Advance of `codePoint` in em (the missing glyph's when the font has none). */
  advance(codePoint: number): number;
}

/**
 * Reads the advance widths of a TrueType font: the cmap subtable for Unicode BMP (platform 3,
 * encoding 1, format 4) and the hmtx table, scaled by head.unitsPerEm. Kerning is ignored, which
 * in DejaVu Sans moves a label by well under a pixel at figure sizes. Reference: the OpenType
 * specification, tables cmap, head, hhea and hmtx.
 */
export function readAdvanceWidths(file: string): AdvanceWidths {
  const buf = fs.readFileSync(file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tables = new Map<string, number>();
  const numTables = view.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    tables.set(buf.toString('latin1', rec, rec + 4), view.getUint32(rec + 8));
  }
  const need = (tag: string): number => {
    const off = tables.get(tag);
    if (off === undefined) throw new Error(`font ${file} has no ${tag} table`);
    return off;
  };
  const unitsPerEm = view.getUint16(need('head') + 18);
  const numberOfHMetrics = view.getUint16(need('hhea') + 34);
  const hmtx = need('hmtx');
  const glyphAdvance = (glyph: number): number =>
    view.getUint16(hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1)) / unitsPerEm;

  const cmap = need('cmap');
  let sub = -1;
  for (let i = 0; i < view.getUint16(cmap + 2); i++) {
    const rec = cmap + 4 + 8 * i;
    const sublOff = cmap + view.getUint32(rec + 4);
    if (view.getUint16(rec) === 3 && view.getUint16(rec + 2) === 1 && view.getUint16(sublOff) === 4) sub = sublOff;
  }
  if (sub < 0) throw new Error(`font ${file} has no Unicode BMP (format 4) cmap`);
  const segCount = view.getUint16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segCount + 2;
  const deltas = starts + 2 * segCount;
  const rangeOffsets = deltas + 2 * segCount;

  const glyphOf = (cp: number): number => {
    if (cp > 0xffff) return 0;
    for (let s = 0; s < segCount; s++) {
      if (cp > view.getUint16(ends + 2 * s)) continue;
      const start = view.getUint16(starts + 2 * s);
      if (cp < start) return 0;
      const delta = view.getUint16(deltas + 2 * s);
      const ro = view.getUint16(rangeOffsets + 2 * s);
      if (ro === 0) return (cp + delta) & 0xffff;
      const g = view.getUint16(rangeOffsets + 2 * s + ro + 2 * (cp - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  const cache = new Map<number, number>();
  return {
    advance(cp: number): number {
      let w = cache.get(cp);
      if (w === undefined) {
        w = glyphAdvance(glyphOf(cp));
        cache.set(cp, w);
      }
      return w;
    },
  };
}

let metrics: { regular: AdvanceWidths; bold: AdvanceWidths } | null = null;

/** Width in pixels of `text` set in DejaVu Sans at `size` px (bold for weights 600 and above). */
export function textWidth(text: string, size: number, bold = false): number {
  if (metrics === null) {
    const f = fontFiles();
    metrics = { regular: readAdvanceWidths(f.regular), bold: readAdvanceWidths(f.bold) };
  }
  const m = bold ? metrics.bold : metrics.regular;
  let em = 0;
  for (const ch of text) em += m.advance(ch.codePointAt(0)!);
  return em * size;
}

/** A text item as Vega's scenegraph passes it to its width function. */
interface TextItem {
  fontSize?: number | null;
  fontWeight?: string | number | null;
}

function isBold(weight: string | number | null | undefined): boolean {
  if (weight === 'bold' || weight === 'bolder') return true;
  return typeof weight === 'number' ? weight >= 600 : Number(weight) >= 600;
}

/**
 * Points Vega's text measurement at DejaVu Sans. Headless Vega has no canvas and otherwise guesses
 * 0.8 em per character, about 40% wider than DejaVu Sans, which crowds legends and drops axis
 * labels. `textMetrics` is the object Vega's scenegraph reads for every text bound.
 */
export function useFontMetrics(textMetrics: { width: (item: TextItem, text?: unknown) => number }): void {
  textMetrics.width = (item: TextItem, text?: unknown): number => {
    const s = text == null ? '' : String(text).trim();
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
    return s === '' || size <= 0 ? 0 : textWidth(s, size, isBold(item.fontWeight));
  };
}
