/**
 * The web and Hono entry points, as built and shipped, in the real Cloudflare Workers runtime.
 *
 * 1. Build the package (tsup, the real config: every entry, shared chunks) into a temp dir.
 * 2. Walk `web.js` and `hono.js` (and their `.cjs`) and every chunk they load: no Node built-in, with or without
 *    the `node:` prefix (tsup strips it), may be imported or required.
 * 3. Bundle a Worker on `web.js` (and one on `hono.js`, with Hono) with their dependencies into one ES module with esbuild on
 *    the neutral platform, where a Node built-in cannot even resolve.
 * 4. Run that script in workerd through miniflare (no `nodejs_compat`: no `process`, no
 *    `node:` modules) and verify real tokens against a JWKS served on 127.0.0.1 by this test.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Miniflare } from 'miniflare';
import { build as tsup } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker } from '../helpers/workerd.js';
import { LocalIssuer } from '../../src/testing.js';

const ROOT = resolve(import.meta.dirname, '../..');
const AUDIENCE = 'https://api.example.com/';

let outDir: string;
let issuer: LocalIssuer;
let mf: Miniflare | undefined;
let mfHono: Miniflare | undefined;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'atg-web-build-'));
  // The package's own tsup config (entries, format, splitting), minus the type declarations.
  await tsup({ config: join(ROOT, 'tsup.config.ts'), outDir, dts: false, sourcemap: false, silent: true });
  issuer = await LocalIssuer.start({ algorithms: ['RS256', 'ES256'] });
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  await mfHono?.dispose();
  await issuer?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const SPECIFIERS = [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, /\bimport\s*["']([^"']+)["']/g, /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g];

/** Every module specifier in `file` and, recursively, in the local chunks it loads. */
async function specifiersFrom(file: string, seen = new Map<string, string[]>()): Promise<Map<string, string[]>> {
  if (seen.has(file)) return seen;
  const code = await readFile(file, 'utf8');
  const found = SPECIFIERS.flatMap((pattern) => [...code.matchAll(pattern)].map((match) => match[1] as string));
  seen.set(file, found);
  for (const specifier of found) if (specifier.startsWith('.')) await specifiersFrom(resolve(dirname(file), specifier), seen);
  return seen;
}

describe('web and hono entries: no Node built-in reaches them', () => {
  it.each(['web.js', 'web.cjs', 'hono.js', 'hono.cjs'])('%s and the chunks it loads import no Node built-in', async (entry) => {
    const graph = await specifiersFrom(join(outDir, entry));
    expect(graph.size).toBeGreaterThan(1); // the entry and at least one shared chunk
    const offenders = [...graph].flatMap(([file, specifiers]) => specifiers.filter((s) => NODE_BUILTINS.has(s)).map((s) => `${file}: ${s}`));
    expect(offenders).toEqual([]);
  });

  it('the check would catch one: the Node entry imports node:crypto (as "crypto")', async () => {
    const graph = await specifiersFrom(join(outDir, 'index.js'));
    expect([...graph.values()].flat().some((s) => NODE_BUILTINS.has(s))).toBe(true);
  });
});

