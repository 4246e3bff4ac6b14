/**
 * Result files: atomic directory writes, schema-version checks on read (older and newer refused
 * with distinct messages), and the up-front disk-space check.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFreeSpace, checkOutDir, readResultDocument, writeResultDir } from '../src/results.js';
import { SCHEMA_VERSION } from '../src/summary.js';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-results-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('writeResultDir', () => {
  it('writes every file, replaces a previous result, and leaves no temporary directory', () => {
    const out = path.join(TMP, 'r');
    writeResultDir(out, { 'a.csv': 'x\n', 'summary.json': '{}\n' });
    writeResultDir(out, { 'a.csv': 'y\n', 'summary.json': '{"v":2}\n', 'b.bin': new Uint8Array([1, 2]) });
    expect(fs.readFileSync(path.join(out, 'a.csv'), 'utf8')).toBe('y\n');
    expect([...fs.readFileSync(path.join(out, 'b.bin'))]).toEqual([1, 2]);
    expect(fs.readdirSync(TMP).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('checkOutDir refuses a foreign non-empty directory and a file', () => {
    const foreign = path.join(TMP, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'x'), '');
    expect(() => checkOutDir(foreign)).toThrow(/--out must be a new directory or a previous collapse result/);
    expect(() => checkOutDir(path.join(foreign, 'x'))).toThrow(/--out must be a directory/);
  });
});

describe('readResultDocument', () => {
  const file = path.join(TMP, 'doc.json');
  const write = (v: unknown, kind = 'collapse.run') => fs.writeFileSync(file, JSON.stringify({ schemaVersion: v, kind }));

  it('accepts this version and refuses older and newer ones with distinct messages', () => {
    const v = SCHEMA_VERSION;
    write(v);
    expect(readResultDocument(file, 'collapse.run')['schemaVersion']).toBe(v);
    write(v - 1);
    expect(() => readResultDocument(file, 'collapse.run')).toThrow(new RegExp(`older than this collapse's ${v}: re-run it`));
    write(v + 1);
    expect(() => readResultDocument(file, 'collapse.run')).toThrow(new RegExp(`newer than this collapse's ${v}: upgrade collapse`));
    write(String(v));
    expect(() => readResultDocument(file, 'collapse.run')).toThrow(/no schemaVersion/);
    write(v, 'collapse.sweep');
    expect(() => readResultDocument(file, 'collapse.run')).toThrow(/is a collapse.sweep document, expected collapse.run/);
  });
});

describe('checkFreeSpace', () => {
  it('refuses, before any work, results larger than the free space, and passes small ones', () => {
    expect(() => checkFreeSpace(path.join(TMP, 'new', 'dir'), 2 ** 62)).toThrow(/the results need about .* MiB of disk, but only .* MiB is free there/);
    expect(() => checkFreeSpace(path.join(TMP, 'new', 'dir'), 1024)).not.toThrow();
  });
});

describe('theory computed ahead (prefetchTheory)', () => {
  it('gives allRows the numbers it computes itself, is taken once, and is ignored at another row count', async () => {
    const { runSpec } = await import('../src/engine.js');
    const { resolveRunSpec } = await import('../src/spec.js');
    const { allRows, prefetchTheory, runTheory } = await import('../src/summary.js');
    const spec = resolveRunSpec({ samples: '30', generations: '40', experiments: '50', every: '4' });
    const out = await runSpec(spec, 1, undefined, undefined, 'inline');
    const fresh = JSON.stringify(allRows(out));
    prefetchTheory(spec, out.rows);
    expect(JSON.stringify(allRows(out))).toBe(fresh);
    // a prefetch at the wrong row count is not used: its theory would be of other generations
    prefetchTheory(spec, 3);
    const rows = allRows(out);
    expect(JSON.stringify(rows)).toBe(fresh);
    expect(rows.map((r) => r.theory)).toEqual(runTheory(spec, out.rows).rows);
  });
});
