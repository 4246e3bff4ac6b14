/**
 * The resumable sweep executor: checks and locks the sweep directory, recognises finished points
 * by their summary's spec hash, runs the rest one after another on the pool, and rewrites
 * sweep.json and sweep.csv atomically after each point so that a crash keeps finished work.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runSpecs, SpecFailure, type RunOutcome } from './engine.js';
import { RuntimeError, UsageError } from './errors.js';
import { finishRun, timingOf } from './execute.js';
import { expandGrid, SWEEP_FLAG_NAMES, type Grid, type GridPoint } from './grid.js';
import { balancedShards, checkBuilds, checkShardSet, warnStderr, type Shard } from './shard.js';
import { workSeconds } from './estimate.js';
import { provenance, toolVersion, type Provenance } from './provenance.js';
import { acquireLock as acquireFileLock, checkOutDir, existingAncestor, freeBytes, makeDirs, probeDir, removeMade, readResultDocument, replaceDir, resultBytes, tempDirFor, SUMMARY_FILE, writeFileAtomic } from './results.js';
import { SEED_SCHEME } from './seed.js';
import { canonicalSpec, specDifference, specFromCanonical, specHash, type RunSpec } from './spec.js';
import { familyOf } from './families/index.js';
import { allTrajectoryColumns, prefetchTheory, SCHEMA_VERSION, toJson, trajectoryColumns } from './summary.js';
import { recordCount } from './plan.js';
import { csvNumber } from './csv.js';

export const SWEEP_FILE = 'sweep.json';
export const SWEEP_CSV = 'sweep.csv';
export const POINTS_DIR = 'points';
export const LOCK_FILE = '.lock';
export const SWEEP_KIND = 'collapse.sweep';

/** Columns of sweep.csv: where the point sits, its full spec, then its trajectory's final row. */
export const SWEEP_COLUMNS: readonly string[] = ['point', 'replicate', 'spec_hash', ...SWEEP_FLAG_NAMES, ...allTrajectoryColumns().slice(1)];

/** Every family's trajectory columns (a point's row holds NA where its family lacks one). */
const RUN_COLUMNS: readonly string[] = allTrajectoryColumns();

/** A point's result directory, relative to the sweep directory. */
export function pointPath(p: GridPoint): string {
  return `${POINTS_DIR}/${p.hash}`;
}

/** What the sweep keeps of a finished point. */
export interface FinishedPoint {
  /** trajectory.csv's final row without its generation cell, as the exact text of each cell, in RUN_COLUMNS order. */
  cells: string[];
  wallSeconds: number | null;
  /** Family metric name → why its final z is left out (summary.json's `z.reasons`), where it is. */
  metricZReasons: Record<string, string>;
}

/** A cell of a finished point's final row, by trajectory column name, as a number (NA → NaN). */
export function finalValue(f: FinishedPoint, column: string): number {
  const i = RUN_COLUMNS.indexOf(column) - 1;
  const t = f.cells[i];
  if (t === undefined || t === 'NA') return NaN;
  if (t === 'Inf') return Infinity;
  if (t === '-Inf') return -Infinity;
  return Number(t);
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}


/** Entries a sweep directory may hold before its first sweep.json (a crash right after mkdir). */
function isSweepEntry(name: string): boolean {
  return name === POINTS_DIR || name === SWEEP_CSV || name === LOCK_FILE || /^\.(sweep\.json|sweep\.csv|lock)\.tmp-\d+$/.test(name);
}

function showAxis(values: readonly unknown[] | undefined): string {
  const v = (values ?? []).map(String);
  return v.length <= 8 ? v.join(',') : `${v.slice(0, 4).join(',')},…,${v.slice(-2).join(',')} (${v.length} values)`;
}

/** Each flag's distinct values over a list of canonical specs, in order of first appearance. */
function valuesByFlag(params: readonly Record<string, unknown>[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const f of SWEEP_FLAG_NAMES) {
    const seen: unknown[] = [];
    for (const p of params) if (!seen.includes(p[f])) seen.push(p[f]);
    out[f] = seen;
  }
  return out;
}

/**
 * Refuses, with the first field that differs and both values, a grid that is not the one the
 * sweep directory was made for. Grids that expand to the same points in the same order match,
 * however they were written (10,20 and 10..20:10; --ddof 0 and no --ddof). Fields are compared by
 * the replicates, then by the values the points resolve to in SWEEP_FLAGS order, then point by point.
 */
