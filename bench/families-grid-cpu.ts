/**
 * The Collapse-or-Thrive grid's CPU cost per cell, on the calling thread: each cell's kernel run
 * once on one experiment (warm-up, discarded), then timed by process.cpuUsage on E experiments and
 * scaled to E = 100. CPU seconds, unlike wall time, hold on a machine shared with other jobs; their
 * sum over 2 is the grid's wall time on 2 idle cores, less the pool's overhead. Run after
 * `npm run build`: node dist/bench/families-grid-cpu.js [E, default 2]
 */
import runChunk from '../workers/task.js';
import { resolveRunSpec } from '../src/spec.js';

const E = Number(process.argv[2] ?? '2');
let total = 0;
for (const regime of ['replace', 'accumulate', 'accumulate-subsample']) {
  for (const dim of ['1', '3', '10', '31', '100']) {
    for (const n of ['10', '32', '100', '316', '1000']) {
      const method = regime === 'accumulate-subsample' ? 'resample' : 'stats';
      const { experiments: _, ...spec } = resolveRunSpec({ dim, samples: n, generations: '100', experiments: '100', every: '1', regime, method });
      runChunk({ spec, chunk: { index: 0, start: 0, count: 1 } });
      const c0 = process.cpuUsage();
      const out = runChunk({ spec, chunk: { index: 1, start: 1, count: E } });
      const u = process.cpuUsage(c0);
      const per100 = ((u.user + u.system) / 1e6) * (100 / E);
      total += per100;
      // a statistic of the result, so a broken run cannot pass for a fast one
      const w2 = out.metrics[out.metrics.length - 1]!;
      process.stdout.write(`${regime} d=${dim} n=${n}: ${per100.toFixed(2)} CPU s per 100 experiments (last w2sq ${w2.toPrecision(4)})\n`);
    }
  }
}
process.stdout.write(`grid: ${total.toFixed(1)} CPU s (E = ${E} per cell scaled to 100); on 2 idle cores about ${(total / 2).toFixed(1)} s\n`);
