/**
 * `collapse sweep`: runs the Cartesian product of lists and ranges of run flags, one full run per
 * point, resumably, into one directory with sweep.json and a tidy sweep.csv; prints a compact table.
 */
import { displayWidth, padStartTo } from '../textwidth.js';
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { UsageError } from '../errors.js';
import { expandGrid, MAX_AXIS, type Grid, type GridPoint, type RawGridFlags } from '../grid.js';
import { familyOf } from '../families/index.js';
import type { MetricDef } from '../families/types.js';
import { metricZCell } from '../summary.js';
import { Progress, resolveProgress } from '../progress.js';
import { estimateSeconds, longNotice } from '../estimate.js';
import { canonicalSpec, type RunSpec } from '../spec.js';
import { makeDirs } from '../results.js';
import { regimeTheory } from '../theory.js';
import { specOmissions } from '../zscore.js';
import {
  acquireLock,
  checkDiskSpace,
  checkSweepDir,
  finalValue,
  finishedPoint,
  removeStale,
  runSweep,
  shardPoints,
  SWEEP_CSV,
  SWEEP_FILE,
  type FinishedPoint,
  type SweepControl,
  type SweepOutcome,
} from '../sweep.js';
import { relaunchForHugePages } from '../hugepages.js';
import { storeBytes } from '../engine.js';
import { checkMemory, drawFigures, fmt, memoryLimit, PROGRESS_HELP, resolveWorkers, runOptions, tiny } from './run.js';
import { parseShard } from '../shard.js';
import { example } from './help.js';

/** The list-and-range syntax, for --help. */
export const GRID_SYNTAX =
  'Lists and ranges. Every run flag takes a comma list (-n 10,100,1000). Integer flags (samples, generations, ' +
  'experiments, ddof, seed, every, dim) also take ranges: a..b (step 1), a..b:step, a..b:lin:k and a..b:log:k (k values ' +
  'from a to b inclusive, rounded, repeats dropped); real flags (mean0, sd0, fresh, synthetic, temperature, epsilon, noise, ridge) take ' +
  'a..b:lin:k and a..b:log:k. Items mix: -t 1,10..100:log:3.\n\n' +
  'Points. The Cartesian product in the order samples, generations, experiments, ddof, mean0, sd0, seed, every, rng, ' +
  'regime, fresh, synthetic, temperature, method, epsilon, model, dim, noise, ridge, the last varying fastest, then the replicates (replicate r runs with ' +
  'seed + r). Each point is a full run in DIR/points/<spec hash>; DIR/sweep.csv has one row per point, DIR/sweep.json ' +
  'the grid and provenance. Running the same command again resumes: finished points are kept, the rest run. ' +
  'Reference: docs/cli.md.';

interface SweepArgs extends RawGridFlags {
  workers?: unknown;
  out?: unknown;
  json?: boolean;
  plot?: boolean;
  shard?: unknown;
  progress?: unknown;
}

/** How the sweep header counts each flag's values: `3 regimes`, not `3 regime`. */
const COUNTED: Record<string, string> = {
  samples: 'samples',
  generations: 'generations',
  experiments: 'experiments',
  ddof: 'ddof values',
  mean0: 'mean0 values',
  sd0: 'sd0 values',
  seed: 'seeds',
  every: 'every values',
  rng: 'generators',
  regime: 'regimes',
  fresh: 'fresh values',
  synthetic: 'synthetic values',
  temperature: 'temperatures',
  method: 'methods',
  epsilon: 'epsilon values',
  model: 'models',
  dim: 'dimensions',
};

/** `12 points: 2 samples × 3 generations × 2 replicates (seed + r)`: the grid's shape. */
function shape(grid: Grid): string {
  const dims = grid.varying.map((f) => `${grid.axes[f]!.length} ${COUNTED[f] ?? `${f} values`}`);
  if (grid.replicates > 1) dims.push(`${grid.replicates} replicates (seed + r)`);
  const n = grid.points.length;
  return `${n} point${n === 1 ? '' : 's'}${dims.length > 0 ? `: ${dims.join(' × ')}` : ''}`;
}

/** Why a point's log10 z is left out (src/zscore.ts), as its table cell: a function of the spec alone. */
function zOmissionCell(spec: RunSpec): string {
  const th = regimeTheory(spec, [spec.generations], true);
  return specOmissions(th.rows[0]!, spec.experiments, th.reasons).log10SdMean?.cell ?? '';
}

/** The human table prints at most this many points; sweep.csv and `collapse table` have them all. */
const MAX_TABLE_ROWS = 200;

