/**
 * Help-text helpers shared by the commands, so that every `--help` reads cleanly in an 80-column
 * terminal: the width help wraps to, and examples laid out as a comment over a whole command line.
 */
import type { Argv } from 'yargs';

/**
 * Columns `--help` wraps to: the terminal's width (or $COLUMNS when stdout is not a terminal),
 * else 80; at most 100, since longer lines read badly.
 */
export function helpWidth(): number {
  const env = Number(process.env['COLUMNS']);
  const cols = process.stdout.columns || (Number.isInteger(env) && env > 0 ? env : 80);
  return Math.max(40, Math.min(100, cols));
}

/**
 * One example: a `# what` comment line above the command. yargs' two-column layout caps the command
 * column at half the width and wraps a longer command mid-way; an empty description gives it the
 * whole line. Keep `cmd` within 76 characters (checked by test/help.test.ts).
 */
export function example<T>(y: Argv<T>, what: string, cmd: string): Argv<T> {
  return y.example(`# ${what}\n$0 ${cmd}`, '');
}
