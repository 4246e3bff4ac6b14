/**
 * A seeded property-based fuzzer for the command line: command lines generated from every command's
 * flags (read from its --help) with values from the edges of each flag's rule, each spawned in a
 * fresh directory and held to the contract: it ends within a bound, exits 0 or 2 (2 exactly when
 * the line is a usage mistake), says why in one line without a stack, and leaves nothing behind.
 *
 * Replay: COLLAPSE_FUZZ_SEED, COLLAPSE_FUZZ_RUNS, COLLAPSE_FUZZ_LANES and COLLAPSE_FUZZ_PATH (a
 * failure prints the values to use); COLLAPSE_FUZZ_BOUND_MS sets the wall-clock bound per case.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-fuzz-'));
const FIXTURES = path.join(TMP, 'fixtures');
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

const env = process.env;
const SEED = env['COLLAPSE_FUZZ_SEED'] !== undefined ? Number(env['COLLAPSE_FUZZ_SEED']) : 20261201;
/** About 0.5 to 1 s a case on an idle 2-core machine with two lanes: 60 cases keep the file near half a minute. */
const RUNS = env['COLLAPSE_FUZZ_RUNS'] !== undefined ? Number(env['COLLAPSE_FUZZ_RUNS']) : 60;
const LANES = env['COLLAPSE_FUZZ_LANES'] !== undefined ? Number(env['COLLAPSE_FUZZ_LANES']) : 2;
const REPLAY_PATH = env['COLLAPSE_FUZZ_PATH'];
/** A campaign: COLLAPSE_FUZZ_COLLECT=FILE records every failing line there (JSON lines) instead of stopping at the first. */
const COLLECT = env['COLLAPSE_FUZZ_COLLECT'];
/** COLLAPSE_FUZZ_DRY=1 prints the generated lines and their expected outcome without running them. */
const DRY = env['COLLAPSE_FUZZ_DRY'] === '1';
/**
 * A valid generated case is a run of at most 40 × 40 × 40 draws (or a Vega plot, about 3 s); the
 * slowest of 400 cases took 13 s on 2 cores at a load average of 13, so 60 s means a hang.
 */
const BOUND_MS = env['COLLAPSE_FUZZ_BOUND_MS'] !== undefined ? Number(env['COLLAPSE_FUZZ_BOUND_MS']) : 60_000;

// ---------------------------------------------------------------------------------------------
// The grammar as the CLI states it: commands and their flags, read from --help.

interface HelpFlag {
  name: string;
  alias: string | null;
  type: 'string' | 'boolean' | 'array' | 'number';
}

