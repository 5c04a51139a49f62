/**
 * The Koa adapter's translation, on Koa 3 (`koa`) and Koa 2 (`koa2`, an npm alias): the result on
 * `ctx.state.auth`, refusals as status/headers/body, the optional mode, guards, and our 503 thrown
 * into Koa's error handling with its `status` and `headers`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, KeysUnavailableError, requirePermissions, requireScopes, type GuardError, type AuthState } from '../../adapters/koa.js';
import { createVerifier } from '../../src/index.js';
import { LocalIssuer } from '../../examples/local-issuer.js';

// Koa 2 ships no types; it is the same API for what the adapter touches.
const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa;

const AUDIENCE = 'https://api.example.com/';
let issuer: LocalIssuer;
let options: { issuer: string; audience: string; jwksUri: string; realm: string };

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  options = { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, realm: 'api' };
});
afterAll(() => issuer.close());

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(app: Koa<AuthState>): Promise<string> {
  app.silent = true;
  const server = createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each([
  ['koa 3', Koa],
  ['koa 2', Koa2],
])('%s', (_name, KoaClass) => {
  it('puts the verified token on ctx.state.auth', async () => {
    const app = new KoaClass<AuthState>();
    app.use(authenticate(options));
    app.use((ctx) => {
      ctx.body = { sub: ctx.state.auth?.subject, scopes: ctx.state.auth?.scopes };
    });
    const base = await listen(app);
    const response = await fetch(`${base}/me`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'auth0|demo-user', scopes: ['read:messages'] });
  });

  it('refuses with status, WWW-Authenticate and JSON body; onRefusal sees the reason', async () => {
    const refusals: GuardError[] = [];
    const app = new KoaClass<AuthState>();
    app.use(authenticate(createVerifier(options), { onRefusal: (error) => refusals.push(error) }));
    app.use((ctx) => {
      ctx.body = { reached: true };
    });
    const base = await listen(app);
    const expired = await fetch(`${base}/me`, { headers: bearer(await issuer.mint(AUDIENCE, {}, { expiresIn: -60 })) });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token", error_description="/);
    expect(expired.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await expired.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    expect(refusals[0]?.reason).toMatch(/exp/);

    const malformed = await fetch(`${base}/me`, { headers: { authorization: 'Bearer a b' } });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error).toBe('invalid_request');
  });

  it('optional mode admits anonymous requests, not bad tokens; guards answer per route', async () => {
    const app = new KoaClass<AuthState>();
    app.use(authenticate(options, { optional: true }));
    app.use(async (ctx, next) => {
      if (ctx.path === '/read') return requireScopes('read:messages')(ctx, next);
      if (ctx.path === '/either') return requireScopes('write:messages read:messages', { match: 'any' })(ctx, next);
      if (ctx.path === '/delete') return requirePermissions(['delete:messages'])(ctx, next);
      return next();
    });
    app.use((ctx) => {
      ctx.body = { sub: ctx.state.auth?.subject ?? null };
    });
    const base = await listen(app);

    expect(await (await fetch(`${base}/feed`)).json()).toEqual({ sub: null });
    expect((await fetch(`${base}/feed`, { headers: bearer(await issuer.mint('https://other.example.com/')) })).status).toBe(401);

    const anonymous = await fetch(`${base}/read`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="api"');

    const token = await issuer.mint(AUDIENCE);
    expect((await fetch(`${base}/read`, { headers: bearer(token) })).status).toBe(200);
    expect((await fetch(`${base}/either`, { headers: bearer(token) })).status).toBe(200);
    const denied = await fetch(`${base}/delete`, { headers: bearer(token) });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain('error="insufficient_scope", error_description="');
    expect(denied.headers.get('www-authenticate')).toContain('scope="delete:messages"');
    expect((await denied.json()).error).toBe('insufficient_scope');
  });

  it('answers our 503 itself: Retry-After and a body that names nothing internal', async () => {
    const app = new KoaClass<AuthState>();
    app.use(authenticate({ ...options, jwksUri: 'http://127.0.0.1:1/jwks.json' }));
    const base = await listen(app);
    const response = await fetch(`${base}/me`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    expect(body).not.toContain('127.0.0.1');
  });

  it('throws our 503 with forwardUnavailable: Koa answers with its status and Retry-After, and the detail stays unexposed', async () => {
    const app = new KoaClass<AuthState>();
    const errors: unknown[] = [];
    app.on('error', (error) => errors.push(error));
    app.use(authenticate({ ...options, jwksUri: 'http://127.0.0.1:1/jwks.json' }, { forwardUnavailable: true }));
    app.use((ctx) => {
      ctx.body = { reached: true };
    });
    const base = await listen(app);
    const response = await fetch(`${base}/me`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.text()).toBe('Service Unavailable');
    expect(errors[0]).toBeInstanceOf(KeysUnavailableError);
  });

  it('an upstream error handler can render the 503 body', async () => {
    const app = new KoaClass<AuthState>();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        if (!(error instanceof KeysUnavailableError)) throw error;
        ctx.status = error.status;
        ctx.set(error.headers);
        ctx.body = error.body;
      }
    });
    app.use(authenticate({ ...options, jwksUri: 'http://127.0.0.1:1/jwks.json' }, { forwardUnavailable: true }));
    const base = await listen(app);
    const response = await fetch(`${base}/me`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });
});
