/**
 * The d-dimensional Gaussian's two O(k·d²/2) products, JS loops against the WebAssembly SIMD
 * module (the same bytes), one thread, in multiply-adds per nanosecond; and the Householder
 * reduction behind the eigenvalues (counted as 2d³/3 multiply-adds), and the triangular products
 * L·B and L·Lᵀ (d³/6).
 * Usage: node dist/bench/linalg-wasm.js [k] [d,d,...]
 */
import { affineRows, householderLower, lowerGram, lowerTimesLower, scatterLower } from '../workers/families/linalg.js';
import { linalgWasm } from '../workers/families/linalg-wasm.js';

const k = Number(process.argv[2] ?? 1000);
const dims = (process.argv[3] ?? '10,16,24,31,64,100').split(',').map(Number);
const w = linalgWasm();
if (w === null) throw new Error('build/wasm/linalg.wasm is missing: run npm run build');

function time(f: () => void, madds: number): number {
  for (let i = 0; i < 3; i++) f();
  let reps = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) f();
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns > 3e8) return (madds * reps) / ns;
    reps *= 2;
  }
}

console.log('d\tkernel\tJS madd/ns\twasm madd/ns\twasm/JS');
for (const d of dims) {
  const A = new Float64Array(d * d).map(() => Math.random() - 0.5);
  const mu = new Float64Array(d).map(() => Math.random());
  const z = new Float64Array(k * d).map(() => Math.random() - 0.5);
  const out = new Float64Array(k * d);
  const S = new Float64Array(d * d);
  const madds = (k * d * (d + 1)) / 2;
  const aj = time(() => affineRows(A, mu, z, k, d, out, 0), madds);
  const aw = time(() => w.affineRows(A, mu, z, k, d, out, 0), madds);
  const sj = time(() => scatterLower(z, k, d, S), madds);
  const sw = time(() => w.scatterLower(z, k, d, S), madds);
  const M = new Float64Array(d * d);
  scatterLower(z, k, d, M);
  const a = new Float64Array(d * d);
  const e = new Float64Array(d);
  const hm = (2 * d * d * d) / 3;
  const hj = time(() => (a.set(M), householderLower(a, d, e)), hm);
  const hw = time(() => (a.set(M), w.householderLower(a, d, e)), hm);
  const C = new Float64Array(d * d);
  const pm = (d * d * d) / 6;
  const lj = time(() => lowerTimesLower(A, M, d, C), pm);
  const lw = time(() => w.lowerTimesLower(A, M, d, C), pm);
  const gj = time(() => lowerGram(A, d, C), pm);
  const gw = time(() => w.gram(A, d, C, false), pm);
  console.log(`${d}\tlowerTimesLower\t${lj.toFixed(2)}\t${lw.toFixed(2)}\t${(lw / lj).toFixed(2)}`);
  console.log(`${d}\tlowerGram\t${gj.toFixed(2)}\t${gw.toFixed(2)}\t${(gw / gj).toFixed(2)}`);
  console.log(`${d}\thouseholder\t${hj.toFixed(2)}\t${hw.toFixed(2)}\t${(hw / hj).toFixed(2)}`);
  console.log(`${d}\taffineRows\t${aj.toFixed(2)}\t${aw.toFixed(2)}\t${(aw / aj).toFixed(2)}`);
  console.log(`${d}\tscatter\t${sj.toFixed(2)}\t${sw.toFixed(2)}\t${(sw / sj).toFixed(2)}`);
}
