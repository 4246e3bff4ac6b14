/**
 * The only file that knows Piscina: runs a chunk plan on a pool of worker threads and hands the
 * results back in chunk order, whatever order they finish in.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { ChunkResult, ChunkTask, SummaryResult, SummaryTask } from './protocol.js';

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
