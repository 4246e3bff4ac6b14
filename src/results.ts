/**
 * Result directories and documents: checks before work starts, atomic writes (temporary name, then
 * rename), and versioned reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError, UsageError } from './errors.js';
import { SCHEMA_VERSION } from './summary.js';

/** Marker file of a finished result directory. */
export const SUMMARY_FILE = 'summary.json';

/**
 * Checks, before any work, that `out` can receive a result: its parent exists or can be created
 * and is writable, and `out` is absent or a previous result (which is then replaced). Creates
 * the parent directory only.
 */
export function checkOutDir(out: string, marker: string = SUMMARY_FILE): void {
  const abs = path.resolve(out);
  if (fs.existsSync(abs)) {
    const st = fs.statSync(abs);
    if (!st.isDirectory()) throw new UsageError(`--out must be a directory, got ${JSON.stringify(out)} (a file)`);
    const entries = fs.readdirSync(abs);
    if (entries.length > 0 && !entries.includes(marker)) {
      throw new UsageError(
        `--out must be a new directory or a previous collapse result, got ${JSON.stringify(out)} (not empty, no ${marker})`,
      );
    }
  }
  const parent = path.dirname(abs);
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.accessSync(parent, fs.constants.W_OK);
    const probe = path.join(parent, `.collapse-probe-${process.pid}`);
    fs.writeFileSync(probe, 'x');
    fs.rmSync(probe);
  } catch (err) {
    throw new UsageError(`--out must be in a writable directory, got ${JSON.stringify(out)} (${(err as Error).message})`);
  }
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
export function writeResultDir(out: string, files: Record<string, string | Uint8Array>, marker: string = SUMMARY_FILE): void {
  const abs = path.resolve(out);
  const tmp = tempDirFor(out);
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    // the marker (summary.json) last: its presence marks a finished result.
    const names = Object.keys(files).sort((a, b) => Number(a === marker) - Number(b === marker));
    for (const name of names) fs.writeFileSync(path.join(tmp, name), files[name]!);
    replaceDir(tmp, abs);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new RuntimeError(`could not write results to ${abs}: ${(err as Error).message}`);
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

/** Writes one file atomically (temporary name in the same directory, then rename). */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
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

/** Bytes a run's result files take at most: finals.csv (80 per experiment), trajectory.csv, summary. */
export function resultBytes(spec: { experiments: number; generations: number; every: number }): number {
  const rows = Math.ceil(spec.generations / spec.every);
  return spec.experiments * 80 + (rows + 1) * 41 * 24 + 8192;
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
