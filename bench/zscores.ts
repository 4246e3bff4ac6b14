/**
 * Calibration of the z-scores (not part of the test suite: minutes of CPU): runs each case over
 * many seeds with --method stats and reports, per z, how often it is given, its mean and sd, and
 * the share with |z| > 3 (N(0, 1): 0.27%). Usage: node dist/bench/zscores.js [seeds] [case-name…].
 */
import { runSpec } from '../src/engine.js';
import { resolveRunSpec } from '../src/spec.js';
import { allRows } from '../src/summary.js';
import { Z_KEYS, zFromLogs, type ZKey } from '../src/zscore.js';
import type { RowStats } from '../src/summary.js';

const LN10 = Math.LN10;

/** The z a left-out cell would have shown, from its s.e.: how wrong it would be. */
function wouldBe(f: RowStats, k: ZKey): number {
  const th = f.theory;
  const se = f.z.seLog10[k] * LN10;
  switch (k) {
    case 'sdMean':
      return th.sd ? zFromLogs(f.sd['log10Mean']! * LN10, th.sd.log10Mean * LN10, se) : NaN;
    case 'log10SdMean':
      return th.log10Sd ? (f.log10Sd['mean']! - th.log10Sd.mean) / f.z.se[k] : NaN;
    case 'meanVar':
      return th.mean ? (f.mean.var - th.mean.var) / f.z.se[k] : NaN;
    case 'sdSqMean':
      return th.sdSq ? zFromLogs(f.sdSq.log10Mean * LN10, th.sdSq.log10Mean * LN10, se) : NaN;
    case 'w2sqMean':
      return th.w2sq ? (f.w2sq.mean - th.w2sq.mean) / f.z.se[k] : NaN;
  }
}

function describe(v: number[]): string {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
  const over = v.filter((x) => Math.abs(x) > 3).length;
  const max = Math.max(...v.map(Math.abs));
  return `mean ${m.toFixed(3)}  sd ${sd.toFixed(3)}  |z|>3 ${over} (${((100 * over) / v.length).toFixed(1)}%)  max|z| ${max.toPrecision(3)}`;
}

const CASES: Record<string, Record<string, string>> = {
  'issue E=10 (n 20, T 10, E 10)': { samples: '20', generations: '10', experiments: '10' },
  'n 20, T 10, E 92 (meanVar, W2² at threshold 92)': { samples: '20', generations: '10', experiments: '92' },
  'n 100, T 100, E 350 (meanVar at threshold 346)': { samples: '100', generations: '100', experiments: '350' },
  'n 2, T 3, E 160 (meanVar, W2² at threshold 156)': { samples: '2', generations: '3', experiments: '160' },
  'n 20, T 10, E 150 (sd² at threshold 147)': { samples: '20', generations: '10', experiments: '150' },
  'article shape (n 100, T 100, E 1000)': { samples: '100', generations: '100', experiments: '1000' },
  'n 10, T 100, ddof 1, E 1000': { samples: '10', generations: '100', experiments: '1000', ddof: '1' },
  'n 5, T 20, E 300': { samples: '5', generations: '20', experiments: '300' },
  'n 2, T 3, E 5 (log10 near its threshold)': { samples: '2', generations: '3', experiments: '5' },
  'n 100, T 2000, E 2000 (issue deep)': { samples: '100', generations: '2000', experiments: '2000' },
  'n 10, T 30, E 400, tau 1.2': { samples: '10', generations: '30', experiments: '400', temperature: '1.2' },
  'accumulate n 3, T 200, E 300': { samples: '3', generations: '200', experiments: '300', regime: 'accumulate' },
  'fresh 0.1, n 20, T 100, E 300': { samples: '20', generations: '100', experiments: '300', regime: 'fresh', fresh: '0.1' },
  'accumulate n 10, T 100, tau 1.3, E 300': { samples: '10', generations: '100', experiments: '300', regime: 'accumulate', temperature: '1.3' },
  'fresh 0.05, n 40, T 200, E 300': { samples: '40', generations: '200', experiments: '300', regime: 'fresh', fresh: '0.05' },
};

async function main(): Promise<void> {
  const seeds = Number(process.argv[2] ?? 200);
  const only = process.argv.slice(3);
  for (const [name, flags] of Object.entries(CASES)) {
    if (only.length > 0 && !only.some((o) => name.includes(o))) continue;
    const zs: Record<string, number[]> = Object.fromEntries(Z_KEYS.map((k) => [k, []]));
    const cells: Record<string, Set<string>> = Object.fromEntries(Z_KEYS.map((k) => [k, new Set<string>()]));
    const hidden: Record<string, number[]> = Object.fromEntries(Z_KEYS.map((k) => [k, []]));
    for (let s = 1; s <= seeds; s++) {
      const spec = resolveRunSpec({ ...flags, method: 'stats', seed: String(s), every: flags['generations']! });
      const f = allRows(await runSpec(spec, 1, undefined, undefined, 'inline')).pop()!;
      for (const k of Z_KEYS) {
        if (Number.isFinite(f.z[k])) zs[k]!.push(f.z[k]);
        else {
          cells[k]!.add(f.z.cells[k] ?? 'NaN');
          const w = wouldBe(f, k);
          if (Number.isFinite(w)) hidden[k]!.push(w);
        }
      }
    }
    console.log(`\n${name}: ${seeds} seeds`);
    for (const k of Z_KEYS) {
      const v = zs[k]!;
      const h = hidden[k]!;
      if (v.length > 0) console.log(`  ${k.padEnd(12)} given ${v.length}/${seeds}  ${describe(v)}`);
      if (v.length < seeds) {
        console.log(`  ${k.padEnd(12)} left out ${seeds - v.length} (${[...cells[k]!].join(', ')})${h.length > 1 ? `; had it been shown: ${describe(h)}` : ''}`);
      }
    }
  }
}

await main();
