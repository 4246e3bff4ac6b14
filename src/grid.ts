/**
 * A sweep's parameter grid: parses each run flag's list-and-range syntax and expands the Cartesian
 * product into resolved, validated, de-duplicated run specs in a fixed order. Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { UsageError, invalidFlag, shown } from './errors.js';
import { canonicalSpec, parseIntegerFlag, resolveRunSpec, specHash, type RawRunFlags, type RunSpec } from './spec.js';
import { allFamilies } from './families/index.js';

/** How a flag's values are written: integers take every range form, reals lin/log ranges, words lists only. */
export type FlagKind = 'integer' | 'real' | 'word';

/** A run flag a sweep can vary. */
export interface SweepFlag {
  /** A key of the canonical spec (a RunSpec field, or a family parameter). */
  name: string;
  kind: FlagKind;
}

/**
 * The run flags in the order of `runOptions` (and of canonicalSpec): the grid is their Cartesian
 * product in this order, the last flag varying fastest, then replicates fastest of all.
 */
export const SWEEP_FLAGS: readonly SweepFlag[] = [
  { name: 'samples', kind: 'integer' },
  { name: 'generations', kind: 'integer' },
  { name: 'experiments', kind: 'integer' },
  { name: 'ddof', kind: 'integer' },
  { name: 'mean0', kind: 'real' },
  { name: 'sd0', kind: 'real' },
  { name: 'seed', kind: 'integer' },
  { name: 'every', kind: 'integer' },
  { name: 'rng', kind: 'word' },
  { name: 'regime', kind: 'word' },
  { name: 'fresh', kind: 'real' },
  { name: 'synthetic', kind: 'real' },
  { name: 'temperature', kind: 'real' },
  { name: 'method', kind: 'word' },
  { name: 'epsilon', kind: 'real' },
  { name: 'model', kind: 'word' },
  // every family's own flags, in registry order (a flag shared by two families is listed once)
  ...allFamilies()
    .flatMap((f) => f.flags.map((g): SweepFlag => ({ name: g.name, kind: g.kind })))
    .filter((g, i, a) => a.findIndex((h) => h.name === g.name) === i),
];

/** Names of the swept flags, in grid order. */
export const SWEEP_FLAG_NAMES: readonly string[] = SWEEP_FLAGS.map((f) => f.name);

/** At most this many values per flag: a longer axis is almost certainly a typo (1..1e9). */
export const MAX_AXIS = 10_000;
/** At most this many points per sweep (values multiplied across flags, times replicates). */
export const MAX_POINTS = 100_000;

/** One value of an axis: the text handed to resolveRunSpec (so messages quote what was typed) and its value. */
export interface AxisValue {
  text: string;
  value: number | string;
}

const RANGE_RULES = 'ranges are a..b, a..b:step, a..b:lin:k or a..b:log:k (integers), a..b:lin:k or a..b:log:k (reals)';
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function badRange(flag: string, item: string, why: string): UsageError {
  return new UsageError(`--${flag} has a bad range ${shown(item)}: ${why} (${RANGE_RULES})`);
}

