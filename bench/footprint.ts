/**
 * Table 7: footprint, as a serverless function or an edge bundle pays for it.
 *   - Bundle: each library's documented bearer check, bundled by esbuild with everything it
 *     imports (minified; gzip level 9), for the browser platform (what edge runtimes take) and,
 *     for the Express middlewares, for Node. Ours is the published build, as a bundler sees it.
 *   - Cold import: a fresh `node` importing the entry point, timed inside the process around the
 *     `import()` (so process start-up, which is the same for all, adds no noise), contenders
 *     rotated run by run so they share the machine's state.
 *   - Install size: the package's files and those of its dependencies, as npm puts them on disk.
 * Every figure is also given as a ratio to jose's (createRemoteJWKSet + jwtVerify), the floor a
 * JWT verifier on WebCrypto builds on.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { OUT_DIR } from './lib/bundle.js';
import { installedBytes, publishedPackage, ROOT } from './lib/published.js';
import { fmt, rotate, summarize, type Summary, type Table } from './lib/stats.js';

export interface FootprintOptions {
  /** Cold imports per contender (after one unmeasured each). */
  importRuns: number;
}

const CONFIG = `const issuer = 'https://tenant.example.com/', audience = 'https://api.example.com/', jwksUri = 'https://tenant.example.com/.well-known/jwks.json';`;

/** Each library's bearer check as its README shows it: remote JWKS, RS256/ES256, one scope. */
export const BUNDLE_SOURCES = {
  web: `${CONFIG}
import { authenticate, requireScopes } from 'access-token-guard/web';
const auth = authenticate({ issuer, audience, jwksUri, algorithms: ['RS256', 'ES256'] });
const readMessages = requireScopes('read:messages');
export default { async fetch(request) {
  const result = await auth(request);
  if (result instanceof Response) return result;
  return readMessages(result) ?? Response.json({ sub: result.subject });
} };`,
  jose: `${CONFIG}
import { createRemoteJWKSet, jwtVerify } from 'jose';
const jwks = createRemoteJWKSet(new URL(jwksUri));
export default { async fetch(request) {
  const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '');
  try {
    const { payload } = await jwtVerify(token, jwks, { issuer, audience, algorithms: ['RS256', 'ES256'] });
    if (!String(payload.scope ?? '').split(' ').includes('read:messages')) return new Response(null, { status: 403 });
    return Response.json({ sub: payload.sub });
  } catch { return new Response(null, { status: 401 }); }
} };`,
  'aws-jwt-verify': `${CONFIG}
import { JwtVerifier } from 'aws-jwt-verify';
const verifier = JwtVerifier.create({ issuer, audience, jwksUri, scope: 'read:messages' });
export default { async fetch(request) {
  const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '');
  try { return Response.json({ sub: (await verifier.verify(token)).sub }); } catch { return new Response(null, { status: 401 }); }
} };`,
  express: `${CONFIG}
import { authenticate, requireScopes } from 'access-token-guard/express';
export const middlewares = [authenticate({ issuer, audience, jwksUri, algorithms: ['RS256', 'ES256'] }), requireScopes('read:messages')];`,
  'express-oauth2-jwt-bearer': `${CONFIG}
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
export const middlewares = [auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256' }), requiredScopes('read:messages')];`,
} as const;

export type BundleName = keyof typeof BUNDLE_SOURCES;

export interface BundleSize {
  minified: number;
  gzip: number;
  /** Every input module in the bundle (paths as esbuild names them). */
  inputs: string[];
}

/** A minified ESM bundle of `entry` for `platform`, with esbuild's metafile (which modules, how many bytes each). */
export async function minifiedBundle(entry: string, platform: 'browser' | 'node', extra: { alias?: Record<string, string>; external?: string[] } = {}) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
    ...extra,
  });
  return { code: result.outputFiles[0]!.contents, metafile: result.metafile as Metafile };
}

/**
 * Bundles one of the sources above, minified, for `platform`; `access-token-guard` resolves to
 * the published build (installed beside the entry, under OUT_DIR/node_modules). Node built-ins stay external on Node (there they cost nothing to ship).
 */
export async function bundleSize(name: BundleName, platform: 'browser' | 'node'): Promise<BundleSize> {
  await publishedPackage();
  const entry = join(OUT_DIR, `footprint-${name}-${platform}.mjs`);
  await writeFile(entry, BUNDLE_SOURCES[name]);
  // The Express middlewares are measured without Express (the app has it either way).
  const { code, metafile } = await minifiedBundle(entry, platform, { external: platform === 'node' ? ['express'] : [] });
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs: Object.keys(metafile.inputs) };
}

interface ImportContender {
  name: string;
  /** A module specifier or file URL, resolved from the repository root. */
  module: () => Promise<string>;
}

const IMPORTS: ImportContender[] = [
  { name: 'access-token-guard/web', module: async () => pathToFileURL(join(await publishedPackage(), 'dist/web.js')).href },
  { name: 'access-token-guard/express', module: async () => pathToFileURL(join(await publishedPackage(), 'dist/express.js')).href },
  { name: 'jose', module: async () => 'jose' },
  { name: 'aws-jwt-verify', module: async () => 'aws-jwt-verify' },
  { name: 'express-oauth2-jwt-bearer', module: async () => 'express-oauth2-jwt-bearer' },
];

