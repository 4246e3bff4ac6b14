/** The d-dimensional Gaussian against numpy: the Collapse-or-Thrive grid (bench/gaussian_grid_peer.py against collapse sweep) and resample throughput at d = 100, n = 1000, each timed on its own. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/provenance.js';

const PYTHON = process.env['PYTHON'] ?? 'python3';
/** The grid; BENCH_GRID_DIMS and BENCH_GRID_SAMPLES (comma lists) shrink it for a smoke run. */
const DIMS = process.env['BENCH_GRID_DIMS'] ?? '1,3,10,31,100';
const SAMPLES = process.env['BENCH_GRID_SAMPLES'] ?? '10,32,100,316,1000';
const T = 100;
const E = 100;
/**
 * Experiments the numpy grid really runs; its time is linear in E (independent loops), so it is
 * scaled to E = 100. At 100 the naive loop's accumulate cells (np.cov over a pool of up to 10^5 rows
 * each generation) take hours.
 */
const PEER_E = Number(process.env['BENCH_GRID_PEER_EXPERIMENTS'] ?? '1');
const TP = { dim: 100, samples: 1000, generations: 50, experiments: 2 };

interface PeerCell {
  regime: string;
  dim: number;
  samples: number;
  ok: boolean;
  error?: string;
  warnings: number;
  seconds: number;
  seconds_per_100: number;
}

export interface FamiliesBench {
  loadavg: number[];
  peer: { experiments: number; secondsPer100: number; cells: PeerCell[]; failed: string[] } | null;
  engine: { seconds: number; sweeps: string[] } | null;
  gridRatio: number | null;
  throughput: { peerStepsPerSecond: number | null; engineStepsPerSecond: number | null; engineProcessStepsPerSecond: number | null; ratio: number | null };
  notes: string[];
}

const cli = (): string => path.join(packageRoot(), 'dist', 'src', 'cli.js');
const script = (): string => path.join(packageRoot(), 'bench', 'gaussian_grid_peer.py');

/** Runs a command and returns its wall seconds, or a note when it fails. */
function timed(cmd: string, args: string[]): { seconds: number; stdout: string } | string {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error !== undefined) return `${path.basename(cmd)}: ${r.error.message}`;
  if (r.status !== 0) return `${path.basename(cmd)} ${args.slice(0, 3).join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return { seconds, stdout: r.stdout };
}

export function benchFamilies(log: (line: string) => void): FamiliesBench {
  const notes: string[] = [];
  const out: FamiliesBench = { loadavg: os.loadavg(), peer: null, engine: null, gridRatio: null, throughput: { peerStepsPerSecond: null, engineStepsPerSecond: null, engineProcessStepsPerSecond: null, ratio: null }, notes };

  const peer = timed(PYTHON, [script(), '--dims', DIMS, '--samples', SAMPLES, '-t', String(T), '-e', String(PEER_E)]);
  if (typeof peer === 'string') notes.push(`numpy grid: ${peer}`);
  else {
    const rows = peer.stdout.trim().split('\n').map((l) => JSON.parse(l) as PeerCell & { total?: boolean; failed?: string[] });
    const total = rows.find((r) => r.total === true)!;
    out.peer = { experiments: PEER_E, secondsPer100: total.seconds_per_100, cells: rows.filter((r) => r.total !== true), failed: total.failed ?? [] };
    log(`  numpy grid (their loop, E = ${PEER_E} scaled to ${E}): ${total.seconds_per_100.toFixed(1)} s; failed cells: ${out.peer.failed.length === 0 ? 'none' : out.peer.failed.join('; ')}`);
  }

  const help = spawnSync(process.execPath, [cli(), 'run', '--help'], { encoding: 'utf8' }).stdout ?? '';
  if (!/--dim\b/.test(help)) {
    notes.push('engine side skipped: this build of collapse run has no --dim');
    for (const n of notes) log(`  ${n}`);
    return out;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-bench-grid-'));
  try {
    // stats cannot run accumulate-subsample (its pool is the data), so the grid is two sweeps
    const sweeps = [
      ['--regime', 'replace,accumulate', '--method', 'stats'],
      ['--regime', 'accumulate-subsample', '--method', 'resample'],
    ];
    let seconds = 0;
    for (const [i, s] of sweeps.entries()) {
      const r = timed(process.execPath, [cli(), 'sweep', '--model', 'gaussian', '--dim', DIMS, '-n', SAMPLES, '-t', String(T), '-e', String(E), ...s, '--no-plot', '--json', '-o', path.join(tmp, String(i))]);
      if (typeof r === 'string') {
        notes.push(`engine grid: ${r}`);
        seconds = NaN;
        break;
      }
      seconds += r.seconds;
    }
    if (Number.isFinite(seconds)) {
      out.engine = { seconds, sweeps: sweeps.map((s) => s.join(' ')) };
      if (out.peer !== null) out.gridRatio = out.peer.secondsPer100 / seconds;
      log(`  collapse sweep (same grid, E = ${E}, all workers): ${seconds.toFixed(1)} s; numpy ÷ collapse ${out.gridRatio?.toFixed(1) ?? 'n/a'}x`);
    }

    const tpArgs = ['--dims', String(TP.dim), '--samples', String(TP.samples), '-t', String(TP.generations), '-e', String(TP.experiments)];
    const p = timed(PYTHON, [script(), '--throughput', ...tpArgs]);
    if (typeof p === 'string') notes.push(`numpy throughput: ${p}`);
    else out.throughput.peerStepsPerSecond = (JSON.parse(p.stdout.trim()) as { stepsPerSecond: number }).stepsPerSecond;
    const e = timed(process.execPath, [cli(), 'run', '--model', 'gaussian', '--dim', String(TP.dim), '-n', String(TP.samples), '-t', String(TP.generations), '-e', String(TP.experiments), '--method', 'resample', '-w', '1', '--no-plot', '--json', '-o', path.join(tmp, 'tp')]);
    if (typeof e === 'string') notes.push(`engine throughput: ${e}`);
    else {
      // like the peer's own figure (its loop, not Python's start-up or numpy's import), the engine's
      // own timing of the run (summary.json timing: the pool and the chains, not Node's start-up);
      // the whole process's figure, start-up included, is kept beside it as a floor
      const own = (JSON.parse(e.stdout) as { timing: { generationStepsPerSecond: number } }).timing.generationStepsPerSecond;
      out.throughput.engineStepsPerSecond = own;
      out.throughput.engineProcessStepsPerSecond = (TP.generations * TP.experiments) / e.seconds;
    }
    const { peerStepsPerSecond: a, engineStepsPerSecond: b, engineProcessStepsPerSecond: c } = out.throughput;
    if (a !== null && b !== null) out.throughput.ratio = b / a;
    log(
      `  resample replace d = ${TP.dim}, n = ${TP.samples}, 1 thread: collapse ${b?.toFixed(1) ?? 'n/a'} steps/s ` +
        `(${c?.toFixed(1) ?? 'n/a'} with Node's start-up), numpy (z @ L.T) ${a?.toFixed(1) ?? 'n/a'} steps/s, ratio ${out.throughput.ratio?.toFixed(2) ?? 'n/a'}x`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  for (const n of notes) log(`  ${n}`);
  return out;
}
