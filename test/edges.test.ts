/**
 * The edges of the command line: every path flag ends in bounded time with exit 2 and one line
 * (no mkdir loop under /proc), a refused command leaves nothing on disk, runs lock their --out and
 * refuse to replace a result of another spec without --force, missing inputs exit 2 for every
 * command, --workers above the CPUs warns, and merge refuses parts built from different commits.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirs, writeFileAtomic } from '../src/results.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-edges-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

/**
 * Runs collapse with a hard time limit: a refusal takes well under a second (node's start
 * included), so 20 s only trips on a hang, which then fails the test instead of stalling it.
 */
function collapse(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: TMP,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function collapseAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: TMP, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Every entry under `dir`, recursively, as relative paths: what a refused command must not change. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

const SMALL = ['-n', '20', '-t', '30', '-e', '50', '--no-plot'];
const FILE = path.join(TMP, 'plain-file');
fs.writeFileSync(FILE, 'not a directory');
const linux = fs.existsSync('/proc/self');

/** Path flags of every command that writes, each with the places it can never write to. */
function pathCases(): [string, string[], string][] {
  const bad: [string, string][] = [
    ['under /proc (mkdir answers ENOENT below an existing parent)', '/proc/x/y'],
    ['a file as parent', path.join(FILE, 'x', 'y')],
    ['under /dev/null', '/dev/null/x'],
    ['under /sys (read-only even for root)', '/sys/x/y'],
    // 250 bytes is a valid name (NAME_MAX 255) but its temporary sibling .<name>.tmp-<pid> is not
    ['a name too long for its temporary sibling', path.join(TMP, 'n'.repeat(250))],
  ];
  const cases: [string, string[], string][] = [];
  for (const [what, p] of bad) {
    if (!linux && /^\/(proc|sys|dev)/.test(p)) continue;
    cases.push([`run --out ${what}`, ['run', ...SMALL, '-o', p], '--out']);
    const script = what.startsWith('a name too long') ? p : path.join(p, 'job.sh');
    cases.push([`slurm --write ${what}`, ['slurm', '--shards', '4', '--write', script], '--write']);
    // /proc and a file as parent for every command; /dev/null and /sys go through the same checks, so two commands suffice (each case costs a node start)
    if (!/^(\/proc|.*plain-file|.*nnnnn)/.test(p)) continue;
    cases.push([`run --shard --out ${what}`, ['run', ...SMALL, '--shard', '0/2', '-o', p], '--out']);
    // a sweep writes inside its directory, with no sibling: a 250-byte name is fine there
    if (!what.startsWith('a name too long')) cases.push([`sweep --out ${what}`, ['sweep', ...SMALL, '-o', p], '--out']);
    cases.push([`merge --out ${what} (run parts)`, ['merge', path.join(TMP, 'part-0'), path.join(TMP, 'part-1'), '--no-plot', '-o', p], '--out']);
    cases.push([`merge --out ${what} (sweep parts)`, ['merge', path.join(TMP, 'sweep-0'), path.join(TMP, 'sweep-1'), '--no-plot', '-o', p], '--out']);
  }
  return cases;
}

describe('path flags end in bounded time with exit 2 and one line', () => {
  it('parts to merge', () => {
    for (const i of [0, 1]) {
      expect(collapse(['run', ...SMALL, '--shard', `${i}/2`, '-o', path.join(TMP, `part-${i}`)]).code).toBe(0);
      expect(collapse(['sweep', '-n', '20,30', '-t', '30', '-e', '50', '--no-plot', '--shard', `${i}/2`, '-o', path.join(TMP, `sweep-${i}`)]).code).toBe(0);
    }
  });

  for (const [name, args, flag] of pathCases()) {
    it(name, () => {
      const before = tree(TMP);
      const r = collapse(args);
      expect(r.signal, 'killed after 20 s: the command hung').toBeNull();
      expect(r.code, r.stderr).toBe(2);
      // merge warns first when this checkout has uncommitted changes; the refusal is one line
      const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('collapse: warning:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(flag);
      expect(tree(TMP)).toEqual(before);
    });
  }

  it('run --out a symbolic link to nowhere', () => {
    const link = path.join(TMP, 'dangling');
    fs.symlinkSync(path.join(TMP, 'nowhere'), link);
    const r = collapse(['run', ...SMALL, '-o', link]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--out must be a directory, got .*dangling.* \(a symbolic link to no directory\)/);
    fs.rmSync(link);
  });

  it('makeDirs refuses a file as parent, and makes and reports every missing level', () => {
    expect(() => makeDirs(path.join(FILE, 'a'), 'out')).toThrow(/--out must be a path under a directory, got .* is not a directory/);
    const made = makeDirs(path.join(TMP, 'md', 'a', 'b'), 'out');
    expect(made).toEqual(['md', 'md/a', 'md/a/b'].map((p) => path.join(TMP, p)));
    fs.rmSync(path.join(TMP, 'md'), { recursive: true });
  });
});

describe('a refused or failed command leaves nothing behind', () => {
  it('slurm --write onto an existing directory exits 2 and writes no temporary file', () => {
    const dir = path.join(TMP, 'slurm-dir');
    fs.mkdirSync(dir);
    const before = tree(TMP);
    const r = collapse(['slurm', '--shards', '4', '--write', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--write');
    expect(tree(TMP)).toEqual(before);
  });

  it('writeFileAtomic removes its temporary file when the rename fails', () => {
    const target = path.join(TMP, 'occupied');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'x'), '');
    expect(() => writeFileAtomic(target, 'text')).toThrow();
    expect(fs.readdirSync(TMP).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('a run that fails removes the parent directories it made for --out', () => {
    const top = path.join(TMP, 'made-for-fault');
    const r = collapse(['run', '-n', '200', '-t', '30', '-e', '1000', '-o', path.join(top, 'a', 'out')], { COLLAPSE_FAULT_CHUNK: '3' });
    expect(r.code).toBe(1);
    expect(fs.existsSync(top)).toBe(false);
  });
});

describe('runs lock --out and do not silently replace another spec', () => {
  it('replaces a result of the same spec (a re-run), refuses another spec naming the field and both values, and --force replaces it', () => {
    const out = path.join(TMP, 'spec');
    expect(collapse(['run', ...SMALL, '--seed', '1', '-o', out]).code).toBe(0);
    const first = fs.readFileSync(path.join(out, 'summary.json'), 'utf8');
    expect(collapse(['run', ...SMALL, '--seed', '1', '-o', out]).code).toBe(0);
    const r = collapse(['run', ...SMALL, '--seed', '2', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--out .* holds a result of another spec: seed is 2 here but 1 in .*summary\.json; add --force/);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).params.seed).toBe(1);
    expect(JSON.parse(first).params.seed).toBe(1);
    expect(collapse(['run', ...SMALL, '--seed', '2', '--force', '-o', out]).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).params.seed).toBe(2);
    expect(fs.readdirSync(TMP).filter((n) => n.startsWith('.spec'))).toEqual([]); // lock released
  });

  it('merge into a run result of another spec needs --force as well', () => {
    const out = path.join(TMP, 'spec'); // seed 2 after the test above; the parts are seed 1
    const parts = [path.join(TMP, 'part-0'), path.join(TMP, 'part-1')];
    const r = collapse(['merge', ...parts, '--no-plot', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out .* holds a result of another spec: seed is 1 here but 2 in .*summary\.json/);
    expect(collapse(['merge', ...parts, '--no-plot', '--force', '-o', out]).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).params.seed).toBe(1);
  });

  it('the same holds for a shard part', () => {
    const out = path.join(TMP, 'part-spec');
    expect(collapse(['run', ...SMALL, '--shard', '0/2', '-o', out]).code).toBe(0);
    const r = collapse(['run', ...SMALL, '--seed', '5', '--shard', '0/2', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/seed is 5 here but 1 in .*part\.json/);
    expect(collapse(['run', ...SMALL, '--seed', '5', '--shard', '0/2', '--force', '-o', out]).code).toBe(0);
  });

  it('a lock held by a live process refuses; one left by a dead process is taken over', () => {
    const out = path.join(TMP, 'locked');
    const lock = path.join(TMP, '.locked.lock');
    fs.writeFileSync(lock, `${process.pid} ${os.hostname()}\n`);
    const r = collapse(['run', ...SMALL, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`--out .* is in use by another collapse run \\(pid ${process.pid}\\)`));
    expect(fs.existsSync(out)).toBe(false);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    fs.writeFileSync(lock, `${dead} ${os.hostname()}\n`);
    expect(collapse(['run', ...SMALL, '-o', out]).code).toBe(0);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('two runs started together into one --out with different specs: exactly one succeeds, and its result is the one on disk', async () => {
    const out = path.join(TMP, 'race');
    const spec = (seed: number) => ['run', '-n', '50', '-t', '300', '-e', '400', '--no-plot', '--seed', String(seed), '-o', out];
    const [a, b] = await Promise.all([collapseAsync(spec(1)), collapseAsync(spec(2))]);
    const won = [a, b].map((r) => r.code === 0);
    expect(won.filter((x) => x), `${a.stderr}\n${b.stderr}`).toHaveLength(1);
    const loser = won[0] ? b : a;
    expect(loser.code).toBe(2);
    expect(loser.stderr).toMatch(/in use by another collapse run|holds a result of another spec/);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).params.seed).toBe(won[0] ? 1 : 2);
  });
});

describe('missing inputs exit 2 for every command', () => {
  const missing = path.join(TMP, 'no-such-dir');
  for (const args of [['merge', missing], ['merge', missing, missing], ['table', missing], ['plot', missing]]) {
    it(`collapse ${args[0]} of a missing directory`, () => {
      const r = collapse(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('no-such-dir');
    });
  }

  it('merge of a directory that holds no part', () => {
    const r = collapse(['merge', TMP]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no part.json');
  });
});

describe('--workers above the available parallelism', () => {
  it('warns on stderr and still runs; at the parallelism it does not warn', () => {
    const cpus = os.availableParallelism();
    let r = collapse(['run', ...SMALL, '-w', String(cpus + 1), '-o', path.join(TMP, 'many')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`warning: --workers ${cpus + 1} is more than the ${cpus} CPUs? `));
    r = collapse(['run', ...SMALL, '-w', String(cpus), '-o', path.join(TMP, 'enough')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('--workers');
  });
});

describe('merge safety: parts record their build and runtime', () => {
  const edit = (src: string, dst: string, change: (prov: Record<string, unknown>) => void) => {
    fs.rmSync(dst, { recursive: true, force: true });
    fs.cpSync(src, dst, { recursive: true });
    const doc = JSON.parse(fs.readFileSync(path.join(dst, 'part.json'), 'utf8'));
    change(doc.provenance);
    fs.writeFileSync(path.join(dst, 'part.json'), JSON.stringify(doc, null, 2));
  };

  it('a run and a sweep record the commit and dirtiness git gives (asked in the background while they work)', () => {
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
    const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' });
    const commit = head.status === 0 ? head.stdout.trim() : null;
    const dirty = commit === null || status.status !== 0 ? null : status.stdout.trim().length > 0;
    expect(collapse(['run', '-n', '20', '-t', '5', '-e', '8', '--no-plot', '-o', path.join(TMP, 'prov-run')]).code).toBe(0);
    expect(collapse(['sweep', '-n', '20', '-t', '5', '-e', '8', '--seed', '1..2', '--no-plot', '-o', path.join(TMP, 'prov-sweep')]).code).toBe(0);
    for (const file of [path.join(TMP, 'prov-run', 'summary.json'), path.join(TMP, 'prov-sweep', 'sweep.json')]) {
      const prov = JSON.parse(fs.readFileSync(file, 'utf8')).provenance;
      expect(prov.gitCommit, file).toBe(commit);
      expect(prov.gitDirty, file).toBe(dirty);
    }
  });

  it('every part records the git commit, whether the tree was dirty, and the Node and V8 versions', () => {
    const prov = JSON.parse(fs.readFileSync(path.join(TMP, 'part-0', 'part.json'), 'utf8')).provenance;
    expect(prov.node).toBe(process.version);
    expect(prov.v8).toBe(process.versions.v8);
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
    if (head.status === 0) {
      expect(prov.gitCommit).toBe(head.stdout.trim());
      expect(typeof prov.gitDirty).toBe('boolean');
    }
  });

  it('refuses parts built from different commits, naming both', () => {
    const other = path.join(TMP, 'part-1-other-commit');
    edit(path.join(TMP, 'part-1'), other, (p) => (p['gitCommit'] = 'f'.repeat(40)));
    const out = path.join(TMP, 'merged-commits');
    const r = collapse(['merge', path.join(TMP, 'part-0'), other, '--no-plot', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`parts differ in git commit: .* in .*part-0, "${'f'.repeat(40)}" in .*other-commit`));
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses sweep parts built from different commits', () => {
    const other = path.join(TMP, 'sweep-1-other-commit');
    fs.cpSync(path.join(TMP, 'sweep-1'), other, { recursive: true });
    const doc = JSON.parse(fs.readFileSync(path.join(other, 'sweep.json'), 'utf8'));
    doc.provenance.gitCommit = 'e'.repeat(40);
    fs.writeFileSync(path.join(other, 'sweep.json'), JSON.stringify(doc, null, 2));
    const r = collapse(['merge', path.join(TMP, 'sweep-0'), other, '--no-plot', '-o', path.join(TMP, 'merged-sweep-commits')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('parts differ in git commit');
  });

  it('merges parts run on different Node versions, with a warning naming both', () => {
    const other = path.join(TMP, 'part-1-other-node');
    edit(path.join(TMP, 'part-1'), other, (p) => (p['node'] = 'v99.0.0'));
    const r = collapse(['merge', path.join(TMP, 'part-0'), other, '--no-plot', '-o', path.join(TMP, 'merged-nodes')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: parts ran on different runtimes: Node v\S+ \(V8 \S+\) in .*part-0, Node v99\.0\.0 \(V8 \S+\) in /);
  });
});
