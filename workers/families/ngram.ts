/**
 * The n-gram family's worker kernel: a word model of order k (1 to 3) fitted by maximum likelihood
 * to a book, then made to generate a corpus of N tokens sentence by sentence, refitted to it, and
 * so on (docs/theory.md §16).
 *
 * A fit is stored as the random walk it defines. Its states are the contexts (the k − 1 previous
 * tokens of a sentence, padded with `</s>` at its start; one state at k = 1), numbered in order of
 * first occurrence, the start state (`</s>`…`</s>`) first. Each state keeps the list of its
 * occurrences in the fitted text — for each, the token that followed and the state that token leads
 * to — so that drawing the next token from the MLE is drawing one occurrence uniformly: O(1) per
 * token, exact, with no cumulative table and no search. The lists are built by a counting sort of
 * the positions by state, O(M + states). At k = 2 a state is the previous token, so the state a
 * token leads to is the token itself; at k = 3 contexts (a, b) are numbered through an
 * open-addressing hash table.
 *
 * A fitted text is closed: where a segment (the generated corpus, cut at exactly N tokens, or a
 * part of the fresh or accumulated data) does not end in `</s>`, the fit adds one (k ≥ 2 only), so
 * that every state reached has a successor; the unigram metrics leave these closures out. Add-α
 * smoothing (--smoothing α > 0) samples with probability α·V/(count(c) + α·V) a token uniform
 * over the V = vTrain tokens of the training text (words and `</s>`), else an occurrence.
 *
 * Uniform integers below c come from the experiment's xoshiro128** stream by Lemire's
 * multiply-shift with rejection (c ≤ 2^21: one 32-bit draw, exact) or by masked rejection above.
 */
import type { KernelSpec } from '../chains.js';
import { experimentWords } from '../../src/seed.js';
import { setState } from '../xoshiro.js';
import { loadCorpus, type Corpus } from './ngram-corpus.js';
import type { ChunkOutput } from './gaussian.js';

/** The n-gram family's metrics, in the order the kernel writes them. */
export const NGRAM_METRICS = ['vocabulary', 'ngrams', 'entropy', 'giniSimpson', 'rareKept', 'perplexity'] as const;

/** The n-gram parameters of a spec. */
export interface NgramParams {
  corpus: string;
  order: number;
  tokens: number;
  smoothing: number;
}

export function ngramParams(spec: Pick<KernelSpec, 'modelParams'>): NgramParams {
  const p = spec.modelParams;
  return { corpus: String(p['corpus']), order: Number(p['order']), tokens: Number(p['tokens']), smoothing: Number(p['smoothing']) };
}

/** Synthetic (or fresh) token counts per later generation, by regime. */
export function generatedTokens(spec: Pick<KernelSpec, 'regime' | 'fresh' | 'synthetic' | 'modelParams'>): number {
  const N = ngramParams(spec).tokens;
  if (spec.regime === 'augment') return Math.round(spec.synthetic * N);
  if (spec.regime === 'fresh') return N - Math.round(spec.fresh * N);
  return N;
}

/** An int32 array at least n long (reusing `a` where it is). */
function grow(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  return a.length >= n ? (a as Int32Array<ArrayBuffer>) : new Int32Array(Math.max(n, Math.ceil(a.length * 1.5)));
}

