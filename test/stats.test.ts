/**
 * Sufficient statistics: Chan's merge against a two-pass computation (offsets near 1e12 included),
 * chunk moments merged over any split against the whole, scaled sd moments at depth, quantiles.
 */
import { describe, expect, it } from 'vitest';
import { chunkMoments, emptyMoments, F, mergeMoments, NF, quantile7 } from '../src/stats.js';

/**
 * Chan et al.'s pairwise update in its textbook form, one pair at a time: the (mean, M2) of the
 * union of two samples of sizes na and nb. The reference mergeMoments is held to, bit for bit.
 */
function chanMerge(na: number, meanA: number, m2A: number, nb: number, meanB: number, m2B: number): [number, number] {
  if (na === 0) return [meanB, m2B];
  if (nb === 0) return [meanA, m2A];
  const n = na + nb;
  const delta = meanB - meanA;
  return [meanA + (delta * nb) / n, m2A + m2B + ((delta * delta) * na * nb) / n];
}

/** Reference: two passes over data shifted by its first value (exact differences near 1e12). */
function twoPass(x: readonly number[]): [number, number] {
  const k = x[0]!;
  const mean = x.reduce((a, b) => a + (b - k), 0) / x.length;
  return [k + mean, x.reduce((a, b) => a + (b - k - mean) ** 2, 0)];
}

/** Deterministic pseudo-random values (a tiny LCG) so the test is reproducible. */
function values(n: number, offset: number, scale: number, seed = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return offset + scale * (s / 2 ** 32 - 0.5);
  });
}

describe('Chan et al.\'s update (the reference below holds mergeMoments to it)', () => {
  for (const offset of [0, 1e6, 1e12]) {
    it(`equals a two-pass computation for data offset by ${offset}, within the rounding of the partial means`, () => {
      const x = values(1000, offset, 1);
      for (const cut of [1, 10, 500, 999]) {
        const a = twoPass(x.slice(0, cut));
        const b = twoPass(x.slice(cut));
        const [mean, m2] = chanMerge(cut, a[0], a[1], x.length - cut, b[0], b[1]);
        const [tm, tm2] = twoPass(x);
        expect(Math.abs(mean - tm)).toBeLessThanOrEqual(Math.abs(tm) * 4.5e-16 + 1e-15); // 2 ulp
        // The partial means are rounded to ulp(offset); the merge's δ²·na·nb/n term inherits it.
        const ulp = Math.max(Number.EPSILON, offset * Number.EPSILON);
        const delta = Math.abs(b[0] - a[0]);
        const tol = 1e-12 * tm2 + 4 * ulp * delta * ((cut * (x.length - cut)) / x.length);
        expect(Math.abs(m2 - tm2)).toBeLessThanOrEqual(tol);
      }
    });
  }

  it('handles an empty side', () => {
    expect(chanMerge(0, 0, 0, 3, 2, 5)).toEqual([2, 5]);
    expect(chanMerge(3, 2, 5, 0, 0, 0)).toEqual([2, 5]);
  });
});

