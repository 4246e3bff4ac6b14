/**
 * Result files larger than a string or the JavaScript heap can hold: trajectory.csv formed and
 * written a block of rows at a time, finals.csv held as bytes off the heap and written in parts,
 * the figures reading only the columns they draw, a file read in chunks; and a run whose recorded
 * rows would outgrow the heap refused up front instead of crashing after its work.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSpec } from '../src/engine.js';
import { parseCsv, readCsv } from '../src/plot/csv.js';
import { writeContent } from '../src/results.js';
import { resolveRunSpec } from '../src/spec.js';
import { allRows, finalsCsv, finalsParts, trajectoryCsv, trajectoryParts } from '../src/summary.js';
import { finalsRows } from '../src/csv.js';
import { rng } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-large-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

const text = (parts: Iterable<string | Uint8Array>): string =>
  [...parts].map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('latin1'))).join('');

describe('readCsv reads a file in chunks as parseCsv parses its text', () => {
  // each text with the table it holds, written out by hand (lines end in \r?\n; empty lines at
  // the end are no rows; quoted cells keep their commas and doubled quotes)
  const cases: [string, string, string[], string[][]][] = [
    ['plain', 'a,b,c\n1,2,3\n4,5,6\n', ['a', 'b', 'c'], [['1', '2', '3'], ['4', '5', '6']]],
    ['CRLF, no final newline', 'a,b\r\n1,2\r\n3,4', ['a', 'b'], [['1', '2'], ['3', '4']]],
    ['blank lines at the end are dropped', 'a,b\n1,2\n\n\n', ['a', 'b'], [['1', '2']]],
    ['quoted cells with commas and doubled quotes', 'a,b\n"x,y","say ""hi"""\n1,2\n', ['a', 'b'], [['x,y', 'say "hi"'], ['1', '2']]],
    ['UTF-8 over chunk edges', 'σ,名前\n𝜎 sd,é\nα,β\n', ['σ', '名前'], [['𝜎 sd', 'é'], ['α', 'β']]],
    ['a lone carriage return at the end stays', 'a\nx\r', ['a'], [['x\r']]],
    ['one column with an empty line inside', 'a\n1\n\n2\n', ['a'], [['1'], [''], ['2']]],
  ];
  for (const [name, body, columns, rows] of cases) {
    it(name, () => {
      const file = path.join(TMP, `${name.replace(/\W+/g, '-')}.csv`);
      fs.writeFileSync(file, body);
      const want = { file, columns, rows };
      expect(parseCsv(body, file)).toEqual(want);
      for (const chunk of [1, 2, 3, 5, 7, 64, 1 << 22]) expect(readCsv(file, undefined, chunk), `chunk ${chunk}`).toEqual(want);
    });
  }

  it('gives the same errors: a row of the wrong width by its line, an empty file', () => {
    const bad = path.join(TMP, 'bad.csv');
    fs.writeFileSync(bad, 'a,b\n1,2\n3\n');
    for (const chunk of [1, 4, 1 << 22]) expect(() => readCsv(bad, undefined, chunk)).toThrow(`${bad} line 3 has 1 cells, the header has 2`);
    expect(() => parseCsv('a,b\n1,2\n3\n', bad)).toThrow(`${bad} line 3 has 1 cells, the header has 2`);
    const empty = path.join(TMP, 'empty.csv');
    fs.writeFileSync(empty, '\n\n');
    expect(() => readCsv(empty)).toThrow(/is empty: expected a header line/);
    expect(() => readCsv(path.join(TMP, 'absent.csv'))).toThrow(/cannot read .*absent\.csv/);
  });

  it('with `only`, keeps those columns in that order (those the header has), every row checked as before', () => {
    const file = path.join(TMP, 'only.csv');
    const r = rng(7);
    const rows = Array.from({ length: 500 }, (_, i) => [i, r(), r() < 0.1 ? 'NA' : r()].join(','));
    fs.writeFileSync(file, `g,x,y\n${rows.join('\n')}\n`);
    const all = parseCsv(fs.readFileSync(file, 'utf8'));
    const t = readCsv(file, ['y', 'g', 'absent'], 1000);
    expect(t.columns).toEqual(['y', 'g']);
    expect(t.rows).toEqual(all.rows.map((c) => [c[2], c[0]]));
  });
});

describe('writeContent writes parts as the whole text', () => {
  it('strings and bytes, small and past its write block, and no part at all', () => {
    const r = rng(3);
    const parts: (string | Uint8Array)[] = [];
    for (let i = 0; i < 800; i++) {
      const s = Array.from({ length: 1 + Math.floor(r() * 8000) }, () => String.fromCharCode(32 + Math.floor(r() * 90))).join('');
      parts.push(i % 3 === 0 ? Buffer.from(s, 'latin1') : s);
    }
    const file = path.join(TMP, 'parts.txt');
    writeContent(file, parts);
    expect(fs.readFileSync(file, 'latin1')).toBe(text(parts));
    expect(fs.statSync(file).size).toBeGreaterThan(2 ** 21); // past two write blocks
    writeContent(file, []);
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    writeContent(file, ['é', 'σ']); // a string part as UTF-8, as writeFileSync writes it
    expect(fs.readFileSync(file, 'utf8')).toBe('éσ');
  });
});

describe('trajectory.csv and finals.csv in parts', () => {
  it('trajectoryParts in any block size is trajectoryCsv of all rows at once', async () => {
    for (const raw of [
      { samples: '20', generations: '37', experiments: '40', every: '1' },
      { samples: '20', generations: '12', experiments: '30', model: 'categorical', categories: '5' },
    ]) {
      const spec = resolveRunSpec(raw);
      const out = await runSpec(spec, 1, undefined, undefined, 'inline');
      const whole = trajectoryCsv(allRows(out));
      for (const block of [1, 5, out.rows - 1, out.rows, out.rows + 3]) expect(text(trajectoryParts(out, block)), `block ${block}`).toBe(whole);
    }
  });

  it('finalsParts in any block size is the final row formatted at once', async () => {
    const spec = resolveRunSpec({ samples: '20', generations: '5', experiments: '103' });
    const out = await runSpec(spec, 1, undefined, undefined, 'inline');
    const bare = { ...out, finalsBody: undefined };
    const ls = out.lnSd[out.rows - 1]!;
    const finals = out.metrics.map((perRow) => perRow[out.rows - 1]!);
    const body = finalsRows(ls, out.finalMean, finals, 0, ls.length);
    expect(finalsCsv(out).endsWith(body)).toBe(true);
    for (const block of [1, 10, 102, 103, 5000]) expect(text(finalsParts(bare, block)), `block ${block}`).toBe(finalsCsv(out));
  });
});

/** collapse with `node` flags and extra environment, with a hard time limit. */
function collapseWith(nodeFlags: string[], args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...nodeFlags, CLI, ...args], {
    cwd: TMP,
    encoding: 'utf8',
    timeout: 120_000,
    killSignal: 'SIGKILL',
    env: { ...process.env, ...env },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** collapse under a JavaScript heap of `heapMiB` (V8's old space). */
function collapseInHeap(heapMiB: number, args: string[]) {
  return collapseWith([`--max-old-space-size=${heapMiB}`], args);
}

describe('a run whose files outgrow a small heap', () => {
  // both crashed (V8 out of memory, exit 134) in a 200 MiB heap when each file was one string
  // (and its rows' statistics all held at once, and the figures read every cell)
  it('20000 recorded rows: trajectory.csv and its figures in a 200 MiB heap', () => {
    const r = collapseInHeap(200, ['run', '-n', '10', '-t', '20000', '--every', '1', '-e', '16', '--method', 'stats', '-o', 'rows']);
    expect(r.stderr).not.toMatch(/heap|out of memory/i);
    expect(r.code).toBe(0);
    const t = readCsv(path.join(TMP, 'rows', 'trajectory.csv'), ['generation']);
    expect(t.rows).toHaveLength(20000);
    expect(t.rows[19999]).toEqual(['20000']);
    expect(fs.readdirSync(path.join(TMP, 'rows', 'figures'))).toContain('sd-trajectory.png');
  }, 180_000);

  it('600000 experiments: finals.csv and its figure in a 200 MiB heap', () => {
    const r = collapseInHeap(200, ['run', '-n', '10', '-t', '2', '-e', '600000', '--method', 'stats', '-o', 'wide']);
    expect(r.code, r.stderr).toBe(0);
    const t = readCsv(path.join(TMP, 'wide', 'finals.csv'), ['experiment']);
    expect(t.rows).toHaveLength(600000);
    expect(t.rows[599999]).toEqual(['599999']);
    expect(fs.readdirSync(path.join(TMP, 'wide', 'figures'))).toContain('final-log10sd.png');
  }, 180_000);

  it('rows beyond the heap are refused up front: exit 2, one line naming --every and the way out, nothing written', () => {
    const r = collapseInHeap(200, ['run', '-n', '10', '-t', '200000', '--every', '1', '-e', '16', '--method', 'stats', '-o', 'refused']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^collapse: --every 1 records 200000 generations, whose statistics need about .* of JavaScript heap \(this process's limit is .*; NODE_OPTIONS=--max-old-space-size=<MiB> raises it\); use --every \d+ or more$/);
    expect(fs.existsSync(path.join(TMP, 'refused'))).toBe(false);
    // the --every it names is accepted (refused no longer by the heap)
    const every = Number(/use --every (\d+)/.exec(lines[0]!)![1]);
    const ok = collapseInHeap(200, ['run', '-n', '10', '-t', '200000', '--every', String(every), '-e', '16', '--method', 'stats', '--no-plot', '-o', 'accepted']);
    expect(ok.code, ok.stderr).toBe(0);
  }, 180_000);
});

describe('a long trajectory shows its own progress while it is written', () => {
  it('--progress lines: a line per block of rows, then a closing line; a short one prints none', () => {
    const run = (t: string, out: string) =>
      collapseWith([], ['run', '-n', '10', '-t', t, '--every', '1', '-e', '16', '--method', 'stats', '--no-plot', '--progress', 'lines', '-o', out], {
        COLLAPSE_PROGRESS_INTERVAL: '0',
      });
    const long = run('2500', 'progress-long');
    expect(long.code, long.stderr).toBe(0);
    const lines = long.stderr.split('\n').filter((l) => l.includes('trajectory.csv'));
    expect(lines.map((l) => /trajectory\.csv: (\d+\/\d+ rows|\d+ rows), (\d+)%/.exec(l)?.slice(1, 3).join(' '))).toEqual([
      '1024/2500 rows 41',
      '2048/2500 rows 82',
      '2500/2500 rows 100',
      '2500 rows 100',
    ]);
    const short = run('1000', 'progress-short');
    expect(short.code).toBe(0);
    expect(short.stderr).not.toContain('trajectory.csv');
  }, 120_000);
});