/** The xoshiro128** state of an experiment, with exact uniform integers. */
export class Stream {
  readonly st = new Int32Array(4);
  seed(w: readonly number[]): void {
    setState(this.st, w[0]!, w[1]!, w[2]!, w[3]!);
  }
  u32(): number {
    const st = this.st;
    const s0 = st[0]! | 0;
    const s1 = st[1]! | 0;
    let s2 = st[2]! | 0;
    let s3 = st[3]! | 0;
    const x = Math.imul(s1, 5);
    const r = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    st[1] = s1 ^ s2;
    st[0] = s0 ^ s3;
    st[2] = s2 ^ t;
    st[3] = (s3 << 11) | (s3 >>> 21);
    return r;
  }
  /** A uniform integer in [0, c), 1 ≤ c < 2^32, exactly. */
  below(c: number): number {
    if (c <= 2097152) {
      let u = this.u32();
      let lo = Math.imul(u, c) >>> 0;
      if (lo < c) {
        const t = (4294967296 - c) % c;
        while (lo < t) {
          u = this.u32();
          lo = Math.imul(u, c) >>> 0;
        }
      }
      return Math.floor((u * c) / 4294967296);
    }
    const bits = 32 - Math.clz32(c - 1);
    for (;;) {
      const r = this.u32() >>> (32 - bits);
      if (r < c) return r;
    }
  }
  /** A uniform double in [0, 1) from 53 bits. */
  unit(): number {
    const hi = this.u32() >>> 5;
    const lo = this.u32() >>> 6;
    return (hi * 67108864 + lo) * 1.1102230246251565e-16;
  }
}

/*
 * The hot loops, one per order, as plain functions of typed arrays (each stays monomorphic). Each
 * inlines xoshiro128** on locals and draws j uniform in [0, c) by Lemire's multiply-shift with
 * rejection (c ≤ 2^21, so u·c < 2^53 is exact in a double) or by masked rejection (c > 2^21).
 */

/** Order 1: n independent draws of a token of the fitted text. */
function walkUnigram(tok: Int32Array, c: number, st: Int32Array, out: Int32Array, at: number, end: number): void {
  let s0 = st[0]! | 0;
  let s1 = st[1]! | 0;
  let s2 = st[2]! | 0;
  let s3 = st[3]! | 0;
  const small = c <= 2097152;
  const thr = small ? (4294967296 - c) % c : 0;
  const shift = Math.clz32(c - 1);
  for (let i = at; i < end; i++) {
    let j: number;
    for (;;) {
      const x = Math.imul(s1, 5);
      const u = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      if (small) {
        if (Math.imul(u, c) >>> 0 < thr) continue;
        j = Math.floor((u * c) / 4294967296);
        break;
      }
      j = u >>> shift;
      if (j < c) break;
    }
    out[i] = tok[j]!;
  }
  st[0] = s0;
  st[1] = s1;
  st[2] = s2;
  st[3] = s3;
}

/** Order 2: the state is the previous token, so the token drawn is the next state. */
function walkBigram(tok: Int32Array, first: Int32Array, count: Int32Array, st: Int32Array, out: Int32Array, at: number, end: number): void {
  let s0 = st[0]! | 0;
  let s1 = st[1]! | 0;
  let s2 = st[2]! | 0;
  let s3 = st[3]! | 0;
  let s = 0;
  for (let i = at; i < end; i++) {
    const c = count[s]!;
    let j: number;
    for (;;) {
      const x = Math.imul(s1, 5);
      const u = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      if (c <= 2097152) {
        const lo = Math.imul(u, c) >>> 0;
        if (lo < c && lo < (4294967296 - c) % c) continue;
        j = Math.floor((u * c) / 4294967296);
        break;
      }
      j = u >>> Math.clz32(c - 1);
      if (j < c) break;
    }
    s = tok[first[s]! + j]!;
    out[i] = s;
  }
  st[0] = s0;
  st[1] = s1;
  st[2] = s2;
  st[3] = s3;
}

/** Order 3: each occurrence records the state its token leads to. */
function walkStates(tok: Int32Array, nxt: Int32Array, first: Int32Array, count: Int32Array, st: Int32Array, out: Int32Array, at: number, end: number): void {
  let s0 = st[0]! | 0;
  let s1 = st[1]! | 0;
  let s2 = st[2]! | 0;
  let s3 = st[3]! | 0;
  let s = 0;
  for (let i = at; i < end; i++) {
    const c = count[s]!;
    let j: number;
    for (;;) {
      const x = Math.imul(s1, 5);
      const u = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      if (c <= 2097152) {
        const lo = Math.imul(u, c) >>> 0;
        if (lo < c && lo < (4294967296 - c) % c) continue;
        j = Math.floor((u * c) / 4294967296);
        break;
      }
      j = u >>> Math.clz32(c - 1);
      if (j < c) break;
    }
    j += first[s]!;
    out[i] = tok[j]!;
    s = nxt[j]!;
  }
  st[0] = s0;
  st[1] = s1;
  st[2] = s2;
  st[3] = s3;
}

