/**
 * The two kinds of failure a user can see, and the named constructors that build their messages.
 * cli.ts is the one place where they become exit codes: UsageError 2, RuntimeError 1.
 */

/** Bad input: exit 2, one line naming the flag, the rule and the value received. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure while working: exit 1, with what reproduces it. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** Renders a received value for a message: strings quoted, so an empty value is visible. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return value.map(shown).join(', ');
  return String(value);
}

/** "--flag must be <rule>, got <value>" */
export function invalidFlag(flag: string, rule: string, value: unknown): UsageError {
  return new UsageError(`--${flag} must be ${rule}, got ${shown(value)}`);
}

/** A flag combination that makes no sense together. */
export function conflictingFlags(message: string): UsageError {
  return new UsageError(message);
}

/** A worker failure, with the chunk and seed that reproduce it. */
export function chunkFailed(
  chunk: { index: number; start: number; count: number },
  seed: number,
  reproduce: string,
  cause: string,
): RuntimeError {
  const last = chunk.start + chunk.count - 1;
  return new RuntimeError(
    `chunk ${chunk.index} (experiments ${chunk.start}..${last}) failed with seed ${seed}: ${cause}; reproduce with: ${reproduce}`,
  );
}
