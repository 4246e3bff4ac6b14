/**
 * AssemblyScript source of the WebAssembly SIMD products of the d-dimensional Gaussian: the two
 * O(k·d²/2) loops of workers/families/linalg.ts that dominate a resampled generation at large d
 * (affineRows: k draws through a lower factor; scatterLower: the lower triangle of a centred
 * scatter). Built by `npm run build` to build/wasm/linalg.wasm and loaded by
 * workers/families/linalg-wasm.ts, which copies the operands into this module's memory.
 *
 * Every sum is taken in exactly the order of the JS loops, with a separate multiply and add (wasm
 * SIMD has no fused multiply-add), two independent sums per f64x2 lane pair: the results are the
 * JS results bit for bit, and test/linalg-wasm.test.ts checks that.
 */

/**
 * out = mu + A·z for 8-row blocks. Layout (built by the loader): A row-major d×d (lower triangle
 * read); mu[d]; z and out in blocks of 8 rows, element (row r of the block, column b) at
 * block·8d + 8b + r, so the 8 rows' values of one column are one 64-byte line. Each out[r, a] =
 * mu[a] + A[a,0]·z[r,0] + … + A[a,a]·z[r,a], summed left to right. Two values of a per pass share
 * the z loads: 16 independent sums in eight f64x2 registers.
 */
export function affine8(aPtr: usize, muPtr: usize, zPtr: usize, oPtr: usize, blocks: i32, d: i32): void {
  const block: usize = (<usize>d) << 6;
  const row: usize = (<usize>d) << 3;
  for (let k = 0; k < blocks; k++) {
    const zb = zPtr + <usize>k * block;
    const ob = oPtr + <usize>k * block;
    let a = 0;
    for (; a + 1 < d; a += 2) {
      const ra = aPtr + <usize>a * row;
      const rb = ra + row;
      const ma = f64x2.splat(load<f64>(muPtr + ((<usize>a) << 3)));
      const mb = f64x2.splat(load<f64>(muPtr + ((<usize>a + 1) << 3)));
      let s0 = ma;
      let s1 = ma;
      let s2 = ma;
      let s3 = ma;
      let t0 = mb;
      let t1 = mb;
      let t2 = mb;
      let t3 = mb;
      for (let b = 0; b <= a; b++) {
        const xa = f64x2.splat(load<f64>(ra + ((<usize>b) << 3)));
        const xb = f64x2.splat(load<f64>(rb + ((<usize>b) << 3)));
        const zp = zb + ((<usize>b) << 6);
        const z0 = v128.load(zp);
        const z1 = v128.load(zp, 16);
        const z2 = v128.load(zp, 32);
        const z3 = v128.load(zp, 48);
        s0 = f64x2.add(s0, f64x2.mul(xa, z0));
        s1 = f64x2.add(s1, f64x2.mul(xa, z1));
        s2 = f64x2.add(s2, f64x2.mul(xa, z2));
        s3 = f64x2.add(s3, f64x2.mul(xa, z3));
        t0 = f64x2.add(t0, f64x2.mul(xb, z0));
        t1 = f64x2.add(t1, f64x2.mul(xb, z1));
        t2 = f64x2.add(t2, f64x2.mul(xb, z2));
        t3 = f64x2.add(t3, f64x2.mul(xb, z3));
      }
      // row a + 1 has one more term, b = a + 1
      const xb = f64x2.splat(load<f64>(rb + ((<usize>a + 1) << 3)));
      const zp = zb + ((<usize>a + 1) << 6);
      t0 = f64x2.add(t0, f64x2.mul(xb, v128.load(zp)));
      t1 = f64x2.add(t1, f64x2.mul(xb, v128.load(zp, 16)));
      t2 = f64x2.add(t2, f64x2.mul(xb, v128.load(zp, 32)));
      t3 = f64x2.add(t3, f64x2.mul(xb, v128.load(zp, 48)));
      const op = ob + ((<usize>a) << 6);
      v128.store(op, s0);
      v128.store(op, s1, 16);
      v128.store(op, s2, 32);
      v128.store(op, s3, 48);
      v128.store(op, t0, 64);
      v128.store(op, t1, 80);
      v128.store(op, t2, 96);
      v128.store(op, t3, 112);
    }
    if (a < d) {
      const ra = aPtr + <usize>a * row;
      const ma = f64x2.splat(load<f64>(muPtr + ((<usize>a) << 3)));
      let s0 = ma;
      let s1 = ma;
      let s2 = ma;
      let s3 = ma;
      for (let b = 0; b <= a; b++) {
        const xa = f64x2.splat(load<f64>(ra + ((<usize>b) << 3)));
        const zp = zb + ((<usize>b) << 6);
        s0 = f64x2.add(s0, f64x2.mul(xa, v128.load(zp)));
        s1 = f64x2.add(s1, f64x2.mul(xa, v128.load(zp, 16)));
        s2 = f64x2.add(s2, f64x2.mul(xa, v128.load(zp, 32)));
        s3 = f64x2.add(s3, f64x2.mul(xa, v128.load(zp, 48)));
      }
      const op = ob + ((<usize>a) << 6);
      v128.store(op, s0);
      v128.store(op, s1, 16);
      v128.store(op, s2, 32);
      v128.store(op, s3, 48);
    }
  }
}