/** One fitted k-gram model and the scratch to build it. */
export class Model {
  readonly k: number;
  readonly vTrain: number;
  /** Occurrence lists, state by state: the token that followed, and the state it leads to (k = 3; `tok` at k = 2). */
  tok = new Int32Array(0);
  nxt = new Int32Array(0);
  /** First occurrence and number of occurrences of each state. */
  first = new Int32Array(0);
  count = new Int32Array(0);
  states = 0;
  /** The fitted text: `len` tokens, `closures` of them added by the fit. */
  data = new Int32Array(0);
  len = 0;
  closures = 0;
  private ctx = new Int32Array(0);
  private fill = new Int32Array(0);
  /** k = 3: open-addressing table of contexts (a, b) → state. */
  private hA = new Int32Array(0);
  private hB = new Int32Array(0);
  private hS = new Int32Array(0);
  private mask = -1;

  constructor(k: number, vTrain: number) {
    this.k = k;
    this.vTrain = vTrain;
  }

  /** Starts a fitted text of at most `cap` tokens. */
  begin(cap: number): Int32Array {
    this.data = grow(this.data, cap);
    this.len = 0;
    this.closures = 0;
    return this.data;
  }

  /** Appends tokens. */
  push(src: Int32Array, from: number, to: number): void {
    this.data.set(src.subarray(from, to), this.len);
    this.len += to - from;
  }

  /** Closes the text's last segment with `</s>` where it does not end in one (k ≥ 2). */
  close(): void {
    if (this.k >= 2 && this.len > 0 && this.data[this.len - 1] !== 0) {
      this.data[this.len++] = 0;
      this.closures++;
    }
  }

  private hashSlot(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h & this.mask;
  }

