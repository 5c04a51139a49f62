/**
 * Every example under examples/ runs as a user would run it (`tsx examples/<host>.ts`, configured by
 * ISSUER, AUDIENCE, PORT and HOST), listens on 127.0.0.1, and answers real tokens from a local
 * issuer found by discovery, exactly as an Auth0 API's would be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuer } from '../examples/local-issuer.js';
import { startExample, type ExampleProcess } from './helpers/example-process.js';

const AUDIENCE = 'https://api.example.com';

let issuer: LocalIssuer;
const children: ExampleProcess[] = [];

beforeAll(async () => {
  issuer = await LocalIssuer.start();
});

afterAll(async () => {
  for (const child of children) child.stop();
  await issuer.close();
});

/** Starts an example on an ephemeral port and resolves with its base URL. */
async function start(example: string): Promise<string> {
  const child = await startExample(example, { ISSUER: issuer.issuer, AUDIENCE, PORT: '0' });
  children.push(child);
  return child.base;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(['express.ts', 'fastify.ts', 'koa.ts', 'web.ts', 'hono.ts', 'nestjs.ts'])('examples/%s', (example) => {
  let base: string;
  beforeAll(async () => {
    base = await start(example);
  }, 60_000);

  it('public route: no token needed', async () => {
    const response = await fetch(`${base}/api/public`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Hello from a public endpoint.' });
  });

  it('private route: a valid token in, no token or a bad one out', async () => {
    const ok = await fetch(`${base}/api/private`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ message: 'Hello, auth0|demo-user.' });

    const none = await fetch(`${base}/api/private`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');

    const audience = await fetch(`${base}/api/private`, { headers: bearer(await issuer.mint(`${AUDIENCE}/`)) });
    expect(audience.status).toBe(401);
    expect((await audience.json()).error).toBe('invalid_token');
  });

  it('scoped route and permission route', async () => {
    const scoped = await fetch(`${base}/api/private-scoped`, { headers: bearer(await issuer.mint(AUDIENCE, { scope: 'read:messages' })) });
    expect(scoped.status).toBe(200);
    const unscoped = await fetch(`${base}/api/private-scoped`, { headers: bearer(await issuer.mint(AUDIENCE, { scope: 'openid' })) });
    expect(unscoped.status).toBe(403);
    expect(unscoped.headers.get('www-authenticate')).toContain('scope="read:messages"');

    const permitted = await fetch(`${base}/api/messages/1`, { method: 'DELETE', headers: bearer(await issuer.mint(AUDIENCE, { permissions: ['delete:messages'] })) });
    expect(permitted.status).toBe(204);
    const forbidden = await fetch(`${base}/api/messages/1`, { method: 'DELETE', headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(forbidden.status).toBe(403);
  });
});

describe('examples/lambda.ts (behind its local stand-in for API Gateway)', () => {
  let base: string;
  beforeAll(async () => {
    base = await start('lambda.ts');
  }, 60_000);

  it('allows a token with read:messages and passes the authorizer context on', async () => {
    const response = await fetch(`${base}/api/messages`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      message: 'Hello from the integration.',
      authorizer: { lambda: { sub: 'auth0|demo-user', clientId: 'demo-client-id', scope: 'read:messages', permissions: '' } },
    });
  });

  it('401 for no token and for a bad one; 403 for a token without the scope', async () => {
    expect((await fetch(`${base}/api/messages`)).status).toBe(401);
    expect((await fetch(`${base}/api/messages`, { headers: bearer(await issuer.mint(AUDIENCE, {}, { expiresIn: -60 })) })).status).toBe(401);
    expect((await fetch(`${base}/api/messages`, { headers: bearer(await issuer.mint(AUDIENCE, { scope: 'openid' })) })).status).toBe(403);
  });
});

/**
 * The Next.js recipe without Next.js: the route handler and the middleware are the functions Next
 * calls, of a standard `Request` (Next passes a NextRequest, which extends it). Called here with
 * real Requests and real tokens; what Next adds around them (routing, the matcher, NextResponse)
 * is not exercised.
 */
describe('examples/nextjs (route handler and middleware, called as Next calls them)', () => {
  let route: typeof import('../examples/nextjs/app/api/messages/route.js');
  let middleware: typeof import('../examples/nextjs/middleware.js');
  beforeAll(async () => {
    // Both modules read their configuration at load, as in a Next app.
    process.env.ISSUER = issuer.issuer;
    process.env.AUDIENCE = AUDIENCE;
    route = await import('../examples/nextjs/app/api/messages/route.js');
    middleware = await import('../examples/nextjs/middleware.js');
  });

  const request = (path: string, init: RequestInit = {}) => new Request(`https://app.example.com${path}`, init);

  it('route handler GET: the token in, the scope checked, refusals as Responses', async () => {
    const ok = await route.GET(request('/api/messages', { headers: bearer(await issuer.mint(AUDIENCE)) }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ messages: [], reader: 'auth0|demo-user' });

    const none = await route.GET(request('/api/messages'));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');

    const unscoped = await route.GET(request('/api/messages', { headers: bearer(await issuer.mint(AUDIENCE, { scope: 'openid' })) }));
    expect(unscoped.status).toBe(403);
    expect(unscoped.headers.get('www-authenticate')).toContain('scope="read:messages"');
  });

  it('route handler DELETE: the permission checked', async () => {
    const permitted = await route.DELETE(request('/api/messages', { method: 'DELETE', headers: bearer(await issuer.mint(AUDIENCE, { permissions: ['delete:messages'] })) }));
    expect(permitted.status).toBe(204);
    const forbidden = await route.DELETE(request('/api/messages', { method: 'DELETE', headers: bearer(await issuer.mint(AUDIENCE)) }));
    expect(forbidden.status).toBe(403);
  });

  it('middleware: lets a valid token and the public path through (undefined), answers a refusal', async () => {
    expect(middleware.config.matcher).toBe('/api/:path*');
    expect(await middleware.middleware(request('/api/messages', { headers: bearer(await issuer.mint(AUDIENCE)) }))).toBeUndefined();
    expect(await middleware.middleware(request('/api/public'))).toBeUndefined();
    const refused = await middleware.middleware(request('/api/messages', { headers: bearer(await issuer.mint(`${AUDIENCE}/`)) }));
    expect(refused?.status).toBe(401);
    expect(await refused?.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
  });
});