/**
 * The lower triangle of Σ_i z_i z_iᵀ over k rows of z (row-major k×d, k a multiple of 8: the
 * loader pads with rows of zeros, whose products are +0 and leave every sum as it was) into S
 * (row-major d×d; the upper triangle is not touched). S[a, b] starts at +0 and adds z_0[a]·z_0[b],
 * z_1[a]·z_1[b], … in row order, as the JS loop does; two adjacent b per f64x2, eight rows per pass.
 */
export function scatter8(zPtr: usize, sPtr: usize, k: i32, d: i32): void {
  const row: usize = (<usize>d) << 3;
  for (let a = 0; a < d; a++) {
    const sa = sPtr + <usize>a * row;
    for (let b = 0; b <= a; b++) store<f64>(sa + ((<usize>b) << 3), 0.0);
  }
  for (let i = 0; i < k; i += 8) {
    const p0 = zPtr + <usize>i * row;
    const p1 = p0 + row;
    const p2 = p1 + row;
    const p3 = p2 + row;
    const p4 = p3 + row;
    const p5 = p4 + row;
    const p6 = p5 + row;
    const p7 = p6 + row;
    for (let a = 0; a < d; a++) {
      const o: usize = (<usize>a) << 3;
      const x0s = load<f64>(p0 + o);
      const x1s = load<f64>(p1 + o);
      const x2s = load<f64>(p2 + o);
      const x3s = load<f64>(p3 + o);
      const x4s = load<f64>(p4 + o);
      const x5s = load<f64>(p5 + o);
      const x6s = load<f64>(p6 + o);
      const x7s = load<f64>(p7 + o);
      const x0 = f64x2.splat(x0s);
      const x1 = f64x2.splat(x1s);
      const x2 = f64x2.splat(x2s);
      const x3 = f64x2.splat(x3s);
      const x4 = f64x2.splat(x4s);
      const x5 = f64x2.splat(x5s);
      const x6 = f64x2.splat(x6s);
      const x7 = f64x2.splat(x7s);
      const sa = sPtr + <usize>a * row;
      let b = 0;
      for (; b + 1 <= a; b += 2) {
        const q: usize = (<usize>b) << 3;
        let s = v128.load(sa + q);
        s = f64x2.add(s, f64x2.mul(x0, v128.load(p0 + q)));
        s = f64x2.add(s, f64x2.mul(x1, v128.load(p1 + q)));
        s = f64x2.add(s, f64x2.mul(x2, v128.load(p2 + q)));
        s = f64x2.add(s, f64x2.mul(x3, v128.load(p3 + q)));
        s = f64x2.add(s, f64x2.mul(x4, v128.load(p4 + q)));
        s = f64x2.add(s, f64x2.mul(x5, v128.load(p5 + q)));
        s = f64x2.add(s, f64x2.mul(x6, v128.load(p6 + q)));
        s = f64x2.add(s, f64x2.mul(x7, v128.load(p7 + q)));
        v128.store(sa + q, s);
      }
      if (b <= a) {
        const q: usize = (<usize>b) << 3;
        let s = load<f64>(sa + q);
        s = s + x0s * load<f64>(p0 + q);
        s = s + x1s * load<f64>(p1 + q);
        s = s + x2s * load<f64>(p2 + q);
        s = s + x3s * load<f64>(p3 + q);
        s = s + x4s * load<f64>(p4 + q);
        s = s + x5s * load<f64>(p5 + q);
        s = s + x6s * load<f64>(p6 + q);
        s = s + x7s * load<f64>(p7 + q);
        store<f64>(sa + q, s);
      }
    }
  }
}