function help(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args, '--help'], { encoding: 'utf8', env: { ...env, COLUMNS: '100', COLLAPSE_HELP_TYPES: '1' } });
  if (r.status !== 0) throw new Error(`collapse ${args.join(' ')} --help exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The lines of one section ("Options:", "Positionals:", "Commands:") of a --help text. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(title);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** yargs prints every flag as `  -a, --name  text … [type]`, the type possibly on a continuation line. */
export function helpFlags(cmd: string): HelpFlag[] {
  const out: HelpFlag[] = [];
  for (const line of section(help([cmd]), 'Options:')) {
    // a flag's own line: two spaces, then `-a, ` or four more spaces (a wrapped description is indented deeper)
    const m = /^ {2}(?:-(\w), | {4})?--([\w-]+)\s/.exec(line);
    if (m) out.push({ name: m[2]!, alias: m[1] ?? null, type: 'string' });
    const t = /\[(string|boolean|array|number)\]/.exec(line);
    if (t && out.length > 0) out[out.length - 1]!.type = t[1] as HelpFlag['type'];
  }
  return out;
}

function helpPositionals(cmd: string): string[] {
  return section(help([cmd]), 'Positionals:')
    .map((l) => /^ {2}(\w+)\s/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}

function helpCommands(): string[] {
  return section(help([]), 'Commands:')
    .map((l) => /^\s+collapse (\w+)/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}

/** Flags every command has, handled apart: --help and --version print and exit 0, --verbose allows a stack. */
const GLOBAL_FLAGS = ['help', 'verbose', 'version'];
/** Flags a command accepts but --help does not list. */
const HIDDEN_FLAGS: Record<string, string[]> = { slurm: ['workers'] };

// ---------------------------------------------------------------------------------------------
// Values: each carries whether a command line holding it is a usage mistake.

/** ok: valid; bad: a usage mistake (exit 2); either: exit 0 or 2 are both right. */
type Cls = 'ok' | 'bad' | 'either';
interface Val {
  text: string;
  cls: Cls;
  /** A path fixture's name, for the disk checks and the known failures. */
  key?: string;
}
const RANK: Record<Cls, number> = { ok: 0, either: 1, bad: 2 };
const worst = (a: Cls, b: Cls): Cls => (RANK[a] >= RANK[b] ? a : b);
const v = (text: string, cls: Cls, key?: string): Val => (key === undefined ? { text, cls } : { text, cls, key });
const pool = (vals: Val[]): fc.Arbitrary<Val> => fc.constantFrom(...vals);

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Texts no number rule accepts: empty, NaN, infinities, hex, other scripts' digits, words, overflow. */
const NOT_NUMBERS = ['', ' ', 'NaN', 'Infinity', '-Infinity', '0x10', '1e400', '١٢', '１２', '12abc', '1_000', '🙂', 'ten', '1 2', '1/2', '--', '5\u200b', '1'.repeat(400), 'null', '[]'];

/**
 * An integer flag in [min, max]. `cheap` caps the valid values of a flag that sets the amount of
 * work (samples, generations, experiments, workers): a valid run must finish in a moment.
 */
function intRule(min: number, max = MAX_SAFE, cheap = max): fc.Arbitrary<Val> {
  const okText = (x: number) => x >= min && x <= max;
  const edges: Val[] = [
    ...NOT_NUMBERS.map((t) => v(t, 'bad')),
    v(String(min - 1), 'bad'),
    v(`${min}.5`, 'bad'),
    v('1.5', 'bad'),
    v('9007199254740992', 'bad'),
    v('9007199254740993', 'bad'),
    v('1e300', 'bad'),
    v(String(min), 'ok'),
    v(`+${min}`, 'ok'),
    v(` ${min} `, 'ok'),
    v(`${min}e0`, 'ok'),
  ];
  if (max < MAX_SAFE) edges.push(v(String(max + 1), 'bad'));
  if (cheap === MAX_SAFE) edges.push(v('9007199254740991', 'ok'), v('1e15', 'ok'), v('1.5e3', 'ok'));
  const gen = fc.integer({ min: min - 3, max: cheap }).map((x) => v(String(x), okText(x) ? 'ok' : 'bad'));
  return fc.oneof(pool(edges), gen);
}

/** A finite real flag: in [lo, hi], or > lo where `open`. */
function realRule(lo = -Infinity, hi = Infinity, open = false): fc.Arbitrary<Val> {
  const okNum = (x: number) => Number.isFinite(x) && (open ? x > lo : x >= lo) && x <= hi;
  const texts = ['1', '0.5', '.5', '5.', '+1', '1e-3', '1E2', ' 2 ', '1e308', '5e-324', '-0', '0', '-1', '1e309', '0x1', '1,5', '1..2'];
  const edges: Val[] = [
    ...NOT_NUMBERS.map((t) => v(t, 'bad')),
    ...texts.map((t) => v(t, /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(t) && okNum(Number(t)) ? 'ok' : 'bad')),
  ];
  const gen = fc.double().map((x) => v(String(x), okNum(x) ? 'ok' : 'bad'));
  const near = fc.double({ min: Math.max(lo, -10), max: Math.min(hi, 10), noNaN: true }).map((x) => v(String(x), okNum(x) ? 'ok' : 'bad'));
  return fc.oneof(pool(edges), gen, near);
}

function choiceRule(words: string[], extra: Val[] = []): fc.Arbitrary<Val> {
  return pool([
    ...words.map((w) => v(w, 'ok')),
    v(` ${words[0]} `, 'ok'),
    v('', 'bad'),
    v(words[0]!.toUpperCase(), 'bad'),
    v(`${words[0]},${words[1] ?? words[0]}`, 'bad'),
    v('🙂', 'bad'),
    v('none', 'bad'),
    ...extra,
  ]);
}

/** A value of a flag whose rule this table does not know yet: fuzzed all the same, without an expectation. */
const anyText = pool(['', ' ', '0', '-1', '1.5', 'NaN', 'x', '🙂', '1e400', '/proc/x/y', 'a,b', '..'].map((t) => v(t, 'either')));

/**
 * Paths, relative to each case's fresh directory, which holds the fixtures below. The classes
 * say what each is for a result directory (--out), a file to write (--write) and an input.
 */
interface PathEdge {
  text: string;
  out: Cls;
  write: Cls;
  input: Cls;
}
const PATHS: Record<string, PathEdge> = {
  new: { text: 'out', out: 'ok', write: 'ok', input: 'bad' },
  nested: { text: 'a/b/c', out: 'ok', write: 'ok', input: 'bad' },
  unicode: { text: 'résumé 日本/🙂', out: 'ok', write: 'ok', input: 'bad' },
  empty: { text: 'empty', out: 'ok', write: 'bad', input: 'bad' },
  full: { text: 'full', out: 'bad', write: 'bad', input: 'bad' },
  file: { text: 'file.txt', out: 'bad', write: 'ok', input: 'bad' },
  fileParent: { text: 'file.txt/x', out: 'bad', write: 'bad', input: 'bad' },
  proc: { text: '/proc/x/y', out: 'bad', write: 'bad', input: 'bad' },
  devNull: { text: '/dev/null/x', out: 'bad', write: 'bad', input: 'bad' },
  blank: { text: '', out: 'bad', write: 'bad', input: 'bad' },
  space: { text: ' ', out: 'bad', write: 'bad', input: 'bad' },
  dot: { text: '.', out: 'bad', write: 'bad', input: 'bad' },
  newline: { text: 'a\nb', out: 'ok', write: 'ok', input: 'bad' },
  tooLong: { text: 'x'.repeat(300), out: 'bad', write: 'bad', input: 'bad' },
  nearLimit: { text: 'y'.repeat(250), out: 'either', write: 'either', input: 'bad' },
  tooLongParent: { text: `${'x'.repeat(300)}/y`, out: 'bad', write: 'bad', input: 'bad' },
  runResult: { text: 'run-result', out: 'ok', write: 'bad', input: 'ok' },
  sweepResult: { text: 'sweep-result', out: 'bad', write: 'bad', input: 'ok' },
  part0: { text: 'part-0', out: 'bad', write: 'bad', input: 'either' },
  part1: { text: 'part-1', out: 'bad', write: 'bad', input: 'either' },
  sweepPart0: { text: 'sweep-part-0', out: 'bad', write: 'bad', input: 'either' },
  sweepPart1: { text: 'sweep-part-1', out: 'bad', write: 'bad', input: 'either' },
};
const pathRule = (role: 'out' | 'write' | 'input', override: Record<string, Cls> = {}) =>
  pool(Object.entries(PATHS).map(([key, p]) => v(p.text, override[key] ?? p[role], key)));

const slurmTime = pool(
  [['01:00:00', 'ok'], ['10', 'ok'], ['1-00:00:00', 'ok'], ['5:30', 'ok'], ['', 'bad'], ['1h', 'bad'], ['-1', 'bad'], ['NaN', 'bad'], ['１０', 'bad'], ['01:60:00', 'either']].map(
    ([t, c]) => v(t!, c as Cls),
  ),
);
const slurmMem = pool([['4G', 'ok'], ['4000M', 'ok'], ['100', 'ok'], ['', 'bad'], ['4GB', 'bad'], ['-4G', 'bad'], ['4.5G', 'bad'], ['NaN', 'bad'], ['🙂', 'bad']].map(([t, c]) => v(t!, c as Cls)));
const slurmName = pool([['gpu', 'ok'], ['a.b-c_d', 'ok'], ['', 'bad'], ['a b', 'bad'], ['gpü', 'bad'], ['$(rm -rf ~)', 'bad'], [';', 'bad']].map(([t, c]) => v(t!, c as Cls)));
/** A directory or command on the cluster: any text but an empty one. */
const clusterText = pool([['parts', 'ok'], ['/scratch/x y', 'ok'], ['日本', 'ok'], ["it's", 'ok'], ['', 'bad'], [' ', 'bad']].map(([t, c]) => v(t!, c as Cls)));
const shardRule = pool(
  [['0/2', 'ok'], ['1/2', 'ok'], ['0/1', 'ok'], ['3/4', 'ok'], ['2/2', 'bad'], ['1/0', 'bad'], ['auto', 'bad'], ['auto/3', 'bad'], ['', 'bad'], ['-1/2', 'bad'], ['0.5/2', 'bad'], ['1/2/3', 'bad'], ['NaN/2', 'bad'], ['0/9007199254740993', 'bad']].map(
    ([t, c]) => v(t!, c as Cls),
  ),
);

/** Run flags whose values set the amount of work, capped for the commands that simulate. */
function specRules(simulates: boolean): Record<string, fc.Arbitrary<Val>> {
  const cap = simulates ? 40 : MAX_SAFE;
  return {
    samples: intRule(2, MAX_SAFE, cap),
    generations: intRule(1, MAX_SAFE, cap),
    experiments: intRule(1, MAX_SAFE, cap),
    ddof: intRule(0, 1),
    mean0: realRule(),
    sd0: realRule(0, Infinity, true),
    seed: intRule(0),
    every: intRule(1),
    rng: choiceRule(['fast', 'x256', 'stdlib']),
    regime: choiceRule(['replace', 'accumulate', 'fresh', 'accumulate-subsample', 'augment']),
    fresh: realRule(0, 1),
    // λ ≥ 0 with n + round(λn) ≤ 2^53 − 1; valid values stay small so that a run stays tiny
    synthetic: pool([v('0', 'ok'), v('0.5', 'ok'), v('1', 'ok'), v('4', 'ok'), v('.25', 'ok'), v('-1', 'bad'), v('-0.5', 'bad'), v('', 'bad'), v('NaN', 'bad'), v('Infinity', 'bad'), v('1e309', 'bad'), v('1e300', 'bad'), v('x', 'bad')]),
    temperature: realRule(0, Infinity, true),
    method: choiceRule(['resample', 'stats']),
    epsilon: realRule(0, Infinity, true),
    workers: intRule(1, 1024, 2),
    model: choiceRule(['gaussian', 'categorical', 'kde', 'gmm']),
    dim: intRule(1, 1000, simulates ? 4 : 1000),
    categories: intRule(2, 10_000_000, simulates ? 50 : 10_000_000),
    dist: pool([v('uniform', 'ok'), v('zipf:1.1', 'ok'), v('zipf:.5', 'ok'), v(' zipf:2 ', 'ok'), v('zipf:1e300', 'ok'), v('zipf:0', 'bad'), v('zipf:-1', 'bad'), v('zipf:', 'bad'), v('Zipf:1', 'bad'), v('zipf:1e309', 'bad'), v('poisson', 'bad'), v('', 'bad')]),
    smoothing: realRule(0, 1e290),
    'top-k': intRule(0, 10_000_000, simulates ? 50 : 10_000_000),
    'top-p': realRule(0, 1, true),
    // the n-gram family's flags: the lines here run --model gaussian, categorical, kde or gmm only, so each is
    // a flag of another family and refused, whatever its value
    corpus: pool([v('moby-dick', 'bad'), v('sotu', 'bad'), v('file.txt', 'bad'), v('', 'bad'), v('🙂', 'bad')]),
    order: intRule(1, 3).map((x) => v(x.text, 'bad')),
    tokens: intRule(1, 1e8, 40).map((x) => v(x.text, 'bad')),
    // likewise the regression's own flags (--model linreg is not among the fuzzed models)
    noise: realRule(0).map((x) => v(x.text, 'bad')),
    ridge: realRule(0).map((x) => v(x.text, 'bad')),
    data: choiceRule(['moons', 'blobs', 'circles', 'swiss-roll', 'gaussian']),
    bandwidth: pool([v('scott', 'ok'), v('silverman', 'ok'), v('0.1', 'ok'), v('1e-3', 'ok'), v(' 2 ', 'ok'), v('0', 'bad'), v('-0.1', 'bad'), v('Scott', 'bad'), v('', 'bad'), v('NaN', 'bad'), v('1e999', 'bad'), v('x', 'bad')]),
    components: intRule(1, 50, simulates ? 2 : 50),
    components0: intRule(1, 50, simulates ? 3 : 50),
  };
}

/** How a sweep (and theory's --generations) reads a flag: a comma list of values and ranges. */
type AxisKind = 'integer' | 'real' | 'word';
const AXIS_KIND: Record<string, AxisKind> = {
  samples: 'integer', generations: 'integer', experiments: 'integer', ddof: 'integer', seed: 'integer', every: 'integer',
  mean0: 'real', sd0: 'real', fresh: 'real', synthetic: 'real', temperature: 'real', epsilon: 'real', rng: 'word', regime: 'word', method: 'word',
  model: 'word', dim: 'integer', categories: 'integer', dist: 'word', smoothing: 'real', 'top-k': 'integer', 'top-p': 'real', corpus: 'word', order: 'integer', tokens: 'integer', data: 'word', bandwidth: 'word', components: 'integer', components0: 'integer', noise: 'real', ridge: 'real',
};

/** Each model family's own flags: a flag of a family that is not every listed model's is refused. */
const FAMILY_FLAGS: Record<string, string[]> = {
  gaussian: ['dim'],
  categorical: ['categories', 'dist', 'smoothing', 'top-k', 'top-p'],
  kde: ['data', 'bandwidth'],
  gmm: ['components', 'components0'],
};

function sameValue(a: string, b: string): boolean {
  const x = a.trim();
  const y = b.trim();
  return x === y || (x !== '' && y !== '' && Number(x) === Number(y));
}

/** Lists and ranges built from a flag's single values; a list with the same value twice is a mistake. */
function axisRule(kind: AxisKind, base: fc.Arbitrary<Val>): fc.Arbitrary<Val> {
  // a single value with list or range syntax in it is read as a list or range: no expectation
  const single = base.map((x) => (/,|\.\./.test(x.text) ? v(x.text, 'either') : x));
  const list = fc.tuple(single, single).map(([a, b]) => {
    const cls = a.cls === 'ok' && b.cls === 'ok' && sameValue(a.text, b.text) ? 'bad' : worst(a.cls, b.cls);
    return v(`${a.text},${b.text}`, cls);
  });
  if (kind === 'word') return fc.oneof({ weight: 4, arbitrary: single }, { weight: 1, arbitrary: list });
  const pair = fc.tuple(single, fc.integer({ min: 1, max: 2 }));
  const range =
    kind === 'integer'
      ? pair.chain(([a, d]) => {
          const n = Number(a.text);
          const b = Number.isSafeInteger(n) ? String(n + d) : 'x';
          const ok = a.cls === 'ok' && Number.isSafeInteger(n) ? 'ok' : 'either';
          return fc.constantFrom(
            v(`${a.text}..${b}`, ok),
            v(`${a.text}..${b}:${d}`, ok),
            v(`${a.text}..${b}:lin:2`, ok),
            v(`${b}..${a.text}`, Number.isSafeInteger(n) ? 'bad' : 'either'),
            v(`${a.text}..${b}:0`, 'bad'),
            v(`${a.text}..${b}:log:1`, 'bad'),
            v(`${a.text}..${b}:cube:2`, 'bad'),
            v(`${a.text}..${b}..${b}`, 'bad'),
            v('1..20000', 'bad'),
            v('..', 'bad'),
            v(`${a.text}..`, 'bad'),
          );
        })
      : pair.chain(([a, d]) => {
          const n = Number(a.text);
          const b = Number.isFinite(n) ? String(n + d) : 'x';
          const ok = a.cls === 'ok' && Number.isFinite(n) ? 'either' : 'bad';
          return fc.constantFrom(v(`${a.text}..${b}:lin:2`, ok), v(`${a.text}..${b}:log:3`, ok), v(`${a.text}..${b}`, 'bad'), v(`${a.text}..${b}:1`, 'bad'));
        });
  return fc.oneof({ weight: 6, arbitrary: single }, { weight: 1, arbitrary: list }, { weight: 1, arbitrary: range });
}

// ---------------------------------------------------------------------------------------------
// Per command: each flag's rule (kept in step with --help by the first test below), positionals,
// the flags added when absent to keep a valid run tiny, and what a success may write.

interface CommandGrammar {
  flags: Record<string, fc.Arbitrary<Val>>;
  positionals: Record<string, fc.Arbitrary<Val[]>>;
  /** Added when the flag is not on the generated line: a valid case must finish in a moment. */
  tiny: Record<string, string[]>;
  /** Relative weight of this command among the cases (plot costs about 3 s a case). */
  weight: number;
}

const progressRule = choiceRule(['auto', 'bar', 'lines', 'none']);
const runSpec = specRules(true);
const sweepSpec = Object.fromEntries(Object.entries(runSpec).map(([k, a]) => [k, k in AXIS_KIND ? axisRule(AXIS_KIND[k]!, a) : a]));
/** A boolean flag's forms are made in occurrence(); its entry here only says the flag is known. */
const bool = fc.constant(v('true', 'ok'));
const TINY_RUN = { samples: ['-n', '8'], generations: ['-t', '4'], experiments: ['-e', '3'], workers: ['-w', '1'], plot: ['--no-plot'] };
const theorySpec = specRules(false);

const GRAMMAR: Record<string, CommandGrammar> = {
  run: {
    flags: { ...runSpec, out: pathRule('out'), json: bool, plot: bool, shard: shardRule, force: bool, progress: progressRule },
    positionals: {},
    tiny: TINY_RUN,
    weight: 6,
  },
  sweep: {
    flags: {
      ...sweepSpec,
      replicates: intRule(1, 10_000, 2),
      out: pathRule('out', { runResult: 'either', sweepResult: 'either', part0: 'either', sweepPart0: 'either', part1: 'either', sweepPart1: 'either' }),
      json: bool,
      plot: bool,
      shard: shardRule,
      progress: progressRule,
    },
    positionals: {},
    tiny: TINY_RUN,
    weight: 5,
  },
  table: {
    flags: { format: choiceRule(['latex', 'markdown', 'csv']), digits: intRule(1, 17) },
    positionals: { dir: pathRule('input').map((x) => [x]) },
    tiny: {},
    weight: 3,
  },
  theory: {
    flags: {
      samples: theorySpec['samples']!,
      generations: axisRule('integer', theorySpec['generations']!),
      ddof: theorySpec['ddof']!,
      sd0: theorySpec['sd0']!,
      temperature: theorySpec['temperature']!,
      regime: theorySpec['regime']!,
      fresh: theorySpec['fresh']!,
      synthetic: theorySpec['synthetic']!,
      epsilon: theorySpec['epsilon']!,
      json: bool,
    },
    positionals: {},
    tiny: {},
    weight: 4,
  },
  plot: {
    // The PNG is width × scale pixels wide and plot refuses more than 6000 (--scale 16 at the default
    // width took 72 s and 600 MB at load 18); valid values here stay at most 2000 × 3.
    flags: {
      format: pool([v('svg', 'ok'), v('png', 'ok'), v('svg,png', 'ok'), v(' SVG , png ', 'ok'), v('', 'bad'), v('pdf', 'ok'), v('svg,pdf', 'ok'), v('svg,', 'bad'), v(',', 'bad')]),
      width: pool([v('150', 'ok'), v('500', 'ok'), v('2000', 'ok'), v('500.5', 'ok'), v('149', 'bad'), v('10001', 'bad'), v('-500', 'bad'), v('NaN', 'bad'), v('', 'bad'), v('1e3', 'either')]),
      scale: pool([v('0.25', 'ok'), v('1', 'ok'), v('3', 'ok'), v('16', 'either'), v('.5', 'ok'), v('0.24', 'bad'), v('17', 'bad'), v('0', 'bad'), v('-1', 'bad'), v('NaN', 'bad'), v('', 'bad')]),
      'x-axis': pool([v('samples', 'either'), v('generations', 'either'), v('nope', 'either'), v('', 'either')]),
    },
    positionals: { dir: pathRule('input').map((x) => [x]) },
    tiny: {},
    weight: 1,
  },
  merge: {
    flags: { out: pathRule('out', { runResult: 'either', empty: 'either' }), json: bool, plot: bool, force: bool },
    // classified as a whole in classifyMerge
    positionals: { parts: fc.array(pathRule('input'), { minLength: 0, maxLength: 3 }) },
    tiny: { plot: ['--no-plot'] },
    weight: 3,
  },
  slurm: {
    flags: {
      ...specRules(false),
      shards: intRule(1, 100_000),
      'cpus-per-task': intRule(1, 1024),
      time: slurmTime,
      mem: slurmMem,
      partition: slurmName,
      account: slurmName,
      parts: clusterText,
      out: clusterText,
      collapse: pool([v('collapse', 'ok'), v('node /x/cli.js', 'ok'), v('', 'bad'), v(' ', 'bad'), v('a\nb', 'bad')]),
      chdir: pool([v('.', 'ok'), v('/scratch/x', 'ok'), v('日本', 'ok'), v('', 'either')]),
      wait: bool,
      write: pathRule('write'),
      // each array task runs --cpus-per-task workers: --workers is refused whatever its value
      workers: intRule(1, 1024).map((x) => v(x.text, 'bad')),
      sweep: bool,
      // only with --sweep (specConflicts)
      replicates: intRule(1, 10_000, 2),
      'sbatch-arg': pool([v('--qos=high', 'ok'), v('--constraint=avx2', 'ok'), v('-Jname', 'ok'), v('%4', 'ok'), v('--qos high', 'bad'), v('--array=0-3', 'bad'), v('--time=5', 'bad'), v('%0', 'bad'), v('qos', 'bad'), v('', 'bad'), v('🙂', 'bad')]),
      pending: bool,
    },
    positionals: {},
    tiny: {},
    weight: 4,
  },
};

// ---------------------------------------------------------------------------------------------
// Command lines.

interface Case {
  cmd: string;
  argv: string[];
  expect: Cls;
  /** Flag (or positional) → the value(s) given, for the oracle, the disk checks and the known failures. */
  given: Record<string, Val[]>;
  verbose: boolean;
}

/** One occurrence of a flag on the line, in one of the ways a user writes it. */
interface Occurrence {
  argv: string[];
  val: Val;
}

function occurrence(f: HelpFlag, value: fc.Arbitrary<Val>): fc.Arbitrary<Occurrence> {
  if (f.type === 'boolean') {
    // --plot costs about 3 s (Vega): mostly --no-plot
    if (f.name === 'plot') {
      return fc.oneof(
        { weight: 6, arbitrary: fc.constant<Occurrence>({ argv: ['--no-plot'], val: v('false', 'ok') }) },
        { weight: 1, arbitrary: fc.constantFrom<Occurrence>({ argv: ['--plot'], val: v('true', 'ok') }, { argv: ['--plot=yes'], val: v('yes', 'either') }) },
      );
    }
    return fc.constantFrom<Occurrence>(
      { argv: [`--${f.name}`], val: v('true', 'ok') },
      { argv: [`--no-${f.name}`], val: v('false', 'ok') },
      { argv: [`--${f.name}=false`], val: v('false', 'ok') },
      { argv: [`--${f.name}=true`], val: v('true', 'ok') },
      { argv: [`--${f.name}=yes`], val: v('yes', 'either') },
      { argv: [`--${f.name}=`], val: v('', 'either') },
    );
  }
  return fc.tuple(value, fc.nat(11)).map(([val, form]) => {
    // yargs reads --no-x as x = false and --x.y as an object: neither is a value
    if (form === 10) return { argv: [`--no-${f.name}`], val: v(`--no-${f.name}`, 'bad') };
    if (form === 11) return { argv: [`--${f.name}.x=${val.text}`], val: v(`--${f.name}.x`, 'bad') };
    const name = form < 3 && f.alias !== null ? `-${f.alias}` : `--${f.name}`;
    if (form === 9 && f.alias !== null) return { argv: [`-${f.alias}=${val.text}`], val };
    if (form >= 7) return { argv: [`--${f.name}=${val.text}`], val };
    // a separate value that starts with "-" may be read as a flag: either outcome is fair
    const cls = val.text.startsWith('-') ? worst(val.cls, 'either') : val.cls;
    return { argv: [name, val.text], val: { ...val, cls } };
  });
}

/** The known cross-flag rules of a run spec, for a line whose values are each valid on their own. */
function specConflicts(cmd: string, g: Record<string, Val[]>): Cls {
  const words = (flag: string, dflt: string) => (g[flag] ? g[flag]![0]!.text.split(',').map((s) => s.trim()) : [dflt]);
  const regimes = words('regime', 'replace');
  const methods = words('method', 'resample');
  const fresh = g['fresh'] !== undefined;
  if (fresh && regimes.some((r) => r !== 'fresh')) return 'bad';
  if (!fresh && regimes.includes('fresh')) return 'bad';
  const synthetic = g['synthetic'] !== undefined;
  if (synthetic && regimes.some((r) => r !== 'augment')) return 'bad';
  if (!synthetic && regimes.includes('augment')) return 'bad';
  if (cmd === 'slurm' && g['replicates'] !== undefined && g['sweep']?.[0]?.text !== 'true') return 'bad';
  if (methods.includes('stats') && regimes.includes('accumulate-subsample')) return 'bad';
  const models = words('model', 'gaussian');
  for (const [family, own] of Object.entries(FAMILY_FLAGS)) {
    if (own.some((f) => g[f] !== undefined) && models.some((m) => m !== family)) return 'bad';
  }
  // kde and gmm have no sufficient statistics to draw
  if (methods.includes('stats') && models.some((m) => m === 'kde' || m === 'gmm')) return 'bad';
  if (models.includes('gmm')) {
    // n ≥ 3k: the tiny run's n = 8 fits k ≤ 2; lists and ranges of either are judged loosely
    const nums = (flag: string, dflt: number) => (g[flag] ? (g[flag]![0]!.text.match(/\d+(\.\d+)?(e\d+)?/gi) ?? []).map(Number) : [dflt]);
    const n = nums('samples', cmd === 'run' || cmd === 'sweep' ? 8 : 1000);
    const k = nums('components', 2);
    if (Math.min(...n) < 3 * Math.max(...k)) return /,|\.\./.test(`${g['samples']?.[0]?.text ?? ''}${g['components']?.[0]?.text ?? ''}`) || n.length !== 1 || k.length !== 1 ? 'either' : 'bad';
  }
  if (cmd === 'theory' && (regimes.includes('accumulate') || regimes.includes('fresh')) && g['generations']) {
    // their exact moments come from an O(T) recursion, refused beyond 1e8
    const nums = (g['generations']![0]!.text.match(/[\d.]+(e\d+)?/gi) ?? []).map(Number);
    if (nums.some((x) => x > 1e8)) return 'bad';
  }
  if (cmd === 'sweep') {
    const reps = g['replicates'] ? Number(g['replicates'][0]!.text) : 1;
    if (reps > 1 && g['seed'] && /,|\.\./.test(g['seed'][0]!.text)) return 'either'; // replicate seeds may meet
  }
  if (cmd === 'run' && g['shard'] && g['out']) {
    // a shard writes part.json: a previous part is replaced, a run result is not
    const key = g['out'][0]!.key;
    if (key === 'part0' || key === 'part1') return 'either';
    if (key === 'runResult') return 'bad';
  }
  return 'ok';
}

const CLEAN_PARTS = fc.constantFrom(['part0', 'part1'], ['part1', 'part0'], ['sweepPart0', 'sweepPart1']).map((keys) =>
  keys.map((k) => v(PATHS[k]!.text, 'ok', k)),
);

/** merge: a complete set of run parts, or of sweep parts with --out, each once. */
function classifyMerge(g: Record<string, Val[]>): Cls {
  const parts = (g['parts'] ?? []).map((p) => p.key!);
  const set = new Set(parts);
  if (set.size !== parts.length) return 'bad';
  const run = set.size === 2 && set.has('part0') && set.has('part1');
  const sweep = set.size === 2 && set.has('sweepPart0') && set.has('sweepPart1');
  if (run) return 'ok';
  if (sweep) return g['out'] ? 'either' : 'bad';
  return 'bad';
}

/** Whether a rule draws a value that is not a usage mistake on its own (200 draws, fixed seed). */
function canBeClean(rule: fc.Arbitrary<Val>): boolean {
  return fc.sample(rule, { numRuns: 200, seed: 1 }).some((x) => x.cls !== 'bad');
}

/**
 * A command line of `cmd`. A clean line draws only values that are valid on their own (the cross-flag
 * rules may still refuse it); a dirty one draws from every edge and may add a stray flag or argument.
 * About three flags per line: enough to meet the cross-flag rules, few enough that a clean line is
 * often valid as a whole.
 */
function caseArb(cmd: string, flags: HelpFlag[], clean: boolean): fc.Arbitrary<Case> {
  const gram = GRAMMAR[cmd]!;
  const local = flags.filter((f) => !GLOBAL_FLAGS.includes(f.name));
  const absent = Math.max(1, Math.round(local.length / 3) - 1);
  const occ = local.map((f) => {
    const rule = gram.flags[f.name] ?? anyText;
    // A flag with no valid value on this command (another family's flag): a clean line leaves it
    // out. Filtering for a valid value would retry for ever (fast-check's filter has no bound).
    if (clean && !canBeClean(rule)) return fc.constant(null);
    const value = clean ? rule.filter((x) => x.cls !== 'bad') : rule;
    const o = occurrence(f, value).filter((x) => !clean || x.val.cls !== 'bad');
    return fc.oneof(
      { weight: absent, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.tuple(o, clean ? fc.constant(0) : fc.nat(19)) },
    );
  });
  const positionals = Object.entries(gram.positionals).map(([name, a]) =>
    (clean ? (name === 'parts' ? CLEAN_PARTS : a.filter((vals) => vals.every((x) => x.cls !== 'bad'))) : a).map((vals) => [name, vals] as const),
  );
  const stray = (argv: string[], cls: Cls, weight: number) => ({ weight, arbitrary: fc.constant<Occurrence | null>({ argv, val: v(argv[0]!, cls) }) });
  const extra = clean
    ? fc.constant(null)
    : fc.oneof(
        { weight: 24, arbitrary: fc.constant(null) },
        stray(['--bogus', '1'], 'bad', 2),
        stray(['--Samples', '10'], 'bad', 2),
        stray(['extra'], 'bad', 2),
        stray(['--', '-n'], 'bad', 1),
        stray(['--sämples', '5'], 'bad', 1),
        stray(['--verbose'], 'ok', 2),
        stray(['--help'], 'either', 1),
        stray(['--version'], 'either', 1),
      );
  return fc.tuple(fc.tuple(...occ), fc.tuple(...positionals), extra).map(([os, ps, ex]) => {
    const argv: string[] = [cmd];
    const given: Record<string, Val[]> = {};
    let expect: Cls = 'ok';
    let verbose = false;
    os.forEach((o, i) => {
      if (o === null) return;
      const [first, again] = o;
      const f = local[i]!;
      argv.push(...first.argv);
      given[f.name] = [first.val];
      expect = worst(expect, first.val.cls);
      // now and then the same flag twice: a usage mistake for a value flag, but not for a repeatable
      // one ([array]: --sbatch-arg, where the same option twice passes and the same throttle is refused)
      if (again === 19) {
        argv.push(...first.argv);
        expect = worst(expect, f.type === 'boolean' || f.type === 'array' ? 'either' : 'bad');
      }
    });
    for (const [name, vals] of ps) {
      argv.push(...vals.map((x) => x.text));
      given[name] = vals;
      if (cmd !== 'merge') for (const x of vals) expect = worst(expect, x.cls);
    }
    if (ex !== null) {
      argv.push(...ex.argv);
      expect = worst(expect, ex.val.cls);
      verbose = ex.val.text === '--verbose';
      if (ex.val.text === '--help' || ex.val.text === '--version') given['help'] = [ex.val];
    }
    // --help and --version print and exit 0 whatever else is on the line, or refuse it: both fair
    if (given['help']) return { cmd, argv, expect: 'either' as Cls, given, verbose };
    for (const [flag, add] of Object.entries(gram.tiny)) if (given[flag] === undefined) argv.push(...add);
    if (cmd === 'merge') expect = worst(expect, classifyMerge(given));
    if (expect === 'ok') expect = specConflicts(cmd, given);
    return { cmd, argv, expect, given, verbose };
  });
}

// ---------------------------------------------------------------------------------------------
// Known failures in another helper's area (paths, locks, exit codes of missing inputs). The
// coordinator deletes this list once those fixes are merged; a hang is not run at all (it would
// cost the whole bound), the others run and may fail.

interface Known {
  name: string;
  hang: boolean;
  matches: (c: Case) => boolean;
}
const keyOf = (c: Case, flag: string) => c.given[flag]?.[0]?.key;
export const KNOWN_EDGES_FAILURES: Known[] = [
];

// ---------------------------------------------------------------------------------------------
// Running a case and checking the contract.

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
  pid: number;
}

function runCli(argv: string[], cwd: string): Promise<Outcome> {
  const childEnv = { ...env };
  for (const k of Object.keys(childEnv)) if (k.startsWith('SLURM_') || k === 'JOB_COMPLETION_INDEX' || k === 'COLLAPSE_MEMORY_LIMIT') delete childEnv[k];
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...argv], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // theory may print a 10 000-column table; the checks need the start of stdout only
    child.stdout.on('data', (d: Buffer) => (stdout = stdout.length < 1 << 20 ? stdout + d.toString() : stdout));
    child.stderr.on('data', (d: Buffer) => (stderr = stderr.length < 1 << 20 ? stderr + d.toString() : stderr));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, BOUND_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0, timedOut, pid: child.pid ?? -1 });
    });
  });
}

/** Every entry under `dir`: files with size and mtime, directories by name (their mtime moves on reads of nothing). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isDirectory()) {
        out.set(rel, 'dir');
        walk(p);
      } else {
        const st = fs.lstatSync(p);
        out.set(rel, `${e.isSymbolicLink() ? 'link' : 'file'}:${st.size}:${st.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, x] of after) if (before.get(k) !== x) out.push(before.has(k) ? `changed ${k}` : `added ${k}`);
  for (const k of before.keys()) if (!after.has(k)) out.push(`removed ${k}`);
  return out;
}

