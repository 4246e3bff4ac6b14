/**
 * Clusters without a cluster: sweep shards dealt out by estimated work (against a brute-force
 * optimum), the driver script of `collapse slurm` run against a stand-in sbatch that records what
 * it is asked (first submission, resubmission of only the shards without a complete part, nothing
 * but the merge once all are complete), --sbatch-arg's checks and where its options land, progress
 * lines for job logs, and the up-front notice of a long request. test/slurm.test.ts runs the real
 * thing on a single-node Slurm cluster.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { balancedShards } from '../src/shard.js';
import { expandGrid } from '../src/grid.js';
import { pointShards } from '../src/sweep.js';
import { estimateSeconds, longNotice, workSeconds } from '../src/estimate.js';
import { arrayList, parseSbatchArgs, slurmSeconds } from '../src/commands/slurm.js';
import { resolveRunSpec } from '../src/spec.js';
import { rng } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-clusters-'));
/** Children a test started in the background, killed at the end whatever the test's outcome. */
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(TMP, { recursive: true, force: true });
});

/** Environment without Slurm's variables, so that a test run inside a Slurm job behaves the same. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('SLURM_') && !(k in extra)) delete env[k];
  return env;
}

function collapse(args: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: TMP, env: cleanEnv(extra), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The smallest possible largest shard, by trying every assignment (N^P of them). */
function bruteOptimum(costs: number[], N: number): number {
  let best = Infinity;
  const load = new Array<number>(N).fill(0);
  const go = (i: number) => {
    if (i === costs.length) {
      best = Math.min(best, Math.max(...load));
      return;
    }
    for (let s = 0; s < N; s++) {
      load[s]! += costs[i]!;
      if (load[s]! < best) go(i + 1);
      load[s]! -= costs[i]!;
    }
  };
  go(0);
  return best;
}

describe('sweep shards by estimated work', () => {
  it('n = 10, 100, 1000 over 2 shards: the n = 1000 point alone, the other two together', () => {
    const grid = expandGrid({ samples: '10,100,1000', generations: '20', experiments: '50' });
    const a = pointShards(grid, 2);
    expect(a[2]).not.toBe(a[0]);
    expect(a[0]).toBe(a[1]);
    // the old contiguous split gave shard 0 only point 0 (n = 10)
    expect(a.filter((s) => s === 0).length).toBeGreaterThan(0);
    expect(a.filter((s, i) => s === 0 && i !== 0).length).toBeGreaterThan(0);
  });

  it('weighs generation steps of --method stats and recording as well as draws', () => {
    const resample = resolveRunSpec({ samples: '1000', generations: '100', experiments: '100' });
    const stats = resolveRunSpec({ samples: '1000', generations: '100', experiments: '100', method: 'stats' });
    // 10^7 draws against 10^4 generation steps: the draws cost more, but not 1000x more
    expect(workSeconds(resample)).toBeGreaterThan(workSeconds(stats));
    expect(workSeconds(resample)).toBeLessThan(1000 * workSeconds(stats));
  });

  it('every item once; the largest shard within Graham\'s bound (4/3 − 1/(3N)) of the brute-force optimum', () => {
    const next = rng(7);
    let worst = 0;
    for (let trial = 0; trial < 300; trial++) {
      const P = 1 + Math.floor(next() * 8);
      const N = 1 + Math.floor(next() * 3);
      // costs spanning three decades, as log-spaced sweep axes make them
      const costs = Array.from({ length: P }, () => Math.round(10 ** (3 * next())));
      const a = balancedShards(costs, N);
      expect(a).toHaveLength(P);
      for (const s of a) expect(s >= 0 && s < N && Number.isInteger(s)).toBe(true);
      const load = new Array<number>(N).fill(0);
      a.forEach((s, i) => (load[s]! += costs[i]!));
      const ratio = Math.max(...load) / bruteOptimum(costs, N);
      worst = Math.max(worst, ratio);
      expect(ratio).toBeLessThanOrEqual(4 / 3 - 1 / (3 * N) + 1e-12);
    }
    expect(worst).toBeGreaterThan(1); // the trials include cases where the greedy is not optimal
  });

  it('depends only on the costs and N: ties go to the lower index, and the same input gives the same shards', () => {
    expect(balancedShards([1, 1, 1, 1], 2)).toEqual([0, 1, 0, 1]);
    expect(balancedShards([1, 3, 3, 1], 2)).toEqual([0, 0, 1, 1]);
    expect(balancedShards([5, 5, 5], 5)).toEqual([0, 1, 2]);
    const costs = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 101);
    expect(balancedShards(costs, 13)).toEqual(balancedShards([...costs], 13));
  });

  it('deals 10^5 points to 10^4 shards, every point once, within Graham\'s LPT bound', () => {
    // no timed assertion (shared machines): the heap makes it O(P log S); here, what it deals
    const costs = Array.from({ length: 100_000 }, (_, i) => 1 + ((i * 2654435761) % 1000));
    const shardOf = balancedShards(costs, 10_000);
    expect(shardOf).toHaveLength(costs.length);
    const load = new Float64Array(10_000);
    shardOf.forEach((s, i) => {
      expect(Number.isInteger(s) && s >= 0 && s < 10_000).toBe(true);
      load[s] = load[s]! + costs[i]!;
    });
    // LPT: the largest load is at most the mean plus the largest single cost (Graham 1969)
    const mean = costs.reduce((a, b) => a + b, 0) / 10_000;
    expect(Math.max(...load)).toBeLessThanOrEqual(mean + Math.max(...costs));
  });
});

