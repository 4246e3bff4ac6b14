/**
 * The chunk plan covers every experiment exactly once, in order, and depends on the spec only.
 */
import { describe, expect, it } from 'vitest';
import { chunkSize, planChunks } from '../src/plan.js';

describe('planChunks', () => {
  const cases = [
    { samples: 1000, generations: 1000, experiments: 1000 },
    { samples: 2, generations: 1, experiments: 1 },
    { samples: 10, generations: 10, experiments: 1_000_003 },
    { samples: 100000, generations: 100000, experiments: 7 },
    { samples: 5, generations: 3, experiments: 64 },
  ];
  for (const spec of cases) {
    it(`covers every experiment exactly once for ${JSON.stringify(spec)}`, () => {
      const chunks = planChunks(spec);
      let next = 0;
      chunks.forEach((c, i) => {
        expect(c.index).toBe(i);
        expect(c.start).toBe(next);
        expect(c.count).toBeGreaterThan(0);
        next += c.count;
      });
      expect(next).toBe(spec.experiments);
      expect(chunks.length).toBeLessThanOrEqual(4096);
      expect(planChunks(spec)).toEqual(chunks); // a pure function of the spec
    });
  }

  it('makes at least 64 chunks for the article workload, for load balance', () => {
    expect(planChunks({ samples: 1000, generations: 1000, experiments: 1000 }).length).toBeGreaterThanOrEqual(63);
    expect(chunkSize({ samples: 1000, generations: 1000, experiments: 1000 })).toBe(16);
  });
});
