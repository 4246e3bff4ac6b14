/**
 * Progress on stderr, in one of three forms: a redrawn bar with an ETA on a terminal, a plain line
 * every few seconds for job logs (Slurm), or nothing, so that pipes stay clean.
 */
import { invalidFlag } from './errors.js';

/** Formats seconds as 1h02m, 3m05s or 4.2s. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${seconds.toFixed(1)}s`;
}

/** What --progress asks for; `auto` resolves to one of the others. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'lines', 'none'];

/**
 * Parses --progress. `auto`: the bar when stderr is a terminal, lines inside a Slurm job
 * (SLURM_JOB_ID set: its stderr is a log file), nothing otherwise.
 */
export function resolveProgress(
  raw: unknown,
  stream: { isTTY?: boolean } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): Exclude<ProgressMode, 'auto'> {
  const mode = raw === undefined ? 'auto' : raw;
  if (typeof mode !== 'string' || !(PROGRESS_MODES as readonly string[]).includes(mode)) {
    throw invalidFlag('progress', PROGRESS_MODES.join(', '), raw);
  }
  if (mode !== 'auto') return mode as Exclude<ProgressMode, 'auto'>;
  if (stream.isTTY === true) return 'bar';
  return env['SLURM_JOB_ID'] !== undefined && env['SLURM_JOB_ID'] !== '' ? 'lines' : 'none';
}

/**
 * Seconds between two progress lines: 10, short enough to see a job move in its log and few
 * enough lines (360 an hour) to keep the log readable; COLLAPSE_PROGRESS_INTERVAL overrides it.
 */
export function lineInterval(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env['COLLAPSE_PROGRESS_INTERVAL']);
  return env['COLLAPSE_PROGRESS_INTERVAL'] !== undefined && Number.isFinite(v) && v >= 0 ? v : 10;
}

/** Progress over `total` units; `update(done)` redraws the bar at most every 100 ms, a line every interval. */
export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private lines = 0;
  private readonly mode: Exclude<ProgressMode, 'auto'>;
  private readonly interval: number;

  constructor(
    private readonly label: string,
    mode: Exclude<ProgressMode, 'auto'> | undefined = undefined,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.mode = mode ?? resolveProgress(undefined, stream);
    this.interval = lineInterval() * 1000;
    this.last = this.mode === 'lines' ? this.start : 0;
  }

  /** `detail` replaces `done/total` in a line, for units other than the ones counted (`3/10 points`). */
  update(done: number, total: number, detail?: string): void {
    if (this.mode === 'none') return;
    const now = Date.now();
    const frac = total > 0 ? done / total : 1;
    const elapsed = (now - this.start) / 1000;
    const eta = done > 0 ? (elapsed * (total - done)) / done : Infinity;
    if (this.mode === 'lines') {
      if (now - this.last < this.interval) return;
      this.last = now;
      this.lines++;
      this.stream.write(
        `${this.label}: ${detail ?? `${done}/${total}`}, ${(frac * 100).toFixed(0)}%, elapsed ${formatDuration(elapsed)}, ` +
          `ETA ${done > 0 ? formatDuration(eta) : '?'}\n`,
      );
      return;
    }
    if (done < total && now - this.last < 100) return;
    this.last = now;
    const width = 30;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    this.stream.write(
      `\r${this.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${total <= 100000 ? `${done}/${total} ` : ''}` +
        `elapsed ${formatDuration(elapsed)} ETA ${done > 0 ? formatDuration(eta) : '?'}   `,
    );
  }

  /** Clears the bar; in lines mode, a closing line with the elapsed time once any line was written. */
  done(detail?: string): void {
    if (this.mode === 'bar') this.stream.write('\r\x1b[K');
    if (this.mode === 'lines' && this.lines > 0) {
      this.lines = 0;
      this.stream.write(`${this.label}: ${detail ?? 'finished'}, 100%, elapsed ${formatDuration((Date.now() - this.start) / 1000)}\n`);
    }
  }
}
