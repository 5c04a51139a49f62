import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'adapters/express.ts',
    fastify: 'adapters/fastify.ts',
    koa: 'adapters/koa.ts',
    web: 'adapters/web.ts',
    lambda: 'adapters/lambda.ts',
    hono: 'adapters/hono.ts',
    nestjs: 'adapters/nestjs.ts',
    mcp: 'adapters/mcp.ts',
    testing: 'src/testing.ts',
    // Loaded by bin/access-token-guard.mjs for `inspect`; not a package export.
    inspect: 'src/inspect.ts',
    gateway: 'src/gateway/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // Shared chunks: one copy of the error classes for every entry point, so `instanceof` holds.
  // esbuild puts a module only in chunks of the entries that reach it, so `node:crypto` (reached
  // from `index`) never lands in a chunk `web` loads; test/adapters/workerd.test.ts checks that.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  treeshake: true,
});
