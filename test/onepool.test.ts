/**
 * Sweeps on one pool (src/engine.ts runSpecs, src/sweep.ts runSweep): several specs' chunks in
 * flight together on one set of threads, each spec merged in its own chunk order, so every outcome
 * has the bytes of the spec run alone; small sweeps on the calling thread; each point's files on
 * disk as soon as it completes; the CLI's bytes for -w 1, 2, 3 and against separate runs; a
 * failing chunk named with its point; Ctrl-C in the middle leaving nothing half-written.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSpec, runSpecs, specsThreads, type RunOutcome } from '../src/engine.js';
import { expandGrid } from '../src/grid.js';
import { planChunks } from '../src/plan.js';
import { resolveRunSpec, type RawRunFlags, type RunSpec } from '../src/spec.js';
import { finishedPoint, pointPath, runSweep, sweepCsv } from '../src/sweep.js';
import { comparableSummary } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-onepool-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));
const at = (...p: string[]) => path.join(TMP, ...p);

function collapse(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: TMP, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function spec(flags: Record<string, string>): RunSpec {
  return resolveRunSpec(flags as RawRunFlags);
}

/** Every number of an outcome, as bytes: the merged moments and each recorded value. */
function bytesOf(o: RunOutcome): Buffer {
  const parts: Float64Array[] = [o.moments.data, ...o.lnSd, o.finalMean, ...o.metrics.flat(), Float64Array.of(o.moments.count, o.rows, o.draws)];
  return Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
}

/** runSpecs' outcomes by spec index, with the order in which they were handed over. */
async function outcomes(specs: readonly RunSpec[], workers: number, memoryLimit?: number): Promise<{ out: RunOutcome[]; order: number[] }> {
  const out: RunOutcome[] = [];
  const order: number[] = [];
  await runSpecs(
    specs,
    workers,
    {
      onOutcome: (i, o) => {
        out[i] = o;
        order.push(i);
      },
    },
    memoryLimit,
  );
  return { out, order };
}

describe('runSpecs: many specs on one pool', () => {
  // chunks of one experiment (E < 128), of several, and a 4-dimensional family: 2.6e7 draws, on the pool
  const MIXED = [
    spec({ samples: '1000', generations: '50', experiments: '60', seed: '1' }),
    spec({ samples: '300', generations: '40', experiments: '700', seed: '2', every: '7' }),
    spec({ samples: '50', generations: '30', experiments: '200', seed: '3', dim: '4', regime: 'accumulate' }),
    spec({ samples: '20', generations: '200', experiments: '130', seed: '4', method: 'stats', regime: 'fresh', fresh: '0.3' }),
    spec({ samples: '1000', generations: '50', experiments: '100', seed: '5' }),
  ];
  let alone: Buffer[];

  it('gives every spec the bytes it has when run alone, for 1, 2 and 3 threads and one spec at a time', async () => {
    expect(specsThreads(MIXED, 2)).toBe(2);
    // the reference: each spec alone, on the calling thread (another path through the engine)
    alone = [];
    for (const s of MIXED) alone.push(bytesOf(await runSpec(s, 1, undefined, planChunks(s), 'inline')));
    for (const [workers, limit] of [[1, undefined], [2, undefined], [3, undefined], [2, 0]] as const) {
      const { out } = await outcomes(MIXED, workers, limit);
      out.forEach((o, i) => expect(bytesOf(o).equals(alone[i]!), `spec ${i} on ${workers} threads, limit ${limit}`).toBe(true));
    }
  });

  it('runs a sweep that is less work than one pool run on the calling thread, to the same bytes', async () => {
    const small = [1, 2, 3].map((seed) => spec({ samples: '10', generations: '20', experiments: '30', seed: String(seed) }));
    expect(specsThreads(small, 4)).toBe(0);
    const { out } = await outcomes(small, 4);
    for (let i = 0; i < small.length; i++) {
      const ref = await runSpec(small[i]!, 2, undefined, planChunks(small[i]!), 'pool');
      expect(bytesOf(out[i]!).equals(bytesOf(ref))).toBe(true);
    }
  });

  it('hands each spec over as soon as its last chunk is in, before later specs are done', async () => {
    // one thread runs its tasks in the order sent: spec 0 is complete long before spec 2's many chunks
    const specs = [
      spec({ samples: '1000', generations: '20', experiments: '64', seed: '1' }),
      spec({ samples: '1000', generations: '20', experiments: '64', seed: '2' }),
      spec({ samples: '1000', generations: '50', experiments: '1280', seed: '3' }),
    ];
    const seen: { i: number; done: number; total: number }[] = [];
    let last = { done: 0, total: 1 };
    await runSpecs(specs, 1, {
      onWork: (done, total) => (last = { done, total }),
      onOutcome: (i) => seen.push({ i, ...last }),
    });
    expect(seen.map((s) => s.i)).toEqual([0, 1, 2]);
    expect(seen[0]!.done).toBeLessThan(seen[0]!.total / 2);
    expect(seen[1]!.done).toBeLessThan(seen[1]!.total / 2);
  });

  it('names the spec and the chunk of a failure, and hands over no outcome after it', async () => {
    // chunk 5 exists in spec 1 only (specs 0 and 2 have 2 and 3 one-experiment chunks)
    const specs = [
      spec({ samples: '1000', generations: '50', experiments: '2', seed: '1' }),
      spec({ samples: '1000', generations: '50', experiments: '100', seed: '2' }),
      spec({ samples: '1000', generations: '50', experiments: '3', seed: '3' }),
    ];
    const handed: number[] = [];
    process.env['COLLAPSE_FAULT_CHUNK'] = '5'; // read by each worker thread as it starts
    const err = await runSpecs(specs, 1, { onOutcome: (i) => handed.push(i) })
      .catch((e: unknown) => e)
      .finally(() => delete process.env['COLLAPSE_FAULT_CHUNK']);
    expect(err).toMatchObject({ index: 1, stage: 'chunk' });
    expect((err as Error).message).toMatch(/^chunk 5 \(experiments 5\.\.5\) failed with seed 2: injected fault \(COLLAPSE_FAULT_CHUNK=5\); reproduce with: collapse run -n 1000 -t 50 -e 100 /);
    expect(handed).not.toContain(1);
    expect(handed).not.toContain(2);
  });
});

