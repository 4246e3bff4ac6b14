/**
 * Density contours for the samples figure: a 2-D Gaussian mixture's density on a regular grid, the
 * levels of its highest-density regions, and the level lines by marching squares (linear
 * interpolation along cell edges; a saddle cell is split by the mean of its corners), joined into
 * polylines. A contour point lies on a grid edge whose ends straddle the level, so it is within one
 * grid spacing of the exact level line.
 */

/** One component of a 2-D mixture: weight, mean (mx, my), covariance [[a, b], [b, c]]. */
export interface Component {
  w: number;
  mx: number;
  my: number;
  a: number;
  b: number;
  c: number;
}

/** Values f[j·nx + i] of a function at (x0 + i·dx, y0 + j·dy), i < nx, j < ny. */
export interface Grid {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  nx: number;
  ny: number;
  f: Float64Array;
}

/** The mixture's density at (x, y). */
export function mixtureDensity(comps: readonly Component[], x: number, y: number): number {
  let s = 0;
  for (const q of comps) {
    const det = q.a * q.c - q.b * q.b;
    const dx = x - q.mx;
    const dy = y - q.my;
    const quad = (q.c * dx * dx - 2 * q.b * dx * dy + q.a * dy * dy) / det;
    s += (q.w * Math.exp(-0.5 * quad)) / (2 * Math.PI * Math.sqrt(det));
  }
  return s;
}

/** Samples `fn` on an nx × ny grid spanning [x0, x1] × [y0, y1] (corners included). */
export function gridOf(fn: (x: number, y: number) => number, x0: number, x1: number, y0: number, y1: number, nx: number, ny: number): Grid {
  const dx = (x1 - x0) / (nx - 1);
  const dy = (y1 - y0) / (ny - 1);
  const f = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) f[j * nx + i] = fn(x0 + i * dx, y0 + j * dy);
  return { x0, y0, dx, dy, nx, ny, f };
}

/** Draws per mixture that hdrLevels uses: a level's mass is then off by about √(p(1−p)/M) < 0.004. */
export const HDR_DRAWS = 20000;

/**
 * The density levels L_p whose highest-density regions {f ≥ L_p} hold mass p of the mixture, for
 * each p of `masses`: the (1 − p) quantile of f(X), X drawn from the mixture (Hyndman 1996), from
 * `draws` draws of a fixed-seed generator (so the same mixture gives the same levels). Unlike a
 * grid sum, this needs no grid fine enough for the narrowest component.
 */
export function hdrLevels(comps: readonly Component[], masses: readonly number[], draws = HDR_DRAWS): number[] {
  // mulberry32 with Box–Muller: deterministic, and independent of the run's streams
  let state = 0x9e3779b9;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  let tot = 0;
  for (const q of comps) tot += q.w;
  const v = new Float64Array(draws);
  for (let r = 0; r < draws; r++) {
    let u = uniform() * tot;
    let q = comps[comps.length - 1]!;
    for (const c of comps) {
      if (u < c.w) {
        q = c;
        break;
      }
      u -= c.w;
    }
    const rad = Math.sqrt(-2 * Math.log(uniform()));
    const th = 2 * Math.PI * uniform();
    const z1 = rad * Math.cos(th);
    const z2 = rad * Math.sin(th);
    const l11 = Math.sqrt(q.a);
    const l21 = q.b / l11;
    const l22 = Math.sqrt(Math.max(0, q.c - l21 * l21));
    v[r] = mixtureDensity(comps, q.mx + l11 * z1, q.my + l21 * z1 + l22 * z2);
  }
  v.sort();
  return masses.map((p) => v[Math.min(draws - 1, Math.max(0, Math.floor((1 - p) * draws)))]!);
}

/** A point of a polyline. */
export type Point = [number, number];

/**
 * The level lines f = level of a grid as polylines (a closed one repeats its first point at its
 * end). Marching squares: a crossing on each cell edge whose ends straddle the level (one end
 * ≥ level, the other below), placed by linear interpolation; the two or four crossings of a cell
 * paired so that the corners on the other side than the cell's mean are cut off.
 */