  /** Doubles the context table (kept at most half full). */
  private rehash(): void {
    const { hA, hB, hS } = this;
    const cap = 2 * (this.mask + 1);
    this.hA = new Int32Array(cap).fill(-1);
    this.hB = new Int32Array(cap);
    this.hS = new Int32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < hA.length; i++) {
      const a = hA[i]!;
      if (a === -1) continue;
      let j = this.hashSlot(a, hB[i]!);
      while (this.hA[j] !== -1) j = (j + 1) & this.mask;
      this.hA[j] = a;
      this.hB[j] = hB[i]!;
      this.hS[j] = hS[i]!;
    }
  }

  /** The state of context (a, b) at k = 3, adding it when `add`; −1 where absent. */
  lookup(a: number, b: number, add: boolean): number {
    let i = this.hashSlot(a, b);
    const hA = this.hA;
    for (;;) {
      const ka = hA[i]!;
      if (ka === -1) {
        if (!add) return -1;
        hA[i] = a;
        this.hB[i] = b;
        const s = this.states++;
        this.hS[i] = s;
        if (2 * this.states > this.mask) this.rehash();
        return s;
      }
      if (ka === a && this.hB[i] === b) return this.hS[i]!;
      i = (i + 1) & this.mask;
    }
  }

  /** Fits the MLE to data[0, len). */
  fit(): void {
    const M = this.len;
    const d = this.data;
    const k = this.k;
    this.tok = grow(this.tok, M);
    const tok = this.tok;
    if (k === 1) {
      tok.set(d.subarray(0, M));
      this.states = 1;
      this.first = grow(this.first, 1);
      this.count = grow(this.count, 1);
      this.first[0] = 0;
      this.count[0] = M;
      this.nxt = grow(this.nxt, 0);
      return;
    }
    if (k === 3) this.ctx = grow(this.ctx, M + 1);
    const ctx = this.ctx;
    let S: number;
    if (k === 2) {
      S = this.vTrain;
    } else {
      // the table keeps its size from the last fit (the number of contexts changes slowly)
      if (this.mask < 0) {
        this.hA = new Int32Array(1024);
        this.hB = new Int32Array(1024);
        this.hS = new Int32Array(1024);
        this.mask = 1023;
      }
      this.hA.fill(-1);
      this.states = 0;
      ctx[0] = this.lookup(0, 0, true);
      for (let i = 1; i <= M; i++) {
        const b = d[i - 1]!;
        const a = b === 0 || i < 2 ? 0 : d[i - 2]!;
        ctx[i] = this.lookup(a, b, true);
      }
      S = this.states;
    }
    this.states = S;
    this.first = grow(this.first, S);
    this.count = grow(this.count, S);
    this.fill = grow(this.fill, S);
    const first = this.first;
    const count = this.count;
    const fill = this.fill;
    count.fill(0, 0, S);
    if (k === 2) {
      // the state of position i is the token before it (the start state 0 at i = 0)
      count[0]!++;
      for (let i = 0; i < M - 1; i++) count[d[i]!]!++;
    } else {
      for (let i = 0; i < M; i++) count[ctx[i]!]!++;
    }
    let acc = 0;
    for (let s = 0; s < S; s++) {
      first[s] = acc;
      fill[s] = acc;
      acc += count[s]!;
    }
    if (k === 2) {
      let prev = 0;
      for (let i = 0; i < M; i++) {
        const w = d[i]!;
        tok[fill[prev]!++] = w;
        prev = w;
      }
      this.nxt = tok;
    } else {
      this.nxt = grow(this.nxt === tok ? new Int32Array(0) : this.nxt, M);
      const nxt = this.nxt;
      for (let i = 0; i < M; i++) {
        const j = fill[ctx[i]!]!++;
        tok[j] = d[i]!;
        // the last token is `</s>` (closed), whose successor is the start state 0 = ctx[M] … or, if
        // the text ends elsewhere, ctx[M] (a state with no occurrences is never reached: closed)
        nxt[j] = ctx[i + 1]!;
      }
    }
  }

  /**
   * Generates n tokens sentence by sentence into out[at, at + n) from the start state, and returns
   * the index after them. Smoothing α > 0 takes the slow path.
   */
  generate(rng: Stream, out: Int32Array, at: number, n: number, alpha: number): number {
    if (alpha > 0) return this.generateSmoothed(rng, out, at, n, alpha);
    if (this.k === 1) walkUnigram(this.tok, this.count[0]!, rng.st, out, at, at + n);
    else if (this.k === 2) walkBigram(this.tok, this.first, this.count, rng.st, out, at, at + n);
    else walkStates(this.tok, this.nxt, this.first, this.count, rng.st, out, at, at + n);
    return at + n;
  }

  /** Generation under add-α smoothing: contexts unseen by the fit draw uniformly over V. */
  private generateSmoothed(rng: Stream, out: Int32Array, at: number, n: number, alpha: number): number {
    const V = this.vTrain;
    const aV = alpha * V;
    const k = this.k;
    let a = 0;
    let b = 0;
    let s = 0;
    const end = at + n;
    for (let i = at; i < end; i++) {
      const c = s >= 0 ? this.count[s]! : 0;
      let w: number;
      const x = rng.unit() * (c + aV);
      if (x < c) {
        const j = this.first[s]! + Math.floor(x);
        w = this.tok[j]!;
      } else {
        w = rng.below(V);
      }
      out[i] = w;
      if (k === 1) continue;
      if (w === 0) {
        a = 0;
        b = 0;
      } else {
        a = b;
        b = w;
      }
      if (k === 2) s = this.count[b]! > 0 ? b : -1;
      else s = this.lookup(a, b, false);
    }
    return end;
  }

  /** Each state's context as pairs [a, b] (a = 0 below order 3; both 0 at order 1), for tests and tables. */
  contexts(): Int32Array {
    const out = new Int32Array(2 * this.states);
    if (this.k === 2) for (let s = 0; s < this.states; s++) out[2 * s + 1] = s;
    if (this.k === 3) {
      for (let i = 0; i <= this.mask; i++) {
        const a = this.hA[i]!;
        if (a === -1) continue;
        const s = this.hS[i]!;
        out[2 * s] = a;
        out[2 * s + 1] = this.hB[i]!;
      }
    }
    return out;
  }

  /** The state of a held-out context (a, b) (a is ignored below k = 3), or −1 where the fit never saw it. */
  stateOf(a: number, b: number): number {
    if (this.k === 1) return 0;
    if (b >= this.vTrain || a >= this.vTrain) return -1;
    if (this.k === 2) return this.count[b]! > 0 ? b : -1;
    return this.lookup(a, b, false);
  }
}

