/**
 * The WebAssembly SIMD products (workers/wasm/linalg.ts) against the JS loops they replace: the
 * same bytes for every shape (k below, at and past a block of eight, odd and even d, d = 1), and
 * for values of every scale, signed zeros included. The JS loops themselves are checked against
 * numpy (test/gaussian-dim-peer.test.ts) and against theory (test/families.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { addLowerGram, affineRows, householderLower, lowerGram, lowerTimesLower, meanAndScatter, scatterLower, symmetricEigenvalues } from '../workers/families/linalg.js';
import { affineRowsFast, linalgWasm, meanAndScatterFast, symmetricEigenvaluesFast, AFFINE_MIN_DIM, EIGEN_MIN_DIM, SCATTER_MIN_DIM } from '../workers/families/linalg-wasm.js';
import { rng } from './helpers.js';

/** Values spread over many binades, signs and a few exact zeros of both signs. */
function fill(x: Float64Array, r: () => number): Float64Array {
  for (let i = 0; i < x.length; i++) {
    const u = r();
    x[i] = u < 0.02 ? 0 : u < 0.04 ? -0 : (r() - 0.5) * 2 ** Math.floor(r() * 40 - 20);
  }
  return x;
}

function same(a: Float64Array, b: Float64Array): boolean {
  const ua = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const ub = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return ua.length === ub.length && ua.every((v, i) => v === ub[i]);
}

const w = linalgWasm();

