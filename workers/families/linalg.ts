/**
 * Dense linear algebra for the d-dimensional Gaussian kernel, on row-major d×d Float64Arrays
 * (lower triangles where stated): scatter, a semidefinite Cholesky, triangular products, and the
 * eigenvalues of a symmetric matrix. Pure computation, no allocation: callers pass scratch.
 */

/**
 * The mean of k rows of `z` (k×d, row-major) into `mean`, and the lower triangle of their centred
 * scatter Σ_i (z_i − z̄)(z_i − z̄)ᵀ into `S` (upper triangle left as it was). Two passes (the
 * mean first, so no cancellation); `z` is centred in place. The rank-1 updates go four rows at a
 * time, so each S[a, b] is loaded and stored once per four samples instead of once per sample.
 * O(k·d²/2).
 */
export function meanAndScatter(z: Float64Array, k: number, d: number, mean: Float64Array, S: Float64Array): void {
  centreRows(z, k, d, mean);
  scatterLower(z, k, d, S);
}

/** The mean of k rows of `z` (k×d) into `mean`, and the rows centred in place. */
export function centreRows(z: Float64Array, k: number, d: number, mean: Float64Array): void {
  for (let j = 0; j < d; j++) mean[j] = 0;
  for (let i = 0; i < k; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) mean[j] = mean[j]! + z[o + j]!;
  }
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / k;
  for (let i = 0; i < k; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) z[o + j] = z[o + j]! - mean[j]!;
  }
}

/**
 * The lower triangle of Σ_i z_i z_iᵀ over k rows of `z` into `S` (upper triangle left as it was),
 * each S[a, b] from +0 adding the products in row order.
 */
export function scatterLower(z: Float64Array, k: number, d: number, S: Float64Array): void {
  for (let a = 0; a < d; a++) {
    const ro = a * d;
    for (let b = 0; b <= a; b++) S[ro + b] = 0;
  }
  let i = 0;
  // eight rows per pass halves the loads and stores of S again; each S[a, b] still adds the
  // products in row order, so the sums are the four-row (and one-row) sums bit for bit
  for (; i + 8 <= k; i += 8) {
    const o0 = i * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    const o4 = o3 + d;
    const o5 = o4 + d;
    const o6 = o5 + d;
    const o7 = o6 + d;
    for (let a = 0; a < d; a++) {
      const ra = a * d;
      const x0 = z[o0 + a]!;
      const x1 = z[o1 + a]!;
      const x2 = z[o2 + a]!;
      const x3 = z[o3 + a]!;
      const x4 = z[o4 + a]!;
      const x5 = z[o5 + a]!;
      const x6 = z[o6 + a]!;
      const x7 = z[o7 + a]!;
      for (let b = 0; b <= a; b++) {
        S[ra + b] =
          S[ra + b]! + x0 * z[o0 + b]! + x1 * z[o1 + b]! + x2 * z[o2 + b]! + x3 * z[o3 + b]! +
          x4 * z[o4 + b]! + x5 * z[o5 + b]! + x6 * z[o6 + b]! + x7 * z[o7 + b]!;
      }
    }
  }
  for (; i + 4 <= k; i += 4) {
    const o0 = i * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    for (let a = 0; a < d; a++) {
      const ra = a * d;
      const x0 = z[o0 + a]!;
      const x1 = z[o1 + a]!;
      const x2 = z[o2 + a]!;
      const x3 = z[o3 + a]!;
      for (let b = 0; b <= a; b++) {
        S[ra + b] = S[ra + b]! + x0 * z[o0 + b]! + x1 * z[o1 + b]! + x2 * z[o2 + b]! + x3 * z[o3 + b]!;
      }
    }
  }
  for (; i < k; i++) {
    const o = i * d;
    for (let a = 0; a < d; a++) {
      const ra = a * d;
      const x = z[o + a]!;
      for (let b = 0; b <= a; b++) S[ra + b] = S[ra + b]! + x * z[o + b]!;
    }
  }
}

/**
 * Cholesky factor of a symmetric positive semidefinite matrix: lower `L` with L·Lᵀ = c·A, from A's
 * lower triangle. A pivot at or below 1e-12 of its diagonal entry is taken as exactly zero (the
 * matrix is singular there: a scatter of k ≤ d points has rank k − 1) and its column is set to
 * zero, which keeps L·Lᵀ = c·A on the range of A. Returns the number of zero pivots. O(d³/6).
 */
