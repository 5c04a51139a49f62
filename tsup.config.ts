import { defineConfig, type Options } from 'tsup';

const shared: Options = {
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
  dts: true,
  // Shared chunks: one copy of the error classes for every entry point, so `instanceof` holds.
  // esbuild puts a module only in chunks of the entries that reach it, so `node:crypto` (reached
  // from `index`) never lands in a chunk `web` loads; test/adapters/workerd.test.ts checks that.
  splitting: true,
  // No source maps in the package: the output is not minified (a stack trace reads as the
  // source does), and maps would point at src/ files the tarball does not ship, doubling its size.
  sourcemap: false,
  // The two formats build in parallel: neither may empty the folder under the other (the build
  // script clears dist/ first).
  clean: false,
  target: 'node20',
  treeshake: true,
  // Both builds carry the jose functions they use rather than importing the installed package:
  // - jose 6 is ESM-only, and `require()` of an ES module works only from Node 20.19 / 22.12, so
  //   the CommonJS build must, to load on every Node `engines` admits;
  // - importing jose's entry loads every one of its modules, which is most of a cold start (a
  //   serverless function or a Worker pays it on every new instance): bench/RESULTS.md, footprint.
  // So jose is a devDependency, and no published type refers to it (src/types.ts has our own JWK).
  // A jose fix reaches users as a release of ours.
  noExternal: ['jose'],
};

export default defineConfig([
  { ...shared, format: ['esm'] },
  { ...shared, format: ['cjs'] },
]);
