/**
 * Large recorded stores on transparent huge pages. A run that records every generation of 10^5
 * experiments writes about 1.6 GB once; on a virtual machine each first write to a 4 KiB page is a
 * fault that costs the kernel tens of microseconds (measured here: 2.0–2.5 s of system time per
 * 800 MB written, against 0.4–1.1 s on 2 MiB pages). glibc ≥ 2.35 asks for huge pages on the large
 * blocks it maps when the process starts with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which only the
 * environment at start-up can set; so a command about to allocate that much starts itself again
 * with it, before it has written anything, and passes on its exit status. Nothing else changes:
 * the same bytes, the same files. COLLAPSE_HUGEPAGES=0 turns it off.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * Below this store of recorded values (bytes, engine.ts storeBytes: not the whole memory estimate,
 * whose other parts are not written in large blocks) a command is not started again: the second
 * start-up loads the CLI's modules again, about 0.3 s, which a 172 MiB store did not win back
 * (measured: 1.68x against 1.53x). For a while the whole estimate decided, and once it counted
 * finals.csv's text the 154 MiB store of `run -t 100 -e 100000 --method stats` started again:
 * 2.21 s against 2.05 s without.
 */
export const RELAUNCH_ABOVE = 2 ** 28;

const TUNABLE = 'glibc.malloc.hugetlb=1';

/** Whether `env` starts glibc with huge pages for large blocks (what provenance.hugePages records). */
export function hugePagesOn(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env['GLIBC_TUNABLES'] ?? '').includes(TUNABLE);
}

/** The glibc version of this process, or null (another C library, or not Linux). */
function glibc(): string | null {
  if (process.platform !== 'linux') return null;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ?? null;
}

/** Whether glibc `v` (e.g. "2.36") has the hugetlb tunable (2.35 and later). */
export function hasHugetlbTunable(v: string): boolean {
  const [major, minor] = v.split('.').map(Number);
  return major! > 2 || (major === 2 && minor! >= 35);
}

/**
 * Whether this process should start again with the huge-page tunable to hold `bytes`: a large
 * estimate, Linux with a glibc that has the tunable, not turned off, not already set, not already
 * started again.
 */
export function wantsRelaunch(bytes: number, env: NodeJS.ProcessEnv = process.env): boolean {
  if (bytes < RELAUNCH_ABOVE || env['COLLAPSE_HUGEPAGES'] === '0' || env['COLLAPSE_RELAUNCHED'] === '1') return false;
  if ((env['GLIBC_TUNABLES'] ?? '').includes('glibc.malloc.hugetlb')) return false;
  const v = glibc();
  return v !== null && hasHugetlbTunable(v);
}

/** Whether this process was started as the collapse CLI (not, say, a program that imported a command). */
function startedAsCli(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return fs.realpathSync(entry) === fs.realpathSync(fileURLToPath(new URL('./cli.js', import.meta.url)));
  } catch {
    return false;
  }
}

/**
 * Starts this command again with the huge-page tunable where wantsRelaunch says so, passes on
 * SIGINT, SIGTERM and SIGHUP, and ends this process with the child's exit status; returns (doing
 * nothing) otherwise. Call it before anything is written or locked.
 */
export async function relaunchForHugePages(bytes: number): Promise<void> {
  if (!wantsRelaunch(bytes) || !startedAsCli()) return;
  const prior = process.env['GLIBC_TUNABLES'];
  const env = { ...process.env, GLIBC_TUNABLES: prior ? `${prior}:${TUNABLE}` : TUNABLE, COLLAPSE_RELAUNCHED: '1' };
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  // the child reports an interruption itself (a terminal's Ctrl-C reaches both processes)
  process.removeAllListeners('SIGINT');
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  const code = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('exit', (c, s) => resolve(c ?? 128 + (s === null ? 0 : (os.constants.signals[s] ?? 0))));
  });
  // the child could not start: go on in this process, as without the tunable
  if (code === -1) return;
  process.exit(code);
}
