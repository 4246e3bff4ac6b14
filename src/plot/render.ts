/**
 * Turns a Vega-Lite spec into SVG (Vega, headless, no browser or canvas) and PNG (resvg with the
 * bundled DejaVu Sans), and writes a figure's files atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { RuntimeError } from '../errors.js';
import { writeFileAtomic } from '../results.js';
import { FONT_FAMILY, fontFiles, useFontMetrics } from './fonts.js';
import { figureConfig } from './style.js';

/** One figure: its file name (without extension) and its Vega-Lite spec (data inline). */
export interface Figure {
  name: string;
  spec: TopLevelSpec;
  /**
   * For faceted figures, which Vega-Lite cannot fit to a width: the total width wanted and the
   * number of panels; each panel's width is corrected after a first layout.
   */
  fit?: { width: number; panels: number };
}

/** The image formats a figure can be written in besides its spec. */
export type ImageFormat = 'svg' | 'png';

/** A rendered figure. */
export interface Rendered {
  /** The Vega-Lite spec as written to `<name>.vl.json` (with the config inlined). */
  spec: TopLevelSpec;
  svg: string;
  width: number;
  height: number;
  /** Vega-Lite and Vega warnings; none is expected from collapse's own specs. */
  warnings: string[];
}

let metricsInstalled = false;

/** Collects warnings from Vega-Lite's compiler and Vega's runtime instead of printing them. */
function collectingLogger(warnings: string[]) {
  let level = vega.Warn;
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: unknown[]) {
      throw new RuntimeError(`figure rendering failed: ${args.map(String).join(' ')}`);
    },
    warn(...args: unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

async function layout(spec: TopLevelSpec, warnings: string[]): Promise<{ svg: string; width: number; height: number }> {
  const logger = collectingLogger(warnings);
  const vg = compile(spec, { logger: logger as never }).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logger: logger as never, logLevel: vega.Warn });
  try {
    const svg = await view.toSVG();
    const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
    return { svg, width: m ? Number(m[1]) : NaN, height: m ? Number(m[2]) : NaN };
  } finally {
    view.finalize();
  }
}

/**
 * Lays out and renders a figure to SVG. The config is inlined into the spec so that the written
 * `.vl.json` reproduces the SVG in any Vega-Lite tool.
 */
export async function renderSvg(fig: Figure): Promise<Rendered> {
  if (!metricsInstalled) {
    // vega's typings omit textMetrics, the scenegraph's text-measurement hook.
    useFontMetrics((vega as unknown as { textMetrics: Parameters<typeof useFontMetrics>[0] }).textMetrics);
    metricsInstalled = true;
  }
  const warnings: string[] = [];
  let spec = { ...fig.spec, config: figureConfig() } as TopLevelSpec;
  let out = await layout(spec, warnings);
  if (fig.fit && Math.abs(out.width - fig.fit.width) > 1) {
    const s = spec as TopLevelSpec & { spec?: { width?: number } };
    const panel = s.spec?.width;
    if (typeof panel === 'number') {
      const width = Math.max(40, Math.round(panel - (out.width - fig.fit.width) / fig.fit.panels));
      spec = { ...s, spec: { ...s.spec, width } } as TopLevelSpec;
      out = await layout(spec, warnings);
    }
  }
  return { spec, ...out, warnings };
}

/**
 * resvg's options: `scale` device pixels per SVG pixel, a white background, and only the bundled
 * DejaVu Sans (no system fonts), so that a PNG is the same on every machine and text never
 * silently disappears on one without fonts.
 */
export function resvgOptions(scale: number): ResvgRenderOptions {
  const f = fontFiles();
  return {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: false,
      fontFiles: [f.regular, f.bold],
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
    logLevel: 'error',
  };
}

/** SVG to PNG with resvg. */
export function svgToPng(svg: string, scale: number): Uint8Array {
  return new Resvg(svg, resvgOptions(scale)).render().asPng();
}

/** Options of writeFigure. */
export interface WriteOptions {
  formats: readonly ImageFormat[];
  /** PNG pixels per SVG pixel. */
  scale: number;
}

/**
 * Renders `fig` and writes `<name>.vl.json` and the requested images into `outDir` (which must
 * exist), each atomically. Returns the written paths and the rendering warnings.
 */
export async function writeFigure(fig: Figure, outDir: string, opts: WriteOptions): Promise<{ paths: string[]; warnings: string[] }> {
  const r = await renderSvg(fig);
  const base = path.join(outDir, fig.name);
  const paths: string[] = [];
  writeFileAtomic(`${base}.vl.json`, JSON.stringify(r.spec, null, 2) + '\n');
  paths.push(`${base}.vl.json`);
  if (opts.formats.includes('svg')) {
    writeFileAtomic(`${base}.svg`, r.svg.endsWith('\n') ? r.svg : r.svg + '\n');
    paths.push(`${base}.svg`);
  }
  if (opts.formats.includes('png')) {
    writeFileAtomic(`${base}.png`, svgToPng(r.svg, opts.scale));
    paths.push(`${base}.png`);
  }
  return { paths, warnings: r.warnings };
}