/**
 * The Householder reduction of symmetricEigenvalues (workers/families/linalg.ts, tred2 without
 * eigenvectors), on the FULL symmetric matrix at aPtr (row-major d×d, both triangles filled by the
 * loader) with e[d] at ePtr. Afterwards the diagonal of the matrix and e are what the JS reduction
 * leaves; the QL iterations then run in JS on them.
 *
 * Same bytes as the JS loop: there e[j] = A·u is accumulated row pair by row pair, which for each
 * j is the sum over i' = 0, 1, …, l of A[j][i']·u[i'] in that order from +0; here the same sums
 * run two j per f64x2 (row i' of the full matrix holds A[i'][j] = A[j][i'] contiguously). The
 * rank-2 update A −= u·eᵀ + e·uᵀ runs on both triangles; u_j·e_k + e_j·u_k and u_k·e_j + e_k·u_j
 * are the same double (products and sums commute exactly), so the matrix stays symmetric bit for
 * bit and its lower triangle is the JS one.
 */
export function tred(aPtr: usize, d: i32, ePtr: usize): void {
  const row: usize = (<usize>d) << 3;
  for (let i = d - 1; i > 0; i--) {
    const l = i - 1;
    const ri = aPtr + <usize>i * row;
    if (l == 0) {
      store<f64>(ePtr + ((<usize>i) << 3), load<f64>(ri));
      continue;
    }
    let scale = 0.0;
    for (let k = 0; k <= l; k++) scale += abs<f64>(load<f64>(ri + ((<usize>k) << 3)));
    if (scale == 0.0) {
      store<f64>(ePtr + ((<usize>i) << 3), load<f64>(ri + ((<usize>l) << 3)));
      continue;
    }
    let h = 0.0;
    for (let k = 0; k <= l; k++) {
      const p = ri + ((<usize>k) << 3);
      const x = load<f64>(p) / scale;
      store<f64>(p, x);
      h += x * x;
    }
    let f = load<f64>(ri + ((<usize>l) << 3));
    const g = f >= 0 ? -sqrt<f64>(h) : sqrt<f64>(h);
    store<f64>(ePtr + ((<usize>i) << 3), scale * g);
    h -= f * g;
    store<f64>(ri + ((<usize>l) << 3), f - g);
    // e[0..l] = A·u, u = row i: axpy form over the rows i' of the leading block, four at a time
    const m = l + 1;
    for (let j = 0; j < m; j++) store<f64>(ePtr + ((<usize>j) << 3), 0.0);
    let ip = 0;
    for (; ip + 4 <= m; ip += 4) {
      const r0 = aPtr + <usize>ip * row;
      const r1 = r0 + row;
      const r2 = r1 + row;
      const r3 = r2 + row;
      const u0s = load<f64>(ri + ((<usize>ip) << 3));
      const u1s = load<f64>(ri + ((<usize>ip + 1) << 3));
      const u2s = load<f64>(ri + ((<usize>ip + 2) << 3));
      const u3s = load<f64>(ri + ((<usize>ip + 3) << 3));
      const u0 = f64x2.splat(u0s);
      const u1 = f64x2.splat(u1s);
      const u2 = f64x2.splat(u2s);
      const u3 = f64x2.splat(u3s);
      let j = 0;
      for (; j + 2 <= m; j += 2) {
        const q: usize = (<usize>j) << 3;
        let s = v128.load(ePtr + q);
        s = f64x2.add(s, f64x2.mul(v128.load(r0 + q), u0));
        s = f64x2.add(s, f64x2.mul(v128.load(r1 + q), u1));
        s = f64x2.add(s, f64x2.mul(v128.load(r2 + q), u2));
        s = f64x2.add(s, f64x2.mul(v128.load(r3 + q), u3));
        v128.store(ePtr + q, s);
      }
      if (j < m) {
        const q: usize = (<usize>j) << 3;
        let s = load<f64>(ePtr + q);
        s = s + load<f64>(r0 + q) * u0s;
        s = s + load<f64>(r1 + q) * u1s;
        s = s + load<f64>(r2 + q) * u2s;
        s = s + load<f64>(r3 + q) * u3s;
        store<f64>(ePtr + q, s);
      }
    }
    for (; ip < m; ip++) {
      const r0 = aPtr + <usize>ip * row;
      const u0s = load<f64>(ri + ((<usize>ip) << 3));
      const u0 = f64x2.splat(u0s);
      let j = 0;
      for (; j + 2 <= m; j += 2) {
        const q: usize = (<usize>j) << 3;
        v128.store(ePtr + q, f64x2.add(v128.load(ePtr + q), f64x2.mul(v128.load(r0 + q), u0)));
      }
      if (j < m) {
        const q: usize = (<usize>j) << 3;
        store<f64>(ePtr + q, load<f64>(ePtr + q) + load<f64>(r0 + q) * u0s);
      }
    }
    f = 0.0;
    for (let j = 0; j < m; j++) {
      const q: usize = (<usize>j) << 3;
      const ej = load<f64>(ePtr + q) / h;
      store<f64>(ePtr + q, ej);
      f += ej * load<f64>(ri + q);
    }
    const hh = f / (h + h);
    for (let j = 0; j < m; j++) {
      const q: usize = (<usize>j) << 3;
      store<f64>(ePtr + q, load<f64>(ePtr + q) - hh * load<f64>(ri + q));
    }
    // A −= u·eᵀ + e·uᵀ on the whole leading block, element by element as the JS loop
    for (let j = 0; j < m; j++) {
      const rj = aPtr + <usize>j * row;
      const ujs = load<f64>(ri + ((<usize>j) << 3));
      const ejs = load<f64>(ePtr + ((<usize>j) << 3));
      const uj = f64x2.splat(ujs);
      const ej = f64x2.splat(ejs);
      let k = 0;
      for (; k + 2 <= m; k += 2) {
        const q: usize = (<usize>k) << 3;
        const t = f64x2.add(f64x2.mul(uj, v128.load(ePtr + q)), f64x2.mul(ej, v128.load(ri + q)));
        v128.store(rj + q, f64x2.sub(v128.load(rj + q), t));
      }
      if (k < m) {
        const q: usize = (<usize>k) << 3;
        store<f64>(rj + q, load<f64>(rj + q) - (ujs * load<f64>(ePtr + q) + ejs * load<f64>(ri + q)));
      }
    }
  }
}