/** What a successful case may write, relative to its directory. */
function allowedRoots(c: Case): string[] {
  if (c.given['help']) return [];
  const rel = (p: string) => path.relative('.', path.normalize(p));
  const out = c.given['out']?.[0]?.text;
  switch (c.cmd) {
    case 'run':
    case 'sweep':
    case 'merge':
      return [out === undefined ? 'results' : rel(out)];
    case 'plot':
      return [path.join(rel(c.given['dir']![0]!.text), 'figures')];
    case 'slurm':
      return c.given['write'] ? [rel(c.given['write'][0]!.text)] : [];
    default:
      return [];
  }
}

/** A change is allowed under a root, or is a directory created on the way to one. */
function allowed(change: string, roots: string[]): boolean {
  const [kind, p] = [change.slice(0, change.indexOf(' ')), change.slice(change.indexOf(' ') + 1)];
  return roots.some((r) => p === r || p.startsWith(`${r}/`) || (kind === 'added' && r.startsWith(`${p}/`)));
}

/** Names the code base gives temporary and probe files: `.x.tmp-PID`, `.collapse-probe-PID`, `.x.old-PID`. */
function pidLeftovers(dir: string, pid: number): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => new RegExp(`[.-]${pid}$`).test(n));
  } catch {
    return [];
  }
}

