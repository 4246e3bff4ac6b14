/**
 * One run from spec to result directory, shared by `run`, `sweep` and `merge`: run (or take merged
 * partial results), summarise, and write summary.json, trajectory.csv and finals.csv atomically.
 */
import type { RunOutcome } from './engine.js';
import { runSpec } from './engine.js';
import { familyOf } from './families/index.js';
import { Progress, type ProgressMode } from './progress.js';
import { prefetchProvenance, provenance } from './provenance.js';
import { writeResultDir } from './results.js';
import type { RunSpec } from './spec.js';
import { finalsParts, prefetchTheory, rowsOf, runTheory, summaryDocument, toJson, trajectoryHeader, trajectoryLines, trajectoryParts, TRAJECTORY_BLOCK, type RowStats, type Timing } from './summary.js';
import { recordCount } from './plan.js';

/** What a finished run hands back to its command. */
export interface Executed {
  doc: Record<string, unknown>;
  /** summary.json's exact text. */
  summary: string;
  final: RowStats;
  timing: Timing;
  /** trajectory.csv's header and last line, as written. */
  trajectoryHead: string;
  trajectoryTail: string;
}

/** Timing figures of a run of `spec` that took `wall` seconds and drew `draws` deviates. */
export function timingOf(spec: RunSpec, wall: number, draws: number): Timing {
  return {
    wallSeconds: wall,
    normalsPerSecond: spec.method === 'stats' ? NaN : draws / wall,
    generationStepsPerSecond: (spec.experiments * spec.generations) / wall,
    draws,
  };
}

/** Summarises `outcome` and writes its result directory `out`. */
export function finishRun(
  outcome: RunOutcome,
  workers: number,
  timing: Timing,
  startedAt: Date,
  out: string,
  provenanceExtra: Record<string, unknown> = {},
  onRows?: (done: number, total: number) => void,
): Executed {
  const spec = outcome.spec;
  const family = familyOf(spec.model);
  // trajectory.csv is formed block by block as it is written (trajectoryParts), never all its rows
  // at once; the final row, for summary.json, on its own (the same numbers: a row's statistics
  // depend on that row only)
  const final = rowsOf(outcome, outcome.rows - 1, outcome.rows)[0]!;
  const prov = { ...provenance(workers, startedAt, new Date()), ...provenanceExtra };
  const doc = summaryDocument(spec, workers, final, runTheory(spec, outcome.rows), timing, prov);
  const summary = toJson(doc);
  writeResultDir(out, {
    ...(family.artifacts?.(spec) ?? {}),
    'trajectory.csv': counted(trajectoryParts(outcome), outcome.rows, onRows),
    'finals.csv': finalsParts(outcome),
    'summary.json': summary,
  });
  return {
    doc,
    summary,
    final,
    timing,
    trajectoryHead: trajectoryHeader(family.name),
    trajectoryTail: trajectoryLines(family.name, [final]).replace(/\n$/, ''),
  };
}

/** Rows written between two progress reports of a trajectory (several of trajectoryParts' blocks). */
const PROGRESS_ROWS = 1024;

/**
 * trajectoryParts' parts, calling `onRows(rows written, rows)` each time another PROGRESS_ROWS rows
 * are written and after the last (the header is the first part, then TRAJECTORY_BLOCK rows a part,
 * the last part the rest) where there are more than PROGRESS_ROWS rows: a shorter trajectory is
 * written without progress.
 */
function* counted(parts: Iterable<string>, rows: number, onRows?: (done: number, total: number) => void): Generator<string> {
  let done = -TRAJECTORY_BLOCK; // the header is the first part
  let reported = 0;
  for (const part of parts) {
    yield part;
    done = Math.min(rows, done + TRAJECTORY_BLOCK);
    if (rows <= PROGRESS_ROWS || done <= 0) continue;
    if (done === rows || done - reported >= PROGRESS_ROWS) {
      reported = done - (done % PROGRESS_ROWS);
      onRows?.(done === rows ? rows : reported, rows);
    }
  }
}

/** Runs `spec` on `workers` threads into `out`, with progress labelled `label` in the form `mode` (--progress). */
export async function executeRun(
  spec: RunSpec,
  workers: number,
  out: string,
  label = 'collapse run',
  mode?: Exclude<ProgressMode, 'auto'>,
): Promise<Executed> {
  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  const progress = new Progress(label, mode);
  const running = runSpec(spec, workers, (d, t) => progress.update(d, t, `${d}/${t} chunks`));
  // git's answers and the theory while the pool starts and works (each is computed again at the
  // end if it is not in by then). git is asked here, before the workers have written the shared
  // store: its child process is a fork, which makes every page the process has written
  // copy-on-write, and each of those pages then faults again on its next write (measured: a store
  // touched before the fork cost the workers 20 000 faults each, as if it were new)
  const early = setImmediate(() => {
    prefetchProvenance();
    try {
      prefetchTheory(spec, recordCount(spec.generations, spec.every));
    } catch {
      // allRows computes it again, and reports what fails there
    }
  });
  const outcome = await running;
  clearImmediate(early);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  progress.done();
  // summarising and writing a long trajectory takes minutes at 10^6 recorded rows: its own progress
  const rows = new Progress(`${label}: trajectory.csv`, mode);
  const ran = finishRun(outcome, workers, timingOf(spec, wall, outcome.draws), startedAt, out, {}, (d, t) => rows.update(d, t, `${d}/${t} rows`));
  rows.done(`${outcome.rows} rows`);
  return ran;
}
