/**
 * The package as a user installs it: built with the real tsup config into a staging copy of the
 * package (package.json and what `files` publishes), packed with `npm pack`, and unpacked into
 * `node_modules/access-token-guard` of a fresh consumer project. The consumer's dependencies
 * (jose, fastify-plugin) are links to the repository's installed copies, so nothing is fetched.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build as tsup } from 'tsup';

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '../..');

export interface PackedConsumer {
  /** The consumer project: write scripts here; `access-token-guard` resolves from it. */
  dir: string;
  /** The tarball `npm pack` produced. */
  tarball: string;
  /** Path names inside the tarball, without the leading `package/`. */
  files: string[];
  remove(): Promise<void>;
}

interface PackageJson {
  files: string[];
  dependencies: Record<string, string>;
}

export async function installPackedPackage(): Promise<PackedConsumer> {
  const work = await mkdtemp(join(tmpdir(), 'atg-packed-'));
  const stage = join(work, 'stage');
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  await mkdir(stage);
  await cp(join(ROOT, 'package.json'), join(stage, 'package.json'));
  for (const entry of pkg.files) {
    if (entry !== 'dist') await cp(join(ROOT, entry), join(stage, entry), { recursive: true });
  }
  await tsup({ config: join(ROOT, 'tsup.config.ts'), outDir: join(stage, 'dist'), silent: true });

  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: stage });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = join(work, packed!.filename);

  const dir = join(work, 'consumer');
  const installed = join(dir, 'node_modules/access-token-guard');
  await mkdir(installed, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  for (const dependency of Object.keys(pkg.dependencies)) {
    await symlink(join(ROOT, 'node_modules', dependency), join(dir, 'node_modules', dependency), 'dir');
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  return { dir, tarball, files: packed!.files.map((file) => file.path), remove: () => rm(work, { recursive: true, force: true }) };
}
