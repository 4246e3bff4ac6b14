/**
 * The samples figure's density contours (src/plot/contour.ts) and --model gmm's fits.csv: contour
 * geometry against the closed form of a single Gaussian, highest-density-region levels against
 * their exact mass, and fits.csv against its definition (weights, covariances, generations, an EM
 * fixed point of the training set shown beside it, the same bytes on any workers and shards).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contourLines, gridOf, HDR_DRAWS, hdrLevels, mixtureDensity, type Component, type Point } from '../src/plot/contour.js';
import { executeRun } from '../src/execute.js';
import { runFigures } from '../src/plot/run.js';
import { resolveRunSpec, type RawRunFlags } from '../src/spec.js';
import { Z_BOUND } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-contours-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** Q(p) = (p − μ)ᵀ Σ⁻¹ (p − μ) of one component. */
function quad(q: Component, [x, y]: Point): number {
  const det = q.a * q.c - q.b * q.b;
  const dx = x - q.mx;
  const dy = y - q.my;
  return (q.c * dx * dx - 2 * q.b * dx * dy + q.a * dy * dy) / det;
}

/** Eigenvalues of [[a, b], [b, c]], largest first. */
function eig(q: Component): [number, number] {
  const m = (q.a + q.c) / 2;
  const r = Math.hypot((q.a - q.c) / 2, q.b);
  return [m + r, m - r];
}

/** Shoelace area of a closed polyline. */
function area(line: Point[]): number {
  let s = 0;
  for (let i = 0; i + 1 < line.length; i++) s += line[i]![0] * line[i + 1]![1] - line[i + 1]![0] * line[i]![1];
  return Math.abs(s) / 2;
}

describe('contour lines by marching squares', () => {
  const g: Component = { w: 1, mx: 0.3, my: -0.2, a: 2, b: 0.8, c: 1 };
  const det = g.a * g.c - g.b * g.b;
  for (const c of [1, 4]) {
    it(`a correlated Gaussian's level Q = ${c}: one closed line on the ellipse, within one grid spacing`, () => {
      const n = 121;
      const grid = gridOf((x, y) => mixtureDensity([g], x, y), -6, 6, -6, 6, n, n);
      const h = 12 / (n - 1);
      const level = Math.exp(-c / 2) / (2 * Math.PI * Math.sqrt(det));
      const lines = contourLines(grid, level);
      expect(lines).toHaveLength(1);
      const line = lines[0]!;
      expect(line[line.length - 1]).toEqual(line[0]);
      // a contour point lies on a grid edge (length h) that the exact level line also crosses, so
      // |Q(p) − c| ≤ h · sup|∇Q| there, with |∇Q| = 2|Σ⁻¹(p − μ)| ≤ 2(r + h)/λmin and r² ≤ c·λmax
      const [lmax, lmin] = eig(g);
      const bound = (h * 2 * (Math.sqrt(c * lmax) + h)) / lmin;
      for (const p of line) expect(Math.abs(quad(g, p) - c)).toBeLessThanOrEqual(bound);
      // on a grid edge: one coordinate is a grid value
      for (const [x, y] of line) {
        const onX = Math.abs((x + 6) / h - Math.round((x + 6) / h)) < 1e-9;
        const onY = Math.abs((y + 6) / h - Math.round((y + 6) / h)) < 1e-9;
        expect(onX || onY).toBe(true);
      }
      // it goes all the way round: area πc√det within perimeter · h (perimeter ≤ 2π√(c·λmax))
      expect(Math.abs(area(line) - Math.PI * c * Math.sqrt(det))).toBeLessThanOrEqual(2 * Math.PI * Math.sqrt(c * lmax) * h);
    });
  }

  it('linear interpolation along edges: the error in Q falls about fourfold when the grid spacing halves', () => {
    const level = Math.exp(-2 / 2) / (2 * Math.PI * Math.sqrt(det));
    const worst = (n: number) => {
      const grid = gridOf((x, y) => mixtureDensity([g], x, y), -6, 6, -6, 6, n, n);
      return Math.max(...contourLines(grid, level).flat().map((p) => Math.abs(quad(g, p) - 2)));
    };
    // second order: 4 in the limit; a first-order placement (an edge's midpoint) gives about 2
    expect(worst(61) / worst(121)).toBeGreaterThan(3);
  });

  it('two separated components: two closed lines; a level above the peak: none', () => {
    const two: Component[] = [
      { w: 0.5, mx: -3, my: 0, a: 0.25, b: 0, c: 0.25 },
      { w: 0.5, mx: 3, my: 0, a: 0.25, b: 0, c: 0.25 },
    ];
    const grid = gridOf((x, y) => mixtureDensity(two, x, y), -5, 5, -5, 5, 101, 101);
    const lines = contourLines(grid, 0.05);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l[l.length - 1]).toEqual(l[0]);
    expect(contourLines(grid, 10)).toHaveLength(0);
  });
});

