/**
 * The W2² metric's linear algebra against LAPACK through numpy/scipy (test/fixtures/eigen_peer.py):
 * the eigenvalues of Σ = L·Lᵀ (L lower triangular, as the Gaussian kernel holds Σ̂) and
 * tr Σ^½ = Σ √λ_i, at d = 2, 10, 100 with condition numbers up to about 10^16 and a singular case.
 *
 * Tolerance. Householder tridiagonalisation and implicit QL are backward stable, and so is forming
 * L·Lᵀ, so by Weyl's inequality each computed eigenvalue is within δ = C·d·ε·λ_max of the exact one
 * (Golub & Van Loan, Matrix Computations, 4th ed., §8.3–8.4; C = 4 here); relative to λ_i that is
 * C·d·ε·cond_i with cond_i = λ_max/λ_i. The reference is LAPACK's singular values of L squared (gesdd
 * never forms L·Lᵀ; its error is ε·σ_max per σ, far inside δ), and eigvalsh on L·Lᵀ (syevd, within
 * δ as well, so 2δ apart from ours). For the trace, |√a − √b| ≤ min(√δ, δ/√b) per term.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lowerGram, symmetricEigenvalues } from '../workers/families/linalg.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PEER = path.join(ROOT, 'test', 'fixtures', 'eigen_peer.py');
const PYTHON = process.env['PYTHON'] ?? 'python3';
const C = 4;
const EPS = Number.EPSILON;

interface Case {
  d: number;
  label: string;
  L: number[];
}
interface Ref {
  eigvalsh: number[];
  svd2: number[];
  trSqrtm: number | null;
}

/** A seeded standard normal (xorshift + Box–Muller): the matrices only need to be fixed and generic. */
function normals(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/**
 * Lower triangular L with diagonal 10^(−k·i/(d−1)) and normals below it scaled by their column's
 * diagonal (a graded factor: cond(L·Lᵀ) grows like 10^(2k)); `zeroCol` zeroes a column (rank d − 1,
 * as a singular fit's factor has).
 */
function factor(d: number, k: number, seed: number, zeroCol = -1): number[] {
  const g = normals(seed);
  const L = new Array<number>(d * d).fill(0);
  for (let j = 0; j < d; j++) {
    const djj = d === 1 ? 1 : 10 ** ((-k * j) / (d - 1));
    if (j === zeroCol) continue;
    L[j * d + j] = djj;
    for (let i = j + 1; i < d; i++) L[i * d + j] = 0.3 * djj * g();
  }
  return L;
}

const CASES: Case[] = [];
for (const d of [2, 10, 100]) {
  for (const k of [0, 4, 8]) CASES.push({ d, label: `d=${d} graded 10^-${k}`, L: factor(d, k, 17 * d + k) });
  CASES.push({ d, label: `d=${d} rank d−1`, L: factor(d, 2, 5 * d, d >> 1) });
}

function reference(cases: Case[]): Ref[] {
  const r = spawnSync(PYTHON, [PEER], { input: JSON.stringify({ cases }), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`eigen_peer.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Ref[];
}

/** Σ̂'s eigenvalues the way the kernel computes them (lowerGram, then symmetricEigenvalues), ascending. */
function ours(c: Case): number[] {
  const { d } = c;
  const M = new Float64Array(d * d);
  lowerGram(Float64Array.from(c.L), d, M);
  const w = new Float64Array(d);
  symmetricEigenvalues(M, d, w, new Float64Array(d));
  return Array.from(w).sort((x, y) => x - y);
}

describe('W2² linear algebra against LAPACK (numpy, scipy)', () => {
  const refs = reference(CASES);
  CASES.forEach((c, ci) => {
    it(`${c.label}: eigenvalues within C·d·ε·λ_max, tr Σ^½ within Σ min(√δ, δ/√λ_i)`, () => {
      const ref = refs[ci]!;
      const got = ours(c);
      const lmax = ref.svd2[c.d - 1]!;
      const delta = C * c.d * EPS * lmax;
      for (let i = 0; i < c.d; i++) {
        expect(Math.abs(got[i]! - ref.svd2[i]!), `${c.label} λ${i} vs svd²`).toBeLessThanOrEqual(delta);
        expect(Math.abs(got[i]! - ref.eigvalsh[i]!), `${c.label} λ${i} vs eigvalsh`).toBeLessThanOrEqual(2 * delta);
      }
      let tr = 0;
      let trRef = 0;
      let tol = 0;
      for (let i = 0; i < c.d; i++) {
        tr += Math.sqrt(Math.max(0, got[i]!));
        const b = Math.max(0, ref.svd2[i]!);
        trRef += Math.sqrt(b);
        tol += Math.min(Math.sqrt(delta), b > 0 ? delta / Math.sqrt(b) : Infinity);
      }
      tol += c.d * EPS * trRef; // the two sums' own rounding
      expect(Math.abs(tr - trRef), `${c.label} tr Σ^½ vs Σ σ_i`).toBeLessThanOrEqual(tol);
      // scipy's sqrtm (Schur method) where it returns a real trace, given the same allowance again
      if (ref.trSqrtm !== null) expect(Math.abs(tr - ref.trSqrtm), `${c.label} tr Σ^½ vs tr sqrtm`).toBeLessThanOrEqual(2 * tol);
    });
  });
});
