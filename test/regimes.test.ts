/**
 * Regimes and methods: `stats` and `resample` agree in distribution for every regime (two-sample
 * Kolmogorov–Smirnov and z tests), replace under `stats` matches the closed forms (deep runs too),
 * accumulate does not collapse and matches its exact second moments, fresh reaches a stationary
 * spread, λ = 0 is replace to the byte, augment matches its exact second moments, and the metrics
 * (W2², share above epsilon) hold up.
 */
import { describe, expect, it } from 'vitest';
import { runSpec, type RunOutcome } from '../src/engine.js';
import { resolveRunSpec, type RawRunFlags } from '../src/spec.js';
import { allRows, finalsCsv, trajectoryCsv } from '../src/summary.js';
import { regimeTheory } from '../src/theory.js';
import { Z_BOUND } from './helpers.js';

async function run(flags: Record<string, string>): Promise<RunOutcome> {
  return runSpec(resolveRunSpec({ seed: '11', ...flags } as RawRunFlags), 2);
}

/** Two-sample Kolmogorov–Smirnov p-value (asymptotic law with Stephens' small-sample correction). */
function ksPValue(a: Float64Array, b: Float64Array): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let dmax = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    dmax = Math.max(dmax, Math.abs(i / x.length - j / y.length));
  }
  const ne = (x.length * y.length) / (x.length + y.length);
  const lambda = (Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * dmax;
  let p = 0;
  for (let k = 1; k <= 100; k++) p += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
  return Math.min(1, Math.max(0, p));
}

function meanSd(x: Float64Array): [number, number] {
  const m = x.reduce((s, v) => s + v, 0) / x.length;
  return [m, Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1))];
}

function twoSampleZ(a: Float64Array, b: Float64Array): number {
  const [ma, sa] = meanSd(a);
  const [mb, sb] = meanSd(b);
  return (ma - mb) / Math.sqrt((sa * sa) / a.length + (sb * sb) / b.length);
}

const last = (o: RunOutcome) => o.lnSd[o.rows - 1]!;

describe('stats and resample agree in distribution', () => {
  const base = { samples: '20', generations: '60', experiments: '4000', every: '60' };
  const cases: [string, Record<string, string>][] = [
    ['replace', {}],
    ['replace, τ = 0.8, ddof 1', { temperature: '0.8', ddof: '1' }],
    ['accumulate', { regime: 'accumulate' }],
    ['fresh λ = 0.2', { regime: 'fresh', fresh: '0.2' }],
    ['augment λ = 1, τ = 0.8', { regime: 'augment', synthetic: '1', temperature: '0.8', samples: '10', generations: '20' }],
    ['augment λ = 0.05 (one synthetic draw), ddof 1', { regime: 'augment', synthetic: '0.05', ddof: '1' }],
    ['replace, n = 2 (gamma shape ½)', { samples: '2', generations: '20' }],
    ['replace, stdlib generator', { rng: 'stdlib' }],
  ];
  for (const [name, extra] of cases) {
    it(name, async () => {
      const a = await run({ ...base, ...extra, method: 'resample' });
      const b = await run({ ...base, ...extra, method: 'stats', seed: '12' });
      expect(ksPValue(last(a), last(b)), 'KS on final ln sd').toBeGreaterThan(1e-4);
      expect(ksPValue(a.finalMean, b.finalMean), 'KS on final mean').toBeGreaterThan(1e-4);
      expect(Math.abs(twoSampleZ(last(a), last(b))), 'z on mean ln sd').toBeLessThan(Z_BOUND);
      expect(Math.abs(twoSampleZ(a.finalMean, b.finalMean)), 'z on mean of the mean').toBeLessThan(Z_BOUND);
    });
  }

  it('the specialised stats kernel agrees with the generic one (stdlib path)', async () => {
    const flags = { samples: '50', generations: '200', experiments: '4000', every: '200', method: 'stats' };
    const a = await run({ ...flags, rng: 'fast' });
    const b = await run({ ...flags, rng: 'stdlib' });
    expect(ksPValue(last(a), last(b))).toBeGreaterThan(1e-4);
    expect(Math.abs(twoSampleZ(last(a), last(b)))).toBeLessThan(Z_BOUND);
  });
});

