/**
 * `collapse slurm`: prints (or writes) a driver script that submits a Slurm job array over the
 * shards of a run and a merge job that depends on it. collapse schedules nothing itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { UsageError, invalidFlag, shown } from '../errors.js';
import { planChunks } from '../plan.js';
import { packageRoot, toolVersion } from '../provenance.js';
import { makeDirs, removeMade, writeFileAtomic } from '../results.js';
import { canonicalSpec, parseIntegerFlag, resolveRunSpec, specHash, type RawRunFlags, type RunSpec } from '../spec.js';
import { runOptions } from './run.js';
import { example } from './help.js';

/** Quotes a word for POSIX sh. */
export function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `collapse run` flags that reproduce `spec` (canonical, every field explicit). */
export function specFlags(spec: RunSpec): string[] {
  const c = canonicalSpec(spec);
  const flags: string[] = [];
  for (const [k, v] of Object.entries(c)) {
    if (k === 'fresh' && spec.regime !== 'fresh') continue;
    if (k === 'synthetic' && spec.regime !== 'augment') continue;
    flags.push(`--${k}`, String(v));
  }
  return flags;
}

const SLURM_TIME = /^(\d+-)?\d+(:\d{2}){0,2}$/;
const SLURM_MEM = /^\d+[KMGT]?$/;
const SLURM_NAME = /^[\w.-]+$/;

/** What the script needs besides the spec. */
export interface SlurmOptions {
  shards: number;
  cpusPerTask: number;
  time: string;
  mem: string;
  partition: string | null;
  account: string | null;
  parts: string;
  out: string;
  collapse: string;
  chdir: string;
  wait: boolean;
}

/** The driver script: job array of `collapse run --shard auto`, then `collapse merge` after it. */
export function slurmScript(spec: RunSpec, o: SlurmOptions): string {
  const hash = specHash(spec);
  const common = [
    `--cpus-per-task=${o.cpusPerTask}`,
    `--mem=${o.mem}`,
    `--time=${o.time}`,
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.account ? [`--account=${o.account}`] : []),
  ];
  const wait = o.wait ? ' --wait' : '';
  const run = `${o.collapse} run ${specFlags(spec).map(shq).join(' ')} --shard auto -w "$SLURM_CPUS_PER_TASK" -o ${shq(o.parts)}/part-"$SLURM_ARRAY_TASK_ID"`;
  // every shard by name, so that a missing one fails the merge with its number
  const merge = `${o.collapse} merge ${shq(o.parts)}/part-{0..${o.shards - 1}} -o ${shq(o.out)}`;
  return `#!/usr/bin/env bash
# Slurm driver for one collapse run split into ${o.shards} shards (spec ${hash}), written by
# collapse ${toolVersion()}. Run it where sbatch works (a login node): bash <this file>.
# It submits a job array of ${o.shards} tasks, each running its shard of the chunk plan, and a merge
# job that starts when every task succeeded. The merged result equals a single-machine run
# with the same seed, byte for byte apart from timing and provenance.${o.wait ? '\n# --wait: this script returns when the merge has finished, with its exit status.' : ''}
set -euo pipefail
cd ${shq(o.chdir)}
mkdir -p ${shq(o.parts)}
rm -rf ${shq(o.parts)}/part-* # parts of an earlier submission must not mix with these

array_id=$(sbatch --parsable${wait} --job-name=collapse-${hash} --array=0-${o.shards - 1} \\
  ${common.join(' ')} \\
  --output=${shq(o.parts)}/slurm-%A_%a.out <<'COLLAPSE_ARRAY'
#!/usr/bin/env bash
set -euo pipefail
${run}
COLLAPSE_ARRAY
)
array_id=\${array_id%%;*}

merge_id=$(sbatch --parsable${wait} --job-name=collapse-${hash}-merge --dependency=afterok:"$array_id" \\
  --cpus-per-task=1 --mem=${o.mem} --time=${o.time}${o.partition ? ` --partition=${o.partition}` : ''}${o.account ? ` --account=${o.account}` : ''} \\
  --output=${shq(o.parts)}/slurm-merge-%j.out <<'COLLAPSE_MERGE'
#!/usr/bin/env bash
set -euo pipefail
${merge}
COLLAPSE_MERGE
)
merge_id=\${merge_id%%;*}
echo "collapse: job array $array_id (${o.shards} shards) and merge job $merge_id submitted; result: ${o.out.replace(/"/g, '')}"
`;
}

interface SlurmArgs extends RawRunFlags {
  workers?: unknown;
  shards?: unknown;
  cpusPerTask?: unknown;
  time?: unknown;
  mem?: unknown;
  partition?: unknown;
  account?: unknown;
  parts?: unknown;
  out?: unknown;
  collapse?: unknown;
  chdir?: unknown;
  wait?: boolean;
  write?: unknown;
}

function str(flag: string, v: unknown, rule: RegExp, what: string): string {
  if (typeof v !== 'string' || !rule.test(v)) throw invalidFlag(flag, what, v);
  return v;
}

