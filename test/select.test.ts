/**
 * Selection of order statistics against a full sort (Float64Array.prototype.sort, the reference
 * today's summaries used): random arrays with and without ties, sorted and reversed input, NaN,
 * ±Infinity, −0 and +0, and the smallest sizes.
 */
import { describe, expect, it } from 'vitest';
import { quantileRanks, selectRanks } from '../src/select.js';
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

describe('quantileRanks', () => {
  it('lists 0, n − 1 and each ⌊(n − 1)p⌋ with its successor, ascending and distinct', () => {
    expect([...quantileRanks(1, PS)]).toEqual([0]);
    expect([...quantileRanks(2, PS)]).toEqual([0, 1]);
    expect([...quantileRanks(101, PS)]).toEqual([0, 5, 6, 25, 26, 50, 51, 75, 76, 95, 96, 100]);
    expect([...quantileRanks(0, PS)]).toEqual([]);
  });
});
