/**
 * The resolved experiment spec: its defaults (the article's), the parsing of raw flag text, and the
 * validation rules. Everything downstream trusts a RunSpec.
 */
import { createHash } from 'node:crypto';
import { conflictingFlags, invalidFlag, UsageError } from './errors.js';
import { allFamilies, familyNames, familyOf } from './families/index.js';

/** Generators: `fast` (xoshiro128** + ziggurat, hand-written) or `stdlib` (reference path). */
export type RngName = 'fast' | 'x256' | 'stdlib';
export const RNG_NAMES: readonly RngName[] = ['fast', 'x256', 'stdlib'];

/**
 * Data regimes: what each generation's fit is trained on.
 * - replace: the n samples just drawn from the current model (the article; Shumailov et al.).
 * - accumulate: every sample drawn so far (Gerstgrasser et al. 2024).
 * - fresh: round(λn) new draws from the original plus n − round(λn) from the model (Bertrand et
 *   al. 2024; Alemohammad et al. 2023).
 * - accumulate-subsample: a uniform subsample of n from the accumulated pool (Kazdan, Schaeffer
 *   et al. 2025).
 * - augment: generation 1's n original samples, kept for good, plus round(λn) new draws from the
 *   model (Bertrand et al. 2024; the fixed-real-data loop of Alemohammad et al. 2023).
 */
export type Regime = 'replace' | 'accumulate' | 'fresh' | 'accumulate-subsample' | 'augment';
export const REGIMES: readonly Regime[] = ['replace', 'accumulate', 'fresh', 'accumulate-subsample', 'augment'];

/** `resample`: n draws per generation; `stats`: the sufficient statistics drawn exactly, O(1). */
export type Method = 'resample' | 'stats';
export const METHODS: readonly Method[] = ['resample', 'stats'];

/** A fully resolved run: every field is set and valid. The worker count is not part of it. */
export interface RunSpec {
  samples: number;
  generations: number;
  experiments: number;
  ddof: 0 | 1;
  mean0: number;
  sd0: number;
  seed: number;
  every: number;
  rng: RngName;
  regime: Regime;
  /** Share of fresh original data per generation (fresh regime only; 0 otherwise). */
  fresh: number;
  /** Synthetic draws per generation as a multiple λ of n (augment regime only; 0 otherwise). */
  synthetic: number;
  /** Sampling temperature τ: the model samples N(mean, τ·sd²) from generation 2 on. */
  temperature: number;
  method: Method;
  /** Threshold for the share of experiments whose sd is still above it. */
  epsilon: number;
  /** The model family (src/families/), and its parameters in the family's order, validated by it. */
  model: string;
  modelParams: Readonly<Record<string, number | string>>;
}

/** The article's experiment, with a fixed seed so that two plain runs agree. */
export const DEFAULTS = {
  samples: 1000,
  generations: 1000,
  experiments: 1000,
  ddof: 0 as const,
  mean0: 0,
  sd0: 1,
  seed: 1,
  rng: 'fast' as RngName,
  regime: 'replace' as Regime,
  temperature: 1,
  method: 'resample' as Method,
  model: 'gaussian',
};

/** Default cap on recorded generations: `--every` defaults to ceil(T / 1000). */
export const DEFAULT_RECORDED_ROWS = 1000;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const INTEGER_TEXT = /^[+]?\d+$/;
const SCIENTIFIC_INTEGER_TEXT = /^[+]?\d+(\.\d+)?[eE][+]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Reads a flag's raw value as yargs gives it: a string, or an array when the flag is repeated. */
function single(flag: string, raw: unknown): string {
  if (Array.isArray(raw)) throw invalidFlag(flag, 'given once', raw);
  if (typeof raw === 'number') return String(raw);
  if (typeof raw !== 'string') throw invalidFlag(flag, 'a value', raw);
  return raw.trim();
}

/**
 * Parses an integer in [min, max] (max ≤ 2^53 − 1). Accepts plain digits and exact scientific
 * notation ("1e6"); refuses fractions, signs below min, NaN, Infinity and hex.
 */
