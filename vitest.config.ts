import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The runtime matrix (real Node, Bun and Deno binaries) is its own, slower run:
    // vitest.runtimes.config.ts, called by scripts/test.sh after this suite.
    exclude: [...configDefaults.exclude, 'test/runtimes/**', 'test/**/*.runtime.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: keep worker count small so timing margins in network tests stay generous.
    maxWorkers: 2,
    // `npm run test:coverage`. The thresholds sit just under what the suite measures and are
    // only ever raised: a change that leaves library code untested fails.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'adapters/**/*.ts'],
      exclude: ['test/**'],
      // Measured 96.4 / 92.8 / 97.2 / 98.1 % (statements / branches / functions / lines).
      thresholds: { statements: 95, branches: 92, functions: 95, lines: 96 },
      reporter: ['text-summary', 'text'],
      // The numbers are worth seeing even when a test failed.
      reportOnFailure: true,
    },
  },
});
