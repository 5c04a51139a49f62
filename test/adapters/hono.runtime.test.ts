/**
 * The Hono entry, as built (the package's tsup config), serving real HTTP under Bun (`Bun.serve`)
 * and Deno (`Deno.serve`): a Hono app with `authenticate` and a guard verifies a real token from a
 * local issuer (each runtime fetches the JWKS itself, through WebCrypto) and refuses others with the
 * same status, challenge and body as on Node. Spawns the Bun and Deno binaries of devDependencies.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build as tsup } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuer } from '../../examples/local-issuer.js';
import { bun, deno, startOn, type Runtime, type RuntimeServer } from '../helpers/runtimes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const AUDIENCE = 'https://api.example.com/';

let outDir: string;
let issuer: LocalIssuer;

/** The same app on both runtimes; only how it reads the environment and serves differs. */
const app = (env: (name: string) => string, serve: string) => `import { Hono } from 'hono';
import { authenticate, requireScopes } from './hono.js';
const app = new Hono();
app.use('/api/*', authenticate({ issuer: ${env('ISSUER')}, audience: ${JSON.stringify(AUDIENCE)}, jwksUri: ${env('JWKS_URI')} }));
app.get('/api/messages', requireScopes('read:messages'), (c) => c.json({ sub: c.var.auth.subject }));
${serve}
`;

beforeAll(async () => {
  // Under the repo's node_modules, so `hono` and `jose` resolve from it as from an app's own.
  await mkdir(join(ROOT, 'node_modules/.cache'), { recursive: true });
  outDir = await mkdtemp(join(ROOT, 'node_modules/.cache/atg-hono-runtime-'));
  await tsup({ config: join(ROOT, 'tsup.config.ts'), outDir, dts: false, sourcemap: false, silent: true });
  await writeFile(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
  await writeFile(
    join(outDir, 'bun-server.js'),
    app(
      (name) => `Bun.env.${name}`,
      `const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch });
console.log('listening on http://127.0.0.1:' + server.port);`,
    ),
  );
  await writeFile(
    join(outDir, 'deno-server.js'),
    app(
      (name) => `Deno.env.get('${name}')`,
      `Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log('listening on http://127.0.0.1:' + port) }, app.fetch);`,
    ),
  );
  issuer = await LocalIssuer.start();
}, 300_000);

afterAll(async () => {
  await issuer?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe.each([
  ['Bun', bun, 'bun-server.js'],
  ['Deno', deno, 'deno-server.js'],
] as const)('hono on %s', (_name, runtimeOf, script) => {
  let runtime: Runtime;
  let server: RuntimeServer;
  beforeAll(async () => {
    runtime = runtimeOf();
    server = await startOn(runtime, script, outDir, { ISSUER: issuer.issuer, JWKS_URI: issuer.jwksUri });
  }, 120_000);
  afterAll(() => server?.stop());

  const call = async (headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.origin}/api/messages`, { headers });
    return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: await response.json() };
  };

  it('verifies a real token and sets c.var.auth', async () => {
    expect(await call({ authorization: `Bearer ${await issuer.mint(AUDIENCE)}` })).toEqual({ status: 200, wwwAuthenticate: null, body: { sub: 'auth0|demo-user' } });
  });

  it('refuses a bad token, a missing scope and no token with the status, challenge and body of every host', async () => {
    const audience = await call({ authorization: `Bearer ${await issuer.mint('https://other.example.com/')}` });
    expect(audience).toEqual({ status: 401, wwwAuthenticate: expect.stringMatching(/^Bearer error="invalid_token", error_description="/), body: { error: 'invalid_token', error_description: expect.any(String) } });
    const scope = await call({ authorization: `Bearer ${await issuer.mint(AUDIENCE, { scope: 'openid' })}` });
    expect(scope.status).toBe(403);
    expect(scope.wwwAuthenticate).toContain('scope="read:messages"');
    expect(await call()).toEqual({ status: 401, wwwAuthenticate: 'Bearer', body: { error: 'missing_credentials', error_description: expect.any(String) } });
  });
});
