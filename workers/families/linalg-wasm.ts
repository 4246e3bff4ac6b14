/**
 * The WebAssembly SIMD versions of affineRows and of meanAndScatter's O(k·d²) product
 * (workers/wasm/linalg.ts, built to build/wasm/linalg.wasm), behind the JS signatures of
 * workers/families/linalg.ts. They give the same bytes as the JS loops (test/linalg-wasm.test.ts);
 * below the sizes where they pay (SCATTER_MIN_DIM, AFFINE_MIN_DIM, WASM_MIN_ROWS), when the binary is missing, or with COLLAPSE_KERNEL=js, the JS loops run.
 *
 * The operands are copied into the module's memory (O(k·d)) around the O(k·d²/2) products; the
 * memory grows to the largest call and is kept by the thread.
 */
import { loadOnce } from '../wasm-file.js';
import {
  addLowerGram as addLowerGramJs,
  affineRows as affineRowsJs,
  centreRows,
  householderLower,
  lowerGram as lowerGramJs,
  lowerTimesLower as lowerTimesLowerJs,
  scatterLower,
  symmetricEigenvalues,
} from './linalg.js';

declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  affine8(aPtr: number, muPtr: number, zPtr: number, oPtr: number, blocks: number, d: number): void;
  scatter8(zPtr: number, sPtr: number, k: number, d: number): void;
  tred(aPtr: number, d: number, ePtr: number): void;
  lowerMul(aPtr: number, bPtr: number, d: number, cPtr: number): void;
  gramT(tPtr: number, d: number, p: number, mPtr: number): void;
}

/**
 * Where the wasm versions are used: the copies in and out cost O(k·d) or O(d²) around O(k·d²/2)
 * or O(d³) work, and a call costs a little. Measured on one thread (bench/linalg-wasm.ts, k = 1000;
 * docs/benchmarks.md, "WebAssembly products"), wasm over JS: the scatter 2x at d = 8 and 3–4x from
 * d = 12; affineRows even at d = 16, 1.5–4x from d = 24; the Householder reduction 1.4x at d = 12,
 * 2.5x at d = 100; L·B 2.4x at d = 16, 6x at d = 100; L·Lᵀ even at d = 24 to 31, 2.6x at d = 100.
 */
export const SCATTER_MIN_DIM = 8;
export const AFFINE_MIN_DIM = 24;
export const WASM_MIN_ROWS = 16;
export const EIGEN_MIN_DIM = 10;
/**
 * The most row values (k·d) the row products copy into the module: 2^26 doubles, 512 MiB a
 * buffer (affineRows holds two). Larger calls run the JS loop rather than grow the module's
 * memory towards WebAssembly's 4 GiB limit.
 */
export const WASM_MAX_ROW_VALUES = 2 ** 26;
export const PRODUCT_MIN_DIM = 16;
export const GRAM_MIN_DIM = 48;

export interface LinalgWasm {
  affineRows(A: Float64Array, mu: Float64Array, z: Float64Array, k: number, d: number, out: Float64Array, o: number): void;
  /** The lower triangle of Σ_i z_i z_iᵀ over the first k rows of z (centred by the caller) into S. */
  scatterLower(z: Float64Array, k: number, d: number, S: Float64Array): void;
  /** householderLower: the same lower triangle (diagonal included) and e[1..d−1] afterwards. */
  householderLower(a: Float64Array, d: number, e: Float64Array): void;
  /** lowerTimesLower: C = A·B, A and B lower triangular. */
  lowerTimesLower(A: Float64Array, B: Float64Array, d: number, C: Float64Array): void;
  /** The lower triangle of M = L·Lᵀ, or of M + L·Lᵀ when `add`. */
  gram(L: Float64Array, d: number, M: Float64Array, add: boolean): void;
}

