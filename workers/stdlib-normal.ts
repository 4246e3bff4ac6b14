/**
 * The reference generator path (`--rng stdlib`): @stdlib/random-base-normal (improved ziggurat,
 * Doornik 2005) on MT19937, one generator per worker whose state is set per experiment.
 *
 * A new stdlib factory per experiment measured 1.5x slower at 10^3 draws per experiment and 3x at
 * 10^2 (the same at 10^4; identical deviates either way), so the per-experiment MT19937 state is
 * computed here with the reference init_by_array (Matsumoto & Nishimura, mt19937ar.c) and written
 * into the generator's state array; tests check it equals a freshly seeded stdlib generator.
 */
import { normalPackage } from '../src/stdlib.js';

const N = 624;
// stdlib state layout: | version | sections | N | ...state(N) | 1 | index | seedLength | ...seed |
const STATE_OFFSET = 3;
const INDEX_OFFSET = N + 4;
const SEED_OFFSET = N + 6;

/** MT19937 init_by_array on a 4-word key, written into `mt` (length 624). */
export function mtInitByArray(mt: Uint32Array, key: ArrayLike<number>): void {
  mt[0] = 19650218;
  for (let i = 1; i < N; i++) {
    const p = mt[i - 1]!;
    mt[i] = (Math.imul(1812433253, p ^ (p >>> 30)) + i) >>> 0;
  }
  const len = key.length;
  let i = 1;
  let j = 0;
  for (let k = Math.max(N, len); k > 0; k--) {
    const p = mt[i - 1]!;
    mt[i] = ((mt[i]! ^ Math.imul(p ^ (p >>> 30), 1664525)) >>> 0) + key[j]! + j;
    i++;
    j++;
    if (i >= N) {
      mt[0] = mt[N - 1]!;
      i = 1;
    }
    if (j >= len) j = 0;
  }
  for (let k = N - 1; k > 0; k--) {
    const p = mt[i - 1]!;
    mt[i] = ((mt[i]! ^ Math.imul(p ^ (p >>> 30), 1566083941)) >>> 0) - i;
    i++;
    if (i >= N) {
      mt[0] = mt[N - 1]!;
      i = 1;
    }
  }
  mt[0] = 0x80000000;
}

/** A stdlib normal generator re-seedable per experiment without building a new factory. */
export class StdlibNormal {
  /** Draws one standard normal deviate. */
  readonly draw: () => number;
  /** Draws a uniform in [0, 1) from the same MT19937 stream (stdlib's `normalized`, 53 bits). */
  readonly uniform: () => number;
  private readonly template: Uint32Array;
  private readonly mt: Uint32Array;

  constructor() {
    const rnorm = normalPackage().factory(0, 1, { seed: [1, 2, 3, 4] });
    this.draw = rnorm as unknown as () => number;
    this.uniform = (rnorm as unknown as { PRNG: () => number }).PRNG;
    this.template = new Uint32Array(rnorm.state as Uint32Array);
    this.mt = this.template.subarray(STATE_OFFSET, STATE_OFFSET + N);
    this.setState = (s: Uint32Array) => {
      rnorm.state = s;
    };
  }

  private readonly setState: (s: Uint32Array) => void;

  /** Seeds the generator as `mt19937({ seed: words })` would, with its index at the start. */
  seed(words: ArrayLike<number>): void {
    mtInitByArray(this.mt, words);
    const t = this.template;
    t[INDEX_OFFSET] = N;
    for (let k = 0; k < 4; k++) t[SEED_OFFSET + k] = words[k]! >>> 0;
    this.setState(t);
  }

  /** The generator's full stdlib state array (a copy). */
  state(): Uint32Array {
    return new Uint32Array(this.template);
  }
}
