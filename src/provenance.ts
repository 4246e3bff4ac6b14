/**
 * Where and how a result was made: tool version, git commit, runtime, CPU, threads and timestamps.
 */
import { hugePagesOn } from './hugepages.js';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The provenance block of every result document. */
export interface Provenance {
  version: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpu: string;
  cpus: number;
  /** Whether the process ran with glibc's huge pages for large blocks (src/hugepages.ts). */
  hugePages: boolean;
  threads: number;
  startedAt: string;
  finishedAt: string;
}

/** The repository root: two levels up from dist/src, one from src. */
export function packageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '../..') : path.resolve(here, '..');
}

let cachedVersion: string | null = null;

/** The package's version from package.json. */
export function toolVersion(): string {
  if (cachedVersion === null) {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    cachedVersion = pkg.version;
  }
  return cachedVersion;
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

/** What does not change while a process runs, read once: two git calls cost ~30 ms. */
let machine: Omit<Provenance, 'threads' | 'startedAt' | 'finishedAt'> | null = null;

/** Provenance for a run on `threads` threads between two instants. */
export function provenance(threads: number, startedAt: Date, finishedAt: Date): Provenance {
  if (machine === null) {
    const commit = git(['rev-parse', 'HEAD']);
    const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
    machine = {
      version: toolVersion(),
      gitCommit: commit,
      gitDirty: status === null ? null : status.length > 0,
      node: process.version,
      v8: process.versions.v8,
      platform: process.platform,
      arch: process.arch,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cpus: os.availableParallelism(),
      hugePages: hugePagesOn(),
    };
  }
  return { ...machine, threads, startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString() };
}
