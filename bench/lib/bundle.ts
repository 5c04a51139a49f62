/**
 * Compiles the processes the benchmark starts (servers, cold-start entry points) to plain
 * JavaScript first, as `npm run build` would, so they run on bare `node`: no TypeScript loader
 * in their start-up time, and none of its bookkeeping (source maps) in their heap. Packages stay
 * external (resolved from node_modules, as for a user of the published package). The output goes
 * under node_modules/.cache, which nothing tracks.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const OUT_DIR = `${ROOT}node_modules/.cache/access-token-guard-bench`;

const built = new Map<string, Promise<string>>();

/** Bundles `entry` (a path from the repository root) once per run; resolves with the output file. */
export function bundle(entry: string, name: string): Promise<string> {
  let pending = built.get(name);
  if (!pending) {
    const outfile = `${OUT_DIR}/${name}.mjs`;
    pending = build({
      entryPoints: [`${ROOT}${entry}`],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    }).then(() => outfile);
    built.set(name, pending);
  }
  return pending;
}
