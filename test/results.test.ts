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

describe('theory, computed once per spec less its seed (runTheory, runMetricTheory, prefetchTheory)', () => {
  const gensOf = (rows: number, T: number, every: number): number[] =>
    Array.from({ length: rows }, (_, r) => Math.min((r + 1) * every, T));

  it('gives allRows the family\'s own numbers, at each row count its own generations', async () => {
    const { runSpec } = await import('../src/engine.js');
    const { resolveRunSpec } = await import('../src/spec.js');
    const { familyOf } = await import('../src/families/index.js');
    const { allRows, prefetchTheory, runTheory, runMetricTheory } = await import('../src/summary.js');
    const spec = resolveRunSpec({ samples: '30', generations: '40', experiments: '50', every: '4' });
    const out = await runSpec(spec, 1, undefined, undefined, 'inline');
    const family = familyOf(spec.model);
    prefetchTheory(spec, out.rows);
    const rows = allRows(out);
    // against the family's closed forms called directly, not through the store
    expect(rows.map((r) => r.theory)).toEqual(family.sdTheory(spec, gensOf(10, 40, 4)).rows);
    expect(runMetricTheory(spec, out.rows)).toEqual(family.theory(spec, gensOf(10, 40, 4)));
    // another row count is other generations, not the stored ones
    expect(runTheory(spec, 3).rows).toEqual(family.sdTheory(spec, gensOf(3, 40, 4)).rows);
    expect(runTheory(spec, out.rows).rows).toHaveLength(10);
    // another seed shares it; another sample size does not
    expect(runTheory({ ...spec, seed: 99 }, out.rows)).toBe(runTheory(spec, out.rows));
    expect(runTheory({ ...spec, samples: 31 }, out.rows)).not.toBe(runTheory(spec, out.rows));
  });

  it('keeps the last few, but not more recorded rows than its bound: a sweep of long, distinct points holds one at a time', async () => {
    const { resolveRunSpec } = await import('../src/spec.js');
    const { runTheory } = await import('../src/summary.js');
    const short = [30, 31, 32].map((n) => resolveRunSpec({ samples: String(n), generations: '20', experiments: '5' }));
    const first = short.map((s) => runTheory(s, 20));
    short.forEach((s, i) => expect(runTheory(s, 20)).toBe(first[i]));
    // two specs of 9000 recorded rows each are more than 2^14 rows together: the older goes
    const [a, b] = [40, 41].map((n) => resolveRunSpec({ samples: String(n), generations: '9000', every: '1', experiments: '5' }));
    const ta = runTheory(a!, 9000);
    expect(runTheory(a!, 9000)).toBe(ta);
    const tb = runTheory(b!, 9000);
    expect(runTheory(b!, 9000)).toBe(tb);
    const again = runTheory(a!, 9000);
    expect(again).not.toBe(ta);
    expect(again).toEqual(ta);
  });

  it('is frozen, so that no reader can change what the next one reads', async () => {
    const { resolveRunSpec } = await import('../src/spec.js');
    const { runTheory, runMetricTheory } = await import('../src/summary.js');
    const spec = resolveRunSpec({ samples: '30', generations: '8', experiments: '5' });
    const th = runTheory(spec, 8);
    expect(() => {
      (th.rows[0]!.sd as { mean: number }).mean = 0;
    }).toThrow(TypeError);
    expect(() => {
      (runMetricTheory(spec, 8) as unknown as Record<string, unknown>)['x'] = 1;
    }).toThrow(TypeError);
  });

  it('reads no seed, in any family (what lets points of a sweep that differ in seed share it)', async () => {
    const { resolveRunSpec } = await import('../src/spec.js');
    const { allFamilies } = await import('../src/families/index.js');
    const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
    const extra: Record<string, Record<string, string>> = {
      ngram: { corpus: path.join(ROOT, 'test', 'fixtures', 'ngram-small.txt'), order: '1', tokens: '40' },
    };
    for (const family of allFamilies()) {
      const flags = { model: family.name, generations: '6', experiments: '4', ...(extra[family.name] ?? { samples: '40' }) };
      const a = resolveRunSpec({ ...flags, seed: '1' });
      const b = resolveRunSpec({ ...flags, seed: '123456789' });
      const gens = gensOf(6, 6, 1);
      expect(family.theory(b, gens), family.name).toEqual(family.theory(a, gens));
      if (family.hasSdSummary(a)) expect(family.sdTheory(b, gens), family.name).toEqual(family.sdTheory(a, gens));
    }
  });
});
