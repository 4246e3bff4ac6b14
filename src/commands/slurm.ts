/**
 * `collapse slurm`: prints (or writes) a driver script that submits a Slurm job array over the
 * shards of a run or a sweep and a merge job that depends on it; resubmitted, it runs only the
 * shards whose part is not complete. collapse schedules nothing itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { UsageError, invalidFlag, shown } from '../errors.js';
import { expandGrid, SWEEP_FLAG_NAMES, type Grid } from '../grid.js';
import { planChunks } from '../plan.js';
import { partProblem, shardRange } from '../shard.js';
import { shardPoints, sweepPartProblem } from '../sweep.js';
import { estimateSeconds } from '../estimate.js';
import { formatDuration } from '../progress.js';
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

/** What the array tasks run: a run's chunks or a sweep's points, with the flags that reproduce it. */
export interface SlurmJob {
  command: 'run' | 'sweep';
  /** The spec's canonical flags (run) or the grid's flags as given (sweep). */
  flags: string[];
  /** Spec hash (run) or grid hash (sweep). */
  hash: string;
}

/** What the script needs besides the job. */
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
  /** --sbatch-arg options, verbatim, for both jobs. */
  sbatchArgs: string[];
  /** At most this many array tasks at once (--sbatch-arg %K), or null. */
  throttle: number | null;
}

/** The job's flags for a `collapse slurm` command line (the driver's own check of the parts). */
function jobFlags(job: SlurmJob): string {
  return [...(job.command === 'sweep' ? ['--sweep'] : []), ...job.flags].map(shq).join(' ');
}

/**
 * The driver script: asks `collapse slurm --pending` which shards still lack a complete part, runs
 * those as a job array (`--shard $SLURM_ARRAY_TASK_ID/N`: the index list may have gaps, so the
 * count is given, never read from Slurm), then `collapse merge` of every part after it.
 */
export function slurmScript(job: SlurmJob, o: SlurmOptions): string {
  const hash = job.hash;
  const N = o.shards;
  const common = [
    `--cpus-per-task=${o.cpusPerTask}`,
    `--mem=${o.mem}`,
    `--time=${o.time}`,
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.account ? [`--account=${o.account}`] : []),
    ...o.sbatchArgs.map(shq),
  ];
  const mergeOpts = [
    '--cpus-per-task=1',
    `--mem=${o.mem}`,
    `--time=${o.time}`,
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.account ? [`--account=${o.account}`] : []),
    ...o.sbatchArgs.map(shq),
  ];
  const wait = o.wait ? ' --wait' : '';
  const what = job.command === 'sweep' ? 'sweep' : 'run';
  const task =
    `${o.collapse} ${job.command} ${job.flags.map(shq).join(' ')} --shard "$SLURM_ARRAY_TASK_ID/${N}" -w "$SLURM_CPUS_PER_TASK" ` +
    `-o ${shq(o.parts)}/part-"$SLURM_ARRAY_TASK_ID"` +
    // a task runs only where --pending found no valid part: one of another spec there is replaced
    (job.command === 'run' ? ' --force' : '');
  const pending = `${o.collapse} slurm ${jobFlags(job)} --shards ${N} --parts ${shq(o.parts)} --pending`;
  // every shard by name, so that a missing one fails the merge with its number
  const merge = `${o.collapse} merge ${shq(o.parts)}/part-{0..${N - 1}} -o ${shq(o.out)}`;
  const unit = job.command === 'sweep' ? "points, dealt out by estimated work" : 'chunk plan';
  return `#!/usr/bin/env bash
# Slurm driver for one collapse ${what} split into ${N} shards (${job.command === 'sweep' ? 'grid' : 'spec'} ${hash}), written by
# collapse ${toolVersion()}. Run it where sbatch works (a login node): bash <this file>.
# It submits a job array with one task per shard, each running its share of the
# ${unit}, and a merge job that starts when every task succeeded. The merged result equals a
# single-machine ${what} with the same seed, byte for byte apart from timing and provenance.
# Run again, it submits only the shards whose part is missing, unfinished or invalid.${o.wait ? '\n# --wait: this script returns when the merge has finished, with its exit status.' : ''}
set -euo pipefail
cd ${shq(o.chdir)}
mkdir -p ${shq(o.parts)}
pending=$(${pending})

dependency=
if [ -n "$pending" ]; then
  array_id=$(sbatch --parsable${wait} --job-name=collapse-${hash} --array="$pending"${o.throttle === null ? '' : `%${o.throttle}`} \\
    ${common.join(' ')} \\
    --output=${shq(o.parts)}/slurm-%A_%a.out <<'COLLAPSE_ARRAY'
#!/usr/bin/env bash
set -euo pipefail
${task}
COLLAPSE_ARRAY
)
  array_id=\${array_id%%;*}
  dependency=--dependency=afterok:$array_id
  submitted="job array $array_id (shards $pending of ${N})"
else
  submitted="no array job (all ${N} shards complete)"
fi

merge_id=$(sbatch --parsable${wait} --job-name=collapse-${hash}-merge \${dependency:+"$dependency"} \\
  ${mergeOpts.join(' ')} \\
  --output=${shq(o.parts)}/slurm-merge-%j.out <<'COLLAPSE_MERGE'
#!/usr/bin/env bash
set -euo pipefail
${merge}
COLLAPSE_MERGE
)
merge_id=\${merge_id%%;*}
echo "collapse: $submitted and merge job $merge_id submitted; result: ${o.out.replace(/"/g, '')}"
`;
}

