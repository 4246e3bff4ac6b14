/**
 * Result directories and documents: checks before work starts, atomic writes (temporary name, then
 * rename), and versioned reads.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RuntimeError, UsageError } from './errors.js';
import { SCHEMA_VERSION, trajectoryColumns } from './summary.js';
import { familyOf } from './families/index.js';
import { recordCount } from './plan.js';
import type { RunSpec } from './spec.js';

/** Marker file of a finished result directory. */
export const SUMMARY_FILE = 'summary.json';

/** The probe file that checks a directory takes new files. */
const PROBE = `.collapse-probe-${process.pid}`;

/** The first line of an error's message. */
function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** How a message names a flag: --out, or a positional such as DIR as it is. */
function flagName(flag: string): string {
  return /^[A-Z]/.test(flag) ? flag : `--${flag}`;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time from the nearest existing ancestor
 * down, and returns the directories it made, top first. Node 20's mkdirSync(…, {recursive: true})
 * loops forever where mkdir answers ENOENT under a parent that exists (/proc/x/y spins at 100% CPU),
 * so every path flag goes through here: each level is one plain mkdir, and any failure is a
 * UsageError naming `flag` (what was made before it is removed).
 */
export function makeDirs(dir: string, flag: string, given: string = dir): string[] {
  const abs = path.resolve(dir);
  const top = existingAncestor(abs);
  if (!isDirectory(top)) {
    throw new UsageError(`${flagName(flag)} must be a path under a directory, got ${JSON.stringify(given)} (${top} is not a directory)`);
  }
  const missing: string[] = [];
  for (let d = abs; d !== top; d = path.dirname(d)) missing.unshift(d);
  const made: string[] = [];
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
      made.push(d);
    } catch (err) {
      // another process made it meanwhile: fine
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && isDirectory(d)) continue;
      removeMade(made);
      throw new UsageError(`${flagName(flag)} must be a path where directories can be created, got ${JSON.stringify(given)} (${d}: ${errorText(err)})`);
    }
  }
  return made;
}

/** Removes, deepest first, the directories makeDirs made, where they are still empty. */
export function removeMade(made: readonly string[]): void {
  for (const d of [...made].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      // not empty (someone wrote there) or already gone: leave it
    }
  }
}

/**
 * Checks that files can be created in `dir` (made as needed, as makeDirs does), by writing and
 * removing a probe file: access(W_OK) alone is fooled by read-only mounts and ACLs. Leaves nothing
 * behind: what it made is removed again.
 */
export function probeDir(dir: string, flag: string, given: string): void {
  const made = makeDirs(dir, flag, given);
  try {
    const probe = path.join(dir, PROBE);
    fs.writeFileSync(probe, 'x');
    fs.rmSync(probe);
  } catch (err) {
    throw new UsageError(`${flagName(flag)} must be in a writable directory, got ${JSON.stringify(given)} (${errorText(err)})`);
  } finally {
    removeMade(made);
  }
}

/**
 * Checks, before any work and leaving nothing behind, that `out` can receive a result: its parent
 * exists or can be created and is writable, and `out` is absent or a previous result (which is
 * then replaced).
 */
export function checkOutDir(out: string, marker: string = SUMMARY_FILE, flag = 'out'): void {
  const abs = path.resolve(out);
  let entry: fs.Stats | undefined;
  try {
    entry = fs.lstatSync(abs);
  } catch {
    // absent, or a parent is not a directory: makeDirs below says which
  }
  if (entry !== undefined) {
    if (!isDirectory(abs)) {
      const what = entry.isSymbolicLink() ? 'a symbolic link to no directory' : 'a file';
      throw new UsageError(`--${flag} must be a directory, got ${JSON.stringify(out)} (${what})`);
    }
    const entries = fs.readdirSync(abs);
    if (entries.length > 0 && !entries.includes(marker)) {
      throw new UsageError(
        `--${flag} must be a new directory or a previous collapse result, got ${JSON.stringify(out)} (not empty, no ${marker})`,
      );
    }
  }
  // The result is written into its temporary sibling and renamed into place: making that very
  // directory (and a file in it) checks the parent's permissions and the name's length at once.
  const made = makeDirs(path.dirname(abs), flag, out);
  const tmp = tempDirFor(out);
  try {
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tmp, PROBE), 'x');
  } catch (err) {
    throw new UsageError(`${flagName(flag)} must be in a writable directory, got ${JSON.stringify(out)} (${errorText(err)})`);
  } finally {
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      // never made (a name too long, a read-only parent): nothing to remove
    }
    removeMade(made);
  }
}