export function cholSemi(A: Float64Array, d: number, c: number, L: Float64Array): number {
  let zero = 0;
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    let s = c * A[rj + j]!;
    for (let k = 0; k < j; k++) s -= L[rj + k]! * L[rj + k]!;
    for (let k = j + 1; k < d; k++) L[rj + k] = 0;
    if (!(s > 1e-12 * c * A[rj + j]!)) {
      zero++;
      for (let i = j; i < d; i++) L[i * d + j] = 0;
      continue;
    }
    const p = Math.sqrt(s);
    L[rj + j] = p;
    // four rows per pass: independent sums sharing L[j, k], each in order k = 0, 1, …, j − 1
    let i = j + 1;
    for (; i + 4 <= d; i += 4) {
      const r0 = i * d;
      const r1 = r0 + d;
      const r2 = r1 + d;
      const r3 = r2 + d;
      let t0 = c * A[r0 + j]!;
      let t1 = c * A[r1 + j]!;
      let t2 = c * A[r2 + j]!;
      let t3 = c * A[r3 + j]!;
      for (let k = 0; k < j; k++) {
        const x = L[rj + k]!;
        t0 -= L[r0 + k]! * x;
        t1 -= L[r1 + k]! * x;
        t2 -= L[r2 + k]! * x;
        t3 -= L[r3 + k]! * x;
      }
      L[r0 + j] = t0 / p;
      L[r1 + j] = t1 / p;
      L[r2 + j] = t2 / p;
      L[r3 + j] = t3 / p;
    }
    for (; i < d; i++) {
      const ri = i * d;
      let t = c * A[ri + j]!;
      for (let k = 0; k < j; k++) t -= L[ri + k]! * L[rj + k]!;
      L[ri + j] = t / p;
    }
  }
  return zero;
}

/**
 * C = A·B for lower triangular A and B (C lower; C may not alias A or B). Row-major i-k-j order, so
 * the inner loop runs along rows of B and C (contiguous) instead of down B's columns. O(d³/6).
 */
export function lowerTimesLower(A: Float64Array, B: Float64Array, d: number, C: Float64Array): void {
  C.fill(0, 0, d * d);
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    let k = 0;
    // two rows of B per pass: each C[i, j] is loaded and stored half as often
    for (; k + 1 <= i; k += 2) {
      const a0 = A[ri + k]!;
      const a1 = A[ri + k + 1]!;
      const r0 = k * d;
      const r1 = r0 + d;
      for (let j = 0; j <= k; j++) C[ri + j] = C[ri + j]! + a0 * B[r0 + j]! + a1 * B[r1 + j]!;
      C[ri + k + 1] = C[ri + k + 1]! + a1 * B[r1 + k + 1]!;
    }
    for (; k <= i; k++) {
      const a = A[ri + k]!;
      const rk = k * d;
      for (let j = 0; j <= k; j++) C[ri + j] = C[ri + j]! + a * B[rk + j]!;
    }
  }
}

/** y = A·x for lower triangular A. O(d²/2). */
export function lowerTimesVector(A: Float64Array, x: Float64Array, d: number, y: Float64Array): void {
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    let s = 0;
    for (let k = 0; k <= i; k++) s += A[ri + k]! * x[k]!;
    y[i] = s;
  }
}

/**
 * Lower triangle of S += F·Fᵀ (F lower triangular). O(d³/6). The entries of a column j share the
 * range k ≤ j of their sums, so four rows go per pass (four independent sums sharing F[j, k]);
 * each sum runs in order k = 0, 1, …, j and is then added to S[i, j].
 */
export function addLowerGram(F: Float64Array, d: number, S: Float64Array): void {
  gram(F, d, S, true);
}

/** Lower triangle of M = L·Lᵀ (L lower triangular), as addLowerGram without the addition. O(d³/6). */
export function lowerGram(L: Float64Array, d: number, M: Float64Array): void {
  gram(L, d, M, false);
}