/** Milliseconds one fresh `node` takes to import `specifier` (resolution, loading, evaluation). */
function coldImport(specifier: string): Promise<number> {
  const script = `const start = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - start);`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 30_000 }, (error, stdout) => {
      if (error) return reject(error);
      resolve(Number(stdout.trim()));
    });
  });
}

export interface FootprintResult {
  bundles: Array<{ name: string; platform: 'browser' | 'node'; size: BundleSize }>;
  /** Milliseconds to import each contender in a fresh process. */
  imports: Array<{ name: string; ms: Summary }>;
  installs: Array<{ name: string; bytes: number; packages: number }>;
  wrong: string[];
}

export async function runFootprint(options: FootprintOptions): Promise<FootprintResult> {
  const wrong: string[] = [];
  const bundles: FootprintResult['bundles'] = [];
  for (const [name, platform] of [
    ['web', 'browser'],
    ['jose', 'browser'],
    ['aws-jwt-verify', 'browser'],
    ['express', 'node'],
    ['express-oauth2-jwt-bearer', 'node'],
  ] as const) {
    bundles.push({ name, platform, size: await bundleSize(name, platform) });
  }

  const modules = await Promise.all(IMPORTS.map((c) => c.module()));
  const samples = IMPORTS.map(() => [] as number[]);
  for (let round = -1; round < options.importRuns; round++) {
    const order = rotate(
      IMPORTS.map((_, index) => index),
      Math.max(0, round),
    );
    for (const index of order) {
      const ms = await coldImport(modules[index]!).catch((error: Error) => {
        wrong.push(`cold import of ${IMPORTS[index]!.name} failed: ${error.message}`);
        return Number.NaN;
      });
      if (round >= 0) samples[index]!.push(ms);
    }
  }

  const published = await publishedPackage();
  const installs: FootprintResult['installs'] = [];
  for (const [name, dir] of [
    ['access-token-guard', published],
    ['jose', join(ROOT, 'node_modules/jose')],
    ['aws-jwt-verify', join(ROOT, 'node_modules/aws-jwt-verify')],
    ['express-oauth2-jwt-bearer', join(ROOT, 'node_modules/express-oauth2-jwt-bearer')],
  ] as const) {
    const installed = await installedBytes(dir);
    installs.push({ name, bytes: installed.bytes, packages: installed.packages.length });
  }
  return { bundles, imports: IMPORTS.map((c, i) => ({ name: c.name, ms: summarize(samples[i]!) })), installs, wrong };
}

const kb = (bytes: number) => `${fmt(bytes / 1000)} KB`;
const ratio = (value: number, base: number | undefined) => (base ? `${(value / base).toFixed(2)}×` : '–');

export function footprintTables(result: FootprintResult, options: FootprintOptions): Table[] {
  const joseBundle = result.bundles.find((b) => b.name === 'jose')?.size;
  const joseImport = result.imports.find((i) => i.name === 'jose')?.ms.median;
  const joseInstall = result.installs.find((i) => i.name === 'jose')?.bytes;
  const BUNDLE_LABELS: Record<string, string> = {
    web: 'access-token-guard/web: authenticate + requireScopes',
    jose: 'jose: createRemoteJWKSet + jwtVerify',
    'aws-jwt-verify': 'aws-jwt-verify: JwtVerifier',
    express: 'access-token-guard/express: authenticate + requireScopes',
    'express-oauth2-jwt-bearer': 'express-oauth2-jwt-bearer: auth + requiredScopes',
  };
  return [
    {
      title: 'Footprint — bundle of a bearer-only check (esbuild, minified)',
      note: 'Remote JWKS, RS256/ES256, one scope; everything imported is bundled (Express and Node built-ins excepted on Node). Ratios to jose\'s gzip size.',
      columns: ['bundle', 'platform', 'minified', 'gzip', 'gzip vs jose'],
      rows: result.bundles.map((b) => [BUNDLE_LABELS[b.name] ?? b.name, b.platform, kb(b.size.minified), kb(b.size.gzip), ratio(b.size.gzip, joseBundle?.gzip)]),
    },
    {
      title: 'Footprint — cold import',
      note: `A fresh node process importing the entry point (ours: the published build), timed around the import() inside the process; ${options.importRuns} runs each, rotated, after one unmeasured run. Milliseconds, median (min–max).`,
      columns: ['entry point', 'import ms', 'vs jose'],
      rows: result.imports.map((i) => [i.name, `${fmt(i.ms.median)} (${fmt(i.ms.min)}–${fmt(i.ms.max)})`, ratio(i.ms.median, joseImport)]),
    },
    {
      title: 'Footprint — install size',
      note: 'The package\'s files and its dependencies\' (each once), as npm puts them on disk; ours is the published file set.',
      columns: ['package', 'installed', 'packages', 'vs jose'],
      rows: result.installs.map((i) => [i.name, `${fmt(i.bytes / 1e6)} MB`, String(i.packages), ratio(i.bytes, joseInstall)]),
    },
  ];
}