/** Instantiates the module from `bytes`. */
export function instantiateLinalg(bytes: Uint8Array): LinalgWasm {
  const module = new WebAssembly.Module(bytes);
  const x = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error('linalg.wasm: abort'); } } }).exports as unknown as Exports;
  let f64 = new Float64Array(x.memory.buffer);
  /** Memory for `doubles` doubles from byte 0 (the module keeps no data of its own). */
  const reserve = (doubles: number): Float64Array => {
    const bytes = doubles * 8;
    const have = x.memory.buffer.byteLength;
    if (bytes > have) x.memory.grow(Math.ceil((bytes - have) / 65536));
    if (f64.buffer !== x.memory.buffer || f64.length * 8 !== x.memory.buffer.byteLength) f64 = new Float64Array(x.memory.buffer);
    return f64;
  };
  return {
    affineRows(A, mu, z, k, d, out, o) {
      const blocks = Math.ceil(k / 8);
      const dd = d * d;
      const zAt = dd + d;
      const oAt = zAt + blocks * 8 * d;
      const m = reserve(oAt + blocks * 8 * d);
      m.set(A.subarray(0, dd), 0);
      m.set(mu.subarray(0, d), dd);
      // rows in blocks of eight, column-interleaved; the last block's missing rows are zeros
      for (let i = 0; i < blocks * 8; i++) {
        const base = zAt + (i >> 3) * 8 * d + (i & 7);
        if (i < k) {
          const zo = i * d;
          for (let b = 0; b < d; b++) m[base + 8 * b] = z[zo + b]!;
        } else {
          for (let b = 0; b < d; b++) m[base + 8 * b] = 0;
        }
      }
      x.affine8(0, dd * 8, zAt * 8, oAt * 8, blocks, d);
      for (let i = 0; i < k; i++) {
        const base = oAt + (i >> 3) * 8 * d + (i & 7);
        const p = o + i * d;
        for (let a = 0; a < d; a++) out[p + a] = m[base + 8 * a]!;
      }
    },
    scatterLower(z, k, d, S) {
      const kk = Math.ceil(k / 8) * 8;
      const sAt = kk * d;
      const m = reserve(sAt + d * d);
      m.set(z.subarray(0, k * d), 0);
      m.fill(0, k * d, kk * d);
      x.scatter8(0, sAt * 8, kk, d);
      for (let a = 0; a < d; a++) {
        const r = a * d;
        for (let b = 0; b <= a; b++) S[r + b] = m[sAt + r + b]!;
      }
    },
    householderLower(a, d, e) {
      const dd = d * d;
      const m = reserve(dd + d);
      // the full symmetric matrix from the lower triangle
      for (let i = 0; i < d; i++) {
        const r = i * d;
        for (let j = 0; j <= i; j++) {
          const x = a[r + j]!;
          m[r + j] = x;
          m[j * d + i] = x;
        }
      }
      x.tred(0, d, dd * 8);
      for (let i = 0; i < d; i++) {
        const r = i * d;
        for (let j = 0; j <= i; j++) a[r + j] = m[r + j]!;
      }
      for (let i = 1; i < d; i++) e[i] = m[dd + i]!;
    },
    lowerTimesLower(A, B, d, C) {
      const dd = d * d;
      const m = reserve(3 * dd);
      m.set(A.subarray(0, dd), 0);
      m.set(B.subarray(0, dd), dd);
      x.lowerMul(0, dd * 8, d, 2 * dd * 8);
      C.set(m.subarray(2 * dd, 3 * dd));
    },
    gram(L, d, M, add) {
      const p = d + (d & 1);
      const mAt = d * p;
      const m = reserve(2 * d * p);
      for (let k = 0; k < d; k++) {
        const r = k * p;
        for (let i = 0; i < d; i++) m[r + i] = L[i * d + k]!;
        if (p > d) m[r + d] = 0;
      }
      x.gramT(0, d, p, mAt * 8);
      for (let j = 0; j < d; j++) {
        const r = mAt + j * p;
        if (add) for (let i = j; i < d; i++) M[i * d + j] = M[i * d + j]! + m[r + i]!;
        else for (let i = j; i < d; i++) M[i * d + j] = m[r + i]!;
      }
    },
  };
}

/** This thread's module, loaded once; null when it is not built or COLLAPSE_KERNEL=js. */
export const linalgWasm = loadOnce('linalg.wasm', instantiateLinalg);

/** Whether a row product of k rows of d values goes to the wasm module: big enough to pay, small enough to copy. */
function rowsFit(k: number, d: number, minDim: number): boolean {
  return d >= minDim && k >= WASM_MIN_ROWS && k * d <= WASM_MAX_ROW_VALUES;
}

/** affineRows, by the wasm products from AFFINE_MIN_DIM on: the same bytes either way. */
export function affineRowsFast(A: Float64Array, mu: Float64Array, z: Float64Array, k: number, d: number, out: Float64Array, o: number): void {
  const w = rowsFit(k, d, AFFINE_MIN_DIM) ? linalgWasm() : null;
  if (w === null) affineRowsJs(A, mu, z, k, d, out, o);
  else w.affineRows(A, mu, z, k, d, out, o);
}

/** meanAndScatter, with the product by the wasm module from SCATTER_MIN_DIM on: the same bytes either way. */
export function meanAndScatterFast(z: Float64Array, k: number, d: number, mean: Float64Array, S: Float64Array): void {
  const w = rowsFit(k, d, SCATTER_MIN_DIM) ? linalgWasm() : null;
  centreRows(z, k, d, mean);
  if (w === null) scatterLower(z, k, d, S);
  else w.scatterLower(z, k, d, S);
}

/** symmetricEigenvalues, with the Householder reduction by the wasm module from EIGEN_MIN_DIM on: the same bytes either way. */
export function symmetricEigenvaluesFast(a: Float64Array, d: number, w: Float64Array, e: Float64Array): void {
  const x = d >= EIGEN_MIN_DIM ? linalgWasm() : null;
  symmetricEigenvalues(a, d, w, e, x === null ? householderLower : x.householderLower);
}

/** lowerTimesLower, by the wasm module from PRODUCT_MIN_DIM on: the same bytes either way. */
export function lowerTimesLowerFast(A: Float64Array, B: Float64Array, d: number, C: Float64Array): void {
  const x = d >= PRODUCT_MIN_DIM ? linalgWasm() : null;
  if (x === null) lowerTimesLowerJs(A, B, d, C);
  else x.lowerTimesLower(A, B, d, C);
}

/** lowerGram, by the wasm module from GRAM_MIN_DIM on: the same bytes either way. */
export function lowerGramFast(L: Float64Array, d: number, M: Float64Array): void {
  const x = d >= GRAM_MIN_DIM ? linalgWasm() : null;
  if (x === null) lowerGramJs(L, d, M);
  else x.gram(L, d, M, false);
}

/** addLowerGram, by the wasm module from GRAM_MIN_DIM on: the same bytes either way. */
export function addLowerGramFast(F: Float64Array, d: number, S: Float64Array): void {
  const x = d >= GRAM_MIN_DIM ? linalgWasm() : null;
  if (x === null) addLowerGramJs(F, d, S);
  else x.gram(F, d, S, true);
}
