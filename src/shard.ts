/**
 * Shards: the slice of a chunk plan (or of a sweep's points) that one machine runs, the partial
 * result it writes, and the checks and ordered merge that rebuild the single-machine result.
 *
 * A part is a directory with part.json (spec, shard, chunk list, byte layout, provenance) and
 * part.bin (each chunk's moments, recorded ln sd, final means and family metrics as little-endian
 * float64, in chunk order). Shard i of N takes chunks [⌊iC/N⌋, ⌊(i+1)C/N⌋) of the C chunks: contiguous,
 * balanced, and fixed by the spec, so any scheduler can start the shards in any order. A sweep's
 * points differ in cost by orders of magnitude, so they are dealt out by estimated work instead
 * (balancedShards), fixed by the grid and N alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Chunk } from './plan.js';
import { planChunks, recordCount } from './plan.js';
import type { ChunkResult } from './protocol.js';
import { RuntimeError, UsageError, invalidFlag } from './errors.js';
import { readResultDocument, writeResultDir } from './results.js';
import { canonicalSpec, specDifference, specFromCanonical, specHash, type RunSpec } from './spec.js';
import { NF } from './stats.js';
import { familyNames, familyOf } from './families/index.js';
import { toolVersion, type Provenance } from './provenance.js';

/** Version of part.json's layout. */
export const PART_SCHEMA_VERSION = 2;
export const PART_FILE = 'part.json';
export const PART_DATA = 'part.bin';

/** Which slice this process runs: shard `index` of `count`. */
export interface Shard {
  index: number;
  count: number;
}

const SHARD_TEXT = /^(\d+)\/(\d+)$/;
const AUTO_TEXT = /^auto(?:\/(\d+))?$/;

/**
 * Parses --shard: `i/N` (0 ≤ i < N), `auto` (Slurm job arrays: SLURM_ARRAY_TASK_ID minus
 * SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT), or `auto/N` (the index from Slurm or from a
 * Kubernetes Indexed Job's JOB_COMPLETION_INDEX, the count given).
 */
export function parseShard(raw: unknown, env: NodeJS.ProcessEnv = process.env): Shard {
  if (typeof raw !== 'string') throw invalidFlag('shard', 'i/N, auto or auto/N', raw);
  const text = raw.trim();
  const m = SHARD_TEXT.exec(text);
  if (m) {
    const index = Number(m[1]);
    const count = Number(m[2]);
    if (!(count >= 1 && index < count && Number.isSafeInteger(count))) {
      throw invalidFlag('shard', 'i/N with N ≥ 1 and 0 ≤ i < N', raw);
    }
    return { index, count };
  }
  const a = AUTO_TEXT.exec(text);
  if (!a) throw invalidFlag('shard', 'i/N, auto or auto/N', raw);
  const given = a[1] === undefined ? undefined : Number(a[1]);
  const num = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    if (!/^\d+$/.test(v)) throw new UsageError(`--shard ${text}: ${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const slurmId = num('SLURM_ARRAY_TASK_ID');
  const k8sIndex = num('JOB_COMPLETION_INDEX');
  let index: number;
  let count: number | undefined = given;
  if (slurmId !== undefined) {
    index = slurmId - (num('SLURM_ARRAY_TASK_MIN') ?? 0);
    count ??= num('SLURM_ARRAY_TASK_COUNT');
    if (count === undefined) throw new UsageError(`--shard ${text}: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; use --shard auto/N`);
  } else if (k8sIndex !== undefined) {
    index = k8sIndex;
    if (count === undefined) {
      throw new UsageError(`--shard ${text}: JOB_COMPLETION_INDEX (Kubernetes Indexed Job) gives no count; use --shard auto/N with N = the Job's completions`);
    }
  } else {
    throw new UsageError(
      `--shard ${text} needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job array) or JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, with --shard auto/N); none is set`,
    );
  }
  if (!(count >= 1 && index >= 0 && index < count)) {
    throw new UsageError(`--shard ${text}: shard index ${index} is outside 0..${count - 1}`);
  }
  return { index, count };
}

/** The contiguous range [from, to) of `total` items that shard i of N takes. */
export function shardRange(total: number, shard: Shard): [number, number] {
  return [Math.floor((shard.index * total) / shard.count), Math.floor(((shard.index + 1) * total) / shard.count)];
}

/**
 * Deals items of the given costs out to `count` shards, longest first (ties: lower index first),
 * each to the shard with the least cost so far (ties: lower shard first): Graham's LPT rule, whose
 * largest shard is at most (4/3 − 1/(3N)) times the best possible (Graham 1969). Depends only on the
 * costs and N, never on timing. Returns the shard of each item. O(P log P + P log N).
 */