describe('highest-density-region levels', () => {
  it("a single Gaussian: the region's exact mass 1 − L·2π√det is p within Monte Carlo error", () => {
    const g: Component = { w: 1, mx: 1, my: 2, a: 0.5, b: -0.3, c: 0.9 };
    const det = g.a * g.c - g.b * g.b;
    const ps = [0.5, 0.9, 0.99];
    hdrLevels([g], ps).forEach((L, i) => {
      const p = ps[i]!;
      const mass = 1 - L * 2 * Math.PI * Math.sqrt(det);
      expect(Math.abs(mass - p) / Math.sqrt((p * (1 - p)) / HDR_DRAWS)).toBeLessThan(Z_BOUND);
    });
  });

  it("an unequal mixture: the region's mass by a fine grid sum is p within Monte Carlo and grid error", () => {
    const m: Component[] = [
      { w: 0.7, mx: -1, my: 0, a: 1, b: 0.5, c: 1 },
      { w: 0.3, mx: 2.5, my: 1, a: 0.2, b: 0, c: 0.4 },
    ];
    const ps = [0.5, 0.9];
    const levels = hdrLevels(m, ps);
    const n = 801;
    const grid = gridOf((x, y) => mixtureDensity(m, x, y), -9, 9, -8, 10, n, n);
    const cell = grid.dx * grid.dy;
    levels.forEach((L, i) => {
      const p = ps[i]!;
      let mass = 0;
      for (const f of grid.f) if (f >= L) mass += f * cell;
      // the midpoint-rule error of a region this size at spacing 0.0225 is far below 1e-3
      expect(Math.abs(mass - p) / Math.sqrt((p * (1 - p)) / HDR_DRAWS + 1e-3 ** 2)).toBeLessThan(Z_BOUND);
    });
  });
});

/** fits.csv's rows as numbers. */
function readFits(file: string): number[][] {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('generation,component,weight,mean_x,mean_y,cov_xx,cov_xy,cov_yy');
  return lines.slice(1).map((l) => l.split(',').map(Number));
}

/** Mean log-likelihood of points under a mixture, and one EM step (E then M, no regularisation). */
function emStep(m: Component[], pts: Point[]): { ll: number; next: Component[] } {
  const k = m.length;
  const r = pts.map((p) => m.map((q) => q.w * mixtureDensity([{ ...q, w: 1 }], p[0], p[1])));
  let ll = 0;
  for (const row of r) {
    const s = row.reduce((a, b) => a + b, 0);
    ll += Math.log(s);
    for (let j = 0; j < k; j++) row[j] = row[j]! / s;
  }
  const next = m.map((_, j) => {
    let nk = 0;
    let sx = 0;
    let sy = 0;
    pts.forEach((p, i) => {
      nk += r[i]![j]!;
      sx += r[i]![j]! * p[0];
      sy += r[i]![j]! * p[1];
    });
    const mx = sx / nk;
    const my = sy / nk;
    let a = 0;
    let b = 0;
    let c = 0;
    pts.forEach((p, i) => {
      a += r[i]![j]! * (p[0] - mx) ** 2;
      b += r[i]![j]! * (p[0] - mx) * (p[1] - my);
      c += r[i]![j]! * (p[1] - my) ** 2;
    });
    return { w: nk / pts.length, mx, my, a: a / nk, b: b / nk, c: c / nk };
  });
  return { ll: ll / pts.length, next };
}