describe('replace under --method stats matches the closed forms', () => {
  const cases: Record<string, string>[] = [
    { samples: '1000', generations: '1000', experiments: '5000', every: '250' },
    { samples: '3', generations: '3000', experiments: '5000', every: '300' }, // sd ~ 1e-640
    { samples: '2', generations: '400', experiments: '5000', every: '100', ddof: '1' }, // generic path, shape ½
    { samples: '10', generations: '100', experiments: '5000', every: '20', temperature: '1.1' },
  ];
  for (const flags of cases) {
    it(JSON.stringify(flags), async () => {
      const rows = allRows(await run({ ...flags, method: 'stats' }));
      for (const r of rows) expect(Math.abs(r.z.log10SdMean), `generation ${r.generation}`).toBeLessThan(Z_BOUND);
      const f = rows[rows.length - 1]!;
      expect(Number.isFinite(f.log10Sd['mean']!)).toBe(true);
    });
  }
});

describe('accumulate', () => {
  it('does not collapse, and matches its exact E[s²] and Var[mean] at every recorded generation', async () => {
    const out = await run({ regime: 'accumulate', samples: '10', generations: '2000', experiments: '3000', every: '200', method: 'stats' });
    const rows = allRows(out);
    for (const r of rows) {
      expect(r.sd['mean']!).toBeGreaterThan(0.8); // sd0 = 1
      expect(Math.abs(r.z.sdSqMean), `sd² at ${r.generation}`).toBeLessThan(Z_BOUND);
      expect(Math.abs(r.z.meanVar), `Var[m] at ${r.generation}`).toBeLessThan(Z_BOUND);
    }
    expect(rows[rows.length - 1]!.theory.sd).toBeNull();
  });

  it('resample matches the exact second moments too', async () => {
    const rows = allRows(await run({ regime: 'accumulate', samples: '10', generations: '100', experiments: '3000', every: '25' }));
    for (const r of rows) {
      expect(Math.abs(r.z.sdSqMean)).toBeLessThan(Z_BOUND);
      expect(Math.abs(r.z.meanVar)).toBeLessThan(Z_BOUND);
    }
  });
});

describe('fresh', () => {
  it('with λ > 0 reaches a stationary spread instead of collapsing', async () => {
    const rows = allRows(await run({ regime: 'fresh', fresh: '0.1', samples: '20', generations: '600', experiments: '3000', every: '200', method: 'stats' }));
    const [r200, r400, r600] = rows;
    for (const r of rows) {
      expect(r.sd['p50']!).toBeGreaterThan(0.3);
      expect(Math.abs(r.z.sdSqMean), `sd² at ${r.generation}`).toBeLessThan(Z_BOUND);
      expect(Math.abs(r.z.meanVar), `Var[m] at ${r.generation}`).toBeLessThan(Z_BOUND);
    }
    // Stationary: E[s²] settles at the fixed point of its one-step map. With kA = 2 original and
    // kB = 18 model draws merged (SS = SS_A + SS_B + (kA kB/n)(x̄_A − x̄_B)²), s0 = 1, d = n − ddof:
    //   b = (kA + kB a)/(n² − kB²),  a·d = kA − 1 + a(kB − 1) + (kA kB/n)(1/kA + b + a/kB),
    // so a* = C/(d − D), C = kA − 1 + kB/n + kA²kB/(n(n² − kB²)), D = kB − 1 + kA/n + kA kB²/(n(n² − kB²)).
    const [n, kA, kB] = [20, 2, 18];
    const q = n * (n * n - kB * kB);
    const aStar = (kA - 1 + kB / n + (kA * kA * kB) / q) / (n - (kB - 1 + kA / n + (kA * kB * kB) / q));
    for (const r of [r200!, r600!]) {
      expect(Math.abs(r.sdSq.mean - aStar) / (r.sdSq.sd / Math.sqrt(3000)), `E[s²] at ${r.generation} vs ${aStar}`).toBeLessThan(Z_BOUND);
    }
    expect(Math.abs(r600!.log10Sd['mean']! - r400!.log10Sd['mean']!) / (r600!.log10Sd['sd']! / Math.sqrt(1500))).toBeLessThan(Z_BOUND);
  });

  it('with λ = 0 is replace, to the byte', async () => {
    const flags = { samples: '15', generations: '40', experiments: '300', every: '4' };
    const a = await run({ ...flags });
    const b = await run({ ...flags, regime: 'fresh', fresh: '0' });
    expect(trajectoryCsv(allRows(b))).toBe(trajectoryCsv(allRows(a)));
    expect(finalsCsv(b)).toBe(finalsCsv(a));
  });
});

