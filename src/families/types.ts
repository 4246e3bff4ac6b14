/**
 * The interface of a model family (in the shape of torch.distributions and scikit-learn
 * estimators): its flags and their validation, its metrics, and their theory. The coordinator,
 * chunking, merge, summary, result files, sweep, shard/merge and slurm only ever see this
 * interface; the family's kernel lives in workers/families/. See docs/design.md, "Model families".
 */
import type { RunSpec } from '../spec.js';
import type { RegimeTheory } from '../theory.js';

/** A flag a family adds to every command that runs experiments. */
export interface FamilyFlag {
  /** The flag's name (`dim` for --dim); also its key in the spec's modelParams and in canonical specs. */
  name: string;
  /** How a sweep may list its values: integer and real flags take ranges, word flags (a data set, a distribution) lists only. */
  kind: 'integer' | 'real' | 'word';
  /** Its value when not given. */
  default: number | string;
  /** The --help text, ending in its default. */
  describe: string;
}

/** A metric recorded per experiment at every recorded generation. */
export interface MetricDef {
  /** Its key in summary.json (camelCase). */
  name: string;
  /** Its stem in trajectory.csv and finals.csv (snake_case). */
  column: string;
  /** One line for the human table. */
  label: string;
  /** The metric in LaTeX math (collapse table --format latex), without the dollar signs. */
  tex: string;
  /**
   * Positive by construction (a ratio, a squared distance), so that figures may draw it on a log
   * axis and its mean, like E[s_T], may rest on rare chains; a metric that is itself a log is not.
   */
  positive: boolean;
  /**
   * Greater than 0 whenever defined (tr Σ̂ / tr Σ0): a statistic of 0 can only be a double that
   * underflowed (below 5e-324, where a run collapses deep enough), so it is reported as NA with
   * the reason, and the human table says `underflow`, never as a 0 that reads as a value.
   */
  strictlyPositive?: boolean;
  /**
   * Where the family has its scalar sd summary (d = 1 for the Gaussian), the scalar z that tests
   * the same mean (a metric that is a fixed multiple of the scalar statistic): this metric's z is
   * then left out exactly where that one is, with its reason, so the two never disagree.
   */
  scalarZ?: 'sdMean' | 'log10SdMean' | 'meanVar' | 'sdSqMean' | 'w2sqMean';
}

/** Theory of one metric at one recorded generation: its expectation, and its sd where known. */
export interface MetricTheory {
  mean: number;
  sd: number | null;
  /**
   * Where the metric is, per experiment, a sum of this many independent terms (log det Σ̂: T·d
   * log chi-square factors), with `sd` exact: its mean over E experiments is then near-normal
   * once E·terms ≥ 30, whatever the sample's own shape.
   */
  terms?: number;
}

/**
 * A published bound on a metric's expectation, shown beside the exact value (summary.json's
 * `theory.<name>`, trajectory.csv's `<column>`). Never used for a z-score: a bound has no standard
 * error, and the simulated mean is not expected to sit near it.
 */
export interface BoundDef {
  /** Its key in summary.json's theory block and in theory.reasons (camelCase: supportSuresh). */
  name: string;
  /** Its column in trajectory.csv (theory_support_suresh). */
  column: string;
  /** The metric whose expectation it bounds. */
  metric: string;
  /** Which side of that expectation it is on. */
  side: 'lower' | 'upper';
  /** Who published it, for the human table (Suresh). */
  source: string;
}

/** Theory of every metric at the requested generations, and why any is missing. */
export interface FamilyTheory {
  /** Metric name → one entry per requested generation (null where no exact form is known). */
  rows: Record<string, (MetricTheory | null)[]>;
  /** Bound name (Family.bounds) → one value per requested generation (null where its hypotheses fail). */
  bounds?: Record<string, (number | null)[]>;
  /** Metric or bound name → why its theory is null. */
  reasons: Record<string, string>;
}

/** A family parameter's value: a number, or the canonical text of a word flag (`zipf:1.1`, `moby-dick`). */
export type ModelParam = number | string;

/** A spec before the family has read its own flags. */
export type BaseSpec = Omit<RunSpec, 'modelParams'>;

/** A model family, as the generic code sees it. */
export interface Family {
  /** The value of --model. */
  readonly name: string;
  /** Its own flags, in canonical order. */
  readonly flags: readonly FamilyFlag[];
  /** Its metrics, in the order its kernel records them; the same for every spec of the family. */
  readonly metrics: readonly MetricDef[];
  /** Published bounds on its metrics' expectations, beside the exact values (none if absent). */
  readonly bounds?: readonly BoundDef[];
  /**
   * Validates the family's flags from the raw flags (strings as typed) against the rest of the
   * spec; throws a UsageError naming the first bad one. Returns the parameters in `flags` order
   * (numbers, or the canonical text of a word flag).
   */
  resolveParams(raw: Record<string, unknown>, spec: BaseSpec): Record<string, ModelParam>;
  /** Theory of each metric at the generations `gens` (ascending). */
  theory(spec: RunSpec, gens: readonly number[]): FamilyTheory;
  /**
   * Whether the family has a scalar sd summary for this spec (the trajectory's sd, log10 sd, mean
   * and W2² columns, from its kernel's ln sd and mean); where not, those columns are NA.
   */
  hasSdSummary(spec: RunSpec): boolean;
  /** Why there is no scalar sd summary for this spec (when hasSdSummary is false). */
  sdSummaryAbsent(spec: RunSpec): string;
  /** Theory of the scalar sd summary (called only where hasSdSummary). */
  sdTheory(spec: RunSpec, gens: readonly number[]): RegimeTheory;
  /** Why a metric's value can be non-finite in this spec (reported where a statistic is NA), or null. */
  undefinedReason(metric: string, spec: RunSpec): string | null;
  /** Bytes a worker holds per experiment in flight, beyond the recorded values (memory checks). */
  workerBytes(spec: RunSpec): number;
  /**
   * Cost of a generation relative to the scalar chain's (1 there), for chunk sizes and the
   * calling-thread threshold; it depends on the spec only, so the chunk plan does too.
   */
  stepCost(spec: Pick<RunSpec, 'method' | 'modelParams'>): number;
  /**
   * Extra files of a result directory beyond summary.json, trajectory.csv and finals.csv (name →
   * exact text), e.g. generated text of the first experiment. Called by the coordinator once the
   * run is merged; it depends on the spec only (re-run the first experiments from their own
   * streams if needed), so runs, shards and merges write the same bytes.
   */
  artifacts?(spec: RunSpec): Record<string, string>;
}
