/**
 * The forward-auth service over real HTTP, asked the way each gateway asks it: Traefik and Caddy
 * (`X-Forwarded-Method`/`-Uri`/`-Host`/`-Proto`), nginx (`X-Original-Method`/`-URI`) and Envoy
 * `ext_authz` (the original method, the path under a prefix). Real keys from a real JWKS endpoint.
 * The real nginx and Caddy in front of an API are in gateways.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/gateway/index.js';
import type { Verifier } from '../../src/index.js';
import { sleep } from '../helpers/jwks-server.js';
import { startIssuer, startService, verifierConfig, type Issuer, type RunningService } from '../helpers/gateway.js';

let issuer: Issuer;
const running: RunningService[] = [];

beforeAll(async () => {
  issuer = await startIssuer();
});
afterAll(() => issuer.close());
afterEach(async () => {
  issuer.keysDown(false);
  await Promise.all(running.splice(0).map((service) => service.close()));
});

const ROUTES: GatewayConfig['routes'] = [
  { path: '/health', anonymous: true },
  { method: 'GET', path: '/messages/*', scopes: ['read:messages'] },
  { path: '/admin/*', permissions: ['admin:all'] },
];

async function service(overrides: Partial<GatewayConfig> = {}, options: { verifier?: Verifier } = {}): Promise<RunningService> {
  const started = await startService({ gateway: 'traefik', verifier: verifierConfig(issuer), routes: ROUTES, ...overrides }, options);
  running.push(started);
  return started;
}

/** Traefik's and Caddy's question for `METHOD uri`. */
function forwarded(method: string, uri: string, headers: Record<string, string> = {}): Record<string, string> {
  return { 'x-forwarded-method': method, 'x-forwarded-uri': uri, 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'https', ...headers };
}

function ask(running: RunningService, path: string, headers: Record<string, string>, method = 'GET'): Promise<Response> {
  return fetch(`${running.url}${path}`, { method, headers });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('Traefik and Caddy contract (X-Forwarded-*)', () => {
  it('answers 200 with the identity headers for a valid token', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('GET', '/orders/7', bearer(issuer.token({ permissions: ['orders:read'] }))));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-auth-subject')).toBe('auth0|user-1');
    expect(response.headers.get('x-auth-client-id')).toBe('client-1');
    expect(response.headers.get('x-auth-scopes')).toBe('read:messages write:messages');
    expect(response.headers.get('x-auth-permissions')).toBe('orders:read');
    expect(response.headers.get('x-auth-issuer')).toBe('https://tenant.example.com/');
  });

  it('looks the route up from X-Forwarded-Uri, not from its own path', async () => {
    const guard = await service();
    const response = await ask(guard, '/messages/anything', forwarded('DELETE', '/admin/users/1', bearer(issuer.token())));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="The access token lacks the permission this resource requires.", scope="admin:all"',
    );
    expect(await response.json()).toEqual({ error: 'insufficient_scope', error_description: 'The access token lacks the permission this resource requires.' });
  });

  it('ignores X-Original-URI, which Caddy and Traefik pass on from the client', async () => {
    const guard = await service({ gateway: 'caddy' });
    const response = await ask(guard, '/auth', forwarded('GET', '/admin/secrets', { 'x-original-uri': '/health', 'x-original-method': 'GET' }));
    expect(response.status).toBe(401);
  });

  it('refuses a bad token with 401, the challenge and a JSON body', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('GET', '/orders', bearer(`${issuer.token()}x`)));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="/);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('refuses a request without a token on a route that is not anonymous', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('GET', '/orders'));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('lets a request without a token through an anonymous route, identity headers empty', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('GET', '/health'));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-auth-subject')).toBe('');
    expect(response.headers.get('x-auth-scopes')).toBe('');
  });

  it('still refuses a bad token on an anonymous route', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('GET', '/health', bearer('not-a-token')));
    expect(response.status).toBe(401);
  });

  it('answers 503 with Retry-After when the keys cannot be fetched', async () => {
    issuer.keysDown(true);
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('GET', '/orders', bearer(issuer.token())));
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('answers 500, never 200, when the gateway does not say which request it asks about', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', bearer(issuer.token()));
    expect(response.status).toBe(500);
    expect(guard.lines.at(-1)).toMatchObject({ decision: 'misconfigured', status: 500, reason: 'traefik sent no single x-forwarded-method header' });
  });
});

