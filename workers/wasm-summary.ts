/**
 * Loads the WebAssembly loops of the 1-D Gaussian's per-generation statistics
 * (workers/wasm/summary.ts, built to build/wasm/summary.wasm): a chunk's moments of a row, the
 * four derived metrics, the digest's two passes over them and the order statistics' O(n) passes,
 * the same doubles as src/stats.ts chunkMoments, workers/families/gaussian.ts
 * deriveScalarMetrics, src/digest.ts digestMetric and src/select.ts. Null when the binary is
 * absent or COLLAPSE_KERNEL=js asks for JS, so that those JS functions run instead.
 */
import { NF } from '../src/stats.js';
import { loadOnce } from './wasm-file.js';
import { PASS_WIDTH } from '../src/digest.js';
import type { HistogramPasses } from '../src/select.js';

/**
 * Where each part of the module's memory starts, in doubles, for rows of n values (the layout
 * workers/wasm/summary.ts reads and writes): six planes of a row (ln sd, mean, four metrics), the
 * moments (NF), the metrics' ranges (4 × 4) and central sums (4 × 3), four doubles of scratch (the
 * moments' exps, or the range pass's answer), the histogram's counts and slots (2^11 i32 each),
 * and a scratch row; `end` is the total.
 */
function layout(n: number) {
  const moments = 6 * n;
  const ranges = moments + NF;
  const central = ranges + 16;
  const four = central + 12;
  const counts = four + 4;
  const slots = counts + 1024;
  const scratch = slots + 1024;
  return { moments, ranges, central, four, counts, slots, scratch, end: scratch + n };
}

/** The part of the WebAssembly JS API used here (the project's lib is ES2022 without DOM types). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  exp(x: number): number;
  exp2(a: number, b: number): number;
  moments(n: number, e0: number, count: number, mean0: number, sd0: number, lnEps: number): void;
  derive(n: number, m0: number, s0: number, lnS0: number): void;
  metricRange(n: number): void;
  metricCentral(n: number, m0: number, m1: number, m2: number, m3: number): void;
  histogram(src: number, n: number, linear: number, lo: number, scale: number, kLo: number, shift: number, counts: number): void;
  copyBuckets(src: number, n: number, linear: number, lo: number, scale: number, kLo: number, shift: number, slot: number, scratch: number): void;
  range(src: number, n: number, into: number): void;
}

/**
 * The most experiments a row may have for the module to take it: its memory holds seven rows (ln
 * sd, mean, four metrics, a scratch row), 896 MiB at this size; a larger row runs the JS loops.
 */
export const WASM_SUMMARY_MAX = 2 ** 24;

/**
 * The fewest experiments a row must have for the module to take it: below, a row's copy in and the
 * calls cost more than the loops save (one thread, 64 chunks a row, ns a value: at E = 100, 254–311
 * against 243 for the JS loops; at 300, 145 against 210; at 1000, 62 against 90).
 */
export const WASM_SUMMARY_MIN = 256;

/** One row at a time: load it, take chunks' moments of it, derive its metrics, digest them. */
export interface WasmSummary {
  /** Math.exp's double, by the module's own exp (for the tests). */
  exp(x: number): number;
  /** Math.exp of a and of b, by the module's two-lane exp (for the tests). */
  exp2(a: number, b: number): [number, number];
  /** Makes room for rows of n values (n ≤ WASM_SUMMARY_MAX); false where the memory cannot grow that far. */
  reserve(n: number): boolean;
  /** Copies a row's ln sd and mean (n values each, room reserved) into the module. */
  load(lnSd: Float64Array, mean: Float64Array): void;
  /** chunkMoments over experiments [e0, e0 + count) of the loaded row (rows = 1), its NF fields into `into`. */
  moments(e0: number, count: number, mean0: number, sd0: number, epsilon: number, into: Float64Array): void;
  /** deriveScalarMetrics of the loaded row: views of the four metric planes (valid until the next load). */
  derive(mean0: number, sd0: number): Float64Array[];
  /**
   * digestMetric's two passes over each derived metric (after derive), PASS_WIDTH numbers a metric
   * into `into` (src/digest.ts): the same sums in the same order, the central ones about Σv/n.
   */
  metricPasses(into: Float64Array): void;
  /** The loaded row's ln sd, in the module's memory (valid until the next reserve). */
  lnSd(): Float64Array;
  /** A scratch row in the module's memory (valid until the next reserve), for orderStatistics with `histogram`. */
  scratch(): Float64Array;
  /** orderStatistics' counting and copying passes over rows in the module's memory (src/select.ts). */
  histogram: HistogramPasses;
  /** Rows loaded so far by this thread (for the tests: which path a summary took). */
  readonly loads: number;
}

