/**
 * The regime loop of the point-set families (kde, gmm): each generation's training set as a block
 * of rows, refitted and resampled under every data regime. The family supplies the truth (its
 * original distribution) and the model (fit, sample, record); this file only moves rows.
 *
 * Training set of generation g (n = --samples, N its size):
 * - generation 1: n draws from the truth, in every regime;
 * - replace: n draws from model g − 1;
 * - accumulate: every row so far plus n draws from model g − 1 (N = g·n);
 * - accumulate-subsample: the pool as accumulate's; the fit takes a uniform n-subsample without
 *   replacement (partial Fisher–Yates of rows, as the scalar chain's);
 * - fresh: round(λn) draws from the truth, then n − round(λn) from model g − 1;
 * - augment: generation 1's n rows, kept, then round(λn) draws from model g − 1.
 * A model samples from rows it was fitted on while writing new rows, so replace, fresh and augment
 * write into a second buffer and swap. Draw order per generation: the truth's rows, then the model's.
 */
import type { KernelSpec } from '../chains.js';
import { freshCount, syntheticCount, uniformIndex } from '../chains.js';
import type { Source } from '../sources.js';

/** The original distribution of a family's experiment. */
export interface Truth {
  readonly d: number;
  /** m draws into rows [at, at + m) of `out`. */
  draw(src: Source, out: Float64Array, at: number, m: number): void;
}

/** A model fitted to a block of rows. */
export interface PointModel {
  /** Fits rows [0, N) of `x`; may keep `x` by reference until the next fit. */
  fit(src: Source, x: Float64Array, N: number): void;
  /** m draws from the fitted model into rows [at, at + m) of `out` (never a row it was fitted on). */
  sample(src: Source, out: Float64Array, at: number, m: number): void;
  /** Records the fit's metrics into recorded row `row` (the training set is rows [0, N) of x). */
  record(x: Float64Array, N: number, row: number): void;
}

/** Sees generation g's training set, rows [0, N) of x (valid only during the call). */
export type OnFit = (g: number, x: Float64Array, N: number) => void;

/** Rows of a training set written to samples.csv per shown generation. */
export const SAMPLE_ROWS = 1000;

/** The generations samples.csv shows: 1, T^(1/3), T^(2/3) and T, rounded, without repeats. */
export function sampleGenerations(T: number): number[] {
  return [...new Set([1, Math.round(Math.cbrt(T)), Math.round(Math.cbrt(T) ** 2), T])].filter((g) => g >= 1 && g <= T);
}

/**
 * samples.csv: experiment 0's training set at the sampleGenerations (its first SAMPLE_ROWS rows),
 * one row per point: generation, then the coordinates x, y (and z in 3-D). `runFirst` re-runs
 * experiment 0 from its own stream with the hook, so the file depends on the spec alone.
 */
export function samplesCsv(T: number, d: number, runFirst: (onFit: OnFit) => void): string {
  const shown = new Set(sampleGenerations(T));
  const lines = [['generation', 'x', 'y', 'z'].slice(0, d + 1).join(',')];
  runFirst((g, x, N) => {
    if (!shown.has(g)) return;
    const m = Math.min(N, SAMPLE_ROWS);
    for (let i = 0; i < m; i++) {
      let line = String(g);
      for (let c = 0; c < d; c++) line += ',' + String(x[i * d + c]);
      lines.push(line);
    }
  });
  return lines.join('\n') + '\n';
}

/** Rows a regime's buffers hold: [first buffer, second buffer]. */
export function bufferRows(spec: Pick<KernelSpec, 'regime' | 'samples' | 'generations' | 'synthetic'>): [number, number] {
  const n = spec.samples;
  switch (spec.regime) {
    case 'accumulate':
      return [n * spec.generations, 0];
    case 'accumulate-subsample':
      return [n * spec.generations, n];
    case 'augment': {
      const N = n + syntheticCount(spec.synthetic, n);
      return [N, N];
    }
    default:
      return [n, n];
  }
}

function nextRecord(g: number, every: number, T: number): number {
  return g + every < T ? g + every : T;
}

/** Buffers of one worker, grown as specs need. */
export class PointChain {
  private a = new Float64Array(0);
  private b = new Float64Array(0);

  /**
   * Runs one experiment's chain: the source is already seeded (and the family drew what it needs
   * first). `onFit`, when given, sees every generation's training set right after its fit.
   */
  run(spec: KernelSpec, src: Source, truth: Truth, model: PointModel, onFit?: OnFit): void {
    const d = truth.d;
    const n = spec.samples;
    const T = spec.generations;
    const [ra, rb] = bufferRows(spec);
    if (this.a.length < ra * d) this.a = new Float64Array(ra * d);
    if (this.b.length < rb * d) this.b = new Float64Array(rb * d);
    let cur = this.a;
    let other = this.b;
    const kA = spec.regime === 'fresh' ? freshCount(spec.fresh, n) : 0;
    const kS = spec.regime === 'augment' ? syntheticCount(spec.synthetic, n) : 0;
    truth.draw(src, cur, 0, n);
    let N = n;
    let pooled = n;
    if (spec.regime === 'augment') other.set(cur.subarray(0, n * d));
    let row = 0;
    let next = nextRecord(0, spec.every, T);
    for (let g = 1; g <= T; g++) {
      if (g > 1) {
        switch (spec.regime) {
          case 'replace':
            model.sample(src, other, 0, n);
            [cur, other] = [other, cur];
            break;
          case 'fresh':
            truth.draw(src, other, 0, kA);
            model.sample(src, other, kA, n - kA);
            [cur, other] = [other, cur];
            break;
          case 'augment':
            model.sample(src, other, n, kS);
            [cur, other] = [other, cur];
            N = n + kS;
            break;
          case 'accumulate':
            model.sample(src, cur, N, n);
            N += n;
            break;
          case 'accumulate-subsample': {
            // the model was fitted on `other` (the subsample), so the pool `cur` can grow in place
            const pool = cur;
            model.sample(src, pool, pooled, n);
            pooled += n;
            for (let i = 0; i < n; i++) {
              const j = i + uniformIndex(src, pooled - i);
              if (j === i) continue;
              const oi = i * d;
              const oj = j * d;
              for (let c = 0; c < d; c++) {
                const t = pool[oi + c]!;
                pool[oi + c] = pool[oj + c]!;
                pool[oj + c] = t;
              }
            }
            break;
          }
        }
      }
      let fitted = cur;
      if (spec.regime === 'accumulate-subsample') {
        other.set(cur.subarray(0, n * d));
        fitted = other;
        N = n;
      }
      model.fit(src, fitted, N);
      if (onFit !== undefined) onFit(g, fitted, N);
      if (g === next) {
        model.record(fitted, N, row++);
        next = nextRecord(g, spec.every, T);
      }
    }
  }
}
