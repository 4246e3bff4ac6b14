/**
 * The per-generation statistics by selection, on the pool or the calling thread, against the way
 * they were computed before (a full sort of a copy of each row; the sort-based metric statistics and
 * third and fourth central sums, kept below as the reference): trajectory.csv, finals.csv and
 * summary.json byte for byte, for several specs (d = 1 and d = 3, both methods, E = 1, 2 and a few
 * hundred, ties, -w 1 and 2, shards merged).
 */
import { describe, expect, it } from 'vitest';
import { outcomeFromChunks, outcomeFromChunksOnPool, runChunkResults, runSpec, type RunOutcome } from '../src/engine.js';
import { planChunks } from '../src/plan.js';
import { resolveRunSpec, type RawRunFlags, type RunSpec } from '../src/spec.js';
import { digestRow, digestWidth, METRIC_WIDTH, summaryRanks } from '../src/digest.js';
import { quantile7, sampleVariance } from '../src/stats.js';
import { allRows, finalsCsv, runTheory, summaryDocument, toJson, trajectoryCsv, type Timing } from '../src/summary.js';

function spec(flags: Record<string, string>): RunSpec {
  return resolveRunSpec({ seed: '9', ...flags } as RawRunFlags);
}

/** The metric statistics as computed before selection: a sorted copy, then type-7 quantiles. */
function sortedMetricStats(values: Float64Array): number[] {
  const E = values.length;
  let sum = 0;
  let finite = true;
  for (let e = 0; e < E; e++) {
    if (!Number.isFinite(values[e]!)) finite = false;
    sum += values[e]!;
  }
  if (!finite || E === 0) return new Array<number>(9).fill(NaN);
  const mean = sum / E;
  let m2 = 0;
  for (let e = 0; e < E; e++) m2 += (values[e]! - mean) * (values[e]! - mean);
  const s = Float64Array.from(values).sort();
  const q = (p: number) => quantile7(s, p);
  return [mean, Math.sqrt(sampleVariance(m2, E)), s[0]!, q(0.05), q(0.25), q(0.5), q(0.75), q(0.95), s[E - 1]!];
}

/**
 * The digest the old code implied, every rank read from a fully sorted copy: the reference the
 * selected digest must equal to the bit.
 */
function referenceDigest(out: RunOutcome): Float64Array {
  const E = out.spec.experiments;
  const K = out.metrics.length;
  const W = digestWidth(E, K);
  const ranks = summaryRanks(E);
  const d = new Float64Array(out.rows * W);
  for (let r = 0; r < out.rows; r++) {
    const o = r * W;
    const s = Float64Array.from(out.lnSd[r]!).sort();
    ranks.forEach((k, i) => (d[o + i] = s[k]!));
    for (let k = 0; k < K; k++) {
      const v = out.metrics[k]![r]!;
      const st = sortedMetricStats(v);
      const at = o + ranks.length + k * METRIC_WIDTH;
      st.forEach((x, i) => (d[at + i] = x));
      let bad = 0;
      let m3 = 0;
      let m4 = 0;
      for (let e = 0; e < E; e++) {
        if (!Number.isFinite(v[e]!)) bad++;
        const t = v[e]! - st[0]!;
        m3 += t * t * t;
        m4 += t * t * (t * t);
      }
      d[at + 9] = bad;
      d[at + 10] = Number.isFinite(st[0]!) ? m3 : NaN;
      d[at + 11] = Number.isFinite(st[0]!) ? m4 : NaN;
    }
  }
  return d;
}

