/**
 * The n-gram family (docs/theory.md §16): the tokeniser against a hand-derived expectation, the
 * held-out split, the MLE k-gram counts and generation 1's metrics against an independent Python
 * implementation (test/fixtures/ngram_peer.py), the sampler (exactly N tokens, only fitted k-grams,
 * its transition law by chi-square, add-α smoothing), byte-identical results across workers and
 * shards at every order and regime, the order-1 law E[G_g] = G_1 (1 − 1/N)^(g − 1) by z-score,
 * and bad input refused with exit 2.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { outcomeFromChunks, runChunkResults, runSpec, type RunOutcome } from '../src/engine.js';
import { executeRun } from '../src/execute.js';
import { planChunks } from '../src/plan.js';
import { resolveRunSpec, type RawRunFlags, type RunSpec } from '../src/spec.js';
import { allRows, finalsCsv, trajectoryCsv } from '../src/summary.js';
import { loadCorpus, tokenize, corpusFromText } from '../workers/families/ngram-corpus.js';
import { Model, Stream } from '../workers/families/ngram.js';
import { chiSquareZ, Z_BOUND } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'ngram-small.txt');
const PEER = path.join(ROOT, 'test', 'fixtures', 'ngram_peer.py');
const PYTHON = process.env['PYTHON'] ?? 'python3';

function spec(flags: Record<string, string>): RunSpec {
  return resolveRunSpec({ model: 'ngram', corpus: FIXTURE, seed: '3', ...flags } as RawRunFlags);
}

/** The fixture's canonical corpus key. */
function fixtureKey(): string {
  return String(spec({}).modelParams['corpus']);
}

/** A model of order k fitted to the fixture's training text. */
function fitted(k: number): { model: Model; words: readonly string[]; vTrain: number } {
  const c = loadCorpus(fixtureKey());
  const m = new Model(k, c.vTrain);
  m.begin(c.train.length);
  m.push(c.train, 0, c.train.length);
  m.fit();
  return { model: m, words: c.words, vTrain: c.vTrain };
}