/** Held-out positions grouped by their context (a, b), built once per corpus and order. */
interface HeldGroups {
  a: Int32Array;
  b: Int32Array;
  /** Group g's tokens are tokens[start[g], start[g + 1]). */
  start: Int32Array;
  tokens: Int32Array;
}

const heldCache = new Map<string, HeldGroups>();

function heldGroups(corpus: Corpus, k: number): HeldGroups {
  const key = `${k}\u0000${corpus.key}`;
  const hit = heldCache.get(key);
  if (hit !== undefined) return hit;
  const h = corpus.held;
  const V = corpus.vBook;
  const byCtx = new Map<number, number[]>();
  for (let i = 0; i < h.length; i++) {
    const b = k === 1 || i === 0 ? 0 : h[i - 1]!;
    const a = k < 3 || b === 0 || i < 2 ? 0 : h[i - 2]!;
    const id = a * V + b;
    let list = byCtx.get(id);
    if (list === undefined) byCtx.set(id, (list = []));
    list.push(h[i]!);
  }
  const ids = [...byCtx.keys()].sort((x, y) => x - y);
  const g: HeldGroups = { a: new Int32Array(ids.length), b: new Int32Array(ids.length), start: new Int32Array(ids.length + 1), tokens: new Int32Array(h.length) };
  let t = 0;
  ids.forEach((id, i) => {
    g.a[i] = Math.floor(id / V);
    g.b[i] = id % V;
    g.start[i] = t;
    for (const w of byCtx.get(id)!) g.tokens[t++] = w;
  });
  g.start[ids.length] = t;
  heldCache.set(key, g);
  return g;
}

/** Scratch for the metrics. */
class Meter {
  uni: Int32Array;
  tally: Int32Array;
  mark: Int32Array;
  constructor(readonly corpus: Corpus, readonly k: number) {
    this.uni = new Int32Array(corpus.vTrain);
    this.tally = new Int32Array(corpus.vTrain);
    this.mark = new Int32Array(corpus.vTrain).fill(-1);
  }

  /** Unigram counts of the fitted text without its closures (into `uni`); returns the token count. */
  unigrams(m: Model): number {
    const uni = this.uni;
    uni.fill(0);
    const d = m.data;
    for (let i = 0; i < m.len; i++) uni[d[i]!]!++;
    uni[0]! -= m.closures;
    return m.len - m.closures;
  }

  /** Writes the metrics of fit `m` into out[metric·plane + at]. */
  record(m: Model, out: Float64Array, plane: number, at: number): void {
    const c = this.corpus;
    const N = this.unigrams(m);
    const uni = this.uni;
    let vocab = 0;
    let ent = 0;
    let sq = 0;
    for (let w = 0; w < c.vTrain; w++) {
      const n = uni[w]!;
      if (n === 0) continue;
      if (w > 0) vocab++;
      const p = n / N;
      ent -= p * Math.log2(p);
      sq += n * n;
    }
    let kept = 0;
    for (let i = 0; i < c.rare.length; i++) if (uni[c.rare[i]!]! > 0) kept++;
    // distinct k-grams: distinct tokens within each state's occurrences
    const mark = this.mark;
    mark.fill(-1);
    let grams = 0;
    for (let s = 0; s < m.states; s++) {
      const f = m.first[s]!;
      const e = f + m.count[s]!;
      for (let j = f; j < e; j++) {
        const w = m.tok[j]!;
        if (mark[w] !== s) {
          mark[w] = s;
          grams++;
        }
      }
    }
    out[at] = vocab;
    out[plane + at] = grams;
    out[2 * plane + at] = ent;
    out[3 * plane + at] = 1 - sq / (N * N);
    out[4 * plane + at] = c.rare.length > 0 ? kept / c.rare.length : NaN;
    out[5 * plane + at] = this.perplexity(m);
  }