/** Validates the flags, then prints or writes the script. */
export function slurmCommand(argv: ArgumentsCamelCase<SlurmArgs>): void {
  if (argv.workers !== undefined) {
    throw new UsageError(`--workers is not a slurm flag (each array task runs with -w $SLURM_CPUS_PER_TASK; set --cpus-per-task), got --workers ${shown(argv.workers)}`);
  }
  const spec = resolveRunSpec(argv);
  const chunks = planChunks(spec).length;
  const shards = argv.shards === undefined ? Math.min(4, chunks) : parseIntegerFlag('shards', argv.shards, 1, 100000);
  if (shards > chunks) {
    process.stderr.write(`collapse: note: ${shards} shards for ${chunks} chunks; ${shards - chunks} shard(s) will have no work\n`);
  }
  const hash = specHash(spec);
  const root = packageRoot();
  const o: SlurmOptions = {
    shards,
    cpusPerTask: argv.cpusPerTask === undefined ? 4 : parseIntegerFlag('cpus-per-task', argv.cpusPerTask, 1, 1024),
    time: argv.time === undefined ? '01:00:00' : str('time', argv.time, SLURM_TIME, 'a Slurm time ([days-]hours[:minutes[:seconds]] or minutes)'),
    mem: argv.mem === undefined ? '4G' : str('mem', argv.mem, SLURM_MEM, 'a Slurm memory size such as 4G or 4000M'),
    partition: argv.partition === undefined ? null : str('partition', argv.partition, SLURM_NAME, 'a partition name'),
    account: argv.account === undefined ? null : str('account', argv.account, SLURM_NAME, 'an account name'),
    parts: argv.parts === undefined ? path.join('results', `run-${hash}.parts`) : String(argv.parts),
    out: argv.out === undefined ? path.join('results', `run-${hash}`) : String(argv.out),
    collapse: argv.collapse === undefined ? `node ${shq(path.join(root, 'dist', 'src', 'cli.js'))}` : String(argv.collapse),
    chdir: argv.chdir === undefined ? process.cwd() : path.resolve(String(argv.chdir)),
    wait: argv.wait === true,
  };
  if (o.parts.trim() === '' || o.out.trim() === '') throw new UsageError('--parts and --out must be directory paths, got ""');
  const script = slurmScript(spec, o);
  if (argv.write !== undefined) {
    const file = String(argv.write);
    if (file.trim() === '') throw invalidFlag('write', 'a file path', file);
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`--write must name a file, got ${JSON.stringify(file)} (a directory)`);
    const made = makeDirs(path.dirname(path.resolve(file)), 'write', file);
    try {
      writeFileAtomic(file, script);
      fs.chmodSync(file, 0o755);
    } catch (err) {
      removeMade(made);
      throw new UsageError(`--write must name a writable file, got ${JSON.stringify(file)} (${(err as Error).message.split('\n')[0]})`);
    }
    process.stderr.write(`collapse: wrote ${file}; submit with: bash ${shq(file)}\n`);
  } else {
    process.stdout.write(script);
  }
}

/** yargs registration. */
export function registerSlurm<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'slurm',
    'Print a Slurm driver script: a job array over the shards of a run, and a dependent merge job. Each task runs ' +
      'with -w $SLURM_CPUS_PER_TASK, so --workers is not a flag here (use --cpus-per-task).',
    (b) => {
      const c = runOptions(b, { workers: false })
        .option('workers', { alias: 'w', type: 'string', hidden: true })
        .option('shards', { type: 'string', describe: 'array size: the number of shards, an integer from 1 to 100000 [default:\u00a0min(4, chunks)]' })
        .option('cpus-per-task', { type: 'string', describe: 'CPUs (worker threads) per array task, 1 to 1024 [default:\u00a04]' })
        .option('time', { type: 'string', describe: 'time limit per job, Slurm syntax [default:\u00a001:00:00]' })
        .option('mem', { type: 'string', describe: 'memory per job, Slurm syntax [default:\u00a04G]' })
        .option('partition', { type: 'string', describe: 'Slurm partition [default:\u00a0the cluster default]' })
        .option('account', { type: 'string', describe: 'Slurm account [default:\u00a0none]' })
        .option('parts', { type: 'string', describe: "directory for the shards' partial results and logs [default:\u00a0results/run-<spec hash>.parts]" })
        .option('out', { alias: 'o', type: 'string', describe: 'merged result directory [default:\u00a0results/run-<spec hash>]' })
        .option('collapse', { type: 'string', describe: 'command that runs collapse on the nodes [default:\u00a0node <this checkout>/dist/src/cli.js]' })
        .option('chdir', { type: 'string', describe: 'working directory of the jobs [default:\u00a0the current directory]' })
        .option('wait', { type: 'boolean', default: false, describe: 'sbatch --wait: the script returns when the merge has finished' })
        .option('write', { type: 'string', describe: 'write the script to this file (executable) instead of stdout' });
      example(c, 'the article at 100 times the experiments, on 50 array tasks', 'slurm -e 100000 --shards 50 --write job.sh && bash job.sh');
      return example(c, 'a deep run on a named partition, waiting for the merge', 'slurm -t 10000 -e 100000 --shards 50 --partition compute --wait');
    },
    (argv) => slurmCommand(argv as ArgumentsCamelCase<SlurmArgs>),
  ) as Argv<T>;
}
