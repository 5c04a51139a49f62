/**
 * Pay for what you use: an edge application that checks bearer tokens with `/web` bundles none of
 * the optional steps — decryption (JWE), the sender constraint (mTLS, DPoP, the replay store) and
 * the result cache — and gets each one only by importing it. Checked on the modules esbuild puts
 * in the bundle (its metafile), bundling from source so each module is seen by name.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_SOURCES } from '../../bench/footprint.js';

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;

/** The repository-relative source modules in a browser bundle of `source`. */
async function bundledModules(source: string): Promise<string[]> {
  const entry = join(dir, `entry-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(entry, source);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    metafile: true,
    logLevel: 'silent',
    alias: { 'access-token-guard/web': join(ROOT, 'adapters/web.ts') },
  });
  // Modules that contribute bytes (a module whose code was all dropped does not count).
  const output = Object.values((result.metafile as Metafile).outputs)[0]!;
  return Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path.replace(/^(\.\.\/)+/, ''))
    .filter((path) => path.startsWith('src/') || path.startsWith('adapters/'));
}

const JWE = ['src/jwe/decrypt.ts', 'src/jwe/decryption-keys.ts', 'src/jwe/rsa-pem.ts'];
const BINDING = ['src/binding/index.ts', 'src/binding/dpop.ts', 'src/binding/dpop-nonce.ts', 'src/binding/replay-store.ts', 'src/binding/mtls.ts'];
const RESULT_CACHE = ['src/result-cache.ts'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atg-web-bundle-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a bearer-only /web bundle', () => {
  let modules: string[];

  beforeAll(async () => {
    modules = await bundledModules(BUNDLE_SOURCES.web);
  }, 60_000);

  it('holds the pipeline it uses: credentials, signature, claims, remote JWKS, guards', () => {
    expect(modules).toEqual(expect.arrayContaining(['adapters/web.ts', 'src/verifier.ts', 'src/credentials.ts', 'src/signature.ts', 'src/claims.ts', 'src/keys/remote-jwks.ts', 'src/guards.ts']));
  });

  it('holds no JWE module', () => {
    expect(modules.filter((module) => module.startsWith('src/jwe/') && module !== 'src/jwe/compact.ts')).toEqual([]);
  });

  it('holds no DPoP, mTLS or replay-store module', () => {
    expect(modules.filter((module) => module.startsWith('src/binding/') && module !== 'src/binding/dpop-algorithms.ts')).toEqual([]);
  });

  it('holds no result cache', () => {
    expect(modules.filter((module) => RESULT_CACHE.includes(module))).toEqual([]);
  });
});

describe('each optional step is in a /web bundle once imported', () => {
  const withSteps = (steps: string, options: string) =>
    BUNDLE_SOURCES.web
      .replace("import { authenticate, requireScopes } from 'access-token-guard/web';", `import { authenticate, createVerifier, requireScopes, ${steps} } from 'access-token-guard/web';`)
      .replace("authenticate({ issuer, audience, jwksUri, algorithms: ['RS256', 'ES256'] })", `authenticate(createVerifier({ issuer, audience, jwksUri, ${options} }, ${steps}))`);

  it('encryptedTokens brings the JWE modules', async () => {
    expect(await bundledModules(withSteps('encryptedTokens', "decryptionKeys: ['-----BEGIN PRIVATE KEY-----']"))).toEqual(expect.arrayContaining(JWE));
  }, 60_000);

  it('boundTokens brings the DPoP, mTLS and replay-store modules', async () => {
    expect(await bundledModules(withSteps('boundTokens', 'dpop: {}'))).toEqual(expect.arrayContaining(BINDING));
  }, 60_000);

  it('cachedResults brings the result cache', async () => {
    expect(await bundledModules(withSteps('cachedResults', 'resultCache: true'))).toEqual(expect.arrayContaining(RESULT_CACHE));
  }, 60_000);
});
