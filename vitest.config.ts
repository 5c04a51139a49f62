import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The runtime matrix (real Node, Bun and Deno binaries) is its own, slower run:
    // vitest.runtimes.config.ts, called by scripts/test.sh after this suite.
    exclude: [...configDefaults.exclude, 'test/runtimes/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: keep worker count small so timing margins in network tests stay generous.
    maxWorkers: 2,
  },
});
