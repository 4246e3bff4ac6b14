/** Aligned tables count a combining mark (the hat of μ̂, Σ̂) as no column of its own. */
import { describe, expect, it } from 'vitest';
import { alignRows, displayWidth, padEndTo, padStartTo } from '../src/textwidth.js';

describe('displayWidth and alignRows', () => {
  it('gives a letter with a combining hat one column', () => {
    expect(displayWidth('μ̂')).toBe(1);
    expect('μ̂'.length).toBe(2);
    expect(displayWidth('‖μ̂ − μ0‖²: mean')).toBe(15);
    expect(displayWidth('tr Σ̂ / tr Σ0')).toBe(12);
    expect(padEndTo('Σ̂', 3)).toBe('Σ̂  ');
    expect(padStartTo('x', 3)).toBe('  x');
    expect(padStartTo('wider', 3)).toBe('wider');
  });

  it('ends every column at the same terminal column, hats or not', () => {
    const lines = alignRows(
      [
        ['statistic', 'value'],
        ['sd: mean', '0.48'],
        ['‖μ̂ − μ0‖²: mean', '0.64384'],
        ['tr Σ̂ / tr Σ0: mean', '1'],
      ],
      true,
    );
    expect(lines[1]).toMatch(/^-+ {2}-+$/);
    // columns as a terminal shows them, counted independently: code points less the hats (U+0302)
    const columns = (l: string) => [...l].length - (l.match(/\u0302/g) ?? []).length;
    expect(new Set(lines.map(columns)).size).toBe(1);
  });
});
