/**
 * The WebAssembly loops of the 1-D Gaussian's per-generation statistics (workers/wasm/summary.ts)
 * against what they replace: its exp against Math.exp over every binade, the thresholds of each
 * branch of fdlibm's algorithm and the special values; a chunk's moments against
 * src/stats.ts chunkMoments and the derived metrics against deriveScalarMetrics, field by field
 * and bit for bit, on rows of every scale with infinities and NaN among them. The JS functions
 * themselves are checked against two-pass computations and theory elsewhere (test/stats.test.ts,
 * test/families.test.ts).
 */
import { describe, expect, it } from 'vitest';
// the coordinator's family registry first, as the worker entries load it (workers/task.ts)
import '../src/families/index.js';
import { chunkMoments, NF } from '../src/stats.js';
import { digestRow, digestWidth, PASS_WIDTH, summaryRanks } from '../src/digest.js';
import { orderStatistics } from '../src/select.js';
import { deriveScalarMetrics } from '../workers/families/gaussian.js';
import { WASM_SUMMARY_MAX, wasmSummary } from '../workers/wasm-summary.js';
import { rng } from './helpers.js';

const ws = wasmSummary();

/** Whether a and b are the same double (NaN equal to NaN, +0 not to −0). */
function sameBits(a: number, b: number): boolean {
  return Object.is(a, b);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The double with high word `hi` and low word `lo`. */
function fromWords(hi: number, lo: number): number {
  u32[1] = hi >>> 0;
  u32[0] = lo >>> 0;
  return f64[0]!;
}

/** x and its neighbours k ulps either side. */
function around(x: number, k = 3): number[] {
  f64[0] = x;
  const hi = u32[1]!;
  const lo = u32[0]!;
  const out: number[] = [];
  for (let d = -k; d <= k; d++) {
    // stepping the low word is enough away from a carry; the words here are not near one
    out.push(fromWords(hi, (lo + d) >>> 0));
  }
  return out;
}

describe('wasm summary loops', () => {
  it('are built (npm run build makes build/wasm/summary.wasm)', () => {
    expect(ws).not.toBeNull();
  });

  it('refuse a row past WASM_SUMMARY_MAX (the JS loops take it) and one loaded without room', () => {
    expect(ws!.reserve(WASM_SUMMARY_MAX + 1)).toBe(false);
    expect(ws!.reserve(4)).toBe(true);
    const big = new Float64Array(1 << 20);
    expect(() => ws!.load(big, big)).toThrow(/without room/);
  });

  it('exp: Math.exp to the bit over every binade, each branch threshold and the special values', () => {
    const r = rng(11);
    const xs: number[] = [0, -0, 1, -1, Infinity, -Infinity, NaN, fromWords(0x7ff80000, 1), fromWords(0xfff00000, 5)];
    // each branch's edge, from the high words the algorithm compares, and a few ulps around it
    for (const hi of [0x40862e42, 0x3fd62e42, 0x3ff0a2b2, 0x3e300000]) {
      for (const sign of [0, 0x80000000]) for (const lo of [0, 1, 0xfefa39ef, 0xffffffff]) xs.push(...around(fromWords((hi | sign) >>> 0, lo), 2));
    }
    // across the window ln2/2 < |x| < 0x3FD62E43 00000000, where fdlibm does not reduce (k = 0)
    // although x/ln2 + ½ is above 1 (a two-lane exp that reduced there is wrong on 7% of it)
    for (const sign of [0, 0x80000000]) for (let lo = 0xfefa39ef - 4000; lo <= 0xffffffff; lo += 853) xs.push(fromWords((0x3fd62e42 | sign) >>> 0, lo));
    // the overflow and underflow thresholds, the largest k (1024) and the subnormal results
    for (const x of [709.782712893384, -745.1332191019411, -708.3964185322641, 709.089565712824, -744.44007192138]) xs.push(...around(x, 4));
    for (let i = 0; i < 400_000; i++) {
      // random words: every binade of both signs, subnormals, NaNs of many payloads
      xs.push(fromWords((r() * 2 ** 32) >>> 0, (r() * 2 ** 32) >>> 0));
      // and the ranges the summaries meet: ln sd near 0 and down to the deepest collapse
      xs.push((r() - 0.5) * 2 ** Math.floor(r() * 12 - 2));
      xs.push(-r() * 745);
      // pairs in the two-lane exp's fast range, on both sides of the reduction thresholds
      xs.push((r() - 0.5) * 2.2, (r() - 0.5) * 0.8);
    }
    let bad = 0;
    let first = '';
    for (const x of xs) {
      const a = ws!.exp(x);
      const b = Math.exp(x);
      if (!sameBits(a, b) && !(Number.isNaN(a) && Number.isNaN(b))) {
        if (bad++ === 0) first = `exp(${x}) = ${a}, Math.exp gives ${b}`;
      }
    }
    expect(bad, first).toBe(0);
    // the two-lane exp of the loops, on the same values in pairs (each lane's own path, or fdexp's
    // where either lane is outside its fast range)
    for (let i = 0; i + 1 < xs.length; i += 2) {
      const [a, b] = ws!.exp2(xs[i]!, xs[i + 1]!);
      for (const [got, x] of [
        [a, xs[i]!],
        [b, xs[i + 1]!],
      ] as const) {
        const want = Math.exp(x);
        if (!sameBits(got, want) && !(Number.isNaN(got) && Number.isNaN(want))) {
          if (bad++ === 0) first = `two-lane exp(${x}) = ${got}, Math.exp gives ${want}`;
        }
      }
    }
    expect(bad, first).toBe(0);
  });

  /** A row of ln sd and mean: ordinary values, a deep collapse, values at ln epsilon, and a few infinities or NaN where asked. */
  function row(r: () => number, n: number, depth: number, odd: boolean): [Float64Array, Float64Array] {
    const ls = new Float64Array(n);
    const m = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ls[i] = depth + (r() - 0.5) * 2 ** Math.floor(r() * 8 - 3);
      m[i] = (r() - 0.5) * 2 ** Math.floor(r() * 20 - 10);
    }
    // values exactly at ln epsilon (of the tests' epsilons), which the count above epsilon must leave out
    if (n > 7) for (const eps of [1e-3, 0.5]) ls[Math.floor(r() * n)] = Math.log(eps);
    if (odd) {
      ls[Math.floor(r() * n)] = -Infinity;
      if (n > 3) ls[Math.floor(r() * n)] = Infinity;
      if (n > 5) m[Math.floor(r() * n)] = NaN;
    }
    return [ls, m];
  }

  it('moments: chunkMoments field by field, for chunks anywhere in a row, rows of every depth', () => {
    const r = rng(12);
    const into = new Float64Array(NF);
    for (const n of [1, 2, 3, 16, 17, 1000, 4099]) {
      for (const depth of [0, 2.5, -30, -700, 300]) {
        for (const odd of [false, true]) {
          const [ls, m] = row(r, n, depth, odd);
          expect(ws!.reserve(n)).toBe(true);
          ws!.load(ls, m);
          const cuts = [0, Math.floor(n / 3), Math.floor(n / 2), n].filter((v, i, a) => i === 0 || v > a[i - 1]!);
          for (let c = 0; c + 1 < cuts.length; c++) {
            const e0 = cuts[c]!;
            const count = cuts[c + 1]! - e0;
            for (const [mean0, sd0, eps] of [
              [0, 1, 1e-3],
              [3.5, 0.25, 0.5],
            ] as const) {
              ws!.moments(e0, count, mean0, sd0, eps, into);
              const want = chunkMoments(ls, m, 1, count, mean0, sd0, eps, n, e0).data;
              for (let f = 0; f < NF; f++) {
                expect(sameBits(into[f]!, want[f]!), `n=${n} depth=${depth} odd=${odd} chunk [${e0}, ${e0 + count}) field ${f}: ${into[f]} vs ${want[f]}`).toBe(true);
              }
            }
          }
        }
      }
    }
  });

  it('derive: deriveScalarMetrics bit for bit, every metric, rows of every depth', () => {
    const r = rng(13);
    for (const n of [1, 7, 1000]) {
      for (const depth of [0, -30, -700, 300]) {
        for (const odd of [false, true]) {
          const [ls, m] = row(r, n, depth, odd);
          for (const [mean0, sd0] of [
            [0, 1],
            [-2, 3.75],
          ] as const) {
            expect(ws!.reserve(n)).toBe(true);
            ws!.load(ls, m);
            const got = ws!.derive(mean0, sd0);
            const want = new Float64Array(4 * n);
            deriveScalarMetrics({ mean0, sd0 }, ls, m, want, n);
            for (let k = 0; k < 4; k++) {
              for (let i = 0; i < n; i++) {
                expect(sameBits(got[k]![i]!, want[k * n + i]!), `n=${n} depth=${depth} metric ${k} value ${i}`).toBe(true);
              }
            }
          }
        }
      }
    }
  });

  it('metricPasses: the digest of the derived metrics from the module\'s passes is digestRow\'s own, number for number', () => {
    const r = rng(14);
    const passes = new Float64Array(4 * PASS_WIDTH);
    for (const n of [1, 2, 3, 257, 1000, 3001]) {
      for (const depth of [0, -30, -700, 300]) {
        for (const odd of [false, true]) {
          const [ls, m] = row(r, n, depth, odd);
          expect(ws!.reserve(n)).toBe(true);
          ws!.load(ls, m);
          const metrics = ws!.derive(0.5, 2);
          ws!.metricPasses(passes);
          const W = digestWidth(n, 4);
          const a = new Float64Array(W);
          const b = new Float64Array(W);
          digestRow(ls, metrics, new Float64Array(n), a, 0, undefined, passes);
          digestRow(ls, metrics, new Float64Array(n), b, 0);
          for (let i = 0; i < W; i++) expect(sameBits(a[i]!, b[i]!), `n=${n} depth=${depth} odd=${odd} digest[${i}]: ${a[i]} vs ${b[i]}`).toBe(true);
        }
      }
    }
  });

  it('histogram passes: orderStatistics through the module gives its own values, for rows of every shape', () => {
    const r = rng(15);
    const shapes: Array<[string, (i: number, n: number) => number]> = [
      ['one sign, narrow', () => -0.5 + 1e-3 * r()],
      ['one sign, many decades', () => 2 ** (r() * 200 - 100)],
      ['negative, many decades', () => -(2 ** (r() * 60 - 30))],
      ['both signs', () => r() - 0.4],
      ['both signs, heavy tail', () => (r() - 0.5) / (r() + 1e-9)],
      ['ties', () => Math.floor(r() * 5) - 2],
      ['signed zeros', () => (r() < 0.5 ? -0 : 0)],
      ['zeros and a tail', (i) => (i % 3 === 0 ? 0 : r() * 1e-300)],
      ['all equal', () => 1.5],
      ['infinities', () => (r() < 0.05 ? -Infinity : r() < 0.05 ? Infinity : r())],
      ['a NaN', (i, n) => (i === n >> 1 ? NaN : r())],
    ];
    for (const n of [1, 2, 100, 256, 257, 1000, 20011]) {
      for (const [name, f] of shapes) {
        const v = Float64Array.from({ length: n }, (_, i) => f(i, n));
        expect(ws!.reserve(n)).toBe(true);
        ws!.load(v, new Float64Array(n));
        const ranks = summaryRanks(n);
        const a = new Float64Array(ranks.length);
        const b = new Float64Array(ranks.length);
        orderStatistics(ws!.lnSd(), ranks, a, ws!.scratch(), NaN, NaN, ws!.histogram);
        orderStatistics(v.slice(), ranks, b, new Float64Array(n));
        for (let j = 0; j < ranks.length; j++) expect(sameBits(a[j]!, b[j]!), `${name}, n=${n}, rank ${ranks[j]}: ${a[j]} vs ${b[j]}`).toBe(true);
        // and with the range given, as the metrics' digests give it
        let lo = Infinity;
        let hi = -Infinity;
        for (const x of v) {
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
        if (v.some((x) => x !== x)) continue;
        orderStatistics(ws!.lnSd(), ranks, a, ws!.scratch(), lo, hi, ws!.histogram);
        for (let j = 0; j < ranks.length; j++) expect(sameBits(a[j]!, b[j]!), `${name}, n=${n}, range given, rank ${ranks[j]}`).toBe(true);
      }
    }
  });
});
