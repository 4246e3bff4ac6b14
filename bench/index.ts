/** `npm run bench`: kernel, scaling and numpy-peer figures from one session, printed and kept as a provenance-stamped JSON record. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot, provenance } from '../src/provenance.js';
import { writeFileAtomic } from '../src/results.js';
import { benchKernel, formatKernel } from './kernel.js';
import { benchExperiments, benchScaling, formatScaling, workerCounts } from './scaling.js';
import { benchMethods, formatMethods } from './methods.js';
import { benchNative, buildNative, formatNative, type NativeFigures } from './native.js';
import { benchFamilies } from './families.js';

/** What numpy_peer.py prints. */
interface PeerRun {
  impl: string;
  numpy: string;
  experiments: number;
  block: number | null;
  wallSeconds: number;
  normalsPerSecond: number;
  meanFinalSd: number;
}

/** The literal loop is ~3x slower per draw and its rate does not depend on E, so fewer suffice. */
const LITERAL_EXPERIMENTS = 100;

const PYTHON = process.env['PYTHON'] ?? 'python3';

/** Why the peer cannot run here, or null when python3 with numpy is available. */
function peerUnavailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `${PYTHON} not found (${probe.error.message})`;
  if (probe.status !== 0) return `numpy not importable by ${PYTHON}: ${probe.stderr.trim().split('\n').pop() ?? ''}`;
  return null;
}

/** Runs one peer mode; a failure is recorded as a note, since the peer is context, not the product. */
function runPeer(mode: 'vectorised' | 'literal', experiments: number): PeerRun | string {
  const script = path.join(packageRoot(), 'bench', 'numpy_peer.py');
  const r = spawnSync(PYTHON, [script, '--mode', mode, '--experiments', String(experiments), '--seed', '1'], {
    encoding: 'utf8',
  });
  if (r.error !== undefined) return `numpy ${mode}: ${r.error.message}`;
  if (r.status !== 0) return `numpy ${mode} exited ${r.status}: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as PeerRun;
  } catch {
    return `numpy ${mode} printed no JSON: ${JSON.stringify(line)}`;
  }
}

const mega = (x: number): string => `${(x / 1e6).toFixed(1)} M/s`;
const ratio = (a: number, b: number | undefined): number | null => (b === undefined || !(b > 0) ? null : a / b);
const fmtRatio = (x: number | null): string => (x === null ? 'n/a' : `${x.toFixed(2)}x`);

async function main(): Promise<void> {
  const startedAt = new Date();
  const log = (line: string): void => console.log(line);
  const experiments = benchExperiments();
  const counts = workerCounts();
  const maxWorkers = Math.max(...counts);
  log(`collapse bench: ${os.availableParallelism()} CPU(s), ${os.cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}`);

  log('\nkernel (single thread, 1000 draws per call, benchmark.js):');
  const kernel = benchKernel();
  log(formatKernel(kernel));

  log(`\nend to end (n = T = 1000, E = ${experiments}, best of 2):`);
  const scaling = await benchScaling(experiments, counts, 2, log);
  log(formatScaling(scaling));

  log(`\nmethods (n = T = 1000, ${maxWorkers} workers):`);
  const methods = await benchMethods(maxWorkers, experiments, process.env['BENCH_BIG'] === '1');
  log(formatMethods(methods));

  const notes: string[] = [];
  log(`\nnative C yardstick (n = T = 1000, E = ${experiments}, 2 threads, in turn, best of 2):`);
  let native: NativeFigures | null = null;
  const built = buildNative();
  if (typeof built === 'string') {
    notes.push(built);
    log(`  ${built}`);
  } else {
    const f = await benchNative(built.binary, built.compiler, experiments, 2, 2, log);
    if (typeof f === 'string') {
      notes.push(f);
      log(`  ${f}`);
    } else {
      native = f;
      log(formatNative(f));
    }
  }

  log('\nnumpy peer (single thread):');
  let vectorised: PeerRun | null = null;
  let literal: PeerRun | null = null;
  const missing = peerUnavailable();
  if (missing !== null) {
    notes.push(`numpy peer skipped: ${missing}`);
  } else {
    const v = runPeer('vectorised', experiments);
    const l = runPeer('literal', Math.min(LITERAL_EXPERIMENTS, experiments));
    if (typeof v === 'string') notes.push(v);
    else vectorised = v;
    if (typeof l === 'string') notes.push(l);
    else literal = l;
  }
  for (const p of [vectorised, literal]) {
    if (p !== null) {
      log(`  ${p.impl.padEnd(17)} E=${String(p.experiments).padStart(5)} ${p.wallSeconds.toFixed(2).padStart(8)} s ${mega(p.normalsPerSecond).padStart(10)}  mean final sd ${p.meanFinalSd.toFixed(4)}`);
    }
  }
  for (const n of notes.filter((x) => x.startsWith('numpy'))) log(`  ${n}`);

  log(`\nd-dim Gaussian against numpy (load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}):`);
  const families = benchFamilies(log);

  const all = scaling.points.find((p) => p.workers === maxWorkers)!;
  const one = scaling.points.find((p) => p.workers === 1)!;
  const peers = [vectorised, literal].filter((p): p is PeerRun => p !== null);
  const best = peers.length === 0 ? null : peers.reduce((a, b) => (b.normalsPerSecond > a.normalsPerSecond ? b : a));
  const ratios = {
    allCoresVsNumpyBest: ratio(all.normalsPerSecond, best?.normalsPerSecond),
    allCoresVsNumpyVectorised: ratio(all.normalsPerSecond, vectorised?.normalsPerSecond),
    allCoresVsNumpyLiteral: ratio(all.normalsPerSecond, literal?.normalsPerSecond),
    // Same thread count on both sides: how much comes from the kernel rather than from the cores.
    oneWorkerVsNumpyBest: ratio(one.normalsPerSecond, best?.normalsPerSecond),
  };

  log('\nsummary:');
  log(`  kernel fast ${mega(kernel.fast.drawsPerSecond)}, stdlib ${mega(kernel.stdlib.drawsPerSecond)}, ratio ${fmtRatio(kernel.ratio)}`);
  log(`  collapse ${maxWorkers} worker(s) ${mega(all.normalsPerSecond)} (efficiency ${(100 * all.efficiency).toFixed(0)}%), 1 worker ${mega(one.normalsPerSecond)}`);
  log(`  ÷ numpy best (${best?.impl ?? 'n/a'})   ${fmtRatio(ratios.allCoresVsNumpyBest)}   (1 worker: ${fmtRatio(ratios.oneWorkerVsNumpyBest)})`);
  log(`  ÷ numpy vectorised  ${fmtRatio(ratios.allCoresVsNumpyVectorised)}`);
  log(`  ÷ numpy literal     ${fmtRatio(ratios.allCoresVsNumpyLiteral)}`);
  if (native !== null) log(`  2 workers ÷ native C (xoshiro256+, 256-region ziggurat, 2 threads) ${fmtRatio(native.ratioVsX256)}, ÷ C on the engine's stream ${fmtRatio(native.ratioVsCEngine)}; --rng x256 ÷ the same C loop ${fmtRatio(native.x256VsX256)}`);

  const finishedAt = new Date();
  const doc = {
    schemaVersion: 1,
    kind: 'collapse.bench',
    kernel,
    scaling,
    methods,
    native,
    peer: peers.length === 0 ? null : { vectorised, literal },
    ratios,
    families,
    notes,
    provenance: provenance(maxWorkers, startedAt, finishedAt),
  };
  const dir = path.join(packageRoot(), 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${startedAt.toISOString().replace(/:/g, '-')}.json`);
  writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
  log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

await main();