function outsidePaths(c: Case): string[] {
  return Object.values(c.given)
    .flat()
    .map((x) => x.text)
    .filter((t) => path.isAbsolute(t));
}

function nearestExisting(p: string): string {
  let d = p;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** The contract; returns what broke it, empty when it held. */
function violations(c: Case, r: Outcome, before: Map<string, string>, after: Map<string, string>): string[] {
  const bad: string[] = [];
  if (r.timedOut) return [`did not end within ${BOUND_MS} ms (killed)`];
  if (r.signal !== null) bad.push(`ended by signal ${r.signal}`);
  if (r.code !== 0 && r.code !== 2) bad.push(`exit ${r.code} (only 0 and 2 are right for these lines)`);
  if (c.expect === 'bad' && r.code === 0) bad.push('exit 0 for a usage mistake (expected 2)');
  if (c.expect === 'ok' && r.code === 2) bad.push('exit 2 for a valid line (expected 0)');
  if (!c.verbose) {
    if (/^\s+at .+:\d+:\d+\)?$/m.test(r.stderr)) bad.push('a stack trace on stderr');
    if (r.stderr.includes('internal error')) bad.push('"internal error" on stderr');
  }
  if (r.code === 2 && !c.verbose) {
    const lines = r.stderr.trimEnd().split('\n');
    if (lines.length !== 1 || !lines[0]!.startsWith('collapse: ')) bad.push(`stderr on a refusal is not one "collapse: " line: ${JSON.stringify(r.stderr)}`);
  }
  const diff = changes(before, after);
  if (r.code !== 0 && diff.length > 0) bad.push(`left behind on exit ${r.code}: ${diff.slice(0, 5).join(', ')}`);
  if (r.code === 0) {
    const roots = allowedRoots(c);
    const stray = diff.filter((d) => !allowed(d, roots));
    if (stray.length > 0) bad.push(`wrote outside ${JSON.stringify(roots)}: ${stray.slice(0, 5).join(', ')}`);
  }
  for (const p of outsidePaths(c)) {
    const left = pidLeftovers(nearestExisting(p), r.pid);
    if (left.length > 0) bad.push(`left ${left.join(', ')} in ${nearestExisting(p)}`);
    if (p !== '/' && fs.existsSync(p) && !['/proc', '/dev/null'].includes(p)) bad.push(`created ${p}`);
  }
  return bad;
}

