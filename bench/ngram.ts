/**
 * The n-gram family against numpy: tokens per second of the replace loop (generate N tokens
 * sentence by sentence, refit) at orders 1–3 on Moby-Dick, the engine's kernel on one thread
 * against bench/ngram_peer.py (vectorised per-context sampling) in the same run, and the target
 * run — 100 experiments × 100 generations of the bigram model on Moby-Dick on 2 workers — measured
 * on a smaller E and extrapolated (experiments are independent, so the time is linear in E).
 *
 *   npm run build && node dist/bench/ngram.js         # BENCH_NGRAM_T, BENCH_NGRAM_E shrink it
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/provenance.js';
import { resolveRunSpec } from '../src/spec.js';
import { runSpec } from '../src/engine.js';
import { loadCorpus } from '../workers/families/ngram-corpus.js';
import { runNgram } from '../workers/families/ngram.js';

const PYTHON = process.env['PYTHON'] ?? 'python3';
const T = Number(process.env['BENCH_NGRAM_T'] ?? '11');
const TARGET_E_MEASURED = Number(process.env['BENCH_NGRAM_E'] ?? '4');

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function engineRate(order: number): { wall: number; cpu: number } {
  const spec = resolveRunSpec({ model: 'ngram', order: String(order), generations: String(T), experiments: '1', every: String(T) });
  const N = Number(spec.modelParams['tokens']);
  const out = () => ({ lnSd: new Float64Array(1), mean: new Float64Array(1), metrics: new Float64Array(6) });
  runNgram({ ...spec, generations: 3, every: 3 }, 0, 1, 1, out()); // parse and warm up
  const t0 = process.hrtime.bigint();
  const c0 = cpuSeconds();
  runNgram(spec, 1, 1, 1, out());
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds() - c0;
  return { wall: ((T - 1) * N) / wall, cpu: ((T - 1) * N) / cpu };
}

async function main(): Promise<void> {
  const log = (s: string) => process.stdout.write(s + '\n');
  const corpus = loadCorpus('moby-dick');
  const N = corpus.train.length;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ngram-bench-')), 'train.bin');
  fs.writeFileSync(file, Buffer.from(corpus.train.buffer, corpus.train.byteOffset, corpus.train.byteLength));
  log(`Moby-Dick: N = ${N} tokens per generation, T = ${T} (${T - 1} generate-and-refit steps), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  log('order  engine M tok/s (wall, cpu)  numpy M tok/s (wall, cpu)  ratio (wall, cpu)');
  for (const order of [1, 2, 3]) {
    const e = engineRate(order);
    const r = spawnSync(PYTHON, [path.join(packageRoot(), 'bench', 'ngram_peer.py'), file, String(order), String(N), String(T)], { encoding: 'utf8' });
    let peer = { tokens_per_second: NaN, tokens_per_cpu_second: NaN };
    if (r.status === 0) peer = JSON.parse(r.stdout) as typeof peer;
    else log(`numpy peer failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    const m = (x: number) => (x / 1e6).toFixed(2);
    log(
      `${order}      ${m(e.wall)}, ${m(e.cpu)}                  ${m(peer.tokens_per_second)}, ${m(peer.tokens_per_cpu_second)}                ` +
        `${(e.wall / peer.tokens_per_second).toFixed(1)}x, ${(e.cpu / peer.tokens_per_cpu_second).toFixed(1)}x`,
    );
  }
  // the target: 100 × 100 bigram on 2 workers, every generation recorded (all six metrics). Timed
  // in this process (runSpec on a pool of 2): process.cpuUsage counts every thread, so the CPU
  // seconds say what an idle 2-core machine would take (cpu / 2) when the machine is shared
  const spec = resolveRunSpec({ model: 'ngram', generations: '100', experiments: String(TARGET_E_MEASURED) });
  await runSpec({ ...spec, experiments: 2, generations: 2 }, 2); // start the pool's threads and parse in them
  const t0 = process.hrtime.bigint();
  const c0 = cpuSeconds();
  await runSpec(spec, 2);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds() - c0;
  const perE = { wall: wall / TARGET_E_MEASURED, cpu: cpu / TARGET_E_MEASURED };
  log(
    `target: bigram on Moby-Dick, -t 100 -e ${TARGET_E_MEASURED} on 2 workers: ${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU (every generation's six metrics included); ` +
      `-e 100 extrapolates to ${((perE.wall * 100) / 60).toFixed(1)} min wall at this load (${os.loadavg()[0]!.toFixed(1)}), ` +
      `${((perE.cpu * 100) / 2 / 60).toFixed(1)} min on 2 idle cores (CPU / 2); target 5 min`,
  );
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

await main();