export function compareGrid(grid: Grid, doc: Record<string, unknown>, out: string): void {
  const file = path.join(out, SWEEP_FILE);
  const prevPoints = Array.isArray(doc['points']) ? (doc['points'] as Record<string, unknown>[]) : [];
  const prevGrid = (doc['grid'] ?? {}) as Record<string, unknown>;
  const same =
    prevGrid['replicates'] === grid.replicates &&
    prevPoints.length === grid.points.length &&
    grid.points.every((p, i) => prevPoints[i]?.['specHash'] === p.hash);
  if (same) return;
  const refuse = (what: string) =>
    new UsageError(`--out ${out} holds a different sweep: ${what} in ${file} (use the same flags to resume it, or another --out)`);
  const hereParams = grid.points.map((p) => canonicalSpec(p.spec));
  // sweeps made before the augment regime record no synthetic, which means 0
  const thereParams = prevPoints.map((p): Record<string, unknown> => ({ synthetic: 0, ...((p['params'] ?? {}) as Record<string, unknown>) }));
  const here = valuesByFlag(hereParams);
  const there = valuesByFlag(thereParams);
  if (prevGrid['replicates'] !== grid.replicates) {
    throw refuse(`--replicates is ${grid.replicates} here but ${String(prevGrid['replicates'])}`);
  }
  for (const f of SWEEP_FLAG_NAMES) {
    if (JSON.stringify(here[f]) !== JSON.stringify(there[f])) throw refuse(`--${f} is ${showAxis(here[f])} here but ${showAxis(there[f])}`);
  }
  if (prevPoints.length !== grid.points.length) throw refuse(`the grid has ${grid.points.length} points here but ${prevPoints.length}`);
  for (const p of grid.points) {
    const prev = prevPoints[p.index]!;
    if (prev['specHash'] === p.hash) continue;
    const d = specDifference(hereParams[p.index]!, thereParams[p.index]!);
    if (d !== null) throw refuse(`point ${p.index} has ${d.field} ${String(d.a)} here but ${String(d.b)}`);
    throw refuse(`point ${p.index} has spec hash ${p.hash} here but ${String(prev['specHash'])}`);
  }
}

/** What the checks found: whether the directory exists, and where to measure free space. */
export interface SweepDirState {
  exists: boolean;
  /** The directory, or its nearest existing ancestor. */
  root: string;
}

/**
 * Checks `out` before any work and without creating anything: a writable directory (or a path
 * whose nearest existing ancestor is one) that is new, empty, or a sweep of this same grid.
 */
export function checkSweepDir(out: string, grid: Grid): SweepDirState {
  const abs = path.resolve(out);
  if (!fs.existsSync(abs)) {
    probeDir(abs, 'out', out);
    return { exists: false, root: existingAncestor(abs) };
  }
  if (!fs.statSync(abs).isDirectory()) throw new UsageError(`--out must be a directory, got ${JSON.stringify(out)} (a file)`);
  const entries = fs.readdirSync(abs);
  if (entries.includes(SWEEP_FILE)) {
    let doc: Record<string, unknown>;
    try {
      doc = readResultDocument(path.join(abs, SWEEP_FILE), SWEEP_KIND);
    } catch (err) {
      throw new UsageError(`--out ${out} is not a sweep this collapse can resume: ${errorText(err)}`);
    }
    compareGrid(grid, doc, out);
  } else if (!entries.every(isSweepEntry)) {
    throw new UsageError(
      `--out must be a new directory, an empty one or a previous sweep, got ${JSON.stringify(out)} (not empty, no ${SWEEP_FILE})`,
    );
  }
  probeDir(abs, 'out', out);
  return { exists: true, root: abs };
}

/**
 * Takes the sweep directory's lock (DIR/.lock, with pid and host), so that two sweeps never write
 * the same points; the one lock mechanism of results.ts that runs use too. Returns the release.
 */
export function acquireLock(out: string): () => void {
  return acquireFileLock(path.join(out, LOCK_FILE), out, 'sweep');
}