function gram(L: Float64Array, d: number, M: Float64Array, add: boolean): void {
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    let i = j;
    for (; i + 4 <= d; i += 4) {
      const r0 = i * d;
      const r1 = r0 + d;
      const r2 = r1 + d;
      const r3 = r2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k <= j; k++) {
        const x = L[rj + k]!;
        s0 += L[r0 + k]! * x;
        s1 += L[r1 + k]! * x;
        s2 += L[r2 + k]! * x;
        s3 += L[r3 + k]! * x;
      }
      if (add) {
        M[r0 + j] = M[r0 + j]! + s0;
        M[r1 + j] = M[r1 + j]! + s1;
        M[r2 + j] = M[r2 + j]! + s2;
        M[r3 + j] = M[r3 + j]! + s3;
      } else {
        M[r0 + j] = s0;
        M[r1 + j] = s1;
        M[r2 + j] = s2;
        M[r3 + j] = s3;
      }
    }
    for (; i < d; i++) {
      const ri = i * d;
      let s = 0;
      for (let k = 0; k <= j; k++) s += L[ri + k]! * L[rj + k]!;
      M[ri + j] = add ? M[ri + j]! + s : s;
    }
  }
}

/**
 * √(x² + y²): the plain formula where its squares can neither overflow nor underflow, Math.hypot
 * elsewhere. Math.hypot on every rotation took a third of the eigenvalue time at d = 100 (it is a
 * variadic builtin, not inlined); the two differ by at most an ulp or so.
 */
function hypot(x: number, y: number): number {
  const s = x * x + y * y;
  return s > 1e-290 && s < 1e290 ? Math.sqrt(s) : Math.hypot(x, y);
}

/**
 * Eigenvalues of the symmetric matrix whose lower triangle is in `a` (destroyed), into `w`
 * (unordered); `e` is scratch of length d. Householder reduction to tridiagonal form, then the QL
 * algorithm with implicit shifts (tred2 and tqli without eigenvectors: Press et al., Numerical
 * Recipes, 3rd ed., §11.3–11.4; Wilkinson & Reinsch 1971). O(4d³/3) + O(d²). `reduce` is the
 * Householder reduction: householderLower, or its WebAssembly twin (workers/families/linalg-wasm.ts).
 */
export function symmetricEigenvalues(
  a: Float64Array,
  d: number,
  w: Float64Array,
  e: Float64Array,
  reduce: (a: Float64Array, d: number, e: Float64Array) => void = householderLower,
): void {
  reduce(a, d, e);
  for (let i = 0; i < d; i++) w[i] = a[i * d + i]!;
  tridiagonalEigenvalues(w, e, d);
}

/**
 * The Householder reduction of symmetricEigenvalues: the tridiagonal form's diagonal is left on
 * a's diagonal, its off-diagonal in e[1..d−1]. O(4d³/3).
 */
