import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'adapters/express.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // Shared chunks: one copy of the error classes for every entry point, so `instanceof` holds.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  treeshake: true,
});