export function contourLines(grid: Grid, level: number): Point[][] {
  const { nx, ny, f, x0, y0, dx, dy } = grid;
  // edge ids: horizontal edge (i, j) → j·nx + i; vertical edge (i, j) → H + j·nx + i
  const H = nx * ny;
  const point = new Map<number, Point>();
  const at = (id: number): Point => {
    let p = point.get(id);
    if (p !== undefined) return p;
    const vertical = id >= H;
    const e = vertical ? id - H : id;
    const i = e % nx;
    const j = (e - i) / nx;
    const fa = f[e]!;
    const fb = f[vertical ? e + nx : e + 1]!;
    const t = (level - fa) / (fb - fa);
    p = vertical ? [x0 + i * dx, y0 + (j + t) * dy] : [x0 + (i + t) * dx, y0 + j * dy];
    point.set(id, p);
    return p;
  };
  const segs: [number, number][] = [];
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const v0 = f[j * nx + i]!;
      const v1 = f[j * nx + i + 1]!;
      const v2 = f[(j + 1) * nx + i + 1]!;
      const v3 = f[(j + 1) * nx + i]!;
      const s0 = v0 >= level;
      const s1 = v1 >= level;
      const s2 = v2 >= level;
      const s3 = v3 >= level;
      if (s0 === s1 && s1 === s2 && s2 === s3) continue;
      const bottom = j * nx + i;
      const top = (j + 1) * nx + i;
      const left = H + j * nx + i;
      const right = H + j * nx + i + 1;
      if (s0 === s2 && s1 === s3) {
        // a saddle: cut off the two corners on the other side than the cell's mean
        const centre = (v0 + v1 + v2 + v3) / 4 >= level;
        if (s0 !== centre) segs.push([left, bottom], [right, top]);
        else segs.push([bottom, right], [top, left]);
        continue;
      }
      const cross: number[] = [];
      if (s0 !== s1) cross.push(bottom);
      if (s1 !== s2) cross.push(right);
      if (s3 !== s2) cross.push(top);
      if (s0 !== s3) cross.push(left);
      segs.push([cross[0]!, cross[1]!]);
    }
  }
  // join segments sharing an edge: each edge is crossed by at most two segments (its two cells)
  const byEdge = new Map<number, number[]>();
  segs.forEach(([a, b], s) => {
    for (const e of [a, b]) {
      const l = byEdge.get(e);
      if (l === undefined) byEdge.set(e, [s]);
      else l.push(s);
    }
  });
  const used = new Uint8Array(segs.length);
  const lines: Point[][] = [];
  const walk = (from: number, edge: number, ids: number[]): void => {
    let s = from;
    let e = edge;
    for (;;) {
      const next = (byEdge.get(e) ?? []).find((t) => t !== s && used[t] === 0);
      if (next === undefined) return;
      used[next] = 1;
      const [a, b] = segs[next]!;
      e = a === e ? b : a;
      ids.push(e);
      s = next;
    }
  };
  for (let s = 0; s < segs.length; s++) {
    if (used[s] === 1) continue;
    used[s] = 1;
    const [a, b] = segs[s]!;
    const fwd = [a, b];
    walk(s, b, fwd);
    const back: number[] = [];
    if (fwd[fwd.length - 1] !== a) walk(s, a, back);
    lines.push([...back.reverse(), ...fwd].map(at));
  }
  return lines;
}

/** A vertex of a contour line of the samples figure. */
export interface ContourVertex {
  /** The panel's label. */
  g: string;
  series: string;
  /** The polyline's id (Vega-Lite's detail channel) and the vertex's order along it. */
  path: string;
  i: number;
  x: number;
  y: number;
}

/** Grid points per axis of the samples figure's contours (the contour lies within one spacing). */
export const CONTOUR_GRID = 151;

/**
 * The contour lines of `mixture` at its highest-density-region levels for `masses`, on a
 * CONTOUR_GRID² grid over the square [x0, x0 + span] × [y0, y0 + span], as vertices for panel `g`.
 */
export function mixtureContours(
  mixture: readonly Component[],
  masses: readonly number[],
  window: { x0: number; y0: number; span: number },
  g: string,
  series: string,
): ContourVertex[] {
  const { x0, y0, span } = window;
  const grid = gridOf((x, y) => mixtureDensity(mixture, x, y), x0, x0 + span, y0, y0 + span, CONTOUR_GRID, CONTOUR_GRID);
  const out: ContourVertex[] = [];
  hdrLevels(mixture, masses).forEach((level, l) => {
    contourLines(grid, level).forEach((line, k) => {
      line.forEach(([x, y], i) => out.push({ g, series, path: `${g}|${series}|${l}|${k}`, i, x, y }));
    });
  });
  return out;
}
