/**
 * Closed forms against an independent oracle: the formulas of docs/theory.md evaluated with mpmath at 40
 * digits (test/fixtures/theory_mpmath.py prints the pinned rows below), plus its worked numbers.
 */
import { describe, expect, it } from 'vitest';
import { digammaMinusLn, lnGammaRatioCorrection, replaceTheory } from '../src/theory.js';

// [n, T, ddof, log10 E[s_T], log10 sd[s_T], E[log10 s_T], sd[log10 s_T], Var[m_T], E[W2²]]
const ORACLE: number[][] = [[1000, 1000, 0, -0.32593817163746003, -0.41963303973217564, -0.43469301993287474, 0.3074000757279742, 0.6323045752290359, 1.0557394973327148], [1000, 10000, 0, -3.2593817163746004, -2.174019595314677, -4.346930199328747, 0.9720843922086408, 0.9999548266540229, 1.9988993524295025], [10, 100, 1, -1.2039267937146036, -0.0008506503810692567, -2.5016767190771327, 1.0829642627249558, 10.0, 11.874944383383784], [2, 10000000, 0, -2485749.3634706694, -1505149.978319906, -4263707.847314073, 1525.4191370418318, 1.0, 2.0], [3, 3000, 0, -421.50206653426466, -264.13688858352185, -640.1592557858003, 15.254191370418319, 1.0, 2.0], [100000, 1000, 0, -0.0032572303291613456, -1.1532269569508793, -0.0043429846297943255, 0.030709564415236576, 0.009950215753652415, 0.01494398961527054], [50, 200, 1, -0.4431268879321366, -0.03022564956513382, -0.8923436210844483, 0.626804770904901, 4.0, 5.27905338389197], [7, 1000000, 1, -18014.41461300783, 0.0, -38180.554999818465, 136.46353409972036, 142857.14285714287, 142859.14285714287]];

function close(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1) ;
}

describe('replaceTheory', () => {
  for (const [n, T, ddof, lm, ls, el, sl, vm, w2] of ORACLE as [number, number, number, number, number, number, number, number, number][]) {
    it(`matches mpmath for n=${n}, T=${T}, ddof=${ddof}`, () => {
      const th = replaceTheory(n, ddof, 1, T);
      const got = [th.sdMeanLog10, th.sdSdLog10, th.log10SdMean, th.log10SdSd, th.meanVar, th.w2sqMean];
      const want = [lm, ls, el, sl, vm, w2];
      got.forEach((g, i) => expect(close(g, want[i]!, 1e-11), `field ${i}: ${g} vs ${want[i]}`).toBe(true));
    });
  }

  it("reproduces the worked numbers of docs/theory.md", () => {
    const a = replaceTheory(1000, 0, 1, 1000);
    expect(a.sdMean).toBeCloseTo(0.47213, 5);
    expect(a.sdSd).toBeCloseTo(0.38051, 5);
    expect(a.w2sqMean).toBeCloseTo(1.0557, 4);
    expect(replaceTheory(1000, 0, 1, 10000).sdMean).toBeCloseTo(5.503e-4, 7);
  });

  it('scales with s0 as the chain is scale-free', () => {
    const a = replaceTheory(20, 0, 1, 50);
    const b = replaceTheory(20, 0, 3, 50);
    expect(b.sdMean / a.sdMean).toBeCloseTo(3, 12);
    expect(b.log10SdMean - a.log10SdMean).toBeCloseTo(Math.log10(3), 12);
    expect(b.meanVar / a.meanVar).toBeCloseTo(9, 12);
  });

  it('switches from special functions to series without a jump', () => {
    for (const f of [lnGammaRatioCorrection, digammaMinusLn]) {
      const below = f(20 - 1e-9);
      const above = f(20);
      expect(Math.abs(below - above)).toBeLessThan(1e-10 * Math.abs(above));
    }
  });
});
