/** The d-dimensional Gaussian engine against an independent numpy peer (test/fixtures/gaussian_dim_peer.py) in the regimes with no closed form, by two-sample z-scores per metric and generation. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Z_BOUND } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
/** COLLAPSE_CLI points the test at another build (e.g. a branch checked out elsewhere). */
const CLI = process.env['COLLAPSE_CLI'] ?? path.join(ROOT, 'dist', 'src', 'cli.js');
const PEER = path.join(ROOT, 'test', 'fixtures', 'gaussian_dim_peer.py');
const PYTHON = process.env['PYTHON'] ?? 'python3';


/** Metric name in summary.json → its column stem in trajectory.csv. */
const METRICS = {
  meanSqErr: 'mean_sq_err',
  traceRatio: 'trace_ratio',
  log10DetRatio: 'log10_det_ratio',
  w2sq: 'w2sq',
} as const;
type Metric = keyof typeof METRICS;

interface Case {
  regime: string;
  ddof: number;
  temperature: number;
  fresh?: number;
  synthetic?: number;
}

const D = 3;
const N = 10; // λ = 0.25 gives round(2.5) = 3 draws: the half rounds up, as Math.round does
const T = 4;
/** The peer is the slow side (a Python loop per experiment); the engine takes 5x more to shrink its share of the error. */
const E_PEER = 800;
const E_ENGINE = 4000;

const CASES: Case[] = [
  { regime: 'accumulate', ddof: 1, temperature: 0.8 },
  { regime: 'accumulate-subsample', ddof: 0, temperature: 1.25 },
  { regime: 'fresh', ddof: 0, temperature: 1, fresh: 0.25 },
  { regime: 'augment', ddof: 1, temperature: 1.25, synthetic: 0.25 },
];

interface Moments {
  mean: number[];
  se: number[];
}
type Table = Record<Metric, Moments>;

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

async function peer(): Promise<Table[]> {
  const cases = CASES.map((c) => ({ ...c, fresh: c.fresh ?? 0, synthetic: c.synthetic ?? 0 }));
  const out = await run(PYTHON, [PEER, '--dim', String(D), '-n', String(N), '-t', String(T), '-e', String(E_PEER), '--seed', '7', '--cases', JSON.stringify(cases)]);
  return (JSON.parse(out) as { metrics: Table }[]).map((r) => r.metrics);
}

async function engine(c: Case, dir: string): Promise<Table> {
  const args = [CLI, 'run', '--model', 'gaussian', '--dim', String(D), '-n', String(N), '-t', String(T), '-e', String(E_ENGINE)];
  args.push('--regime', c.regime, '--ddof', String(c.ddof), '--temperature', String(c.temperature), '--every', '1');
  if (c.fresh !== undefined) args.push('--fresh', String(c.fresh));
  if (c.synthetic !== undefined) args.push('--synthetic', String(c.synthetic));
  args.push('--seed', '7', '-w', '1', '--no-plot', '--json', '-o', dir);
  await run(process.execPath, args);
  const [head, ...rows] = fs.readFileSync(path.join(dir, 'trajectory.csv'), 'utf8').trim().split('\n');
  const cols = head!.split(',');
  const cells = rows.map((r) => r.split(','));
  const col = (name: string): number[] => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`trajectory.csv has no column ${name}`);
    return cells.map((r) => Number(r[i]));
  };
  expect(col('generation')).toEqual([1, 2, 3, 4]);
  const table = {} as Table;
  for (const [m, stem] of Object.entries(METRICS) as [Metric, string][]) {
    table[m] = { mean: col(`${stem}_mean`), se: col(`${stem}_sd`).map((s) => s / Math.sqrt(E_ENGINE)) };
  }
  return table;
}

describe('d-dim Gaussian against the numpy peer (d = 3, n = 10, T = 4)', () => {
  it('each metric mean per generation agrees by two-sample z in accumulate, accumulate-subsample, fresh and augment', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-dim-peer-'));
    try {
      const [ref, ...ours] = await Promise.all([peer(), ...CASES.map((c, i) => engine(c, path.join(tmp, String(i))))]);
      const bad: string[] = [];
      CASES.forEach((c, i) => {
        for (const m of Object.keys(METRICS) as Metric[]) {
          for (let g = 0; g < T; g++) {
            const a = ours[i]![m];
            const b = ref![i]![m];
            const z = (a.mean[g]! - b.mean[g]!) / Math.hypot(a.se[g]!, b.se[g]!);
            if (!(Math.abs(z) < Z_BOUND)) bad.push(`${c.regime} ${m} generation ${g + 1}: engine ${a.mean[g]} peer ${b.mean[g]} z = ${z.toFixed(2)}`);
          }
        }
      });
      expect(bad).toEqual([]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  it('the peer matches the closed forms of replace (traceRatio, meanSqErr, log10DetRatio)', async () => {
    const out = await run(PYTHON, [PEER, '--check-replace', '--dim', String(D), '-n', String(N), '-t', '3', '-e', '1500', '--ddof', '1', '--temperature', '0.8', '--seed', '3']);
    const z = (JSON.parse(out) as { z: Record<string, number[]> }).z;
    for (const [m, zs] of Object.entries(z)) for (const v of zs) expect(Math.abs(v), m).toBeLessThan(Z_BOUND);
  }, 60_000);
});
