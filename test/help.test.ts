/**
 * Every command's --help reads cleanly in an 80-column terminal: no line past 80 characters, no
 * misleading type labels or defaults, examples that are whole command lines, and no pointer to a
 * file outside the repository; plus the two help-adjacent fixes (slurm refuses -w, sweep headers
 * count in plurals).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-help-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function collapse(args: string[], columns = '80') {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: TMP,
    env: { ...process.env, COLUMNS: columns },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const COMMANDS = ['run', 'sweep', 'table', 'theory', 'plot', 'merge', 'slurm'];

/** The lines of the Examples section: `# what` comments, each followed by one command line. */
function examples(help: string): string[] {
  const lines = help.split('\n');
  const from = lines.indexOf('Examples:');
  if (from < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(from + 1)) {
    if (l.trim() === '') break;
    out.push(l);
  }
  return out;
}

describe('--help at 80 columns', () => {
  const helps = new Map<string, string>();
  for (const c of ['', ...COMMANDS]) {
    const r = collapse(c === '' ? ['--help'] : [c, '--help']);
    helps.set(c, r.stdout);
  }

  it.each(['', ...COMMANDS])('collapse %s --help: exit 0, every line at most 80 characters', (c) => {
    const help = helps.get(c)!;
    expect(help.length).toBeGreaterThan(100);
    // code points: every character in the help is one column wide
    const long = help.split('\n').filter((l) => [...l].length > 80);
    expect(long).toEqual([]);
  });

  it.each(['', ...COMMANDS])('collapse %s --help: no type labels, no empty or split defaults, no ../shared', (c) => {
    const help = helps.get(c)!;
    expect(help).not.toMatch(/\[(string|number|boolean|array)\]/);
    expect(help).not.toContain('[default: []]');
    expect(help).not.toMatch(/\[default:\s*$/m);
    expect(help).not.toContain('THEORY.md');
    expect(help).not.toContain('../shared');
  });

  it.each(COMMANDS)('collapse %s --help: examples are a comment line and one whole command line each', (c) => {
    const ex = examples(helps.get(c)!);
    expect(ex.length).toBeGreaterThanOrEqual(4);
    expect(ex.length % 2).toBe(0);
    for (let i = 0; i < ex.length; i += 2) {
      expect(ex[i]).toMatch(/^ {2}# \S/);
      expect(ex[i + 1]).toMatch(new RegExp(`^ {2}collapse ${c}( |$)`));
    }
  });

  it('describes every numeric flag of run by the value it takes', () => {
    const help = helps.get('run')!.replace(/\s+/g, ' ');
    for (const rule of ['an integer ≥ 2', 'an integer ≥ 1', 'a number > 0', '0 to 2^53 − 1', '1 to 1024', 'λ from 0 to 1', 'τ > 0']) {
      expect(help).toContain(rule);
    }
  });

  it('run --help puts the sharded --out default under --out, not under --shard', () => {
    const flat = helps.get('run')!.replace(/\s+/g, ' ');
    const out = flat.slice(flat.indexOf('-o, --out'), flat.indexOf('--json'));
    const shard = flat.slice(flat.indexOf('--shard '));
    expect(out).toContain('part-<i>-of-<N>');
    expect(shard).not.toContain('default');
  });

  it('slurm --help does not list --workers, which each task sets from --cpus-per-task', () => {
    expect(helps.get('slurm')!).not.toMatch(/^ +(-w, )?--workers +\S/m);
  });

  it('wraps to a wider terminal too, still within 100 columns', () => {
    const r = collapse(['run', '--help'], '200');
    const widest = Math.max(...r.stdout.split('\n').map((l) => [...l].length));
    expect(widest).toBeGreaterThan(80);
    expect(widest).toBeLessThanOrEqual(100);
  });
});

describe('help-adjacent behaviour', () => {
  it('slurm -w is refused with exit 2, naming --cpus-per-task', () => {
    const r = collapse(['slurm', '-w', '4']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--workers is not a slurm flag');
    expect(r.stderr).toContain('--cpus-per-task');
    expect(r.stdout).toBe('');
  });

  it('the sweep header counts each swept flag in a plural: 2 regimes, 2 seeds', () => {
    const r = collapse(['sweep', '-n', '3', '-t', '2', '-e', '3', '--regime', 'replace,accumulate', '--seed', '1,5', '--no-plot', '-o', 'plural']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('4 points: 2 seeds × 2 regimes');
  });
});
