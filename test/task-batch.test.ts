/**
 * A batch of small chunks (src/pool.ts sends them to a worker together) runs consecutive chunks of
 * one 1-D Gaussian spec in one kernel call (workers/task.ts, runJoined), so that the four-lane
 * article chain fills its lanes. Each chunk's result must be what runChunk gives it alone: moments,
 * recorded values, final means, and the values written into a shared store, byte for byte.
 */
import { describe, expect, it } from 'vitest';
import runChunk, { runBatch } from '../workers/task.js';
import summarize from '../workers/summary.js';
import { NF } from '../src/stats.js';
import type { ChunkResult, ChunkTask, RecordStore } from '../src/protocol.js';
import { resolveRunSpec } from '../src/spec.js';
import { recordCount } from '../src/plan.js';
import { outcomeFromChunks } from '../src/engine.js';

function bytes(x: Float64Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex');
}

function comparable(r: ChunkResult): Record<string, unknown> {
  return { ...r, moments: bytes(r.moments), lnSd: bytes(r.lnSd), finalMean: bytes(r.finalMean), metrics: bytes(r.metrics) };
}

/** Tasks of the given chunk sizes over consecutive experiments from 0, optionally writing into a store. */
function tasksOf(raw: Record<string, string>, sizes: number[], store: 'none' | 'plain' | 'derived'): { tasks: ChunkTask[]; store?: RecordStore } {
  const { experiments, ...spec } = resolveRunSpec(raw);
  const rows = recordCount(spec.generations, spec.every);
  const planes = store === 'derived' ? 2 : 5;
  const st: RecordStore | undefined =
    store === 'none' ? undefined : { experiments, derived: store === 'derived', planes: Array.from({ length: planes }, () => new SharedArrayBuffer(rows * experiments * 8)) };
  const tasks: ChunkTask[] = [];
  let start = 0;
  sizes.forEach((count, index) => {
    tasks.push({ spec, chunk: { index, start, count }, ...(st !== undefined ? { store: st } : {}) });
    start += count;
  });
  return st === undefined ? { tasks } : { tasks, store: st };
}

const SIZES = [1, 1, 1, 2, 3, 1, 5, 1];
const E = String(SIZES.reduce((a, b) => a + b, 0));
const SPECS: Array<Record<string, string>> = [
  { samples: '50', generations: '20', experiments: E }, // the article chain: four lanes
  { samples: '7', generations: '30', experiments: E, every: '4' },
  { samples: '50', generations: '20', experiments: E, method: 'stats' },
  { samples: '20', generations: '15', experiments: E, regime: 'accumulate' },
  { samples: '20', generations: '15', experiments: E, regime: 'fresh', fresh: '0.3' },
  { samples: '20', generations: '15', experiments: E, regime: 'augment', synthetic: '1' },
  { samples: '20', generations: '15', experiments: E, temperature: '0.9', ddof: '1' },
  { samples: '20', generations: '15', experiments: E, rng: 'stdlib' },
  { samples: '20', generations: '8', experiments: E, dim: '3' }, // not joined: each chunk alone
];

