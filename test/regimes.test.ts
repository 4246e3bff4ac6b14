/**
 * Regimes and methods: `stats` and `resample` agree in distribution for every regime (two-sample
 * Kolmogorov–Smirnov and z tests), replace under `stats` matches the closed forms (deep runs too),
 * accumulate does not collapse and matches its exact second moments, fresh reaches a stationary
 * spread, λ = 0 is replace to the byte, and the metrics (W2², share above epsilon) hold up.
 */
import { describe, expect, it } from 'vitest';
import { runSpec, type RunOutcome } from '../src/engine.js';
import { resolveRunSpec, type RawRunFlags } from '../src/spec.js';
import { allRows, finalsCsv, trajectoryCsv } from '../src/summary.js';
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
      // bounded: Var[m_T] ≤ (π²/6)·max E[s²]/n, and max E[s²] ≤ 1 here
      expect(r.theory.mean!.var).toBeLessThan((Math.PI ** 2 / 6) * 1.0 / 10);
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
    // stationary: the exact second moments stop moving
    expect(Math.abs(r600!.theory.sdSq!.mean - r200!.theory.sdSq!.mean)).toBeLessThan(1e-9);
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
});

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