export function balancedShards(costs: readonly number[], count: number): number[] {
  const order = costs.map((_, i) => i).sort((a, b) => costs[b]! - costs[a]! || a - b);
  const shardOf = new Array<number>(costs.length);
  // a binary min-heap of shards by (load, index)
  const load = new Float64Array(count);
  const heap = Array.from({ length: count }, (_, i) => i);
  const less = (a: number, b: number) => load[a]! < load[b]! || (load[a] === load[b] && a < b);
  for (const item of order) {
    const s = heap[0]!;
    shardOf[item] = s;
    load[s]! += costs[item]!;
    // sift the root down: only its load grew
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < count && less(heap[l]!, heap[m]!)) m = l;
      if (r < count && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
  return shardOf;
}

/** The chunks of `spec` that `shard` runs (empty when there are more shards than chunks). */
export function shardChunks(spec: RunSpec, shard: Shard): Chunk[] {
  const all = planChunks(spec);
  const [from, to] = shardRange(all.length, shard);
  return all.slice(from, to);
}

/** Writes a part directory atomically: part.bin then part.json (which marks it complete). */
export function writePart(
  out: string,
  spec: RunSpec,
  shard: Shard,
  results: readonly ChunkResult[],
  timing: { wallSeconds: number; draws: number },
  provenance: Provenance,
): void {
  const rows = recordCount(spec.generations, spec.every);
  let doubles = 0;
  const K = familyOf(spec.model).metrics.length;
  for (const r of results) doubles += rows * NF + rows * r.count + r.count + K * rows * r.count;
  const bin = new Float64Array(doubles);
  let off = 0;
  for (const r of results) {
    bin.set(r.moments, off);
    off += r.moments.length;
    bin.set(r.lnSd, off);
    off += r.lnSd.length;
    bin.set(r.finalMean, off);
    off += r.finalMean.length;
    bin.set(r.metrics, off);
    off += r.metrics.length;
  }
  const doc = {
    schemaVersion: PART_SCHEMA_VERSION,
    kind: 'collapse.part',
    toolVersion: toolVersion(),
    specHash: specHash(spec),
    spec: canonicalSpec(spec),
    shard,
    rows,
    byteOrder: 'little',
    chunks: results.map((r) => ({ index: r.index, start: r.start, count: r.count, draws: r.draws })),
    timing,
    provenance,
  };
  writeResultDir(
    out,
    { [PART_DATA]: new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength), [PART_FILE]: `${JSON.stringify(doc, null, 2)}\n` },
    PART_FILE,
  );
}

/** A part as read back, with its chunk results. */
export interface Part {
  path: string;
  spec: Record<string, unknown>;
  toolVersion: string;
  shard: Shard;
  timing: { wallSeconds: number; draws: number };
  provenance: Provenance;
  results: ChunkResult[];
}

/** The part directory that `p` names: the directory itself, or the one holding the part.json it names. */
function partDir(p: string): string {
  return path.basename(p) === PART_FILE ? path.dirname(p) : p;
}

/**
 * The spec of the part at `p`, from its part.json alone (its data not read), or null where that
 * does not read: readPart then says why. For decisions taken before the parts are read (the
 * huge-page relaunch of collapse merge).
 */
export function partSpec(p: string): RunSpec | null {
  const dir = partDir(p);
  try {
    const doc = readResultDocument(path.join(dir, PART_FILE), 'collapse.part', PART_SCHEMA_VERSION);
    return specFromCanonical(doc['spec'] as Record<string, unknown>, dir);
  } catch {
    return null;
  }
}

/** Bytes of the parts' data files, from their sizes (none read); a part without one counts 0 (readPart reports it). */
export function partDataBytes(paths: readonly string[]): number {
  let bytes = 0;
  for (const p of paths) {
    try {
      bytes += fs.statSync(path.join(partDir(p), PART_DATA)).size;
    } catch {
      // not there: readPart says so
    }
  }
  return bytes;
}