/**
 * C = A·B for lower triangular A and B (row-major d×d; only their lower triangles are read), C
 * lower with its upper triangle zero. Each C[i, j] = Σ_{k = j..i} A[i, k]·B[k, j] from +0 in
 * order k = j, j + 1, …, i, as lowerTimesLower in JS: row i of C gets A[i, k]·(row k of B) for
 * k = 0, 1, …, i, four k per pass, two j per f64x2; the entries j > k0 of a pass's four rows
 * (the triangle's edge) go one by one.
 */
export function lowerMul(aPtr: usize, bPtr: usize, d: i32, cPtr: usize): void {
  const row: usize = (<usize>d) << 3;
  memory.fill(cPtr, 0, <usize>d * row);
  for (let i = 0; i < d; i++) {
    const ai = aPtr + <usize>i * row;
    const ci = cPtr + <usize>i * row;
    let k = 0;
    for (; k + 3 <= i; k += 4) {
      const a0s = load<f64>(ai + ((<usize>k) << 3));
      const a1s = load<f64>(ai + ((<usize>k + 1) << 3));
      const a2s = load<f64>(ai + ((<usize>k + 2) << 3));
      const a3s = load<f64>(ai + ((<usize>k + 3) << 3));
      const a0 = f64x2.splat(a0s);
      const a1 = f64x2.splat(a1s);
      const a2 = f64x2.splat(a2s);
      const a3 = f64x2.splat(a3s);
      const b0 = bPtr + <usize>k * row;
      const b1 = b0 + row;
      const b2 = b1 + row;
      const b3 = b2 + row;
      let j = 0;
      for (; j + 1 <= k; j += 2) {
        const q: usize = (<usize>j) << 3;
        let s = v128.load(ci + q);
        s = f64x2.add(s, f64x2.mul(a0, v128.load(b0 + q)));
        s = f64x2.add(s, f64x2.mul(a1, v128.load(b1 + q)));
        s = f64x2.add(s, f64x2.mul(a2, v128.load(b2 + q)));
        s = f64x2.add(s, f64x2.mul(a3, v128.load(b3 + q)));
        v128.store(ci + q, s);
      }
      if (j <= k) {
        const q: usize = (<usize>j) << 3;
        let s = load<f64>(ci + q);
        s = s + a0s * load<f64>(b0 + q);
        s = s + a1s * load<f64>(b1 + q);
        s = s + a2s * load<f64>(b2 + q);
        s = s + a3s * load<f64>(b3 + q);
        store<f64>(ci + q, s);
      }
      // the edge: column k + 1 gets rows k + 1.. k + 3, column k + 2 rows k + 2, k + 3, column k + 3 row k + 3
      const q1: usize = (<usize>k + 1) << 3;
      const q2: usize = (<usize>k + 2) << 3;
      const q3: usize = (<usize>k + 3) << 3;
      let s1 = load<f64>(ci + q1);
      s1 = s1 + a1s * load<f64>(b1 + q1);
      s1 = s1 + a2s * load<f64>(b2 + q1);
      s1 = s1 + a3s * load<f64>(b3 + q1);
      store<f64>(ci + q1, s1);
      let s2 = load<f64>(ci + q2);
      s2 = s2 + a2s * load<f64>(b2 + q2);
      s2 = s2 + a3s * load<f64>(b3 + q2);
      store<f64>(ci + q2, s2);
      store<f64>(ci + q3, load<f64>(ci + q3) + a3s * load<f64>(b3 + q3));
    }
    for (; k <= i; k++) {
      const as = load<f64>(ai + ((<usize>k) << 3));
      const a = f64x2.splat(as);
      const bk = bPtr + <usize>k * row;
      let j = 0;
      for (; j + 1 <= k; j += 2) {
        const q: usize = (<usize>j) << 3;
        v128.store(ci + q, f64x2.add(v128.load(ci + q), f64x2.mul(a, v128.load(bk + q))));
      }
      if (j <= k) {
        const q: usize = (<usize>j) << 3;
        store<f64>(ci + q, load<f64>(ci + q) + as * load<f64>(bk + q));
      }
    }
  }
}

