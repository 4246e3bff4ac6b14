/**
 * Selection of order statistics against a full sort (Float64Array.prototype.sort, the reference
 * today's summaries used): random arrays with and without ties, sorted and reversed input, NaN,
 * ±Infinity, −0 and +0, and the smallest sizes.
 */
import { describe, expect, it } from 'vitest';
import { orderStatistics, quantileRanks, selectRanks } from '../src/select.js';
import { quantile7 } from '../src/stats.js';

/** Deterministic pseudo-random numbers in [0, 1) (a 32-bit LCG), so every case is reproducible. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PS = [0.05, 0.25, 0.5, 0.75, 0.95];

/** Every requested rank of a selected copy equals the sorted copy there, bit for bit (Object.is). */
function checkAgainstSort(x: Float64Array, ranks: Int32Array = quantileRanks(x.length, PS)): void {
  const sorted = Float64Array.from(x).sort();
  const sel = Float64Array.from(x);
  selectRanks(sel, ranks);
  for (const k of ranks) {
    if (!Object.is(sel[k], sorted[k])) throw new Error(`rank ${k} of ${x.length}: selected ${sel[k]}, sorted ${sorted[k]}`);
  }
  // selection only permutes
  expect(Float64Array.from(sel).sort()).toEqual(sorted);
  for (const p of PS) expect(Object.is(quantile7(sel, p), quantile7(sorted, p))).toBe(true);
  checkOrderStatistics(x, ranks, sorted);
}

/** orderStatistics at `ranks` equals the sorted copy there, bit for bit, and leaves `x` as it was. */
function checkOrderStatistics(x: Float64Array, ranks: Int32Array, sorted = Float64Array.from(x).sort()): void {
  const before = Float64Array.from(x);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  for (const given of [false, true]) {
    const out = new Float64Array(ranks.length).fill(12345);
    const scratch = new Float64Array(x.length + 3).fill(777);
    if (given && !x.some((v) => Number.isNaN(v))) orderStatistics(x, ranks, out, scratch, lo, hi);
    else orderStatistics(x, ranks, out, scratch);
    ranks.forEach((k, j) => {
      if (!Object.is(out[j], sorted[k])) throw new Error(`orderStatistics rank ${k} of ${x.length}: ${out[j]}, sorted ${sorted[k]}`);
    });
  }
  expect(x).toEqual(before);
}

describe('selectRanks', () => {
  it('gives the sorted values at the quantile ranks for random arrays of many sizes', () => {
    const u = lcg(1);
    for (const n of [1, 2, 3, 4, 5, 7, 10, 20, 21, 100, 599, 600, 601, 602, 1000, 4999, 20000, 100001]) {
      for (let rep = 0; rep < (n > 10000 ? 2 : 20); rep++) {
        checkAgainstSort(Float64Array.from({ length: n }, () => u() * 2 - 1));
      }
    }
  });

  it('handles ties: few distinct values, all equal, and heavy duplicates around the quantiles', () => {
    const u = lcg(2);
    for (const n of [2, 3, 10, 1000, 5000, 30000]) {
      for (const distinct of [1, 2, 3, 10, 100]) {
        checkAgainstSort(Float64Array.from({ length: n }, () => Math.floor(u() * distinct)));
      }
    }
  });

  it('handles sorted, reversed and organ-pipe input', () => {
    for (const n of [10, 601, 5000, 50000]) {
      const up = Float64Array.from({ length: n }, (_, i) => i);
      checkAgainstSort(up);
      checkAgainstSort(up.slice().reverse());
      checkAgainstSort(Float64Array.from({ length: n }, (_, i) => Math.min(i, n - i)));
    }
  });

  it('puts NaN after every number and keeps ±Infinity in order, as the sort does', () => {
    const u = lcg(3);
    for (const n of [1, 2, 3, 10, 1000, 10000]) {
      for (const share of [0, 0.01, 0.3, 0.96, 1]) {
        const x = Float64Array.from({ length: n }, () => {
          const r = u();
          if (r < share) return NaN;
          if (r < share + 0.02) return -Infinity;
          if (r < share + 0.04) return Infinity;
          return u() - 0.5;
        });
        checkAgainstSort(x);
      }
    }
  });

  it('orders −0 before +0 as the sort does', () => {
    const u = lcg(4);
    for (const n of [2, 3, 20, 2000]) {
      const x = Float64Array.from({ length: n }, () => (u() < 0.5 ? -0 : u() < 0.5 ? 0 : u() - 0.5));
      checkAgainstSort(x);
      checkAgainstSort(x, Int32Array.from({ length: n }, (_, i) => i));
    }
    checkAgainstSort(new Float64Array([NaN, -0, 0, NaN]));
    checkAgainstSort(new Float64Array([0, NaN, -0]));
  });

  it('selects every rank at once (E = 1, 2 and small n)', () => {
    const u = lcg(5);
    for (const n of [1, 2, 3, 8, 33]) {
      const all = Int32Array.from({ length: n }, (_, i) => i);
      for (let rep = 0; rep < 20; rep++) checkAgainstSort(Float64Array.from({ length: n }, () => Math.floor(u() * 4)), all);
    }
  });
});

