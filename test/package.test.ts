/**
 * The package as `npm pack` makes it. What it ships: the build, the licence and the docs, and no
 * source maps (which would carry every source a second time). Its types, through
 * @arethetypeswrong/cli: every entry point's types resolve, and match its JavaScript, under each
 * of TypeScript's module resolutions a consumer may use — node10 (`module: commonjs` projects,
 * through `typesVersions`), node16 from CommonJS and from ESM, and bundler.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPackedPackage, ROOT, type PackedConsumer } from './helpers/packed.js';

const run = promisify(execFile);
const ATTW = join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js');
// Every subpath with types: the exports map's, less the JSON ones.
const ENTRIES = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports).filter(
  (entry) => !entry.endsWith('.json'),
);
const RESOLUTIONS = ['node10', 'node16-cjs', 'node16-esm', 'bundler'];

interface Report {
  analysis: {
    problems: unknown[];
    entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }>;
  };
}

let packed: PackedConsumer;
let report: Report;

beforeAll(async () => {
  packed = await installPackedPackage();
  // attw exits 1 when it finds a problem; the report is on stdout either way. Written to a file:
  // a process that exits right after a large write to a pipe can leave the report cut short.
  const reportFile = join(packed.dir, 'attw.json');
  await run('sh', ['-c', `"${process.execPath}" "${ATTW}" "${packed.tarball}" --format json > "${reportFile}"`], { maxBuffer: 64 * 1024 * 1024 }).catch(() => undefined);
  const stdout = await readFile(reportFile, 'utf8');
  report = JSON.parse(stdout) as Report;
}, 300_000);

afterAll(async () => {
  await packed?.remove();
});

describe('contents of the packed tarball', () => {
  it('ships LICENSE, README.md, CHANGELOG.md, package.json and the CLI', () => {
    expect(packed.files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'bin/access-token-guard.mjs']));
  });

  it('ships every entry point as ESM and CommonJS, with types for both', () => {
    const expected = ENTRIES.map((entry) => (entry === '.' ? 'index' : entry.slice(2))).flatMap((name) => ['js', 'cjs', 'd.ts', 'd.cts'].map((ext) => `dist/${name}.${ext}`));
    expect(packed.files).toEqual(expect.arrayContaining(expected));
  });

  it('needs no jose installed: no shipped file imports or requires it, and it is no dependency', async () => {
    const installed = join(packed.dir, 'node_modules/access-token-guard');
    const code = packed.files.filter((file) => /\.(m?js|cjs|d\.c?ts)$/.test(file));
    const importing = [];
    for (const file of code) if (/(from|import|require)\s*\(?\s*["']jose["']/.test(await readFile(join(installed, file), 'utf8'))) importing.push(file);
    expect(importing).toEqual([]);
    expect(Object.keys((JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { dependencies?: object }).dependencies ?? {})).not.toContain('jose');
  });

  it('ships no source map and no TypeScript source', () => {
    expect(packed.files.filter((file) => file.endsWith('.map') || /^(src|adapters)\//.test(file) || (file.endsWith('.ts') && !file.endsWith('.d.ts')))).toEqual([]);
  });
});

describe('types of the packed tarball (attw)', () => {
  it('reports no problem', () => {
    expect(report.analysis.problems).toEqual([]);
  });

  it.each(ENTRIES)('%s: types resolve under node10, node16 (CJS and ESM) and bundler', (entry) => {
    const resolutions = report.analysis.entrypoints[entry]?.resolutions ?? {};
    const typed = RESOLUTIONS.map((kind) => [kind, resolutions[kind]?.resolution?.fileName.endsWith('.d.ts') || resolutions[kind]?.resolution?.fileName.endsWith('.d.cts')]);
    expect(typed).toEqual(RESOLUTIONS.map((kind) => [kind, true]));
  });
});
