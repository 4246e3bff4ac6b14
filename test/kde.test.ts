/**
 * The kde family: its data generators against their definitions (numerical integration in scipy,
 * then the engine's draws by z-score), its nll against scipy's logsumexp (down to tiny bandwidths),
 * the exact E[spread] recursion by z-score in every regime it covers, and its bad input.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSpec } from '../src/engine.js';
import { UsageError } from '../src/errors.js';
import { resolveRunSpec, type RawRunFlags } from '../src/spec.js';
import { allRows } from '../src/summary.js';
import { kdeNll } from '../workers/families/kde.js';
import { FastSource } from '../workers/sources.js';
import { DATA_NOISE, DATA_SETS, dataCode, dataDim, dataMoments, drawData } from '../workers/families/toydata.js';
import { Z_BOUND } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const CHECK = path.join(ROOT, 'test', 'fixtures', 'kde_gmm_check.py');

function python(req: unknown): unknown {
  const r = spawnSync(process.env['PYTHON'] ?? 'python3', [CHECK], { input: JSON.stringify(req), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python check failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function spec(flags: Record<string, string>) {
  return resolveRunSpec({ model: 'kde', seed: '3', ...flags } as RawRunFlags);
}

function draws(name: string, N: number, seed: number): Float64Array {
  const src = new FastSource();
  src.seed([seed, 7, 11, 13]);
  const out = new Float64Array(N * dataDim(name));
  drawData(dataCode(name), src, out, 0, N, 0, 1);
  return out;
}

describe('kde data sets against their definitions', () => {
  it('the closed-form moments equal numerical integration of the definitions (scipy quad)', () => {
    const ref = python({ check: 'moments' }) as Record<string, { mean: number[]; variance: number[] }>;
    for (const name of DATA_SETS) {
      const m = dataMoments(name);
      ref[name]!.mean.forEach((v, c) => expect(Math.abs(m.mean[c]! - v), `${name} mean ${c}`).toBeLessThan(1e-10 * (1 + Math.abs(v))));
      ref[name]!.variance.forEach((v, c) => expect(Math.abs(m.variance[c]! - v), `${name} variance ${c}`).toBeLessThan(1e-10 * v));
    }
  });

  it('the drawn points have those means and variances (z-scores, 2·10⁵ points per set)', () => {
    const N = 200_000;
    for (const name of DATA_SETS) {
      const d = dataDim(name);
      const x = draws(name, N, 1 + dataCode(name));
      const m = dataMoments(name);
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let i = 0; i < N; i++) s += x[i * d + c]!;
        const mean = s / N;
        let m2 = 0;
        let m4 = 0;
        for (let i = 0; i < N; i++) {
          const u = x[i * d + c]! - mean;
          m2 += u * u;
          m4 += u ** 4;
        }
        const v = m2 / (N - 1);
        const zMean = (mean - m.mean[c]!) / Math.sqrt(v / N);
        const zVar = (v - m.variance[c]!) / Math.sqrt((m4 / N - v * v) / N);
        expect(Math.abs(zMean), `${name} mean[${c}] z`).toBeLessThan(Z_BOUND);
        expect(Math.abs(zVar), `${name} variance[${c}] z`).toBeLessThan(Z_BOUND);
      }
    }
  });

  it('circles: half the points on each circle, and the noise level: E[r² − R²] = 2σ²', () => {
    const N = 200_000;
    const x = draws('circles', N, 99);
    let outer = 0;
    let s = 0;
    let ss = 0;
    for (let i = 0; i < N; i++) {
      const r2 = x[2 * i]! ** 2 + x[2 * i + 1]! ** 2;
      // 5σ from the midway radius: misassigned with probability below 1e-6
      const R = r2 > 0.75 * 0.75 ? 1 : 0.5;
      if (R === 1) outer++;
      const t = r2 - R * R;
      s += t;
      ss += t * t;
    }
    expect(Math.abs((outer / N - 0.5) / Math.sqrt(0.25 / N))).toBeLessThan(Z_BOUND);
    const mean = s / N;
    const sd = Math.sqrt((ss / N - mean * mean) / N);
    expect(Math.abs((mean - 2 * DATA_NOISE ** 2) / sd), `E[r² − R²] = ${mean}`).toBeLessThan(Z_BOUND);
  });
});

describe('kde nll', () => {
  it('equals scipy logsumexp at h = 0.5, 1e-3 and 1e-6 (where a plain sum of densities underflows)', () => {
    const train = draws('moons', 40, 5);
    const test = draws('moons', 25, 6);
    const rows = (a: Float64Array, N: number) => Array.from({ length: N }, (_, i) => [a[2 * i]!, a[2 * i + 1]!]);
    const hs = [0.5, 1e-3, 1e-6];
    const ref = python({ check: 'nll', train: rows(train, 40), test: rows(test, 25), h: hs }) as number[];
    hs.forEach((h, i) => {
      const got = kdeNll(test, 25, train, 40, 2, h, new Float64Array(40));
      expect(Number.isFinite(got), `h = ${h}`).toBe(true);
      expect(Math.abs(got - ref[i]!), `h = ${h}: ${got} vs ${ref[i]}`).toBeLessThan(1e-12 * Math.abs(ref[i]!));
    });
  });
});

describe('kde E[spread] recursion by z-score', () => {
  const cases: Record<string, string>[] = [
    { regime: 'replace', data: 'moons', bandwidth: '0.1', samples: '20', generations: '8', ddof: '0' },
    { regime: 'replace', data: 'circles', bandwidth: 'scott', samples: '15', generations: '6', ddof: '1', temperature: '1.2' },
    { regime: 'replace', data: 'swiss-roll', bandwidth: 'silverman', samples: '12', generations: '5', ddof: '0', temperature: '0.8' },
    { regime: 'accumulate', data: 'blobs', bandwidth: '0.5', samples: '10', generations: '5', ddof: '1' },
    { regime: 'accumulate', data: 'gaussian', bandwidth: 'scott', samples: '10', generations: '5', ddof: '0', temperature: '1.5' },
    { regime: 'fresh', fresh: '0.3', data: 'moons', bandwidth: '0.3', samples: '10', generations: '6', ddof: '0', mean0: '2', sd0: '1.5' },
    { regime: 'fresh', fresh: '0.4', data: 'circles', bandwidth: 'scott', samples: '10', generations: '6', ddof: '1' },
    { regime: 'augment', synthetic: '1.5', data: 'gaussian', bandwidth: '0.4', samples: '8', generations: '6', ddof: '0', temperature: '1.3' },
    { regime: 'augment', synthetic: '0.5', data: 'moons', bandwidth: 'silverman', samples: '10', generations: '5', ddof: '1' },
  ];
  for (const c of cases) {
    it(Object.entries(c).map(([k, v]) => `${k}=${v}`).join(' '), async () => {
      const out = await runSpec(spec({ ...c, experiments: '3000', every: '2' }), 2);
      const rows = allRows(out);
      for (const row of rows) {
        expect(row.metrics.theory['spread'], `g=${row.generation}`).not.toBeNull();
        const z = row.metrics.z['spread']!;
        expect(Math.abs(z), `g=${row.generation} spread ${row.metrics.stats['spread']!.mean} vs ${row.metrics.theory['spread']!.mean}: z = ${z}`).toBeLessThan(Z_BOUND);
      }
    });
  }

  it('accumulate-subsample has no theory, with the reason', async () => {
    const out = await runSpec(spec({ regime: 'accumulate-subsample', samples: '6', generations: '3', experiments: '20', bandwidth: '0.2' }), 1);
    const last = allRows(out).pop()!;
    expect(last.metrics.theory['spread']).toBeNull();
    expect(Number.isFinite(last.metrics.stats['spread']!.mean)).toBe(true);
  });
});

describe('kde bad input', () => {
  it('bandwidth ≤ 0, an unknown data set and --method stats are UsageErrors naming the flag', () => {
    for (const [flags, re] of [
      [{ bandwidth: '0' }, /--bandwidth/],
      [{ bandwidth: '-0.1' }, /--bandwidth/],
      [{ bandwidth: 'scot' }, /--bandwidth/],
      [{ data: 'spiral' }, /--data/],
      [{ method: 'stats' }, /--method/],
      [{ dim: '3' }, /--dim/],
    ] as const) {
      expect(() => spec(flags), JSON.stringify(flags)).toThrow(UsageError);
      expect(() => spec(flags)).toThrow(re);
    }
  });

  it('the CLI exits 2 with one line for --bandwidth 0', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--model', 'kde', '--bandwidth', '0', '-o', '/nonexistent/never'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--bandwidth/);
  });

  it('canonical bandwidth text: numbers as JavaScript prints them, the rules as words', () => {
    expect(spec({ bandwidth: '1e-1' }).modelParams['bandwidth']).toBe('0.1');
    expect(spec({ bandwidth: 'silverman' }).modelParams['bandwidth']).toBe('silverman');
  });
});

describe('samples.csv and its figure', () => {
  it('the same bytes on 1 and 2 workers, generations 1, T^(1/3), T^(2/3), T, and a samples figure', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const { executeRun } = await import('../src/execute.js');
    const { runFigures } = await import('../src/plot/run.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-kde-'));
    try {
      const s = spec({ data: 'swiss-roll', bandwidth: '0.5', samples: '30', generations: '8', experiments: '40', every: '4' });
      await executeRun(s, 1, path.join(dir, 'a'), 'test', 'none');
      await executeRun(s, 2, path.join(dir, 'b'), 'test', 'none');
      const a = fs.readFileSync(path.join(dir, 'a', 'samples.csv'), 'utf8');
      expect(fs.readFileSync(path.join(dir, 'b', 'samples.csv'), 'utf8')).toBe(a);
      const lines = a.trim().split('\n');
      expect(lines[0]).toBe('generation,x,y,z');
      expect([...new Set(lines.slice(1).map((l) => l.split(',')[0]))]).toEqual(['1', '2', '4', '8']);
      expect(lines).toHaveLength(1 + 4 * 30);
      expect(runFigures(path.join(dir, 'a'), 500).map((f) => f.name)).toEqual(['metric-nll', 'metric-spread', 'samples']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