/** `0,2-5,9`: indices as Slurm's --array list, runs of consecutive ones as ranges. */
export function arrayList(indices: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < indices.length; ) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    out.push(j === i ? String(indices[i]) : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** Options collapse slurm sets itself (long name by short letter), which --sbatch-arg must not set again. */
const OWN_OPTIONS: Record<string, string> = {
  a: 'array',
  d: 'dependency',
  W: 'wait',
  o: 'output',
  c: 'cpus-per-task',
  t: 'time',
  p: 'partition',
  A: 'account',
  D: 'chdir',
  parsable: 'parsable',
  'mem-per-cpu': 'mem',
  'mem-per-gpu': 'mem',
  mem: 'mem',
};
/** The collapse slurm flag for each option it sets, where it has one. */
const OWN_FLAG: Record<string, string> = {
  'cpus-per-task': '--cpus-per-task',
  time: '--time',
  partition: '--partition',
  account: '--account',
  chdir: '--chdir',
  mem: '--mem',
  output: '--parts (the logs go there)',
  array: '--shards, and --sbatch-arg=%K for a throttle',
};

/**
 * Parses --sbatch-arg (repeatable): each value one sbatch option, `--name=value`, `--flag` or
 * `-xvalue`, passed verbatim to both jobs; `%K` limits the array to K tasks at once. Options that
 * collapse sets itself are refused, naming the flag that sets them.
 */
export function parseSbatchArgs(raw: unknown): { args: string[]; throttle: number | null } {
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const args: string[] = [];
  let throttle: number | null = null;
  for (const v of values) {
    if (typeof v !== 'string') throw invalidFlag('sbatch-arg', 'an sbatch option such as --qos=high, or %K', v);
    const t = /^%(\d+)$/.exec(v);
    if (t) {
      const k = Number(t[1]);
      if (!(k >= 1 && Number.isSafeInteger(k))) throw invalidFlag('sbatch-arg', 'a throttle %K with K ≥ 1', v);
      if (throttle !== null) throw invalidFlag('sbatch-arg', 'given one throttle %K', `%${throttle} and ${v}`);
      throttle = k;
      continue;
    }
    const m = /^--([A-Za-z][\w-]*)(=[^\n\r]*)?$/.exec(v) ?? /^-([A-Za-z])([^\n\r]*)$/.exec(v);
    if (!m || /^--?[A-Za-z][\w-]*\s/.test(v)) {
      throw invalidFlag('sbatch-arg', 'one sbatch option as --name=value, --flag or -xvalue (or %K, a throttle for the array)', v);
    }
    const name = OWN_OPTIONS[m[1]!] ?? m[1]!;
    if (['array', 'dependency', 'wait', 'parsable', 'output', 'cpus-per-task', 'time', 'partition', 'account', 'chdir', 'mem'].includes(name)) {
      const own = OWN_FLAG[name];
      const given = m[1]!.length === 1 ? `-${m[1]}` : `--${m[1]}`;
      throw new UsageError(
        `--sbatch-arg must not set sbatch's ${given}: collapse slurm sets --${name}${own ? `; use ${own}` : ''}, got ${JSON.stringify(v)}`,
      );
    }
    args.push(v);
  }
  return { args, throttle };
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
  sweep?: boolean;
  replicates?: unknown;
  sbatchArg?: unknown;
  pending?: boolean;
}

function str(flag: string, v: unknown, rule: RegExp, what: string): string {
  if (typeof v !== 'string' || !rule.test(v)) throw invalidFlag(flag, what, v);
  return v;
}

/** Seconds in a Slurm time: minutes, m:s, h:m:s, d-h, d-h:m or d-h:m:s (sbatch(1), --time). */
export function slurmSeconds(t: string): number {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (!m) return NaN;
  const [d, a, b, c] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? undefined : Number(x)));
  if (d !== undefined) return d * 86400 + a! * 3600 + (b ?? 0) * 60 + (c ?? 0);
  if (c !== undefined) return a! * 3600 + b! * 60 + c;
  if (b !== undefined) return a! * 60 + b;
  return a! * 60;
}