describe('a batch of chunks gives each chunk what it gives alone', () => {
  for (const raw of SPECS) {
    for (const store of ['none', 'plain', 'derived'] as const) {
      it(`${JSON.stringify(raw)}, store ${store}`, () => {
        const alone = tasksOf(raw, SIZES, store);
        const together = tasksOf(raw, SIZES, store);
        const own = alone.tasks.map((t) => runChunk(t));
        const a = own.map(comparable);
        const b = runBatch(together.tasks);
        expect(b.failure).toBeNull();
        if (store === 'none' || raw['dim'] !== undefined) expect(b.results.map(comparable)).toEqual(a);
        else {
          // chunks 0, 1, … of a spec with a store come back as one result, their moments merged
          // on the worker: what the coordinator's merge of each chunk alone gives, byte for byte
          // (a derived store's chunks bring none: its summary tasks take them, tested below)
          expect(b.results).toHaveLength(1);
          expect(b.results[0]).toMatchObject({ index: 0, start: 0, count: Number(E), chunks: SIZES.length, stored: true });
          const spec = resolveRunSpec(raw);
          if (store === 'derived') for (const r of [...own, ...b.results]) expect(r.moments).toHaveLength(0);
          else expect(bytes(outcomeFromChunks(spec, b.results).moments.data)).toBe(bytes(outcomeFromChunks(spec, own).moments.data));
          const want = outcomeFromChunks(spec, own);
          const got = outcomeFromChunks(spec, b.results);
          expect(bytes(got.finalMean)).toBe(bytes(want.finalMean));
          expect(got.draws).toBe(want.draws);
          // chunks from 3 on (not a prefix) come back one by one, each as alone
          const later = tasksOf(raw, SIZES, store).tasks.slice(3);
          expect(runBatch(later).results.map(comparable)).toEqual(a.slice(3));
        }
        if (alone.store !== undefined) {
          expect(together.store!.planes.map((p) => bytes(new Float64Array(p)))).toEqual(alone.store.planes.map((p) => bytes(new Float64Array(p))));
        }
      });
    }
  }

  it('chunks of two specs, or not consecutive, are not joined and still give their own results', () => {
    const x = tasksOf({ samples: '30', generations: '10', experiments: '6' }, [1, 2, 3], 'none').tasks;
    const y = tasksOf({ samples: '30', generations: '10', experiments: '6', seed: '5' }, [2, 1, 3], 'none').tasks;
    const mixed = [x[0]!, x[1]!, y[0]!, y[1]!, x[2]!];
    const b = runBatch(mixed);
    expect(b.results.map(comparable)).toEqual(mixed.map((t) => comparable(runChunk(t))));
  });
});

describe('finals.csv formatted chunk by chunk as the chunks arrive (engine.ts OutcomeBuilder)', () => {
  it('is the text of the whole final row formatted at once, in any order of arrival, derived metrics or stored', async () => {
    const { runSpec, runChunkResults } = await import('../src/engine.js');
    const { finalsCsv } = await import('../src/summary.js');
    const { planChunks } = await import('../src/plan.js');
    const cases: Record<string, string>[] = [
      { samples: '40', generations: '9', experiments: '300', every: '4' }, // 1-D Gaussian: metrics derived on the pool
      { samples: '40', generations: '6', experiments: '70', model: 'categorical', categories: '6' }, // metrics stored
      { samples: '30', generations: '5', experiments: '50', dim: '2' },
    ];
    for (const raw of cases) {
      const spec = resolveRunSpec(raw);
      for (const placement of ['pool', 'inline'] as const) {
        const out = await runSpec(spec, 2, undefined, planChunks(spec), placement);
        expect(out.finalsBody, JSON.stringify(raw)).toBeDefined();
        // the reference: the whole final row at once (its metrics formed from the whole row)
        const whole = finalsCsv({ ...out, finalsBody: undefined });
        expect(finalsCsv(out), `${JSON.stringify(raw)} ${placement}`).toBe(whole);
        expect(whole.split('\n')).toHaveLength(spec.experiments + 2);
      }
      // results arriving backwards and shuffled (a merge of shards hands them over in any order)
      const results = await runChunkResults(spec, 2, planChunks(spec), undefined, 'inline');
      const shuffled = [...results].reverse();
      shuffled.push(shuffled.shift()!);
      const merged = outcomeFromChunks(spec, shuffled);
      expect(finalsCsv(merged)).toBe(finalsCsv({ ...merged, finalsBody: undefined }));
      expect(finalsCsv(merged)).toBe(finalsCsv({ ...(await runSpec(spec, 2, undefined, planChunks(spec), 'inline')), finalsBody: undefined }));
    }
  });
});

describe('a joined kernel call holds at most JOIN_VALUES recorded values a plane', () => {
  it('splits a batch past it into calls that still give the coordinator each chunk’s own bytes', async () => {
    const { JOIN_VALUES } = await import('../src/plan.js');
    // 3 chunks of 1000 experiments × 1000 recorded generations: 2·10^6 values fit, 3·10^6 do not
    expect(2e6).toBeLessThanOrEqual(JOIN_VALUES);
    expect(3e6).toBeGreaterThan(JOIN_VALUES);
    const raw = { samples: '50', generations: '1000', experiments: '3000', method: 'stats' };
    const alone = tasksOf(raw, [1000, 1000, 1000], 'derived');
    const own = alone.tasks.map((t) => runChunk(t));
    const together = tasksOf(raw, [1000, 1000, 1000], 'derived');
    const b = runBatch(together.tasks);
    expect(b.failure).toBeNull();
    expect(b.results.map((r) => [r.index, r.chunks ?? 1])).toEqual([
      [0, 2],
      [2, 1],
    ]);
    for (const r of [...own, ...b.results]) expect(r.moments).toHaveLength(0);
    expect(together.store!.planes.map((p) => bytes(new Float64Array(p)))).toEqual(alone.store!.planes.map((p) => bytes(new Float64Array(p))));
  });
});