/** Reads a range endpoint or count; integers must be exact and safe. */
function rangeNumber(flag: string, item: string, text: string, integer: boolean, what: string): number {
  const v = Number(text);
  if (!NUMBER_TEXT.test(text) || !Number.isFinite(v)) throw badRange(flag, item, `${what} ${shown(text)} is not a number`);
  if (integer && (!Number.isInteger(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER)) {
    throw badRange(flag, item, `${what} ${shown(text)} is not an integer`);
  }
  return v;
}

/**
 * Real values made on a lin or log scale carry rounding noise (0.1 + 2·0.1 = 0.30000000000000004);
 * 12 significant digits remove it and keep every value distinct for k ≤ MAX_AXIS.
 */
function clean(x: number): number {
  return Number(x.toPrecision(12));
}

/** Expands one `a..b[:…]` item into increasing values. */
function expandRange(flag: string, kind: FlagKind, item: string): number[] {
  const parts = item.split(':');
  const ends = parts[0]!.split('..');
  if (ends.length !== 2) throw badRange(flag, item, 'expected exactly one ".."');
  const integer = kind === 'integer';
  const a = rangeNumber(flag, item, ends[0]!.trim(), integer, 'start');
  const b = rangeNumber(flag, item, ends[1]!.trim(), integer, 'end');
  if (b < a) throw badRange(flag, item, 'the end is below the start');
  const mods = parts.slice(1).map((m) => m.trim());
  if (mods.length === 0 || (mods.length === 1 && integer)) {
    if (!integer) throw badRange(flag, item, `--${flag} takes real values: give the number of points with :lin:k or :log:k`);
    const step = mods.length === 0 ? 1 : rangeNumber(flag, item, mods[0]!, true, 'step');
    if (step < 1) throw badRange(flag, item, `the step must be ≥ 1, got ${mods[0]}`);
    const count = Math.floor((b - a) / step) + 1;
    if (count > MAX_AXIS) throw badRange(flag, item, `${count} values, more than ${MAX_AXIS}`);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(a + i * step);
    return out;
  }
  if (mods.length !== 2 || (mods[0] !== 'lin' && mods[0] !== 'log')) {
    throw badRange(flag, item, `unknown form ${shown(parts.slice(1).join(':'))}`);
  }
  const k = rangeNumber(flag, item, mods[1]!, true, 'count');
  if (k < 2 || k > MAX_AXIS) throw badRange(flag, item, `the count k must be from 2 to ${MAX_AXIS}, got ${mods[1]}`);
  const log = mods[0] === 'log';
  if (log && !(a > 0)) throw badRange(flag, item, `a log scale needs a start > 0, got ${ends[0]!.trim()}`);
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const f = i / (k - 1);
    const x = log ? Math.exp(Math.log(a) + f * (Math.log(b) - Math.log(a))) : a + f * (b - a);
    // The ends are exact whatever exp/log round to.
    const y = i === 0 ? a : i === k - 1 ? b : integer ? Math.round(x) : clean(x);
    if (out.length === 0 || y > out[out.length - 1]!) out.push(y);
  }
  return out;
}

/**
 * Parses one flag's values: a comma list whose items are single values or (for numeric flags)
 * ranges. Single values are kept as typed (resolveRunSpec validates them later and quotes them);
 * the same value twice is refused, since it would run the same point twice.
 */
export function parseAxis(flag: string, kind: FlagKind, raw: unknown): AxisValue[] {
  if (Array.isArray(raw)) throw invalidFlag(flag, 'given once (write several values as a comma list)', raw);
  if (typeof raw !== 'string' && typeof raw !== 'number') throw invalidFlag(flag, 'a value or a comma list of values', raw);
  const text = String(raw).trim();
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw invalidFlag(flag, 'a comma list of values with no empty item', raw);
  const out: AxisValue[] = [];
  const seen = new Map<string, string>();
  const add = (v: AxisValue, typed: string) => {
    const key = typeof v.value === 'number' && !Number.isNaN(v.value) ? `n:${v.value}` : `s:${v.text}`;
    const before = seen.get(key);
    if (before !== undefined) {
      throw new UsageError(`--${flag} must list each value once, got ${shown(String(v.value))} from both ${shown(before)} and ${shown(typed)}`);
    }
    seen.set(key, typed);
    out.push(v);
  };
  for (const item of items) {
    if (kind !== 'word' && item.includes('..')) {
      for (const v of expandRange(flag, kind, item)) add({ text: String(v), value: v }, item);
    } else {
      add({ text: item, value: kind === 'word' || !NUMBER_TEXT.test(item) ? item : Number(item) }, item);
    }
  }
  if (out.length > MAX_AXIS) throw invalidFlag(flag, `at most ${MAX_AXIS} values`, `${out.length} values`);
  return out;
}

/** One point of the grid: a resolved spec, its hash, and where it sits. */
export interface GridPoint {
  /** Position in grid order, from 0. */
  index: number;
  /** Replicate r runs with seed + r. */
  replicate: number;
  spec: RunSpec;
  hash: string;
}