describe('augment', () => {
  // (n, λ, τ, ddof, sd0, mean0): k = round(λn) = 5, 10, 20, 1 synthetic draws beside the n originals
  const cases = [
    [10, 0.5, 1, 0, 1, 0],
    [10, 1, 1.3, 1, 1, 0],
    [5, 4, 0.7, 0, 2, 3],
    [3, 0.34, 1, 0, 1, 0],
  ] as const;
  for (const [n, lambda, tau, ddof, s0, m0] of cases) {
    for (const method of ['stats', 'resample']) {
      it(`matches the exact E[s²] and E[(m − m0)²] (n = ${n}, λ = ${lambda}, τ = ${tau}, ddof ${ddof}, ${method})`, async () => {
        const flags = { samples: String(n), generations: '12', experiments: '10000', every: '4', ddof: String(ddof), sd0: String(s0), mean0: String(m0) };
        const rows = allRows(await run({ ...flags, regime: 'augment', synthetic: String(lambda), temperature: String(tau), method }));
        for (const r of rows) {
          expect(Math.abs(r.z.sdSqMean), `E[s²] at ${r.generation}`).toBeLessThan(Z_BOUND);
          expect(Math.abs(r.z.meanVar), `E[(m − m0)²] at ${r.generation}`).toBeLessThan(Z_BOUND);
        }
      });
    }
  }

  it('its recursion equals the numpy-checked one of test/fixtures/augment_mc.py', () => {
    // recursion() of the fixture at t = 8 (t = 3 for the last); its brute force agrees within |z| < 3
    // (n, λ, τ, ddof, s0, t), E[s_t²], E[(m_t − m0)²]
    const cases: [number[], number, number][] = [
      [[8, 1, 1.5, 0, 1, 8], 1.480407448370073, 0.21484666743927505],
      [[6, 4, 0.7, 1, 1, 8], 0.4115970837916548, 0.1902585198325444],
      [[10, 0.5, 1, 0, 2, 3], 3.5128888888888885, 0.4871111111111111],
    ];
    for (const [[n, lambda, tau, ddof, s0, t], a, b] of cases) {
      const spec = { samples: n!, ddof: ddof!, sd0: s0!, regime: 'augment' as const, fresh: 0, synthetic: lambda!, temperature: tau!, epsilon: 0.1 };
      const r = regimeTheory(spec, [t!]).rows[0]!;
      expect(r.sdSq!.mean / a - 1).toBeCloseTo(0, 13);
      expect(r.mean!.var / b - 1).toBeCloseTo(0, 13);
    }
  });

  it('keeps the original data from collapsing: a deep chain settles at the fixed point of its recursion', async () => {
    // With k = n = 10, τ = 1, ddof 0, s0 = 1 the fixed point solves D = (D + a/k)/4 and
    // 20a = 9 + 9a + 5(D + a/10): D = a/30, so a* = 9/(11 − 5·(1/30 + 1/10)) = 27/31 and E[(m − m0)²] → 1/10 + 9/310.
    const rows = allRows(await run({ regime: 'augment', synthetic: '1', samples: '10', generations: '600', experiments: '2000', every: '200', method: 'stats' }));
    for (const r of rows) {
      expect(r.theory.sdSq!.mean).toBeCloseTo(27 / 31, 12);
      expect(r.theory.mean!.var).toBeCloseTo(1 / 10 + 9 / 310, 12);
      expect(Math.abs((r.sdSq.mean - 27 / 31) / (r.sdSq.sd / Math.sqrt(2000))), `E[s²] at ${r.generation}`).toBeLessThan(Z_BOUND);
      expect(r.sd['p05']!).toBeGreaterThan(0.4);
    }
  });

  it('gives the same bytes on the worker pool and on the calling thread', async () => {
    const s = resolveRunSpec({ regime: 'augment', synthetic: '2.5', samples: '6', generations: '40', experiments: '300', every: '7', seed: '4', temperature: '0.9' });
    const a = await runSpec(s, 2, undefined, undefined, 'pool');
    const c = await runSpec(s, 2, undefined, undefined, 'inline');
    for (const o of [c]) {
      expect(Buffer.from(o.moments.data.buffer).equals(Buffer.from(a.moments.data.buffer))).toBe(true);
      expect(Buffer.from(o.finalMean.buffer).equals(Buffer.from(a.finalMean.buffer))).toBe(true);
    }
  });

  it('with round(λn) = 0 keeps generation 1\'s fit, whose law is replace after one generation', async () => {
    const flags = { samples: '10', generations: '20', experiments: '500', every: '5', temperature: '2' };
    const out = await run({ ...flags, regime: 'augment', synthetic: '0.04' });
    for (let r = 1; r < out.rows; r++) expect(Array.from(out.lnSd[r]!)).toEqual(Array.from(out.lnSd[0]!));
    const one = await run({ ...flags, generations: '1', every: '1' });
    expect(Array.from(out.lnSd[0]!)).toEqual(Array.from(one.lnSd[0]!));
    expect(Array.from(out.finalMean)).toEqual(Array.from(one.finalMean));
    const th = allRows(out).pop()!.theory;
    expect(th.sd!.mean).toBeCloseTo(allRows(one)[0]!.theory.sd!.mean, 15);
  });
});