describe('fits.csv of --model gmm', () => {
  const raw = { model: 'gmm', components: '3', components0: '3', samples: '150', generations: '27', experiments: '6', every: '3', seed: '5' };
  const spec = resolveRunSpec(raw as unknown as RawRunFlags);
  const a = path.join(TMP, 'a');

  it('generations 0 (the original), 1, 3, 9, 27; weights sum to 1; covariances positive definite; same bytes on 1 and 2 workers', async () => {
    await executeRun(spec, 1, a, 'test', 'none');
    await executeRun(spec, 2, path.join(TMP, 'b'), 'test', 'none');
    const text = fs.readFileSync(path.join(a, 'fits.csv'), 'utf8');
    expect(fs.readFileSync(path.join(TMP, 'b', 'fits.csv'), 'utf8')).toBe(text);
    const rows = readFits(path.join(a, 'fits.csv'));
    expect([...new Set(rows.map((r) => r[0]))]).toEqual([0, 1, 3, 9, 27]);
    for (const g of [0, 1, 3, 9, 27]) {
      const comps = rows.filter((r) => r[0] === g);
      expect(comps.map((r) => r[1])).toEqual([1, 2, 3]);
      expect(Math.abs(comps.reduce((s, r) => s + r[2]!, 0) - 1)).toBeLessThan(1e-12);
      for (const [, , w, , , xx, xy, yy] of comps) {
        expect(w).toBeGreaterThan(0);
        expect(xx).toBeGreaterThan(0);
        expect(xx! * yy! - xy! * xy!).toBeGreaterThan(0);
      }
    }
    // generation 0 is the original: three equal components of covariance 0.25·I at radius 3
    for (const [, j, w, mx, my, xx, xy, yy] of rows.filter((r) => r[0] === 0)) {
      const t = (2 * Math.PI * (j! - 1)) / 3;
      expect([w, mx, my, xx, xy, yy].map((v) => Number(v!.toFixed(12)))).toEqual([1 / 3, 3 * Math.cos(t), 3 * Math.sin(t), 0.25, 0, 0.25].map((v) => Number(v.toFixed(12))));
    }
    expect(runFigures(a, 500).map((f) => f.name)).toEqual(['metric-l2', 'metric-loglik', 'samples']);
  });

  it("each generation's fit is an EM fixed point of the training set in samples.csv (one more step gains < EM's tolerance)", () => {
    const rows = readFits(path.join(a, 'fits.csv'));
    const samples = fs.readFileSync(path.join(a, 'samples.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    for (const g of [1, 3, 9, 27]) {
      const m = rows.filter((r) => r[0] === g).map(([, , w, mx, my, a, b, c]) => ({ w: w!, mx: mx!, my: my!, a: a!, b: b!, c: c! }));
      const pts = samples.filter((s) => s[0] === g).map((s) => [s[1]!, s[2]!] as Point);
      expect(pts).toHaveLength(150);
      const one = emStep(m, pts);
      const two = emStep(one.next, pts);
      // EM never lowers the likelihood, and EM stopped when a step gained < 1e-3 per point
      expect(two.ll - one.ll).toBeGreaterThanOrEqual(-1e-9);
      expect(two.ll - one.ll).toBeLessThan(1e-3);
      // and the fit of another generation is no fixed point of these points
      const other = rows.filter((r) => r[0] === (g === 27 ? 1 : 27)).map(([, , w, mx, my, a, b, c]) => ({ w: w!, mx: mx!, my: my!, a: a!, b: b!, c: c! }));
      const o1 = emStep(other, pts);
      expect(emStep(o1.next, pts).ll - o1.ll).toBeGreaterThan(1e-3);
    }
  });

  it('shards merged write the same fits.csv', () => {
    const args = ['run', '--model', 'gmm', '--components', '3', '--components0', '3', '-n', '150', '-t', '27', '-e', '6', '--every', '3', '--seed', '5', '--no-plot'];
    const parts = [0, 1].map((i) => {
      const p = path.join(TMP, `part-${i}`);
      const r = spawnSync(process.execPath, [CLI, ...args, '--shard', `${i}/2`, '-o', p], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return p;
    });
    const m = spawnSync(process.execPath, [CLI, 'merge', ...parts, '-o', path.join(TMP, 'merged')], { encoding: 'utf8' });
    expect(m.status, m.stderr).toBe(0);
    expect(fs.readFileSync(path.join(TMP, 'merged', 'fits.csv'), 'utf8')).toBe(fs.readFileSync(path.join(a, 'fits.csv'), 'utf8'));
  });
});
