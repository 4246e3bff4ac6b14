/**
 * `plotDirectory`: the figures of a run or sweep directory, written into DIR/figures/. The run and
 * sweep commands import this module dynamically, and it loads the renderer (Vega) only once a
 * directory's figures are specified, so a refused plot costs no Vega start-up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { makeDirs, SUMMARY_FILE } from '../results.js';
import type { Figure, ImageFormat } from './render.js';
import { runFigures } from './run.js';
import { DEFAULT_WIDTH } from './style.js';
import { SWEEP_CSV, SWEEP_JSON, sweepFigures } from './sweep.js';

export type { ImageFormat } from './render.js';

/** Every image format, in the order they are written (here, so that it is known without loading Vega). */
export const IMAGE_FORMATS: readonly ImageFormat[] = ['svg', 'png', 'pdf'];
export { DEFAULT_WIDTH } from './style.js';

/** Options of plotDirectory; every field has a default. */
export interface PlotOptions {
  /** Images to write beside each `.vl.json` spec (default svg, png and pdf). */
  formats?: readonly ImageFormat[];
  /** Figure width in px, the whole figure (default 500: a 3.4 in column at 150 dpi). */
  width?: number;
  /** PNG pixels per SVG pixel (default 2: 300 dpi at a 3.4 in column). */
  scale?: number;
  /** Sweep only: the parameter on the x axis (default the first swept one in sweep.csv's order). */
  x?: string;
  /** Called with each Vega-Lite or Vega warning (default: ignored). */
  onWarning?: (message: string) => void;
}

/** Default PNG scale. */
export const DEFAULT_SCALE = 2;

/** The subdirectory figures are written to. */
export const FIGURES_DIR = 'figures';

/** Which kind of result `dir` holds, from its marker files. */
export function directoryKind(dir: string): 'run' | 'sweep' {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`DIR must be a collapse run or sweep directory, got ${JSON.stringify(dir)} (not a directory)`);
  }
  if (fs.existsSync(path.join(dir, SUMMARY_FILE))) return 'run';
  if (fs.existsSync(path.join(dir, SWEEP_CSV)) || fs.existsSync(path.join(dir, SWEEP_JSON))) return 'sweep';
  throw new UsageError(
    `DIR must be a collapse run or sweep directory, got ${JSON.stringify(dir)} (no ${SUMMARY_FILE}, ${SWEEP_CSV} or ${SWEEP_JSON})`,
  );
}

/**
 * Renders the figures of the run or sweep directory `dir` into `dir/figures/` as `<name>.vl.json`
 * plus `<name>.svg`, `<name>.png` and `<name>.pdf` as requested, each written atomically (an
 * image in a format not requested is removed: it would show an older figure). Returns the written
 * paths in order. Run: sd-trajectory, final-log10sd (at d > 1: metric-<column>). Sweep: sweep-sd,
 * sweep-log10sd, and sweep-<column> per family metric where some point is at d > 1.
 */
export async function plotDirectory(dir: string, opts: PlotOptions = {}): Promise<string[]> {
  const formats = opts.formats ?? IMAGE_FORMATS;
  const width = opts.width ?? DEFAULT_WIDTH;
  const scale = opts.scale ?? DEFAULT_SCALE;
  if (!(Number.isFinite(width) && width >= 150 && width <= 10000)) throw new UsageError(`width must be 150 … 10000 px, got ${width}`);
  if (!(Number.isFinite(scale) && scale > 0 && scale <= 16)) throw new UsageError(`scale must be in (0, 16], got ${scale}`);
  const kind = directoryKind(dir);
  if (kind === 'run' && opts.x !== undefined) {
    throw new UsageError(`--x-axis applies to sweep directories only, got ${JSON.stringify(opts.x)} for the run directory ${JSON.stringify(dir)}`);
  }
  const figures: Figure[] = kind === 'run' ? runFigures(dir, width) : sweepFigures(dir, width, opts.x);
  const outDir = path.join(dir, FIGURES_DIR);
  makeDirs(outDir, 'DIR', dir);
  // Vega, resvg and PDFKit load only once the directory and flags have passed their checks
  const { writeFigure } = await import('./render.js');
  const written: string[] = [];
  for (const fig of figures) {
    const r = await writeFigure(fig, outDir, { formats, scale });
    written.push(...r.paths);
    for (const w of r.warnings) opts.onWarning?.(`${fig.name}: ${w}`);
  }
  return written;
}