export function householderLower(a: Float64Array, d: number, e: Float64Array): void {
  for (let i = d - 1; i > 0; i--) {
    const l = i - 1;
    const ri = i * d;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[ri + k]!);
      if (scale === 0) {
        e[i] = a[ri + l]!;
      } else {
        for (let k = 0; k <= l; k++) {
          a[ri + k] = a[ri + k]! / scale;
          h += a[ri + k]! * a[ri + k]!;
        }
        let f = a[ri + l]!;
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[ri + l] = f - g;
        f = 0;
        // e = A·u / h with A symmetric, stored lower, u = row i: row by row (contiguous), each
        // stored entry used for both of its symmetric positions, instead of walking down columns
        for (let j = 0; j <= l; j++) e[j] = 0;
        // two rows per pass share each e[j]'s load and store; every sum keeps tred2's order
        let k = 0;
        for (; k + 1 <= l; k += 2) {
          const rk = k * d;
          const rk1 = rk + d;
          const uk = a[ri + k]!;
          const uk1 = a[ri + k + 1]!;
          let t = 0;
          let t1 = 0;
          for (let j = 0; j < k; j++) {
            const akj = a[rk + j]!;
            const ak1j = a[rk1 + j]!;
            const uj = a[ri + j]!;
            e[j] = e[j]! + akj * uk + ak1j * uk1;
            t += akj * uj;
            t1 += ak1j * uj;
          }
          const ak1k = a[rk1 + k]!;
          e[k] = e[k]! + t + a[rk + k]! * uk + ak1k * uk1;
          t1 += ak1k * uk;
          e[k + 1] = e[k + 1]! + t1 + a[rk1 + k + 1]! * uk1;
        }
        for (; k <= l; k++) {
          const rk = k * d;
          const uk = a[ri + k]!;
          let t = 0;
          for (let j = 0; j < k; j++) {
            const akj = a[rk + j]!;
            e[j] = e[j]! + akj * uk;
            t += akj * a[ri + j]!;
          }
          e[k] = e[k]! + t + a[rk + k]! * uk;
        }
        for (let j = 0; j <= l; j++) {
          e[j] = e[j]! / h;
          f += e[j]! * a[ri + j]!;
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) e[j] = e[j]! - hh * a[ri + j]!;
        // the rank-2 update A −= u·eᵀ + e·uᵀ, two rows per pass sharing the loads of e and u
        let j = 0;
        for (; j + 1 <= l; j += 2) {
          const rj = j * d;
          const rj1 = rj + d;
          const f0 = a[ri + j]!;
          const g0 = e[j]!;
          const f1 = a[ri + j + 1]!;
          const g1 = e[j + 1]!;
          for (let k = 0; k <= j; k++) {
            const ek = e[k]!;
            const uk = a[ri + k]!;
            a[rj + k] = a[rj + k]! - (f0 * ek + g0 * uk);
            a[rj1 + k] = a[rj1 + k]! - (f1 * ek + g1 * uk);
          }
          a[rj1 + j + 1] = a[rj1 + j + 1]! - (f1 * g1 + g1 * f1);
        }
        for (; j <= l; j++) {
          const rj = j * d;
          f = a[ri + j]!;
          g = e[j]!;
          for (let k = 0; k <= j; k++) a[rj + k] = a[rj + k]! - (f * e[k]! + g * a[ri + k]!);
        }
      }
    } else {
      e[i] = a[ri + l]!;
    }
  }
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix with diagonal w and off-diagonal e[1..d−1]
 * (as householderLower leaves them), into w: QL with implicit shifts. e is destroyed. O(d²).
 */
