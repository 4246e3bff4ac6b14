/**
 * The WebAssembly SIMD versions of affineRows and of meanAndScatter's O(k·d²) product
 * (workers/wasm/linalg.ts, built to build/wasm/linalg.wasm), behind the JS signatures of
 * workers/families/linalg.ts. They give the same bytes as the JS loops (test/linalg-wasm.test.ts);
 * below the sizes where they pay (SCATTER_MIN_DIM, AFFINE_MIN_DIM, WASM_MIN_ROWS), when the binary is missing, or with COLLAPSE_KERNEL=js, the JS loops run.
 *
 * The operands are copied into the module's memory (O(k·d)) around the O(k·d²/2) products; the
 * memory grows to the largest call and is kept by the thread.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { affineRows as affineRowsJs, centreRows, scatterLower } from './linalg.js';

declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  affine8(aPtr: number, muPtr: number, zPtr: number, oPtr: number, blocks: number, d: number): void;
  scatter8(zPtr: number, sPtr: number, k: number, d: number): void;
}

/**
 * Where the wasm products are used: the copies in and out cost O(k·d) around O(k·d²/2) work, and
 * a call costs a little. Measured one thread, k = 1000 (bench/linalg-wasm.ts): the scatter is 2x
 * the JS loop at d = 8 and 3–4x from d = 12; affineRows breaks even at d = 16 and is 1.5–4x from
 * d = 24 (docs/benchmarks.md, "WebAssembly products").
 */
export const SCATTER_MIN_DIM = 8;
export const AFFINE_MIN_DIM = 24;
export const WASM_MIN_ROWS = 16;

/** build/wasm/linalg.wasm under the package root, from workers/families/ (source) or dist/workers/families/. */
export function linalgWasmPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.resolve(here, '../..')) === 'dist' ? '../../..' : '../..';
  return path.join(path.resolve(here, up), 'build', 'wasm', 'linalg.wasm');
}

export interface LinalgWasm {
  affineRows(A: Float64Array, mu: Float64Array, z: Float64Array, k: number, d: number, out: Float64Array, o: number): void;
  /** The lower triangle of Σ_i z_i z_iᵀ over the first k rows of z (centred by the caller) into S. */
  scatterLower(z: Float64Array, k: number, d: number, S: Float64Array): void;
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
  };
}

let cached: LinalgWasm | null | undefined;

/** This thread's module, loaded once; null when it is not built or COLLAPSE_KERNEL=js. */
export function linalgWasm(): LinalgWasm | null {
  if (cached === undefined) {
    cached = null;
    if (process.env['COLLAPSE_KERNEL'] !== 'js') {
      try {
        cached = instantiateLinalg(fs.readFileSync(linalgWasmPath()));
      } catch {
        cached = null;
      }
    }
  }
  return cached;
}

/** affineRows, by the wasm products from AFFINE_MIN_DIM on: the same bytes either way. */
export function affineRowsFast(A: Float64Array, mu: Float64Array, z: Float64Array, k: number, d: number, out: Float64Array, o: number): void {
  const w = d >= AFFINE_MIN_DIM && k >= WASM_MIN_ROWS ? linalgWasm() : null;
  if (w === null) affineRowsJs(A, mu, z, k, d, out, o);
  else w.affineRows(A, mu, z, k, d, out, o);
}

/** meanAndScatter, with the product by the wasm module from SCATTER_MIN_DIM on: the same bytes either way. */
export function meanAndScatterFast(z: Float64Array, k: number, d: number, mean: Float64Array, S: Float64Array): void {
  const w = d >= SCATTER_MIN_DIM && k >= WASM_MIN_ROWS ? linalgWasm() : null;
  centreRows(z, k, d, mean);
  if (w === null) scatterLower(z, k, d, S);
  else w.scatterLower(z, k, d, S);
}
