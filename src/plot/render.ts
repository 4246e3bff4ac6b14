/**
 * Turns a Vega-Lite spec into SVG (Vega, headless, no browser or canvas), PNG (resvg) and PDF
 * (PDFKit), all in the bundled DejaVu Sans, and writes a figure's files atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { RuntimeError } from '../errors.js';
import { writeFileAtomic } from '../results.js';
import { FONT_FAMILY, fontFiles, useFontMetrics } from './fonts.js';
import { IMAGE_FORMATS } from './index.js';
import { svgToPdf } from './pdf.js';
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

/** The image formats a figure can be written in besides its spec (IMAGE_FORMATS lists them). */
export type ImageFormat = 'svg' | 'png' | 'pdf';

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

interface Layout {
  svg: string;
  width: number;
  height: number;
  /** Px by which the drawn content (legends, titles, labels) reaches past the SVG's left or right edge. */
  overflow: number;
  /** The same past its top or bottom edge. */
  overflowY: number;
  /** Right edge of the rightmost legend, in SVG px. */
  legendRight: number;
  /** Width and height of the plot itself (a single view's), which `autosize: fit` chose. */
  plotWidth: number;
  plotHeight: number;
}

/** Vega's scenegraph root, whose bounds are those of everything drawn, relative to the origin. */
interface SceneRoot {
  bounds: { x1: number; x2: number; y1: number; y2: number };
}

async function layout(spec: TopLevelSpec, warnings: string[]): Promise<Layout> {
  const logger = collectingLogger(warnings);
  let view: vega.View | undefined;
  try {
    const vg = compile(spec, { logger: logger as never }).spec;
    view = new vega.View(vega.parse(vg), { renderer: 'none', logger: logger as never, logLevel: vega.Warn });
    const svg = await view.toSVG();
    const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
    const width = m ? Number(m[1]) : NaN;
    // vega's typings omit scenegraph(); its root's bounds are what autosize could not fit
    const root = (view as unknown as { scenegraph(): { root: SceneRoot } }).scenegraph().root;
    const [ox, oy] = view.origin();
    const height = m ? Number(m[2]) : NaN;
    const overflow = Math.max(0, -(ox + root.bounds.x1), ox + root.bounds.x2 - width);
    const overflowY = Math.max(0, -(oy + root.bounds.y1), oy + root.bounds.y2 - height);
    const legendRight = ox + rightmostLegend(root as unknown as SceneNode, 0);
    return { svg, width, height, overflow, overflowY, legendRight, plotWidth: view.width(), plotHeight: view.height() };
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError(`figure rendering failed: ${(err as Error).message ?? String(err)}`);
  } finally {
    view?.finalize();
  }
}

/**
 * Vertical overflow (px) that cuts nothing: Vega bounds text by an estimated ascent above the ink
 * of DejaVu Sans (a fitted accumulate run's 15 px title: its bound 1.4 px above the SVG's top edge,
 * its capitals inside).
 */
const SLACK_Y = 3;

/** A scenegraph node: a mark (marktype, role, items) or an item (x, bounds, and items when a group). */
interface SceneNode {
  marktype?: string;
  role?: string;
  x?: number;
  bounds?: { x2: number };
  items?: SceneNode[];
}

/** Rightmost x of any legend under `node`, whose items sit `dx` px right of the origin. */
function rightmostLegend(node: SceneNode, dx: number): number {
  let right = -Infinity;
  for (const child of node.items ?? []) {
    if (node.marktype !== undefined) {
      // an item of a mark: its bounds are in `dx`'s frame; a group item shifts its children
      if (node.role === 'legend' && child.bounds) right = Math.max(right, dx + child.bounds.x2);
      right = Math.max(right, rightmostLegend(child, dx + (child.x ?? 0)));
    } else right = Math.max(right, rightmostLegend(child, dx));
  }
  return right;
}

