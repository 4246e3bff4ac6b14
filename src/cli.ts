#!/usr/bin/env node
/**
 * collapse's entry point: registers the commands with yargs and is the one place where errors
 * become exit codes (usage 2, runtime 1) and one line on stderr.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { invalidFlag, RuntimeError, shown, UsageError } from './errors.js';
import { registerRun } from './commands/run.js';
import { registerSweep } from './commands/sweep.js';
import { registerTable } from './commands/table.js';
import { registerTheory } from './commands/theory.js';
import { registerPlot } from './commands/plot.js';
import { registerMerge } from './commands/merge.js';
import { registerSlurm } from './commands/slurm.js';
import { toolVersion } from './provenance.js';
import { helpWidth } from './commands/help.js';

/** Exit code and message for any thrown value; a stack only with --verbose. */
export function report(err: unknown, verbose: boolean): number {
  const usage = err instanceof UsageError;
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`collapse: ${msg.split('\n')[0]}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  if (usage) return 2;
  if (!(err instanceof RuntimeError) && !verbose) process.stderr.write('collapse: (internal error; re-run with --verbose for the stack)\n');
  return 1;
}

/** The option types yargs keeps for the command being parsed (`getOptions()`; its typings omit them). */
interface OptionTypes {
  string: string[];
  boolean: string[];
  array: string[];
}

/**
 * Refuses what yargs lets through and a command would misread: a value flag given twice, or as
 * --no-x (yargs sets it to false); an on/off flag written --x=VALUE with VALUE other than true or
 * false (yargs reads --plot=yes and --plot=1 as false); and words after `--`, which yargs sets
 * aside unread. `raw` is the command line as typed, since yargs keeps no trace of `=yes`.
 */
export function checkValues(argv: Record<string, unknown>, options: OptionTypes, raw: readonly string[]): void {
  const end = raw.indexOf('--');
  const typed = end < 0 ? raw : raw.slice(0, end);
  for (const word of typed) {
    const m = /^--(no-)?([^=]+)=(.*)$/s.exec(word);
    if (!m || !options.boolean.includes(m[2]!)) continue;
    if (m[1] !== undefined || (m[3] !== 'true' && m[3] !== 'false')) {
      throw new UsageError(`--${m[2]} is on or off (--${m[2]}, --no-${m[2]}, or --${m[2]}=true or false), got ${shown(word)}`);
    }
  }
  for (const flag of options.string) {
    if (options.array.includes(flag)) continue;
    const v = argv[flag];
    if (v === undefined || typeof v === 'string') continue;
    if (Array.isArray(v)) throw invalidFlag(flag, 'given once', v);
    throw invalidFlag(flag, `given a value (--no-${flag} is only for on/off flags)`, v);
  }
  const rest = argv['--'];
  if (Array.isArray(rest) && rest.length > 0) {
    throw new UsageError(`collapse takes nothing after --, got ${shown(rest.map(String))} (write a path that starts with - as ./-name)`);
  }
}

/** Every command, in the order --help lists them; each file registers its own options. */
const COMMANDS: (<T>(y: Argv<T>) => Argv<T>)[] = [
  registerRun,
  registerSweep,
  registerTable,
  registerTheory,
  registerPlot,
  registerMerge,
  registerSlurm,
];

async function main(): Promise<void> {
  const argv = hideBin(process.argv);
  const verbose = argv.includes('--verbose');
  // A reader that stopped early (collapse theory … | head) wants nothing more: end quietly, as a
  // SIGPIPE would end a C tool, instead of an EPIPE stack. Results are on disk before any printing.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.exitCode = report(err, verbose);
  });
  process.on('SIGINT', () => {
    process.stderr.write('\ncollapse: interrupted; no result directory was written\n');
    process.exit(130);
  });
  const base = yargs(argv) as Argv & { usageConfiguration(c: { 'hide-types': boolean }): Argv };
  // The value each flag takes is in its description: yargs would label every numeric flag [string]
  // (they stay strings so that spec.ts parses and reports them). yargs ≥ 17.7; @types/yargs lags.
  let cli = base
      .usageConfiguration({ 'hide-types': process.env['COLLAPSE_HELP_TYPES'] !== '1' })
      .scriptName('collapse')
      .usage(
        '$0 <command> [options]\n\nSimulates model collapse: Gaussian refit-and-resample chains, checked against exact ' +
          'theory (docs/theory.md). collapse <command> --help lists each command\'s flags; docs/cli.md has them all.',
      )
      .option('verbose', { type: 'boolean', default: false, describe: 'print stacks with errors' })
      .version(toolVersion())
      .strict()
      .strictCommands()
      .demandCommand(1, 'a command is required (see collapse --help)')
      .recommendCommands()
      // no dot notation: --samples.x=5 is an unknown flag, not an object in place of a value
      .parserConfiguration({
        'duplicate-arguments-array': true,
        'strip-aliased': true,
        'parse-numbers': false,
        'parse-positional-numbers': false,
        'dot-notation': false,
        'populate--': true,
      })
      .middleware(function (this: unknown, args: Record<string, unknown>, y?: { getOptions(): OptionTypes }) {
        if (y !== undefined) checkValues(args, y.getOptions(), argv);
      } as never)
      .fail((msg, err) => {
        throw err ?? new UsageError(msg.replace(/\s+/g, ' ').trim());
      })
      .wrap(helpWidth());
  for (const register of COMMANDS) cli = register(cli);
  skipHelpCache(cli);
  await cli.parseAsync();
}

/**
 * yargs renders the whole help text each time a command runs (usage.cacheHelpMessage, kept so that
 * a later showHelp() could print it): about 0.19 s of every command's start-up, mostly measuring
 * string widths. collapse never shows help once a command has started (a usage error is one line),
 * so the cache is skipped. The hook is internal to yargs: where it is missing nothing changes.
 */
function skipHelpCache(cli: Argv): void {
  type Internals = { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };
  const usage = (cli as unknown as Internals).getInternalMethods?.().getUsageInstance?.();
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

main().catch((err: unknown) => {
  process.exitCode = report(err, process.argv.includes('--verbose'));
});