describe('runSweep writes each point when it completes', () => {
  it('a point’s files are on disk when its hook runs, while the slow last point is still running', async () => {
    const grid = expandGrid({ samples: '1000', generations: '20,400', experiments: '64', seed: '1,2' });
    const out = at('early');
    const seen: string[] = [];
    let work = { done: 0, total: 1 };
    const early: boolean[] = [];
    await runSweep(grid, out, 1, {
      onWork: (done, total) => (work = { done, total }),
      onPoint: (p) => {
        early.push(work.done < work.total / 2);
        const files = ['summary.json', 'trajectory.csv', 'finals.csv'].filter((f) => fs.existsSync(path.join(out, pointPath(p), f)));
        const later = grid.points.filter((q) => q.index > p.index && fs.existsSync(path.join(out, pointPath(q))));
        seen.push(`point ${p.index}: ${files.length} files, ${later.length} later points on disk`);
      },
    });
    expect(seen).toEqual([
      'point 0: 3 files, 0 later points on disk',
      'point 1: 3 files, 0 later points on disk',
      'point 2: 3 files, 0 later points on disk',
      'point 3: 3 files, 0 later points on disk',
    ]);
    // points 0 and 1 are 5% of the work: their files were written with most of the sweep still to run
    expect(early.slice(0, 2)).toEqual([true, true]);
  });
});

describe('runSweep records each point from what it wrote', () => {
  it('the same records finishedPoint reads back from the point directories, in every family tried', async () => {
    for (const [name, flags] of [
      ['gauss', { samples: '200', generations: '30', experiments: '40', seed: '1,2', every: '7' }],
      ['cat', { model: 'categorical', samples: '100', generations: '12', experiments: '20', categories: '5', seed: '3' }],
      ['reg', { model: 'linreg', samples: '30', generations: '6', experiments: '8', seed: '4,5' }],
    ] as const) {
      const grid = expandGrid(flags);
      const out = at(`records-${name}`);
      const { done } = await runSweep(grid, out, 1);
      const back = grid.points.map((p) => finishedPoint(out, p));
      expect(back.every((f) => f !== null), name).toBe(true);
      expect(done, name).toEqual(back);
      expect(fs.readFileSync(path.join(out, 'sweep.csv'), 'utf8'), name).toBe(sweepCsv(grid, back));
    }
  });
});

describe('runSweep writes its own files before any point', () => {
  it('sweep.json and sweep.csv, with no point finished, are on disk when the first batch is back', async () => {
    const grid = expandGrid({ samples: '1000', generations: '50', experiments: '64', seed: '1,2' });
    const out = at('first-files');
    const firstWork: string[] = [];
    await runSweep(grid, out, 1, {
      onWork: () => {
        if (firstWork.length > 0) return;
        const doc = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) as { finished: number; points: unknown[]; provenance: { version?: string } };
        firstWork.push(`${fs.existsSync(path.join(out, 'sweep.csv'))} ${doc.finished} of ${doc.points.length}, ${typeof doc.provenance.version}`);
      },
    });
    expect(firstWork).toEqual(['true 0 of 2, string']);
  });

  it('where they cannot be written, stops before any point with the message naming the file, and runs nothing', async () => {
    const grid = expandGrid({ samples: '1000', generations: '50', experiments: '64', seed: '1,2' });
    const out = at('first-files-fail');
    fs.mkdirSync(path.join(out, 'sweep.json'), { recursive: true }); // a directory where the file goes
    let work = 0;
    const err = await runSweep(grid, out, 1, { onWork: () => work++ }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/could not write .*sweep\.json before the first point: .*re-run the same command to resume/);
    expect(work).toBe(0);
    expect(fs.readdirSync(path.join(out, 'points'))).toEqual([]);
  });
});