/** Instantiates the module from `bytes`. */
export function instantiateSummary(bytes: Uint8Array): WasmSummary {
  const module = new WebAssembly.Module(bytes);
  const x = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error('summary.wasm: abort'); } } }).exports as unknown as Exports;
  let f64 = new Float64Array(x.memory.buffer);
  let n = 0;
  let loads = 0;
  return {
    get loads() {
      return loads;
    },
    exp: (v) => x.exp(v),
    exp2: (a, b) => {
      const ea = x.exp2(a, b);
      return [ea, new Float64Array(x.memory.buffer, 0, 1)[0]!];
    },
    reserve(values) {
      if (values > WASM_SUMMARY_MAX) return false;
      const bytes = layout(values).end * 8;
      const have = x.memory.buffer.byteLength;
      if (bytes > have) {
        try {
          x.memory.grow(Math.ceil((bytes - have) / 65536));
        } catch {
          return false; // no memory for it: the JS loops run instead
        }
      }
      if (f64.buffer !== x.memory.buffer || f64.length * 8 !== x.memory.buffer.byteLength) f64 = new Float64Array(x.memory.buffer);
      return true;
    },
    load(lnSd, mean) {
      n = lnSd.length;
      if (mean.length !== n || layout(n).end > f64.length) throw new RangeError(`summary.wasm: a row of ${n} values without room reserved`);
      f64.set(lnSd, 0);
      f64.set(mean, n);
      loads++;
    },
    moments(e0, count, mean0, sd0, epsilon, into) {
      x.moments(n, e0, count, mean0, sd0, Math.log(epsilon));
      const at = layout(n).moments;
      into.set(f64.subarray(at, at + NF));
    },
    derive(mean0, sd0) {
      x.derive(n, mean0, sd0, Math.log(sd0));
      return [0, 1, 2, 3].map((k) => f64.subarray((2 + k) * n, (3 + k) * n));
    },
    lnSd: () => f64.subarray(0, n),
    scratch: () => f64.subarray(layout(n).scratch, layout(n).end),
    histogram: {
      holds: (values, scratch) =>
        values.buffer === x.memory.buffer && scratch.buffer === x.memory.buffer && scratch.byteOffset === layout(n).scratch * 8 && scratch.length >= values.length,
      range(values) {
        const at = layout(n).four;
        x.range(values.byteOffset, values.length, at * 8);
        return [f64[at]!, f64[at + 1]!];
      },
      count(values, linear, lo, scale, kLo, shift, counts) {
        const at = layout(n).counts * 8;
        x.histogram(values.byteOffset, values.length, linear ? 1 : 0, lo, scale, kLo, shift, at);
        counts.set(new Int32Array(x.memory.buffer, at, 2048));
      },
      copy(values, linear, lo, scale, kLo, shift, slot, scratch) {
        const at = layout(n).slots * 8;
        const view = new Int32Array(x.memory.buffer, at, 2048);
        view.set(slot);
        x.copyBuckets(values.byteOffset, values.length, linear ? 1 : 0, lo, scale, kLo, shift, at, scratch.byteOffset);
        slot.set(view);
      },
    },
    metricPasses(into) {
      x.metricRange(n);
      const { ranges: range, central } = layout(n);
      const mean = (k: number): number => f64[range + 4 * k]! / n;
      x.metricCentral(n, mean(0), mean(1), mean(2), mean(3));
      for (let k = 0; k < 4; k++) {
        const o = k * PASS_WIDTH;
        for (let j = 0; j < 4; j++) into[o + j] = f64[range + 4 * k + j]!;
        for (let j = 0; j < 3; j++) into[o + 4 + j] = f64[central + 3 * k + j]!;
      }
    },
  };
}

/** This thread's module, loaded once; null when it is not built or COLLAPSE_KERNEL=js. */
export const wasmSummary = loadOnce('summary.wasm', instantiateSummary);
