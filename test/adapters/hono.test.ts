/**
 * The Hono adapter's translation, on Node through @hono/node-server over real HTTP: the result on
 * `c.var.auth` (typed: no `!` after `authenticate`), refusals as status/headers/body, the optional
 * mode, guards, and our 503 answered (or thrown to `app.onError` when forwarded). The same entry
 * runs in workerd in workerd.test.ts, and under Bun and Deno in hono.runtime.test.ts.
 */
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticate,
  createVerifier as createWebVerifier,
  KeysUnavailableError,
  requireClaim,
  requirePermissions,
  requireScopes,
  severalIssuers,
  type AuthEnv,
  type AuthResult,
  type GuardError,
  type VerifierOptions,
} from '../../adapters/hono.js';
import { createVerifier } from '../../src/index.js';
import { LocalIssuer } from '../../src/testing.js';
import { closedPort, listen, type RunningServer } from '../helpers/http.js';

const AUDIENCE = 'https://api.example.com/';
let issuer: LocalIssuer;
let options: VerifierOptions;
const running: RunningServer[] = [];

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  options = { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, realm: 'api' };
});
afterAll(async () => {
  await Promise.all(running.map((server) => server.close()));
  await issuer.close();
});

/** Serves `app` on 127.0.0.1 through @hono/node-server; resolves with its origin. */
async function serve(app: Hono<any>): Promise<string> {
  const server = await listen(createAdaptorServer({ fetch: app.fetch }) as Parameters<typeof listen>[0]);
  running.push(server);
  return server.origin;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('hono: authenticate', () => {
  it('puts the verified token on c.var.auth, typed without a non-null assertion', async () => {
    const app = new Hono().get('/me', authenticate(options), (c) => c.json({ sub: c.var.auth.subject, scopes: c.var.auth.scopes }));
    const base = await serve(app);
    const response = await fetch(`${base}/me`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'auth0|demo-user', scopes: ['read:messages'] });
  });

  it('types c.var.auth on an app declared Hono<AuthEnv> with app.use', async () => {
    const app = new Hono<AuthEnv>();
    app.use('/api/*', authenticate(options));
    app.get('/api/me', (c) => c.text(c.var.auth.clientId ?? ''));
    const base = await serve(app);
    const response = await fetch(`${base}/api/me`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(await response.text()).toBe('demo-client-id');
  });

  it('refuses with status, WWW-Authenticate and JSON body; onRefusal sees the reason and the context', async () => {
    const seen: Array<{ error: GuardError; path: string }> = [];
    const app = new Hono().get('/me', authenticate(options, { onRefusal: (error, c) => seen.push({ error, path: c.req.path }) }), (c) => c.text('reached'));
    const base = await serve(app);
    const response = await fetch(`${base}/me`, { headers: bearer(await issuer.mint('https://other.example.com/')) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token", error_description="/);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    expect(seen[0]?.error.reason).toContain('aud');
    expect(seen[0]?.path).toBe('/me');

    const none = await fetch(`${base}/me`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('keeps the headers earlier middleware set on the context in a refusal', async () => {
    const app = new Hono();
    app.use(async (c, next) => {
      c.header('x-request-id', 'r-1');
      await next();
    });
    app.get('/me', authenticate(options), (c) => c.text('reached'));
    const response = await fetch(`${await serve(app)}/me`);
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toBe('r-1');
  });

  it('optional mode: no credentials pass with c.var.auth undefined; bad ones are still refused', async () => {
    const app = new Hono().get('/feed', authenticate(options, { optional: true }), (c) => {
      // @ts-expect-error -- optional: auth may be undefined
      const required: AuthResult = c.var.auth;
      void required;
      return c.json({ sub: c.var.auth?.subject ?? null });
    });
    const base = await serve(app);
    expect(await (await fetch(`${base}/feed`)).json()).toEqual({ sub: null });
    expect((await fetch(`${base}/feed`, { headers: { authorization: 'Bearer a b' } })).status).toBe(400);
    expect(await (await fetch(`${base}/feed`, { headers: bearer(await issuer.mint(AUDIENCE)) })).json()).toEqual({ sub: 'auth0|demo-user' });
  });

  it('accepts a verifier from the main entry (node:crypto) as well as one from the web entry', async () => {
    for (const verifier of [createVerifier(options), createWebVerifier(options)]) {
      const app = new Hono().get('/me', authenticate(verifier), (c) => c.text(c.var.auth.subject ?? ''));
      const response = await fetch(`${await serve(app)}/me`, { headers: bearer(await issuer.mint(AUDIENCE)) });
      expect(await response.text()).toBe('auth0|demo-user');
    }
  });

  it("takes /web's optional steps from its own entry: several issuers with severalIssuers, a TypeError naming it without", async () => {
    const issuers = [{ issuer: 'https://other.example.com/', audience: AUDIENCE, jwksUri: issuer.jwksUri }, { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri }];
    expect(() => createWebVerifier({ issuers })).toThrow(/pass `severalIssuers`/);
    const app = new Hono().get('/me', authenticate(createWebVerifier({ issuers }, severalIssuers)), (c) => c.text(c.var.auth.issuer));
    const response = await fetch(`${await serve(app)}/me`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(await response.text()).toBe(issuer.issuer);
  });
});

describe('hono: guards', () => {
  it('requireScopes: 403 insufficient_scope with the scope in the challenge; passes with it', async () => {
    const app = new Hono().get('/messages', authenticate(options), requireScopes('write:messages'), (c) => c.text('ok'));
    const base = await serve(app);
    const refused = await fetch(`${base}/messages`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="insufficient_scope", .*scope="write:messages"/);
    expect(await refused.json()).toEqual({ error: 'insufficient_scope', error_description: expect.any(String) });
    const allowed = await fetch(`${base}/messages`, { headers: bearer(await issuer.mint(AUDIENCE, { scope: 'write:messages' })) });
    expect(await allowed.text()).toBe('ok');
  });

  it('requirePermissions with match any, and requireClaim', async () => {
    const app = new Hono()
      .get('/admin', authenticate(options), requirePermissions(['admin', 'owner'], { match: 'any' }), (c) => c.text('admin'))
      .get('/org', authenticate(options), requireClaim((claims) => claims.org_id === 'org_1', 'The token is not for this organization.'), (c) => c.text('org'));
    const base = await serve(app);
    expect((await fetch(`${base}/admin`, { headers: bearer(await issuer.mint(AUDIENCE, { permissions: ['owner'] })) })).status).toBe(200);
    expect((await fetch(`${base}/admin`, { headers: bearer(await issuer.mint(AUDIENCE, { permissions: ['read'] })) })).status).toBe(403);
    expect((await fetch(`${base}/org`, { headers: bearer(await issuer.mint(AUDIENCE, { org_id: 'org_1' })) })).status).toBe(200);
    const other = await fetch(`${base}/org`, { headers: bearer(await issuer.mint(AUDIENCE, { org_id: 'org_2' })) });
    expect(other.status).toBe(403);
    expect((await other.json()).error_description).toBe('The token is not for this organization.');
  });

  it('a guard after optional authenticate refuses an anonymous request with 401 in the verifier name, and onRefusal sees it', async () => {
    const seen: string[] = [];
    const app = new Hono().get('/messages', authenticate(options, { optional: true, onRefusal: (error) => seen.push(error.code) }), requireScopes('read:messages'), (c) =>
      // After a guard, auth is set again: no optional chaining needed.
      c.text(c.var.auth.subject ?? ''),
    );
    const response = await fetch(`${await serve(app)}/messages`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(seen).toEqual(['missing_credentials']);
  });
});

describe('hono: our 503', () => {
  it('is answered with Retry-After and temporarily_unavailable by default; onRefusal sees it', async () => {
    const seen: GuardError[] = [];
    const down = { ...options, jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json` };
    const app = new Hono().get('/me', authenticate(down, { onRefusal: (error) => seen.push(error) }), (c) => c.text('reached'));
    const response = await fetch(`${await serve(app)}/me`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    expect(body).not.toContain('127.0.0.1');
    expect(seen[0]).toBeInstanceOf(KeysUnavailableError);
  });

  it('forwardUnavailable throws it to app.onError, which can send its response', async () => {
    const down = { ...options, jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json` };
    const app = new Hono().get('/me', authenticate(down, { forwardUnavailable: true }), (c) => c.text('reached'));
    const handled: unknown[] = [];
    app.onError((error, c) => {
      handled.push(error);
      return c.text('handled by the app', 502);
    });
    const response = await fetch(`${await serve(app)}/me`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(502);
    expect(await response.text()).toBe('handled by the app');
    expect(handled[0]).toBeInstanceOf(KeysUnavailableError);
  });
});