/** The job the flags describe, its unit of work, and the check of one shard's part. */
interface Resolved {
  job: SlurmJob;
  units: number;
  unit: string;
  problem: (dir: string, shard: { index: number; count: number }) => string | null;
  /** Estimated seconds of shard i of N on `cpus` threads. */
  seconds: (shard: { index: number; count: number }, cpus: number) => number;
}

/** A run (the spec's canonical flags) or, with --sweep, a sweep (the grid's flags as given). */
function resolveJob(argv: ArgumentsCamelCase<SlurmArgs>): Resolved {
  if (argv.sweep === true) {
    const grid: Grid = expandGrid(argv);
    const flags = Object.entries(grid.given).flatMap(([k, v]) => [`--${k}`, v]);
    return {
      job: { command: 'sweep', flags, hash: grid.hash },
      units: grid.points.length,
      unit: 'points',
      problem: (dir, s) => sweepPartProblem(dir, grid, s),
      seconds: (s, cpus) => shardPoints(grid, s).reduce((a, i) => a + estimateSeconds(grid.points[i]!.spec, cpus, cpus), 0),
    };
  }
  if (argv.replicates !== undefined) throw new UsageError(`--replicates is a sweep flag: add --sweep, got --replicates ${JSON.stringify(argv.replicates)}`);
  let spec: RunSpec;
  try {
    spec = resolveRunSpec(argv);
  } catch (err) {
    const list = SWEEP_FLAG_NAMES.find((f) => /,|\.\./.test(String((argv as Record<string, unknown>)[f] ?? '')));
    if (err instanceof UsageError && list !== undefined) throw new UsageError(`${err.message} (a list or range of --${list}: add --sweep to drive a sweep)`);
    throw err;
  }
  const plan = planChunks(spec);
  return {
    job: { command: 'run', flags: specFlags(spec), hash: specHash(spec) },
    units: plan.length,
    unit: 'chunks',
    problem: (dir, s) => partProblem(dir, spec, s),
    seconds: (s, cpus) => {
      const [from, to] = shardRange(plan.length, s);
      const experiments = to > from ? plan[to - 1]!.start + plan[to - 1]!.count - plan[from]!.start : 0;
      return estimateSeconds({ ...spec, experiments }, cpus, cpus);
    },
  };
}

/**
 * --pending: prints the shards whose part in --parts is not complete and valid, as an --array list
 * (nothing when every part is), with each reason on stderr. The driver script runs this.
 */
function printPending(r: Resolved, parts: string, N: number): void {
  const todo: number[] = [];
  for (let i = 0; i < N; i++) {
    const why = r.problem(path.join(parts, `part-${i}`), { index: i, count: N });
    if (why === null) continue;
    todo.push(i);
    if (todo.length <= 20) process.stderr.write(`collapse: shard ${i}/${N} to run: ${why}\n`);
  }
  if (todo.length > 20) process.stderr.write(`collapse: … ${todo.length - 20} more shards to run\n`);
  process.stderr.write(`collapse: ${N - todo.length} of ${N} shards complete in ${parts}; ${todo.length} to run\n`);
  process.stdout.write(todo.length === 0 ? '' : `${arrayList(todo)}\n`);
}

