/**
 * The runtime matrix: the packed package on real Node (lowest admitted, 22, 24), Bun and Deno
 * binaries, installed into test/runtimes/node_modules by scripts/test.sh. Slower than the main
 * suite (a build, a pack, a few dozen processes), so it runs on its own: `npm run test:runtimes`.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The matrix, and every test that runs something on Bun or Deno (`*.runtime.test.ts`).
    include: ['test/runtimes/**/*.test.ts', 'test/**/*.runtime.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    maxWorkers: 2,
  },
});