describe('nginx contract (X-Original-*)', () => {
  const original = (method: string, uri: string, headers: Record<string, string> = {}) => ({ 'x-original-method': method, 'x-original-uri': uri, ...headers });

  it('decides on X-Original-Method and X-Original-URI', async () => {
    const guard = await service({ gateway: 'nginx' });
    const allowed = await ask(guard, '/_auth', original('GET', '/messages/1', bearer(issuer.token())));
    const refused = await ask(guard, '/_auth', original('POST', '/admin/x', bearer(issuer.token())));
    expect([allowed.status, refused.status]).toEqual([200, 403]);
  });

  it('puts the refusal body in X-Auth-Error, which nginx can send on, and answers without a body', async () => {
    const guard = await service({ gateway: 'nginx' });
    const response = await ask(guard, '/_auth', original('GET', '/orders'));
    expect(JSON.parse(response.headers.get('x-auth-error') as string)).toEqual({ error: 'missing_credentials', error_description: 'The request has no access token.' });
    expect(await response.text()).toBe('');
  });

  it('answers a 200 without a body, so nginx keeps its connection to the service', async () => {
    const guard = await service({ gateway: 'nginx' });
    const response = await ask(guard, '/_auth', original('GET', '/orders', bearer(issuer.token())));
    expect([response.status, response.headers.get('content-length'), await response.text()]).toEqual([200, '0', '']);
  });

  it('ignores X-Forwarded-Uri from the client', async () => {
    const guard = await service({ gateway: 'nginx' });
    const response = await ask(guard, '/_auth', original('GET', '/admin/x', { 'x-forwarded-uri': '/health', 'x-forwarded-method': 'GET' }));
    expect(response.status).toBe(401);
  });

  it('treats a request to /healthz that carries X-Original-URI as a decision', async () => {
    const guard = await service({ gateway: 'nginx' });
    const response = await ask(guard, '/healthz', original('GET', '/orders'));
    expect(response.status).toBe(401);
  });
});

describe('Envoy ext_authz contract (original method, path under the prefix)', () => {
  const envoy = { gateway: 'envoy', pathPrefix: '/authz' } as const;

  it('decides on its own method and the path below the prefix', async () => {
    const guard = await service(envoy);
    const allowed = await ask(guard, '/authz/messages/1?page=2', { ...bearer(issuer.token()), host: 'api.example.com' });
    const refused = await ask(guard, '/authz/admin/users', bearer(issuer.token()), 'DELETE');
    const anonymous = await ask(guard, '/authz/health', {});
    expect([allowed.status, refused.status, anonymous.status]).toEqual([200, 403, 200]);
    expect(allowed.headers.get('x-auth-subject')).toBe('auth0|user-1');
  });

  it('asks about the API’s own /healthz under the prefix, never answering it as the service’s health', async () => {
    const guard = await service(envoy);
    const response = await ask(guard, '/authz/healthz', {});
    expect(response.status).toBe(401);
  });

  it('answers 500 for a path outside the prefix', async () => {
    const guard = await service(envoy);
    const response = await ask(guard, '/elsewhere/orders', bearer(issuer.token()));
    expect(response.status).toBe(500);
  });
});

describe('routes against the path the API will see', () => {
  it.each(['/Admin/users', '/admin//users', '/health/../admin/users', '/%61dmin/users', '/admin', '/admin/', '/ADMIN?x=1'])(
    'holds the admin rule for %s',
    async (uri) => {
      const guard = await service();
      const response = await ask(guard, '/auth', forwarded('POST', uri, bearer(issuer.token())));
      expect(response.status).toBe(403);
    },
  );

  it('refuses with 400 a path with an escaped slash, which servers read differently', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('GET', '/health%2F..%2Fadmin', bearer(issuer.token())));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('applies a GET rule to HEAD', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('HEAD', '/messages/1', bearer(issuer.token({ scope: 'other' }))));
    expect(response.status).toBe(403);
  });

  it('requires only a valid token where no route matches', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('PUT', '/orders/1', bearer(issuer.token({ scope: undefined }))));
    expect(response.status).toBe(200);
  });
});