/** An expanded sweep grid. */
export interface Grid {
  /** The flags as typed (only those given), plus replicates. */
  given: Record<string, string>;
  /** Each flag's values in order, or null where the flag was not given (its default applies). */
  axes: Record<string, (number | string)[] | null>;
  replicates: number;
  /** Flags given with more than one value, in grid order. */
  varying: string[];
  points: GridPoint[];
  /** First 12 hex digits of SHA-256 of the replicate count and the points' spec hashes in order. */
  hash: string;
}

/** Raw flags of a sweep, as yargs delivers them. */
export type RawGridFlags = RawRunFlags & { replicates?: unknown };

function describeValues(spec: RunSpec, flags: readonly string[]): string {
  const c = canonicalSpec(spec);
  return flags.map((f) => `${f}=${String(c[f])}`).join(', ');
}

/**
 * Expands the grid: the Cartesian product of every flag's values in SWEEP_FLAGS order (last
 * fastest), each combination repeated `--replicates` times with seed + r. Every point goes through
 * resolveRunSpec, so a bad value or combination is refused, before anything runs, with the usual
 * message; two points that resolve to the same run are refused too.
 */
export function expandGrid(raw: RawGridFlags): Grid {
  const replicates = raw.replicates === undefined ? 1 : parseIntegerFlag('replicates', raw.replicates, 1, MAX_AXIS);
  const given: Record<string, string> = {};
  const axes: Record<string, (number | string)[] | null> = {};
  const lists: AxisValue[][] = [];
  let count = replicates;
  for (const f of SWEEP_FLAGS) {
    const r = raw[f.name];
    if (r === undefined) {
      axes[f.name] = null;
      lists.push([]);
      continue;
    }
    const values = parseAxis(f.name, f.kind, r);
    given[f.name] = String(r);
    axes[f.name] = values.map((v) => v.value);
    lists.push(values);
    count *= values.length;
  }
  if (raw.replicates !== undefined) given['replicates'] = String(raw.replicates);
  if (count > MAX_POINTS) {
    throw new UsageError(`the sweep has ${count} points, more than ${MAX_POINTS}: split it into several sweeps`);
  }
  const varying = SWEEP_FLAGS.filter((_, i) => lists[i]!.length > 1).map((f) => f.name as string);

  const points: GridPoint[] = [];
  const byHash = new Map<string, GridPoint>();
  const idx = lists.map(() => 0);
  for (;;) {
    const flags: Record<string, unknown> = {};
    lists.forEach((l, i) => {
      if (l.length > 0) flags[SWEEP_FLAGS[i]!.name] = l[idx[i]!]!.text;
    });
    const base = resolveRunSpec(flags as RawRunFlags);
    for (let r = 0; r < replicates; r++) {
      let spec = base;
      if (r > 0) {
        spec = resolveRunSpec({ ...flags, seed: String(base.seed + r) } as RawRunFlags);
      }
      const point: GridPoint = { index: points.length, replicate: r, spec, hash: specHash(spec) };
      const twin = byHash.get(point.hash);
      if (twin !== undefined) {
        const shownFlags = [...varying, 'seed'].filter((f, i, a) => a.indexOf(f) === i);
        const hint = replicates > 1 ? ' (replicate r runs with seed + r: space the --seed values at least --replicates apart)' : '';
        throw new UsageError(
          `the sweep has the same run twice: point ${twin.index} (${describeValues(twin.spec, shownFlags)}, replicate ${twin.replicate}) ` +
            `and point ${point.index} (${describeValues(spec, shownFlags)}, replicate ${r})${hint}`,
        );
      }
      byHash.set(point.hash, point);
      points.push(point);
    }
    // Odometer step: the last flag turns fastest.
    let i = lists.length - 1;
    for (; i >= 0; i--) {
      const n = Math.max(1, lists[i]!.length);
      if (++idx[i]! < n) break;
      idx[i] = 0;
    }
    if (i < 0) break;
  }
  const hash = createHash('sha256')
    .update(JSON.stringify({ replicates, points: points.map((p) => p.hash) }))
    .digest('hex')
    .slice(0, 12);
  return { given, axes, replicates, varying, points, hash };
}
