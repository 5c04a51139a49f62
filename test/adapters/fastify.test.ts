/**
 * The Fastify adapter's translation: plugin registration (options or verifier), `request.auth`
 * across encapsulated contexts, route-level opt-out, guards as preHandler hooks, refusals through
 * the reply, our 503 too (or through Fastify's error handler with `forwardUnavailable`). The verification rules themselves are
 * tested once, in the core's tests.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import guard, { KeysUnavailableError, requirePermissions, requireScopes, type FastifyGuardOptions, type GuardError } from '../../adapters/fastify.js';
import { createVerifier } from '../../src/index.js';
import { LocalIssuer } from '../../examples/local-issuer.js';

const AUDIENCE = 'https://api.example.com/';
let issuer: LocalIssuer;
let options: { issuer: string; audience: string; jwksUri: string; realm: string };

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  options = { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, realm: 'api' };
});
afterAll(() => issuer.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function app(register: (app: FastifyInstance) => Promise<void> | void): Promise<FastifyInstance> {
  const instance = Fastify();
  await register(instance);
  await instance.ready();
  return instance;
}

describe('fastify: authentication', () => {
  it('puts the verified token on request.auth, visible in encapsulated child contexts', async () => {
    const instance = await app(async (app) => {
      await app.register(guard, options);
      // A child context (what most apps are made of) still sees the decoration and the hook.
      await app.register(async (child) => {
        child.get('/me', async (request) => ({ sub: request.auth?.subject, scopes: request.auth?.scopes }));
      });
    });
    const response = await instance.inject({ url: '/me', headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ sub: 'auth0|demo-user', scopes: ['read:messages'] });
  });

  it('takes Fastify\'s own register options beside the verifier\'s, and still refuses a misspelt one', async () => {
    const instance = await app(async (app) => {
      await app.register(guard, { ...options, prefix: '/v1', logLevel: 'warn' } as FastifyGuardOptions);
      app.get('/me', async (request) => ({ sub: request.auth?.subject }));
    });
    const response = await instance.inject({ url: '/me', headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.json()).toEqual({ sub: 'auth0|demo-user' });
    await expect(app(async (app) => app.register(guard, { ...options, audiance: AUDIENCE } as FastifyGuardOptions))).rejects.toThrow(/did you mean `audience`/);
  });

  it('accepts a ready verifier instead of options', async () => {
    const instance = await app(async (app) => {
      await app.register(guard, { verifier: createVerifier(options) });
      app.get('/me', async (request) => ({ client: request.auth?.clientId }));
    });
    const response = await instance.inject({ url: '/me', headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.json()).toEqual({ client: 'demo-client-id' });
  });

  it('refuses through the reply: status, WWW-Authenticate and JSON body', async () => {
    const refusals: GuardError[] = [];
    const instance = await app(async (app) => {
      await app.register(guard, { ...options, onRefusal: (error) => refusals.push(error) });
      app.get('/me', async () => ({ reached: true }));
    });
    const response = await instance.inject({ url: '/me', headers: bearer(await issuer.mint('https://other.example.com/')) });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token", error_description="/);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    expect(refusals.map((error) => error.code)).toEqual(['invalid_token']);
    expect(refusals[0]?.reason).toContain('aud');

    const none = await instance.inject({ url: '/me' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('authenticates in preValidation when asked, reading a token from the parsed body', async () => {
    const instance = await app(async (app) => {
      await app.register(guard, { ...options, hook: 'preValidation', tokenLocations: ['header', 'body'] });
      app.post('/messages', async (request) => ({ sub: request.auth?.subject }));
    });
    const token = await issuer.mint(AUDIENCE);
    const accepted = await instance.inject({ method: 'POST', url: '/messages', payload: { access_token: token } });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toEqual({ sub: 'auth0|demo-user' });
    const refused = await instance.inject({ method: 'POST', url: '/messages', payload: { access_token: await issuer.mint('https://other.example.com/') } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('route opt-out: config.auth false skips authentication; "optional" admits anonymous requests only', async () => {
    const instance = await app(async (app) => {
      await app.register(guard, options);
      app.get('/health', { config: { auth: false } }, async (request) => ({ auth: request.auth ?? null }));
      app.get('/feed', { config: { auth: 'optional' } }, async (request) => ({ sub: request.auth?.subject ?? null }));
    });
    const badToken = bearer(await issuer.mint(AUDIENCE, {}, { expiresIn: -60 }));
    expect((await instance.inject({ url: '/health', headers: badToken })).json()).toEqual({ auth: null });
    expect((await instance.inject({ url: '/feed' })).json()).toEqual({ sub: null });
    expect((await instance.inject({ url: '/feed', headers: bearer(await issuer.mint(AUDIENCE)) })).json()).toEqual({ sub: 'auth0|demo-user' });
    expect((await instance.inject({ url: '/feed', headers: badToken })).statusCode).toBe(401);
  });

  it('plugin-wide optional mode; config.auth true requires credentials on a route anyway', async () => {
    const instance = await app(async (app) => {
      await app.register(guard, { ...options, optional: true });
      app.get('/feed', async (request) => ({ sub: request.auth?.subject ?? null }));
      app.get('/account', { config: { auth: true } }, async (request) => ({ sub: request.auth?.subject ?? null }));
    });
    expect((await instance.inject({ url: '/feed' })).json()).toEqual({ sub: null });
    expect((await instance.inject({ url: '/feed', headers: { authorization: 'Bearer a b' } })).statusCode).toBe(400);
    const account = await instance.inject({ url: '/account' });
    expect(account.statusCode).toBe(401);
    expect(account.headers['www-authenticate']).toBe('Bearer realm="api"');
  });
});

describe('fastify: guards as preHandler hooks', () => {
  let instance: FastifyInstance;
  beforeAll(async () => {
    instance = await app(async (app) => {
      await app.register(guard, { ...options, optional: true });
      app.get('/read', { preHandler: requireScopes('read:messages') }, async () => ({ ok: true }));
      app.get('/either', { preHandler: requireScopes(['read:messages', 'write:messages'], { match: 'any' }) }, async () => ({ ok: true }));
      app.delete('/msg', { preHandler: [requireScopes('read:messages'), requirePermissions('delete:messages')] }, async () => ({ ok: true }));
    });
  });

  it('lets a token with the scope through', async () => {
    const response = await instance.inject({ url: '/read', headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.json()).toEqual({ ok: true });
  });

  it('refuses a missing scope with 403 insufficient_scope and the scope in the challenge', async () => {
    const response = await instance.inject({ url: '/read', headers: bearer(await issuer.mint(AUDIENCE, { scope: 'other' })) });
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(response.headers['www-authenticate']).toContain('scope="read:messages"');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="api"/);
    expect(response.json().error).toBe('insufficient_scope');
  });

  it('match any, and permissions', async () => {
    expect((await instance.inject({ url: '/either', headers: bearer(await issuer.mint(AUDIENCE, { scope: 'write:messages' })) })).statusCode).toBe(200);
    const noPermission = await instance.inject({ method: 'DELETE', url: '/msg', headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(noPermission.statusCode).toBe(403);
    expect(noPermission.headers['www-authenticate']).toContain('scope="delete:messages"');
    const withPermission = await instance.inject({
      method: 'DELETE',
      url: '/msg',
      headers: bearer(await issuer.mint(AUDIENCE, { permissions: ['delete:messages'] })),
    });
    expect(withPermission.statusCode).toBe(200);
  });

  it('a guard on an anonymous request answers 401 with the verifier challenge', async () => {
    const response = await instance.inject({ url: '/read' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
  });
});

describe('fastify: our 503', () => {
  const unreachable = () => ({ ...options, jwksUri: 'http://127.0.0.1:1/jwks.json' });

  it('is answered by the plugin: 503 with Retry-After and a body that names nothing internal', async () => {
    const instance = await app(async (app) => {
      await app.register(guard, unreachable());
      app.get('/me', async () => ({ reached: true }));
    });
    const response = await instance.inject({ url: '/me', headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.statusCode).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    expect(response.body).not.toContain('127.0.0.1');
  });

  it('reaches the app error handler as a KeysUnavailableError with forwardUnavailable', async () => {
    const seen: unknown[] = [];
    const instance = await app(async (app) => {
      app.setErrorHandler((error, _request, reply) => {
        seen.push(error);
        if (error instanceof KeysUnavailableError) return reply.code(error.status).headers(error.headers).send(error.body);
        return reply.send(error);
      });
      await app.register(guard, { ...unreachable(), forwardUnavailable: true });
      app.get('/me', async () => ({ reached: true }));
    });
    const response = await instance.inject({ url: '/me', headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(seen[0]).toBeInstanceOf(KeysUnavailableError);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(response.headers['retry-after']).toBeDefined();
  });
});