describe('identity headers', () => {
  it('percent-encodes control characters, % and non-ASCII in token values', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('GET', '/orders', bearer(issuer.token({ sub: 'evil\r\nX-Auth-Scopes: admin 100% é' }))));
    expect(response.headers.get('x-auth-subject')).toBe('evil%0D%0AX-Auth-Scopes: admin 100%25 %C3%A9');
    expect(response.headers.get('x-auth-scopes')).toBe('read:messages write:messages');
  });

  it('refuses a token whose value is too long to forward rather than cutting it', async () => {
    const guard = await service();
    const response = await ask(guard, '/auth', forwarded('GET', '/orders', bearer(issuer.token({ sub: 'u'.repeat(5000) }))));
    expect(response.status).toBe(401);
    expect(guard.lines.at(-1)).toMatchObject({ code: 'invalid_token', reason: "the token's subject is 5000 characters once encoded, more than an identity header carries" });
  });

  it('uses the configured names and leaves out the headers set to false', async () => {
    const guard = await service({ headers: { subject: 'X-User', issuer: false } });
    const response = await ask(guard, '/auth', forwarded('GET', '/orders', bearer(issuer.token())));
    expect(response.headers.get('x-user')).toBe('auth0|user-1');
    expect(response.headers.has('x-auth-subject')).toBe(false);
    expect(response.headers.has('x-auth-issuer')).toBe(false);
  });
});

describe('health, readiness, failure and shutdown', () => {
  it('answers /healthz with 200', async () => {
    const guard = await service();
    const response = await fetch(`${guard.url}/healthz`);
    expect([response.status, await response.json()]).toEqual([200, { status: 'ok' }]);
  });

  it('answers /readyz with 503 and Retry-After until the keys are fetched, then 200', async () => {
    issuer.keysDown(true);
    const guard = await service({ verifier: verifierConfig(issuer, { jwks: { cooldown: 0 } }) });
    const down = await fetch(`${guard.url}/readyz`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    issuer.keysDown(false);
    const up = await fetch(`${guard.url}/readyz`);
    expect([up.status, await up.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('answers 500 when deciding fails unexpectedly', async () => {
    const broken: Verifier = {
      verify: () => Promise.reject(new Error('unused')),
      verifyRequest: () => Promise.reject(new Error('unused')),
      authenticate: () => Promise.reject(new Error('the verifier broke')),
      ready: () => Promise.resolve(),
      exportKeys: () => undefined,
      challenge: { schemes: ['Bearer'] },
    };
    const guard = await service({}, { verifier: broken });
    const response = await ask(guard, '/auth', forwarded('GET', '/orders', bearer(issuer.token())));
    expect(response.status).toBe(500);
    expect(guard.lines.at(-1)).toMatchObject({ decision: 'error', status: 500, reason: 'Error: the verifier broke' });
  });

  it('finishes a decision in flight when closed, and then accepts no connection', async () => {
    issuer.jwks.route('/slow-jwks', { delayMs: 400, json: issuer.keySet });
    const guard = await service({ verifier: verifierConfig(issuer, { jwksUri: issuer.jwks.url('/slow-jwks') }) });
    // The first request waits for the key set; close() is called while it does.
    const inFlight = ask(guard, '/auth', forwarded('GET', '/orders', bearer(issuer.token())));
    await sleep(50);
    const closed = guard.close();
    const response = await inFlight;
    await closed;
    expect(response.status).toBe(200);
    await expect(fetch(`${guard.url}/healthz`)).rejects.toThrow();
  });
});

describe('log', () => {
  it('writes one JSON line per decision with status, code, route and duration, and never the token', async () => {
    const guard = await service();
    const token = issuer.token({ scope: 'other' });
    await ask(guard, '/auth', forwarded('GET', '/messages/1', bearer(token)));
    const decisions = guard.lines.filter((line) => line.msg === 'decision');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ decision: 'refused', status: 403, code: 'insufficient_scope', route: 'routes[1] GET /messages/*', method: 'GET', path: '/messages/1', subject: 'auth0|user-1' });
    expect(typeof decisions[0]!.durationMs).toBe('number');
    expect(guard.raw.join('\n')).not.toContain(token.split('.')[2]);
  });

  it('escapes control characters that a token or a path brings', async () => {
    const guard = await service();
    await ask(guard, '/auth', forwarded('GET', '/orders', bearer(issuer.token({ sub: 'a\nb\u001b[31m' }))));
    const line = guard.raw.at(-1) as string;
    expect(line).not.toMatch(/[\u0000-\u001f]/);
    expect(JSON.parse(line)).toMatchObject({ subject: 'a\nb\u001b[31m' });
  });
});
