import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // The simulation and CLI tests start their own worker pools; running files one at a time keeps
    // them from competing for the two cores CI has.
    fileParallelism: false,
  },
});