describe('accumulate-subsample', () => {
  it('runs with bounded memory and sits between replace and accumulate', async () => {
    const flags = { samples: '10', generations: '200', experiments: '1000', every: '200' };
    const sub = allRows(await run({ ...flags, regime: 'accumulate-subsample' })).pop()!;
    const rep = allRows(await run(flags)).pop()!;
    const acc = allRows(await run({ ...flags, regime: 'accumulate' })).pop()!;
    expect(sub.log10Sd['mean']!).toBeGreaterThan(rep.log10Sd['mean']!);
    expect(sub.log10Sd['mean']!).toBeLessThan(acc.log10Sd['mean']! + 0.05);
    expect(sub.theory.mean).toBeNull();
  });

  /**
   * E[s_2²] and E[(m_2 − m0)²] after generation 2, exactly: the fit of a uniform subsample of n from
   * a pool of n original values X and n model values Y holds k ~ Hypergeometric(2n, n, n) of X.
   * Given k, sum the expected squared differences over pairs (SS = Σ_{a<b} (W_a − W_b)²/n):
   * 2s0² within X, 2τa1 within Y, s0²(n−1)/n + τa1 across, with a1 = s0²(n−1)/(n−ddof); and
   * E[X_a X_b] = s0²[a = b], E[X_a Y_b] = s0²/n, E[Y_a Y_b] = s0²/n + τa1[a = b] about m0.
   * test/fixtures/subsample_mc.py derives the same and checks it by brute force in numpy.
   */
  function exactGeneration2(n: number, ddof: number, tau: number, s0: number): { sdSq: number; dm2: number } {
    const binom = (a: number, b: number) => {
      let c = 1;
      for (let i = 1; i <= b; i++) c = (c * (a - b + i)) / i;
      return c;
    };
    const s02 = s0 * s0;
    const a1 = (s02 * (n - 1)) / (n - ddof);
    let ss = 0;
    let dm2 = 0;
    for (let k = 0; k <= n; k++) {
      const j = n - k;
      const p = (binom(n, k) * binom(n, j)) / binom(2 * n, n);
      ss += (p * (k * (k - 1) * s02 + j * (j - 1) * tau * a1 + k * j * ((s02 * (n - 1)) / n + tau * a1))) / n;
      dm2 += (p * (k * s02 + j * (s02 / n + tau * a1) + (j * (j - 1) * s02) / n + (2 * k * j * s02) / n)) / (n * n);
    }
    return { sdSq: ss / (n - ddof), dm2 };
  }

  it('the exact generation-2 moments equal those of the numpy-checked fixture', () => {
    // test/fixtures/subsample_mc.py: 135/224, 89/224; 752/225, 328/225; 7/24, 17/24
    const a = exactGeneration2(4, 0, 1, 1);
    expect(a.sdSq).toBeCloseTo(135 / 224, 14);
    expect(a.dm2).toBeCloseTo(89 / 224, 14);
    const b = exactGeneration2(5, 0, 1.5, 2);
    expect(b.sdSq).toBeCloseTo(752 / 225, 13);
    expect(b.dm2).toBeCloseTo(328 / 225, 13);
    const c = exactGeneration2(2, 0, 1, 1);
    expect(c.sdSq).toBeCloseTo(7 / 24, 14);
    expect(c.dm2).toBeCloseTo(17 / 24, 14);
  });

  // Fitting the whole pool instead (accumulate) gives E[s_2²] = 0.703 against 0.603 at n = 4: with
  // sd[s²] = 0.69, 20000 experiments put that 20 standard errors away. At n = 2 a subsample that can
  // never take the newest value gives E[s_2²] = 1/3 against 7/24 and E[(m − m0)²] = 2/3 against 17/24.
  for (const [n, tau, s0, m0] of [
    [4, 1, 1, 0],
    [5, 1.5, 2, 3],
    [2, 1, 1, 0],
  ] as const) {
    it(`matches the exact E[s²] and E[(m − m0)²] after generation 2 (n = ${n}, τ = ${tau}, sd0 = ${s0})`, async () => {
      const E = 20000;
      const out = await run({ regime: 'accumulate-subsample', samples: String(n), generations: '2', experiments: String(E), every: '1', temperature: String(tau), sd0: String(s0), mean0: String(m0) });
      const sq = out.lnSd[1]!.map((l) => Math.exp(2 * l));
      const dm2 = out.finalMean.map((m) => (m - m0) ** 2);
      const want = exactGeneration2(n, 0, tau, s0);
      const [mSq, sSq] = meanSd(sq);
      const [mDm, sDm] = meanSd(dm2);
      expect(Math.abs((mSq - want.sdSq) / (sSq / Math.sqrt(E))), 'E[s²]').toBeLessThan(Z_BOUND);
      expect(Math.abs((mDm - want.dm2) / (sDm / Math.sqrt(E))), 'E[(m − m0)²]').toBeLessThan(Z_BOUND);
    });
  }

  it('agrees in distribution with a brute-force implementation (two-sample KS on final ln sd and mean)', async () => {
    const n = 5;
    const T = 12;
    const E = 4000;
    const out = await run({ regime: 'accumulate-subsample', samples: String(n), generations: String(T), experiments: String(E), every: String(T) });
    const ref = bruteSubsample(n, T, 0, 1, E, 0x5eed);
    expect(ksPValue(last(out), ref.lnSd), 'KS on final ln sd').toBeGreaterThan(1e-4);
    expect(ksPValue(out.finalMean, ref.mean), 'KS on final mean').toBeGreaterThan(1e-4);
    expect(Math.abs(twoSampleZ(last(out), ref.lnSd)), 'z on mean ln sd').toBeLessThan(Z_BOUND);
  });
});