/**
 * The sums of M = L·Lᵀ (L lower triangular): M[i, j] = Σ_{k = 0..j} L[i, k]·L[j, k] from +0 in
 * order k, for i ≥ j, as gram in JS. Reads Lᵀ at tPtr (row k holds L[·, k], padded to an even
 * length p ≥ d + 1 with zeros) and writes column j of M as row j at mPtr (p doubles per row;
 * entries i < j and i ≥ d are not meaningful). Two i per f64x2, eight i per pass.
 */
export function gramT(tPtr: usize, d: i32, p: i32, mPtr: usize): void {
  const row: usize = (<usize>p) << 3;
  for (let j = 0; j < d; j++) {
    const mj = mPtr + <usize>j * row;
    // L[j, k] = Lᵀ[k, j]
    let i = j & ~1;
    for (; i + 8 <= p; i += 8) {
      const q: usize = (<usize>i) << 3;
      let s0 = f64x2.splat(0.0);
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      for (let k = 0; k <= j; k++) {
        const tk = tPtr + <usize>k * row;
        const x = f64x2.splat(load<f64>(tk + ((<usize>j) << 3)));
        s0 = f64x2.add(s0, f64x2.mul(v128.load(tk + q), x));
        s1 = f64x2.add(s1, f64x2.mul(v128.load(tk + q, 16), x));
        s2 = f64x2.add(s2, f64x2.mul(v128.load(tk + q, 32), x));
        s3 = f64x2.add(s3, f64x2.mul(v128.load(tk + q, 48), x));
      }
      v128.store(mj + q, s0);
      v128.store(mj + q, s1, 16);
      v128.store(mj + q, s2, 32);
      v128.store(mj + q, s3, 48);
    }
    for (; i < p; i += 2) {
      const q: usize = (<usize>i) << 3;
      let s0 = f64x2.splat(0.0);
      for (let k = 0; k <= j; k++) {
        const tk = tPtr + <usize>k * row;
        s0 = f64x2.add(s0, f64x2.mul(v128.load(tk + q), f64x2.splat(load<f64>(tk + ((<usize>j) << 3)))));
      }
      v128.store(mj + q, s0);
    }
  }
}
