/**
 * The chunk plan covers every experiment exactly once, in order, and keeps its stated rules: at
 * least 64 chunks when there are 64 experiments, at most 4096, and no more than 2^24 draws in a
 * chunk of several experiments unless the 4096 cap forces it.
 */
import { describe, expect, it } from 'vitest';
import { chunkSize, planChunks, type ChunkSpec } from '../src/plan.js';

const cases: ChunkSpec[] = [
  { samples: 1000, generations: 1000, experiments: 1000 },
  { samples: 2, generations: 1, experiments: 1 },
  { samples: 10, generations: 10, experiments: 1_000_003 },
  { samples: 100000, generations: 100000, experiments: 7 },
  { samples: 5, generations: 3, experiments: 64 },
  { samples: 5, generations: 3, experiments: 63 },
  { samples: 1000, generations: 1000, experiments: 127, method: 'stats' },
  { samples: 1000, generations: 1000, experiments: 10_000_000 },
  { samples: 2, generations: 1, experiments: 100_000_000 },
];

describe('planChunks', () => {
  for (const spec of cases) {
    it(`covers every experiment once, with at least min(E, 64) and at most 4096 chunks, for ${JSON.stringify(spec)}`, () => {
      const chunks = planChunks(spec);
      let next = 0;
      chunks.forEach((c, i) => {
        expect(c.index).toBe(i);
        expect(c.start).toBe(next);
        expect(c.count).toBeGreaterThan(0);
        next += c.count;
      });
      expect(next).toBe(spec.experiments);
      expect(chunks.length).toBeGreaterThanOrEqual(Math.min(spec.experiments, 64));
      expect(chunks.length).toBeLessThanOrEqual(4096);
      // a chunk of several experiments stays within 2^24 draws (one per generation with stats), unless
      // 4096 chunks could not hold the experiments otherwise
      const perExperiment = (spec.method === 'stats' ? 1 : spec.samples) * spec.generations;
      const biggest = Math.max(...chunks.map((c) => c.count));
      if (biggest > 1 && biggest > Math.ceil(spec.experiments / 4096)) expect(biggest * perExperiment).toBeLessThanOrEqual(2 ** 24);
    });
  }

  it('splits the article workload (n = T = E = 1000) into 67 chunks of 15', () => {
    // 2^24 draws would be 17 experiments of 10^6 draws; 64 chunks allow at most ⌊1000/64⌋ = 15
    // experiments each: 66 chunks of 15 and a last one of 10
    const chunks = planChunks({ samples: 1000, generations: 1000, experiments: 1000 });
    expect(chunks.length).toBe(67);
    expect(chunks.slice(0, 66).every((c) => c.count === 15)).toBe(true);
    expect(chunks[66]!.count).toBe(10);
  });

  it('fills chunks to 2^24 draws when the 64-chunk rule allows', () => {
    // 10^6 experiments of 100 draws: 2^24/100 → 167773 per chunk, but 64 chunks need ≤ 15625
    expect(chunkSize({ samples: 10, generations: 10, experiments: 1_000_000 })).toBe(15625);
    // 10^7 experiments: ⌊10^7/64⌋ = 156250 < 167773, so the 64-chunk rule still binds
    expect(chunkSize({ samples: 10, generations: 10, experiments: 10_000_000 })).toBe(156250);
    // 10^8 experiments of 100 draws: the draw target, 167773 per chunk, gives 597 chunks
    expect(chunkSize({ samples: 10, generations: 10, experiments: 100_000_000 })).toBe(167773);
    // stats counts one draw per generation: 2^24/1000 → 16778 experiments of T = 1000
    expect(chunkSize({ samples: 1000, generations: 1000, experiments: 10_000_000, method: 'stats' })).toBe(16778);
  });
});