/** Validates the flags, then prints or writes the script (or, with --pending, the shards to run). */
export function slurmCommand(argv: ArgumentsCamelCase<SlurmArgs>): void {
  // each array task runs --cpus-per-task worker threads
  if (argv.workers !== undefined) {
    throw new UsageError(`--workers is not a slurm flag (each array task runs with -w $SLURM_CPUS_PER_TASK; set --cpus-per-task), got --workers ${shown(argv.workers)}`);
  }
  const r = resolveJob(argv);
  const { job } = r;
  const shards = argv.shards === undefined ? Math.max(1, Math.min(4, r.units)) : parseIntegerFlag('shards', argv.shards, 1, 100000);
  const hash = job.hash;
  const kind = job.command === 'sweep' ? 'sweep' : 'run';
  const parts = argv.parts === undefined ? path.join('results', `${kind}-${hash}.parts`) : String(argv.parts);
  if (parts.trim() === '') throw new UsageError('--parts and --out must be directory paths, got ""');
  if (argv.pending === true) return printPending(r, parts, shards);
  const sbatch = parseSbatchArgs(argv.sbatchArg);
  const root = packageRoot();
  const o: SlurmOptions = {
    shards,
    cpusPerTask: argv.cpusPerTask === undefined ? 4 : parseIntegerFlag('cpus-per-task', argv.cpusPerTask, 1, 1024),
    time: argv.time === undefined ? '01:00:00' : str('time', argv.time, SLURM_TIME, 'a Slurm time ([days-]hours[:minutes[:seconds]] or minutes)'),
    mem: argv.mem === undefined ? '4G' : str('mem', argv.mem, SLURM_MEM, 'a Slurm memory size such as 4G or 4000M'),
    partition: argv.partition === undefined ? null : str('partition', argv.partition, SLURM_NAME, 'a partition name'),
    account: argv.account === undefined ? null : str('account', argv.account, SLURM_NAME, 'an account name'),
    parts,
    out: argv.out === undefined ? path.join('results', `${kind}-${hash}`) : String(argv.out),
    collapse: argv.collapse === undefined ? `node ${shq(path.join(root, 'dist', 'src', 'cli.js'))}` : String(argv.collapse),
    chdir: argv.chdir === undefined ? process.cwd() : path.resolve(String(argv.chdir)),
    wait: argv.wait === true,
    sbatchArgs: sbatch.args,
    throttle: sbatch.throttle,
  };
  if (o.parts.trim() === '' || o.out.trim() === '') throw new UsageError('--parts and --out must be directory paths, got ""');
  // the script runs `COLLAPSE run …` as a shell line: an empty one would run `run`, a newline splits it
  if (o.collapse.trim() === '' || /[\n\r]/.test(o.collapse)) {
    throw invalidFlag('collapse', 'a command on one line, such as collapse or node /path/to/dist/src/cli.js', o.collapse);
  }
  let longest = 0;
  for (let i = 0; i < shards; i++) longest = Math.max(longest, r.seconds({ index: i, count: shards }, o.cpusPerTask));
  if (longest > slurmSeconds(o.time)) {
    process.stderr.write(
      `collapse: note: the largest shard will take about ${formatDuration(longest)} on ${o.cpusPerTask} CPU${o.cpusPerTask === 1 ? '' : 's'} ` +
        `by the engine's estimate, more than --time ${o.time}; raise --time, --shards or --cpus-per-task\n`,
    );
  }
  const script = slurmScript(job, o);
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
  // after the checks, so that a refusal stays one line
  if (shards > r.units) {
    process.stderr.write(`collapse: note: ${shards} shards for ${r.units} ${r.unit}; ${shards - r.units} shard(s) will have no work\n`);
  }
}

/** yargs registration. */
export function registerSlurm<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'slurm',
    'Print a Slurm driver script: a job array over the shards of a run (or, with --sweep, a sweep), and a dependent ' +
      'merge job. Each task runs with -w $SLURM_CPUS_PER_TASK, so --workers is not a flag here (use --cpus-per-task).',
    (b) => {
      const c = runOptions(b, { workers: false })
        .option('workers', { alias: 'w', type: 'string', hidden: true })
        .option('shards', {
          type: 'string',
          describe: 'array size: the number of shards, an integer from 1 to 100000 [default:\u00a0min(4, chunks); with --sweep min(4, points)]',
        })
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
        .option('write', { type: 'string', describe: 'write the script to this file (executable) instead of stdout' })
        .option('sweep', {
          type: 'boolean',
          default: false,
          describe: 'drive a sweep: the run flags take lists and ranges as for collapse sweep; each task runs a share of the points',
        })
        .option('replicates', { type: 'string', describe: 'with --sweep: repeat every point R times with seeds seed … seed + R − 1 [default:\u00a01]' })
        .option('sbatch-arg', {
          type: 'string',
          // repeatable: checkValues (src/cli.ts) refuses a repeated value flag unless it is an array
          array: true,
          describe:
            'one more sbatch option for both jobs, verbatim, as --sbatch-arg=--name=value (repeatable): --sbatch-arg=--qos=high ' +
            '--sbatch-arg=--constraint=avx2; --sbatch-arg=%K runs at most K array tasks at once',
        })
        .option('pending', {
          type: 'boolean',
          default: false,
          describe: 'print the shards whose part in --parts is missing, unfinished or invalid (an --array list) and exit; the driver script uses it',
        });
      example(c, 'the article at 100 times the experiments, on 50 array tasks', 'slurm -e 100000 --shards 50 --write job.sh && bash job.sh');
      example(c, 'a deep run on a named partition, waiting for the merge', 'slurm -t 10000 -e 100000 --shards 50 --partition compute --wait');
      return example(c, 'a sweep over 4 array tasks (the default), 2 at a time', 'slurm --sweep -n 10,100,1000 -t 1..10000:log:5 --sbatch-arg=%2');
    },
    (argv) => slurmCommand(argv as ArgumentsCamelCase<SlurmArgs>),
  ) as Argv<T>;
}
