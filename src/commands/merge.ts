/**
 * `collapse merge PARTS… -o DIR`: checks that partial results belong together and are complete,
 * then merges them in chunk order into the result directory a single machine would have written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mergeSweepParts, SWEEP_FILE } from '../sweep.js';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { estimateBytes, outcomeFromChunksOnPool } from '../engine.js';
import { relaunchForHugePages } from '../hugepages.js';
import { defaultWorkers } from '../pool.js';
import { UsageError } from '../errors.js';
import { finishRun, timingOf } from '../execute.js';
import { checkOutDir, SUMMARY_FILE } from '../results.js';
import { checkParts, partDataBytes, partSpec, readPart, warnStderr, type Part } from '../shard.js';
import { specFromCanonical, specHash, type RunSpec } from '../spec.js';
import type { ChunkResult } from '../protocol.js';
import { Progress } from '../progress.js';
import { checkHeap, drawFigures, gib, humanTable, memoryLimit, withClaim } from './run.js';
import { example } from './help.js';

interface MergeArgs {
  parts: string[];
  out?: string;
  json?: boolean;
  plot?: boolean;
  force?: boolean;
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
  // a merge holds the run's recorded values as the run did: above the threshold it starts again on
  // huge pages, as run does, before it reads the parts' data or writes anything
  const first = partSpec(paths[0]!);
  if (first !== null) await relaunchForHugePages(checkMergeMemory(first, paths));
  const startedAt = new Date();
  const parts = paths.map(readPart);
  const spec = specFromCanonical(parts[0]!.spec, parts[0]!.path);
  // the build warnings wait until every check has passed, so that a refusal stays one line
  const warnings: string[] = [];
  const results = checkParts(parts, spec, (m) => warnings.push(m));
  const out = argv.out ?? path.join('results', `run-${specHash(spec)}`);
  checkOutDir(out);
  await withClaim(out, spec, argv.force === true, SUMMARY_FILE, () => {
    for (const m of warnings) warnStderr(m);
    return mergeInto(out, spec, parts, results, startedAt, argv);
  });
}

/**
 * Refuses, before any part's data is read, a merge that would not fit in memory: the parts' data
 * (held while they merge) and the run's own estimate (its store of recorded values, its
 * statistics). Returns the bytes it needs.
 */
export function checkMergeMemory(spec: RunSpec, paths: readonly string[]): number {
  const data = partDataBytes(paths);
  const need = data + estimateBytes(spec, defaultWorkers());
  const limit = memoryLimit();
  if (need > limit) {
    throw new UsageError(
      `collapse merge needs about ${gib(need)} (the parts' data, ${gib(data)}, and the run's recorded values), more than the limit of ` +
        `${gib(limit)} (half of this machine's memory, or COLLAPSE_MEMORY_LIMIT); merge on a machine with more memory or raise COLLAPSE_MEMORY_LIMIT`,
    );
  }
  // then the JavaScript heap, as checkMemory does for a run
  checkHeap(spec);
  return need;
}

/** The merge once its --out is claimed: rebuild the outcome in chunk order, write it, report. */
async function mergeInto(
  out: string,
  spec: RunSpec,
  parts: readonly Part[],
  results: ChunkResult[],
  startedAt: Date,
  argv: ArgumentsCamelCase<MergeArgs>,
): Promise<void> {
  // the per-generation statistics on this machine's threads, as a run computes them
  const outcome = await outcomeFromChunksOnPool(spec, results, defaultWorkers());
  const wall = Math.max(...parts.map((p) => p.timing.wallSeconds));
  const threads = parts.reduce((a, p) => a + p.provenance.threads, 0);
  const busy = parts.reduce((a, p) => a + p.timing.wallSeconds, 0);
  // the slowest shard: the wall time of the whole job when all shards run at once
  const timing = { ...timingOf(spec, wall, outcome.draws), shardSecondsTotal: busy };
  // a long trajectory's writing, as a run shows it (a bar on a terminal, lines in a Slurm merge job)
  const rows = new Progress('collapse merge: trajectory.csv');
  const r = finishRun(
    outcome,
    threads,
    timing,
    startedAt,
    out,
    {
      parts: parts
        .slice()
        .sort((a, b) => a.shard.index - b.shard.index)
        .map((p) => ({ shard: p.shard, path: p.path, wallSeconds: p.timing.wallSeconds, provenance: p.provenance })),
    },
    (d, t) => rows.update(d, t, `${d}/${t} rows`),
  );
  rows.done(`${outcome.rows} rows`);
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
    'Merge the partial results of run --shard (or the parts of sweep --shard) into the result one machine would ' +
      'have written (the same bytes apart from timing and provenance)',
    (b) => {
      const c = b
        .positional('parts', { type: 'string', array: true, describe: 'part directories written by collapse run --shard or collapse sweep --shard' })
        .option('out', {
          alias: 'o',
          type: 'string',
          describe: 'result directory [default:\u00a0results/run-<spec hash>; sweep parts need it]',
        })
        .option('json', { type: 'boolean', default: false, describe: 'print the summary document on stdout and nothing else there' })
        .option('plot', { type: 'boolean', default: true, describe: 'draw the figures of the merged result [default:\u00a0on; --no-plot skips them]' })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'replace a run result in --out of another spec (one of the same spec is replaced without it)',
        });
      example(c, 'after a job array of collapse run --shard auto', 'merge parts/part-* -o results/article');
      return example(c, 'the three parts of a sharded sweep', 'merge sweep-part-0 sweep-part-1 sweep-part-2 -o results/sweep');
    },
    (argv) => mergeCommand(argv as unknown as ArgumentsCamelCase<MergeArgs>),
  ) as Argv<T>;
}
