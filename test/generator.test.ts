/**
 * The generators: pinned values from the reference C code, stream identity and independence,
 * the ziggurat's tables, moments and tails of 10^7 draws, the far tail (|z| > 4, > 5, and the law
 * beyond r) of 10^8 draws from both the kernel and the reference, and a chi-square goodness-of-fit
 * test.
 */
import { describe, expect, it } from 'vitest';
import mt19937 from '@stdlib/random-base-mt19937';
import { fillOpenUnits, nextOpenUnit, nextU32, setState } from '../workers/xoshiro.js';
import { K53, normal, SOLVED_R, solveR, zigguratSlow, ZIGGURAT_R, ZIGGURAT_RESIDUAL, ZIGGURAT_V, F as ZF } from '../workers/ziggurat.js';
import { drawFast, drawStdlib } from '../workers/kernel.js';
import { StdlibNormal, mtInitByArray } from '../workers/stdlib-normal.js';
import { experimentWords, mix64 } from '../src/seed.js';
import { binOf, chiSquareZ, erfc, ksOneSample, normalBinEdges, normalCdf, Z_BOUND } from './helpers.js';

function stateOf(w: readonly number[]): Int32Array {
  const st = new Int32Array(4);
  setState(st, w[0]!, w[1]!, w[2]!, w[3]!);
  return st;
}