function bytes(x: Float64Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

const TIMING: Timing = { wallSeconds: 1, normalsPerSecond: 1, generationStepsPerSecond: 1, draws: 1 };

/** Everything a run writes that depends on its numbers: trajectory.csv, finals.csv, summary.json (fixed timing and provenance). */
function files(out: RunOutcome): string {
  const rows = allRows(out);
  const doc = summaryDocument(out.spec, 1, rows[rows.length - 1]!, runTheory(out.spec, out.rows), TIMING, {} as never);
  return trajectoryCsv(rows) + finalsCsv(out) + toJson(doc);
}

/** The outcome's files with the digest the engine left (or none: the summary's own) and with the sort-based reference. */
function expectAsSorted(out: RunOutcome): string {
  const got = files(out);
  const refDigest = referenceDigest(out);
  if (out.digest !== undefined) {
    // the engine's digest itself, number for number (Object.is: NaN equal, −0 apart from +0)
    expect(out.digest.length).toBe(refDigest.length);
    const bad = [...refDigest].findIndex((x, i) => !Object.is(x, out.digest![i]));
    expect(bad).toBe(-1);
  }
  const ref = files({ ...out, digest: refDigest });
  expect(got).toBe(ref);
  return got;
}

const CASES: Record<string, string>[] = [
  { samples: '20', generations: '30', experiments: '301', every: '1', method: 'stats' },
  { samples: '5', generations: '12', experiments: '257', every: '1', method: 'resample', regime: 'accumulate' },
  { samples: '8', generations: '9', experiments: '120', every: '2', method: 'stats', regime: 'fresh', fresh: '0.5' },
  { samples: '6', generations: '5', experiments: '90', every: '1', method: 'resample', dim: '3' },
  { samples: '10', generations: '6', experiments: '1', every: '1', method: 'stats' },
  { samples: '10', generations: '6', experiments: '2', every: '1', method: 'resample' },
];

describe('per-generation statistics by selection', () => {
  for (const flags of CASES) {
    it(`equal the sort-based statistics to the byte, inline, on 1 and 2 workers and from shards: ${JSON.stringify(flags)}`, async () => {
      const s = spec(flags);
      const chunks = planChunks(s);
      const inline = await runSpec(s, 1, undefined, chunks, 'inline');
      expect(inline.digest).toBeUndefined();
      const text = expectAsSorted(inline);
      for (const w of [1, 2]) {
        const pool = await runSpec(s, w, undefined, chunks, 'pool');
        expect(pool.digest).toBeDefined();
        // every row's metrics, stored or formed from (ln sd, mean) on access, as the calling thread recorded them
        for (let k = 0; k < inline.metrics.length; k++) {
          for (let r = 0; r < inline.rows; r++) expect(Object.is(Buffer.compare(bytes(pool.metrics[k]![r]!), bytes(inline.metrics[k]![r]!)), 0)).toBe(true);
        }
        expect(expectAsSorted(pool)).toBe(text);
      }
      const cut = [0, Math.floor(chunks.length / 2), chunks.length];
      const parts = [];
      for (let i = 0; i < 2; i++) parts.push(...(await runChunkResults(s, 1, chunks.slice(cut[i]!, cut[i + 1]!), undefined, 'inline')));
      expect(expectAsSorted(outcomeFromChunks(s, parts))).toBe(text);
      // the merge's digest on the pool, from a store of every metric (no derived metrics)
      const merged = await outcomeFromChunksOnPool(s, parts, 2, 'pool');
      expect(merged.digest).toBeDefined();
      expect(expectAsSorted(merged)).toBe(text);
    });
  }

  it('equal the sort-based statistics with heavy ties and non-finite values in a recorded row', async () => {
    const s = spec({ samples: '10', generations: '4', experiments: '500', every: '1', method: 'stats' });
    const out = await runSpec(s, 1, undefined, planChunks(s), 'inline');
    // row 1: few distinct ln sd values; row 2: a metric with ties, a NaN and an infinity; row 3: −0 and +0
    for (let e = 0; e < 500; e++) {
      out.lnSd[1]![e] = Math.floor(e / 97) - 2;
      out.metrics[0]![2]![e] = e % 3;
      out.metrics[1]![3]![e] = e % 2 === 0 ? -0 : 0;
      out.lnSd[3]![e] = e % 5 === 0 ? -0 : e % 7;
    }
    out.metrics[2]![2]![17] = NaN;
    out.metrics[3]![2]![5] = -Infinity;
    expectAsSorted(out);
  });
});

describe('order statistics of a metric that is a non-decreasing map of ln sd (digestRow maps)', () => {
  const pair = new Float64Array(1);
  const word = new BigInt64Array(pair.buffer);
  /** The double next to x (towards +∞ for positive x). */
  const nextUp = (x: number): number => {
    pair[0] = x;
    word[0]! += x >= 0 ? 1n : -1n;
    return pair[0]!;
  };
  /** x with its lowest mantissa bit flipped: within 1 ulp of x, and it swaps adjacent doubles (a non-monotone map of a monotone one's size of error). */
  const flipLow = (x: number): number => {
    pair[0] = x;
    word[0]! ^= 1n;
    return pair[0]!;
  };
  /** A row's digest with the maps, and the reference: every metric's order statistics by its own selection. */
  function both(lnSd: Float64Array, maps: ((x: number) => number)[]): [Float64Array, Float64Array] {
    const E = lnSd.length;
    const metrics = maps.map((f) => Float64Array.from(lnSd, f));
    const W = digestWidth(E, maps.length);
    const shared = new Float64Array(W);
    const own = new Float64Array(W);
    digestRow(lnSd, metrics, new Float64Array(E), shared, 0, maps);
    digestRow(lnSd, metrics, new Float64Array(E), own, 0);
    return [shared, own];
  }
  const MAPS = [(x: number) => Math.exp(2 * (x - 0.3)), (x: number) => 2 * (x + 1.7) * Math.LOG10E, flipLow];

  it('equal each metric’s own selection, number for number, for rows large and small', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    for (const E of [1, 2, 3, 5, 20, 2047, 2049, 5000, 100003]) {
      for (const spread of [1e-6, 0.5, 30]) {
        const lnSd = Float64Array.from({ length: E }, () => -1 + spread * (rand() + rand() + rand() - 1.5));
        const [shared, own] = both(lnSd, MAPS);
        expect([...shared].findIndex((x, i) => !Object.is(x, own[i])), `E ${E}, spread ${spread}`).toBe(-1);
      }
    }
  });

  it('fall back to the metric’s own selection at near-ties, where the map may turn adjacent doubles round', () => {
    const E = 4001; // ranks 200/201 (p05), 1000/1001, 2000, 3000, 3800, 0, 4000
    const base = Float64Array.from({ length: E }, (_, i) => 1 + i * 1e-3);
    for (const k of [0, 199, 200, 201, 202, 1000, 2000, 3999, 4000]) {
      // the values at ranks k and k + 1 made adjacent doubles whose flipped maps cross
      const lnSd = Float64Array.from(base);
      let a = lnSd[k]!;
      pair[0] = a;
      if ((word[0]! & 1n) === 1n) a = nextUp(a);
      const lo = Math.max(0, Math.min(k, E - 2));
      lnSd[lo] = a;
      lnSd[lo + 1] = nextUp(a);
      // shuffled, so that the selection, not the input order, finds them
      for (let i = E - 1; i > 0; i--) {
        const j = (i * 7919) % (i + 1);
        [lnSd[i], lnSd[j]] = [lnSd[j]!, lnSd[i]!];
      }
      expect(flipLow(a) > flipLow(nextUp(a))).toBe(true);
      const [shared, own] = both(lnSd, [flipLow]);
      expect([...shared].findIndex((x, i) => !Object.is(x, own[i])), `near-tie at rank ${k}`).toBe(-1);
      // ties outright, and a map to ±0, fall back too
      const tied = Float64Array.from(lnSd, (x) => Math.round(x * 50) / 50);
      const [s2, o2] = both(tied, [(x) => x - 2.5, flipLow]);
      expect([...s2].findIndex((x, i) => !Object.is(x, o2[i]))).toBe(-1);
    }
  });

  it('are the Gaussian’s trace and log-det ratios, to the bit, as deriveScalarMetrics forms them', async () => {
    const { deriveScalarMetrics, scalarLnSdMaps } = await import('../workers/families/gaussian.js');
    for (const sd0 of [1, 0.3, 1e200]) {
      const spec = { mean0: 0.5, sd0 };
      const n = 10000;
      const lnSd = Float64Array.from({ length: n }, (_, i) => -40 + (i * 80.123) / n);
      const mean = new Float64Array(n).fill(0.1);
      const metrics = new Float64Array(4 * n);
      deriveScalarMetrics(spec, lnSd, mean, metrics, n);
      const maps = scalarLnSdMaps(spec);
      expect(maps.map((m) => m !== null)).toEqual([false, true, true, false]);
      for (let k = 0; k < 4; k++) {
        const f = maps[k];
        if (f === null || f === undefined) continue;
        let off = 0;
        for (let i = 0; i < n; i++) if (!Object.is(f(lnSd[i]!), metrics[k * n + i])) off++;
        expect(off, `metric ${k}, sd0 ${sd0}`).toBe(0);
      }
    }
  });
});