// ---------------------------------------------------------------------------------------------

function cli(args: string[], cwd: string): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`fixture: collapse ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

/** Inputs for table, plot and merge, built once and copied into each case's directory. */
function buildFixtures(): void {
  fs.mkdirSync(path.join(FIXTURES, 'empty'), { recursive: true });
  fs.mkdirSync(path.join(FIXTURES, 'full'));
  fs.writeFileSync(path.join(FIXTURES, 'full', 'notes.txt'), 'not a result\n');
  fs.writeFileSync(path.join(FIXTURES, 'file.txt'), 'a file\n');
  const tiny = ['-n', '8', '-t', '4', '-e', '3', '-w', '1', '--no-plot'];
  const grid = ['-n', '8,9', '-t', '4', '-e', '3', '-w', '1', '--no-plot'];
  cli(['run', ...tiny, '-o', 'run-result'], FIXTURES);
  cli(['sweep', ...grid, '-o', 'sweep-result'], FIXTURES);
  for (const i of [0, 1]) {
    cli(['run', ...tiny, '--shard', `${i}/2`, '-o', `part-${i}`], FIXTURES);
    cli(['sweep', ...grid, '--shard', `${i}/2`, '-o', `sweep-part-${i}`], FIXTURES);
  }
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

let counter = 0;
const tolerated = new Map<string, number>();
const skipped = new Map<string, number>();
const timings: number[] = [];

async function checkCase(c: Case): Promise<void> {
  const known = KNOWN_EDGES_FAILURES.find((k) => k.matches(c));
  if (known?.hang) {
    skipped.set(known.name, (skipped.get(known.name) ?? 0) + 1);
    fc.pre(false);
  }
  if (DRY) {
    console.log(`${c.expect.padEnd(6)} collapse ${c.argv.map(quote).join(' ')}`);
    return;
  }
  const dir = path.join(TMP, `case-${counter++}`);
  fs.cpSync(FIXTURES, dir, { recursive: true, preserveTimestamps: true });
  const before = snapshot(dir);
  const r = await runCli(c.argv, dir);
  timings.push(r.ms);
  const after = snapshot(dir);
  const bad = violations(c, r, before, after);
  fs.rmSync(dir, { recursive: true, force: true });
  if (bad.length === 0) return;
  if (known) {
    tolerated.set(known.name, (tolerated.get(known.name) ?? 0) + 1);
    return;
  }
  if (COLLECT !== undefined) {
    fs.appendFileSync(COLLECT, `${JSON.stringify({ argv: c.argv, expect: c.expect, code: r.code, ms: r.ms, bad, stderr: r.stderr.slice(0, 500) })}\n`);
    return;
  }
  throw new Error(
    `collapse ${c.argv.map(quote).join(' ')}  (in a fresh directory with the fixtures; expected ${c.expect === 'ok' ? 'exit 0' : c.expect === 'bad' ? 'exit 2' : 'exit 0 or 2'})\n` +
      `  ${bad.join('\n  ')}\n  exit ${r.code}, ${r.ms} ms\n  stderr: ${JSON.stringify(r.stderr.slice(0, 2000))}`,
  );
}

const COMMANDS = Object.keys(GRAMMAR);
const helpOf = new Map<string, HelpFlag[]>();

describe('the fuzzer knows every command and flag that --help lists', () => {
  it('the commands', () => {
    expect(helpCommands().sort()).toEqual([...COMMANDS].sort());
  });
  for (const cmd of COMMANDS) {
    it(`collapse ${cmd}: a rule for each flag and positional`, () => {
      const flags = helpFlags(cmd);
      helpOf.set(cmd, flags);
      // a hidden flag (slurm's --workers, refused there) is not in --help but keeps its rule
      const hidden = HIDDEN_FLAGS[cmd] ?? [];
      expect(flags.map((f) => f.name).filter((n) => !GLOBAL_FLAGS.includes(n)).sort()).toEqual(
        Object.keys(GRAMMAR[cmd]!.flags)
          .filter((n) => !hidden.includes(n))
          .sort(),
      );
      expect(helpPositionals(cmd).sort()).toEqual(Object.keys(GRAMMAR[cmd]!.positionals).sort());
      // booleans are written --flag / --no-flag, the rest take a value
      for (const f of flags) expect(f.type === 'boolean', `--${f.name}`).toBe(['json', 'plot', 'wait', 'force', 'sweep', 'pending', ...GLOBAL_FLAGS].includes(f.name));
    });
  }
});

describe('fuzzing the command line', () => {
  beforeAll(() => {
    buildFixtures();
    for (const cmd of COMMANDS) if (!helpOf.has(cmd)) helpOf.set(cmd, helpFlags(cmd));
  }, 120_000);

  afterAll(() => {
    const sorted = [...timings].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    console.log(
      `fuzz: ${timings.length} cases run (seed ${SEED}, ${LANES} lanes), wall ms p50 ${q(0.5)}, p95 ${q(0.95)}, max ${q(1)}; ` +
        `known edges failures tolerated ${JSON.stringify(Object.fromEntries(tolerated))}, known hangs skipped ${JSON.stringify(Object.fromEntries(skipped))}`,
    );
  });

  for (let lane = 0; lane < LANES; lane++) {
    it.concurrent(
      `lane ${lane}: ${Math.ceil(RUNS / LANES)} generated command lines, seed ${SEED + lane}`,
      async () => {
        const arb = fc.oneof(
          ...COMMANDS.flatMap((cmd) => [
            { weight: GRAMMAR[cmd]!.weight, arbitrary: caseArb(cmd, helpOf.get(cmd)!, true) },
            { weight: GRAMMAR[cmd]!.weight, arbitrary: caseArb(cmd, helpOf.get(cmd)!, false) },
          ]),
        );
        const seed = SEED + lane;
        const result = await fc.check(fc.asyncProperty(arb, checkCase), {
          seed,
          numRuns: Math.ceil(RUNS / LANES),
          ...(REPLAY_PATH !== undefined ? { path: REPLAY_PATH } : {}),
          maxSkipsPerRun: 1000,
        });
        if (result.failed) {
          const err = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
          throw new Error(
            `${err}\nreplay: COLLAPSE_FUZZ_SEED=${seed} COLLAPSE_FUZZ_LANES=1 COLLAPSE_FUZZ_PATH=${result.counterexamplePath} npx vitest run test/fuzz.test.ts` +
              ` (after ${result.numRuns} cases, shrunk ${result.numShrinks} times)`,
          );
        }
      },
      Math.max(600_000, Math.ceil(RUNS / LANES) * BOUND_MS),
    );
  }
});