export function parseIntegerFlag(flag: string, raw: unknown, min: number, max = MAX_SAFE, why = ''): number {
  const text = single(flag, raw);
  const rule = (max === MAX_SAFE ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`) + why;
  if (!INTEGER_TEXT.test(text) && !SCIENTIFIC_INTEGER_TEXT.test(text)) throw invalidFlag(flag, rule, raw);
  const value = Number(text);
  if (!Number.isInteger(value)) throw invalidFlag(flag, rule, raw);
  if (value > MAX_SAFE) throw invalidFlag(flag, `${rule} and at most 2^53 − 1`, raw);
  if (value < min || value > max) throw invalidFlag(flag, rule, raw);
  return value;
}

/** Parses a finite decimal number, optionally requiring it to be > 0. */
export function parseNumberFlag(flag: string, raw: unknown, positive = false): number {
  const text = single(flag, raw);
  const rule = positive ? 'a finite number > 0' : 'a finite number';
  if (!NUMBER_TEXT.test(text)) throw invalidFlag(flag, rule, raw);
  const value = Number(text);
  if (!Number.isFinite(value)) throw invalidFlag(flag, rule, raw);
  if (positive && !(value > 0)) throw invalidFlag(flag, rule, raw);
  return value;
}

/** Parses one of a fixed set of words. */
export function parseChoiceFlag<T extends string>(flag: string, raw: unknown, choices: readonly T[]): T {
  const text = single(flag, raw);
  if (!(choices as readonly string[]).includes(text)) throw invalidFlag(flag, `one of ${choices.join(', ')}`, raw);
  return text as T;
}

/** Raw run flags as yargs delivers them (strings, so messages can quote what the user typed). */
export interface RawRunFlags {
  samples?: unknown;
  generations?: unknown;
  experiments?: unknown;
  ddof?: unknown;
  mean0?: unknown;
  sd0?: unknown;
  seed?: unknown;
  every?: unknown;
  rng?: unknown;
  regime?: unknown;
  fresh?: unknown;
  synthetic?: unknown;
  temperature?: unknown;
  method?: unknown;
  epsilon?: unknown;
  model?: unknown;
  /** A model family's own flags (--dim for the Gaussian), read by the family. */
  [familyFlag: string]: unknown;
}

/** Validates raw flags into a RunSpec; throws UsageError naming the first bad flag. */
export function resolveRunSpec(raw: RawRunFlags): RunSpec {
  const ddof = raw.ddof === undefined ? DEFAULTS.ddof : (parseIntegerFlag('ddof', raw.ddof, 0, 1) as 0 | 1);
  const samples =
    raw.samples === undefined
      ? DEFAULTS.samples
      : parseIntegerFlag('samples', raw.samples, 2, MAX_SAFE, ' (a fitted sd needs n − 1 ≥ 1 degrees of freedom)');
  const generations =
    raw.generations === undefined ? DEFAULTS.generations : parseIntegerFlag('generations', raw.generations, 1);
  const experiments =
    raw.experiments === undefined ? DEFAULTS.experiments : parseIntegerFlag('experiments', raw.experiments, 1);
  const mean0 = raw.mean0 === undefined ? DEFAULTS.mean0 : parseNumberFlag('mean0', raw.mean0);
  const sd0 = raw.sd0 === undefined ? DEFAULTS.sd0 : parseNumberFlag('sd0', raw.sd0, true);
  const seed = raw.seed === undefined ? DEFAULTS.seed : parseIntegerFlag('seed', raw.seed, 0);
  const rng = raw.rng === undefined ? DEFAULTS.rng : parseChoiceFlag('rng', raw.rng, RNG_NAMES);
  const every =
    raw.every === undefined
      ? Math.max(1, Math.ceil(generations / DEFAULT_RECORDED_ROWS))
      : parseIntegerFlag('every', raw.every, 1);
  const regime = raw.regime === undefined ? DEFAULTS.regime : parseChoiceFlag('regime', raw.regime, REGIMES);
  const method = raw.method === undefined ? DEFAULTS.method : parseChoiceFlag('method', raw.method, METHODS);
  const temperature =
    raw.temperature === undefined ? DEFAULTS.temperature : parseNumberFlag('temperature', raw.temperature, true);
  const epsilon = raw.epsilon === undefined ? 0.1 * sd0 : parseNumberFlag('epsilon', raw.epsilon, true);
  let fresh = 0;
  if (raw.fresh !== undefined) {
    if (regime !== 'fresh') throw conflictingFlags(`--fresh needs --regime fresh, got --regime ${regime}`);
    fresh = parseNumberFlag('fresh', raw.fresh);
    if (fresh < 0 || fresh > 1) throw invalidFlag('fresh', 'a share from 0 to 1', raw.fresh);
  } else if (regime === 'fresh') {
    throw conflictingFlags('--regime fresh needs --fresh λ, the share of fresh original data (0 to 1)');
  }
  let synthetic = 0;
  if (raw.synthetic !== undefined) {
    if (regime !== 'augment') throw conflictingFlags(`--synthetic needs --regime augment, got --regime ${regime}`);
    synthetic = parseNumberFlag('synthetic', raw.synthetic);
    // n + round(λn) is a count of values fitted: it must stay an exact integer in a double
    const rule = `a number ≥ 0 with n + round(λn) ≤ 2^53 − 1 (n = ${samples})`;
    if (synthetic < 0 || !(samples + Math.round(synthetic * samples) <= MAX_SAFE)) throw invalidFlag('synthetic', rule, raw.synthetic);
  } else if (regime === 'augment') {
    throw conflictingFlags('--regime augment needs --synthetic λ, the synthetic draws per generation as a multiple of n (≥ 0)');
  }
  if (method === 'stats' && regime === 'accumulate-subsample') {
    throw conflictingFlags(
      '--method stats has no exact O(1) form for --regime accumulate-subsample (its fit depends on which pooled values are drawn); use --method resample',
    );
  }
  const model = raw.model === undefined ? DEFAULTS.model : parseChoiceFlag('model', raw.model, familyNames());
  const base = { samples, generations, experiments, ddof, mean0, sd0, seed, every, rng, regime, fresh, synthetic, temperature, method, epsilon, model };
  const family = familyOf(model);
  // a flag of another family is a mistake here, not something to ignore silently
  const own = new Set(family.flags.map((f) => f.name));
  for (const other of allFamilies()) {
    for (const f of other.flags) {
      if (!own.has(f.name) && raw[f.name] !== undefined) {
        throw invalidFlag(f.name, `a flag of --model ${other.name}, not of --model ${model}`, raw[f.name]);
      }
    }
  }
  const modelParams = family.resolveParams(raw, base);
  return { ...base, modelParams };
}

/** Canonical JSON of a spec (fixed key order): what the hash and result files record. */
export function canonicalSpec(spec: RunSpec): Record<string, unknown> {
  return {
    samples: spec.samples,
    generations: spec.generations,
    experiments: spec.experiments,
    ddof: spec.ddof,
    mean0: spec.mean0,
    sd0: spec.sd0,
    seed: spec.seed,
    every: spec.every,
    rng: spec.rng,
    regime: spec.regime,
    fresh: spec.fresh,
    synthetic: spec.synthetic,
    temperature: spec.temperature,
    method: spec.method,
    epsilon: spec.epsilon,
    model: spec.model,
    ...spec.modelParams,
  };
}

/** A short, stable identifier of a spec: the first 12 hex digits of SHA-256 of its canonical JSON. */
export function specHash(spec: RunSpec): string {
  const canon = canonicalSpec(spec);
  // synthetic came after hashes were recorded: it enters only where it matters, so earlier specs keep theirs
  if (spec.regime !== 'augment') delete canon['synthetic'];
  // likewise the model: the default family at its defaults (the engine before families) keeps its hash
  const family = familyOf(spec.model);
  if (spec.model === DEFAULTS.model && family.flags.every((f) => spec.modelParams[f.name] === f.default)) {
    delete canon['model'];
    for (const f of family.flags) delete canon[f.name];
  }
  return createHash('sha256').update(JSON.stringify(canon)).digest('hex').slice(0, 12);
}

/** The command line that reproduces a spec. */
export function specCommand(spec: RunSpec): string {
  return (
    `collapse run -n ${spec.samples} -t ${spec.generations} -e ${spec.experiments} --ddof ${spec.ddof} ` +
    `--mean0 ${spec.mean0} --sd0 ${spec.sd0} --seed ${spec.seed} --every ${spec.every} --rng ${spec.rng} ` +
    `--regime ${spec.regime}${spec.regime === 'fresh' ? ` --fresh ${spec.fresh}` : ''}` +
    `${spec.regime === 'augment' ? ` --synthetic ${spec.synthetic}` : ''} --temperature ${spec.temperature} ` +
    `--method ${spec.method} --epsilon ${spec.epsilon} --model ${spec.model}` +
    Object.entries(spec.modelParams)
      .map(([k, v]) => ` --${k} ${v}`)
      .join('')
  );
}

/**
 * The RunSpec recorded in a result or part file (its canonical form), re-validated: refuses a
 * document whose spec this version would not produce.
 */
export function specFromCanonical(doc: Record<string, unknown>, where: string): RunSpec {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) raw[k] = typeof v === 'number' ? String(v) : v;
  if (doc['regime'] !== 'fresh') delete raw['fresh'];
  if (doc['regime'] !== 'augment') delete raw['synthetic'];
  let spec: RunSpec;
  try {
    spec = resolveRunSpec(raw as RawRunFlags);
  } catch (err) {
    throw new UsageError(`${where}: its spec is not valid here (${(err as Error).message})`);
  }
  const canon = canonicalSpec(spec);
  for (const k of Object.keys(canon)) {
    // files written before augment existed have no synthetic field, which means 0
    if (k === 'synthetic' && doc[k] === undefined && spec.regime !== 'augment') continue;
    if (JSON.stringify(canon[k]) !== JSON.stringify(doc[k])) {
      throw new UsageError(`${where}: its spec field ${k} is ${JSON.stringify(doc[k])}, which this version reads as ${JSON.stringify(canon[k])}`);
    }
  }
  return spec;
}

/** The first canonical field (in canonicalSpec's order) where two recorded specs differ, with both values. */
export function specDifference(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): { field: string; a: unknown; b: unknown } | null {
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const field of fields) {
    if (field === 'workers') continue; // a run's params carry it; it changes no result byte
    if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) return { field, a: a[field], b: b[field] };
  }
  return null;
}