export function tridiagonalEigenvalues(w: Float64Array, e: Float64Array, d: number): void {
  for (let i = 1; i < d; i++) e[i - 1] = e[i]!;
  if (d > 0) e[d - 1] = 0;
  for (let l = 0; l < d; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < d - 1; m++) {
        const dd = Math.abs(w[m]!) + Math.abs(w[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (iter++ === 60) throw new Error(`symmetricEigenvalues: no convergence at d = ${d}`);
      let g = (w[l + 1]! - w[l]!) / (2 * e[l]!);
      let r = hypot(g, 1);
      g = w[m]! - w[l]! + e[l]! / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let early = false;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          w[i + 1] = w[i + 1]! - p;
          e[m] = 0;
          early = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = w[i + 1]! - p;
        r = (w[i]! - g) * s + 2 * c * b;
        p = s * r;
        w[i + 1] = g + p;
        g = c * r - b;
      }
      if (early) continue;
      w[l] = w[l]! - p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

// The helpers below carry the kernels' per-generation O(d²) and O(k·d²) loops. The workers run
// with on-stack replacement off (workers/jit.ts), so a loop inside a regime's method, which runs a
// whole experiment in one call, stays in the interpreter for the first experiment of each thread:
// at d = 100, n = 1000 that first accumulate-subsample experiment took 16 s of CPU instead of
// about 1. A function called once per generation is optimised after a few calls.

/**
 * Rows out[o + i·d + a] = mu[a] + Σ_{b ≤ a} A[a, b]·z[i·d + b] for i < k (A lower triangular),
 * each sum taken in order b = 0, 1, …, a from mu[a]. Eight rows at a time, then four: each A[a, b]
 * is loaded once per eight products and the eight sums are independent chains (the same sums, bit
 * for bit, as one row at a time; eight rows took 10–20% less time than four at d = 31 and 100).
 * O(k·d²/2).
 */
export function affineRows(A: Float64Array, mu: Float64Array, z: Float64Array, k: number, d: number, out: Float64Array, o: number): void {
  let i = 0;
  for (; i + 8 <= k; i += 8) {
    const z0 = i * d;
    const z1 = z0 + d;
    const z2 = z1 + d;
    const z3 = z2 + d;
    const z4 = z3 + d;
    const z5 = z4 + d;
    const z6 = z5 + d;
    const z7 = z6 + d;
    const p = o + z0;
    for (let a = 0; a < d; a++) {
      const ra = a * d;
      const m = mu[a]!;
      let s0 = m;
      let s1 = m;
      let s2 = m;
      let s3 = m;
      let s4 = m;
      let s5 = m;
      let s6 = m;
      let s7 = m;
      for (let b = 0; b <= a; b++) {
        const x = A[ra + b]!;
        s0 += x * z[z0 + b]!;
        s1 += x * z[z1 + b]!;
        s2 += x * z[z2 + b]!;
        s3 += x * z[z3 + b]!;
        s4 += x * z[z4 + b]!;
        s5 += x * z[z5 + b]!;
        s6 += x * z[z6 + b]!;
        s7 += x * z[z7 + b]!;
      }
      out[p + a] = s0;
      out[p + d + a] = s1;
      out[p + 2 * d + a] = s2;
      out[p + 3 * d + a] = s3;
      out[p + 4 * d + a] = s4;
      out[p + 5 * d + a] = s5;
      out[p + 6 * d + a] = s6;
      out[p + 7 * d + a] = s7;
    }
  }
  for (; i + 4 <= k; i += 4) {
    const z0 = i * d;
    const z1 = z0 + d;
    const z2 = z1 + d;
    const z3 = z2 + d;
    const p = o + z0;
    for (let a = 0; a < d; a++) {
      const ra = a * d;
      const m = mu[a]!;
      let s0 = m;
      let s1 = m;
      let s2 = m;
      let s3 = m;
      for (let b = 0; b <= a; b++) {
        const x = A[ra + b]!;
        s0 += x * z[z0 + b]!;
        s1 += x * z[z1 + b]!;
        s2 += x * z[z2 + b]!;
        s3 += x * z[z3 + b]!;
      }
      out[p + a] = s0;
      out[p + d + a] = s1;
      out[p + 2 * d + a] = s2;
      out[p + 3 * d + a] = s3;
    }
  }
  for (; i < k; i++) {
    const zo = i * d;
    const p = o + zo;
    for (let a = 0; a < d; a++) {
      const ra = a * d;
      let s = mu[a]!;
      for (let b = 0; b <= a; b++) s += A[ra + b]! * z[zo + b]!;
      out[p + a] = s;
    }
  }
}

/** Swaps rows i and j (length d) of a row-major matrix. */
export function swapRows(X: Float64Array, i: number, j: number, d: number): void {
  const oi = i * d;
  const oj = j * d;
  for (let a = 0; a < d; a++) {
    const t = X[oi + a]!;
    X[oi + a] = X[oj + a]!;
    X[oj + a] = t;
  }
}

/** out[i] = c·x[i] for i < m. */
export function scaleInto(x: Float64Array, c: number, m: number, out: Float64Array): void {
  for (let i = 0; i < m; i++) out[i] = x[i]! * c;
}

/** Lower triangle of S += c·v·vᵀ, each entry as S[i, j] + c·v[i]·v[j] (in that order). O(d²/2). */
export function addScaledOuter(S: Float64Array, v: Float64Array, c: number, d: number): void {
  for (let i = 0; i < d; i++) {
    const vi = v[i]!;
    const ri = i * d;
    for (let j = 0; j <= i; j++) S[ri + j] = S[ri + j]! + c * vi * v[j]!;
  }
}

/**
 * L = F / max|F| with entries below `tiny` (in that scale) set to zero; returns max|F|. The whole
 * d×d array is read (F lower triangular, zeros above). O(d²).
 */
export function normaliseInto(F: Float64Array, d: number, tiny: number, L: Float64Array): number {
  const m = d * d;
  let mx = 0;
  for (let i = 0; i < m; i++) {
    const a = Math.abs(F[i]!);
    if (a > mx) mx = a;
  }
  const inv = 1 / mx;
  for (let i = 0; i < m; i++) {
    const x = F[i]! * inv;
    L[i] = Math.abs(x) < tiny ? 0 : x;
  }
  return mx;
}