/** The compact human table: one line per point (the first `limit`), the params that vary, the final sd beside theory. */
export function sweepTable(grid: Grid, done: readonly FinishedPoint[], limit = grid.points.length): string {
  const shown = grid.points.slice(0, limit);
  const defs = metricDefs(shown);
  const scalar = defs.length === 0 || shown.some((p) => familyOf(p.spec.model).hasSdSummary(p.spec));
  const tables: string[] = [];
  if (scalar) tables.push(sdTable(grid, done, shown));
  if (defs.length > 0) tables.push(metricTable(grid, done, shown, defs));
  return tables.join('\n\n');
}

/**
 * The family metrics a sweep's table shows: those of every family that lacks its scalar sd summary
 * at some shown point (the Gaussian at d > 1), in registry order; none where every point has it.
 */
function metricDefs(points: readonly GridPoint[]): MetricDef[] {
  const defs: MetricDef[] = [];
  for (const p of points) {
    const family = familyOf(p.spec.model);
    if (family.hasSdSummary(p.spec)) continue;
    for (const d of family.metrics) if (!defs.some((e) => e.column === d.column)) defs.push(d);
  }
  return defs;
}

/** Rows of cells as right-aligned columns with a rule under the header row(s). */
function aligned(header: string[][], rows: string[][]): string {
  const all = [...header, ...rows];
  const widths = all[all.length - 1]!.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i]!))));
  const line = (r: string[]) => r.map((cell, i) => padStartTo(cell, widths[i]!)).join('  ').trimEnd();
  return [...header.map(line), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function sdTable(grid: Grid, done: readonly FinishedPoint[], shown: readonly GridPoint[]): string {
  const cols = [...grid.varying];
  const header = ['point', ...(grid.replicates > 1 ? ['replicate'] : []), ...cols, 'sd: mean', 'theory', 'log10 sd: mean', 'theory', 'z'];
  const rows: string[][] = [];
  for (const p of shown) {
    const f = done[p.index]!;
    const c = canonicalSpec(p.spec);
    const lead = [String(p.index), ...(grid.replicates > 1 ? [String(p.replicate)] : []), ...cols.map((k) => String(c[k]))];
    if (!familyOf(p.spec.model).hasSdSummary(p.spec)) {
      rows.push([...lead, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a']); // see the metric table
      continue;
    }
    const z = finalValue(f, 'z_log10_sd_mean');
    const why = Number.isNaN(z) ? zOmissionCell(p.spec) : '';
    rows.push([
      ...lead,
      tiny(finalValue(f, 'sd_mean'), finalValue(f, 'sd_mean_log10')),
      tiny(finalValue(f, 'theory_sd_mean'), finalValue(f, 'theory_sd_mean_log10')),
      fmt(finalValue(f, 'log10_sd_mean')),
      Number.isNaN(finalValue(f, 'theory_log10_sd_mean')) ? 'n/a' : fmt(finalValue(f, 'theory_log10_sd_mean')),
      Number.isNaN(z) ? why : fmt(z, 3),
    ]);
  }
  return aligned([header], rows);
}

/**
 * The family metrics' block: per point and metric the final mean, theory's expectation and the z
 * (or the cell saying why it is left out, from the point's z.reasons), under a header naming each
 * metric by its column stem in sweep.csv.
 */
function metricTable(grid: Grid, done: readonly FinishedPoint[], shown: readonly GridPoint[], defs: readonly MetricDef[]): string {
  const cols = [...grid.varying];
  const lead = ['point', ...(grid.replicates > 1 ? ['replicate'] : []), ...cols];
  const sub = [...lead, ...defs.flatMap(() => ['mean', 'theory', 'z'])];
  const rows: string[][] = [];
  for (const p of shown) {
    const f = done[p.index]!;
    const c = canonicalSpec(p.spec);
    const has = new Set(familyOf(p.spec.model).metrics.map((d) => d.column));
    const cells = [String(p.index), ...(grid.replicates > 1 ? [String(p.replicate)] : []), ...cols.map((k) => String(c[k]))];
    for (const d of defs) {
      if (!has.has(d.column)) {
        cells.push('n/a', 'n/a', 'n/a');
        continue;
      }
      const mean = finalValue(f, `${d.column}_mean`);
      const th = finalValue(f, `theory_${d.column}_mean`);
      const z = finalValue(f, `z_${d.column}_mean`);
      cells.push(
        Number.isNaN(mean) ? 'NA' : fmt(mean),
        Number.isNaN(th) ? 'n/a' : fmt(th),
        Number.isNaN(z) ? metricZCell(f.metricZReasons[d.name]) : fmt(z, 3),
      );
    }
    rows.push(cells);
  }
  return alignedGrouped(sub, rows, lead.length, defs.map((d) => d.column));
}

/** Like aligned, under a first header row naming each group of three columns (right-aligned over it). */
function alignedGrouped(sub: string[], rows: string[][], leadCount: number, groups: readonly string[]): string {
  const all = [sub, ...rows];
  const widths = sub.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i]!))));
  groups.forEach((g, k) => {
    const i = leadCount + 3 * k;
    const span = widths[i]! + widths[i + 1]! + widths[i + 2]! + 4;
    if (displayWidth(g) > span) widths[i] = widths[i]! + displayWidth(g) - span;
  });
  const line = (r: string[]) => r.map((cell, i) => padStartTo(cell, widths[i]!)).join('  ').trimEnd();
  let top = widths.slice(0, leadCount).map((w) => ' '.repeat(w)).join('  ');
  groups.forEach((g, k) => {
    const i = leadCount + 3 * k;
    const span = widths[i]! + widths[i + 1]! + widths[i + 2]! + 4;
    top += (top.length > 0 ? '  ' : '') + padStartTo(g, span);
  });
  return [top.trimEnd(), line(sub), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** What the z columns of the printed tables are. */
function zNotes(shown: readonly GridPoint[]): string[] {
  const metrics = metricDefs(shown).length > 0;
  const scalar = !metrics || shown.some((p) => familyOf(p.spec.model).hasSdSummary(p.spec));
  return [
    ...(scalar ? ['z: (simulated − theory) / s.e. of the mean log10 sd'] : []),
    ...(metrics
      ? [
          `${scalar ? 'metrics: ' : ''}final mean and exact expectation of each metric; z: (mean − theory) / s.e. (theory's sd where known, else the simulated one); ` +
            'where a z is left out the cell says why (z.reasons in points/<spec hash>/summary.json)',
        ]
      : []),
  ];
}

function footer(grid: Grid, out: SweepOutcome, workers: number, dir: string): string {
  const where = `results in ${dir} (${SWEEP_CSV}, ${SWEEP_FILE}, points/<spec hash>/)`;
  const n = grid.points.length;
  if (out.timing.pointsRun === 0) return `all ${n} points were already done; nothing ran. ${where}`;
  const reused = out.timing.pointsReused > 0 ? `, ${out.timing.pointsReused} already done` : '';
  return `${out.timing.pointsRun} point${out.timing.pointsRun === 1 ? '' : 's'} run${reused} in ${fmt(out.timing.wallSeconds, 3)} s on ${workers} worker${workers === 1 ? '' : 's'}; ${where}`;
}

/** The whole command: expand and validate the grid, check the directory, run what is left, report. */
export async function sweepCommand(argv: ArgumentsCamelCase<SweepArgs>): Promise<void> {
  const grid = expandGrid(argv);
  const workers = resolveWorkers(argv.workers);
  // the largest point's store decides the huge-page relaunch (points run one after another where memory is short)
  let largest = 0;
  for (const p of grid.points) {
    try {
      checkMemory(p.spec, workers);
      largest = Math.max(largest, storeBytes(p.spec));
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`point ${p.index}: ${err.message}`);
      throw err;
    }
  }
  if (argv.out !== undefined && (typeof argv.out !== 'string' || argv.out.trim() === '')) {
    throw new UsageError(`--out must be a directory path, got ${JSON.stringify(argv.out)}`);
  }
  await relaunchForHugePages(largest);
  const shard = argv.shard === undefined ? undefined : parseShard(argv.shard);
  const mode = resolveProgress(argv.progress);
  const owned = shard === undefined ? grid.points.map((p) => p.index) : shardPoints(grid, shard);
  const dir =
    (argv.out as string | undefined) ??
    path.join('results', shard === undefined ? `sweep-${grid.hash}` : `sweep-${grid.hash}.part-${shard.index}-of-${shard.count}`);
  const state = checkSweepDir(dir, grid);
  if (!state.exists) checkDiskSpace(state.root, dir, grid.points);

  makeDirs(dir, 'out');
  const release = acquireLock(dir);
  let finished = 0;
  const control: SweepControl = { memoryLimit: memoryLimit() };
  const progress = new Progress(shard === undefined ? 'collapse sweep' : `collapse sweep, shard ${shard.index}/${shard.count}`, mode);
  const onSignal = (signal: NodeJS.Signals): void => {
    progress.done();
    try {
      control.flush?.();
    } catch {
      // the point directories are what count; a re-run rebuilds the sweep files from them
    }
    release();
    process.stderr.write(
      `\ncollapse: interrupted; ${finished} of ${grid.points.length} points are finished in ${dir}; run the same command again to resume\n`,
    );
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  // Ahead of cli.ts's own handler, whose message ("no result directory was written") fits `run` only.
  process.prependListener('SIGINT', onSignal);
  process.prependListener('SIGTERM', onSignal);
  try {
    removeStale(dir);
    const known = grid.points.map((p) => finishedPoint(dir, p));
    finished = known.filter((f) => f).length;
    if (state.exists) checkDiskSpace(dir, dir, grid.points.filter((p) => known[p.index] === null));
    if (shard !== undefined) control.shard = shard;
    const todo = owned.filter((i) => known[i] === null);
    let mine = owned.length - todo.length;
    const what = `${shard === undefined ? 'this sweep' : `shard ${shard.index}/${shard.count}`} (${todo.length} point${todo.length === 1 ? '' : 's'} to run)`;
    process.stderr.write(longNotice(what, todo.reduce((a, i) => a + estimateSeconds(grid.points[i]!.spec, workers), 0), workers) ?? '');
    const outcome = await runSweep(
      grid,
      dir,
      workers,
      {
        onWork: (d, t) => progress.update(d, t, `${mine}/${owned.length} points`),
        onPoint: (_p, _f, n) => {
          finished = n;
          mine++;
        },
      },
      known,
      control,
    );
    progress.done(`${mine}/${owned.length} points`);
    // The results first: a figure that fails to draw must not withhold them (drawFigures reports
    // it in one line on stderr, and the exit status stays 0: collapse plot DIR retries).
    process.stdout.write(report(argv, grid, outcome, workers, dir, shard, owned));
    if (argv.plot !== false && shard === undefined) {
      const figures = await drawFigures(dir);
      if (argv.json !== true && figures.length > 0) process.stdout.write(`figures in ${path.dirname(figures[0]!)}\n`);
    }
  } finally {
    progress.done();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    release();
  }
}

/** What stdout gets once the points are done: sweep.json with --json, the shard's line, or the table. */
function report(
  argv: ArgumentsCamelCase<SweepArgs>,
  grid: Grid,
  outcome: SweepOutcome,
  workers: number,
  dir: string,
  shard: ReturnType<typeof parseShard> | undefined,
  owned: readonly number[],
): string {
  if (argv.json === true) return outcome.document;
  if (shard !== undefined) {
    const list = owned.length <= 8 ? owned.join(', ') : `${owned.slice(0, 6).join(', ')}, … (${owned.length} points)`;
    return (
      `collapse sweep: shard ${shard.index}/${shard.count} of grid ${grid.hash}: ` +
      `${owned.length === 0 ? 'no points (more shards than points)' : `point${owned.length === 1 ? '' : 's'} ${list}`} of ${grid.points.length} ` +
      `finished in ${dir}; assemble the sweep with collapse merge\n`
    );
  }
  const shown = grid.points.slice(0, MAX_TABLE_ROWS);
  const more = grid.points.length - shown.length;
  return [
    `collapse sweep: ${shape(grid)}`,
    '',
    sweepTable(grid, outcome.done, shown.length),
    ...(more > 0 ? [`… ${more} more points in ${path.join(dir, SWEEP_CSV)} (collapse table ${dir} shows them all)`] : []),
    '',
    ...zNotes(shown),
    footer(grid, outcome, workers, dir),
    '',
  ].join('\n');
}

/** yargs registration. */
export function registerSweep<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'sweep',
    'Run a grid of experiments, one full run per point, resumably, into one directory. Every run flag takes a list ' +
      'or a range (see the end); the grid is their Cartesian product.',
    (b) => {
      const c = runOptions(b)
        .option('replicates', { type: 'string', describe: `repeat every point R times, with seeds seed, seed + 1, …, seed + R − 1; 1 to ${MAX_AXIS} [default:\u00a01]` })
        .option('out', {
          alias: 'o',
          type: 'string',
          describe: 'sweep directory [default:\u00a0results/sweep-<grid hash>; with --shard: results/sweep-<grid hash>.part-<i>-of-<N>]',
        })
        .option('json', { type: 'boolean', default: false, describe: 'print sweep.json on stdout and nothing else there' })
        .option('plot', { type: 'boolean', default: true, describe: 'draw the figures after the sweep [default:\u00a0on; --no-plot skips them]' })
        .option('progress', { type: 'string', describe: PROGRESS_HELP })
        .option('shard', {
          type: 'string',
          describe:
            'run only shard i of N of the points (dealt out by estimated work, largest first, so that the shards take about ' +
            'equal time; fixed by the grid and N): i/N, auto or auto/N as for run; collapse merge then assembles the sweep',
        });
      example(c, '9 points: three sample sizes by three depths', 'sweep -n 10,100,1000 -t 10..1000:log:3 -e 200');
      example(c, 'two regimes, three independent seeds each', 'sweep --regime replace,accumulate -t 100 --replicates 3');
      return example(c, 'a share of fresh data from 0 to 1 in steps of 0.1', 'sweep --regime fresh --fresh 0..1:lin:11 -e 200').epilog(GRID_SYNTAX);
    },
    (argv) => sweepCommand(argv as ArgumentsCamelCase<SweepArgs>),
  ) as Argv<T>;
}
