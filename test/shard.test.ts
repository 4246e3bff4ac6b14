/**
 * Shards and merge without a scheduler: shards 0..N−1 merged equal the single-machine run for
 * several N (N above the number of chunks included); a missing, duplicated or mismatched part is
 * refused with a message naming it; --shard auto reads Slurm's and Kubernetes' variables.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { comparableSummary } from './helpers.js';
import { parseShard, shardRange } from '../src/shard.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-shard-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function collapse(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: TMP, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sameResult(a: string, b: string): void {
  for (const f of ['trajectory.csv', 'finals.csv']) {
    expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f))), f).toBe(true);
  }
  expect(comparableSummary(b)).toBe(comparableSummary(a));
}

const BASE = ['-n', '50', '-t', '40', '-e', '300', '--every', '4'];
const SPEC = [...BASE, '--seed', '8'];
/** 6 experiments make 6 chunks of one: 8 shards leave two of them empty. */
const TINY = ['-n', '50', '-t', '40', '-e', '6', '--every', '4', '--seed', '8'];

describe('merge of shards', () => {
  const single = path.join(TMP, 'single');
  it('single-machine reference', () => {
    expect(collapse(['run', ...SPEC, '-o', single]).code).toBe(0);
  });

  for (const N of [1, 2, 5]) {
    it(`shards 0..${N - 1} merged equal the single-machine run`, () => {
      const parts: string[] = [];
      for (let i = N - 1; i >= 0; i--) {
        const p = path.join(TMP, `n${N}-part-${i}`);
        const r = collapse(['run', ...SPEC, '--shard', `${i}/${N}`, '-w', String(1 + (i % 2)), '-o', p]);
        expect(r.code, r.stderr).toBe(0);
        parts.push(p);
      }
      const out = path.join(TMP, `merged-${N}`);
      const r = collapse(['merge', ...parts, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      sameResult(single, out);
    });
  }

  it('more shards than chunks: the empty shards still write parts, and the merge is exact', () => {
    const ref = path.join(TMP, 'tiny-single');
    expect(collapse(['run', ...TINY, '-o', ref]).code).toBe(0);
    const parts: string[] = [];
    for (let i = 0; i < 8; i++) {
      const p = path.join(TMP, `tiny-part-${i}`);
      expect(collapse(['run', ...TINY, '--shard', `${i}/8`, '-o', p]).code).toBe(0);
      parts.push(p);
    }
    const empty = parts.filter((p) => fs.readFileSync(path.join(p, 'part.json'), 'utf8').includes('"chunks": []'));
    expect(empty).toHaveLength(2);
    const out = path.join(TMP, 'tiny-merged');
    expect(collapse(['merge', ...parts, '-o', out]).code).toBe(0);
    sameResult(ref, out);
  });

  it('refuses, before reading any data, a merge larger than the memory limit: exit 2, one line, nothing written', () => {
    const parts = Array.from({ length: 8 }, (_, i) => path.join(TMP, `tiny-part-${i}`));
    const out = path.join(TMP, 'tiny-no-room');
    const r = collapse(['merge', ...parts, '-o', out], { COLLAPSE_MEMORY_LIMIT: '1000' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/collapse merge needs about .* [KM]iB \(the parts' data, .* [KM]iB, and the run's recorded values\), more than the limit of 1 KiB .*COLLAPSE_MEMORY_LIMIT/);
    expect(fs.existsSync(out)).toBe(false);
    // within the limit it merges
    expect(collapse(['merge', ...parts, '-o', out], { COLLAPSE_MEMORY_LIMIT: String(2 ** 30) }).code).toBe(0);
  });

  it('refuses a missing part, naming it', () => {
    const r = collapse(['merge', path.join(TMP, 'n5-part-0'), path.join(TMP, 'n5-part-2'), path.join(TMP, 'n5-part-3'), path.join(TMP, 'n5-part-4'), '-o', path.join(TMP, 'm-missing')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing shard 1 of 5');
    expect(fs.existsSync(path.join(TMP, 'm-missing'))).toBe(false);
  });

  it('refuses a duplicated part', () => {
    const p = (i: number) => path.join(TMP, `n2-part-${i}`);
    const r = collapse(['merge', p(0), p(1), p(1), '-o', path.join(TMP, 'm-dup')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shard 1\/2 is given twice/);
  });

  it('refuses parts of different specs, naming the field and both values', () => {
    const other = path.join(TMP, 'other-1');
    expect(collapse(['run', ...BASE, '--seed', '9', '--shard', '1/2', '-o', other]).code).toBe(0);
    const r = collapse(['merge', path.join(TMP, 'n2-part-0'), other, '-o', path.join(TMP, 'm-mixed')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/parts differ in seed: 8 in .*, 9 in .*other-1/);
  });

  it('refuses parts with different shard counts', () => {
    const r = collapse(['merge', path.join(TMP, 'n2-part-0'), path.join(TMP, 'n5-part-1'), '-o', path.join(TMP, 'm-count')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/parts differ in shard count: 2 in .*, 5 in /);
  });

  it('refuses a part of another schema version, and a damaged one', () => {
    const src = path.join(TMP, 'n2-part-0');
    const bad = path.join(TMP, 'future-part');
    fs.cpSync(src, bad, { recursive: true });
    const doc = JSON.parse(fs.readFileSync(path.join(bad, 'part.json'), 'utf8'));
    doc.schemaVersion = 99;
    fs.writeFileSync(path.join(bad, 'part.json'), JSON.stringify(doc));
    let r = collapse(['merge', bad, path.join(TMP, 'n2-part-1'), '-o', path.join(TMP, 'm-future')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('newer than this collapse');
    const cut = path.join(TMP, 'cut-part');
    fs.cpSync(src, cut, { recursive: true });
    fs.truncateSync(path.join(cut, 'part.bin'), 100);
    r = collapse(['merge', cut, path.join(TMP, 'n2-part-1'), '-o', path.join(TMP, 'm-cut')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('damaged');
  });
});

describe('--shard', () => {
  it('parses i/N and refuses what is not a shard', () => {
    expect(parseShard('3/8')).toEqual({ index: 3, count: 8 });
    for (const bad of ['8/8', '1/0', '-1/3', 'a/b', '1.5/3', '']) expect(() => parseShard(bad)).toThrow(/--shard/);
  });

  it('auto reads a Slurm job array (ids may start above 0)', () => {
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 2, count: 4 });
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '1' })).toEqual({ index: 0, count: 1 });
  });

  it('auto/N reads a Kubernetes Indexed Job', () => {
    expect(parseShard('auto/6', { JOB_COMPLETION_INDEX: '5' })).toEqual({ index: 5, count: 6 });
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '5' })).toThrow(/auto\/N/);
    expect(() => parseShard('auto/5', { JOB_COMPLETION_INDEX: '5' })).toThrow(/outside 0\.\.4/);
  });

  it('auto fails clearly when no scheduler variable is set, with exit 2 and nothing written', () => {
    const out = path.join(TMP, 'no-env');
    const env = { ...process.env };
    for (const k of ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_COUNT', 'JOB_COMPLETION_INDEX']) delete env[k];
    const r = spawnSync(process.execPath, [CLI, 'run', ...SPEC, '--shard', 'auto', '-o', out], { env, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--shard auto needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT .* none is set/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('slices contiguously and covers every chunk once for any N', () => {
    for (const total of [1, 7, 64]) {
      for (const N of [1, 2, 3, 10, 100]) {
        let next = 0;
        for (let i = 0; i < N; i++) {
          const [a, b] = shardRange(total, { index: i, count: N });
          expect(a).toBe(next);
          next = b;
        }
        expect(next).toBe(total);
      }
    }
  });
});

describe('collapse slurm', () => {
  it('prints a job array of N tasks and a merge that depends on it', () => {
    const r = collapse(['slurm', ...SPEC, '--shards', '6', '--time', '2:00:00', '--mem', '2G', '--partition', 'short']);
    expect(r.code, r.stderr).toBe(0);
    // the array lists the shards `slurm --pending` reports; test/clusters.test.ts runs the script
    expect(r.stdout).toMatch(/pending=\$\(.* slurm .*--seed 8 .*--shards 6 --parts \S+ --pending\)/);
    expect(r.stdout).toContain('--array="$pending"');
    expect(r.stdout).toContain('--partition=short');
    expect(r.stdout).toMatch(/dependency=--dependency=afterok:\$array_id/);
    expect(r.stdout).toMatch(/run .*--seed 8 .*--shard "\$SLURM_ARRAY_TASK_ID\/6"/);
    expect(r.stdout).toMatch(/merge .*part-\{0\.\.5\}/);
    const check = spawnSync('bash', ['-n'], { input: r.stdout, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0); // the script parses
  });

  it('refuses a malformed time or memory', () => {
    expect(collapse(['slurm', '--time', 'soon']).code).toBe(2);
    expect(collapse(['slurm', '--mem', 'lots']).stderr).toContain('--mem');
  });
});

describe('sharded sweeps', () => {
  const GRID = ['-n', '20,40', '-t', '10,30', '-e', '60', '--no-plot'];

  it('shards of a sweep, merged, equal the single-machine sweep: sweep.csv and every point', () => {
    const single = path.join(TMP, 'sweep-single');
    expect(collapse(['sweep', ...GRID, '-o', single]).code).toBe(0);
    const parts = [0, 1, 2].map((i) => path.join(TMP, `sweep-part-${i}`));
    parts.forEach((p, i) => expect(collapse(['sweep', ...GRID, '--shard', `${i}/3`, '-o', p]).code).toBe(0));
    const out = path.join(TMP, 'sweep-merged');
    const r = collapse(['merge', ...parts.reverse(), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(out, 'sweep.csv')).equals(fs.readFileSync(path.join(single, 'sweep.csv')))).toBe(true);
    const points = fs.readdirSync(path.join(single, 'points'));
    expect(points).toHaveLength(4);
    for (const h of points) sameResult(path.join(single, 'points', h), path.join(out, 'points', h));
  });

  it('refuses parts of different grids, naming the flag, and an incomplete set', () => {
    const other = path.join(TMP, 'sweep-other-1');
    expect(collapse(['sweep', '-n', '20,50', '-t', '10,30', '-e', '60', '--no-plot', '--shard', '1/3', '-o', other]).code).toBe(0);
    let r = collapse(['merge', path.join(TMP, 'sweep-part-0'), other, path.join(TMP, 'sweep-part-2'), '-o', path.join(TMP, 'sweep-bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/parts are of different sweeps: --samples is 20,40 in .* but 20,50 in /);
    r = collapse(['merge', path.join(TMP, 'sweep-part-0'), path.join(TMP, 'sweep-part-2'), '-o', path.join(TMP, 'sweep-bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing shard 1 of 3');
    expect(fs.existsSync(path.join(TMP, 'sweep-bad'))).toBe(false);
  });
});
