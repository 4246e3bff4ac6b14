/**
 * End to end on a real Slurm cluster: test/slurm/cluster.sh installs Debian's slurmctld, slurmd
 * and munge, starts a single-node cluster on this machine, and the script from `collapse slurm
 * --wait` runs a job array of shards and the dependent merge. The merged result must equal the
 * single-machine run or sweep, and a resubmitted driver runs only the shards whose part is gone.
 * Skipped, visibly, where the cluster cannot run (not root, no apt-get) or with COLLAPSE_SKIP_SLURM=1.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { comparableSummary } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const CLUSTER = path.join(ROOT, 'test', 'slurm', 'cluster.sh');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-slurm-'));
const STATE = path.join(TMP, 'state');

function startCluster(): string | null {
  if (process.env['COLLAPSE_SKIP_SLURM'] === '1') return 'COLLAPSE_SKIP_SLURM=1';
  const r = spawnSync('bash', [CLUSTER, 'start', STATE], { encoding: 'utf8', timeout: 600_000 });
  if (r.status === 77) return `cluster.sh cannot run here: ${r.stderr.trim().split('\n').pop()}`;
  if (r.status !== 0) {
    // thrown before afterAll is registered, so the temporary directory goes here
    fs.rmSync(TMP, { recursive: true, force: true });
    throw new Error(`cluster.sh start failed (${r.status}):\n${r.stderr}`);
  }
  return null;
}

const skipReason = startCluster();
if (skipReason !== null) console.warn(`SKIPPED: real Slurm end-to-end test (${skipReason})`);
const env = { ...process.env, SLURM_CONF: path.join(STATE, 'slurm.conf') };

afterAll(() => {
  spawnSync('scancel', ['--quiet', '--user', 'root'], { env });
  spawnSync('bash', [CLUSTER, 'stop', STATE]);
  const status = spawnSync('bash', [CLUSTER, 'status', STATE], { encoding: 'utf8' }).stdout;
  fs.rmSync(TMP, { recursive: true, force: true });
  if (skipReason === null && status.includes(' up')) throw new Error(`daemons still up after stop:\n${status}`);
});

function collapse(args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: TMP, env: { ...env, ...extra }, encoding: 'utf8' });
}

const SPEC = ['-n', '40', '-t', '30', '-e', '120', '--every', '3', '--seed', '21'];
const SLURM = ['--cpus-per-task', '1', '--mem', '256M', '--time', '10', '--wait'];

describe.skipIf(skipReason !== null)('real Slurm cluster', () => {
  // 5 experiments make 5 chunks: 7 shards leave two with no work
  const cases: [string, string[], number][] = [
    ['3 shards', SPEC, 3],
    ['7 shards, more than the 5 chunks', ['-n', '40', '-t', '30', '-e', '5', '--every', '3', '--seed', '21'], 7],
  ];
  for (const [name, spec, N] of cases) {
    it(`a job array of ${name} and the merge job give the single-machine result`, () => {
      const script = path.join(TMP, `job-${N}.sh`);
      const out = path.join(TMP, `merged-${N}`);
      const ref = path.join(TMP, `single-${N}`);
      expect(collapse(['run', ...spec, '-o', ref]).status).toBe(0);
      const g = collapse(['slurm', ...spec, ...SLURM, '--shards', String(N), '--parts', path.join(TMP, `parts-${N}`), '-o', out, '--write', script]);
      expect(g.status, g.stderr).toBe(0);
      const r = spawnSync('bash', [script], { cwd: TMP, env, encoding: 'utf8', timeout: 300_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      for (const f of ['trajectory.csv', 'finals.csv']) {
        expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(ref, f))), f).toBe(true);
      }
      expect(comparableSummary(out)).toBe(comparableSummary(ref));
      const parts = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).provenance.parts;
      expect(parts).toHaveLength(N);
    });
  }

  it('a sweep over a job array (throttled to 1 task, with an --sbatch-arg) merges to the single-machine sweep; resubmitted after two parts are deleted, only those shards run again', () => {
    const GRID = ['-n', '10,40,160', '-t', '30', '-e', '60', '--every', '3', '--seed', '5'];
    const single = path.join(TMP, 'sweep-single');
    expect(collapse(['sweep', ...GRID, '--no-plot', '-o', single]).status).toBe(0);
    const parts = path.join(TMP, 'sweep-parts');
    const out = path.join(TMP, 'sweep-merged');
    const script = path.join(TMP, 'job-sweep.sh');
    const g = collapse(['slurm', '--sweep', ...GRID, ...SLURM, '--shards', '3', '--parts', parts, '-o', out, '--write', script,
      '--sbatch-arg=--comment=collapse-e2e', '--sbatch-arg=%1']);
    expect(g.status, g.stderr).toBe(0);
    const submit = () => {
      const r = spawnSync('bash', [script], { cwd: TMP, env: { ...env, COLLAPSE_PROGRESS_INTERVAL: '0' }, encoding: 'utf8', timeout: 300_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const m = /job array (\d+) \(shards (\S+) of 3\) and merge job (\d+) submitted/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      return { array: m![1]!, shards: m![2]!, merge: m![3]! };
    };
    const same = () => {
      expect(fs.readFileSync(path.join(out, 'sweep.csv')).equals(fs.readFileSync(path.join(single, 'sweep.csv')))).toBe(true);
      const points = fs.readdirSync(path.join(single, 'points'));
      expect(points).toHaveLength(3);
      for (const h of points) {
        for (const f of ['trajectory.csv', 'finals.csv']) {
          expect(fs.readFileSync(path.join(out, 'points', h, f)).equals(fs.readFileSync(path.join(single, 'points', h, f))), `${h}/${f}`).toBe(true);
        }
        expect(comparableSummary(path.join(out, 'points', h))).toBe(comparableSummary(path.join(single, 'points', h)));
      }
    };
    const first = submit();
    expect(first.shards).toBe('0-2');
    same();
    // the --sbatch-arg reached Slurm (the merge job has just finished: its record is still there)
    const show = spawnSync('scontrol', ['show', 'job', first.merge], { env, encoding: 'utf8' }).stdout;
    expect(show).toMatch(/Comment=collapse-e2e/);
    // %1: the shards ran one after the other (the node has CPUs for all three at once)
    const spans = [0, 1, 2].map((i) => {
      const p = JSON.parse(fs.readFileSync(path.join(parts, `part-${i}`, 'sweep.json'), 'utf8')).provenance;
      return [Date.parse(p.startedAt), Date.parse(p.finishedAt)] as const;
    });
    for (const a of spans) for (const b of spans) if (a !== b) expect(a[1] <= b[0] || b[1] <= a[0], JSON.stringify(spans)).toBe(true);
    // progress lines for the job logs, automatically under Slurm
    const logs = (id: string) => fs.readdirSync(parts).filter((f) => f.startsWith(`slurm-${id}_`));
    expect(logs(first.array).sort()).toEqual([0, 1, 2].map((i) => `slurm-${first.array}_${i}.out`));
    expect(fs.readFileSync(path.join(parts, `slurm-${first.array}_0.out`), 'utf8')).toMatch(/^collapse sweep, shard 0\/3: \d\/\d points, \d+%, elapsed .*, ETA /m);

    // a list with a gap and a throttle: --array=0,2%1
    const kept = fs.statSync(path.join(parts, 'part-1', 'sweep.json')).mtimeMs;
    for (const i of [0, 2]) fs.rmSync(path.join(parts, `part-${i}`), { recursive: true });
    const second = submit();
    expect(second.shards).toBe('0,2');
    expect(logs(second.array).sort()).toEqual([`slurm-${second.array}_0.out`, `slurm-${second.array}_2.out`]);
    expect(fs.statSync(path.join(parts, 'part-1', 'sweep.json')).mtimeMs).toBe(kept);
    same();

    // every part complete: the driver submits the merge alone
    const r = spawnSync('bash', [script], { cwd: TMP, env, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no array job \(all 3 shards complete\) and merge job \d+ submitted/);
    same();
  });

  it('a run resubmitted after one part is deleted runs only that shard', () => {
    const parts = path.join(TMP, 'parts-3');
    const script = path.join(TMP, 'job-3.sh');
    const out = path.join(TMP, 'merged-3');
    const kept = [0, 2].map((i) => fs.statSync(path.join(parts, `part-${i}`, 'part.json')).mtimeMs);
    fs.rmSync(path.join(parts, 'part-1'), { recursive: true });
    fs.rmSync(out, { recursive: true });
    const r = spawnSync('bash', [script], { cwd: TMP, env, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/job array \d+ \(shards 1 of 3\)/);
    expect([0, 2].map((i) => fs.statSync(path.join(parts, `part-${i}`, 'part.json')).mtimeMs)).toEqual(kept);
    for (const f of ['trajectory.csv', 'finals.csv']) {
      expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(TMP, 'single-3', f))), f).toBe(true);
    }
  });

  it('a failing array task fails the driver with sbatch --wait, and no merged result appears', () => {
    const script = path.join(TMP, 'job-fail.sh');
    const out = path.join(TMP, 'merged-fail');
    expect(collapse(['slurm', ...SPEC, ...SLURM, '--shards', '2', '--parts', path.join(TMP, 'parts-fail'), '-o', out, '--write', script]).status).toBe(0);
    const r = spawnSync('bash', [script], { cwd: TMP, env: { ...env, COLLAPSE_FAULT_CHUNK: '0' }, encoding: 'utf8', timeout: 300_000 });
    expect(r.status).not.toBe(0);
    expect(fs.existsSync(out)).toBe(false);
    const log = fs.readdirSync(path.join(TMP, 'parts-fail')).filter((f) => f.endsWith('_0.out'));
    expect(fs.readFileSync(path.join(TMP, 'parts-fail', log[0]!), 'utf8')).toMatch(/chunk 0 .* failed with seed 21/);
  });
});