  /** Held-out perplexity under add-one smoothing over the book's vBook types. */
  perplexity(m: Model): number {
    const c = this.corpus;
    const g = heldGroups(c, this.k);
    const Vp = c.vBook;
    const tally = this.tally;
    let lp = 0;
    const G = g.start.length - 1;
    for (let i = 0; i < G; i++) {
      const from = g.start[i]!;
      const to = g.start[i + 1]!;
      const s = m.stateOf(g.a[i]!, g.b[i]!);
      if (s < 0) {
        lp += (to - from) * Math.log(1 / Vp);
        continue;
      }
      const f = m.first[s]!;
      const n = m.count[s]!;
      for (let j = f; j < f + n; j++) tally[m.tok[j]!]!++;
      const lnDen = Math.log(n + Vp);
      for (let t = from; t < to; t++) {
        const w = g.tokens[t]!;
        lp += Math.log((w < c.vTrain ? tally[w]! : 0) + 1) - lnDen;
      }
      for (let j = f; j < f + n; j++) tally[m.tok[j]!] = 0;
    }
    const H = g.tokens.length;
    return H > 0 ? Math.exp(-lp / H) : NaN;
  }
}

/** What an observer of one experiment sees at each recorded generation (artifacts). */
export interface RecordHook {
  (generation: number, model: Model, meter: Meter, generated: { data: Int32Array; from: number; to: number } | null): void;
}

/** Per-thread state of the kernel, kept across chunks of the same spec. */
interface Work {
  key: string;
  corpus: Corpus;
  model: Model;
  meter: Meter;
  buf: Int32Array;
}

let work: Work | null = null;

function workFor(spec: KernelSpec): Work {
  const p = ngramParams(spec);
  const key = `${p.order}\u0000${p.corpus}`;
  if (work !== null && work.key === key) return work;
  const corpus = loadCorpus(p.corpus);
  work = { key, corpus, model: new Model(p.order, corpus.vTrain), meter: new Meter(corpus, p.order), buf: new Int32Array(0) };
  return work;
}

const rng = new Stream();

/** The next recorded generation after `g` (the last is always recorded). */
function nextRecord(g: number, every: number, T: number): number {
  return g + every < T ? g + every : T;
}

/**
 * Runs one experiment: generation 1 fits the training text; each later one builds its text by the
 * regime and refits. Calls `record(g)` at every recorded generation.
 */
