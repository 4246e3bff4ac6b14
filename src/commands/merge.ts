/**
 * `collapse merge PARTS… -o DIR`: checks that partial results belong together and are complete,
 * then merges them in chunk order into the result directory a single machine would have written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mergeSweepParts, SWEEP_FILE } from '../sweep.js';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { outcomeFromChunks } from '../engine.js';
import { UsageError } from '../errors.js';
import { finishRun, timingOf } from '../execute.js';
import { checkOutDir } from '../results.js';
import { checkParts, readPart } from '../shard.js';
import { specFromCanonical, specHash } from '../spec.js';
import { drawFigures, humanTable } from './run.js';

interface MergeArgs {
  parts: string[];
  out?: string;
  json?: boolean;
  plot?: boolean;
}

/** Merges parts into one result directory; returns its path. */
export async function mergeCommand(argv: ArgumentsCamelCase<MergeArgs>): Promise<void> {
  const paths = (argv.parts ?? []).map(String);
  if (paths.length === 0) throw new UsageError('collapse merge needs at least one part (directories written by run --shard)');
  const isSweep = (p: string) => fs.existsSync(path.join(p, SWEEP_FILE)) || path.basename(p) === SWEEP_FILE;
  const sweeps = paths.filter(isSweep);
  if (sweeps.length > 0) {
    if (sweeps.length !== paths.length) throw new UsageError(`cannot merge sweep parts with run parts: ${paths.find((p) => !isSweep(p))} is not a sweep part`);
    if (argv.out === undefined) throw new UsageError('collapse merge of sweep parts needs --out DIR for the assembled sweep');
    const r = mergeSweepParts(paths, argv.out);
    if (argv.json === true) process.stdout.write(r.document);
    else process.stdout.write(`collapse merge: ${paths.length} sweep parts, ${r.grid.points.length} points; sweep in ${argv.out}\n`);
    if (argv.plot !== false) await drawFigures(argv.out);
    return;
  }
  const startedAt = new Date();
  const parts = paths.map(readPart);
  const spec = specFromCanonical(parts[0]!.spec, parts[0]!.path);
  const results = checkParts(parts, spec);
  const out = argv.out ?? path.join('results', `run-${specHash(spec)}`);
  checkOutDir(out);
  const outcome = outcomeFromChunks(spec, results);
  const wall = Math.max(...parts.map((p) => p.timing.wallSeconds));
  const threads = parts.reduce((a, p) => a + p.provenance.threads, 0);
  const busy = parts.reduce((a, p) => a + p.timing.wallSeconds, 0);
  // the slowest shard: the wall time of the whole job when all shards run at once
  const timing = { ...timingOf(spec, wall, outcome.draws), shardSecondsTotal: busy };
  const r = finishRun(outcome, threads, timing, startedAt, out, {
    parts: parts
      .slice()
      .sort((a, b) => a.shard.index - b.shard.index)
      .map((p) => ({ shard: p.shard, path: p.path, wallSeconds: p.timing.wallSeconds, provenance: p.provenance })),
  });
  if (argv.json === true) process.stdout.write(r.summary);
  else {
    const rate = spec.method === 'stats' ? r.timing.generationStepsPerSecond : r.timing.normalsPerSecond;
    process.stdout.write(`collapse merge: ${parts.length} part${parts.length === 1 ? '' : 's'} of spec ${specHash(spec)}\n`);
    process.stdout.write(humanTable(spec, threads, r.final, wall, rate, out));
  }
  const figures = argv.plot === false ? [] : await drawFigures(out);
  if (argv.json !== true && figures.length > 0) process.stdout.write(`figures in ${path.dirname(figures[0]!)}\n`);
}

/** yargs registration. */
export function registerMerge<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'merge <parts..>',
    'Merge the partial results of run --shard (or the parts of sweep --shard) into the single-machine result (same bytes apart from timing and provenance)',
    (b) =>
      b
        .positional('parts', { type: 'string', array: true, describe: 'part directories written by collapse run --shard or collapse sweep --shard' })
        .option('out', { alias: 'o', type: 'string', describe: 'result directory [default: results/run-<spec hash>]' })
        .option('json', { type: 'boolean', default: false, describe: 'print the summary document on stdout and nothing else there' })
        .option('plot', { type: 'boolean', default: true, describe: 'draw the figures of the merged result (--no-plot to skip)' })
        .example('$0 merge parts/part-* -o results/article', 'after a job array of collapse run --shard auto'),
    (argv) => mergeCommand(argv as unknown as ArgumentsCamelCase<MergeArgs>),
  ) as Argv<T>;
}
