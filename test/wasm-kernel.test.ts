/**
 * The WebAssembly kernels against the JS reference: the same deviates, moments and generator
 * state word for word (rare branches included), four lanes as four separate streams, and the
 * chains on the four-lane path equal to an independent re-run of the article's chain.
 */
import { describe, expect, it } from 'vitest';
import { setState } from '../workers/xoshiro.js';
import { F, K53, SQUEEZE, SQUEEZE_STRIDE, W53, ZIGGURAT_R } from '../workers/ziggurat.js';
import { X256_F, X256_K, X256_SQUEEZE, X256_W } from '../workers/x256.js';
import { drawFast } from '../workers/kernel.js';
import { loadWasmKernel, wasmKernels, type WasmKernels } from '../workers/wasm-kernel.js';
import { runChains } from '../workers/chains.js';
import { experimentWords } from '../src/seed.js';
import { resolveRunSpec } from '../src/spec.js';

function stateOf(w: readonly number[]): Int32Array {
  const st = new Int32Array(4);
  setState(st, w[0]!, w[1]!, w[2]!, w[3]!);
  return st;
}

function kernels(): WasmKernels {
  const k = loadWasmKernel();
  // `npm run build` makes it; a missing binary would silently run the JS kernel everywhere
  if (k === null) throw new Error('build/wasm/kernel.wasm is missing: run npm run build');
  return k;
}

describe('wasm kernel', () => {
  it('is built, and is the one the workers use', () => {
    expect(loadWasmKernel()).not.toBeNull();
    expect(wasmKernels()).not.toBeNull();
  });

  it('draws drawFast’s deviates, moments and state for n = 1, 2, 3, 1000 (10^6 deviates, tail and wedge included)', () => {
    const { draw } = kernels();
    const a = stateOf(experimentWords(1, 0));
    const b = Int32Array.from(a);
    const outA = new Float64Array(2);
    const outB = new Float64Array(2);
    const keepA = new Float64Array(1000);
    const keepB = new Float64Array(1000);
    let tail = 0;
    let mismatches = 0;
    for (const n of [1, 2, 3]) {
      for (let c = 0; c < 2000; c++) {
        drawFast(a, n, outA, keepA);
        draw(b, n, outB, keepB);
        if (outA[0] !== outB[0] || outA[1] !== outB[1]) mismatches++;
        for (let i = 0; i < n; i++) if (keepA[i] !== keepB[i]) mismatches++;
      }
    }
    for (let c = 0; c < 1000; c++) {
      drawFast(a, 1000, outA, keepA);
      draw(b, 1000, outB, c & 1 ? keepB : null);
      if (outA[0] !== outB[0] || outA[1] !== outB[1]) mismatches++;
      if (c & 1) {
        for (let i = 0; i < 1000; i++) {
          if (keepA[i] !== keepB[i]) mismatches++;
          if (Math.abs(keepA[i]!) > ZIGGURAT_R) tail++;
        }
      }
    }
    expect(mismatches).toBe(0);
    expect(Array.from(b)).toEqual(Array.from(a));
    // P(|z| > r) = 5.8e-4: about 290 tail draws in the 5·10^5 kept, so the tail branch ran
    expect(tail).toBeGreaterThan(150);
  });

  it('gives each of four lanes exactly its own stream’s moments and state', () => {
    const { draw4 } = kernels();
    const seeds = [experimentWords(1, 0), experimentWords(1, 1), [0, 0, 0, 0], experimentWords(99, 12345)];
    const sts = seeds.map(stateOf);
    const st4 = new Int32Array(16);
    for (let k = 0; k < 4; k++) for (let w = 0; w < 4; w++) st4[4 * w + k] = sts[k]![w]!;
    const out = new Float64Array(2);
    const out4 = new Float64Array(8);
    let mismatches = 0;
    for (const n of [1, 2, 1000, 3]) {
      for (let c = 0; c < 300; c++) {
        draw4(st4, n, out4);
        for (let k = 0; k < 4; k++) {
          drawFast(sts[k]!, n, out);
          if (out[0] !== out4[k] || out[1] !== out4[4 + k]) mismatches++;
        }
      }
    }
    expect(mismatches).toBe(0);
    for (let k = 0; k < 4; k++) expect([0, 1, 2, 3].map((w) => st4[4 * w + k])).toEqual(Array.from(sts[k]!));
  });

  it('runs the article’s chain on the four-lane path as replaceChain does, for any chunking', () => {
    const spec = resolveRunSpec({ samples: '50', generations: '40', experiments: '11', every: '7', temperature: '0.9', sd0: '2', mean0: '1' });
    const rows = 6; // generations 7, 14, ..., 35 and 40
    const run = (start: number, count: number): { lnSd: Float64Array; mean: Float64Array } => {
      const lnSd = new Float64Array(rows * count);
      const mean = new Float64Array(rows * count);
      runChains(spec, start, count, lnSd, mean);
      return { lnSd, mean };
    };
    const all = run(0, 11); // two four-lane blocks and three experiments on the scalar path
    const out = new Float64Array(2);
    for (let e = 0; e < 11; e++) {
      // the chain of workers/chains.ts written out on the JS kernel
      const st = stateOf(experimentWords(spec.seed, e));
      let m = spec.mean0;
      let ls = Math.log(spec.sd0);
      let row = 0;
      for (let g = 1; g <= spec.generations; g++) {
        drawFast(st, spec.samples, out);
        m += Math.exp(ls) * out[0]!;
        ls += 0.5 * (Math.log(out[1]!) - Math.log(spec.samples - spec.ddof));
        if (g % 7 === 0 || g === spec.generations) {
          expect(all.lnSd[row * 11 + e]).toBe(ls);
          expect(all.mean[row * 11 + e]).toBe(m);
          row++;
        }
        ls += 0.5 * Math.log(spec.temperature);
      }
      expect(row).toBe(rows);
    }
    const part = run(3, 5); // one four-lane block starting at experiment 3, one scalar
    for (let r = 0; r < rows; r++) {
      for (let e = 0; e < 5; e++) {
        expect(part.lnSd[r * 5 + e]).toBe(all.lnSd[r * 11 + 3 + e]);
        expect(part.mean[r * 5 + e]).toBe(all.mean[r * 11 + 3 + e]);
      }
    }
  });
});

