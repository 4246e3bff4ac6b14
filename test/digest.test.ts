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
import { digestWidth, METRIC_WIDTH, summaryRanks } from '../src/digest.js';
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
