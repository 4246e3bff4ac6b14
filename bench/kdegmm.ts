/**
 * The kde and gmm families against their numpy peers (bench/kde_gmm_peer.py: a KDE by logsumexp,
 * EM in numpy), replace regime: generation steps per second (E·T / wall seconds) of each, and the
 * engine's ratio, on 1 and 2 worker threads. Both are timed in-process (the peer by perf_counter
 * around its loop, the engine around runSpec, pool start included), so neither pays its start-up.
 * Run: npm run build && node dist/bench/kdegmm.js
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { runSpec } from '../src/engine.js';
import { packageRoot } from '../src/provenance.js';
import { resolveRunSpec, type RawRunFlags } from '../src/spec.js';

const PYTHON = process.env['PYTHON'] ?? 'python3';
const E = Number(process.env['BENCH_KDEGMM_EXPERIMENTS'] ?? '16');

interface Workload {
  name: string;
  peer: string[];
  engine: Record<string, string>;
  generations: number;
}

const WORKLOADS: Workload[] = [
  {
    name: 'kde moons, h = 0.1, n = 200, T = 50, nll every 10',
    peer: ['--model', 'kde', '--bandwidth', '0.1', '-n', '200', '-t', '50', '--every', '10'],
    engine: { model: 'kde', data: 'moons', bandwidth: '0.1', samples: '200', generations: '50', every: '10' },
    generations: 50,
  },
  {
    name: 'gmm k = 2, k0 = 2, n = 200, T = 20, metrics every 5',
    peer: ['--model', 'gmm', '--components', '2', '--components0', '2', '-n', '200', '-t', '20', '--every', '5'],
    engine: { model: 'gmm', components: '2', components0: '2', samples: '200', generations: '20', every: '5' },
    generations: 20,
  },
];

function wall(cmd: string, args: string[]): { seconds: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.slice(0, 4).join(' ')} exited ${r.status}: ${r.stderr}`);
  return { seconds, stdout: r.stdout };
}

async function main(): Promise<void> {
  const peerScript = path.join(packageRoot(), 'bench', 'kde_gmm_peer.py');
  console.log(`kde/gmm vs numpy, E = ${E}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
  for (const w of WORKLOADS) {
    const peer = JSON.parse(wall(PYTHON, [peerScript, ...w.peer, '-e', String(E)]).stdout) as { stepsPerSecond: number };
    const line = [`${w.name}: numpy ${peer.stepsPerSecond.toFixed(1)} steps/s`];
    const spec = resolveRunSpec({ ...w.engine, experiments: String(E) } as RawRunFlags);
    for (const workers of [1, 2]) {
      const t0 = process.hrtime.bigint();
      const out = await runSpec(spec, workers);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (!(out.metrics[0]![out.rows - 1]![0]! > -Infinity)) throw new Error('no result');
      const steps = (E * w.generations) / seconds;
      line.push(`collapse -w ${workers} ${steps.toFixed(1)} steps/s (${(steps / peer.stepsPerSecond).toFixed(2)}x)`);
    }
    console.log(line.join('; '));
  }
}

await main();
