/**
 * The sweep grid: lists, ranges, steps and log scales parse to the documented values; bad syntax
 * is a usage error naming the flag; expansion follows the documented order, seeds replicates with
 * seed + r, validates every point and refuses the same run twice.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { expandGrid, parseAxis, SWEEP_FLAG_NAMES } from '../src/grid.js';
import { specHash } from '../src/spec.js';
import { formatNumber } from '../src/table.js';

const values = (flag: string, kind: 'integer' | 'real' | 'word', raw: string) => parseAxis(flag, kind, raw).map((v) => v.value);

describe('parseAxis', () => {
  it('reads single values and comma lists, in the order given', () => {
    expect(values('samples', 'integer', '1000')).toEqual([1000]);
    expect(values('samples', 'integer', '100, 10,1e3')).toEqual([100, 10, 1000]);
    expect(values('sd0', 'real', '0.5,2')).toEqual([0.5, 2]);
    expect(values('regime', 'word', 'replace,accumulate')).toEqual(['replace', 'accumulate']);
  });

  it('expands a..b, a..b:step and mixed items', () => {
    expect(values('generations', 'integer', '1..5')).toEqual([1, 2, 3, 4, 5]);
    expect(values('generations', 'integer', '10..50:20')).toEqual([10, 30, 50]);
    expect(values('generations', 'integer', '10..55:20')).toEqual([10, 30, 50]);
    expect(values('generations', 'integer', '7..7')).toEqual([7]);
    expect(values('seed', 'integer', '1,10..12')).toEqual([1, 10, 11, 12]);
    expect(values('samples', 'integer', '1e2..3e2:1e2')).toEqual([100, 200, 300]);
  });

  it('log scale: k points from a to b inclusive, rounded, duplicates removed, increasing', () => {
    expect(values('generations', 'integer', '10..1000:log:3')).toEqual([10, 100, 1000]);
    expect(values('generations', 'integer', '1..10000:log:5')).toEqual([1, 10, 100, 1000, 10000]);
    expect(values('generations', 'integer', '1..4:log:10')).toEqual([1, 2, 3, 4]);
    expect(values('samples', 'integer', '2..1000:log:4')).toEqual([2, 16, 126, 1000]);
    expect(values('epsilon', 'real', '0.001..0.1:log:3')).toEqual([0.001, 0.01, 0.1]);
  });

  it('lin scale for reals (and integers), free of rounding noise', () => {
    expect(values('fresh', 'real', '0..1:lin:11')).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(values('temperature', 'real', '0.5..1.5:lin:3')).toEqual([0.5, 1, 1.5]);
    expect(values('mean0', 'real', '-1..1:lin:3')).toEqual([-1, 0, 1]);
    expect(values('samples', 'integer', '10..20:lin:4')).toEqual([10, 13, 17, 20]);
  });

  it('keeps single values as typed, so resolveRunSpec can quote them', () => {
    expect(parseAxis('samples', 'integer', '1e3')[0]).toEqual({ text: '1e3', value: 1000 });
    expect(parseAxis('samples', 'integer', 'abc')[0]).toEqual({ text: 'abc', value: 'abc' });
  });

  const bad: [string, 'integer' | 'real' | 'word', string, RegExp][] = [
    ['samples', 'integer', '10..5', /--samples .*"10\.\.5".*end is below the start/],
    ['samples', 'integer', '1..x', /--samples .*"1\.\.x"/],
    ['samples', 'integer', '1..2..3', /--samples .*exactly one "\.\."/],
    ['samples', 'integer', '1.5..3', /--samples .*not an integer/],
    ['generations', 'integer', '1..10:0', /--generations .*step must be ≥ 1/],
    ['generations', 'integer', '1..10:log:1', /--generations .*count k/],
    ['generations', 'integer', '0..10:log:3', /--generations .*log scale needs a start > 0/],
    ['generations', 'integer', '1..10:cubic:3', /--generations .*unknown form "cubic:3"/],
    ['generations', 'integer', '1..1000000000', /--generations .*more than 10000/],
    ['sd0', 'real', '0.5..2', /--sd0 .*takes real values.*:lin:k or :log:k/],
    ['samples', 'integer', '10,,20', /--samples must be a comma list of values with no empty item/],
    ['samples', 'integer', '10,', /--samples must be a comma list/],
    ['samples', 'integer', '10,1e1', /--samples must list each value once, got "10"/],
    ['generations', 'integer', '1..3,2', /--generations must list each value once/],
  ];
  for (const [flag, kind, raw, re] of bad) {
    it(`refuses --${flag} ${raw}`, () => {
      expect(() => parseAxis(flag, kind, raw)).toThrow(UsageError);
      expect(() => parseAxis(flag, kind, raw)).toThrow(re);
    });
  }

  it('refuses a flag given twice', () => {
    expect(() => parseAxis('samples', 'integer', ['10', '20'] as unknown as string)).toThrow(/--samples must be given once/);
  });
});

describe('expandGrid', () => {
  it('is the Cartesian product in runOptions order, last flag fastest, replicates fastest of all', () => {
    const g = expandGrid({ samples: '10,20', generations: '5,6', seed: '7', replicates: '2' });
    expect(g.points.map((p) => [p.spec.samples, p.spec.generations, p.spec.seed, p.replicate])).toEqual([
      [10, 5, 7, 0],
      [10, 5, 8, 1],
      [10, 6, 7, 0],
      [10, 6, 8, 1],
      [20, 5, 7, 0],
      [20, 5, 8, 1],
      [20, 6, 7, 0],
      [20, 6, 8, 1],
    ]);
    expect(g.points.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(g.points.every((p) => p.hash === specHash(p.spec))).toBe(true);
    expect(g.varying).toEqual(['samples', 'generations']);
    expect(g.axes['samples']).toEqual([10, 20]);
    expect(g.axes['ddof']).toBeNull();
    expect(SWEEP_FLAG_NAMES).toEqual(['samples', 'generations', 'experiments', 'ddof', 'mean0', 'sd0', 'seed', 'every', 'rng', 'regime', 'fresh', 'synthetic', 'temperature', 'method', 'epsilon', 'model', 'dim', 'categories', 'dist', 'smoothing', 'top-k', 'top-p', 'corpus', 'order', 'tokens', 'noise', 'ridge', 'data', 'bandwidth', 'components', 'components0']);
  });

  it('--synthetic is a real flag: lists and ranges, each point an augment run', () => {
    const g = expandGrid({ regime: 'augment', samples: '10', synthetic: '0,0.5,0.1..10:log:3' });
    expect(g.points.map((p) => p.spec.synthetic)).toEqual([0, 0.5, 0.1, 1, 10]);
    expect(g.points.every((p) => p.spec.regime === 'augment')).toBe(true);
    expect(new Set(g.points.map((p) => p.hash)).size).toBe(5);
  });

  it('spec hashes of runs without augment are those of the version before it (synthetic enters only under augment)', () => {
    // computed by the build before --synthetic existed
    const before: [Record<string, string>, string][] = [
      [{}, '5c1e5eb5395f'],
      [{ regime: 'fresh', fresh: '0.3' }, '2457aa2ec852'],
      [{ regime: 'accumulate', samples: '10', temperature: '0.8' }, '850080acc7ea'],
      [{ regime: 'accumulate-subsample', ddof: '1' }, '40423f33164c'],
      [{ method: 'stats', generations: '5000', seed: '7' }, '56ad35ca48ba'],
    ];
    for (const [flags, hash] of before) expect(expandGrid(flags).points[0]!.hash, JSON.stringify(flags)).toBe(hash);
  });

  it('replicates use seed + r from the default seed too', () => {
    const g = expandGrid({ replicates: '3' });
    expect(g.points.map((p) => p.spec.seed)).toEqual([1, 2, 3]);
  });

  it('resolves each point: per-point defaults (every) follow its own T', () => {
    const g = expandGrid({ generations: '10,5000' });
    expect(g.points.map((p) => p.spec.every)).toEqual([1, 5]);
  });

  it('the grid hash depends on the points, not on how they were written', () => {
    expect(expandGrid({ samples: '10,20' }).hash).toBe(expandGrid({ samples: '10..20:10', ddof: '0' }).hash);
    expect(expandGrid({ samples: '10,20' }).hash).not.toBe(expandGrid({ samples: '20,10' }).hash);
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ samples: '1,10' }, /^--samples must be an integer ≥ 2.*got "1"$/],
    [{ samples: '1..3' }, /--samples must be an integer ≥ 2.*got "1"/],
    [{ regime: 'replace,fresh', fresh: '0.5' }, /--fresh needs --regime fresh, got --regime replace/],
    [{ regime: 'replace,fresh' }, /--regime fresh needs --fresh/],
    [{ regime: 'replace,augment', synthetic: '1' }, /--synthetic needs --regime augment, got --regime replace/],
    [{ regime: 'augment', synthetic: '1,-0.5' }, /--synthetic must be a number ≥ 0.*got "-0\.5"/],
    [{ regime: 'augment' }, /--regime augment needs --synthetic/],
    [{ regime: 'augment', samples: '10', synthetic: '1e15' }, /--synthetic must be a number ≥ 0 with n \+ round\(λn\) ≤ 2\^53 − 1 \(n = 10\), got "1e15"/],
    [{ regime: 'augment', synthetic: 'Infinity' }, /--synthetic must be .*got "Infinity"/],
    [{ method: 'resample,stats', regime: 'accumulate-subsample' }, /--method stats/],
    [{ rng: 'fast,mt' }, /--rng must be one of fast, x256, stdlib, got "mt"/],
    [{ replicates: '0' }, /--replicates must be an integer from 1/],
    [{ seed: '1,2', replicates: '2' }, /same run twice: point 1 .*seed=2.* and point 2 .*seed=2.*space the --seed values/],
    [{ samples: '2..10001', generations: '1..11' }, /more than 100000/],
  ];
  for (const [raw, re] of bad) {
    it(`refuses ${JSON.stringify(raw)}`, () => {
      expect(() => expandGrid(raw)).toThrow(UsageError);
      expect(() => expandGrid(raw)).toThrow(re);
    });
  }
});

describe('table number formatting', () => {
  it('significant digits, scientific outside [1e-3, 10^digits), n/a, and underflow through log10', () => {
    expect(formatNumber(0.472130251, 4, 'markdown')).toBe('0.4721');
    expect(formatNumber(-0.43469, 4, 'latex')).toBe('$-0.4347$');
    expect(formatNumber(0.99996, 4, 'csv')).toBe('1.000');
    expect(formatNumber(5.5032e-4, 4, 'markdown')).toBe('5.503e-4');
    expect(formatNumber(1.2345e-5, 3, 'latex')).toBe('$1.23\\times10^{-5}$');
    expect(formatNumber(123456, 4, 'csv')).toBe('1.235e5');
    expect(formatNumber(NaN, 4, 'latex')).toBe('n/a');
    expect(formatNumber(NaN, 4, 'csv')).toBe('NA');
    expect(formatNumber(0, 4, 'latex', -640.27)).toBe('$5.370\\times10^{-641}$');
    expect(formatNumber(0, 3, 'markdown', -2.0000001)).toBe('1.00e-2');
  });
});
