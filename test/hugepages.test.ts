/**
 * The huge-page relaunch (src/hugepages.ts): when it applies, that a relaunched run gives the same
 * bytes as one that was not, that the child's exit status and an interruption pass through, and
 * that summary.json says which ran.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hasHugetlbTunable, RELAUNCH_ABOVE, wantsRelaunch } from '../src/hugepages.js';
import { estimateBytes, storeBytes } from '../src/engine.js';
import { resolveRunSpec } from '../src/spec.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-hugepages-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** This process's glibc, where the relaunch can apply at all. */
const GLIBC = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
const APPLIES = process.platform === 'linux' && GLIBC !== undefined && hasHugetlbTunable(GLIBC);

function collapse(args: string[], env: Record<string, string> = {}) {
  const clean = { ...process.env };
  delete clean['GLIBC_TUNABLES'];
  delete clean['COLLAPSE_RELAUNCHED'];
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: TMP, encoding: 'utf8', timeout: 120_000, env: { ...clean, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A run whose recorded values (2 planes of E·T doubles, engine.ts storeBytes) are above RELAUNCH_ABOVE. */
const BIG = ['run', '--method', 'stats', '-e', '20000', '-t', '1000', '--no-plot', '-w', '2'];

describe('wantsRelaunch', () => {
  it('asks only above the threshold, on a glibc with the tunable, when not turned off, set or done already', () => {
    expect(hasHugetlbTunable('2.34')).toBe(false);
    expect(hasHugetlbTunable('2.35')).toBe(true);
    expect(hasHugetlbTunable('2.40')).toBe(true);
    expect(hasHugetlbTunable('3.0')).toBe(true);
    expect(wantsRelaunch(RELAUNCH_ABOVE - 1, {})).toBe(false);
    expect(wantsRelaunch(RELAUNCH_ABOVE, {})).toBe(APPLIES);
    expect(wantsRelaunch(RELAUNCH_ABOVE, { COLLAPSE_HUGEPAGES: '0' })).toBe(false);
    expect(wantsRelaunch(RELAUNCH_ABOVE, { COLLAPSE_RELAUNCHED: '1' })).toBe(false);
    expect(wantsRelaunch(RELAUNCH_ABOVE, { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })).toBe(false);
  });

  it('is asked with the store of recorded values, not the whole memory estimate', () => {
    // T = 100, E = 10^5, stats: a 154 MiB store (2 planes of E·T doubles and three of E) in an
    // estimate of about 400 MiB (finals.csv's text, buffers): a second start-up there cost more than
    // huge pages saved (2.21 s against 2.05 s)
    const mid = resolveRunSpec({ samples: '1000', generations: '100', experiments: '100000', method: 'stats' });
    expect(storeBytes(mid)).toBe(100_000 * 100 * 8 * 2 + 100_000 * 8 * 3);
    expect(storeBytes(mid)).toBeLessThan(RELAUNCH_ABOVE);
    expect(estimateBytes(mid, 2)).toBeGreaterThan(RELAUNCH_ABOVE);
    const big = resolveRunSpec({ samples: '1000', generations: '1000', experiments: '20000', method: 'stats' });
    expect(storeBytes(big)).toBeGreaterThanOrEqual(RELAUNCH_ABOVE);
  });
});

describe.skipIf(!APPLIES)('a run whose store is below the threshold', () => {
  it('is not started again, whatever its whole estimate', () => {
    const r = collapse(['run', '--method', 'stats', '-e', '100000', '-t', '100', '--no-plot', '-w', '2', '-o', 'mid']);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(TMP, 'mid', 'summary.json'), 'utf8')).provenance.hugePages).toBe(false);
  });
});

describe.skipIf(!APPLIES)('a relaunched run', () => {
  it('gives the bytes of a run without huge pages and says which ran in its provenance', () => {
    expect(collapse([...BIG, '-o', 'on']).code).toBe(0);
    expect(collapse([...BIG, '-o', 'off'], { COLLAPSE_HUGEPAGES: '0' }).code).toBe(0);
    for (const f of ['trajectory.csv', 'finals.csv']) {
      expect(fs.readFileSync(path.join(TMP, 'on', f)).equals(fs.readFileSync(path.join(TMP, 'off', f)))).toBe(true);
    }
    const prov = (d: string) => JSON.parse(fs.readFileSync(path.join(TMP, d, 'summary.json'), 'utf8')).provenance.hugePages;
    expect(prov('on')).toBe(true);
    expect(prov('off')).toBe(false);
  });

  it('relaunches a sweep whose largest point is large, with the bytes of one that is not', () => {
    const SWEEP = ['sweep', '--method', 'stats', '-e', '20000', '-t', '1000', '--seed', '1,2', '--no-plot', '-w', '2'];
    expect(collapse([...SWEEP, '-o', 'sw-on']).code).toBe(0);
    expect(collapse([...SWEEP, '-o', 'sw-off'], { COLLAPSE_HUGEPAGES: '0' }).code).toBe(0);
    const sweepJson = (d: string) => JSON.parse(fs.readFileSync(path.join(TMP, d, 'sweep.json'), 'utf8'));
    expect(sweepJson('sw-on').provenance.hugePages).toBe(true);
    expect(sweepJson('sw-off').provenance.hugePages).toBe(false);
    expect(fs.readFileSync(path.join(TMP, 'sw-on', 'sweep.csv')).equals(fs.readFileSync(path.join(TMP, 'sw-off', 'sweep.csv')))).toBe(true);
  });

  it('relaunches a merge of a large run’s parts, with the bytes of one that is not', () => {
    for (const i of [0, 1]) expect(collapse([...BIG, '--shard', `${i}/2`, '-o', `part-${i}`], { COLLAPSE_HUGEPAGES: '0' }).code).toBe(0);
    expect(collapse(['merge', 'part-0', 'part-1', '--no-plot', '-o', 'm-on']).code).toBe(0);
    expect(collapse(['merge', 'part-0', 'part-1', '--no-plot', '-o', 'm-off'], { COLLAPSE_HUGEPAGES: '0' }).code).toBe(0);
    const prov = (d: string) => JSON.parse(fs.readFileSync(path.join(TMP, d, 'summary.json'), 'utf8')).provenance.hugePages;
    expect(prov('m-on')).toBe(true);
    expect(prov('m-off')).toBe(false);
    for (const f of ['trajectory.csv', 'finals.csv']) {
      expect(fs.readFileSync(path.join(TMP, 'm-on', f)).equals(fs.readFileSync(path.join(TMP, 'm-off', f))), f).toBe(true);
    }
  });

  it('passes on the exit status and the one line of a refusal found after the relaunch', () => {
    fs.writeFileSync(path.join(TMP, 'a-file'), 'x');
    const r = collapse([...BIG, '-o', 'a-file/out']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^collapse: .*--out/);
  });

  it('passes Ctrl-C sent to the first process on to the run, which ends with 130 and writes nothing', async () => {
    const child = spawn(process.execPath, [CLI, ...BIG, '-o', 'int'], { cwd: TMP, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // the relaunched run has claimed its directory once something of it is there (a lock, a
    // temporary directory)
    while (!fs.readdirSync(TMP).some((n) => /^\.?int\b/.test(n))) {
      if (child.exitCode !== null) throw new Error(`the run ended early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toMatch(/interrupted/);
    expect(fs.existsSync(path.join(TMP, 'int', 'summary.json'))).toBe(false);
    expect(fs.readdirSync(TMP).filter((n) => /^\.?int\b/.test(n))).toEqual([]);
  });
});
