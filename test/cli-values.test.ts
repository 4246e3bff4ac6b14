/**
 * What yargs lets through and a command would misread, found by test/fuzz.test.ts: on/off flags
 * given a value other than true or false, value flags negated, dotted or repeated, words after
 * `--`, an empty `slurm --collapse`, and a reader that closes stdout early. Each must be a one-line refusal (exit 2) that
 * leaves nothing behind, or, for the closed pipe, a quiet end.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-values-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function collapse(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('refused: exit 2, one line naming the flag and what was typed, nothing written', () => {
  const TINY = ['-n', '8', '-t', '4', '-e', '3', '-w', '1', '--no-plot'];
  const cases: [string[], string][] = [
    // yargs reads --json=yes, --json=1 and --plot=yes as false: the command would silently do the opposite
    [['theory', '-t', '5', '--json=yes'], '--json=yes'],
    [['theory', '-t', '5', '--json=1'], '--json=1'],
    [['run', ...TINY.slice(0, -1), '--plot=yes', '-o', 'out'], '--plot=yes'],
    // yargs sets a negated value flag to false: slurm wrote its script to a file named "false"
    [['slurm', '--no-write'], '--write'],
    [['slurm', '--no-collapse'], '--collapse'],
    [['theory', '--no-samples'], '--samples'],
    // dot notation made an object: slurm wrote "[object Object]"
    [['slurm', '--write.x=job.sh'], 'write.x'],
    // repeated: slurm joined the values with a comma
    [['slurm', '--write', 'a.sh', '--write', 'b.sh'], '"a.sh", "b.sh"'],
    [['slurm', '--parts', 'p', '--parts', 'q'], '--parts'],
    [['table', 'x', '--digits', '3', '--digits', '4'], '--digits'],
    // the script runs `COLLAPSE run …`: an empty command ran `run`, a newline split the line
    [['slurm', '--collapse', ''], '--collapse'],
    [['slurm', '--collapse', 'a\nb'], '--collapse'],
    // slurm took --workers (from the shared run options) and ignored any value, even -2
    [['slurm', '--workers', '0'], '--workers'],
    [['slurm', '-w', '4'], '--cpus-per-task'],
    // the note on shards without work came before the refusal: two lines
    [['slurm', '-e', '3', '--shards', '100', '--time', 'soon'], '--time'],
    // words after -- were dropped unread: this ran with the default n
    [['run', ...TINY.slice(2), '-o', 'out', '--', '-n', '5'], '"-n", "5"'],
  ];
  for (const [args, shown] of cases) {
    it(`collapse ${args.join(' ')}`, () => {
      const dir = fs.mkdtempSync(path.join(TMP, 'case-'));
      const r = collapse(args, dir);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^collapse: /);
      expect(lines[0]).toContain(shown);
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  }
});

describe('still accepted', () => {
  it('--json=true and --json=false are on and off', () => {
    expect(collapse(['theory', '-t', '5', '--json=true'], TMP).stdout.startsWith('{')).toBe(true);
    const off = collapse(['theory', '-t', '5', '--json=false'], TMP);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^collapse theory: /);
  });

  it("merge's PARTS are a list, not a repeated flag", () => {
    const r = collapse(['merge', 'p0', 'p1', '--no-plot'], TMP);
    expect(r.stderr).not.toContain('given once');
    expect(r.stderr).toContain('p0');
  });
});

describe('a reader that closes stdout early', () => {
  it('ends collapse quietly (exit 0, no EPIPE stack)', async () => {
    // about 1 MB of table: more than a pipe holds, so the write is still pending when the reader goes
    const child = spawn(process.execPath, [CLI, 'theory', '-t', '1..1000000:log:10000'], { cwd: TMP, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
