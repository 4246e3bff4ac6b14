/**
 * The n-gram family: a word model of order k (1 to 3) trained on a book (Moby-Dick, the State of
 * the Union addresses, or any UTF-8 text file), which generates a corpus of N tokens sentence by
 * sentence, is refitted to it, and so on — the tails (rare words) vanish one by one. Its kernel is
 * workers/families/ngram.ts, its corpora workers/families/ngram-corpus.ts; docs/theory.md §16.
 *
 * The corpus in the spec: a built-in corpus is its name (its text is that of the installed npm
 * data set, whose version package-lock.json pins); a file is recorded as `ABSOLUTE_PATH@sha256:HEX`,
 * the SHA-256 of its bytes, so a result says what it was trained on, and a spec (a reproduce line,
 * a shard, a merge) whose file has changed since is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { conflictingFlags, invalidFlag } from '../errors.js';
import { DEFAULTS, parseIntegerFlag, parseNumberFlag } from '../spec.js';
import type { RegimeTheory } from '../theory.js';
import type { RunSpec } from '../spec.js';
import type { BaseSpec, Family, FamilyTheory, MetricDef, ModelParam } from './types.js';
import { NGRAM_METRICS, traceFirstExperiment } from '../../workers/families/ngram.js';
import { BUILTIN_CORPORA, FILE_SUFFIX, HELD_OUT_EVERY, loadCorpus, readUtf8, type Corpus } from '../../workers/families/ngram-corpus.js';

/** The most tokens per generated corpus (Int32 buffers, a few per worker). */
export const MAX_TOKENS = 100_000_000;

/** Column, label, LaTeX form, and whether a log axis suits it (counts and perplexity; shares and entropies stay linear). */
const LABELS: Record<(typeof NGRAM_METRICS)[number], [string, string, string, boolean]> = {
  vocabulary: ['vocabulary', 'distinct words', '|V|', true],
  ngrams: ['ngrams', 'distinct k-grams', '\\#\\,k\\text{-grams}', true],
  entropy: ['entropy', 'unigram entropy (bits)', 'H_1', false],
  giniSimpson: ['gini_simpson', '1 − Σ p² of the unigrams', '1 - \\sum p^2', false],
  rareKept: ['rare_kept', "share of the book's rare words (≤ 5) still present", '\\text{rare kept}', false],
  perplexity: ['perplexity', 'held-out perplexity (add-one)', '\\mathrm{PP}', true],
};

const METRICS: readonly MetricDef[] = NGRAM_METRICS.map((name) => ({
  name,
  column: LABELS[name][0],
  label: LABELS[name][1],
  tex: LABELS[name][2],
  positive: LABELS[name][3],
}));

function params(spec: Pick<RunSpec, 'modelParams'>): { corpus: string; order: number; tokens: number; smoothing: number } {
  const p = spec.modelParams;
  return { corpus: String(p['corpus']), order: Number(p['order']), tokens: Number(p['tokens']), smoothing: Number(p['smoothing']) };
}

const CORPUS_RULE = `${BUILTIN_CORPORA.join(', ')} or a readable UTF-8 text file`;

/** The canonical --corpus value, checked: a built-in name, or `abs@sha256:hex` of a readable UTF-8 file. */
export function canonicalCorpus(raw: unknown): string {
  if (Array.isArray(raw)) throw invalidFlag('corpus', 'given once', raw);
  const text = typeof raw === 'string' ? raw.trim() : String(raw);
  if ((BUILTIN_CORPORA as readonly string[]).includes(text)) return text;
  if (text === '') throw invalidFlag('corpus', CORPUS_RULE, raw);
  const m = FILE_SUFFIX.exec(text);
  const file = path.resolve(m === null ? text : m[1]!);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw invalidFlag('corpus', `${CORPUS_RULE} (no such file)`, raw);
  }
  if (!st.isFile()) throw invalidFlag('corpus', `${CORPUS_RULE} (not a regular file)`, raw);
  let hash: string;
  try {
    hash = readUtf8(file).hash;
  } catch (err) {
    const why = err instanceof TypeError ? 'not valid UTF-8' : 'unreadable';
    throw invalidFlag('corpus', `${CORPUS_RULE} (${why})`, raw);
  }
  if (m !== null && m[2] !== hash) {
    throw invalidFlag('corpus', `a file whose SHA-256 is the one recorded (the file has changed: its SHA-256 is now ${hash})`, raw);
  }
  return `${file}@sha256:${hash}`;
}

