/**
 * Loads the WebAssembly group kernel (workers/wasm/kernel.ts, built to build/wasm/kernel.wasm) and
 * wraps it with drawFast's signature; null when the binary is absent, so that the JS kernel,
 * which gives the same deviates, runs instead.
 */
import fs from 'node:fs';
import { wasmFile } from './wasm-file.js';
import { F, K24, K53, W53, ZIGGURAT_R, SQUEEZE } from './ziggurat.js';
import { X256_F, X256_K, X256_R, X256_SQUEEZE, X256_W } from './x256.js';

/** drawFast's signature: n deviates from `st` reduced to out[0] = mean, out[1] = ss; optionally kept. */
export type DrawFn = (st: Int32Array, n: number, out: Float64Array, keep?: Float64Array | null) => void;

/** The part of the WebAssembly JS API used here (the project's lib is ES2022 without DOM types). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};
interface WasmGlobal {
  value: unknown;
}

interface Exports {
  memory: { buffer: ArrayBuffer };
  group(n: number, keep: number): void;
  K24_AT: WasmGlobal;
  W53_AT: WasmGlobal;
  K53_AT: WasmGlobal;
  F_AT: WasmGlobal;
  STATE_AT: WasmGlobal;
  OUT_AT: WasmGlobal;
  R_AT: WasmGlobal;
  KEEP_AT: WasmGlobal;
  KEEP_MAX: WasmGlobal;
  SQUEEZE_AT: WasmGlobal;
  group4(n: number): void;
  STATE4_AT: WasmGlobal;
  OUT4_AT: WasmGlobal;
  group256(n: number, keep: number): void;
  W256_AT: WasmGlobal;
  K256_AT: WasmGlobal;
  F256_AT: WasmGlobal;
  STATE256_AT: WasmGlobal;
  R256_AT: WasmGlobal;
  SQUEEZE256_AT: WasmGlobal;
}

/**
 * Four streams at once: `st4` holds word w of stream k at st4[4w + k]; out[k] gets stream k's
 * mean and out[4 + k] its ss, each exactly as drawFast gives them for that stream alone.
 */
export type Draw4Fn = (st4: Int32Array, n: number, out: Float64Array) => void;

/** Both kernels of one instance. */
export interface WasmKernels {
  draw: DrawFn;
  draw4: Draw4Fn;
  /** drawX256 of workers/x256.ts (the `x256` generator; `st` an Int32Array(8)), the same deviates. */
  draw256: DrawFn;
  /** The most deviates `draw` and `draw256` keep in one call. */
  keepMax: number;
}

/** build/wasm/kernel.wasm under the package root, from workers/ (source) or dist/workers/. */
export function wasmPath(): string {
  return wasmFile('kernel.wasm');
}

/** Instantiates the kernel from `bytes` and returns drawFast's equivalent. */
export function instantiate(bytes: Uint8Array): WasmKernels {
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, { env: { log: Math.log, exp: Math.exp } });
  const x = instance.exports as unknown as Exports;
  const buf = x.memory.buffer;
  const at = (g: WasmGlobal): number => g.value as number;
  new Int32Array(buf, at(x.K24_AT), K24.length).set(K24);
  new Float64Array(buf, at(x.W53_AT), W53.length).set(W53);
  new Float64Array(buf, at(x.K53_AT), K53.length).set(K53);
  new Float64Array(buf, at(x.F_AT), F.length).set(F);
  new Float64Array(buf, at(x.R_AT), 1)[0] = ZIGGURAT_R;
  new Float64Array(buf, at(x.SQUEEZE_AT), SQUEEZE.length).set(SQUEEZE);
  const state = new Int32Array(buf, at(x.STATE_AT), 4);
  const moments = new Float64Array(buf, at(x.OUT_AT), 2);
  const keepMax = at(x.KEEP_MAX);
  const kept = new Float64Array(buf, at(x.KEEP_AT), keepMax);
  const group = x.group;
  const group4 = x.group4;
  const state4 = new Int32Array(buf, at(x.STATE4_AT), 16);
  const moments4 = new Float64Array(buf, at(x.OUT4_AT), 8);
  const draw4: Draw4Fn = (st4, n, out) => {
    state4.set(st4);
    group4(n);
    st4.set(state4);
    out.set(moments4);
  };
  new Float64Array(buf, at(x.W256_AT), X256_W.length).set(X256_W);
  new BigInt64Array(buf, at(x.K256_AT), X256_K.length).set(Array.from(X256_K, (k) => BigInt(k)));
  new Float64Array(buf, at(x.F256_AT), X256_F.length).set(X256_F);
  new Float64Array(buf, at(x.R256_AT), 1)[0] = X256_R;
  new Float64Array(buf, at(x.SQUEEZE256_AT), X256_SQUEEZE.length).set(X256_SQUEEZE);
  /** A DrawFn over one of the module's scalar kernels and its state words. */
  const scalar =
    (kernel: (n: number, keep: number) => void, words: Int32Array): DrawFn =>
    (st, n, out, keep = null) => {
      words.set(st);
      if (keep === null) {
        kernel(n, 0);
      } else {
        if (n > keepMax) throw new RangeError(`wasm kernel: keep holds at most ${keepMax} deviates, asked for ${n}`);
        kernel(n, 1);
        keep.set(kept.subarray(0, n));
      }
      st.set(words);
      out[0] = moments[0]!;
      out[1] = moments[1]!;
    };
  const draw = scalar(group, state);
  const draw256 = scalar(x.group256, new Int32Array(buf, at(x.STATE256_AT), 8));
  return { draw, draw4, draw256, keepMax };
}

/** The kernels from build/wasm/kernel.wasm, or null when it is not built. */
export function loadWasmKernel(): WasmKernels | null {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(wasmPath());
  } catch {
    return null;
  }
  return instantiate(bytes);
}

let cached: WasmKernels | null | undefined;

/**
 * This thread's wasm kernels, loaded once; null when the binary is not built or when
 * COLLAPSE_KERNEL=js asks for the JS kernel (the same deviates, for comparisons).
 */
export function wasmKernels(): WasmKernels | null {
  if (cached === undefined) cached = process.env['COLLAPSE_KERNEL'] === 'js' ? null : loadWasmKernel();
  return cached;
}