/** Whether a process with this id exists here (EPERM: it exists but is another user's). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates `file` with `content`, failing with EEXIST if it exists. The content is written under a
 * temporary name and hard-linked into place, so that no other process ever reads the file empty
 * (with open(O_EXCL) and then write, a second run started at the same instant read an empty lock
 * as stale and took it over). Where hard links are not supported, falls back to O_EXCL.
 */
function createWithContent(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    fs.writeFileSync(file, content, { flag: 'wx' });
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Takes the lock `file` (its content: pid and host) for `out`, so that two collapse processes never
 * write the same result; `who` names the command in messages. A lock left by a process that is gone
 * (kill -9) is taken over; one held on another host is refused, naming the file to delete. The lock
 * is also released when the process exits (an interrupt). Returns the release.
 */
export function acquireLock(file: string, out: string, who: string, flag = 'out'): () => void {
  const me = `${process.pid} ${os.hostname()}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      createWithContent(file, me);
      const release = (): void => {
        process.removeListener('exit', release);
        try {
          if (fs.readFileSync(file, 'utf8') === me) fs.rmSync(file);
        } catch {
          // already gone: nothing to release
        }
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new UsageError(`--${flag} must be a writable directory, got ${JSON.stringify(out)} (${errorText(err)})`);
      }
    }
    let holder = '';
    try {
      holder = fs.readFileSync(file, 'utf8').trim();
    } catch {
      // removed between our attempt and this read: try again
    }
    const [pidText = '', host = ''] = holder.split(' ');
    const pid = Number(pidText);
    if (host !== '' && host !== os.hostname()) {
      throw new UsageError(`--${flag} ${out} is locked by a collapse ${who} on host ${host} (pid ${pidText}); if it is gone, delete ${file}`);
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
      throw new UsageError(`--${flag} ${out} is in use by another collapse ${who} (pid ${pid}); wait for it to finish`);
    }
    fs.rmSync(file, { force: true });
  }
  throw new UsageError(`--${flag} ${out} is in use by another collapse ${who}`);
}

/** The temporary name a result directory is written under before its rename. */
export function tempDirFor(out: string): string {
  const abs = path.resolve(out);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.tmp-${process.pid}`);
}

/**
 * Writes `files` into `out` atomically: all into a temporary sibling directory, then one rename.
 * A previous result at `out` is moved aside first and removed after. An interrupted write leaves
 * only a hidden .tmp- directory, never a directory that looks complete.
 */
export function writeResultDir(out: string, files: Record<string, FileContent>, marker: string = SUMMARY_FILE): void {
  const abs = path.resolve(out);
  const tmp = tempDirFor(out);
  let made: string[] = [];
  try {
    made = makeDirs(path.dirname(abs), 'out', out);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    // the marker (summary.json) last: its presence marks a finished result.
    const names = Object.keys(files).sort((a, b) => Number(a === marker) - Number(b === marker));
    for (const name of names) writeContent(path.join(tmp, name), files[name]!);
    replaceDir(tmp, abs);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    removeMade(made);
    throw new RuntimeError(`could not write results to ${abs}: ${(err as Error).message}`);
  }
}

/**
 * A result file's content: its text or bytes whole, or in parts (formed as they are read, and
 * written as they come) for a file too large to hold as one string or in the JS heap.
 */
export type FileContent = string | Uint8Array | Iterable<string | Uint8Array>;

/**
 * Bytes gathered before a write, where a file's content comes in parts: few enough that the parts
 * held are still young when they are written (a MiB of them outlived V8's young collections and
 * cost a long trajectory's writing as much in promotion as the write calls it saved).
 */