export function runExperiment(spec: KernelSpec, experiment: number, w: Work, record: (g: number, generated: { data: Int32Array; from: number; to: number } | null) => void): void {
  const p = ngramParams(spec);
  const { corpus, model } = w;
  const T = spec.generations;
  rng.seed(experimentWords(spec.seed, experiment));
  const train = corpus.train;
  const nGen = generatedTokens(spec);
  const nFresh = spec.regime === 'fresh' ? p.tokens - nGen : 0;
  model.begin(train.length);
  model.push(train, 0, train.length);
  model.fit();
  let next = nextRecord(0, spec.every, T);
  if (next === 1) {
    record(1, null);
    next = nextRecord(1, spec.every, T);
  }
  for (let g = 2; g <= T; g++) {
    let genFrom = 0;
    let genTo = 0;
    if (spec.regime === 'accumulate') {
      // the pool stays in the model's data; the generated corpus goes after it
      const need = model.len + nGen + 1;
      if (model.data.length < need) {
        const grown = new Int32Array(Math.max(need, Math.ceil(model.data.length * 1.5)));
        grown.set(model.data.subarray(0, model.len));
        model.data = grown;
      }
      // the model's occurrence lists are separate arrays, so generating into data is safe
      w.buf = grow(w.buf, nGen);
      model.generate(rng, w.buf, 0, nGen, p.smoothing);
      genFrom = model.len;
      model.push(w.buf, 0, nGen);
      genTo = model.len;
      model.close();
    } else {
      w.buf = grow(w.buf, nGen + nFresh + 1);
      const buf = w.buf;
      model.generate(rng, buf, 0, nGen, p.smoothing);
      let fresh = 0;
      if (nFresh > 0) {
        // fresh original data: whole training sentences drawn uniformly with replacement, the last cut
        const S = corpus.sentenceStarts.length - 1;
        fresh = nGen;
        while (fresh < nGen + nFresh) {
          const s = rng.below(S);
          const a = corpus.sentenceStarts[s]!;
          const b = Math.min(corpus.sentenceStarts[s + 1]!, a + nGen + nFresh - fresh);
          buf.set(train.subarray(a, b), fresh);
          fresh += b - a;
        }
      }
      const base = spec.regime === 'augment' ? train.length + 1 : 0;
      model.begin(base + nGen + nFresh + 2);
      if (spec.regime === 'augment') {
        model.push(train, 0, train.length);
      }
      genFrom = model.len;
      model.push(buf, 0, nGen);
      genTo = model.len;
      model.close();
      if (nFresh > 0) {
        model.push(buf, nGen, nGen + nFresh);
        model.close();
      }
    }
    model.fit();
    if (g === next) {
      record(g, { data: model.data, from: genFrom, to: genTo });
      next = nextRecord(g, spec.every, T);
    }
  }
}

/** Runs experiments [start, start + count) into `out` (metrics only; no scalar sd summary). */
export function runNgram(spec: KernelSpec, start: number, count: number, rows: number, out: ChunkOutput): boolean {
  out.lnSd.fill(NaN);
  out.mean.fill(NaN);
  const w = workFor(spec);
  const plane = rows * count;
  for (let e = 0; e < count; e++) {
    let row = 0;
    runExperiment(spec, start + e, w, () => {
      w.meter.record(w.model, out.metrics, plane, row * count + e);
      row++;
    });
  }
  return false;
}

/**
 * Experiment 0 observed at each recorded generation (for artifacts): the first `sentences`
 * sentences of the text the fit was trained on (the book's at generation 1, the generated corpus
 * after) and the `top` most frequent words with their counts.
 */
export function traceFirstExperiment(
  spec: KernelSpec,
  sentences: number,
  top: number,
): { generation: number; sample: string[]; top: { word: string; count: number; share: number }[] }[] {
  const w = workFor(spec);
  const words = w.corpus.words;
  const rows: { generation: number; sample: string[]; top: { word: string; count: number; share: number }[] }[] = [];
  runExperiment(spec, 0, w, (g, gen) => {
    const data = gen === null ? w.corpus.train : gen.data;
    const from = gen === null ? 0 : gen.from;
    const to = gen === null ? w.corpus.train.length : gen.to;
    const sample: string[] = [];
    let cur: string[] = [];
    for (let i = from; i < to && sample.length < sentences; i++) {
      const t = data[i]!;
      if (t === 0) {
        sample.push(cur.join(' ') + ' .');
        cur = [];
      } else cur.push(words[t]!);
    }
    if (sample.length < sentences && cur.length > 0) sample.push(cur.join(' ') + ' …');
    const N = w.meter.unigrams(w.model);
    const ids: number[] = [];
    for (let t = 1; t < w.corpus.vTrain; t++) if (w.meter.uni[t]! > 0) ids.push(t);
    ids.sort((x, y) => w.meter.uni[y]! - w.meter.uni[x]! || x - y);
    rows.push({
      generation: g,
      sample,
      top: ids.slice(0, top).map((t) => ({ word: words[t]!, count: w.meter.uni[t]!, share: w.meter.uni[t]! / N })),
    });
  });
  return rows;
}
