/**
 * The Elysia recipe (examples/elysia.ts) run as its users run it, `bun run examples/elysia.ts`, on
 * the Bun binary of devDependencies, answering real HTTP with real tokens from a local issuer.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuer } from '../examples/local-issuer.js';
import { bun, startOn, type RuntimeServer } from './helpers/runtimes.js';

const ROOT = resolve(import.meta.dirname, '..');
const AUDIENCE = 'https://api.example.com';
let issuer: LocalIssuer;
let server: RuntimeServer;

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  server = await startOn(bun(), 'examples/elysia.ts', ROOT, { ISSUER: issuer.issuer, AUDIENCE, PORT: '0', HOST: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  server?.stop();
  await issuer?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('examples/elysia.ts on Bun', () => {
  it('public route: no token needed', async () => {
    const response = await fetch(`${server.origin}/api/public`);
    expect(await response.json()).toEqual({ message: 'Hello from a public endpoint.' });
  });

  it('private route: a valid token in, no token or a bad one out with the challenge', async () => {
    const ok = await fetch(`${server.origin}/api/private`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(await ok.json()).toEqual({ message: 'Hello, auth0|demo-user.' });
    const none = await fetch(`${server.origin}/api/private`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const audience = await fetch(`${server.origin}/api/private`, { headers: bearer(await issuer.mint(`${AUDIENCE}/`)) });
    expect(audience.status).toBe(401);
    expect(await audience.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
  });

  it('scoped route and permission route', async () => {
    const unscoped = await fetch(`${server.origin}/api/private-scoped`, { headers: bearer(await issuer.mint(AUDIENCE, { scope: 'openid' })) });
    expect(unscoped.status).toBe(403);
    expect(unscoped.headers.get('www-authenticate')).toContain('scope="read:messages"');
    const scoped = await fetch(`${server.origin}/api/private-scoped`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(await scoped.json()).toEqual({ message: 'You may read messages.' });
    const permitted = await fetch(`${server.origin}/api/messages/1`, { method: 'DELETE', headers: bearer(await issuer.mint(AUDIENCE, { permissions: ['delete:messages'] })) });
    expect(permitted.status).toBe(204);
    const forbidden = await fetch(`${server.origin}/api/messages/1`, { method: 'DELETE', headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(forbidden.status).toBe(403);
  });
});