describe('collapse sweep --shard', () => {
  const GRID = ['-n', '10,100,1000', '-t', '20', '-e', '40', '--every', '5', '--seed', '3', '--no-plot'];
  const parts = [0, 1].map((i) => path.join(TMP, `sw-part-${i}`));
  const single = path.join(TMP, 'sw-single');

  it('shard 0 of 2 runs the n = 1000 point, shard 1 the others; merged, they equal the single-machine sweep', () => {
    expect(collapse(['sweep', ...GRID, '-o', single, '-w', '1']).code).toBe(0);
    const r0 = collapse(['sweep', ...GRID, '--shard', '0/2', '-o', parts[0]!, '-w', '1']);
    expect(r0.code, r0.stderr).toBe(0);
    expect(r0.stdout).toContain('point 2 of 3');
    expect(collapse(['sweep', ...GRID, '--shard', '1/2', '-o', parts[1]!, '-w', '1']).stdout).toContain('points 0, 1 of 3');
    const out = path.join(TMP, 'sw-merged');
    const m = collapse(['merge', ...parts, '-o', out, '--no-plot']);
    expect(m.code, m.stderr).toBe(0);
    expect(fs.readFileSync(path.join(out, 'sweep.csv')).equals(fs.readFileSync(path.join(single, 'sweep.csv')))).toBe(true);
    for (const h of fs.readdirSync(path.join(single, 'points'))) {
      for (const f of ['trajectory.csv', 'finals.csv']) {
        expect(fs.readFileSync(path.join(out, 'points', h, f)).equals(fs.readFileSync(path.join(single, 'points', h, f))), `${h}/${f}`).toBe(true);
      }
    }
  });

  it('merge refuses a part whose points were dealt otherwise, naming it', () => {
    const file = path.join(parts[1]!, 'sweep.json');
    const saved = fs.readFileSync(file, 'utf8');
    const doc = JSON.parse(saved);
    doc.shardPoints = [0];
    fs.writeFileSync(file, JSON.stringify(doc));
    const out = path.join(TMP, 'sw-merged-bad');
    const r = collapse(['merge', ...parts, '-o', out, '--no-plot']);
    fs.writeFileSync(file, saved);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sw-part-1: its points are not those shard 1\/2 runs here/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

/** A stand-in for sbatch: appends its arguments (one per line, then a blank line) to $SBATCH_LOG and prints a job id. */
function fakeSbatch(): string {
  const bin = path.join(TMP, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const f = path.join(bin, 'sbatch');
  fs.writeFileSync(f, '#!/usr/bin/env bash\nn=$(( $(grep -c "^$" "$SBATCH_LOG" 2>/dev/null || echo 0) + 100 ))\nprintf "%s\\n" "$@" >> "$SBATCH_LOG"\necho >> "$SBATCH_LOG"\ncat > /dev/null\necho "$n"\n');
  fs.chmodSync(f, 0o755);
  return bin;
}

/** Runs a driver script against the stand-in sbatch; returns each sbatch call's arguments. */
function drive(script: string): { calls: string[][]; stdout: string; stderr: string } {
  const log = path.join(TMP, `sbatch-${path.basename(script)}-${Date.now()}.log`);
  const r = spawnSync('bash', [script], {
    cwd: TMP,
    env: cleanEnv({ PATH: `${fakeSbatch()}:${process.env['PATH']}`, SBATCH_LOG: log }),
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
  const calls = text.split('\n\n').filter((c) => c.trim() !== '').map((c) => c.split('\n').filter((l) => l !== ''));
  return { calls, stdout: r.stdout, stderr: r.stderr };
}

describe('collapse slurm driver: resubmission runs only the shards without a complete part', () => {
  const BASE = ['-n', '20', '-t', '10', '-e', '30', '--every', '5'];
  const SPEC = [...BASE, '--seed', '4'];

  it('a run: all shards, then only the missing one, then only the merge', () => {
    const parts = path.join(TMP, 'drv-run-parts');
    const script = path.join(TMP, 'drv-run.sh');
    const g = collapse(['slurm', ...SPEC, '--shards', '3', '--parts', parts, '-o', path.join(TMP, 'drv-run-out'), '--write', script]);
    expect(g.code, g.stderr).toBe(0);
    let d = drive(script);
    expect(d.calls).toHaveLength(2);
    expect(d.calls[0]).toContain('--array=0-2');
    expect(d.calls[1]).toContain('--dependency=afterok:100');
    for (const i of [0, 2]) expect(collapse(['run', ...SPEC, '--shard', `${i}/3`, '-o', path.join(parts, `part-${i}`), '-w', '1']).code).toBe(0);
    d = drive(script);
    expect(d.calls[0]).toContain('--array=1');
    expect(d.stderr).toContain('shard 1/3 to run: no part.json');
    expect(d.stderr).toContain('2 of 3 shards complete');
    expect(collapse(['run', ...SPEC, '--shard', '1/3', '-o', path.join(parts, 'part-1'), '-w', '1']).code).toBe(0);
    d = drive(script);
    expect(d.calls).toHaveLength(1);
    expect(d.calls[0]!.some((a) => a.startsWith('--dependency'))).toBe(false);
    expect(d.calls[0]).toContain('--job-name=collapse-' + JSON.parse(fs.readFileSync(path.join(parts, 'part-0', 'part.json'), 'utf8')).specHash + '-merge');
    expect(d.stdout).toContain('no array job (all 3 shards complete)');
  });

  it('a part of another spec, or of another shard count, is run again', () => {
    const parts = path.join(TMP, 'drv-stale-parts');
    collapse(['run', ...BASE, '--seed', '5', '--shard', '0/2', '-o', path.join(parts, 'part-0'), '-w', '1']);
    collapse(['run', ...SPEC, '--shard', '1/3', '-o', path.join(parts, 'part-1'), '-w', '1']);
    const r = collapse(['slurm', ...SPEC, '--shards', '2', '--parts', parts, '--pending']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0-1\n');
    expect(r.stderr).toMatch(/shard 0\/2 to run: .*part-0 is of another spec: seed is 5 there, 4 here/);
    expect(r.stderr).toMatch(/shard 1\/2 to run: .*part-1 is shard 1\/3, not 1\/2/);
    // a damaged part.bin is not complete either
    collapse(['run', ...SPEC, '--shard', '1/2', '-o', path.join(parts, 'part-1'), '-w', '1']);
    expect(collapse(['slurm', ...SPEC, '--shards', '2', '--parts', parts, '--pending']).stdout).toBe('0\n');
    fs.truncateSync(path.join(parts, 'part-1', 'part.bin'), 8);
    expect(collapse(['slurm', ...SPEC, '--shards', '2', '--parts', parts, '--pending']).stdout).toBe('0-1\n');
  });

  it('a sweep: tasks run collapse sweep --shard i/N; an unfinished point makes its shard run again (and resume)', () => {
    const GRID = ['-n', '10,20,40', '-t', '10', '-e', '20', '--every', '5'];
    const parts = path.join(TMP, 'drv-sweep-parts');
    const script = path.join(TMP, 'drv-sweep.sh');
    const g = collapse(['slurm', '--sweep', ...GRID, '--shards', '2', '--parts', parts, '-o', path.join(TMP, 'drv-sweep-out'), '--write', script]);
    expect(g.code, g.stderr).toBe(0);
    const text = fs.readFileSync(script, 'utf8');
    expect(text).toMatch(/sweep --samples 10,20,40 --generations 10 --experiments 20 --every 5 --shard "\$SLURM_ARRAY_TASK_ID\/2"/);
    expect(text).toMatch(/merge .*drv-sweep-parts\/part-\{0\.\.1\}/);
    for (const i of [0, 1]) expect(collapse(['sweep', ...GRID, '--shard', `${i}/2`, '-o', path.join(parts, `part-${i}`), '-w', '1']).code).toBe(0);
    let d = drive(script);
    expect(d.calls).toHaveLength(1); // the merge only
    const victim = fs.readdirSync(path.join(parts, 'part-0', 'points'))[0]!;
    fs.rmSync(path.join(parts, 'part-0', 'points', victim, 'summary.json'));
    d = drive(script);
    expect(d.calls[0]).toContain('--array=0');
    expect(d.stderr).toMatch(/shard 0\/2 to run: point \d+ .* is not finished/);
  });

  it('lists of run flags without --sweep are refused with the hint', () => {
    const r = collapse(['slurm', '-n', '10,100']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('add --sweep to drive a sweep');
    expect(collapse(['slurm', '--replicates', '2']).stderr).toContain('--replicates is a sweep flag: add --sweep');
  });

  it('--array lists: runs of consecutive shards as ranges', () => {
    expect(arrayList([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(arrayList([3])).toBe('3');
    expect(arrayList([])).toBe('');
  });
});

describe('--sbatch-arg', () => {
  it('passes each option verbatim to both jobs, and a throttle %K to the array only', () => {
    const script = path.join(TMP, 'sb.sh');
    const g = collapse([
      'slurm', '-e', '20', '-t', '10', '-n', '20', '--shards', '2', '--parts', path.join(TMP, 'sb-parts'), '--write', script,
      '--sbatch-arg=--qos=high', '--sbatch-arg=--constraint=avx2&ib', '--sbatch-arg=--mail-type=END', '--sbatch-arg=%1',
    ]);
    expect(g.code, g.stderr).toBe(0);
    const d = drive(script);
    expect(d.calls).toHaveLength(2);
    for (const c of d.calls) {
      expect(c).toContain('--qos=high');
      expect(c).toContain('--constraint=avx2&ib');
      expect(c).toContain('--mail-type=END');
    }
    expect(d.calls[0]).toContain('--array=0-1%1');
    expect(d.calls[1]!.some((a) => a.includes('%1'))).toBe(false);
  });

  it('refuses what is not one sbatch option, or an option collapse sets, with exit 2 and no file', () => {
    const script = path.join(TMP, 'sb-bad.sh');
    const cases: [string, RegExp][] = [
      ['qos=high', /--sbatch-arg must be one sbatch option .* got "qos=high"/],
      ['--qos high', /--sbatch-arg must be one sbatch option .* got "--qos high"/],
      ['%0', /--sbatch-arg must be a throttle %K with K ≥ 1, got "%0"/],
      ['--array=0-3%2', /must not set sbatch's --array: .*--sbatch-arg=%K/],
      ['-t5', /must not set sbatch's -t: collapse slurm sets --time; use --time, got "-t5"/],
      ['--dependency=afterok:1', /must not set sbatch's --dependency/],
      ['--mem-per-cpu=2G', /must not set sbatch's --mem-per-cpu: collapse slurm sets --mem; use --mem/],
      ['--output=x.log', /--output: collapse slurm sets --output; use --parts \(the logs go there\)/],
    ];
    for (const [v, msg] of cases) expect(() => parseSbatchArgs([v]), v).toThrow(msg);
    // through the command line: exit 2, one line, and no script written
    const r = collapse(['slurm', '--sbatch-arg=--qos=high', '--sbatch-arg=--array=1-3', '--write', script]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--sbatch-arg must not set sbatch's --array/);
    expect(fs.existsSync(script)).toBe(false);
    expect(() => parseSbatchArgs(['%2', '%3'])).toThrow(/one throttle/);
    expect(parseSbatchArgs(['-q', '--exclusive', '-Jname'])).toEqual({ args: ['-q', '--exclusive', '-Jname'], throttle: null });
  });
});

describe('--progress', () => {
  const GRID = ['-n', '10,20,30', '-t', '10', '-e', '20', '--every', '5', '--no-plot', '-w', '1'];
  const lineRe = /^collapse sweep: \d\/3 points, \d+%, elapsed \d+\.\ds, ETA (\d|\?)/m;

  it('inside a Slurm job (SLURM_JOB_ID set, stderr not a terminal) auto prints plain lines with done/total and ETA', () => {
    const r = collapse(['sweep', ...GRID, '-o', path.join(TMP, 'pg-1')], { SLURM_JOB_ID: '42', COLLAPSE_PROGRESS_INTERVAL: '0' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(lineRe);
    expect(r.stderr).toMatch(/^collapse sweep: 3\/3 points, 100%, elapsed /m);
    expect(r.stderr).not.toContain('\r');
  });

  it('auto prints nothing outside Slurm when stderr is not a terminal; lines and none override it', () => {
    let r = collapse(['sweep', ...GRID, '-o', path.join(TMP, 'pg-2')], { COLLAPSE_PROGRESS_INTERVAL: '0' });
    expect(r.stderr).toBe('');
    r = collapse(['sweep', ...GRID, '-o', path.join(TMP, 'pg-3'), '--progress', 'lines'], { COLLAPSE_PROGRESS_INTERVAL: '0' });
    expect(r.stderr).toMatch(lineRe);
    r = collapse(['sweep', ...GRID, '-o', path.join(TMP, 'pg-4'), '--progress', 'none'], { SLURM_JOB_ID: '42', COLLAPSE_PROGRESS_INTERVAL: '0' });
    expect(r.stderr).toBe('');
  });

  it('run and run --shard count chunks; the interval holds lines back', () => {
    let r = collapse(['run', '-n', '20', '-t', '10', '-e', '200', '--no-plot', '-o', path.join(TMP, 'pg-run'), '--progress', 'lines'], { COLLAPSE_PROGRESS_INTERVAL: '0' });
    expect(r.code, r.stderr).toBe(0);
    // 200 experiments: at most ⌊200/64⌋ = 3 a chunk (the plan's rule), so ⌈200/3⌉ = 67 chunks; shard 1/2 holds [33, 67)
    expect(r.stderr).toMatch(/^collapse run: \d+\/67 chunks, \d+%, elapsed/m);
    r = collapse(['run', '-n', '20', '-t', '10', '-e', '200', '--shard', '1/2', '-o', path.join(TMP, 'pg-part')], { SLURM_JOB_ID: '42', COLLAPSE_PROGRESS_INTERVAL: '0' });
    expect(r.stderr).toMatch(/^collapse run, shard 1\/2: \d+\/34 chunks, /m);
    // the default interval (10 s) is longer than this run: no line at all
    r = collapse(['run', '-n', '20', '-t', '10', '-e', '200', '--no-plot', '-o', path.join(TMP, 'pg-run'), '--progress', 'lines']);
    expect(r.stderr).toBe('');
  });

  it('refuses an unknown form with exit 2 before any work', () => {
    const r = collapse(['sweep', ...GRID, '-o', path.join(TMP, 'pg-bad'), '--progress', 'fancy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--progress must be auto, bar, lines, none, got "fancy"');
    expect(fs.existsSync(path.join(TMP, 'pg-bad'))).toBe(false);
  });
});

describe('a long request says so up front', () => {
  it('the estimate reproduces the measured figure it was calibrated on, within the spread of that machine', () => {
    // README, Benchmarks: E = 10^6, T = 10^4, --method stats --every 1000 on 2 workers took 128 s
    const spec = resolveRunSpec({ experiments: '1000000', generations: '10000', method: 'stats', every: '1000' });
    const s = estimateSeconds(spec, 2, 2);
    expect(s).toBeGreaterThan(100);
    expect(s).toBeLessThan(160);
    expect(longNotice('this run', s, 2)).toMatch(/^collapse: note: this run will take about 2m\d\ds on 2 workers/);
    expect(longNotice('this run', 59, 2)).toBeNull();
  });

  it('counts the coordinator\'s time per recorded generation: 10^6 of them are long even when their draws are not', () => {
    // 1.6·10^7 generation steps take under a second; the rows' statistics and text, about 85 s
    const many = resolveRunSpec({ samples: '10', generations: '1000000', every: '1', experiments: '16', method: 'stats' });
    expect(estimateSeconds(many, 2, 2)).toBeGreaterThan(60);
    expect(estimateSeconds({ ...many, every: 1000 }, 2, 2)).toBeLessThan(5);
  });

  it('collapse slurm says when the largest shard would outlast --time (every Slurm time form read)', () => {
    const forms: [string, number][] = [['30', 1800], ['30:15', 1815], ['2:00:00', 7200], ['1-0', 86400], ['1-2:30', 95400], ['1-2:30:05', 95405]];
    for (const [t, s] of forms) expect(slurmSeconds(t), t).toBe(s);
    // n = 1000 × T = 10^4 × E = 10^4 is 10^11 draws: about 2m19s on 4 CPUs at the calibrated rate
    const r = collapse(['slurm', '--sweep', '-n', '10,100,1000', '-t', '10000', '-e', '10000', '--shards', '2', '--time', '2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^collapse: note: the largest shard will take about 2m\d\ds on 4 CPUs by the engine's estimate, more than --time 2; raise --time, --shards or --cpus-per-task$/m);
  });

  it('collapse run prints the note on stderr before any work, and a short run prints none', async () => {
    // 2·10^11 draws: about 18 minutes on one worker
    const child = spawn(process.execPath, [CLI, 'run', '-n', '1000', '-t', '100000', '-e', '2000', '-w', '1', '--no-plot', '-o', path.join(TMP, 'long')], {
      cwd: TMP,
      env: cleanEnv(),
    });
    children.push(child);
    let err = '';
    const t0 = Date.now();
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
        if (err.includes('\n')) child.kill('SIGTERM');
      });
      child.on('close', () => resolve());
    });
    clearTimeout(guard);
    expect(err).toMatch(/^collapse: note: this run will take about \d+m\d\ds on 1 worker by the engine's estimate/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    const r = collapse(['run', '-n', '20', '-t', '10', '-e', '20', '--no-plot', '-o', path.join(TMP, 'short')]);
    expect(r.stderr).not.toContain('note:');
  });
});
