#!/usr/bin/env node
/**
 * collapse's entry point: registers the commands with yargs and is the one place where errors
 * become exit codes (usage 2, runtime 1) and one line on stderr.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { RuntimeError, UsageError } from './errors.js';
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
  process.on('SIGINT', () => {
    process.stderr.write('\ncollapse: interrupted; no result directory was written\n');
    process.exit(130);
  });
  const base = yargs(argv) as Argv & { usageConfiguration(c: { 'hide-types': boolean }): Argv };
  // The value each flag takes is in its description: yargs would label every numeric flag [string]
  // (they stay strings so that spec.ts parses and reports them). yargs ≥ 17.7; @types/yargs lags.
  let cli = base
      .usageConfiguration({ 'hide-types': true })
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
      .parserConfiguration({ 'duplicate-arguments-array': true, 'strip-aliased': true, 'parse-numbers': false, 'parse-positional-numbers': false })
      .fail((msg, err) => {
        throw err ?? new UsageError(msg.replace(/\s+/g, ' ').trim());
      })
      .wrap(helpWidth());
  for (const register of COMMANDS) cli = register(cli);
  await cli.parseAsync();
}

main().catch((err: unknown) => {
  process.exitCode = report(err, process.argv.includes('--verbose'));
});