/** The files of a sweep's points, and sweep.csv, as bytes (summary.json less timing and provenance). */
function sweepBytes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  out.set('sweep.csv', fs.readFileSync(path.join(dir, 'sweep.csv'), 'utf8'));
  const points = path.join(dir, 'points');
  for (const h of fs.readdirSync(points)) {
    for (const f of ['trajectory.csv', 'finals.csv']) out.set(`${h}/${f}`, fs.readFileSync(path.join(points, h, f), 'latin1'));
    out.set(`${h}/summary.json`, comparableSummary(path.join(points, h)));
  }
  return out;
}

describe('collapse sweep on one pool, end to end', () => {
  // 4.8e6 draws: the pool; 75 chunks of 4 experiments a point
  const GRID = ['-n', '200', '-t', '20', '-e', '300', '--seed', '1..4', '--no-plot'];
  // 1.2e4 draws: the calling thread
  const SMALL = ['-n', '10', '-t', '20', '-e', '30', '--seed', '1..2', '--no-plot'];

  it('gives the same bytes on 1, 2 and 3 workers, and each point those of a separate collapse run', () => {
    for (const [name, grid] of [['pool', GRID], ['inline', SMALL]] as const) {
      const trees = ['1', '2', '3'].map((w) => {
        const r = collapse(['sweep', ...grid, '-w', w, '-o', `${name}-w${w}`]);
        expect(r.code, r.stderr).toBe(0);
        return sweepBytes(at(`${name}-w${w}`));
      });
      expect(trees[0]!.size).toBe(1 + 3 * (name === 'pool' ? 4 : 2));
      for (const t of trees.slice(1)) expect(t).toEqual(trees[0]);
      const doc = JSON.parse(fs.readFileSync(at(`${name}-w1`, 'sweep.json'), 'utf8')) as { points: { dir: string; params: { seed: number } }[] };
      for (const p of doc.points) {
        const flags = grid.filter((a) => a !== '--no-plot').map((a) => (a === '1..4' || a === '1..2' ? String(p.params.seed) : a));
        const runDir = `${name}-run-${p.params.seed}`;
        expect(collapse(['run', ...flags, '--no-plot', '-o', runDir]).code).toBe(0);
        for (const f of ['trajectory.csv', 'finals.csv']) {
          expect(fs.readFileSync(at(runDir, f)).equals(fs.readFileSync(at(`${name}-w1`, p.dir, f))), `${p.dir}/${f}`).toBe(true);
        }
        expect(comparableSummary(at(runDir))).toBe(comparableSummary(at(`${name}-w1`, p.dir)));
      }
    }
  });

  it('a failing chunk names its point; the finished points stay, and the re-run completes to the same bytes', () => {
    const r = collapse(['sweep', ...GRID, '-w', '1', '-o', 'faulty'], { COLLAPSE_FAULT_CHUNK: '5' });
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^collapse: point 0 \(seed=1, spec [0-9a-f]{12}\) failed: chunk 5 \(experiments 20\.\.23\) failed with seed 1: injected fault/);
    expect(fs.existsSync(at('faulty', '.lock'))).toBe(false);
    expect(collapse(['sweep', ...GRID, '-w', '2', '-o', 'faulty']).code).toBe(0);
    expect(sweepBytes(at('faulty'))).toEqual(sweepBytes(at('pool-w1')));
  });

  it('Ctrl-C with several points in flight leaves whole points or none, no temporaries; the re-run gives the same bytes', async () => {
    // four points of 4e7 draws: each takes a visible time, so the signal lands mid-sweep
    const BIG = ['-n', '1000', '-t', '200', '-e', '200', '--seed', '1..4', '-w', '3', '--no-plot'];
    expect(collapse(['sweep', ...BIG, '-o', 'big-ref']).code).toBe(0);
    const child = spawn(process.execPath, [CLI, 'sweep', ...BIG, '-o', 'big-int'], { cwd: TMP, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const points = at('big-int', 'points');
    const finished = () => (fs.existsSync(points) ? fs.readdirSync(points).filter((h) => !h.startsWith('.') && fs.existsSync(path.join(points, h, 'summary.json'))).length : 0);
    while (finished() === 0) {
      if (child.exitCode !== null) throw new Error('the sweep ended before its first point was seen');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    await new Promise((r) => setTimeout(r, 50)); // let stderr drain
    expect(stderr).toMatch(/interrupted; [1-3] of 4 points are finished in big-int; run the same command again to resume/);
    const left = fs.readdirSync(at('big-int')).concat(fs.readdirSync(points));
    expect(left.filter((n) => /\.(tmp|old)-\d+$/.test(n))).toEqual([]);
    for (const h of fs.readdirSync(points)) expect(fs.readdirSync(path.join(points, h)).sort()).toEqual(['finals.csv', 'summary.json', 'trajectory.csv']);
    const kept = finished();
    const r = collapse(['sweep', ...BIG, '-o', 'big-int']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${4 - kept} point${4 - kept === 1 ? '' : 's'} run, ${kept} already done`);
    expect(sweepBytes(at('big-int'))).toEqual(sweepBytes(at('big-ref')));
  });
});