/** The two ziggurats whose wedge tests the wasm kernel squeezes: their tables and abscissa range. */
const ZIGGURATS = [
  { name: 'fast, 128 regions', regions: 128, squeeze: SQUEEZE, k: K53, w: W53, f: F, top: 2 ** 53 },
  { name: 'x256, 256 regions', regions: 256, squeeze: X256_SQUEEZE, k: X256_K, w: X256_W, f: X256_F, top: 2 ** 52 },
];

for (const z of ZIGGURATS) {
  describe(`the wedge squeeze of the wasm kernel (${z.name})`, () => {
    /** Region i's lower and upper bound at |x| = ax, as workers/wasm/kernel.ts evaluates them (null: no bound there). */
    function bounds(i: number, ax: number): [number, number] | null {
      const o = i * SQUEEZE_STRIDE;
      const kind = z.squeeze[o]!;
      if (kind === 0) return null;
      const chord = z.squeeze[o + 1]! + z.squeeze[o + 2]! * ax;
      const left = z.squeeze[o + 3]! + z.squeeze[o + 4]! * ax;
      const right = z.squeeze[o + 5]! + z.squeeze[o + 6]! * ax;
      return kind === 1 ? [Math.max(left, right), chord] : [chord, Math.min(left, right)];
    }

    it('bounds the density in every wedge, to 1e-15, at its corners and inside', () => {
      let regions = 0;
      for (let i = 1; i < z.regions; i++) {
        if (bounds(i, 0) === null) continue;
        regions++;
        // the abscissae a wedge test sees: j from the region's threshold (the wedge's inner edge) up to the top
        for (let k = 0; k <= 1000; k++) {
          const j = Math.min(z.top - 1, z.k[i]! + Math.floor((k / 1000) * (z.top - z.k[i]!)));
          const ax = j * z.w[i]!;
          const f = Math.exp(-0.5 * ax * ax);
          const [lo, hi] = bounds(i, ax)!;
          expect(lo).toBeLessThanOrEqual(f + 1e-15);
          expect(hi).toBeGreaterThanOrEqual(f - 1e-15);
        }
      }
      // all but the region holding the inflection at |x| = 1
      expect(regions).toBe(z.regions - 2);
    });

    it('decides as Math.exp does wherever it decides, and decides most wedge tests', () => {
      let s = 20261202;
      const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      let decided = 0;
      const N = 400_000;
      for (let n = 0; n < N; n++) {
        const i = 1 + Math.floor(u() * (z.regions - 1));
        const j = z.k[i]! + Math.floor(u() * (z.top - z.k[i]!));
        const x = j * z.w[i + (u() < 0.5 ? z.regions : 0)]!;
        const y = z.f[i]! + (1 - u()) * (z.f[i - 1]! - z.f[i]!);
        const b = bounds(i, Math.abs(x));
        if (b === null) continue;
        const accept = y < Math.exp(-0.5 * x * x);
        if (y < b[0] - 1e-12) {
          decided++;
          expect(accept).toBe(true);
        } else if (y > b[1] + 1e-12) {
          decided++;
          expect(accept).toBe(false);
        }
      }
      expect(decided / N).toBeGreaterThan(0.95);
    });
  });
}
