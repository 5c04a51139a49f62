/**
 * Pay for what you use: an edge application that checks bearer tokens with `/web` bundles none of
 * the optional steps — decryption (JWE), the sender constraint (mTLS, DPoP, the replay store), the
 * result cache, introspection, several issuers, the RFC 9728 document, PEM keys — and gets each
 * one only by importing it. Checked on the modules esbuild puts
 * in the bundle (its metafile), bundling from source so each module is seen by name.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build as tsup } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_SOURCES, minifiedBundle } from '../../bench/footprint.js';

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;

/** The repository-relative source modules in a browser bundle of `source`, and its code. */
async function bundled(source: string): Promise<{ modules: string[]; code: string }> {
  const entry = join(dir, `entry-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(entry, source);
  const { code, metafile } = await minifiedBundle(entry, 'browser', { alias: { 'access-token-guard/web': join(ROOT, 'adapters/web.ts') } });
  // Modules that contribute bytes (a module whose code was all dropped does not count).
  const output = Object.values(metafile.outputs)[0]!;
  const modules = Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path.replace(/^(\.\.\/)+/, ''))
    .filter((path) => path.startsWith('src/') || path.startsWith('adapters/') || path.startsWith('node_modules/'));
  return { modules, code: new TextDecoder().decode(code) };
}

const bundledModules = async (source: string) => (await bundled(source)).modules;

const JWE = ['src/jwe/decrypt.ts', 'src/jwe/decryption-keys.ts', 'src/jwe/rsa-pem.ts'];
const BINDING = ['src/binding/index.ts', 'src/binding/dpop.ts', 'src/binding/dpop-nonce.ts', 'src/binding/replay-store.ts', 'src/binding/mtls.ts'];
const RESULT_CACHE = ['src/result-cache.ts'];
const INTROSPECTION = ['src/introspection/index.ts', 'src/introspection/cache.ts', 'src/introspection/client-auth.ts', 'src/introspection/endpoint.ts', 'src/introspection/response.ts'];
const SEVERAL_ISSUERS = ['src/issuer-directory.ts'];
/** jose's PEM and X.509 reading (its ASN.1 parser), which only `pemKeys` needs. */
const PEM = ['node_modules/jose/dist/webapi/lib/asn1.js'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atg-web-bundle-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a bearer-only /web bundle', () => {
  let modules: string[];
  let code: string;

  beforeAll(async () => {
    ({ modules, code } = await bundled(BUNDLE_SOURCES.web));
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

  it('holds no introspection module', () => {
    expect(modules.filter((module) => module.startsWith('src/introspection/') && module !== 'src/introspection/errors.ts')).toEqual([]);
  });

  it('holds no issuer directory', () => {
    expect(modules.filter((module) => SEVERAL_ISSUERS.includes(module))).toEqual([]);
  });

  it('holds no PEM reading', () => {
    expect(modules.filter((module) => PEM.includes(module))).toEqual([]);
  });

  it('holds no metadata document builder', () => {
    expect(code).not.toContain('oauth-protected-resource');
  });

  it('holds no third-party module but jose', () => {
    expect(modules.filter((module) => module.startsWith('node_modules/') && !module.startsWith('node_modules/jose/'))).toEqual([]);
  });
});

/** The bearer-only Worker, its verifier created with `steps` and `options` added. */
const withSteps = (steps: string, options: string) =>
  BUNDLE_SOURCES.web
    .replace("import { authenticate, requireScopes } from 'access-token-guard/web';", `import { authenticate, createVerifier, requireScopes, ${steps} } from 'access-token-guard/web';`)
    .replace("authenticate({ issuer, audience, jwksUri, algorithms: ['RS256', 'ES256'] })", `authenticate(createVerifier({ issuer, audience, jwksUri, ${options} }, ${steps}))`);

describe('each optional step is in a /web bundle once imported', () => {

  it('encryptedTokens brings the JWE modules', async () => {
    expect(await bundledModules(withSteps('encryptedTokens', "decryptionKeys: ['-----BEGIN PRIVATE KEY-----']"))).toEqual(expect.arrayContaining(JWE));
  }, 60_000);

  it('boundTokens brings the DPoP, mTLS and replay-store modules', async () => {
    expect(await bundledModules(withSteps('boundTokens', 'dpop: {}'))).toEqual(expect.arrayContaining(BINDING));
  }, 60_000);

  it('cachedResults brings the result cache', async () => {
    expect(await bundledModules(withSteps('cachedResults', 'resultCache: true'))).toEqual(expect.arrayContaining(RESULT_CACHE));
  }, 60_000);

  it('introspectedTokens brings the introspection modules', async () => {
    expect(await bundledModules(withSteps('introspectedTokens', "introspection: { clientId: 'api', clientSecret: 'secret' }"))).toEqual(expect.arrayContaining(INTROSPECTION));
  }, 60_000);

  it('severalIssuers brings the issuer directory', async () => {
    expect(await bundledModules(withSteps('severalIssuers', 'issuers: [{ issuer, audience, jwksUri }]'))).toEqual(expect.arrayContaining(SEVERAL_ISSUERS));
  }, 60_000);

  it('pemKeys brings the PEM reading', async () => {
    expect(await bundledModules(withSteps('pemKeys', "keys: ['-----BEGIN PUBLIC KEY-----']"))).toEqual(expect.arrayContaining(PEM));
  }, 60_000);

  it('protectedResourceMetadata brings the metadata document', async () => {
    expect((await bundled(withSteps('protectedResourceMetadata', 'resourceMetadata: {}'))).code).toContain('oauth-protected-resource');
  }, 60_000);
});

/**
 * Each optional step by a string only its code holds (a reason it writes, a path it serves): the
 * published build is bundled from shared chunks, so modules cannot be told apart there.
 */
const STEP_MARKERS = [
  ['encryptedTokens', 'the JWE does not decrypt with'],
  ['boundTokens (DPoP)', "the proof's htm"],
  ['boundTokens (mTLS)', 'the request presented no client certificate'],
  ['cachedResults', '`resultCache.maxEntries` must be'],
  ['introspectedTokens', 'the introspection endpoint refused our request'],
  ['severalIssuers', 'is not a configured issuer'],
  ['protectedResourceMetadata', '/.well-known/oauth-protected-resource'],
  ['pemKeys', 'a configured PEM key fits none'],
] as const;

describe('the published /web build, bundled as an application bundles it', () => {
  let published: string;

  beforeAll(async () => {
    // The real tsup configuration (shared chunks, jose built in), without declarations.
    await tsup({ config: join(ROOT, 'tsup.config.ts'), outDir: join(dir, 'published'), dts: false, silent: true });
    published = join(dir, 'published/web.js');
  }, 120_000);

  const bundledFromBuild = async (source: string) => {
    const entry = join(dir, `published-entry-${Math.random().toString(36).slice(2)}.mjs`);
    await writeFile(entry, source);
    return new TextDecoder().decode((await minifiedBundle(entry, 'browser', { alias: { 'access-token-guard/web': published } })).code);
  };

  it('carries no optional step into a bearer-only bundle', async () => {
    const code = await bundledFromBuild(BUNDLE_SOURCES.web);
    expect(STEP_MARKERS.filter(([, marker]) => code.includes(marker)).map(([step]) => step)).toEqual([]);
  }, 60_000);

  it('carries each step once it is imported (so the markers above do find them)', async () => {
    const code = await bundledFromBuild(
      withSteps(
        'encryptedTokens, boundTokens, cachedResults, introspectedTokens, severalIssuers, protectedResourceMetadata, pemKeys',
        "dpop: {}, resultCache: true, resourceMetadata: {}, keys: ['-----BEGIN PUBLIC KEY-----']",
      ),
    );
    expect(STEP_MARKERS.filter(([, marker]) => !code.includes(marker)).map(([step]) => step)).toEqual([]);
  }, 60_000);
});
