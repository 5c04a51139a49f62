/**
 * The package as published, for the footprint measurements: the real tsup config (both formats,
 * shared chunks, declarations) built into node_modules/.cache, next to a copy of package.json
 * and the other files `files` ships. Its dependencies resolve from the repository's node_modules,
 * an ancestor folder, as they would from a user's. Built once per process.
 */
import { cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build as tsup } from 'tsup';
import { OUT_DIR } from './bundle.js';

export const ROOT = join(OUT_DIR, '../../..');
/** Where a file in OUT_DIR resolves `access-token-guard` from, exports map included. */
export const PUBLISHED = join(OUT_DIR, 'node_modules/access-token-guard');

let pending: Promise<string> | undefined;

/** Builds the published layout once; resolves with its folder. */
export function publishedPackage(): Promise<string> {
  pending ??= (async () => {
    await rm(PUBLISHED, { recursive: true, force: true });
    await mkdir(PUBLISHED, { recursive: true });
    // A package of its own around the bundled files: without it, the repository's package.json
    // (named access-token-guard) is the nearest, and a bundler resolves `access-token-guard/…`
    // to the repository itself (a self-reference) instead of the published copy beside it.
    await writeFile(join(OUT_DIR, 'package.json'), JSON.stringify({ name: 'access-token-guard-bench-consumer', private: true, type: 'module' }));
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    await cp(join(ROOT, 'package.json'), join(PUBLISHED, 'package.json'));
    for (const entry of pkg.files) if (entry !== 'dist') await cp(join(ROOT, entry), join(PUBLISHED, entry), { recursive: true });
    await tsup({ config: join(ROOT, 'tsup.config.ts'), outDir: join(PUBLISHED, 'dist'), silent: true });
    return PUBLISHED;
  })();
  return pending;
}

/** Bytes of every file under `dir` (apparent sizes, as npm's "unpacked size"), `skip` folders left out. */
export async function folderBytes(dir: string, skip: (name: string) => boolean = (name) => name === 'node_modules'): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(path, skip);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

/**
 * What `npm install` puts on disk for the package in `dir`: its own files and, once each, those of
 * every package its `dependencies` pull in, found as Node finds them (the nearest node_modules up).
 */
export async function installedBytes(dir: string): Promise<{ bytes: number; packages: string[] }> {
  const seen = new Map<string, number>();
  const visit = async (packageDir: string): Promise<void> => {
    if (seen.has(packageDir)) return;
    seen.set(packageDir, await folderBytes(packageDir));
    const { dependencies = {} } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(dependencies)) await visit(await locate(name, packageDir));
  };
  await visit(dir);
  return { bytes: [...seen.values()].reduce((a, b) => a + b, 0), packages: [...seen.keys()] };
}

async function locate(name: string, from: string): Promise<string> {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (await stat(join(candidate, 'package.json')).then(() => true, () => false)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} (a dependency of ${from}) is not installed`);
  }
}