const WRITE_BLOCK = 1 << 16;

/** Writes `content` to `file` (created or truncated): whole in one write, or part by part. */
export function writeContent(file: string, content: FileContent): void {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    fs.writeFileSync(file, content);
    return;
  }
  const fd = fs.openSync(file, 'w');
  try {
    let held: (string | Uint8Array)[] = [];
    let size = 0;
    const flush = (): void => {
      const bytes = held.length === 1 && typeof held[0] !== 'string' ? held[0]! : Buffer.concat(held.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
      for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
      held = [];
      size = 0;
    };
    for (const part of content) {
      held.push(part);
      size += part.length;
      if (size >= WRITE_BLOCK) flush();
    }
    if (held.length > 0) flush();
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Puts the finished directory `tmp` at `abs` by rename: a previous directory there is moved aside
 * first and removed after, so `abs` is at every moment absent, the old result or the new one.
 */
export function replaceDir(tmp: string, abs: string): void {
  let old: string | null = null;
  if (fs.existsSync(abs)) {
    old = path.join(path.dirname(abs), `.${path.basename(abs)}.old-${process.pid}`);
    fs.renameSync(abs, old);
  }
  fs.renameSync(tmp, abs);
  if (old !== null) fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Writes one file atomically (temporary name in the same directory, then rename); a failed write
 * or rename removes the temporary file, so that a refused write leaves nothing behind.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Reads a result document and checks its schema version: an older or a newer one is refused with
 * a message that says which.
 */
export function readResultDocument(file: string, kind: string, version: number = SCHEMA_VERSION): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RuntimeError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new RuntimeError(`${file} is not a collapse result document`);
  const d = doc as Record<string, unknown>;
  const v = d['schemaVersion'];
  if (typeof v !== 'number') throw new RuntimeError(`${file} has no schemaVersion: not a collapse result document`);
  if (v < version) {
    throw new RuntimeError(`${file} has schemaVersion ${v}, older than this collapse's ${version}: re-run it with this version`);
  }
  if (v > version) {
    throw new RuntimeError(`${file} has schemaVersion ${v}, newer than this collapse's ${version}: upgrade collapse to read it`);
  }
  if (d['kind'] !== kind) throw new RuntimeError(`${file} is a ${String(d['kind'])} document, expected ${kind}`);
  return d;
}

/** Characters a CSV cell takes at most: the longest shortest round-trip number (-1.2345678901234567e-308) and its comma. */
export const CSV_CELL = 25;

/**
 * Bytes a run's result files take at most: finals.csv (the experiment, the scalar summary and
 * each metric: CSV_CELL each), trajectory.csv (each of its columns at every recorded row and the
 * header) and the summary.
 */
export function resultBytes(spec: RunSpec): number {
  const family = familyOf(spec.model);
  const rows = recordCount(spec.generations, spec.every);
  return spec.experiments * finalsCells(spec) * CSV_CELL + (rows + 1) * trajectoryColumns(family.name).length * CSV_CELL + 8192;
}

/** Cells of a row of finals.csv: experiment, mean, sd, log10 sd, then each metric. */
export function finalsCells(spec: RunSpec): number {
  return 4 + familyOf(spec.model).metrics.length;
}

/** The nearest existing ancestor of `p` (p itself if it exists). */
export function existingAncestor(p: string): string {
  let d = path.resolve(p);
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** Bytes free to this user on the file system that holds (or would hold) `dir`; null without statfs. */
export function freeBytes(dir: string): number | null {
  try {
    const st = fs.statfsSync(existingAncestor(dir));
    return Number(st.bavail) * Number(st.bsize);
  } catch {
    return null;
  }
}

/**
 * Refuses, before any work, a result that plainly would not fit in the free space of `dir`'s file
 * system (statfs). Where statfs is not available the write itself reports a full disk.
 */
export function checkFreeSpace(dir: string, need: number, flag = 'out'): void {
  const free = freeBytes(dir);
  if (free !== null && need > free) {
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    throw new UsageError(`--${flag} ${dir}: the results need about ${mib(need)} of disk, but only ${mib(free)} is free there`);
  }
}
