/**
 * `collapse table DIR`: a sweep's (or a run's) final sd and log10 sd beside theory, with standard
 * errors and z-scores (and each family metric where a row is at d > 1), as a LaTeX booktabs
 * tabular, a GitHub Markdown table or a tidy CSV.
 */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { UsageError } from '../errors.js';
import { parseChoiceFlag, parseIntegerFlag } from '../spec.js';
import { readTable, renderTable, TABLE_FORMATS } from '../table.js';
import { example } from './help.js';

interface TableArgs {
  dir?: unknown;
  format?: unknown;
  digits?: unknown;
}

/** The whole command: read, render, print; a note on stderr when the sweep is unfinished. */
export function tableCommand(argv: ArgumentsCamelCase<TableArgs>): void {
  if (typeof argv.dir !== 'string' || argv.dir.trim() === '') throw new UsageError(`DIR must be a directory path, got ${JSON.stringify(argv.dir)}`);
  const format = argv.format === undefined ? 'markdown' : parseChoiceFlag('format', argv.format, TABLE_FORMATS);
  const digits = argv.digits === undefined ? 4 : parseIntegerFlag('digits', argv.digits, 1, 17);
  const data = readTable(argv.dir);
  process.stdout.write(renderTable(data, format, digits));
  if (data.rows.length < data.total) {
    process.stderr.write(`collapse: note: ${data.rows.length} of ${data.total} points are finished; the table shows those (re-run the sweep to finish it)\n`);
  }
}

/** yargs registration. */
export function registerTable<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'table <dir>',
    "Print a sweep's (or a run's) final sd and log10 sd (and family metrics at d > 1) beside theory as LaTeX, Markdown or CSV",
    (b) => {
      const c = b
        .positional('dir', { type: 'string', describe: 'a sweep directory (sweep.json + sweep.csv) or a run directory (summary.json)' })
        .option('format', { type: 'string', describe: 'latex (booktabs tabular), markdown (GitHub table) or csv (tidy) [default:\u00a0markdown]' })
        .option('digits', { type: 'string', describe: 'significant digits of means and theory, an integer from 1 to 17 (s.e. get 2, z 2 decimals) [default:\u00a04]' });
      example(c, 'a booktabs table for a paper', 'table results/sweep-1a2b3c4d5e6f --format latex > table.tex');
      return example(c, 'a tidy CSV with 6 significant digits', 'table results/sweep-1a2b3c4d5e6f --format csv --digits 6').epilog(
        'Columns: the swept parameters (a run: n and T), then for the final generation the mean sd, its standard error ' +
          "sd/√E (theory's sd where the regime has one, as the z-score uses; else the simulated sd), the exact E[s_T] " +
          'and the z-score, and the same for log10 sd. Values below 1e-3 or at least 10^digits ' +
          'print in scientific notation (LaTeX: $1.23\\times10^{-5}$); a mean that underflowed a double prints from its log10; ' +
          'n/a (CSV: NA) marks a regime without that theory, and underflow (CSV: NA) a strictly positive value below the smallest double. Parameters equal in every row are listed in a comment. ' +
          'Where some row is at --dim above 1, each family metric (mean_sq_err, trace_ratio, log10_det_ratio, w2sq) adds ' +
          'the same four columns (mean, s.e., theory, z), and the sd columns are left out if no row has them.',
      );
    },
    (argv) => tableCommand(argv as ArgumentsCamelCase<TableArgs>),
  ) as Argv<T>;
}
