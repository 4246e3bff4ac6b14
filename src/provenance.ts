/**
 * Where and how a result was made: tool version, git commit, runtime, CPU, threads and timestamps.
 */
import { hugePagesOn } from './hugepages.js';
import { execFile, execFileSync } from 'node:child_process';
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

/** What does not change while a process runs, read once: two git calls cost 30–80 ms. */
let machine: Omit<Provenance, 'threads' | 'startedAt' | 'finishedAt'> | null = null;

/** The commit and whether the tree differs from it, as provenance records them. */
interface GitFacts {
  commit: string | null;
  dirty: boolean | null;
}

/** The answers of prefetchProvenance's queries, once both are in. */
let prefetched: GitFacts | null = null;
let prefetching = false;

function gitFacts(commit: string | null, status: string | null): GitFacts {
  return { commit, dirty: commit === null || status === null ? null : status.length > 0 };
}

/**
 * Asks git in the background (both queries at once, neither holding the process open), so that
 * the time they take overlaps a run's work instead of adding to its end; provenance() reads the
 * answers, or asks again synchronously if they are not in yet. Called once a run's pool has
 * started (a sweep writes its files at once, so it asks synchronously).
 */
export function prefetchProvenance(): void {
  if (machine !== null || prefetching) return;
  prefetching = true;
  const answers: (string | null | undefined)[] = [undefined, undefined];
  const ask = (k: number, args: string[]): void => {
    const settle = (text: string | null): void => {
      answers[k] = text;
      if (answers[0] !== undefined && answers[1] !== undefined) prefetched = gitFacts(answers[0], answers[1]);
    };
    try {
      const child = execFile('git', args, { cwd: packageRoot() }, (err, stdout) => settle(err ? null : String(stdout).trim()));
      child.on('error', () => undefined);
      child.unref();
      for (const stream of [child.stdout, child.stderr, child.stdin]) (stream as { unref?: () => void } | null)?.unref?.();
    } catch {
      settle(null);
    }
  };
  ask(0, ['rev-parse', 'HEAD']);
  ask(1, ['status', '--porcelain', '--untracked-files=no']);
}

/** Provenance for a run on `threads` threads between two instants. */
export function provenance(threads: number, startedAt: Date, finishedAt: Date): Provenance {
  if (machine === null) {
    let facts = prefetched;
    if (facts === null) {
      const commit = git(['rev-parse', 'HEAD']);
      facts = gitFacts(commit, commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']));
    }
    machine = {
      version: toolVersion(),
      gitCommit: facts.commit,
      gitDirty: facts.dirty,
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
