/**
 * A progress bar with an ETA on stderr, drawn only when stderr is a terminal; silent otherwise so
 * that logs and pipes stay clean.
 */

/** Formats seconds as 1h02m, 3m05s or 4.2s. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${seconds.toFixed(1)}s`;
}

/** A bar over `total` units; `update(done)` redraws at most every 100 ms. */
export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = stream.isTTY === true;
  }

  update(done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (done < total && now - this.last < 100) return;
    this.last = now;
    const frac = total > 0 ? done / total : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    const elapsed = (now - this.start) / 1000;
    const eta = done > 0 ? (elapsed * (total - done)) / done : Infinity;
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    this.stream.write(
      `\r${this.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${total <= 100000 ? `${done}/${total} ` : ''}` +
        `elapsed ${formatDuration(elapsed)} ETA ${done > 0 ? formatDuration(eta) : '?'}   `,
    );
  }

  done(): void {
    if (this.enabled) this.stream.write('\r\x1b[K');
  }
}
