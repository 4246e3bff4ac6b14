/**
 * Random sources for the chains: one per generator (`fast`, `x256`, `stdlib`), each giving standard
 * normals, uniforms, and a group of k normals reduced to (mean, sum of squared deviations), either
 * drawn one by one (`resample`) or sampled from its exact distribution (`stats`).
 */
import { drawFast, drawStdlib } from './kernel.js';
import { StdlibNormal } from './stdlib-normal.js';
import { nextOpenUnit, setState } from './xoshiro.js';
import { normal as zigNormal } from './ziggurat.js';
import { wasmKernels, type DrawFn } from './wasm-kernel.js';
import { drawX256, normal256, openUnit256, seedX256 } from './x256.js';
import type { RngName } from '../src/spec.js';

/** What a chain draws from. `group` writes the mean of k standard normals to out[0] and their ss to out[1]. */
export interface Source {
  seed(words: readonly number[]): void;
  normal(): number;
  /** Uniform in (0, 1]. */
  uniform(): number;
  group(k: number, out: Float64Array): void;
  /** Fills buf[0..k) with k standard normals, in the order `normal()` would give them. */
  fill(buf: Float64Array, k: number): void;
}

/**
 * buf[0 .. k) = the next k deviates of group kernel `draw` on `st`, in calls of at most `piece`
 * (a WebAssembly kernel's keep buffer; k for a JS kernel): the same deviates in the same order as
 * one call. `out` takes each call's moments, unused.
 */
function fillBy(draw: DrawFn, st: Int32Array, buf: Float64Array, k: number, piece: number, out: Float64Array): void {
  for (let off = 0; off < k; off += piece) {
    const m = Math.min(piece, k - off);
    draw(st, m, out, buf.subarray(off, off + m));
  }
}

/** xoshiro128** + ziggurat (53 bits); groups by the fused one-pass kernel, in wasm when it is built. */
export class FastSource implements Source {
  readonly st = new Int32Array(4);
  private readonly wasm = wasmKernels();
  private readonly draw: DrawFn = this.wasm?.draw ?? drawFast;
  seed(w: readonly number[]): void {
    setState(this.st, w[0]!, w[1]!, w[2]!, w[3]!);
  }
  normal(): number {
    return zigNormal(this.st);
  }
  uniform(): number {
    return nextOpenUnit(this.st);
  }
  group(k: number, out: Float64Array): void {
    this.draw(this.st, k, out);
  }
  private readonly fillOut = new Float64Array(2);
  /** buf[0 .. k) = the next k deviates (fillBy). */
  fill(buf: Float64Array, k: number): void {
    fillBy(this.draw, this.st, buf, k, this.wasm?.keepMax ?? k, this.fillOut);
  }
}

/** xoshiro256+ + the 256-region ziggurat (workers/x256.ts); groups in wasm when it is built. */
export class X256Source implements Source {
  readonly st = new Int32Array(8);
  private readonly wasm = wasmKernels();
  private readonly draw: DrawFn = this.wasm?.draw256 ?? drawX256;
  private readonly fillOut = new Float64Array(2);
  seed(w: readonly number[]): void {
    seedX256(this.st, w);
  }
  normal(): number {
    return normal256(this.st);
  }
  uniform(): number {
    return openUnit256(this.st);
  }
  group(k: number, out: Float64Array): void {
    this.draw(this.st, k, out);
  }
  /** buf[0 .. k) = the next k deviates (fillBy). */
  fill(buf: Float64Array, k: number): void {
    fillBy(this.draw, this.st, buf, k, this.wasm?.keepMax ?? k, this.fillOut);
  }
}

const sources: Partial<Record<RngName, Source>> = {};

/** This thread's source for generator `rng`, made once (a chain seeds it per experiment). */
export function sourceFor(rng: RngName): Source {
  return (sources[rng] ??= rng === 'stdlib' ? new StdlibSource() : rng === 'x256' ? new X256Source() : new FastSource());
}

/** @stdlib/random-base-normal on MT19937; groups through @stdlib/stats-base-variance. */
export class StdlibSource implements Source {
  private readonly gen = new StdlibNormal();
  private scratch = new Float64Array(0);
  seed(w: readonly number[]): void {
    this.gen.seed(w);
  }
  normal(): number {
    return this.gen.draw();
  }
  uniform(): number {
    return 1 - this.gen.uniform();
  }
  group(k: number, out: Float64Array): void {
    if (this.scratch.length < k) this.scratch = new Float64Array(k);
    drawStdlib(this.gen, k, this.scratch, out);
  }
  fill(buf: Float64Array, k: number): void {
    for (let i = 0; i < k; i++) buf[i] = this.gen.draw();
  }
}

/**
 * Gamma(shape, 1) by Marsaglia & Tsang, "A simple method for generating gamma variables" (ACM TOMS
 * 26(3), 2000): exact rejection from a transformed normal, about 1.02 normals per draw for large
 * shapes; shape < 1 by the boost Gamma(a) = Gamma(a + 1)·U^(1/a), computed in logs.
 * Returns ln of the variate, so that tiny values (shape ½, U near 0) keep their precision.
 */
export function lnGamma01(src: Source, shape: number): number {
  if (shape < 1) return lnGamma01(src, shape + 1) + Math.log(src.uniform()) / shape;
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = src.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = src.uniform();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return Math.log(d * v);
    const lnV = Math.log(v);
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + lnV)) return Math.log(d) + lnV;
  }
}

/**
 * A group of k standard normals sampled through its sufficient statistics (`--method stats`):
 * the mean is N(0, 1/k) and, independently, ss is chi-square with k − 1 degrees of freedom
 * (Cochran's theorem), i.e. 2·Gamma((k − 1)/2). O(1) whatever k. out[1] is ss; out[2] is ln ss.
 */
export function statsGroup(src: Source, k: number, out: Float64Array): void {
  out[0] = src.normal() / Math.sqrt(k);
  if (k >= 2) {
    const lnSs = Math.LN2 + lnGamma01(src, 0.5 * (k - 1));
    out[1] = Math.exp(lnSs);
    out[2] = lnSs;
  } else {
    out[1] = 0;
    out[2] = -Infinity;
  }
}

/** A resampled group, with ln ss in out[2] as statsGroup gives it. */
export function resampleGroup(src: Source, k: number, out: Float64Array): void {
  src.group(k, out);
  out[2] = Math.log(out[1]!);
}