describe('wasm linear algebra', () => {
  it('is built (npm run build makes build/wasm/linalg.wasm)', () => {
    expect(w).not.toBeNull();
  });

  const shapes: Array<[number, number]> = [];
  for (const d of [1, 2, 3, 7, 24, 25, 31, 64, 100]) for (const k of [1, 2, 7, 8, 9, 15, 16, 17, 40]) shapes.push([d, k]);

  it('affineRows: the same bytes as the JS loop, every shape, rows written at an offset', () => {
    const r = rng(1);
    for (const [d, k] of shapes) {
      const A = fill(new Float64Array(d * d), r);
      const mu = fill(new Float64Array(d), r);
      const z = fill(new Float64Array(k * d), r);
      const o = 3 * d;
      const a = fill(new Float64Array(o + k * d + d), r);
      const b = a.slice();
      affineRows(A, mu, z, k, d, a, o);
      w!.affineRows(A, mu, z, k, d, b, o);
      expect(same(a, b), `d=${d} k=${k}`).toBe(true);
    }
  });

  it('scatterLower: the same bytes as the JS loop, upper triangle untouched', () => {
    const r = rng(2);
    for (const [d, k] of shapes) {
      const z = fill(new Float64Array(k * d), r);
      const a = fill(new Float64Array(d * d), r);
      const b = a.slice();
      scatterLower(z, k, d, a);
      w!.scatterLower(z, k, d, b);
      expect(same(a, b), `d=${d} k=${k}`).toBe(true);
    }
  });

  it('the dispatching versions equal the JS ones around the thresholds, after the memory grew and shrank in use', () => {
    const r = rng(3);
    for (const d of [SCATTER_MIN_DIM - 1, SCATTER_MIN_DIM, AFFINE_MIN_DIM - 1, AFFINE_MIN_DIM, 100, 37]) {
      for (const k of [1000, 9, 16, 300]) {
        const A = fill(new Float64Array(d * d), r);
        const mu = fill(new Float64Array(d), r);
        const z = fill(new Float64Array(k * d), r);
        const a = new Float64Array(k * d);
        const b = new Float64Array(k * d);
        affineRows(A, mu, z, k, d, a, 0);
        affineRowsFast(A, mu, z, k, d, b, 0);
        expect(same(a, b), `affine d=${d} k=${k}`).toBe(true);
        const z1 = z.slice();
        const z2 = z.slice();
        const m1 = new Float64Array(d);
        const m2 = new Float64Array(d);
        const S1 = new Float64Array(d * d);
        const S2 = new Float64Array(d * d);
        meanAndScatter(z1, k, d, m1, S1);
        meanAndScatterFast(z2, k, d, m2, S2);
        expect(same(S1, S2) && same(m1, m2) && same(z1, z2), `scatter d=${d} k=${k}`).toBe(true);
      }
    }
  });

  it('householderLower: the same lower triangle and off-diagonal as the JS reduction, every d', () => {
    const r = rng(5);
    for (const d of [1, 2, 3, 4, 5, 8, 9, 16, 17, 31, 64, 100]) {
      for (const kind of ['spread', 'scatter', 'zero row']) {
        const a = new Float64Array(d * d);
        if (kind === 'spread') fill(a, r);
        else {
          // a scatter matrix (semidefinite, of rank min(d, 5)) as the Gaussian family makes them
          const k = 6;
          const z = new Float64Array(k * d).map(() => r() - 0.5);
          scatterLower(z, k, d, a);
        }
        if (kind === 'zero row' && d > 3) for (let j = 0; j < d - 1; j++) a[(d - 1) * d + j] = 0;
        const b = a.slice();
        const e1 = new Float64Array(d);
        const e2 = new Float64Array(d);
        householderLower(a, d, e1);
        w!.householderLower(b, d, e2);
        let lower = true;
        for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) if (!Object.is(a[i * d + j], b[i * d + j])) lower = false;
        expect(lower && same(e1.subarray(1), e2.subarray(1)), `d=${d} ${kind}`).toBe(true);
      }
    }
  });

  it('symmetricEigenvaluesFast equals symmetricEigenvalues around EIGEN_MIN_DIM and at d = 100', () => {
    const r = rng(6);
    for (const d of [EIGEN_MIN_DIM - 1, EIGEN_MIN_DIM, 100]) {
      const z = new Float64Array(3 * d * d).map(() => r() - 0.5);
      const a = new Float64Array(d * d);
      scatterLower(z, 3 * d, d, a);
      const b = a.slice();
      const w1 = new Float64Array(d);
      const w2 = new Float64Array(d);
      symmetricEigenvalues(a, d, w1, new Float64Array(d));
      symmetricEigenvaluesFast(b, d, w2, new Float64Array(d));
      expect(same(w1, w2), `d=${d}`).toBe(true);
    }
  });

  it('lowerTimesLower and (add)lowerGram: the same bytes as the JS loops, every d, whatever the upper triangles hold', () => {
    const r = rng(7);
    for (const d of [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 64, 100]) {
      // lower factors with random upper triangles: neither product may read them
      const A = fill(new Float64Array(d * d), r);
      const B = fill(new Float64Array(d * d), r);
      const C1 = fill(new Float64Array(d * d), r);
      const C2 = fill(new Float64Array(d * d), r);
      lowerTimesLower(A, B, d, C1);
      w!.lowerTimesLower(A, B, d, C2);
      expect(same(C1, C2), `lowerTimesLower d=${d}`).toBe(true);
      const M1 = fill(new Float64Array(d * d), r);
      const M2 = M1.slice();
      lowerGram(A, d, M1);
      w!.gram(A, d, M2, false);
      expect(same(M1, M2), `lowerGram d=${d}`).toBe(true);
      addLowerGram(B, d, M1);
      w!.gram(B, d, M2, true);
      expect(same(M1, M2), `addLowerGram d=${d}`).toBe(true);
    }
  });

  it('the scatter is the scatter: against a two-pass sum in a different order (relative 1e-12)', () => {
    // an independent check that the compared pair is not wrong in the same way
    const r = rng(4);
    const d = 30;
    const k = 50;
    const z = new Float64Array(k * d).map(() => r() - 0.5);
    const S = new Float64Array(d * d);
    w!.scatterLower(z, k, d, S);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let i = k - 1; i >= 0; i--) s += z[i * d + a]! * z[i * d + b]!;
        expect(Math.abs(S[a * d + b]! - s)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(s)));
      }
    }
  });
});
