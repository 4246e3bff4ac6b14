/**
 * Where the WebAssembly modules are (build/wasm/, which `npm run build` fills and git does not
 * hold) and how a thread loads each once. Shared by the three loaders: workers/wasm-kernel.ts,
 * workers/families/linalg-wasm.ts and workers/wasm-summary.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** build/wasm/<name> under the package root, whether this file runs from workers/ (source) or dist/workers/. */
export function wasmFile(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '../..') : path.resolve(here, '..');
  return path.join(root, 'build', 'wasm', name);
}

/**
 * A function that gives this thread's instance of build/wasm/<name>, made by `instantiate` on first
 * call and kept; null when the binary is not built (only `tsc` ran) or COLLAPSE_KERNEL=js asks for
 * the JS loops, which give the same numbers.
 */
export function loadOnce<T>(name: string, instantiate: (bytes: Uint8Array) => T): () => T | null {
  let cached: T | null | undefined;
  return () => {
    if (cached === undefined) {
      cached = null;
      if (process.env['COLLAPSE_KERNEL'] !== 'js') {
        try {
          cached = instantiate(fs.readFileSync(wasmFile(name)));
        } catch {
          cached = null;
        }
      }
    }
    return cached;
  };
}
