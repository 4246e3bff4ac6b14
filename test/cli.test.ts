/**
 * The command line end to end, as a user runs it: exit codes and one-line messages for bad input,
 * no result directory on failure, byte-identical files for any worker count, --json, --help, the
 * memory check and a worker failure that names its chunk and seed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-cli-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function collapse(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: TMP,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SMALL = ['-n', '20', '-t', '30', '-e', '50'];

describe('usage errors: exit 2, one line naming the flag, the rule and the value', () => {
  const cases: [string[], string, string][] = [
    [['-n', '1'], '--samples', '"1"'],
    [['-n', '1', '--ddof', '1'], '--samples', '"1"'],
    [['-n', 'abc'], '--samples', '"abc"'],
    [['-n', '10.5'], '--samples', '"10.5"'],
    [['-n', '-5'], '--samples', '"-5"'],
    [['-n', 'NaN'], '--samples', '"NaN"'],
    [['-t', 'Infinity'], '--generations', '"Infinity"'],
    [['-t', '0'], '--generations', '"0"'],
    [['-e', '9007199254740993'], '--experiments', '"9007199254740993"'],
    [['-e', '1e300'], '--experiments', '"1e300"'],
    [['--ddof', '2'], '--ddof', '"2"'],
    [['--sd0', '0'], '--sd0', '"0"'],
    [['--sd0', '-1'], '--sd0', '"-1"'],
    [['--mean0', 'x'], '--mean0', '"x"'],
    [['--seed', '-1'], '--seed', '"-1"'],
    [['--seed', '0x10'], '--seed', '"0x10"'],
    [['--every', '0'], '--every', '"0"'],
    [['-w', '0'], '--workers', '"0"'],
    [['--rng', 'mt'], '--rng', '"mt"'],
    [['-n', '5', '-n', '6'], '--samples', '"5", "6"'],
    [['--bogus', '1'], 'Unknown argument', 'bogus'],
    [['--regime', 'mixed'], '--regime', '"mixed"'],
    [['--fresh', '0.5'], '--fresh', 'replace'],
    [['--regime', 'fresh'], '--fresh', 'fresh'],
    [['--regime', 'fresh', '--fresh', '1.5'], '--fresh', '"1.5"'],
    [['--regime', 'fresh', '--fresh', '-0.1'], '--fresh', '"-0.1"'],
    [['--synthetic', '1'], '--synthetic', 'replace'],
    [['--regime', 'augment', '--synthetic', '-1'], '--synthetic', '"-1"'],
    [['--temperature', '0'], '--temperature', '"0"'],
    [['--temperature', 'hot'], '--temperature', '"hot"'],
    [['--method', 'exact'], '--method', '"exact"'],
    [['--method', 'stats', '--regime', 'accumulate-subsample'], '--method stats', 'accumulate-subsample'],
    [['--epsilon', '-1'], '--epsilon', '"-1"'],
  ];
  for (const [args, flag, value] of cases) {
    it(`collapse run ${args.join(' ')}`, () => {
      const out = path.join(TMP, `bad-${args.join('_').replace(/[^\w.-]/g, '')}`);
      const r = collapse(['run', ...args, '-o', out]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(flag);
      expect(lines[0]).toContain(value);
      expect(lines[0]).not.toMatch(/\bat .*\.js:\d+/); // no stack
      expect(fs.existsSync(out)).toBe(false);
    });
  }

  it('an unknown command exits 2', () => {
    const r = collapse(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('frobnicate');
  });

  it('no command exits 2', () => {
    expect(collapse([]).code).toBe(2);
  });

  it('a recorded trajectory too large for memory is refused up front with the estimate and a way out', () => {
    const out = path.join(TMP, 'huge');
    const r = collapse(['run', '-n', '10', '-t', '10000000', '-e', '1000000', '--every', '1', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--every 1 records 10000000 generations of 1000000 experiments, which needs about [\d.]+ [GT]iB/);
    expect(r.stderr).toMatch(/use --every \d+ or more/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('accumulate-subsample refuses up front a pool that would not fit in memory', () => {
    const out = path.join(TMP, 'pool');
    const r = collapse(['run', '--regime', 'accumulate-subsample', '-n', '100000', '-t', '1000000', '-e', '2', '--every', '1000000', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/accumulate-subsample keeps n·T = 100000000000 values per experiment in flight/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('an --out that is a non-empty foreign directory is refused', () => {
    const out = path.join(TMP, 'foreign');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    const r = collapse(['run', ...SMALL, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out');
    expect(fs.readdirSync(out)).toEqual(['notes.txt']);
  });
});

describe('runs', () => {
  it('--help on the command lists every flag', () => {
    const r = collapse(['run', '--help']);
    expect(r.code).toBe(0);
    for (const f of ['--samples', '--generations', '--experiments', '--ddof', '--mean0', '--sd0', '--seed', '--workers', '--every', '--out', '--json', '--rng']) {
      expect(r.stdout).toContain(f);
    }
  });

  it('writes byte-identical trajectory and finals, and the same summary, for -w 1 and -w 2', () => {
    const a = path.join(TMP, 'w1');
    const b = path.join(TMP, 'w2');
    // 6e6 draws: enough work to run on the pool rather than the calling thread
    const POOLED = ['-n', '200', '-t', '30', '-e', '1000'];
    expect(collapse(['run', ...POOLED, '--every', '3', '-w', '1', '-o', a]).code).toBe(0);
    expect(collapse(['run', ...POOLED, '--every', '3', '-w', '2', '-o', b]).code).toBe(0);
    for (const f of ['trajectory.csv', 'finals.csv']) {
      expect(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f)))).toBe(true);
    }
    const strip = (p: string) => {
      const d = JSON.parse(fs.readFileSync(path.join(p, 'summary.json'), 'utf8'));
      delete d.timing;
      delete d.provenance;
      delete d.params.workers;
      return JSON.stringify(d);
    };
    expect(strip(a)).toBe(strip(b));
    const traj = fs.readFileSync(path.join(a, 'trajectory.csv'), 'utf8').trimEnd().split('\n');
    expect(traj).toHaveLength(1 + 10); // generations 3, 6, …, 30
    const finals = fs.readFileSync(path.join(a, 'finals.csv'), 'utf8').trimEnd().split('\n');
    expect(finals[0]).toBe('experiment,mean,sd,log10_sd,mean_sq_err,trace_ratio,log10_det_ratio,w2sq');
    expect(finals).toHaveLength(1001);
  });

  it('--json prints only the summary document, with the keys scripts rely on', () => {
    const out = path.join(TMP, 'json');
    const r = collapse(['run', ...SMALL, '--json', '-o', out]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.schemaVersion).toBe(2);
    for (const k of ['samples', 'generations', 'experiments', 'ddof', 'mean0', 'sd0', 'seed', 'workers', 'rng', 'model', 'dim']) expect(d.params).toHaveProperty(k);
    for (const m of ['meanSqErr', 'traceRatio', 'log10DetRatio', 'w2sq']) for (const k of ['mean', 'sd', 'p50']) expect(typeof d.final[m][k]).toBe('number');
    for (const k of ['mean', 'sd', 'min', 'max', 'p05', 'p50', 'p95']) expect(typeof d.final.sd[k]).toBe('number');
    expect(typeof d.final.log10Sd.mean).toBe('number');
    expect(typeof d.final.mean.var).toBe('number');
    expect(typeof d.theory.sd.mean).toBe('number');
    expect(typeof d.theory.log10Sd.sd).toBe('number');
    expect(typeof d.theory.mean.var).toBe('number');
    expect(d.timing.wallSeconds).toBeGreaterThan(0);
    for (const k of ['version', 'gitCommit', 'node', 'cpu', 'threads', 'startedAt', 'finishedAt']) expect(d.provenance).toHaveProperty(k);
    expect(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).toBe(r.stdout);
  });

  it('prints a table beside theory and says where the results are', () => {
    const out = path.join(TMP, 'table');
    const r = collapse(['run', ...SMALL, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('theory');
    expect(r.stdout).toContain('log10 sd: mean');
    expect(r.stdout).toContain(out);
    expect(r.stderr).toBe(''); // no progress bar when stderr is not a terminal
  });

  it('re-running into a previous result replaces it (another spec only with --force)', () => {
    const out = path.join(TMP, 'again');
    expect(collapse(['run', ...SMALL, '-o', out]).code).toBe(0);
    expect(collapse(['run', ...SMALL, '-o', out]).code).toBe(0);
    expect(collapse(['run', ...SMALL, '--seed', '2', '-o', out]).code).toBe(2);
    expect(collapse(['run', ...SMALL, '--seed', '2', '--force', '-o', out]).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).params.seed).toBe(2);
    expect(fs.readdirSync(TMP).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([]);
  });

  it('a worker failure exits 1 naming the chunk and seed that reproduce it, and writes nothing', () => {
    const out = path.join(TMP, 'fault');
    const r = collapse(['run', '-n', '200', '-t', '30', '-e', '1000', '--seed', '77', '-o', out], { COLLAPSE_FAULT_CHUNK: '3' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/chunk 3 \(experiments \d+\.\.\d+\) failed with seed 77: injected fault.*; reproduce with: collapse run .*--seed 77/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(fs.existsSync(out)).toBe(false);
  });
});
