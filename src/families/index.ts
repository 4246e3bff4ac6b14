/**
 * The model-family registry: every family by its --model name. A family added later adds its own
 * module here and its kernel in workers/families/, and one line in each registry.
 */
import type { Family } from './types.js';
import { gaussian } from './gaussian.js';
import { categorical } from './categorical.js';
import { gmm } from './gmm.js';
import { kde } from './kde.js';
import { linreg } from './linreg.js';
import { ngram } from './ngram.js';

export type { Family, FamilyFlag, FamilyTheory, MetricDef, MetricTheory, ModelParam } from './types.js';

const FAMILIES: readonly Family[] = [gaussian, categorical, ngram, linreg, kde, gmm];

/** The --model values, in registry order. */
export function familyNames(): string[] {
  return FAMILIES.map((f) => f.name);
}

/** Every registered family. */
export function allFamilies(): readonly Family[] {
  return FAMILIES;
}

/** The family named `model` (validated upstream: an unknown name is an internal error). */
export function familyOf(model: string): Family {
  const f = FAMILIES.find((x) => x.name === model);
  if (f === undefined) throw new Error(`internal: no model family ${JSON.stringify(model)}`);
  return f;
}
