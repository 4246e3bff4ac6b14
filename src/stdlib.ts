/**
 * The @stdlib functions the engine uses, loaded on first call. Each @stdlib package pulls in a
 * tree of small CommonJS modules: the five below took about 0.3 s to load (0.11 s for an empty
 * Node), paid by the CLI and again by every worker thread, whether or not a run needed them (the
 * stdlib generator only serves `--rng stdlib`; the special functions only the theory). Loading
 * them when first called keeps that cost where it is used. They are CommonJS, so a synchronous
 * require does it.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type Fn1 = (x: number) => number;
type VarianceFn = (n: number, correction: number, x: Float64Array, stride: number) => number;
/** The part of @stdlib/random-base-normal used by workers/stdlib-normal.ts. */
export interface NormalPackage {
  factory(mu: number, sigma: number, opts: { seed: number[] }): { (): number; state: Uint32Array; PRNG: () => number };
}

let gammalnFn: Fn1 | undefined;
let digammaFn: Fn1 | undefined;
let trigammaFn: Fn1 | undefined;
let varianceFn: VarianceFn | undefined;

/** ln Γ(x) (@stdlib/math-base-special-gammaln). */
export function gammaln(x: number): number {
  return (gammalnFn ??= require('@stdlib/math-base-special-gammaln') as Fn1)(x);
}

/** ψ(x) (@stdlib/math-base-special-digamma). */
export function digamma(x: number): number {
  return (digammaFn ??= require('@stdlib/math-base-special-digamma') as Fn1)(x);
}

/** ψ′(x) (@stdlib/math-base-special-trigamma). */
export function trigamma(x: number): number {
  return (trigammaFn ??= require('@stdlib/math-base-special-trigamma') as Fn1)(x);
}

/** The variance of n values with the given correction (@stdlib/stats-base-variance). */
export function variance(n: number, correction: number, x: Float64Array, stride: number): number {
  return (varianceFn ??= require('@stdlib/stats-base-variance') as VarianceFn)(n, correction, x, stride);
}

/** @stdlib/random-base-normal. */
export function normalPackage(): NormalPackage {
  return require('@stdlib/random-base-normal') as NormalPackage;
}