describe('web entry inside workerd (miniflare)', () => {
  let script: string;

  beforeAll(async () => {
    // A Worker written the way the README tells users to: verifier at module scope (its key
    // cache lives as long as the isolate), configuration from the environment bindings.
    const worker = join(outDir, 'worker.js');
    await writeFile(
      worker,
      `import { authenticate, requireScopes } from './web.js';
let auth;
const readMessages = requireScopes('read:messages');
export default {
  async fetch(request, env) {
    auth ??= authenticate({ issuer: env.ISSUER, audience: env.AUDIENCE, jwksUri: env.JWKS_URI, algorithms: ['RS256', 'ES256'] });
    const result = await auth(request);
    if (result instanceof Response) return result;
    const refused = readMessages(result);
    if (refused) return refused;
    return Response.json({ sub: result.subject, alg: result.header.alg, runtime: { process: typeof process, navigator: globalThis.navigator?.userAgent ?? null } });
  },
};
`,
    );
    script = await bundleWorker(worker);
    mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate: '2025-09-01',
      bindings: { ISSUER: issuer.issuer, AUDIENCE, JWKS_URI: issuer.jwksUri },
    });
    await mf.ready;
  }, 60_000);

  const call = async (headers: Record<string, string> = {}) => {
    const response = await mf!.dispatchFetch('https://api.example.com/messages', { headers });
    return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: (await response.json()) as Record<string, unknown> };
  };

  it('the bundle holds no Node built-in import', () => {
    expect(script).not.toMatch(/\bfrom\s*["'](node:)?(crypto|buffer|tls|net|http|https|util|stream)["']/);
    expect(script).not.toMatch(/\brequire\s*\(/);
  });

  it('verifies real RS256 and ES256 tokens against the JWKS on 127.0.0.1, fetched once', async () => {
    const before = issuer.jwksHits;
    for (const alg of ['RS256', 'ES256']) {
      const answer = await call({ authorization: `Bearer ${await issuer.mint(AUDIENCE, {}, { alg })}` });
      expect(answer).toEqual({
        status: 200,
        wwwAuthenticate: null,
        body: { sub: 'auth0|demo-user', alg, runtime: { process: 'undefined', navigator: 'Cloudflare-Workers' } },
      });
    }
    expect(issuer.jwksHits - before).toBe(1);
  });

  it('refuses with the same status, challenge and body as on Node', async () => {
    const expired = await call({ authorization: `Bearer ${await issuer.mint(AUDIENCE, {}, { expiresIn: -60 })}` });
    expect(expired.status).toBe(401);
    expect(expired.wwwAuthenticate).toMatch(/^Bearer error="invalid_token", error_description="/);
    expect(expired.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });

    const audience = await call({ authorization: `Bearer ${await issuer.mint('https://api.example.com')}` });
    expect(audience.status).toBe(401);

    const scope = await call({ authorization: `Bearer ${await issuer.mint(AUDIENCE, { scope: 'other' })}` });
    expect(scope.status).toBe(403);
    expect(scope.wwwAuthenticate).toContain('scope="read:messages"');

    expect(await call()).toEqual({ status: 401, wwwAuthenticate: 'Bearer', body: { error: 'missing_credentials', error_description: expect.any(String) } });
    expect((await call({ authorization: 'Bearer a b' })).status).toBe(400);
  });
});

describe('hono entry inside workerd (miniflare)', () => {
  let script: string;

  beforeAll(async () => {
    // A Hono Worker as the README shows it: the middleware made once per isolate, from the bindings.
    const worker = join(outDir, 'hono-worker.js');
    await writeFile(
      worker,
      `import { Hono } from 'hono';
import { authenticate, requireScopes } from './hono.js';
let auth;
const app = new Hono();
app.use('/api/*', (c, next) => (auth ??= authenticate({ issuer: c.env.ISSUER, audience: c.env.AUDIENCE, jwksUri: c.env.JWKS_URI }))(c, next));
app.get('/api/messages', requireScopes('read:messages'), (c) => c.json({ sub: c.var.auth.subject, runtime: { process: typeof process, navigator: globalThis.navigator?.userAgent ?? null } }));
export default app;
`,
    );
    script = await bundleWorker(worker);
    mfHono = new Miniflare({
      modules: true,
      script,
      compatibilityDate: '2025-09-01',
      bindings: { ISSUER: issuer.issuer, AUDIENCE, JWKS_URI: issuer.jwksUri },
    });
    await mfHono.ready;
  }, 60_000);

  const call = async (headers: Record<string, string> = {}) => {
    const response = await mfHono!.dispatchFetch('https://api.example.com/api/messages', { headers });
    return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: (await response.json()) as Record<string, unknown> };
  };

  it('the bundle (Hono included) holds no Node built-in import', () => {
    expect(script).not.toMatch(/\bfrom\s*["'](node:)?(crypto|buffer|tls|net|http|https|util|stream)["']/);
    expect(script).not.toMatch(/\brequire\s*\(/);
  });

  it('verifies a real token and sets c.var.auth', async () => {
    expect(await call({ authorization: `Bearer ${await issuer.mint(AUDIENCE, {}, { alg: 'RS256' })}` })).toEqual({
      status: 200,
      wwwAuthenticate: null,
      body: { sub: 'auth0|demo-user', runtime: { process: 'undefined', navigator: 'Cloudflare-Workers' } },
    });
  });

  it('refuses with the status, challenge and body of every other host', async () => {
    const expired = await call({ authorization: `Bearer ${await issuer.mint(AUDIENCE, {}, { alg: 'RS256', expiresIn: -60 })}` });
    expect(expired.status).toBe(401);
    expect(expired.wwwAuthenticate).toMatch(/^Bearer error="invalid_token", error_description="/);
    expect(expired.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    const scope = await call({ authorization: `Bearer ${await issuer.mint(AUDIENCE, { scope: 'other' }, { alg: 'RS256' })}` });
    expect(scope.status).toBe(403);
    expect(scope.wwwAuthenticate).toContain('scope="read:messages"');
    expect(await call()).toEqual({ status: 401, wwwAuthenticate: 'Bearer', body: { error: 'missing_credentials', error_description: expect.any(String) } });
  });
});