/**
 * The accumulate-subsample regime written out literally, independent of workers/: its own generator
 * (mulberry32, two words per 53-bit uniform, Marsaglia's polar normals), every pooled value kept,
 * the subsample chosen by Knuth's selection sampling (Algorithm S), and a plain two-pass fit.
 */
function bruteSubsample(n: number, T: number, ddof: number, tau: number, E: number, seed: number): { lnSd: Float64Array; mean: Float64Array } {
  let a = seed >>> 0;
  const u32 = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const uniform = () => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992; // [0, 1)
  const normal = () => {
    for (;;) {
      const x = 2 * uniform() - 1;
      const y = 2 * uniform() - 1;
      const q = x * x + y * y;
      if (q > 0 && q < 1) return x * Math.sqrt((-2 * Math.log(q)) / q);
    }
  };
  const lnSd = new Float64Array(E);
  const mean = new Float64Array(E);
  for (let e = 0; e < E; e++) {
    const pool: number[] = [];
    let m = 0;
    let sd = 1;
    for (let g = 1; g <= T; g++) {
      const sampleSd = g === 1 ? sd : Math.sqrt(tau) * sd;
      for (let i = 0; i < n; i++) pool.push(m + sampleSd * normal());
      const fit: number[] = [];
      for (let i = 0; i < pool.length && fit.length < n; i++) {
        if ((pool.length - i) * uniform() < n - fit.length) fit.push(pool[i]!);
      }
      m = fit.reduce((x, y) => x + y, 0) / n;
      sd = Math.sqrt(fit.reduce((x, y) => x + (y - m) ** 2, 0) / (n - ddof));
    }
    lnSd[e] = Math.log(sd);
    mean[e] = m;
  }
  return { lnSd, mean };
}

describe('metrics', () => {
  it('the share above epsilon counts the finals, and respects the bound of Suresh et al. for ddof 1', async () => {
    const out = await run({ samples: '5', generations: '100', experiments: '4000', every: '100', ddof: '1', epsilon: '0.1' });
    const f = allRows(out).pop()!;
    const finals = last(out);
    const count = finals.reduce((s, l) => s + (l > Math.log(0.1) ? 1 : 0), 0);
    expect(f.aboveEpsilon).toBe(count / 4000);
    const bound = f.theory.aboveEpsilon.suresh!;
    expect(bound).toBeCloseTo(10 * Math.exp(-100 / 19), 12);
    expect(f.aboveEpsilon).toBeLessThanOrEqual(bound);
    expect(f.aboveEpsilon).toBeLessThanOrEqual(f.theory.aboveEpsilon.markov!);
  });

  it('W2² matches its exact expectation for replace (1.0557 at n = T = 1000)', async () => {
    // 8000 experiments: the z of W2² needs E ≥ 7766 here (its s_T² part is heavy-tailed; src/zscore.ts)
    const rows = allRows(await run({ samples: '1000', generations: '1000', experiments: '8000', every: '1000', method: 'stats' }));
    const f = rows.pop()!;
    expect(f.theory.w2sq!.mean).toBeCloseTo(1.0557, 4);
    expect(Math.abs(f.z.w2sqMean)).toBeLessThan(Z_BOUND);
  });
});
