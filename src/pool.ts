/**
 * The only file that knows Piscina: runs a chunk plan on a pool of worker threads and hands the
 * results back in chunk order, whatever order they finish in.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina, type TaskQueue } from 'piscina';
import type { ChunkResult, ChunkTask, SummaryResult, SummaryTask } from './protocol.js';
import type { BatchResult } from './protocol.js';

/**
 * The compiled worker entry `entry` (task: chunks and, through it, per-generation statistics). From
 * dist/src/pool.js it is dist/workers/<entry>.js; when this file runs from source (tests), the
 * compiled copy under dist/ is used, since Piscina needs a .js file.
 */
function workerFile(entry: 'task' = 'task'): string {
  const here = import.meta.url;
  const candidates = here.endsWith('.ts')
    ? [new URL(`../dist/workers/${entry}.js`, here)]
    : [new URL(`../workers/${entry}.js`, here)];
  for (const c of candidates) {
    const p = fileURLToPath(c);
    if (existsSync(p)) return p;
  }
  throw new Error(`worker file not found (${candidates.map((c) => fileURLToPath(c)).join(', ')}); run npm run build`);
}

/** Default worker count: the machine's available parallelism. */
export { availableParallelism as defaultWorkers } from 'node:os';

type QueuedTask = Parameters<TaskQueue['push']>[0];

/**
 * Piscina's queue of tasks not yet on a thread, in two lanes: statistics tasks (named summarize)
 * first, then chunk batches, each lane in order. A finished spec's statistics so wait only for
 * the batches already handed to a thread, not for those queued behind them.
 */
class SummariesFirst implements TaskQueue {
  private readonly urgent: QueuedTask[] = [];
  private readonly rest: QueuedTask[] = [];

  get size(): number {
    return this.urgent.length + this.rest.length;
  }

  private lane(task: QueuedTask): QueuedTask[] {
    return (task as { name?: string }).name === 'summarize' ? this.urgent : this.rest;
  }

  shift(): QueuedTask | null {
    return this.urgent.shift() ?? this.rest.shift() ?? null;
  }

  push(task: QueuedTask): void {
    this.lane(task).push(task);
  }

  unshift(task: QueuedTask): void {
    this.lane(task).unshift(task);
  }

  remove(task: QueuedTask): void {
    const lane = this.lane(task);
    const i = lane.indexOf(task);
    if (i >= 0) lane.splice(i, 1);
  }
}

/** The task entry's exports (workers/task.ts). */
interface TaskEntry {
  default: (t: ChunkTask) => ChunkResult;
  runBatch: (t: readonly ChunkTask[]) => BatchResult;
  summarize: (t: SummaryTask) => SummaryResult;
}

/** A failure of one task, with the task that failed. */
export class TaskError extends Error {
  constructor(
    readonly task: ChunkTask,
    readonly causeMessage: string,
  ) {
    super(causeMessage);
  }
}

/**
 * Runs batches of chunk tasks (workers/task.ts runBatch) and per-generation statistics tasks
 * (workers/summary.ts, exported by the task entry as summarize) for as long as it is open: on
 * `workers` threads started once (a sweep's points, and a run's chunks and then its statistics,
 * share them, so nothing pays for starting threads twice), or on the calling thread with
 * `workers` = 0. A batch resolves to its results in task order, or rejects with a TaskError naming
 * the task that failed.
 */
export class BatchRunner {
  private readonly pool: Piscina<readonly ChunkTask[] | SummaryTask, BatchResult | SummaryResult> | null;
  private inline: TaskEntry | null = null;
  private closed = false;

  /**
   * `perWorker` batches are handed to each thread at once, so that a thread goes on to its next
   * batch while the calling thread is busy (writing a finished point's files) instead of waiting.
   */
  constructor(workers: number, perWorker = 2) {
    this.pool =
      workers === 0
        ? null
        : new Piscina<readonly ChunkTask[] | SummaryTask, BatchResult | SummaryResult>({
            filename: workerFile(),
            name: 'runBatch',
            minThreads: workers,
            maxThreads: workers,
            concurrentTasksPerWorker: perWorker,
            idleTimeout: 1000,
            taskQueue: new SummariesFirst(),
          });
    // a thread's answer that arrives after close() (its task abandoned) is reported by Piscina as
    // an 'error' event, fatal without a listener; by then nobody waits for it
    this.pool?.on('error', (err: unknown) => {
      if (!this.closed) throw err;
    });
  }

  private async entry(): Promise<TaskEntry> {
    this.inline ??= (await import(pathToFileURL(workerFile()).href)) as TaskEntry;
    return this.inline;
  }

  async run(tasks: readonly ChunkTask[]): Promise<ChunkResult[]> {
    let out: BatchResult;
    if (this.pool === null) {
      out = (await this.entry()).runBatch(tasks);
    } else {
      try {
        out = (await this.pool.run(tasks)) as BatchResult;
      } catch (err) {
        throw new TaskError(tasks[0]!, err instanceof Error ? err.message : String(err));
      }
    }
    if (out.failure !== null) throw new TaskError(tasks[out.failure.item]!, out.failure.message);
    return out.results;
  }

  /** The digest of one block of recorded rows, on a thread of the same pool (or the calling thread). */
  async summarize(task: SummaryTask): Promise<SummaryResult> {
    if (this.pool === null) return (await this.entry()).summarize(task);
    return (await this.pool.run(task, { name: 'summarize' })) as SummaryResult;
  }

  /** Stops the threads; batches still running are abandoned. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool?.destroy().catch(() => undefined);
  }
}

/**
 * Runs `tasks` one after another on the calling thread, through the same compiled task entry the
 * workers load, so results are identical to a pool run. For work too small to pay for starting
 * threads (about 0.1 s for two).
 */
export async function runTasksInline(tasks: readonly ChunkTask[], onResult: (r: ChunkResult) => void): Promise<void> {
  const mod = (await import(pathToFileURL(workerFile()).href)) as { default: (t: ChunkTask) => ChunkResult };
  for (const t of tasks) {
    let r: ChunkResult;
    try {
      r = mod.default(t);
    } catch (err) {
      throw new TaskError(t, err instanceof Error ? err.message : String(err));
    }
    onResult(r);
  }
}
