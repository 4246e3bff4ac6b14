/**
 * `npm run bench:linreg`: generation steps per second of the linear-regression family's kernel
 * against the numpy loop written the obvious way (np.linalg.lstsq per generation,
 * test/fixtures/linreg_peer.py), replace, n = 1000, d = 10 and 100, one thread each, in the same
 * session; prints the ratios and keeps the record in results/bench-linreg-<time>.json.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { packageRoot, provenance } from '../src/provenance.js';
import { writeFileAtomic } from '../src/results.js';
import { resolveRunSpec, type RawRunFlags } from '../src/spec.js';
import { recordCount } from '../src/plan.js';
import { runLinreg } from '../workers/families/linreg.js';

const PYTHON = process.env['PYTHON'] ?? 'python3';
const N = 1000;
/** Generations and experiments per side, sized to a few seconds each at d = 10 and d = 100. */
const CASES = [
  { d: 10, peer: { T: 500, E: 8 }, engine: { T: 2000, E: 20 } },
  { d: 100, peer: { T: 100, E: 4 }, engine: { T: 500, E: 8 } },
];

interface Row {
  d: number;
  method: string;
  engineStepsPerSecond: number;
  peerStepsPerSecond: number | null;
  ratio: number | null;
  check: number;
}

/** Kernel steps per second on this thread: E experiments of T generations, timed around the kernel alone. */
function engine(d: number, T: number, E: number, method: string): { stepsPerSecond: number; check: number } {
  const spec = resolveRunSpec({ model: 'linreg', dim: String(d), samples: String(N), generations: String(T), experiments: String(E), every: String(T), method } as RawRunFlags);
  const rows = recordCount(T, T);
  const out = { lnSd: new Float64Array(rows * E), mean: new Float64Array(rows * E), metrics: new Float64Array(2 * rows * E) };
  const t0 = process.hrtime.bigint();
  runLinreg(spec, 0, E, rows, out);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  // consume the results, so the work cannot be optimised away
  let check = 0;
  for (const v of out.metrics) check += v;
  return { stepsPerSecond: (T * E) / sec, check };
}

function peer(d: number, T: number, E: number): number | string {
  const script = path.join(packageRoot(), 'test', 'fixtures', 'linreg_peer.py');
  const r = spawnSync(PYTHON, [script, '--throughput', '-n', String(N), '-d', String(d), '-t', String(T), '-e', String(E)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (r.error !== undefined) return `${PYTHON}: ${r.error.message}`;
  if (r.status !== 0) return `peer exited ${r.status}: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return (JSON.parse(r.stdout.trim()) as { stepsPerSecond: number }).stepsPerSecond;
}

function main(): void {
  const notes: string[] = [];
  const rows: Row[] = [];
  const load = os.loadavg();
  const startedAt = new Date();
  console.log(`linreg: replace, n = ${N}, one thread each; load average ${load.map((x) => x.toFixed(1)).join(' ')}`);
  for (const c of CASES) {
    const p = peer(c.d, c.peer.T, c.peer.E);
    if (typeof p === 'string') notes.push(`d = ${c.d}: ${p}`);
    for (const method of ['resample', 'stats']) {
      engine(c.d, 5, 2, method); // warm the JIT
      const e = engine(c.d, c.engine.T, c.engine.E, method);
      const peerRate = typeof p === 'number' ? p : null;
      const ratio = peerRate === null ? null : e.stepsPerSecond / peerRate;
      rows.push({ d: c.d, method, engineStepsPerSecond: e.stepsPerSecond, peerStepsPerSecond: peerRate, ratio, check: e.check });
      console.log(
        `  d = ${String(c.d).padStart(3)}  ${method.padEnd(8)}  collapse ${e.stepsPerSecond.toFixed(0).padStart(8)} steps/s` +
          `  numpy lstsq ${peerRate === null ? 'n/a' : peerRate.toFixed(0).padStart(6)} steps/s  ratio ${ratio === null ? 'n/a' : ratio.toFixed(1)}x`,
      );
    }
  }
  for (const n of notes) console.log(`  ${n}`);
  const file = path.join(packageRoot(), 'results', `bench-linreg-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileAtomic(file, JSON.stringify({ schemaVersion: 1, kind: 'bench-linreg', samples: N, loadavg: load, rows, notes, provenance: provenance(1, startedAt, new Date()) }, null, 2) + '\n');
  console.log(`record: ${path.relative(process.cwd(), file)}`);
}

main();
