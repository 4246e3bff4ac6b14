/**
 * SVG to PDF for pdflatex users: PDFKit draws the Vega SVG as vector paths and real text in the
 * bundled DejaVu Sans, embedded as a TrueType subset (a /FontFile2 stream), one page per figure.
 */
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { RuntimeError } from '../errors.js';
import { fontFiles } from './fonts.js';

/**
 * PDF points per SVG pixel: figures are laid out at 150 px per inch (a 500 px figure fills a
 * 3.4 in column), so 72 / 150; 13 px type prints at 6.2 pt, as in the PNG at its 300 dpi.
 */
export const PT_PER_PX = 72 / 150;

/** A fixed date for the document's info dictionary and ID, so the same figure gives the same bytes. */
const EPOCH = new Date(Date.UTC(2000, 0, 1));

/**
 * PDFKit refuses a dash with a zero length, which Vega writes for a solid line in a dashed
 * series (stroke-dasharray="1,0"): a pattern without gaps becomes no pattern, and a zero dash
 * (a dot with a round cap) a hair-thin one.
 */
export function pdfSafeDashes(svg: string): string {
  return svg.replace(/\sstroke-dasharray="([^"]*)"/g, (all, v: string) => {
    const xs = v.split(/[\s,]+/).filter((x) => x !== '').map(Number);
    if (xs.length === 0 || xs.some((x) => !Number.isFinite(x) || x < 0)) return '';
    const pattern = xs.length % 2 === 1 ? [...xs, ...xs] : xs;
    if (pattern.every((x, i) => i % 2 === 0 || x === 0)) return '';
    return xs.some((x) => x === 0) ? ` stroke-dasharray="${xs.map((x) => (x === 0 ? 0.01 : x)).join(',')}"` : all;
  });
}

/** Renders `svg` (`width` × `height` px) to the bytes of a one-page PDF. */
export function svgToPdf(svg: string, width: number, height: number): Promise<Buffer> {
  const w = width * PT_PER_PX;
  const h = height * PT_PER_PX;
  const doc = new PDFDocument({
    size: [w, h],
    margin: 0,
    autoFirstPage: true,
    compress: true,
    info: { Producer: 'collapse', Creator: 'collapse plot', CreationDate: EPOCH, ModDate: EPOCH },
    pdfVersion: '1.4',
  });
  const f = fontFiles();
  doc.registerFont('DejaVu', f.regular);
  doc.registerFont('DejaVu-Bold', f.bold);
  const chunks: Buffer[] = [];
  const warnings: string[] = [];
  return new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', (e: Error) => reject(new RuntimeError(`PDF output failed: ${e.message}`)));
    try {
      SVGtoPDF(doc, pdfSafeDashes(svg).replace(/^(<svg[^>]*?)\swidth="[\d.]+"\s+height="[\d.]+"/, `$1 width="${w}" height="${h}"`), 0, 0, {
        width: w,
        height: h,
        // the root's size is rewritten in pt above; its viewBox keeps the px coordinates
        assumePt: true,
        // every figure names DejaVu Sans; nothing else is embedded
        fontCallback: (_family: string, bold: boolean) => (bold ? 'DejaVu-Bold' : 'DejaVu'),
        warningCallback: (m: string) => warnings.push(m),
      });
      doc.end();
    } catch (e) {
      reject(new RuntimeError(`PDF output failed: ${(e as Error).message}`));
    }
  });
}
