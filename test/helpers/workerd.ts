/** Worker scripts for workerd (miniflare), bundled as Wrangler would. */
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../..');

/** One ES module of a Worker and everything it imports, for the neutral platform (no Node built-in resolves). */
export async function bundleWorker(worker: string): Promise<string> {
  const bundle = await build({
    entryPoints: [worker],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    // A worker written to a temp dir resolves its dependencies from the repository's.
    nodePaths: [join(ROOT, 'node_modules')],
    logLevel: 'silent',
  });
  return bundle.outputFiles[0]!.text;
}
