/**
 * `npm run bench:categorical`: generation steps per second of the categorical family's kernel at
 * K = 10⁴, n = 10⁴ (replace, one thread, metrics recorded every generation) against a numpy peer
 * of the same loop (bench/categorical_peer.py: Generator.multinomial and the same five metrics),
 * for a uniform and a Zipf start. Prints the ratio; no timed assertion anywhere.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/provenance.js';
import { resolveRunSpec, type RawRunFlags } from '../src/spec.js';
import { kernelSpecOf } from '../src/engine.js';
import { runCategorical, CATEGORICAL_METRICS } from '../workers/families/categorical.js';

const PYTHON = process.env['PYTHON'] ?? 'python3';
const K = Number(process.env['BENCH_CAT_K'] ?? 10_000);
const N = Number(process.env['BENCH_CAT_N'] ?? 10_000);
const T = Number(process.env['BENCH_CAT_T'] ?? 200);
const E = Number(process.env['BENCH_CAT_E'] ?? 4);

/** Steps per second of the kernel on this thread (best of three), and a checksum of its metrics. */
function engine(dist: string): { stepsPerSecond: number; check: number } {
  const spec = resolveRunSpec({ model: 'categorical', categories: String(K), dist, samples: String(N), generations: String(T), experiments: String(E), every: '1', seed: '1' } as RawRunFlags);
  const ks = kernelSpecOf(spec);
  const rows = T;
  const out = { lnSd: new Float64Array(rows * E), mean: new Float64Array(rows * E), metrics: new Float64Array(CATEGORICAL_METRICS.length * rows * E) };
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = process.hrtime.bigint();
    runCategorical(ks, 0, E, rows, out);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  let check = 0;
  for (let i = 0; i < 5 * rows * E; i++) check += out.metrics[i]!;
  return { stepsPerSecond: (E * T) / best, check: check / (rows * E) };
}

function peer(dist: string): { stepsPerSecond: number; check: number; numpy: string } | string {
  const r = spawnSync(PYTHON, [path.join(packageRoot(), 'bench', 'categorical_peer.py'), String(K), String(N), String(T), String(E), dist, '1'], { encoding: 'utf8' });
  if (r.error !== undefined) return r.error.message;
  if (r.status !== 0) return r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`;
  return JSON.parse(r.stdout) as { stepsPerSecond: number; check: number; numpy: string };
}

console.log(`categorical, replace, K = ${K}, n = ${N}, T = ${T}, E = ${E}, one thread, metrics every generation; load ${os.loadavg()[0]!.toFixed(2)}`);
for (const dist of ['uniform', 'zipf:1.1']) {
  const a = engine(dist);
  const b = peer(dist);
  if (typeof b === 'string') {
    console.log(`  ${dist}: collapse ${a.stepsPerSecond.toFixed(0)} steps/s; numpy peer unavailable (${b})`);
    continue;
  }
  console.log(
    `  ${dist}: collapse ${a.stepsPerSecond.toFixed(0)} steps/s, numpy ${b.numpy} ${b.stepsPerSecond.toFixed(0)} steps/s, ` +
      `ratio ${(a.stepsPerSecond / b.stepsPerSecond).toFixed(2)}x (mean metric sums ${a.check.toFixed(2)} vs ${b.check.toFixed(2)})`,
  );
}