/** Reads a part directory (or its part.json); checks its schema and its data's size. */
export function readPart(p: string): Part {
  const dir = partDir(p);
  const file = path.join(dir, PART_FILE);
  // a missing input is a usage error (exit 2), as for every command; a damaged one fails the work (exit 1)
  if (!fs.existsSync(dir)) throw new UsageError(`PARTS must be part directories written by collapse run --shard, got ${JSON.stringify(p)} (no such directory)`);
  if (!fs.existsSync(file)) throw new UsageError(`PARTS must be part directories written by collapse run --shard, got ${JSON.stringify(p)} (no ${PART_FILE}: an unfinished or missing shard?)`);
  const doc = readResultDocument(file, 'collapse.part', PART_SCHEMA_VERSION);
  if (doc['byteOrder'] !== 'little' || os.endianness() !== 'LE') {
    throw new RuntimeError(`${file}: byte order ${String(doc['byteOrder'])} cannot be read on this ${os.endianness()} machine`);
  }
  const rows = doc['rows'] as number;
  const chunks = doc['chunks'] as { index: number; start: number; count: number; draws: number }[];
  const model = (doc['spec'] as Record<string, unknown> | undefined)?.['model'];
  if (typeof model !== 'string' || !familyNames().includes(model)) {
    throw new RuntimeError(`${file}: its spec's model ${JSON.stringify(model)} is not one of ${familyNames().join(', ')}`);
  }
  const K = familyOf(model).metrics.length;
  const buf = fs.readFileSync(path.join(dir, PART_DATA));
  let doubles = 0;
  for (const c of chunks) doubles += rows * NF + rows * c.count + c.count + K * rows * c.count;
  if (buf.byteLength !== doubles * 8) {
    throw new RuntimeError(`${dir}/${PART_DATA} has ${buf.byteLength} bytes, expected ${doubles * 8}: the part is damaged`);
  }
  // the file's bytes read as doubles in place where they are aligned (a large file's buffer is its
  // own), else copied once; each chunk's arrays are views of them, not copies (nothing downstream
  // writes them): a merge of large parts touched three times their size in fresh memory before
  let all: Float64Array;
  if (buf.byteOffset % 8 === 0) all = new Float64Array(buf.buffer, buf.byteOffset, doubles);
  else {
    all = new Float64Array(doubles);
    new Uint8Array(all.buffer).set(buf);
  }
  let off = 0;
  const results: ChunkResult[] = chunks.map((c) => {
    const moments = all.subarray(off, (off += rows * NF));
    const lnSd = all.subarray(off, (off += rows * c.count));
    const finalMean = all.subarray(off, (off += c.count));
    const metrics = all.subarray(off, (off += K * rows * c.count));
    return { index: c.index, start: c.start, count: c.count, rows, moments, lnSd, finalMean, metrics, draws: c.draws };
  });
  return {
    path: dir,
    spec: doc['spec'] as Record<string, unknown>,
    toolVersion: doc['toolVersion'] as string,
    shard: doc['shard'] as Shard,
    timing: doc['timing'] as { wallSeconds: number; draws: number },
    provenance: doc['provenance'] as Provenance,
    results,
  };
}

/** Whether a part's chunks are exactly its shard's slice of `plan`. */
function sameSlice(p: Part, plan: readonly Chunk[]): boolean {
  const [from, to] = shardRange(plan.length, p.shard);
  const want = plan.slice(from, to);
  const got = p.results;
  return want.length === got.length && want.every((c, i) => c.index === got[i]!.index && c.start === got[i]!.start && c.count === got[i]!.count);
}

/**
 * Why the part in `dir` is not a complete, valid part of shard `shard` of `spec` by this collapse
 * (missing, unfinished, damaged, of another spec, shard or version), or null when it is: the checks
 * of merge, for one part, so that a resubmitted job runs only the shards that merge would refuse.
 */
export function partProblem(dir: string, spec: RunSpec, shard: Shard): string | null {
  if (!fs.existsSync(path.join(dir, PART_FILE))) return `no ${PART_FILE} in ${dir}`;
  let p: Part;
  try {
    p = readPart(dir);
  } catch (err) {
    return (err as Error).message.split('\n')[0]!;
  }
  if (p.toolVersion !== toolVersion()) return `${dir} was written by collapse ${p.toolVersion}, this is ${toolVersion()}`;
  const want = canonicalSpec(spec);
  for (const key of new Set([...Object.keys(want), ...Object.keys(p.spec)])) {
    if (show(want[key]) !== show(p.spec[key])) return `${dir} is of another spec: ${key} is ${show(p.spec[key])} there, ${show(want[key])} here`;
  }
  if (p.shard.index !== shard.index || p.shard.count !== shard.count) {
    return `${dir} is shard ${p.shard.index}/${p.shard.count}, not ${shard.index}/${shard.count}`;
  }
  if (!sameSlice(p, planChunks(spec))) return `${dir}: its chunks are not shard ${shard.index}/${shard.count} of this spec's plan`;
  return null;
}

/**
 * Checks that parts with the same shard count cover every shard exactly once, naming a shard given
 * twice or the missing ones.
 */
