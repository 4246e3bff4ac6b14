/**
 * `collapse plot DIR`: renders the figures of a run or sweep directory into DIR/figures/ as
 * Vega-Lite specs, SVG, PNG and PDF. Vega loads only when this command runs (dynamic import).
 */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { invalidFlag } from '../errors.js';
import { example } from './help.js';

interface PlotFlags {
  dir: string;
  format?: string | string[];
  width?: string | string[];
  scale?: string | string[];
  xAxis?: string | string[];
}

const FORMATS = ['svg', 'png', 'pdf'] as const;
type Format = (typeof FORMATS)[number];

function single(flag: string, v: string | string[] | undefined): string | undefined {
  if (Array.isArray(v)) throw invalidFlag(flag, 'given once', v);
  return v;
}

/** Parses --format: a comma list of svg, png and pdf (the .vl.json spec is always written). */
export function parseFormats(raw: string | undefined): Format[] {
  if (raw === undefined) return [...FORMATS];
  const items = raw.split(',').map((s) => s.trim().toLowerCase());
  if (items.length === 0 || items.some((s) => !(FORMATS as readonly string[]).includes(s))) {
    throw invalidFlag('format', 'a comma list of svg, png and pdf', raw);
  }
  return [...new Set(items)] as Format[];
}

function parseNumberFlag(flag: string, raw: string | undefined, lo: number, hi: number, rule: string): number | undefined {
  if (raw === undefined) return undefined;
  const x = /^\s*[0-9]*\.?[0-9]+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!(x >= lo && x <= hi)) throw invalidFlag(flag, rule, raw);
  return x;
}

/** Registers `plot`. */
export function registerPlot<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'plot <dir>',
    'Render the figures of a run or sweep directory into DIR/figures/ (.vl.json, .svg, .png, .pdf)',
    (c) => {
      const d = c
        .positional('dir', { type: 'string', describe: 'a run directory (summary.json) or a sweep directory (sweep.csv)' })
        .option('format', {
          type: 'string',
          describe:
            'images to write beside each .vl.json spec, a comma list of svg, png and pdf (vector, fonts embedded, ' +
            'for pdflatex); images of other formats left by an earlier plot are removed [default:\u00a0svg,png,pdf]',
        })
        .option('width', { type: 'string', describe: 'figure width in px, a number from 150 to 10000 (a 3.4 in paper column at 150 dpi is 500) [default:\u00a0500]' })
        .option('scale', { type: 'string', describe: 'PNG pixels per SVG pixel, a number from 0.25 to 16 (2 gives 300 dpi at the default width) [default:\u00a02]' })
        .option('x-axis', {
          type: 'string',
          describe: 'sweep only: the swept parameter on the x axis, e.g. samples [default:\u00a0generations when swept, else the first swept number]',
        });
      example(d, "redraw a run's figures (after --no-plot, or with other settings)", 'plot results/run-5c1e5eb5395f');
      example(d, "a sweep's figures against sample size, for a two-column figure", 'plot results/regimes --x-axis samples --width 1050');
      return example(d, 'PDF only, for pdflatex', 'plot results/run-5c1e5eb5395f --format pdf');
    },
    async (argv: ArgumentsCamelCase<PlotFlags>) => {
      const formats = parseFormats(single('format', argv.format));
      const width = parseNumberFlag('width', single('width', argv.width), 150, 10000, 'a number of px from 150 to 10000');
      const scale = parseNumberFlag('scale', single('scale', argv.scale), 0.25, 16, 'a number from 0.25 to 16');
      const x = single('x-axis', argv.xAxis);
      const { plotDirectory } = await import('../plot/index.js');
      const paths = await plotDirectory(argv.dir, {
        formats,
        ...(width !== undefined ? { width } : {}),
        ...(scale !== undefined ? { scale } : {}),
        ...(x !== undefined ? { x } : {}),
        onWarning: (w) => process.stderr.write(`collapse: warning: ${w}\n`),
      });
      for (const p of paths) process.stdout.write(`${p}\n`);
    },
  ) as unknown as Argv<T>;
}