/** Removes what an interrupted write leaves behind: hidden .tmp- and .old- entries. */
export function removeStale(out: string): void {
  const points = path.join(out, POINTS_DIR);
  const stale = /^\..*\.(tmp|old)-\d+$/;
  for (const dir of [out, points]) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      if (stale.test(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}

/** The header line and the last line of a text file, reading only its two ends. */
function headAndTail(file: string): { head: string; tail: string } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const headBuf = Buffer.alloc(Math.min(size, 1 << 16));
    fs.readSync(fd, headBuf, 0, headBuf.length, 0);
    const headText = headBuf.toString('utf8');
    const head = headText.slice(0, headText.indexOf('\n') >>> 0);
    for (let block = 1 << 16; ; block *= 4) {
      const len = Math.min(size, block);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      const text = buf.toString('utf8').replace(/\n$/, '');
      const nl = text.lastIndexOf('\n');
      if (nl >= 0 || len === size) return { head, tail: text.slice(nl + 1) };
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A point is finished when its summary.json reads as a result of this schema, its params hash to
 * the point's spec hash (never trusting the directory name alone), and its trajectory ends at the
 * final generation. Anything else is not finished and runs again.
 */
export function finishedPoint(out: string, p: GridPoint): FinishedPoint | null {
  const dir = path.join(out, pointPath(p));
  try {
    const doc = readResultDocument(path.join(dir, SUMMARY_FILE), 'collapse.run');
    const params = (doc['params'] ?? {}) as Record<string, unknown>;
    if (specHash(specFromCanonical(params, dir)) !== p.hash) return null;
    if (!fs.existsSync(path.join(dir, 'finals.csv'))) return null;
    const { head, tail } = headAndTail(path.join(dir, 'trajectory.csv'));
    return pointRecord(p, doc, head, tail);
  } catch {
    return null;
  }
}

/**
 * A finished point's record from its summary document and trajectory.csv's header and last line:
 * null where the header is not this family's or the last line is not the final generation. Read
 * back from disk by finishedPoint; taken from what it has just written by the sweep itself.
 */
function pointRecord(p: GridPoint, doc: Record<string, unknown>, head: string, tail: string): FinishedPoint | null {
  const columns = trajectoryColumns(p.spec.model);
  if (head !== columns.join(',')) return null;
  const cells = tail.split(',');
  if (cells.length !== columns.length || cells[0] !== String(p.spec.generations)) return null;
  const wall = ((doc['timing'] ?? {}) as Record<string, unknown>)['wallSeconds'];
  const byName = new Map(columns.map((c, i) => [c, cells[i]!]));
  const reasons = (((doc['z'] ?? {}) as Record<string, unknown>)['reasons'] ?? {}) as Record<string, unknown>;
  const metricZReasons: Record<string, string> = {};
  for (const def of familyOf(p.spec.model).metrics) {
    const why = reasons[def.name];
    if (typeof why === 'string') metricZReasons[def.name] = why;
  }
  return { cells: RUN_COLUMNS.slice(1).map((c) => byName.get(c) ?? 'NA'), wallSeconds: typeof wall === 'number' ? wall : null, metricZReasons };
}

/** Bytes a point's files take at most (resultBytes: finals.csv, trajectory.csv and the summary). */
export function pointBytes(spec: RunSpec): number {
  return resultBytes(spec);
}

function bytesText(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(1)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(b / 2 ** 10)} KiB`;
}

/** Refuses, before any work, a sweep whose remaining points would plainly not fit on the disk. */
export function checkDiskSpace(root: string, out: string, pending: readonly GridPoint[]): void {
  if (pending.length === 0) return;
  const need = pending.reduce((a, p) => a + pointBytes(p.spec), 0) + 2 * 2 ** 20;
  const free = freeBytes(root); // null without statfs: the write itself will report a full disk, naming the point
  if (free !== null && need > free) {
    throw new UsageError(
      `--out ${out}: the ${pending.length} points still to run need about ${bytesText(need)} of disk, but only ${bytesText(free)} is free there`,
    );
  }
}

/** sweep.csv: one row per finished point, in grid order (all points once the sweep is complete). */
export function sweepCsv(grid: Grid, done: readonly (FinishedPoint | null)[]): string {
  const lines = [SWEEP_COLUMNS.join(',')];
  for (const p of grid.points) {
    const f = done[p.index];
    if (!f) continue;
    const c = canonicalSpec(p.spec);
    const params = SWEEP_FLAG_NAMES.map((k) => {
      const v = c[k];
      // a flag of another family than the point's is NA; a word with a comma or quote (a file path) is quoted
      if (v === undefined) return 'NA';
      if (typeof v === 'number') return csvNumber(v);
      const text = String(v);
      return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    });
    lines.push([String(p.index), String(p.replicate), p.hash, ...params, ...f.cells].join(','));
  }
  return lines.join('\n') + '\n';
}

/** How this invocation went; the one part of sweep.json, with provenance, that differs between runs. */
export interface SweepTiming {
  wallSeconds: number;
  pointsRun: number;
  pointsReused: number;
}

/** sweep.json: the grid as given and as expanded, every point with its params, hash and state. */
export function sweepDocument(
  grid: Grid,
  done: readonly (FinishedPoint | null)[],
  timing: SweepTiming,
  prov: Provenance,
  shard?: Shard,
): Record<string, unknown> {
  const finished = done.filter((f) => f).length;
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: SWEEP_KIND,
    gridHash: grid.hash,
    ...(shard === undefined ? {} : { shard: { index: shard.index, count: shard.count }, shardPoints: shardPoints(grid, shard) }),
    grid: {
      given: grid.given,
      order: [...SWEEP_FLAG_NAMES, 'replicate'],
      axes: grid.axes,
      replicates: grid.replicates,
      replicateSeeds: 'replicate r of a grid point runs with seed + r',
      varying: grid.varying,
      points: grid.points.length,
    },
    seedScheme: SEED_SCHEME,
    finished,
    complete: finished === grid.points.length,
    points: grid.points.map((p) => ({
      point: p.index,
      replicate: p.replicate,
      specHash: p.hash,
      dir: pointPath(p),
      done: done[p.index] !== null && done[p.index] !== undefined,
      params: canonicalSpec(p.spec),
    })),
    timing: {
      ...timing,
      pointWallSeconds: grid.points.map((p) => done[p.index]?.wallSeconds ?? null),
    },
    provenance: prov,
  };
}

/** `samples=10, generations=20, replicate 1, spec 1a2b3c4d5e6f`: a point in messages. */
export function pointLabel(grid: Grid, p: GridPoint): string {
  const c = canonicalSpec(p.spec);
  const parts = grid.varying.map((f) => `${f}=${String(c[f])}`);
  if (grid.replicates > 1) parts.push(`replicate ${p.replicate}`);
  parts.push(`spec ${p.hash}`);
  return parts.join(', ');
}

/** Hooks a command gives the executor: work units done of the total, and each finished point. */
export interface SweepHooks {
  onWork?: (done: number, total: number) => void;
  onPoint?: (p: GridPoint, f: FinishedPoint, finished: number) => void;
}

/** What a sweep did. */
export interface SweepOutcome {
  done: FinishedPoint[];
  document: string;
  timing: SweepTiming;
}

/** Writes one sweep file atomically; a failure (a full disk) names the file and removes the temporary. */
function writeSweepFile(out: string, name: string, content: string, after: string): void {
  const file = path.join(out, name);
  try {
    writeFileAtomic(file, content);
  } catch (err) {
    fs.rmSync(path.join(out, `.${name}.tmp-${process.pid}`), { force: true });
    throw new RuntimeError(`could not write ${file} ${after}: ${errorText(err)}; the finished points are intact, re-run the same command to resume`);
  }
}

/** Lets a signal handler write the sweep files before the process exits. */
export interface SweepControl {
  /** Rewrites sweep.json and sweep.csv with every point finished so far (set by runSweep). */
  flush?: () => void;
  /** Run only shard i of N of the points (collapse sweep --shard); the others stay unfinished. */
  shard?: Shard;
  /** Bytes the points in flight together may take by estimateBytes (one point always runs). */
  memoryLimit?: number;
}

const assignments = new WeakMap<Grid, Map<number, { shardOf: number[]; groups: number[][] }>>();

function assignment(grid: Grid, count: number): { shardOf: number[]; groups: number[][] } {
  let byCount = assignments.get(grid);
  if (byCount === undefined) assignments.set(grid, (byCount = new Map()));
  let a = byCount.get(count);
  if (a === undefined) {
    const shardOf = balancedShards(grid.points.map((p) => workSeconds(p.spec)), count);
    const groups: number[][] = Array.from({ length: count }, () => []);
    for (const p of grid.points) groups[shardOf[p.index]!]!.push(p.index);
    byCount.set(count, (a = { shardOf, groups }));
  }
  return a;
}

/**
 * The shard of each point when the grid is split N ways: dealt out by estimated work (workSeconds:
 * draws or generation steps at calibrated rates, plus recording), largest first, so that a grid
 * of n = 10, 100, 1000 over 2 shards gives one shard the n = 1000 point and the other the rest.
 */
export function pointShards(grid: Grid, count: number): readonly number[] {
  return assignment(grid, count).shardOf;
}

/** The indices of the points shard `s` runs, in grid order. */
export function shardPoints(grid: Grid, s: Shard): readonly number[] {
  return assignment(grid, s.count).groups[s.index]!;
}

/** At most this share of a sweep's time goes to rewriting its files (which grow with the grid). */
const MAX_WRITE_SHARE = 0.02;

/**
 * Runs the grid's unfinished points in grid order into `out` (which the caller has checked and
 * locked), each on `workers` threads, and rewrites sweep.json and sweep.csv after each one: for a
 * grid so large that rewriting costs more than a tenth of the time, after every few points instead
 * (the point directories are what count; a re-run rebuilds both files from them). `known` is what
 * finishedPoint found for each point, if the caller has already looked. A point's failure (a full
 * disk, a worker) stops the sweep with a RuntimeError naming the point.
 */
export async function runSweep(
  grid: Grid,
  out: string,
  workers: number,
  hooks: SweepHooks = {},
  known: readonly (FinishedPoint | null)[] = grid.points.map((p) => finishedPoint(out, p)),
  control: SweepControl = {},
): Promise<SweepOutcome> {
  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
  const done: (FinishedPoint | null)[] = [...known];
  const shardOf = control.shard === undefined ? null : pointShards(grid, control.shard.count);
  const pending = grid.points.filter((p) => done[p.index] === null && (shardOf === null || shardOf[p.index] === control.shard!.index));
  const timing: SweepTiming = { wallSeconds: 0, pointsRun: 0, pointsReused: grid.points.length - pending.length };
  let finished = timing.pointsReused;
  // git is asked once per invocation, not once per rewrite, when the files are first written
  let prov: Provenance | null = null;
  let lastWrite = 0;
  let lastCost = 0;
  let dirty = false;
  const save = (after: string): string => {
    const w0 = seconds();
    timing.wallSeconds = w0;
    prov ??= provenance(workers, startedAt, startedAt);
    const doc = toJson(sweepDocument(grid, done, timing, { ...prov, finishedAt: new Date().toISOString() }, control.shard));
    writeSweepFile(out, SWEEP_CSV, sweepCsv(grid, done), after);
    writeSweepFile(out, SWEEP_FILE, doc, after);
    lastWrite = seconds();
    lastCost = lastWrite - w0;
    dirty = false;
    return doc;
  };
  control.flush = () => {
    if (dirty) save('on interrupt');
  };
  makeDirs(path.join(out, POINTS_DIR), 'out', out);
  // the sweep files are written once the pool's threads are starting (before any point runs), so
  // that git and the writes overlap their start-up; then, while the calling thread waits for the
  // first results, the theory of the first point (the special functions load on first use)
  let early: NodeJS.Immediate | undefined;
  const onStarted = (): void => {
    save('before the first point');
    const first = pending[0]?.spec;
    if (first === undefined) return;
    early = setImmediate(() => {
      try {
        prefetchTheory(first, recordCount(first.generations, first.every));
      } catch {
        // computed again where the point is summarised, which reports what fails
      }
    });
  };

  const failedPoint = (p: GridPoint, err: unknown): RuntimeError => {
    try {
      control.flush?.();
    } catch {
      // the disk may be what failed: the point directories still say what is finished
    }
    const kept = finished === 1 ? 'the 1 finished point is' : `the ${finished} finished points are`;
    return new RuntimeError(
      `point ${p.index} (${pointLabel(grid, p)}) failed: ${errorText(err)}; ${kept} intact in ${out}, re-run the same command to resume`,
    );
  };
  const onOutcome = (k: number, outcome: RunOutcome, started: Date, wall: number): void => {
    const p = pending[k]!;
    const dir = path.join(out, pointPath(p));
    let f: FinishedPoint | null;
    try {
      // its record from what was written (the text finishedPoint would read back)
      const ran = finishRun(outcome, workers, timingOf(p.spec, wall, outcome.draws), started, dir);
      f = pointRecord(p, JSON.parse(ran.summary) as Record<string, unknown>, ran.trajectoryHead, ran.trajectoryTail);
    } catch (err) {
      throw failedPoint(p, err);
    }
    if (f === null) throw new RuntimeError(`point ${p.index} (${pointLabel(grid, p)}): its result in ${dir} is not a finished point's; re-run the same command`);
    done[p.index] = f;
    timing.pointsRun++;
    finished++;
    dirty = true;
    if (seconds() - lastWrite >= (lastCost * (1 - MAX_WRITE_SHARE)) / MAX_WRITE_SHARE) save(`after point ${p.index}`);
    hooks.onPoint?.(p, f, finished);
  };
  try {
    await runSpecs(pending.map((p) => p.spec), workers, { onStarted, onWork: hooks.onWork, onOutcome }, control.memoryLimit);
  } catch (err) {
    if (!(err instanceof SpecFailure)) throw err;
    // a point's own messages (its files, the sweep files) as they are; a chunk's, naming the point
    if (err.stage === 'outcome') throw err.error;
    throw failedPoint(pending[err.index]!, err.error);
  }
  clearImmediate(early);
  const document = save('at the end');
  control.flush = undefined;
  return { done: done as FinishedPoint[], document, timing };
}

/** Why a part's recorded points are not the ones shard `s` owns under this collapse's assignment. */
function assignmentProblem(doc: Record<string, unknown>, grid: Grid, s: Shard): string | null {
  const want = shardPoints(grid, s);
  if (JSON.stringify(doc['shardPoints']) === JSON.stringify(want)) return null;
  return `its points are not those shard ${s.index}/${s.count} runs here (written by a collapse that dealt points to shards differently?); run that shard again`;
}

function unfinishedText(grid: Grid, p: GridPoint, dir: string, s: Shard): string {
  return `point ${p.index} (${pointLabel(grid, p)}) is not finished in ${dir} (shard ${s.index}/${s.count})`;
}

/**
 * Why the sweep part in `dir` is not a complete, valid part of shard `s` of `grid` by this collapse
 * (missing, another grid, shard or version, points dealt otherwise, a point unfinished), or null
 * when it is: the checks of merge, for one part. An unfinished part of this grid resumes.
 */
export function sweepPartProblem(dir: string, grid: Grid, s: Shard): string | null {
  const file = path.join(dir, SWEEP_FILE);
  if (!fs.existsSync(file)) return `no ${SWEEP_FILE} in ${dir}`;
  let doc: Record<string, unknown>;
  try {
    doc = readResultDocument(file, SWEEP_KIND);
    compareGrid(grid, doc, dir);
  } catch (err) {
    return errorText(err);
  }
  const version = ((doc['provenance'] ?? {}) as Record<string, unknown>)['version'];
  if (version !== toolVersion()) return `${dir} was written by collapse ${String(version)}, this is ${toolVersion()}`;
  const shard = (doc['shard'] ?? {}) as Partial<Shard>;
  if (shard.index !== s.index || shard.count !== s.count) return `${dir} is shard ${String(shard.index)}/${String(shard.count)}, not ${s.index}/${s.count}`;
  const why = assignmentProblem(doc, grid, s);
  if (why !== null) return `${dir}: ${why}`;
  for (const i of shardPoints(grid, s)) if (finishedPoint(dir, grid.points[i]!) === null) return unfinishedText(grid, grid.points[i]!, dir, s);
  return null;
}

/** A sweep directory written by `collapse sweep --shard`, as `collapse merge` reads it. */
interface SweepPart {
  path: string;
  doc: Record<string, unknown>;
  shard: Shard;
}

/**
 * Assembles the parts of a sharded sweep into one sweep directory: same grid (naming the first
 * differing flag), same tool version, every shard once, every point finished in the part that owns
 * it. Point directories are copied as they are, and sweep.json and sweep.csv are written as an
 * unsharded sweep writes them, so sweep.csv and every point's files equal the single-machine ones.
 */
export function mergeSweepParts(paths: readonly string[], out: string): { document: string; grid: Grid; done: FinishedPoint[] } {
  const parts: SweepPart[] = paths.map((p) => {
    const dir = path.basename(p) === SWEEP_FILE ? path.dirname(p) : p;
    if (!fs.existsSync(path.join(dir, SWEEP_FILE))) {
      throw new UsageError(`PARTS must be part directories written by collapse sweep --shard, got ${JSON.stringify(p)} (no ${SWEEP_FILE})`);
    }
    const doc = readResultDocument(path.join(dir, SWEEP_FILE), SWEEP_KIND);
    const shard = doc['shard'] as Shard | undefined;
    if (shard === undefined) throw new UsageError(`${dir} is a whole sweep, not a part written by collapse sweep --shard`);
    return { path: dir, doc, shard };
  });
  const first = parts[0]!;
  const given = ((first.doc['grid'] ?? {}) as Record<string, unknown>)['given'] as Record<string, string>;
  const grid = expandGrid(given);
  if (grid.hash !== first.doc['gridHash']) {
    throw new RuntimeError(`${first.path}: its grid expands to ${grid.hash} here but was ${String(first.doc['gridHash'])} (another collapse version?)`);
  }
  const version = (p: SweepPart) => ((p.doc['provenance'] ?? {}) as Record<string, unknown>)['version'];
  for (const p of parts.slice(1)) {
    try {
      compareGrid(grid, p.doc, p.path);
    } catch (err) {
      const what = (err as Error).message.replace(/^--out \S+ holds a different sweep: /, '').replace(/ \(use the same flags.*$/, '');
      throw new UsageError(`parts are of different sweeps: ${what.replace(' here but ', ` in ${first.path} but `)}`);
    }
    if (version(p) !== version(first)) {
      throw new UsageError(`parts differ in tool version: ${JSON.stringify(version(first))} in ${first.path}, ${JSON.stringify(version(p))} in ${p.path}`);
    }
  }
  checkShardSet(parts);
  // the build warnings wait until every check has passed, so that a refusal stays one line
  const warnings: string[] = [];
  checkBuilds(parts.map((p) => ({ path: p.path, provenance: p.doc['provenance'] })), (m) => warnings.push(m));
  const byIndex = new Map(parts.map((p) => [p.shard.index, p]));
  const shardOf = pointShards(grid, first.shard.count);
  const owner = (index: number) => byIndex.get(shardOf[index]!)!;
  for (const p of parts) {
    const why = assignmentProblem(p.doc, grid, p.shard);
    if (why !== null) throw new RuntimeError(`${p.path}: ${why}`);
  }
  const done: FinishedPoint[] = grid.points.map((p) => {
    const o = owner(p.index);
    const f = finishedPoint(o.path, p);
    if (f === null) throw new RuntimeError(`${unfinishedText(grid, p, o.path, o.shard)}: resume that shard with its command first`);
    return f;
  });
  const abs = path.resolve(out);
  checkOutDir(out, SWEEP_FILE);
  const made = makeDirs(path.dirname(abs), 'out', out);
  for (const m of warnings) warnStderr(m);
  const tmp = tempDirFor(out);
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    fs.mkdirSync(tmp);
    fs.mkdirSync(path.join(tmp, POINTS_DIR));
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    removeMade(made);
    throw new RuntimeError(`could not write the merged sweep to ${abs}: ${errorText(err)}`);
  }
  for (const p of grid.points) fs.cpSync(path.join(owner(p.index).path, pointPath(p)), path.join(tmp, pointPath(p)), { recursive: true });
  const walls = parts.map((p) => Number(((p.doc['timing'] ?? {}) as Record<string, unknown>)['wallSeconds'] ?? NaN));
  const timing: SweepTiming = { wallSeconds: Math.max(...walls), pointsRun: 0, pointsReused: grid.points.length };
  const now = new Date();
  const prov = {
    ...provenance(0, now, now),
    parts: parts.map((p) => ({ shard: p.shard, path: p.path, provenance: p.doc['provenance'] })),
  };
  const document = toJson(sweepDocument(grid, done, timing, prov));
  fs.writeFileSync(path.join(tmp, SWEEP_CSV), sweepCsv(grid, done));
  fs.writeFileSync(path.join(tmp, SWEEP_FILE), document);
  replaceDir(tmp, abs);
  return { document, grid, done };
}