export function checkShardSet(parts: readonly { shard: Shard; path: string }[]): void {
  const N = parts[0]!.shard.count;
  const seen = new Map<number, string>();
  for (const p of parts) {
    if (p.shard.count !== N) throw new UsageError(`parts differ in shard count: ${N} in ${parts[0]!.path}, ${p.shard.count} in ${p.path}`);
    const prev = seen.get(p.shard.index);
    if (prev !== undefined) throw new UsageError(`shard ${p.shard.index}/${N} is given twice: ${prev} and ${p.path}`);
    seen.set(p.shard.index, p.path);
  }
  const missing: number[] = [];
  for (let i = 0; i < N; i++) if (!seen.has(i)) missing.push(i);
  if (missing.length > 0) {
    const list = missing.length > 20 ? `${missing.slice(0, 20).join(', ')} … (${missing.length} in all)` : missing.join(', ');
    throw new UsageError(`incomplete set of parts: missing shard${missing.length === 1 ? '' : 's'} ${list} of ${N}`);
  }
}

function show(v: unknown): string {
  return JSON.stringify(v);
}

/** Writes a warning line on stderr. */
export function warnStderr(message: string): void {
  process.stderr.write(`collapse: warning: ${message}\n`);
}

/**
 * Checks that parts were built from the same code, from the provenance each recorded: parts of
 * different git commits are refused, naming both; a part built from a modified checkout, or parts
 * run on different Node/V8 versions, are merged with a warning, because collapse cannot tell
 * whether the modification matters, and V8 may change its Math.exp/Math.log between versions
 * (ECMA-262 leaves them implementation-approximated), which would change the bytes.
 */
export function checkBuilds(parts: readonly { path: string; provenance?: unknown }[], warn: (message: string) => void = warnStderr): void {
  const prov = (p: { provenance?: unknown }) => (p.provenance ?? {}) as Partial<Provenance>;
  const first = parts[0]!;
  const f = prov(first);
  for (const p of parts.slice(1)) {
    const q = prov(p);
    if ((f.gitCommit ?? null) !== (q.gitCommit ?? null)) {
      throw new UsageError(
        `parts differ in git commit: ${show(f.gitCommit ?? null)} in ${first.path}, ${show(q.gitCommit ?? null)} in ${p.path}; run every shard from one checkout`,
      );
    }
  }
  const dirty = parts.filter((p) => prov(p).gitDirty === true);
  if (dirty.length > 0) {
    warn(
      `${dirty.length} of ${parts.length} parts (${dirty[0]!.path}${dirty.length > 1 ? ', …' : ''}) ran from a checkout of ${show(f.gitCommit ?? null)} with ` +
        'uncommitted changes: collapse cannot tell whether all parts ran the same code',
    );
  }
  const runtime = (q: Partial<Provenance>) => `Node ${q.node ?? '?'} (V8 ${q.v8 ?? '?'})`;
  const other = parts.find((p) => runtime(prov(p)) !== runtime(f));
  if (other !== undefined) {
    warn(
      `parts ran on different runtimes: ${runtime(f)} in ${first.path}, ${runtime(prov(other))} in ${other.path}; ` +
        'the merge equals a single-machine run byte for byte only if both V8s compute Math.exp and Math.log alike',
    );
  }
}

/**
 * Checks that parts belong together and are complete: same tool version, spec and shard count
 * (naming the differing field and both values), every shard once, and each part's chunks exactly
 * its slice of the plan. Returns the chunk results of all parts in chunk order. The build warnings
 * (checkBuilds) go to `warn`, so that a caller with checks of its own still to make can hold them
 * back until those pass: a refusal stays one line.
 */
export function checkParts(parts: readonly Part[], spec: RunSpec, warn: (message: string) => void = warnStderr): ChunkResult[] {
  const first = parts[0]!;
  for (const p of parts.slice(1)) {
    if (p.toolVersion !== first.toolVersion) {
      throw new UsageError(`parts differ in tool version: ${show(first.toolVersion)} in ${first.path}, ${show(p.toolVersion)} in ${p.path}`);
    }
    const d = specDifference(first.spec, p.spec);
    if (d !== null) throw new UsageError(`parts differ in ${d.field}: ${show(d.a)} in ${first.path}, ${show(d.b)} in ${p.path}`);
    if (p.shard.count !== first.shard.count) {
      throw new UsageError(`parts differ in shard count: ${first.shard.count} in ${first.path}, ${p.shard.count} in ${p.path}`);
    }
  }
  const N = first.shard.count;
  checkShardSet(parts);
  checkBuilds(parts, warn);
  const plan = planChunks(spec);
  const ordered = [...parts].sort((a, b) => a.shard.index - b.shard.index);
  const results: ChunkResult[] = [];
  for (const p of ordered) {
    if (!sameSlice(p, plan)) throw new RuntimeError(`${p.path}: its chunks are not shard ${p.shard.index}/${N} of this spec's plan (a part from another version?)`);
    results.push(...p.results);
  }
  return results;
}
