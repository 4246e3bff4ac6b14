/**
 * The Collapse-or-Thrive grid on the Gaussian family: d ∈ {1, 3, 10, 31, 100} × n ∈ {10, 32, 100,
 * 316, 1000} × {replace, accumulate, accumulate-subsample}, T = 100, E = 100 (stats where it
 * applies), each cell timed on the pool. Run after `npm run build`:
 *   node dist/bench/families-grid.js
 * BENCH_DIMS and BENCH_SAMPLES (comma lists) narrow the grid; BENCH_EVERY sets --every (default 1,
 * every generation recorded, as the grid's figures need).
 */
import { runSpec } from '../src/engine.js';
import { resolveRunSpec } from '../src/spec.js';

const dims = (process.env['BENCH_DIMS'] ?? '1,3,10,31,100').split(',');
const samples = (process.env['BENCH_SAMPLES'] ?? '10,32,100,316,1000').split(',');
const every = process.env['BENCH_EVERY'] ?? '1';
const workers = Number(process.env['BENCH_WORKERS'] ?? '2');

let total = 0;
for (const dim of dims) {
  for (const n of samples) {
    for (const regime of ['replace', 'accumulate', 'accumulate-subsample']) {
      const method = regime === 'accumulate-subsample' ? 'resample' : 'stats';
      const spec = resolveRunSpec({ dim, samples: n, generations: '100', experiments: '100', every, regime, method });
      const t0 = process.hrtime.bigint();
      const out = await runSpec(spec, workers);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      total += s;
      // a statistic of the result, so a broken run cannot pass for a fast one
      const tr = out.metrics[1]![out.rows - 1]!.reduce((a, v) => a + v, 0) / spec.experiments;
      process.stdout.write(`d=${dim} n=${n} ${regime} (${method}): ${s.toFixed(3)} s, mean traceRatio ${tr.toPrecision(4)}\n`);
    }
  }
}
process.stdout.write(`grid total: ${total.toFixed(1)} s on ${workers} workers\n`);