describe('xoshiro128**', () => {
  it('matches the reference C implementation (Blackman & Vigna) from state 1,2,3,4', () => {
    const st = stateOf([1, 2, 3, 4]);
    const got = Array.from({ length: 6 }, () => nextU32(st));
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('never starts from the all-zero fixed point', () => {
    const st = stateOf([0, 0, 0, 0]);
    const outs = new Set(Array.from({ length: 8 }, () => nextU32(st)));
    expect(outs.size).toBeGreaterThan(1);
  });
});

describe('fillOpenUnits', () => {
  it('gives nextOpenUnit’s values and leaves its state, for n = 0, 1, 2, 1000', () => {
    for (const n of [0, 1, 2, 1000]) {
      const a = new Int32Array(4);
      setState(a, 0x9e3779b9, 7, -5, 123456789);
      const b = Int32Array.from(a);
      const out = new Float64Array(n);
      fillOpenUnits(a, n, out);
      for (let i = 0; i < n; i++) expect(Object.is(out[i], nextOpenUnit(b))).toBe(true);
      expect([...a]).toEqual([...b]);
    }
  });
});

describe('seed derivation (splitmix64-v1)', () => {
  it('mix64 matches the reference SplitMix64 outputs', () => {
    const g = 0x9e3779b97f4a7c15n;
    const mask = (1n << 64n) - 1n;
    expect(mix64(g)).toBe(16294208416658607535n);
    expect(mix64((2n * g) & mask)).toBe(7960286522194355700n);
    expect(mix64((1234567n + g) & mask)).toBe(6457827717110365317n);
  });

  it('gives every experiment its own words, and the words of the documented scheme', () => {
    const seen = new Set<string>();
    for (let e = 0; e < 20000; e++) seen.add(experimentWords(7, e).join(','));
    expect(seen.size).toBe(20000);
    // the documented scheme written out in Python integers (key = mix64(seed + γ), words of
    // mix64(key + (2e+1)γ) and mix64(key + (2e+2)γ), low half first)
    expect(experimentWords(7, 123)).toEqual([3734227250, 2986187074, 1557171217, 4149800888]);
    expect(experimentWords(0, 0)).toEqual([1293516399, 2802244911, 4097920862, 3011683077]);
    expect(experimentWords(2 ** 53 - 1, 5)).toEqual([3801643579, 4051494448, 2979874491, 2024572894]);
    expect(experimentWords(7, 123)).not.toEqual(experimentWords(8, 123));
    // seeds near 2^53 are accepted and distinct
    const big = Number.MAX_SAFE_INTEGER;
    expect(experimentWords(big, 0)).not.toEqual(experimentWords(big - 1, 0));
  });
});

describe('ziggurat tables', () => {
  it('solves r so that all 128 regions have the same area v', () => {
    expect(solveR().r).toBe(SOLVED_R); // the constant the tables start from is the bisection's r, to the bit
    expect(ZIGGURAT_R).toBe(SOLVED_R);
    expect(ZIGGURAT_R).toBeCloseTo(3.442619855899, 10); // Marsaglia & Tsang's 13-digit value
    expect(Math.abs(ZIGGURAT_RESIDUAL)).toBeLessThan(1e-13);
    // Region area check: base = r f(r) + tail = v, by construction of v.
    expect(ZIGGURAT_V).toBeCloseTo(9.91256303526217e-3, 12);
    expect(ZF[0]).toBe(1);
  });
});

describe('fast normal generator', () => {
  it('the inlined kernel draws exactly the reference sequence, slow paths included', () => {
    const a = stateOf([5, 6, 7, 8]);
    const b = stateOf([5, 6, 7, 8]);
    const out = new Float64Array(2);
    let tails = 0;
    for (let k = 0; k < 300000; k++) {
      drawFast(a, 1, out);
      const z = normal(b);
      if (out[0] !== z) throw new Error(`draw ${k}: kernel ${out[0]} vs reference ${z}`);
      if (Math.abs(z) > ZIGGURAT_R) tails++;
    }
    expect(tails).toBeGreaterThan(50); // the tail branch was exercised
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('pins its first deviates for experiment 0 of seed 1', () => {
    const st = stateOf(experimentWords(1, 0));
    const z = Array.from({ length: 3 }, () => normal(st));
    expect(z).toMatchInlineSnapshot(`
      [
        -1.214589515450107,
        0.8582821471348842,
        1.23899929122311,
      ]
    `);
  });

  it('same seed, same stream; different experiments, uncorrelated streams', () => {
    const n = 200000;
    const a = stateOf(experimentWords(3, 0));
    const a2 = stateOf(experimentWords(3, 0));
    const b = stateOf(experimentWords(3, 1));
    let sab = 0;
    for (let i = 0; i < n; i++) {
      const x = normal(a);
      expect(normal(a2)).toBe(x);
      sab += x * normal(b);
    }
    // correlation estimate has sd 1/sqrt(n)
    expect(Math.abs(sab / Math.sqrt(n))).toBeLessThan(Z_BOUND);
  });

  it('moments and tail probabilities of 10^7 draws are within standard errors', () => {
    const N = 10_000_000;
    const st = stateOf(experimentWords(11, 0));
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let t2 = 0;
    let t3 = 0;
    let tr = 0;
    for (let i = 0; i < N; i++) {
      const z = normal(st);
      const z2 = z * z;
      s1 += z;
      s2 += z2;
      s3 += z2 * z;
      s4 += z2 * z2;
      const a = Math.abs(z);
      if (a > 2) t2++;
      if (a > 3) t3++;
      if (a > ZIGGURAT_R) tr++;
    }
    const rt = Math.sqrt(N);
    expect(Math.abs((s1 / N) * rt)).toBeLessThan(Z_BOUND); // sd of z: 1
    expect(Math.abs(((s2 / N - 1) / Math.SQRT2) * rt)).toBeLessThan(Z_BOUND); // sd of z²: √2
    expect(Math.abs(((s3 / N) / Math.sqrt(15)) * rt)).toBeLessThan(Z_BOUND); // sd of z³: √15
    expect(Math.abs(((s4 / N - 3) / Math.sqrt(96)) * rt)).toBeLessThan(Z_BOUND); // sd of z⁴: √96
    for (const [count, x] of [
      [t2, 2],
      [t3, 3],
      [tr, ZIGGURAT_R],
    ] as const) {
      const p = 2 * (1 - normalCdf(x));
      const z = (count / N - p) / Math.sqrt((p * (1 - p)) / N);
      expect(Math.abs(z), `P(|z| > ${x})`).toBeLessThan(Z_BOUND);
    }
  });

  it('passes a chi-square goodness-of-fit test on 200 equiprobable bins (2e6 draws)', () => {
    const bins = 200;
    const N = 2_000_000;
    const edges = normalBinEdges(bins);
    const counts = new Float64Array(bins);
    const st = stateOf(experimentWords(12, 0));
    for (let i = 0; i < N; i++) {
      const z = normal(st);
      counts[binOf(edges, z)]!++;
    }
    const expected = N / bins;
    let stat = 0;
    for (const c of counts) stat += ((c - expected) * (c - expected)) / expected;
    expect(chiSquareZ(stat, bins - 1)).toBeLessThan(Z_BOUND);
    expect(chiSquareZ(stat, bins - 1)).toBeGreaterThan(-Z_BOUND); // too good a fit is a defect too
  });
});

describe('ziggurat far tail', () => {
  // P(|z| > t) = erfc(t/√2), from mpmath at 30 digits
  const P4 = 6.33424836662398425e-5;
  const P5 = 5.73303143758387823e-7;
  // beyond r: P(excess ≤ x) = 1 − erfc((r + x)/√2) / erfc(r/√2)
  const tailCdf = (x: number) => 1 - erfc((ZIGGURAT_R + x) / Math.SQRT2) / erfc(ZIGGURAT_R / Math.SQRT2);

  it('the erfc used here agrees with mpmath', () => {
    expect(Math.abs(erfc(4 / Math.SQRT2) / P4 - 1)).toBeLessThan(1.2e-7);
    expect(Math.abs(erfc(5 / Math.SQRT2) / P5 - 1)).toBeLessThan(1.2e-7);
  });

  function binomialZ(count: number, n: number, p: number): number {
    return (count / n - p) / Math.sqrt((p * (1 - p)) / n);
  }

  /**
   * The tail branch only shapes the draws beyond r ≈ 3.44, where the tests above stop. A tail
   * rejection of y < x² instead of 2y < x² keeps P(|z| > r) but gives the excess the density
   * ∝ exp(−rx − x²) instead of exp(−rx − x²/2): P(|z| > 4) falls to 0.774 and P(|z| > 5) to 0.238
   * of their values (mpmath), z ≈ −18 and −5.8 at 10^8 draws, and the excess fails KS outright.
   */
  it('the inlined kernel: P(|z| > 4), P(|z| > 5) and the law of the excess beyond r in 10^8 draws', () => {
    const st = stateOf(experimentWords(21, 0));
    const out = new Float64Array(2);
    const B = 1 << 16;
    const buf = new Float64Array(B);
    const rounds = Math.ceil(1e8 / B);
    let c4 = 0;
    let c5 = 0;
    const excess: number[] = [];
    for (let k = 0; k < rounds; k++) {
      drawFast(st, B, out, buf);
      for (let i = 0; i < B; i++) {
        const a = Math.abs(buf[i]!);
        if (a > ZIGGURAT_R) {
          excess.push(a - ZIGGURAT_R);
          if (a > 4) c4++;
          if (a > 5) c5++;
        }
      }
    }
    const draws = rounds * B;
    expect(Math.abs(binomialZ(c4, draws, P4)), `P(|z| > 4): ${c4} of ${draws}`).toBeLessThan(Z_BOUND);
    expect(Math.abs(binomialZ(c5, draws, P5)), `P(|z| > 5): ${c5} of ${draws}`).toBeLessThan(Z_BOUND);
    expect(ksOneSample(Float64Array.from(excess), tailCdf), `KS of ${excess.length} excesses`).toBeGreaterThan(1e-4);
  });

  it('the reference: its tail branch entered directly (2·10^5 draws), and P(|z| > 4) in 10^7 draws', () => {
    const st = stateOf(experimentWords(22, 0));
    // region 0 with an abscissa past the base rectangle: the draws that go to the tail (either sign)
    const M = 200_000;
    const excess = new Float64Array(M);
    let beyond4 = 0;
    let beyond5 = 0;
    for (let k = 0; k < M; k++) {
      const z = zigguratSlow(st, k & 1 ? 128 : 0, K53[0]!);
      const a = Math.abs(z);
      if (Math.sign(z) !== (k & 1 ? -1 : 1) || a <= ZIGGURAT_R) throw new Error(`tail draw ${k}: ${z}`);
      excess[k] = a - ZIGGURAT_R;
      if (a > 4) beyond4++;
      if (a > 5) beyond5++;
    }
    expect(ksOneSample(excess, tailCdf), 'KS of the excess').toBeGreaterThan(1e-4);
    // P(|z| > t | |z| > r): 0.110 and 9.95e-4; the y < x² rejection gives 0.085 and 2.4e-4 (z −35, −11)
    const pr = erfc(ZIGGURAT_R / Math.SQRT2);
    expect(Math.abs(binomialZ(beyond4, M, P4 / pr)), 'P(|z| > 4 | |z| > r)').toBeLessThan(Z_BOUND);
    expect(Math.abs(binomialZ(beyond5, M, P5 / pr)), 'P(|z| > 5 | |z| > r)').toBeLessThan(Z_BOUND);
    const N = 10_000_000;
    let c4 = 0;
    for (let i = 0; i < N; i++) if (Math.abs(normal(st)) > 4) c4++;
    expect(Math.abs(binomialZ(c4, N, P4)), `P(|z| > 4): ${c4} of ${N}`).toBeLessThan(Z_BOUND);
  });
});

describe('stdlib reference generator', () => {
  it('per-experiment state equals a freshly seeded @stdlib MT19937', () => {
    const words = experimentWords(5, 42);
    const fresh = mt19937.factory({ seed: words });
    const mt = new Uint32Array(624);
    mtInitByArray(mt, words);
    expect(Array.from((fresh.state as Uint32Array).subarray(3, 3 + 624))).toEqual(Array.from(mt));
  });

  it('reseeding gives the same deviates as a new stdlib generator with that seed', async () => {
    const normalPkg = (await import('@stdlib/random-base-normal')).default;
    const words = experimentWords(5, 42);
    const ref = normalPkg.factory(0, 1, { seed: words });
    const gen = new StdlibNormal();
    gen.draw(); // disturb the state first
    gen.seed(words);
    for (let i = 0; i < 1000; i++) {
      const z = gen.draw();
      expect(Number.isFinite(z)).toBe(true);
      expect(z).toBe(ref());
    }
  });

  it('drawStdlib mean and spread equal a two-pass computation', () => {
    const gen = new StdlibNormal();
    gen.seed([1, 2, 3, 4]);
    const n = 1001;
    const scratch = new Float64Array(n);
    const out = new Float64Array(2);
    drawStdlib(gen, n, scratch, out);
    let s = 0;
    for (const z of scratch) s += z;
    const mean = s / n;
    let ss = 0;
    for (const z of scratch) ss += (z - mean) ** 2;
    expect(out[0]).toBeCloseTo(mean, 14);
    expect(Math.abs(out[1]! - ss) / ss).toBeLessThan(1e-12);
  });
});

describe('drawFast moments', () => {
  it('equal a two-pass computation over the same deviates, for n = 2 and n = 1000', () => {
    for (const n of [2, 3, 1000]) {
      const a = stateOf([9, 8, 7, 6]);
      const b = stateOf([9, 8, 7, 6]);
      const out = new Float64Array(2);
      for (let rep = 0; rep < 200; rep++) {
        drawFast(a, n, out);
        const z = Array.from({ length: n }, () => normal(b));
        const mean = z.reduce((x, y) => x + y, 0) / n;
        const ss = z.reduce((acc, x) => acc + (x - mean) ** 2, 0);
        expect(Math.abs(out[0]! - mean)).toBeLessThan(1e-14 * (1 + Math.abs(mean)) * n);
        expect(Math.abs(out[1]! - ss) / ss).toBeLessThan(1e-10);
      }
    }
  });
});
