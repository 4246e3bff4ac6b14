/**
 * The toy data sets of the KDE family (`--data`), drawn one independent point at a time from the
 * law that scikit-learn's generators of the same names sample (sklearn.datasets, v1.5):
 *
 * - `blobs`: make_blobs with 3 centres and cluster_std 1, the centres fixed at radius 4 at angles
 *   90°, 210°, 330° (make_blobs draws them from center_box = (−10, 10)); a point picks its centre
 *   uniformly and adds N(0, I₂).
 * - `circles`: make_circles with factor 0.5 and noise 0.05: radius 1 or 0.5 with probability ½
 *   each, angle uniform on [0, 2π), plus N(0, 0.05²·I₂).
 * - `moons`: make_moons with noise 0.05: the outer moon (cos θ, sin θ) or the inner moon
 *   (1 − cos θ, ½ − sin θ) with probability ½ each, θ uniform on [0, π], plus N(0, 0.05²·I₂).
 * - `swiss-roll`: make_swiss_roll with noise 0.05: t = 1.5π(1 + 2U), (t cos t, 21V, t sin t) with
 *   U, V uniform on [0, 1], plus N(0, 0.05²·I₃).
 * - `gaussian`: N(0, I₂).
 *
 * scikit-learn spaces the angles of circles and moons evenly (linspace) and splits n exactly between
 * the parts; here every point is an independent draw from the law that design approximates, so a
 * generation's data are i.i.d. and the theory of docs/theory.md §18 applies. Every data set is then
 * mapped by x ↦ mean0·1 + sd0·x (`--mean0`, `--sd0`, defaults 0 and 1).
 */
import type { Source } from '../sources.js';

/** The --data values. */
export const DATA_SETS = ['blobs', 'circles', 'moons', 'swiss-roll', 'gaussian'] as const;
export type DataSet = (typeof DATA_SETS)[number];

/** Noise sd of circles, moons and swiss-roll. */
export const DATA_NOISE = 0.05;
/** make_circles' factor: the inner circle's radius. */
export const CIRCLES_FACTOR = 0.5;
/** The blobs' centres lie at this radius from the origin. */
export const BLOBS_RADIUS = 4;
/** The blobs' cluster sd. */
export const BLOBS_STD = 1;

const BLOB_CX = [0, -BLOBS_RADIUS * Math.cos(Math.PI / 6), BLOBS_RADIUS * Math.cos(Math.PI / 6)];
const BLOB_CY = [BLOBS_RADIUS, -BLOBS_RADIUS / 2, -BLOBS_RADIUS / 2];

/** The dimension of a data set's points. */
export function dataDim(name: string): number {
  return name === 'swiss-roll' ? 3 : 2;
}

/** The code of a data set (its index in DATA_SETS), for the kernel's switch. */
export function dataCode(name: string): number {
  const i = (DATA_SETS as readonly string[]).indexOf(name);
  if (i < 0) throw new Error(`internal: no data set ${JSON.stringify(name)}`);
  return i;
}

/**
 * Draws m points of data set `code` into rows [at, at + m) of `out` (row length dataDim), each
 * mapped by x ↦ mean0 + sd0·x. Draw order per point: the uniforms of its structure, then its
 * normals, coordinate by coordinate.
 */
export function drawData(code: number, src: Source, out: Float64Array, at: number, m: number, mean0: number, sd0: number): void {
  const d = code === 3 ? 3 : 2;
  for (let r = at; r < at + m; r++) {
    const o = r * d;
    let x = 0;
    let y = 0;
    let z = 0;
    let noise = DATA_NOISE;
    switch (code) {
      case 0: {
        // (1 − u) is uniform on [0, 1): u is uniform on (0, 1]
        const c = Math.min(2, Math.floor((1 - src.uniform()) * 3));
        x = BLOB_CX[c]!;
        y = BLOB_CY[c]!;
        noise = BLOBS_STD;
        break;
      }
      case 1: {
        const radius = src.uniform() <= 0.5 ? 1 : CIRCLES_FACTOR;
        const a = 2 * Math.PI * (1 - src.uniform());
        x = radius * Math.cos(a);
        y = radius * Math.sin(a);
        break;
      }
      case 2: {
        const outer = src.uniform() <= 0.5;
        const a = Math.PI * (1 - src.uniform());
        x = outer ? Math.cos(a) : 1 - Math.cos(a);
        y = outer ? Math.sin(a) : 0.5 - Math.sin(a);
        break;
      }
      case 3: {
        const t = 1.5 * Math.PI * (1 + 2 * (1 - src.uniform()));
        x = t * Math.cos(t);
        y = 21 * (1 - src.uniform());
        z = t * Math.sin(t);
        break;
      }
      default:
        noise = 1;
    }
    out[o] = mean0 + sd0 * (x + noise * src.normal());
    out[o + 1] = mean0 + sd0 * (y + noise * src.normal());
    if (d === 3) out[o + 2] = mean0 + sd0 * (z + noise * src.normal());
  }
}

/**
 * Exact mean and covariance diagonal of each data set before the map by (mean0, sd0), and the
 * trace of its covariance (the data are uncorrelated across coordinates in every set but blobs'
 * off-diagonal, which is 0 by the centres' symmetry; swiss-roll's x and z covariance is not 0 but
 * enters no formula here). Derivations in docs/theory.md §18.
 */
export function dataMoments(name: string): { mean: number[]; variance: number[]; trace: number } {
  const s2 = DATA_NOISE * DATA_NOISE;
  let mean: number[];
  let variance: number[];
  switch (name) {
    case 'blobs':
      // centres' covariance R²/2·I (three equally spaced points on a circle), plus the cluster's
      mean = [0, 0];
      variance = [(BLOBS_RADIUS * BLOBS_RADIUS) / 2 + BLOBS_STD ** 2, (BLOBS_RADIUS * BLOBS_RADIUS) / 2 + BLOBS_STD ** 2];
      break;
    case 'circles':
      mean = [0, 0];
      variance = [(1 + CIRCLES_FACTOR ** 2) / 4 + s2, (1 + CIRCLES_FACTOR ** 2) / 4 + s2];
      break;
    case 'moons':
      // E cos θ = 0, E sin θ = 2/π, E cos²θ = E sin²θ = ½ for θ uniform on [0, π]
      mean = [0.5, 0.25];
      variance = [0.75 + s2, 0.5625 - 1 / Math.PI + s2];
      break;
    case 'swiss-roll': {
      // t uniform on [a, b] = [1.5π, 4.5π]: E t cos t = 6π/(3π) = 2, E t sin t = 2/(3π),
      // E t² cos² t = E t² sin² t = ½ E t² ± ½ E t² cos 2t, with E t² = (a² + ab + b²)/3 = 9.75π²
      // and ∫ t² cos 2t dt = [t² sin 2t / 2 + t cos 2t / 2 − sin 2t / 4] = (b − a)·(−1)/2 over [a, b]
      // (sin 2a = sin 2b = 0, cos 2a = cos 2b = −1), so E t² cos 2t = −½
      const et2 = 9.75 * Math.PI * Math.PI;
      mean = [2, 10.5, 2 / (3 * Math.PI)];
      variance = [et2 / 2 - 0.25 - 4 + s2, (21 * 21) / 12 + s2, et2 / 2 + 0.25 - 4 / (9 * Math.PI * Math.PI) + s2];
      break;
    }
    default:
      mean = [0, 0];
      variance = [1, 1];
  }
  return { mean, variance, trace: variance.reduce((a, b) => a + b, 0) };
}