/** Every `legend.columns` in a spec, to be narrowed when a legend would overflow. */
function legendColumnSlots(node: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(node)) for (const x of node) legendColumnSlots(x, out);
  else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    const legend = o['legend'];
    if (legend !== null && typeof legend === 'object' && typeof (legend as Record<string, unknown>)['columns'] === 'number') {
      out.push(legend as Record<string, unknown>);
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'data' && k !== 'legend') legendColumnSlots(v, out);
  }
  return out;
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
  let spec = structuredClone({ ...fig.spec, config: figureConfig() }) as TopLevelSpec;
  let out = await layout(spec, warnings);
  // Text may not be cut at the figure's edge: a legend wider than the figure loses a column at a
  // time (legendColumns estimates them without the y axis's width), then a faceted figure's
  // panels are refitted to the width.
  for (let tries = 0; tries < 12; tries++) {
    // a faceted figure is as wide as its content: a legend past the width asked for is too wide
    const legendPast = fig.fit ? out.legendRight - fig.fit.width : 0;
    if (out.overflow > 1 || legendPast > 1) {
      const slots = legendColumnSlots(spec).filter((l) => (l['columns'] as number) > 1);
      if (slots.length > 0) {
        const widest = slots.reduce((a, b) => ((b['columns'] as number) > (a['columns'] as number) ? b : a));
        // columns share the width about evenly: drop as many as the overflow is wide
        const cols = widest['columns'] as number;
        widest['columns'] = Math.max(1, cols - Math.max(1, Math.ceil((cols * Math.max(out.overflow, legendPast)) / out.width)));
        out = await layout(spec, warnings);
        continue;
      }
    }
    // a fitted figure's height is fixed: a wrapped title or a stacked legend gets the room it needs
    const h = (spec as { height?: unknown }).height;
    if (out.overflowY > SLACK_Y && typeof h === 'number') {
      spec = { ...spec, height: Math.ceil(h + out.overflowY + 2) } as TopLevelSpec;
      out = await layout(spec, warnings);
      continue;
    }
    // A legend entry wider than the figure allows even in one column: the figure grows (autosize
    // pad around the plot fit chose) rather than cut it; --width is then a lower bound.
    const auto = (spec as { autosize?: { type?: string } }).autosize;
    if (out.overflow > 1 && auto?.type === 'fit') {
      spec = {
        ...spec,
        autosize: { type: 'pad' },
        width: Math.max(40, Math.round(out.plotWidth)),
        height: Math.max(40, Math.round(out.plotHeight)),
      } as TopLevelSpec;
      out = await layout(spec, warnings);
      continue;
    }
    if (fig.fit && Math.abs(out.width - fig.fit.width) > 1) {
      const s = spec as TopLevelSpec & { spec?: { width?: number } };
      const panel = s.spec?.width;
      if (typeof panel === 'number') {
        // only the panels' own excess: a legend wider than the figure stays wider whatever the panels
        const excess = out.width - Math.max(fig.fit.width, out.legendRight);
        const width = Math.max(40, Math.round(panel - excess / fig.fit.panels));
        if (width !== panel) {
          spec = { ...s, spec: { ...s.spec, width } } as TopLevelSpec;
          out = await layout(spec, warnings);
          continue;
        }
      }
    }
    break;
  }
  if (out.overflow > 1 || out.overflowY > SLACK_Y) {
    const past = Math.ceil(Math.max(out.overflow, out.overflowY));
    throw new RuntimeError(`figure ${fig.name} does not fit in ${Math.round(out.width)} px: its text reaches ${past} px past the edge; use a larger --width`);
  }
  return { spec, svg: out.svg, width: out.width, height: out.height, warnings };
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
 * exist), each atomically, and removes its images in the formats not requested, which an earlier
 * plot left and which would no longer match. Returns the written paths and the rendering warnings.
 */
export async function writeFigure(fig: Figure, outDir: string, opts: WriteOptions): Promise<{ paths: string[]; warnings: string[] }> {
  let r: Rendered;
  try {
    r = await renderSvg(fig);
  } catch (err) {
    if (err instanceof RuntimeError) throw new RuntimeError(`figure ${fig.name}: ${err.message}`);
    throw new RuntimeError(`figure ${fig.name}: rendering failed: ${(err as Error).message ?? String(err)}`);
  }
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
  if (opts.formats.includes('pdf')) {
    writeFileAtomic(`${base}.pdf`, await svgToPdf(r.svg, r.width, r.height));
    paths.push(`${base}.pdf`);
  }
  for (const f of IMAGE_FORMATS) if (!opts.formats.includes(f)) fs.rmSync(`${base}.${f}`, { force: true });
  return { paths, warnings: r.warnings };
}