/** The fitted k-gram counts as "ctx words|word" → count, read off the occurrence lists. */
function engineCounts(m: Model, words: readonly string[]): Map<string, number> {
  const ctx = m.contexts();
  const out = new Map<string, number>();
  for (let s = 0; s < m.states; s++) {
    const a = words[ctx[2 * s]!]!;
    const b = words[ctx[2 * s + 1]!]!;
    const c = m.k === 1 ? '' : m.k === 2 ? b : `${a} ${b}`;
    for (let j = m.first[s]!; j < m.first[s]! + m.count[s]!; j++) {
      const key = `${c}|${words[m.tok[j]!]!}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

interface Peer {
  counts: Record<string, number>;
  vocabulary: number;
  ngrams: number;
  entropy: number;
  giniSimpson: number;
  rareKept: number;
  perplexity: number;
  top: [string, number][];
  tokens: number;
}

function peer(file: string, k: number): Peer {
  const r = spawnSync(PYTHON, [PEER, file, String(k)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`peer failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Peer;
}

describe('tokeniser and held-out split', () => {
  it('splits a fixed text as derived by hand', () => {
    const text = "Call me Ishmael. It’s the WHALE-BONE!\n\nA heading\n  \nNo end? Yes... 3 whales' tails;  Ünïcode ÉTÉ.\nlast line";
    expect(tokenize(text)).toEqual([
      ['call', 'me', 'ishmael'],
      ["it's", 'the', 'whale', 'bone'],
      ['a', 'heading'],
      ['no', 'end'],
      ['yes'],
      ['3', 'whales', 'tails', 'ünïcode', 'été'],
      ['last', 'line'],
    ]);
    // a lone newline does not end a sentence; an end with no word before it is dropped
    expect(tokenize('one\ntwo.\n\n. . !')).toEqual([['one', 'two']]);
  });

  it('holds out every 10th sentence (index ≡ 9 mod 10); ids: </s> = 0, training words first', () => {
    const text = Array.from({ length: 25 }, (_, i) => `w${i} common.`).join(' ');
    const c = corpusFromText('t', text);
    // sentences 9 and 19 held out: 23 training sentences of 3 tokens, 2 held-out ones
    expect(c.train.length).toBe(23 * 3);
    expect(c.held.length).toBe(2 * 3);
    expect([...c.held].map((t) => c.words[t])).toEqual(['w9', 'common', '</s>', 'w19', 'common', '</s>']);
    expect(c.vTrain).toBe(1 + 23 + 1);
    expect(c.vBook).toBe(c.vTrain + 2);
    expect(c.sentenceStarts.length).toBe(24);
    expect(c.trainCounts[c.words.indexOf('common')]).toBe(23);
    expect(c.rare.length).toBe(23);
  });
});

describe('the MLE fit and generation 1 against the Python peer', () => {
  for (const k of [1, 2, 3]) {
    it(`order ${k}: k-gram counts and every generation-1 metric`, async () => {
      const p = peer(FIXTURE, k);
      const { model, words } = fitted(k);
      const mine = engineCounts(model, words);
      expect(Object.fromEntries([...mine].sort())).toEqual(Object.fromEntries(Object.entries(p.counts).sort()));
      const out = await runSpec(spec({ order: String(k), generations: '2', every: '1', experiments: '2' }), 1);
      const row = allRows(out)[0]!;
      expect(row.generation).toBe(1);
      const st = (m: string) => row.metrics.stats[m]!.mean;
      expect(st('vocabulary')).toBe(p.vocabulary);
      expect(st('ngrams')).toBe(p.ngrams);
      expect(st('rareKept')).toBe(p.rareKept);
      for (const m of ['entropy', 'giniSimpson', 'perplexity'] as const) {
        expect(Math.abs(st(m) / p[m] - 1), m).toBeLessThan(1e-12);
      }
    });
  }

  it('top-words.csv at generation 1 is the peer\'s ten most frequent words', async () => {
    const p = peer(FIXTURE, 2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngram-top-'));
    await executeRun(spec({ generations: '3', experiments: '2' }), 1, path.join(dir, 'r'));
    const lines = fs.readFileSync(path.join(dir, 'r', 'top-words.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('generation,rank,word,count,share');
    const g1 = lines.slice(1).filter((l) => l.startsWith('1,')).map((l) => l.split(','));
    expect(g1.map((f) => [f[2], Number(f[3])])).toEqual(p.top);
    expect(fs.readFileSync(path.join(dir, 'r', 'samples.txt'), 'utf8')).toContain('## generation 1\ncall me ishmael .\n');
    fs.rmSync(dir, { recursive: true });
  });
});

describe('the sampler', () => {
  for (const k of [1, 2, 3]) {
    it(`order ${k}: exactly N tokens, only fitted k-grams, and (order 3) each occurrence leads to its context`, () => {
      const { model, words } = fitted(k);
      const counts = engineCounts(model, words);
      const rng = new Stream();
      rng.seed([k, 2, 3, 4]);
      for (const N of [1, 7, 1000]) {
        const buf = new Int32Array(N + 5).fill(-7);
        expect(model.generate(rng, buf, 2, N, 0)).toBe(N + 2);
        expect([buf[0], buf[1], buf[N + 2], buf[N + 3]]).toEqual([-7, -7, -7, -7]);
        let a = 0;
        let b = 0;
        for (let i = 2; i < N + 2; i++) {
          const w = buf[i]!;
          const ctx = k === 1 ? '' : k === 2 ? words[b]! : `${words[a]!} ${words[b]!}`;
          expect(counts.has(`${ctx}|${words[w]!}`), `${ctx}|${words[w]!}`).toBe(true);
          if (w === 0) a = b = 0;
          else [a, b] = [b, w];
        }
      }
      if (k === 3) {
        const ctx = model.contexts();
        for (let s = 0; s < model.states; s++) {
          for (let j = model.first[s]!; j < model.first[s]! + model.count[s]!; j++) {
            const w = model.tok[j]!;
            const t = model.nxt[j]!;
            const want = w === 0 ? [0, 0] : [ctx[2 * s + 1]!, w];
            expect([ctx[2 * t]!, ctx[2 * t + 1]!]).toEqual(want);
          }
        }
      }
    });
  }

  for (const k of [2, 3]) {
    it(`order ${k}: the next word after each of the 3 most frequent contexts follows the MLE (chi-square, by Wilson–Hilferty z)`, () => {
      const { model } = fitted(k);
      const ctx = model.contexts();
      const rng = new Stream();
      rng.seed([9, 9, 9, k]);
      const N = 400_000;
      const buf = new Int32Array(N);
      model.generate(rng, buf, 0, N, 0);
      const states = Array.from({ length: model.states }, (_, s) => s).sort((x, y) => model.count[y]! - model.count[x]! || x - y).slice(0, 3);
      for (const s of states) {
        const exp = new Map<number, number>();
        for (let j = model.first[s]!; j < model.first[s]! + model.count[s]!; j++) exp.set(model.tok[j]!, (exp.get(model.tok[j]!) ?? 0) + 1);
        const obs = new Map<number, number>();
        let n = 0;
        let a = 0;
        let b = 0;
        for (let i = 0; i < N; i++) {
          const w = buf[i]!;
          if (b === ctx[2 * s + 1] && (k === 2 || a === ctx[2 * s])) {
            obs.set(w, (obs.get(w) ?? 0) + 1);
            n++;
          }
          if (w === 0) a = b = 0;
          else [a, b] = [b, w];
        }
        let chi = 0;
        for (const [w, c] of exp) {
          const e = (n * c) / model.count[s]!;
          chi += ((obs.get(w) ?? 0) - e) ** 2 / e;
        }
        expect(exp.size).toBeGreaterThan(1);
        expect(n).toBeGreaterThan(1000);
        expect([...obs.keys()].every((w) => exp.has(w))).toBe(true);
        expect(Math.abs(chiSquareZ(chi, exp.size - 1)), `state ${s}`).toBeLessThan(Z_BOUND);
      }
    });
  }

  it('contexts with more than 2^21 occurrences (masked rejection) at orders 1, 2 and 3: the MLE by chi-square', () => {
    // sentences "w </s>" with w = 1 for the first 30% and w = 2 after: the start context (its
    // S = 2.2M occurrences: the text's start and after every </s> but the last) is followed by 1
    // with probability exactly 0.3
    const S = 2_200_000;
    const cut = Math.round(0.3 * S);
    for (const k of [1, 2, 3]) {
      const m = new Model(k, 3);
      const d = m.begin(2 * S + 1);
      for (let i = 0; i < S; i++) {
        d[2 * i] = i < cut ? 1 : 2;
        d[2 * i + 1] = 0;
      }
      m.len = 2 * S;
      m.fit();
      expect(m.count[0]!).toBeGreaterThan(2 ** 21);
      const rng = new Stream();
      rng.seed([k, 7, 7, 7]);
      const N = 200_000;
      const buf = new Int32Array(N);
      m.generate(rng, buf, 0, N, 0);
      const obs = [0, 0, 0];
      for (let i = 0; i < N; i++) obs[buf[i]!]!++;
      // order 1: tokens are 0 half the time; orders 2 and 3 alternate word, </s>
      const p = [0.5, cut / S / 2, (S - cut) / S / 2];
      let chi = 0;
      for (let w = 0; w < 3; w++) chi += (obs[w]! - N * p[w]!) ** 2 / (N * p[w]!);
      if (k > 1) expect(obs[0]).toBe(N / 2);
      expect(Math.abs(chiSquareZ(chi, k === 1 ? 2 : 1)), `order ${k}: ${obs}`).toBeLessThan(Z_BOUND);
    }
  });

  it('add-α smoothing at order 1: tokens follow (c_w + α)/(M + αV) over the training vocabulary (chi-square)', () => {
    const { model, vTrain } = fitted(1);
    const alpha = 0.5;
    const M = model.count[0]!;
    const c = new Float64Array(vTrain);
    for (let j = 0; j < M; j++) c[model.tok[j]!]!++;
    const rng = new Stream();
    rng.seed([5, 6, 7, 8]);
    const N = 300_000;
    const buf = new Int32Array(N);
    model.generate(rng, buf, 0, N, alpha);
    const obs = new Float64Array(vTrain);
    for (let i = 0; i < N; i++) obs[buf[i]!]!++;
    let chi = 0;
    for (let w = 0; w < vTrain; w++) {
      const e = (N * (c[w]! + alpha)) / (M + alpha * vTrain);
      chi += (obs[w]! - e) ** 2 / e;
    }
    expect(Math.abs(chiSquareZ(chi, vTrain - 1))).toBeLessThan(Z_BOUND);
  });
});

describe('reproducibility', () => {
  const text = (o: RunOutcome) => trajectoryCsv(allRows(o)) + finalsCsv(o);
  const cases: Record<string, string>[] = [
    { order: '2', regime: 'replace' },
    { order: '3', regime: 'accumulate' },
    { order: '2', regime: 'augment', synthetic: '0.5' },
    { order: '3', regime: 'fresh', fresh: '0.4', smoothing: '0.1' },
  ];
  for (const c of cases) {
    it(`order ${c.order}, ${c.regime}${c.smoothing ? ', α = ' + c.smoothing : ''}: the same bytes inline, on 2 workers and from 3 shards`, async () => {
      const s = spec({ ...c, tokens: '40', generations: '5', experiments: '70', every: '2' });
      const inline = await runSpec(s, 1, undefined, planChunks(s), 'inline');
      const pool = await runSpec(s, 2, undefined, planChunks(s), 'pool');
      const chunks = planChunks(s);
      expect(chunks.length).toBeGreaterThan(3);
      const cut = [0, 1, Math.floor(chunks.length / 2), chunks.length];
      const parts = [];
      for (let i = 0; i < 3; i++) parts.push(...(await runChunkResults(s, 1, chunks.slice(cut[i]!, cut[i + 1]!), undefined, 'inline')));
      expect(text(pool)).toBe(text(inline));
      expect(text(outcomeFromChunks(s, parts))).toBe(text(inline));
    });
  }

  it('a run writes the same samples.txt and top-words.csv on 1 and 2 workers', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngram-art-'));
    const s = spec({ order: '3', tokens: '60', generations: '6', experiments: '8', every: '2' });
    await executeRun(s, 1, path.join(dir, 'a'));
    await executeRun(s, 2, path.join(dir, 'b'));
    for (const f of ['samples.txt', 'top-words.csv', 'trajectory.csv', 'finals.csv']) {
      expect(fs.readFileSync(path.join(dir, 'b', f), 'utf8'), f).toBe(fs.readFileSync(path.join(dir, 'a', f), 'utf8'));
    }
    expect(fs.readFileSync(path.join(dir, 'a', 'samples.txt'), 'utf8')).toMatch(/## generation 6\n/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('order 1 is the Wright–Fisher chain: E[G_g] = G_1 (1 − 1/N)^(g − 1)', () => {
  for (const [N, T, E] of [
    [20, 15, 1500],
    [200, 40, 600],
  ] as const) {
    it(`N = ${N}, T = ${T}, E = ${E}: giniSimpson by z at every recorded generation`, async () => {
      const s = spec({ order: '1', tokens: String(N), generations: String(T), experiments: String(E), every: '5', seed: String(N) });
      const rows = allRows(await runSpec(s, 2));
      let checked = 0;
      for (const row of rows) {
        const t = row.metrics.theory['giniSimpson'];
        if (t === null || t === undefined) continue;
        checked++;
        expect(Math.abs(row.metrics.z['giniSimpson']!), `g=${row.generation} sim ${row.metrics.stats['giniSimpson']!.mean} theory ${t.mean}`).toBeLessThan(Z_BOUND);
      }
      expect(checked).toBe(rows.length);
    });
  }

  for (const alpha of ['0', '0.5']) {
    it(`generation 2, α = ${alpha}: E[vocabulary] and E[rareKept] = Σ (1 − (1 − p_w)^N) by z`, async () => {
      const s = spec({ order: '1', tokens: '60', generations: '2', every: '1', experiments: '2000', smoothing: alpha, seed: '77' });
      const row = allRows(await runSpec(s, 2))[1]!;
      expect(row.generation).toBe(2);
      for (const m of ['vocabulary', 'rareKept']) {
        expect(row.metrics.theory[m], m).not.toBeNull();
        expect(Math.abs(row.metrics.z[m]!), `${m}: sim ${row.metrics.stats[m]!.mean} theory ${row.metrics.theory[m]!.mean}`).toBeLessThan(Z_BOUND);
      }
    });
  }

  it('the theory is null with a reason at orders 2 and 3, with smoothing, and under accumulate', async () => {
    const cases: Record<string, string>[] = [{ order: '2' }, { order: '3' }, { order: '1', smoothing: '1' }, { order: '1', regime: 'accumulate' }];
    for (const flags of cases) {
      const s = spec({ ...flags, tokens: '20', generations: '3', experiments: '3' });
      const th = (await import('../src/families/ngram.js')).ngram.theory(s, [2, 3]);
      expect(th.rows['giniSimpson']).toEqual([null, null]);
      expect(th.reasons['giniSimpson']).toBeTruthy();
    }
  });
});

describe('bad input: exit 2, one line naming the flag, nothing written', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngram-bad-'));
  const latin1 = path.join(dir, 'latin1.txt');
  fs.writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x0a]));
  const cases: [string[], RegExp][] = [
    [['--corpus', path.join(dir, 'missing.txt')], /--corpus .*no such file/],
    [['--corpus', latin1], /--corpus .*not valid UTF-8/],
    [['--corpus', dir], /--corpus .*not a regular file/],
    [['--corpus', `${FIXTURE}@sha256:${'0'.repeat(64)}`], /--corpus .*has changed/],
    [['--corpus', FIXTURE, '--order', '4'], /--order must be an integer from 1 to 3/],
    [['--corpus', FIXTURE, '--tokens', '0'], /--tokens must be/],
    [['--corpus', FIXTURE, '--smoothing', '-1'], /--smoothing must be a finite number ≥ 0/],
    [['--corpus', FIXTURE, '--regime', 'accumulate-subsample'], /--regime accumulate-subsample/],
    [['--corpus', FIXTURE, '--method', 'stats'], /--method/],
    [['--corpus', FIXTURE, '-n', '50'], /--samples/],
    [['--corpus', FIXTURE, '--temperature', '0.5'], /--temperature/],
    [['--dim', '3'], /--dim .*--model gaussian/],
  ];
  for (const [args, re] of cases) {
    it(args.join(' ').replace(dir, 'DIR').replace(ROOT, '.'), () => {
      const out = path.join(dir, 'never');
      const r = spawnSync(process.execPath, [CLI, 'run', '--model', 'ngram', '-t', '2', '-e', '2', ...args, '-o', out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
      expect(fs.existsSync(out)).toBe(false);
    });
  }

  it('a short file: fewer than 10 sentences leave no held-out part', () => {
    const short = path.join(dir, 'short.txt');
    fs.writeFileSync(short, 'One. Two. Three.');
    expect(() => spec({ corpus: short })).toThrow(/--corpus must be a text of at least 10 sentences/);
  });
});
