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