describe('orderStatistics', () => {
  const u = lcg(6);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const shapes: Record<string, () => number> = {
    'one binade': () => 1 + u() * 0.999,
    'normal around −0.75': () => -0.75 + 0.05 * normal(),
    'log-normal over 60 decades': () => Math.exp(30 * normal()),
    'mixed signs with zeros': () => (u() < 0.1 ? 0 : u() < 0.1 ? -0 : normal() * 1e-3),
    'chi-square(1)': () => normal() ** 2,
    'ties at the quantiles': () => Math.floor(u() * 7),
    'huge and tiny': () => (u() < 0.5 ? 1e-300 * u() : 1e300 * u()),
    '±Infinity among numbers': () => (u() < 0.01 ? -Infinity : u() < 0.01 ? Infinity : normal()),
    'one outlier far away': () => (u() < 1e-4 ? 1e200 : normal()),
  };
  it('gives the sorted values at the quantile ranks, and at random ranks, for many shapes and sizes', () => {
    for (const [name, draw] of Object.entries(shapes)) {
      for (const n of [257, 1000, 2049, 5000, 100_003]) {
        const x = Float64Array.from({ length: n }, draw);
        try {
          checkOrderStatistics(x, quantileRanks(n, PS));
          const some = new Set<number>();
          for (let i = 0; i < 40; i++) some.add(Math.floor(u() * n));
          checkOrderStatistics(x, Int32Array.from([...some].sort((a, b) => a - b)));
        } catch (err) {
          throw new Error(`${name}, n = ${n}: ${(err as Error).message}`);
        }
      }
    }
  });

  it('reads a view at an offset into a larger buffer, all-equal values, and every rank at once', () => {
    const big = Float64Array.from({ length: 30_000 }, () => normal());
    checkOrderStatistics(big.subarray(7, 20_007), quantileRanks(20_000, PS));
    checkOrderStatistics(new Float64Array(5000).fill(-2.5), quantileRanks(5000, PS));
    const zeros = Float64Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? -0 : 0));
    checkOrderStatistics(zeros, Int32Array.from({ length: 5000 }, (_, i) => i));
    // the smallest value found first is +0, with −0 after it (< cannot tell them apart)
    const posZeros = Float64Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? -0 : i));
    checkOrderStatistics(posZeros, quantileRanks(5000, [0.1, 0.2, 0.3, 0.5]));
    const negZeros = Float64Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : -i));
    checkOrderStatistics(negZeros, quantileRanks(5000, [0.5, 0.7, 0.8, 0.9]));
    checkOrderStatistics(Float64Array.from({ length: 3000 }, normal), Int32Array.from({ length: 3000 }, (_, i) => i));
  });
});

describe('quantileRanks', () => {
  it('lists 0, n − 1 and each ⌊(n − 1)p⌋ with its successor, ascending and distinct', () => {
    expect([...quantileRanks(1, PS)]).toEqual([0]);
    expect([...quantileRanks(2, PS)]).toEqual([0, 1]);
    expect([...quantileRanks(101, PS)]).toEqual([0, 5, 6, 25, 26, 50, 51, 75, 76, 95, 96, 100]);
    expect([...quantileRanks(0, PS)]).toEqual([]);
  });
});
