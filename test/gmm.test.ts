/**
 * The gmm family: the closed-form L2 distance against numerical integration (scipy), the held-out
 * log-likelihood against scipy, EM's log-likelihood never decreasing, a well-separated two-cluster
 * case recovering its parameters by z-score, the mixture sampler's moments, and bad input.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSpec } from '../src/engine.js';
import { UsageError } from '../src/errors.js';
import { resolveRunSpec, type RawRunFlags } from '../src/spec.js';
import { Em, l2Distance, meanLogLik, Mixture, originalMixture, productIntegral, sampleMixture } from '../workers/families/gmm.js';
import { FastSource } from '../workers/sources.js';
import { Z_BOUND } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const CHECK = path.join(ROOT, 'test', 'fixtures', 'kde_gmm_check.py');

function python(req: unknown): unknown {
  const r = spawnSync(process.env['PYTHON'] ?? 'python3', [CHECK], { input: JSON.stringify(req), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python check failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function mixture(parts: [number, number, number, number, number, number][]): Mixture {
  const g = new Mixture(parts.length);
  g.k = parts.length;
  parts.forEach(([w, mx, my, a, b, c], j) => {
    g.w[j] = w;
    g.mx[j] = mx;
    g.my[j] = my;
    g.a[j] = a;
    g.b[j] = b;
    g.c[j] = c;
  });
  return g;
}

function asJson(g: Mixture) {
  const j = Array.from({ length: g.k }, (_, i) => i);
  return { w: j.map((i) => g.w[i]), mu: j.map((i) => [g.mx[i], g.my[i]]), cov: j.map((i) => [g.a[i], g.b[i], g.c[i]]) };
}

function source(seed: number): FastSource {
  const s = new FastSource();
  s.seed([seed, 3, 5, 7]);
  return s;
}

describe('gmm closed forms against scipy', () => {
  const p = mixture([
    [0.3, -1, 0.5, 0.8, 0.3, 0.5],
    [0.7, 1.2, -0.4, 0.3, -0.1, 1.1],
  ]);
  const q = originalMixture(2, 0, 1);
  const r = mixture([[1, 0.2, 0.1, 1.5, 0.6, 0.7]]);

  it('the L2 distance equals numerical integration over a grid (Simpson, 1201² points)', () => {
    const pairs = [
      [p, q],
      [r, q],
      [p, r],
      [r, originalMixture(1, 0, 1)],
    ] as const;
    const ref = python({ check: 'l2', pairs: pairs.map(([a, b]) => [asJson(a), asJson(b)]) }) as number[];
    pairs.forEach(([a, b], i) => {
      const got = l2Distance(a, b, productIntegral(b, b)) ** 2;
      // Simpson's error at spacing 0.02 on these densities is far below 1e-9 of the integral
      expect(Math.abs(got - ref[i]!), `${got} vs ${ref[i]}`).toBeLessThan(1e-9 * ref[i]!);
    });
    expect(l2Distance(q, q, productIntegral(q, q))).toBeLessThan(1e-7);
  });

  it('the mean log-likelihood equals scipy multivariate_normal with logsumexp', () => {
    const src = source(1);
    const x = new Float64Array(2 * 300);
    sampleMixture(q, 1, src, x, 0, 300, new Float64Array(2));
    const rows = Array.from({ length: 300 }, (_, i) => [x[2 * i]!, x[2 * i + 1]!]);
    const ref = python({ check: 'loglik', g: [p, q, r].map(asJson), x: rows }) as number[];
    [p, q, r].forEach((g, i) => expect(Math.abs(meanLogLik(g, x, 300) - ref[i]!)).toBeLessThan(1e-12 * Math.abs(ref[i]!)));
  });
});

describe('gmm sampling', () => {
  it('draws have the mixture mean and τ-scaled covariance (z-scores, 4·10⁵ draws)', () => {
    const N = 400_000;
    for (const tau of [1, 0.6]) {
      const g = mixture([
        // covariances of the same sign, so that no error in the off-diagonal term cancels across components
        [0.25, -2, 1, 0.8, 0.3, 0.5],
        [0.75, 1, -0.5, 0.3, 0.2, 1.1],
      ]);
      const x = new Float64Array(2 * N);
      sampleMixture(g, tau, source(2), x, 0, N, new Float64Array(2));
      const mean = [0, 0];
      for (let j = 0; j < 2; j++) mean[0]! += g.w[j]! * g.mx[j]!;
      for (let j = 0; j < 2; j++) mean[1]! += g.w[j]! * g.my[j]!;
      // E[x_u x_v] = Σ w (τΣ + μμᵀ)
      const second = (u: number, v: number) => {
        let s = 0;
        for (let j = 0; j < 2; j++) {
          const mu = [g.mx[j]!, g.my[j]!];
          const cov = u === 0 && v === 0 ? g.a[j]! : u === 1 && v === 1 ? g.c[j]! : g.b[j]!;
          s += g.w[j]! * (tau * cov + mu[u]! * mu[v]!);
        }
        return s;
      };
      for (const [u, v] of [
        [0, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        let s = 0;
        let ss = 0;
        for (let i = 0; i < N; i++) {
          const t = x[2 * i + u]! * x[2 * i + v]!;
          s += t;
          ss += t * t;
        }
        const m = s / N;
        const z = (m - second(u, v)) / Math.sqrt((ss / N - m * m) / N);
        expect(Math.abs(z), `τ=${tau} E[x${u}x${v}]`).toBeLessThan(Z_BOUND);
      }
      for (const u of [0, 1]) {
        let s = 0;
        for (let i = 0; i < N; i++) s += x[2 * i + u]!;
        const sd = Math.sqrt(second(u, u) - mean[u]! ** 2);
        expect(Math.abs((s / N - mean[u]!) / (sd / Math.sqrt(N))), `τ=${tau} mean ${u}`).toBeLessThan(Z_BOUND);
      }
    }
  });
});

describe('gmm EM', () => {
  it('the log-likelihood never decreases from one E step to the next (no regularisation, 60 iterations)', () => {
    for (const [k, seed] of [
      [2, 3],
      [3, 4],
      [5, 5],
    ] as const) {
      const N = 400;
      const x = new Float64Array(2 * N);
      const src = source(seed);
      sampleMixture(originalMixture(3, 0, 1), 1, src, x, 0, N, new Float64Array(3));
      const em = new Em(k, -1, 60, 0);
      const trace: number[] = [];
      em.fit(src, x, N, k, new Mixture(k), trace);
      expect(trace).toHaveLength(60);
      for (let i = 1; i < trace.length; i++) {
        expect(trace[i]! - trace[i - 1]!, `k=${k} step ${i}`).toBeGreaterThanOrEqual(-1e-12 * Math.abs(trace[i]!));
      }
    }
  });

  it('a well-separated two-cluster case recovers its parameters (z-scores against the MLE standard errors)', () => {
    const truth = mixture([
      [0.35, -4, 1, 0.8, 0.3, 0.5],
      [0.65, 3, -2, 0.4, -0.2, 1.2],
    ]);
    const N = 20_000;
    const x = new Float64Array(2 * N);
    const src = source(6);
    sampleMixture(truth, 1, src, x, 0, N, new Float64Array(2));
    const g = new Mixture(2);
    const em = new Em(2);
    em.fit(src, x, N, 2, g);
    expect(em.iterations).toBeLessThan(100);
    for (let j = 0; j < 2; j++) {
      // the fitted component nearest to true component j
      const f = (g.mx[0]! - truth.mx[j]!) ** 2 < (g.mx[1]! - truth.mx[j]!) ** 2 ? 0 : 1;
      const w = truth.w[j]!;
      const n = w * N;
      const [a, b, c] = [truth.a[j]!, truth.b[j]!, truth.c[j]!];
      const checks: [string, number, number, number][] = [
        ['w', g.w[f]!, w, Math.sqrt((w * (1 - w)) / N)],
        ['mx', g.mx[f]!, truth.mx[j]!, Math.sqrt(a / n)],
        ['my', g.my[f]!, truth.my[j]!, Math.sqrt(c / n)],
        ['a', g.a[f]!, a, a * Math.sqrt(2 / n)],
        ['b', g.b[f]!, b, Math.sqrt((a * c + b * b) / n)],
        ['c', g.c[f]!, c, c * Math.sqrt(2 / n)],
      ];
      for (const [name, got, want, se] of checks) {
        expect(Math.abs((got - want) / se), `component ${j} ${name}: ${got} vs ${want}`).toBeLessThan(Z_BOUND);
      }
    }
  });
});

describe('gmm chain against the numpy peer (bench/kde_gmm_peer.py)', () => {
  it('replace, n = 60, T = 3, k = 2, k0 = 2: the final l2 and loglik means agree by two-sample z', async () => {
    const peer = spawnSync(process.env['PYTHON'] ?? 'python3', [path.join(ROOT, 'bench', 'kde_gmm_peer.py'), '--model', 'gmm', '-n', '60', '-t', '3', '-e', '400', '--seed', '9'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    expect(peer.status, peer.stderr).toBe(0);
    const ref = (JSON.parse(peer.stdout) as { final: Record<string, number[]> }).final;
    const out = await runSpec(resolveRunSpec({ model: 'gmm', samples: '60', generations: '3', experiments: '2000', seed: '9' } as RawRunFlags), 2);
    const moments = (v: ArrayLike<number>) => {
      const n = v.length;
      let m = 0;
      for (let i = 0; i < n; i++) m += v[i]!;
      m /= n;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += (v[i]! - m) ** 2;
      return { m, v: ss / (n - 1) / n };
    };
    ['l2', 'loglik'].forEach((name, k) => {
      const a = moments(out.metrics[k]![out.rows - 1]!);
      const b = moments(ref[name]!);
      const z = (a.m - b.m) / Math.sqrt(a.v + b.v);
      expect(Math.abs(z), `${name}: engine ${a.m}, numpy ${b.m}`).toBeLessThan(Z_BOUND);
    });
  }, 120_000);
});

describe('gmm bad input', () => {
  function spec(flags: Record<string, string>) {
    return resolveRunSpec({ model: 'gmm', ...flags } as RawRunFlags);
  }
  it('k < 1, k0 < 1, n < 3k and --method stats are UsageErrors naming the flag', () => {
    for (const [flags, re] of [
      [{ components: '0' }, /--components/],
      [{ components0: '0' }, /--components0/],
      [{ components: '4', samples: '11' }, /--samples.*3k = 12/],
      [{ method: 'stats' }, /--method/],
      [{ bandwidth: '0.1' }, /--bandwidth/],
    ] as const) {
      expect(() => spec(flags), JSON.stringify(flags)).toThrow(UsageError);
      expect(() => spec(flags)).toThrow(re);
    }
    expect(spec({ components: '4', samples: '12' }).modelParams).toEqual({ components: 4, components0: 2 });
  });

  it('the CLI exits 2 with one line for n too small', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--model', 'gmm', '--components', '3', '-n', '5', '-o', '/nonexistent/never'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--samples/);
  });
});