describe('a derived store’s moments, taken by its summary tasks from the store (workers/summary.ts)', () => {
  it('are each chunk’s own merged in chunk order, as the coordinator merges them from a plain store, for any split of the rows', () => {
    for (const raw of SPECS.filter((r) => r['dim'] === undefined)) {
      const spec = resolveRunSpec(raw);
      const rows = recordCount(spec.generations, spec.every);
      // the reference: the chunks' own moments (a plain store's chunks bring them), merged by OutcomeBuilder
      const plain = tasksOf(raw, SIZES, 'plain');
      const want = outcomeFromChunks(spec, plain.tasks.map((t) => runChunk(t))).moments;
      const derived = tasksOf(raw, SIZES, 'derived');
      for (const t of derived.tasks) expect(runChunk(t).moments).toHaveLength(0);
      const chunkStarts = Int32Array.from(derived.tasks, (t) => t.chunk.start);
      for (const cuts of [[0, rows], [0, 1, rows], [0, Math.floor(rows / 2), rows - 1, rows]]) {
        const got = new Float64Array(rows * NF);
        for (let i = 0; i + 1 < cuts.length; i++) {
          const res = summarize({ spec: derived.tasks[0]!.spec, store: derived.store!, r0: cuts[i]!, r1: cuts[i + 1]!, chunkStarts });
          expect(res.moments).toHaveLength((cuts[i + 1]! - cuts[i]!) * NF);
          got.set(res.moments!, cuts[i]! * NF);
        }
        expect(bytes(got), `${JSON.stringify(raw)} rows cut at ${cuts.join(',')}`).toBe(bytes(want.data));
      }
      expect(want.count).toBe(Number(E));
    }
  });
});

describe('a derived store’s rows of 256 experiments and more, summarised by the WebAssembly module (workers/wasm-summary.ts)', () => {
  it('give the JS path’s digest and the chunks’ own merged moments, to the byte', async () => {
    const { wasmSummary } = await import('../workers/wasm-summary.js');
    const { digestRows } = await import('../src/digest.js');
    const { kernelOf } = await import('../workers/families/index.js');
    const ws = wasmSummary();
    expect(ws).not.toBeNull();
    const sizes = [100, 57, 1, 142];
    const cases: Record<string, string>[] = [
      { samples: '40', generations: '12', experiments: '300', method: 'stats' },
      { samples: '9', generations: '10', experiments: '300', every: '3', ddof: '1' },
      { samples: '3', generations: '60', experiments: '300', mean0: '2', sd0: '0.5' }, // deep: the sd falls far below sd0
    ];
    for (const raw of cases) {
      const spec = resolveRunSpec(raw);
      const rows = recordCount(spec.generations, spec.every);
      const want = outcomeFromChunks(spec, tasksOf(raw, sizes, 'plain').tasks.map((t) => runChunk(t))).moments;
      const derived = tasksOf(raw, sizes, 'derived');
      for (const t of derived.tasks) runChunk(t);
      const chunkStarts = Int32Array.from(derived.tasks, (t) => t.chunk.start);
      const before = ws!.loads;
      const res = summarize({ spec: derived.tasks[0]!.spec, store: derived.store!, r0: 0, r1: rows, chunkStarts });
      expect(ws!.loads - before, 'the module took every row').toBe(rows);
      expect(bytes(res.moments!), JSON.stringify(raw)).toBe(bytes(want.data));
      const kernel = kernelOf('gaussian');
      const kspec = derived.tasks[0]!.spec;
      const planes = derived.store!.planes.map((b) => new Float64Array(b));
      const js = digestRows(planes, 300, 0, rows, { K: 4, fn: kernel.deriveMetrics(kspec)!, maps: kernel.lnSdMaps?.(kspec) });
      expect(bytes(res.digest), JSON.stringify(raw)).toBe(bytes(js));
    }
  });
});

