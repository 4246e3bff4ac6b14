/** Single-thread throughput of the two normal generators as the kernel calls them, one 1000-draw generation per call. */
import { pathToFileURL } from 'node:url';
import Benchmark from 'benchmark';
import { drawFast, drawStdlib, warmUp } from '../workers/kernel.js';
import { setState } from '../workers/xoshiro.js';
import { experimentWords } from '../src/seed.js';
import { StdlibNormal } from '../workers/stdlib-normal.js';
import { loadWasmKernel } from '../workers/wasm-kernel.js';
import { seedX256 } from '../workers/x256.js';

/** Draws per benchmarked call: the article's n, so call overhead weighs as it does in a run. */
export const DRAWS_PER_CALL = 1000;

/** One generator's figures. */
export interface GeneratorFigure {
  hz: number;
  drawsPerSecond: number;
  /** Relative margin of error of hz, in percent. */
  rme: number;
  samples: number;
}

/** The kernel benchmark's figures. */
export interface KernelFigures {
  drawsPerCall: number;
  fast: GeneratorFigure;
  stdlib: GeneratorFigure;
  /** The wasm kernel on one stream, and on four streams per call (SIMD lanes); null when not built. */
  wasm: GeneratorFigure | null;
  wasm4: GeneratorFigure | null;
  /** The `x256` generator (xoshiro256+, 256-region ziggurat) in the wasm kernel, one stream; null when not built. */
  x256: GeneratorFigure | null;
  /** fast ÷ stdlib draws per second. */
  ratio: number;
  /** Sum of every ss the calls produced, reported so that no call can be discarded as dead code. */
  sink: number;
}

/** Runs both generators through benchmark.js (default 5 s per generator). */
export function benchKernel(): KernelFigures {
  const st = new Int32Array(4);
  setState(st, 1, 2, 3, 4);
  const gen = new StdlibNormal();
  gen.seed([1, 2, 3, 4]);
  const out = new Float64Array(2);
  const scratch = new Float64Array(DRAWS_PER_CALL);
  let sink = 0;

  const wasm = loadWasmKernel();
  const stW = new Int32Array(4);
  setState(stW, 1, 2, 3, 4);
  // four different streams (experiments 0–3 of seed 1), as the article's chain runs them: lanes in
  // one state take every rare branch together, which made the four-lane kernel read about 1.4x
  // too fast (369M against 262M deviates/s)
  const st4 = new Int32Array(16);
  for (let k = 0; k < 4; k++) {
    const w = experimentWords(1, k);
    for (let j = 0; j < 4; j++) st4[4 * j + k] = w[j]! | 0;
  }
  const out4 = new Float64Array(8);
  const stX = new Int32Array(8);
  seedX256(stX, experimentWords(1, 0));
  const perCall = new Map<string, number>([['wasm4', 4 * DRAWS_PER_CALL]]);

  const figures = new Map<string, GeneratorFigure>();
  warmUp();
  const suite = new Benchmark.Suite('kernel');
  suite
    .add('fast', () => {
      drawFast(st, DRAWS_PER_CALL, out);
      sink += out[1]!;
    })
    .add('stdlib', () => {
      drawStdlib(gen, DRAWS_PER_CALL, scratch, out);
      sink += out[1]!;
    });
  if (wasm !== null) {
    suite
      .add('wasm', () => {
        wasm.draw(stW, DRAWS_PER_CALL, out);
        sink += out[1]!;
      })
      .add('wasm4', () => {
        wasm.draw4(st4, DRAWS_PER_CALL, out4);
        sink += out4[4]!;
      })
      .add('x256', () => {
        wasm.draw256(stX, DRAWS_PER_CALL, out);
        sink += out[1]!;
      });
  }
  suite
    .on('cycle', (event: Benchmark.Event) => {
      const b = event.target as unknown as Benchmark;
      // An error inside a test only shows up here; a silent zero would read as a result.
      if (b.error !== undefined) throw b.error;
      figures.set(b.name ?? '?', {
        hz: b.hz,
        drawsPerSecond: b.hz * (perCall.get(b.name ?? '') ?? DRAWS_PER_CALL),
        rme: b.stats.rme,
        samples: b.stats.sample.length,
      });
    })
    .run({ async: false });

  const fast = figures.get('fast');
  const stdlib = figures.get('stdlib');
  if (fast === undefined || stdlib === undefined) throw new Error('kernel benchmark produced no figures');
  return {
    drawsPerCall: DRAWS_PER_CALL,
    fast,
    stdlib,
    wasm: figures.get('wasm') ?? null,
    wasm4: figures.get('wasm4') ?? null,
    x256: figures.get('x256') ?? null,
    ratio: fast.drawsPerSecond / stdlib.drawsPerSecond,
    sink,
  };
}

/** One line per generator, for the console. */
export function formatKernel(k: KernelFigures): string {
  const line = (name: string, g: GeneratorFigure): string =>
    `  ${name.padEnd(7)} ${(g.drawsPerSecond / 1e6).toFixed(1).padStart(7)} M draws/s  ±${g.rme.toFixed(1)}% (${g.samples} samples)`;
  return [
    line('fast', k.fast),
    line('stdlib', k.stdlib),
    k.wasm === null ? '  wasm    not built (npm run build)' : line('wasm', k.wasm),
    ...(k.wasm4 === null ? [] : [line('wasm4', k.wasm4)]),
    ...(k.x256 === null ? [] : [line('x256', k.x256)]),
    `  ratio   ${k.ratio.toFixed(2)}x fast/stdlib   (sink ${k.sink.toExponential(6)})`,
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const k = benchKernel();
  console.log(formatKernel(k));
}
