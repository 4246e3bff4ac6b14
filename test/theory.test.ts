/**
 * Closed forms against an independent oracle: the replace chain's moments with temperature and the
 * special-function corrections, derived and evaluated with mpmath at 40 digits
 * (test/fixtures/theory_mpmath.py prints the pinned rows below), plus the worked examples of docs/theory.md.
 */
import { describe, expect, it } from 'vitest';
import { digammaMinusLn, lnGammaRatioCorrection, replaceTheory } from '../src/theory.js';

// [n, T, ddof, τ, s0, log10 E[s_T], log10 sd[s_T], E[log10 s_T], sd[log10 s_T], Var[m_T], E[W2²], log10 E[s_T²]]
const ORACLE: number[][] = [
  [1000, 1000, 0, 1, 1, -0.32593817163746003, -0.41963303973217564, -0.43469301993287474, 0.3074000757279742, 0.6323045752290359, 1.0557394973327148, -0.4345117740176913],
  [1000, 10000, 0, 1, 1, -3.2593817163746004, -2.174019595314677, -4.346930199328747, 0.9720843922086408, 0.9999548266540229, 1.9988993524295025, -4.345117740176913],
  [10, 100, 1, 1, 1, -1.2039267937146036, -0.0008506503810692567, -2.5016767190771327, 1.0829642627249558, 10.0, 11.874944383383784, 0.0],
  [2, 10000000, 0, 1, 1, -2485749.3634706694, -1505149.978319906, -4263707.847314073, 1525.4191370418318, 1.0, 2.0, -3010299.956639812],
  [3, 3000, 0, 1, 1, -421.50206653426466, -264.13688858352185, -640.1592557858003, 15.254191370418319, 1.0, 2.0, -528.2737771670437],
  [100000, 1000, 0, 1, 1, -0.0032572303291613456, -1.1532269569508793, -0.0043429846297943255, 0.030709564415236576, 0.009950215753652415, 0.01494398961527054, -0.004342966533901379],
  [50, 200, 1, 1, 1, -0.4431268879321366, -0.03022564956513382, -0.8923436210844483, 0.626804770904901, 4.0, 5.27905338389197, 0.0],
  [7, 1000000, 1, 1, 1, -18014.41461300783, 0.0, -38180.554999818465, 136.46353409972036, 142857.14285714287, 142859.14285714287, 0.0],
  [10, 30, 0, 1.5, 1, 1.50578285978287, 1.8213333496435402, 1.1164578821741113, 0.5931639556664094, 2322.1570003947277, 7678.096668467979, 3.7339217957945023],
  [100, 5, 1, 1.5, 2, 0.6477290908258461, -0.14837471337897729, 0.6422085568758679, 0.06936393810980115, 0.5275, 7.003340128588987, 1.3064250275506875],
  [3, 50, 0, 0.8, 1, -9.399329760935126, -6.776578028903196, -13.043616248460719, 1.969307637916368, 0.7142857142856983, 1.7142857134882823, -13.553153590178825],
  [1000, 1000, 0, 1.001, 1, -0.1091164707178229, -0.2028113388125385, -0.21787131901323756, 0.3074000757279742, 0.9995006661255362, 1.4418473184316065, -0.0008683721784170133],
  [20, 100, 1, 1.05, 0.5, 0.1766631535833313, 0.7316021419125793, -0.4150683365658406, 0.7234532974187832, 32.625314461575975, 62.683161203480346, 1.4956806165959087],
  [5, 1, 0, 3, 1, -0.07533380459725184, -0.5154280295547228, -0.10716355245181901, 0.17438614395132263, 0.2, 0.3185026350806214, -0.09691001300805642],
];

// [x, ln Γ(x+½) − ln Γ(x) − ½ ln x, ψ(x) − ln x]
const SPECIAL: number[][] = [
  [0.5, -0.22579135264472744, -1.2703628454614782],
  [1, -0.12078223763524522, -0.5772156649015329],
  [4.5, -0.027721438882633637, -0.11520647041674517],
  [19.999999, -0.006249349758093905, -0.025208282582664943],
  [20, -0.006249349445691423, -0.025208281311841944],
  [20.5, -0.006096956849494327, -0.024588491436715914],
  [137.5, -0.0009090889056165632, -0.0036407713265493202],
  [10000.0, -1.2499999994791666e-05, -5.00008333333325e-05],
  [100000000.0, -1.25e-09, -5.0000000083333336e-09],
];

function close(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1);
}

const FIELDS = ['log10 E[s]', 'log10 sd[s]', 'E[log10 s]', 'sd[log10 s]', 'Var[m]', 'E[W2²]', 'log10 E[s²]'];

describe('replaceTheory', () => {
  for (const [n, T, ddof, tau, s0, ...want] of ORACLE as [number, number, number, number, number, ...number[]][]) {
    it(`matches mpmath for n=${n}, T=${T}, ddof=${ddof}, τ=${tau}, s0=${s0}`, () => {
      const th = replaceTheory(n, ddof, s0, T, tau);
      const got = [th.sdMeanLog10, th.sdSdLog10, th.log10SdMean, th.log10SdSd, th.meanVar, th.w2sqMean, Math.log10(th.sdSqMean)];
      // 1e-11: the log-space forms lose at most a few ulp per term over the T ≤ 1e7 generations summed
      got.forEach((g, i) => {
        // sdSqMean is a plain double (no log10 field): below 1e-300 it underflows to 0
        if (i === 6 && want[6]! < -300) expect(th.sdSqMean).toBe(0);
        else expect(close(g, want[i]!, 1e-11), `${FIELDS[i]}: ${g} vs ${want[i]}`).toBe(true);
      });
    });
  }

  it("reproduces the worked numbers of docs/theory.md", () => {
    const a = replaceTheory(1000, 0, 1, 1000);
    expect(a.sdMean).toBeCloseTo(0.47213, 5);
    expect(a.sdSd).toBeCloseTo(0.38051, 5);
    expect(a.w2sqMean).toBeCloseTo(1.0557, 4);
    expect(replaceTheory(1000, 0, 1, 10000).sdMean).toBeCloseTo(5.503e-4, 7);
  });
});

describe('special-function corrections', () => {
  // Below x = 20 the difference of two ln Γ of size x ln x cancels to about 1/(8x): a few ulp of
  // x ln x absolute; above, the series stop at a term below 2e-17 (theory.ts), plus rounding.
  for (const [x, g, h] of SPECIAL as [number, number, number][]) {
    it(`match mpmath at x = ${x}`, () => {
      const tol = x < 20 ? 8 * Number.EPSILON * Math.max(1, x * Math.log(x)) : 2e-17;
      expect(Math.abs(lnGammaRatioCorrection(x) - g)).toBeLessThanOrEqual(tol + 4 * Number.EPSILON * Math.abs(g));
      expect(Math.abs(digammaMinusLn(x) - h)).toBeLessThanOrEqual(tol + 4 * Number.EPSILON * Math.abs(h));
    });
  }
});