describe('chunk moments', () => {
  const rows = 3;
  const E = 97;
  const lnSd = new Float64Array(values(rows * E, -2, 3, 7));
  const mean = new Float64Array(values(rows * E, 1e12, 2, 9));

  function slice(arr: Float64Array, start: number, count: number): Float64Array {
    const out = new Float64Array(rows * count);
    for (let r = 0; r < rows; r++) out.set(arr.subarray(r * E + start, r * E + start + count), r * count);
    return out;
  }

  it('merged over any split equal the moments of the whole, within rounding', () => {
    const whole = chunkMoments(lnSd, mean, rows, E, 1e12, 1, 0.5);
    for (const size of [1, 5, 13, 96]) {
      const acc = emptyMoments(rows);
      for (let s = 0; s < E; s += size) {
        const c = Math.min(size, E - s);
        mergeMoments(acc, chunkMoments(slice(lnSd, s, c), slice(mean, s, c), rows, c, 1e12, 1, 0.5));
      }
      expect(acc.count).toBe(E);
      for (let i = 0; i < rows * NF; i++) {
        const a = acc.data[i]!;
        const b = whole.data[i]!;
        expect(Math.abs(a - b), `field ${i % NF} row ${Math.floor(i / NF)} size ${size}`).toBeLessThanOrEqual(
          1e-9 * Math.max(Math.abs(b), 1e-300) + 1e-12,
        );
      }
    }
  });

  it('the merge is Chan et al.\'s pairwise update field by field, to the bit (any split, strided reads of a joined buffer)', () => {
    // the reference: chanMerge on each (mean, M2) pair, the sd pairs rescaled by exp(ref − merged ref)
    const reference = (a: Float64Array, na: number, b: Float64Array, nb: number): Float64Array => {
      const out = Float64Array.from(a);
      for (let r = 0; r < rows; r++) {
        const o = r * NF;
        for (const [m, v] of [[F.l10Mean, F.l10M2], [F.mMean, F.mM2], [F.dm2Mean, F.dm2M2], [F.w2Mean, F.w2M2]] as const) {
          [out[o + m], out[o + v]] = chanMerge(na, a[o + m]!, a[o + v]!, nb, b[o + m]!, b[o + v]!);
        }
        out[o + F.lsMin] = Math.min(a[o + F.lsMin]!, b[o + F.lsMin]!);
        out[o + F.lsMax] = Math.max(a[o + F.lsMax]!, b[o + F.lsMax]!);
        const ref = Math.max(a[o + F.sdRef]!, b[o + F.sdRef]!);
        const fa = Math.exp(a[o + F.sdRef]! - ref);
        const fb = Math.exp(b[o + F.sdRef]! - ref);
        out[o + F.sdRef] = ref;
        [out[o + F.sdMean], out[o + F.sdM2]] = chanMerge(na, a[o + F.sdMean]! * fa, a[o + F.sdM2]! * fa * fa, nb, b[o + F.sdMean]! * fb, b[o + F.sdM2]! * fb * fb);
        const fa2 = fa * fa;
        const fb2 = fb * fb;
        [out[o + F.sqMean], out[o + F.sqM2]] = chanMerge(na, a[o + F.sqMean]! * fa2, a[o + F.sqM2]! * fa2 * fa2, nb, b[o + F.sqMean]! * fb2, b[o + F.sqM2]! * fb2 * fb2);
        out[o + F.above] = a[o + F.above]! + b[o + F.above]!;
      }
      return out;
    };
    for (const size of [1, 3, 13, 40]) {
      const acc = emptyMoments(rows);
      let expected: Float64Array | null = null;
      for (let s = 0; s < E; s += size) {
        const c = Math.min(size, E - s);
        // the chunk read in place from the whole buffer (stride E, offset s) is the chunk copied out
        const chunk = chunkMoments(lnSd, mean, rows, c, 1e12, 1, 0.5, E, s);
        expect(chunk.data).toEqual(chunkMoments(slice(lnSd, s, c), slice(mean, s, c), rows, c, 1e12, 1, 0.5).data);
        expected = expected === null ? Float64Array.from(chunk.data) : reference(expected, acc.count, chunk.data, c);
        mergeMoments(acc, chunk);
        for (let i = 0; i < rows * NF; i++) expect(Object.is(acc.data[i], expected[i]), `field ${i % NF} at ${s}, size ${size}`).toBe(true);
      }
    }
  });

  it('sd moments survive depths where the sd underflows a double', () => {
    const deep = new Float64Array([-2000, -2001, -1999.5, -2002]);
    const m = new Float64Array(4);
    const a = chunkMoments(deep.subarray(0, 2), m.subarray(0, 2), 1, 2, 0, 1, 0.1);
    mergeMoments(a, chunkMoments(deep.subarray(2), m.subarray(2), 1, 2, 0, 1, 0.1));
    // log-sum-exp by hand: mean of exp(ls) = exp(max) * mean(exp(ls - max))
    const mx = -1999.5;
    const rel = [-2000, -2001, -1999.5, -2002].map((l) => Math.exp(l - mx));
    const mean = rel.reduce((x, y) => x + y, 0) / 4;
    const lnMean = Math.log(a.data[F.sdMean]!) + a.data[F.sdRef]!;
    expect(lnMean).toBeCloseTo(mx + Math.log(mean), 12);
    expect(Math.exp(lnMean)).toBe(0); // the plain value underflows: hence the log fields
  });
});

describe('quantile7', () => {
  it('matches numpy.quantile (linear) and R type 7', () => {
    const x = new Float64Array([1, 2, 3, 4, 10]);
    // numpy.quantile([1,2,3,4,10], [0.05, 0.25, 0.5, 0.95]) = [1.2, 2., 3., 8.8]
    expect(quantile7(x, 0.05)).toBeCloseTo(1.2, 14);
    expect(quantile7(x, 0.25)).toBe(2);
    expect(quantile7(x, 0.5)).toBe(3);
    expect(quantile7(x, 0.95)).toBeCloseTo(8.8, 14);
    expect(quantile7(new Float64Array([5]), 0.95)).toBe(5);
  });
});
