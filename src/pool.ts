/**
 * The only file that knows Piscina: runs a chunk plan on a pool of worker threads and hands the
 * results back in chunk order, whatever order they finish in.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { ChunkResult, ChunkTask, SummaryResult, SummaryTask } from './protocol.js';
import type { BatchResult } from './protocol.js';

/**
 * The compiled worker entry `entry` (task: chunks; summary: per-generation statistics). From
 * dist/src/pool.js it is dist/workers/<entry>.js; when this file runs from source (tests), the
 * compiled copy under dist/ is used, since Piscina needs a .js file.
 */
function workerFile(entry: 'task' | 'summary' = 'task'): string {
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
 * Runs `tasks` on `workers` threads and calls `onResult` for each result as it completes (callers
 * that need a fixed order use the result's index). The first failure stops the run: the pool is
 * destroyed and a TaskError naming the task is thrown.
 */
export async function runTasks(
  tasks: readonly ChunkTask[],
  workers: number,
  onResult: (r: ChunkResult) => void,
): Promise<void> {
  const pool = new Piscina<ChunkTask, ChunkResult>({
    filename: workerFile(),
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 1000,
  });
  try {
    let failure: TaskError | null = null;
    await Promise.all(
      tasks.map((t) =>
        pool.run(t).then(
          (r) => {
            if (failure === null) onResult(r);
          },
          (err: unknown) => {
            if (failure !== null) return; // later rejections include the pool's own shutdown
            failure = new TaskError(t, err instanceof Error ? err.message : String(err));
            void pool.destroy();
          },
        ),
      ),
    );
    if (failure !== null) throw failure;
  } finally {
    await pool.destroy().catch(() => undefined);
  }
}

/**
 * Runs batches of chunk tasks (workers/task.ts runBatch) for as long as it is open: on `workers`
 * threads started once (a sweep's points share them, so no point pays for starting threads), or on
 * the calling thread with `workers` = 0. A batch resolves to its results in task order, or rejects
 * with a TaskError naming the task that failed.
 */
export class BatchRunner {
  private readonly pool: Piscina<readonly ChunkTask[], BatchResult> | null;
  private inline: ((t: readonly ChunkTask[]) => BatchResult) | null = null;

  /**
   * `perWorker` batches are handed to each thread at once, so that a thread goes on to its next
   * batch while the calling thread is busy (writing a finished point's files) instead of waiting.
   */
  constructor(workers: number, perWorker = 2) {
    this.pool =
      workers === 0
        ? null
        : new Piscina<readonly ChunkTask[], BatchResult>({
            filename: workerFile(),
            name: 'runBatch',
            minThreads: workers,
            maxThreads: workers,
            concurrentTasksPerWorker: perWorker,
            idleTimeout: 1000,
          });
  }

  async run(tasks: readonly ChunkTask[]): Promise<ChunkResult[]> {
    let out: BatchResult;
    if (this.pool === null) {
      if (this.inline === null) {
        const mod = (await import(pathToFileURL(workerFile()).href)) as { runBatch: (t: readonly ChunkTask[]) => BatchResult };
        this.inline = mod.runBatch;
      }
      out = this.inline(tasks);
    } else {
      try {
        out = await this.pool.run(tasks);
      } catch (err) {
        throw new TaskError(tasks[0]!, err instanceof Error ? err.message : String(err));
      }
    }
    if (out.failure !== null) throw new TaskError(tasks[out.failure.item]!, out.failure.message);
    return out.results;
  }

  /** Stops the threads; batches still running are abandoned. */
  async close(): Promise<void> {
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

/**
 * Runs per-generation statistics tasks on `workers` threads of the summary entry
 * (workers/summary.ts) and calls `onResult` as each completes; the first failure rejects. A pool of
 * its own, started after the chunks' pool is gone: two worker threads start in about 0.1 s.
 */
export async function runSummaryTasks(
  tasks: readonly SummaryTask[],
  workers: number,
  onResult: (r: SummaryResult) => void,
): Promise<void> {
  const pool = new Piscina<SummaryTask, SummaryResult>({
    filename: workerFile('summary'),
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 1000,
  });
  try {
    await Promise.all(tasks.map((t) => pool.run(t).then(onResult)));
  } finally {
    await pool.destroy().catch(() => undefined);
  }
}