/** Whether a spec's fits follow the plain replace chain (fresh with round(λN) = 0 is replace). */
function plainReplace(spec: RunSpec): boolean {
  const { tokens } = params(spec);
  return spec.regime === 'replace' || (spec.regime === 'fresh' && Math.round(spec.fresh * tokens) === 0);
}

/** 1 − Σ p² of the training text's unigram frequencies (`</s>` included), exactly in doubles. */
export function trainingGiniSimpson(c: Corpus): number {
  let sq = 0;
  for (let w = 0; w < c.vTrain; w++) sq += c.trainCounts[w]! * c.trainCounts[w]!;
  const M = c.train.length;
  return 1 - sq / (M * M);
}

export const ngram: Family = {
  name: 'ngram',
  flags: [
    {
      name: 'corpus',
      kind: 'word',
      default: 'moby-dick',
      describe: `the book the word model is trained on: ${BUILTIN_CORPORA.join(', ')} (npm data sets), or a UTF-8 text file (recorded with its SHA-256) [default:\u00a0moby-dick]`,
    },
    { name: 'order', kind: 'integer', default: 2, describe: 'order k of the word model (k-grams), 1 to 3 [default:\u00a02]' },
    {
      name: 'tokens',
      kind: 'integer',
      default: 0,
      describe: `tokens N generated per generation, 1 to ${MAX_TOKENS} [default:\u00a0the training text's token count]`,
    },
    {
      name: 'smoothing',
      kind: 'real',
      default: 0,
      describe: 'add-α smoothing of every fit, α ≥ 0 [default:\u00a00, maximum likelihood]',
    },
  ],
  metrics: METRICS,
  resolveParams(raw: Record<string, unknown>, spec: BaseSpec): Record<string, ModelParam> {
    const corpus = raw['corpus'] === undefined ? 'moby-dick' : canonicalCorpus(raw['corpus']);
    const order = raw['order'] === undefined ? 2 : parseIntegerFlag('order', raw['order'], 1, 3);
    let smoothing = 0;
    if (raw['smoothing'] !== undefined) {
      smoothing = parseNumberFlag('smoothing', raw['smoothing']);
      if (smoothing < 0) throw invalidFlag('smoothing', 'a finite number ≥ 0', raw['smoothing']);
    }
    // the generic flags that mean nothing to a word model are refused rather than ignored
    const refuse = (flag: string, why: string) => conflictingFlags(`--${flag} ${why} with --model ngram`);
    if (spec.samples !== DEFAULTS.samples) throw refuse('samples', `must stay at its default ${DEFAULTS.samples} (the corpus size is --tokens)`);
    if (spec.method !== 'resample') throw refuse('method', 'must be resample (a word model has no exact sufficient-statistic step)');
    if (spec.rng !== 'fast') throw refuse('rng', 'must be fast (the word model draws from xoshiro128** only)');
    if (spec.temperature !== 1) throw refuse('temperature', 'must be 1 (no tempered sampling of the word model)');
    if (spec.ddof !== 0 || spec.mean0 !== DEFAULTS.mean0 || spec.sd0 !== DEFAULTS.sd0) {
      throw refuse('ddof, --mean0 and --sd0', 'must stay at their defaults (they describe the Gaussian)');
    }
    if (spec.regime === 'accumulate-subsample') {
      throw refuse('regime accumulate-subsample', 'is not available (use replace, accumulate, fresh or augment)');
    }
    let c: Corpus;
    try {
      c = loadCorpus(corpus);
    } catch (err) {
      throw invalidFlag('corpus', `${CORPUS_RULE} (${(err as Error).message})`, raw['corpus']);
    }
    if (c.sentenceStarts.length - 1 < HELD_OUT_EVERY - 1 || c.held.length === 0) {
      throw invalidFlag('corpus', `a text of at least ${HELD_OUT_EVERY} sentences (every ${HELD_OUT_EVERY}th is held out)`, raw['corpus']);
    }
    const tokens = raw['tokens'] === undefined ? Math.min(c.train.length, MAX_TOKENS) : parseIntegerFlag('tokens', raw['tokens'], 1, MAX_TOKENS);
    return { corpus, order, tokens, smoothing };
  },
  theory(spec: RunSpec, gens: readonly number[]): FamilyTheory {
    const p = params(spec);
    const rows: FamilyTheory['rows'] = {};
    for (const m of NGRAM_METRICS) rows[m] = gens.map(() => null);
    const reasons: Record<string, string> = {
      vocabulary: 'no closed form for the expected vocabulary of the refitted word model',
      ngrams: 'no closed form for the expected number of distinct k-grams',
      entropy: 'no closed form for the expected unigram entropy',
      rareKept: "no closed form for the expected share of the book's rare words kept",
      perplexity: 'no closed form for the expected held-out perplexity',
    };
    if (p.order === 1 && plainReplace(spec)) {
      // generation 2 is one multinomial draw of N tokens from the fit of the book: each word is
      // present with probability 1 − (1 − p_w)^N (docs/theory.md §16); later generations have no
      // closed form here
      const c = loadCorpus(p.corpus);
      const M = c.train.length;
      const V = c.vTrain;
      const rare = new Uint8Array(V);
      for (let i = 0; i < c.rare.length; i++) rare[c.rare[i]!] = 1;
      let vocab = 0;
      let kept = 0;
      for (let w = 1; w < V; w++) {
        const pw = (c.trainCounts[w]! + p.smoothing) / (M + p.smoothing * V);
        const q = -Math.expm1(p.tokens * Math.log1p(-pw));
        vocab += q;
        if (rare[w] === 1) kept += q;
      }
      const at2 = (m: number) => gens.map((g) => (g === 2 ? { mean: m, sd: null } : null));
      rows['vocabulary'] = at2(vocab);
      if (c.rare.length > 0) rows['rareKept'] = at2(kept / c.rare.length);
      const later = 'exact at generation 2 only (one multinomial draw from the book); later generations have no closed form here';
      reasons['vocabulary'] = later;
      reasons['rareKept'] = later;
    }
    if (p.order !== 1) reasons['giniSimpson'] = `the exact law holds at order 1 (the categorical chain); at order ${p.order} a sentence's words are not independent draws`;
    else if (p.smoothing !== 0) reasons['giniSimpson'] = 'the exact law holds without smoothing';
    else if (!plainReplace(spec)) reasons['giniSimpson'] = `the exact law holds under replace; none is known under --regime ${spec.regime}`;
    else {
      // order 1 is the Wright–Fisher chain on the training text's unigram frequencies:
      // E[G_g] = G_1 (1 − 1/N)^(g − 1), G_1 that of the text itself (docs/theory.md §16)
      const g1 = trainingGiniSimpson(loadCorpus(p.corpus));
      const lnDecay = Math.log1p(-1 / p.tokens);
      rows['giniSimpson'] = gens.map((g) => (g === 1 ? null : { mean: g1 * Math.exp((g - 1) * lnDecay), sd: null }));
    }
    return { rows, reasons };
  },
  hasSdSummary(): boolean {
    return false;
  },
  sdSummaryAbsent(spec: RunSpec): string {
    return `--model ngram is a word model of order ${params(spec).order}, not a Gaussian`;
  },
  sdTheory(): RegimeTheory {
    throw new Error('internal: --model ngram has no scalar sd summary');
  },
  undefinedReason(metric: string): string | null {
    if (metric === 'rareKept') return 'the training text has no word that occurs at most 5 times';
    return null;
  },
  workerBytes(spec: RunSpec): number {
    const p = params(spec);
    const c = loadCorpus(p.corpus);
    const M = c.train.length;
    let text = Math.max(M, p.tokens) + 2;
    if (spec.regime === 'accumulate') text = M + (spec.generations - 1) * (p.tokens + 1);
    if (spec.regime === 'augment') text = M + Math.round(spec.synthetic * p.tokens) + 2;
    // the text, its contexts, the occurrence lists (token, next state), the generation buffer, the per-state tables
    return 4 * (5 * text + p.tokens) + 4 * 4 * c.vBook + (p.order === 3 ? 12 * 4 * text : 0);
  },
  stepCost(spec: Pick<RunSpec, 'method' | 'modelParams'>): number {
    // a generation draws, fits and measures N tokens, about 3 scalar draws' work per token, against n = 1000
    return Math.max(1, (3 * params(spec).tokens) / DEFAULTS.samples);
  },
  artifacts(spec: RunSpec): Record<string, string> {
    const rows = traceFirstExperiment(spec, 3, 10);
    let samples = `# Experiment 0 of ${spec.experiments}: the first 3 sentences of the text each recorded generation fits\n`;
    samples += `# (generation 1: the book's training text; later: the corpus the previous model generated)\n`;
    let top = 'generation,rank,word,count,share\n';
    for (const r of rows) {
      samples += `\n## generation ${r.generation}\n`;
      for (const s of r.sample) samples += `${s}\n`;
      // words are letters, digits and apostrophes (the tokeniser's): no CSV quoting needed
      r.top.forEach((t, i) => {
        top += `${r.generation},${i + 1},${t.word},${t.count},${t.share}\n`;
      });
    }
    return { 'samples.txt': samples, 'top-words.csv': top };
  },
};
