import { beforeAll, describe, expect, it as base, vi } from 'vitest';
import { ConfigurationError, KeysUnavailableError } from '../../src/errors.js';
import { createDiscoveredJwks, metadataUrls } from '../../src/keys/discovery.js';
import type { JWK } from '../../src/types.js';
import { errorOf, headerFor, publicJwk, sleep, startJwksServer, type JwksServer } from '../helpers/jwks-server.js';

const OIDC = '/.well-known/openid-configuration';
const RFC8414 = '/.well-known/oauth-authorization-server';

let keyA: JWK;
let keyB: JWK;
beforeAll(async () => {
  [keyA, keyB] = await Promise.all([publicJwk('key-a'), publicJwk('key-b')]);
});

// Each test gets its own authorization server (its issuer is the server's origin unless the test
// says otherwise, and it publishes key A at /jwks), so the tests run concurrently.
const it = base.extend<{ server: JwksServer }>({
  // eslint-disable-next-line no-empty-pattern
  server: async ({}, use) => {
    const server = await startJwksServer();
    server.route('/jwks', { json: { keys: [keyA] } });
    await use(server);
    await server.close();
  },
});

/** A metadata document for `server`'s issuer that names its /jwks. */
function metadata(server: JwksServer, overrides: Record<string, unknown> = {}): { json: Record<string, unknown> } {
  return { json: { issuer: server.origin, jwks_uri: server.url('/jwks'), ...overrides } };
}

async function unavailable(action: () => unknown): Promise<KeysUnavailableError> {
  const error = await errorOf(action);
  expect(error).toBeInstanceOf(KeysUnavailableError);
  return error as KeysUnavailableError;
}

describe('metadataUrls', () => {
  it.each([
    ['https://as.example', 'https://as.example/.well-known/openid-configuration', 'https://as.example/.well-known/oauth-authorization-server'],
    ['https://tenant.auth0.com/', 'https://tenant.auth0.com/.well-known/openid-configuration', 'https://tenant.auth0.com/.well-known/oauth-authorization-server'],
    ['https://as.example/tenant1', 'https://as.example/tenant1/.well-known/openid-configuration', 'https://as.example/.well-known/oauth-authorization-server/tenant1'],
    ['https://as.example/tenant1/', 'https://as.example/tenant1/.well-known/openid-configuration', 'https://as.example/.well-known/oauth-authorization-server/tenant1'],
  ])('for issuer %s: OIDC %s, then RFC 8414 (path after the well-known segment) %s', (iss, oidc, rfc8414) => {
    expect(metadataUrls(iss)).toEqual([oidc, rfc8414]);
  });
});

describe.concurrent('createDiscoveredJwks', () => {
  describe('configuration', () => {
    it('refuses an issuer that is not https at creation, saying to set jwksUri', () => {
      expect(() => createDiscoveredJwks('http://issuer.example')).toThrow(/set jwksUri/);
      expect(() => createDiscoveredJwks('my-issuer')).toThrow(TypeError);
    });

    it('refuses an issuer with a query or fragment', () => {
      expect(() => createDiscoveredJwks('https://issuer.example/?tenant=1')).toThrow(/query or fragment/);
    });
  });

  describe('discovery', () => {
    it('finds jwks_uri through OpenID Connect discovery, then answers synchronously from memory', async ({ server }) => {
      server.route(OIDC, metadata(server));
      const keys = createDiscoveredJwks(server.origin);
      await expect(keys.getKey(headerFor(keyA))).resolves.toMatchObject({ kid: 'key-a' });

      const again = keys.getKey(headerFor(keyA));
      expect(again).not.toBeInstanceOf(Promise);
      expect(again).toMatchObject({ kid: 'key-a' });
      expect(keys.jwksUri).toBe(server.url('/jwks'));
      expect(keys.metadataUri).toBe(server.url(OIDC));
      expect([server.hits(OIDC), server.hits('/jwks'), server.hits(RFC8414)]).toEqual([1, 1, 0]);
      expect(keys.fetchCount).toBe(2);
    });

    it("accepts an Auth0-style issuer with a trailing slash when the metadata says the same", async ({ server }) => {
      const issuer = `${server.origin}/`;
      server.route(OIDC, metadata(server, { issuer }));
      await expect(createDiscoveredJwks(issuer).getKey(headerFor(keyA))).resolves.toMatchObject({ kid: 'key-a' });
      expect(server.hits(OIDC)).toBe(1);
    });

    it('falls back to RFC 8414 metadata, inserting the well-known segment before the issuer path', async ({ server }) => {
      const issuer = server.url('/tenant1');
      server.route(`${RFC8414}/tenant1`, metadata(server, { issuer }));
      const keys = createDiscoveredJwks(issuer);
      await expect(keys.getKey(headerFor(keyA))).resolves.toMatchObject({ kid: 'key-a' });
      expect(server.hits('/tenant1' + OIDC)).toBe(1);
      expect(keys.metadataUri).toBe(server.url(`${RFC8414}/tenant1`));
    });

    it('shares one discovery and one key fetch among 100 concurrent cold lookups', async ({ server }) => {
      server.route(OIDC, { ...metadata(server), delayMs: 30 });
      const keys = createDiscoveredJwks(server.origin);
      await Promise.all(Array.from({ length: 100 }, () => keys.getKey(headerFor(keyA))));
      expect([server.hits(OIDC), server.hits('/jwks')]).toEqual([1, 1]);
    });

    it('leaves key lookups to the key source: an unknown kid is 401', async ({ server }) => {
      server.route(OIDC, metadata(server));
      const keys = createDiscoveredJwks(server.origin);
      await keys.getKey(headerFor(keyA));
      await expect(errorOf(() => keys.getKey(headerFor(keyB)))).resolves.toMatchObject({ status: 401, code: 'invalid_token' });
    });
  });

  describe('metadata that is refused', () => {
    it('refuses metadata whose issuer differs by a trailing slash as a configuration error (500, no Retry-After) that names the fix', async ({ server }) => {
      const issuer = server.origin;
      server.route(OIDC, metadata(server, { issuer: `${issuer}/` }));
      const error = await errorOf(() => createDiscoveredJwks(issuer).getKey(headerFor(keyA)));
      expect(error).toBeInstanceOf(ConfigurationError);
      const configuration = error as ConfigurationError;
      expect(configuration.reasonCode).toBe('issuer_misconfigured');
      expect(configuration.reason).toContain(`your \`issuer\` lacks the trailing slash the issuer uses: set it to ${issuer}/`);
      expect(configuration.response).toEqual({ status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'server_error', error_description: 'The service cannot verify access tokens.' }) });
      expect(server.hits('/jwks')).toBe(0);
    });

    it('names a trailing slash the issuer does not use, too', async ({ server }) => {
      const issuer = `${server.origin}/tenant`;
      server.route('/tenant/.well-known/openid-configuration', metadata(server, { issuer }));
      const error = (await errorOf(() => createDiscoveredJwks(`${issuer}/`).ready())) as ConfigurationError;
      expect(error.reasonCode).toBe('issuer_misconfigured');
      expect(error.reason).toContain(`your \`issuer\` has a trailing slash the issuer does not use: set it to ${issuer}`);
    });

    it.for([
      ['no jwks_uri', { jwks_uri: undefined }, 'no jwks_uri'],
      ['an empty jwks_uri', { jwks_uri: '' }, 'no jwks_uri'],
      ['a relative jwks_uri', { jwks_uri: '/jwks' }, 'not an absolute URL'],
      ['a plain-http jwks_uri', { jwks_uri: 'http://keys.example/jwks' }, 'not https'],
    ] as const)('refuses metadata with %s', async ([, overrides, why], { server }) => {
      server.route(OIDC, metadata(server, overrides));
      const error = await unavailable(() => createDiscoveredJwks(server.origin).getKey(headerFor(keyA)));
      expect(error.reason).toContain(why);
      expect(server.hits('/jwks')).toBe(0);
    });

    it('when every location fails: 503 naming each URL tried and saying to set jwksUri', async ({ server }) => {
      const issuer = server.url('/tenant1');
      server.route('/tenant1' + OIDC, { status: 500 });
      const error = await unavailable(() => createDiscoveredJwks(issuer).getKey(headerFor(keyA)));
      expect(error.status).toBe(503);
      expect(error.retryAfter).toBe(30);
      expect(error.reason).toContain(`${server.url('/tenant1' + OIDC)}: HTTP 500`);
      expect(error.reason).toContain(`${server.url(RFC8414 + '/tenant1')}: HTTP 404`);
      expect(error.reason).toMatch(/set jwksUri/);
    });

    it('does not retry discovery inside the cooldown after a failure', async ({ server }) => {
      const keys = createDiscoveredJwks(server.origin);
      await unavailable(() => keys.getKey(headerFor(keyA)));
      await unavailable(() => keys.getKey(headerFor(keyA)));
      expect(keys.metadataFetchCount).toBe(2);
      expect(server.hits(OIDC) + server.hits(RFC8414)).toBe(2);
    });
  });

  describe('refresh', () => {
    it('refreshes metadata after its max age and follows a changed jwks_uri', async ({ server }) => {
      server.route(OIDC, metadata(server));
      const keys = createDiscoveredJwks(server.origin, { cacheMaxAge: 0.2, cooldown: 0 });
      await keys.getKey(headerFor(keyA));

      server.route('/jwks-2', { json: { keys: [keyB] } });
      server.route(OIDC, metadata(server, { jwks_uri: server.url('/jwks-2') }));
      await sleep(300);
      await expect(keys.getKey(headerFor(keyB))).resolves.toMatchObject({ kid: 'key-b' });
      expect(keys.jwks?.uri).toBe(server.url('/jwks-2'));
      expect(keys.fetchCount).toBe(4);
    });

    it('keeps the key source, and its cached keys, when the refreshed metadata names the same jwks_uri', async ({ server }) => {
      server.route(OIDC, metadata(server));
      server.route('/jwks', { json: { keys: [keyA] }, headers: { 'cache-control': 'max-age=600' } });
      const keys = createDiscoveredJwks(server.origin, { cacheMaxAge: 0.2, cooldown: 0 });
      await keys.getKey(headerFor(keyA));
      const before = keys.jwks;

      await sleep(300);
      await keys.getKey(headerFor(keyA));
      expect(server.hits(OIDC)).toBe(2);
      expect(server.hits('/jwks')).toBe(1);
      expect(keys.jwks).toBe(before);
    });

    it('keeps serving keys from the last good metadata while metadata refreshes fail', async ({ server }) => {
      server.route(OIDC, metadata(server));
      const keys = createDiscoveredJwks(server.origin, { cacheMaxAge: 0.2, cooldown: 0 });
      await keys.getKey(headerFor(keyA));

      server.route(OIDC, { status: 500 });
      await sleep(300);
      await expect(keys.getKey(headerFor(keyA))).resolves.toMatchObject({ kid: 'key-a' });
      expect(keys.lastError).toContain('HTTP 500');
    });

    it('during a metadata outage, answers keys at once while the metadata retry runs', async ({ server }) => {
      server.route(OIDC, metadata(server));
      server.route('/jwks', { json: { keys: [keyA] }, headers: { 'cache-control': 'max-age=600' } });
      const keys = createDiscoveredJwks(server.origin, { cacheMaxAge: 0.1, cooldown: 0.2 });
      await keys.getKey(headerFor(keyA));
      server.route(OIDC, { status: 500 });
      await sleep(350);
      await keys.getKey(headerFor(keyA)); // the refresh that finds the outage is waited for

      server.route(OIDC, { ...metadata(server), delayMs: 100 });
      await sleep(300);
      expect(keys.getKey(headerFor(keyA))).toMatchObject({ kid: 'key-a' });
      expect(keys.metadataFetchCount).toBe(4); // 1 good + (OIDC + RFC 8414) failed + the running retry
      await vi.waitFor(() => expect(keys.lastError).toBeUndefined());
    });

    it('stops serving keys once the last good metadata is past maxStale', async ({ server }) => {
      server.route(OIDC, metadata(server));
      const keys = createDiscoveredJwks(server.origin, { cacheMaxAge: 0.2, cooldown: 0, maxStale: 0.4 });
      await keys.getKey(headerFor(keyA));

      server.route(OIDC, { status: 500 });
      await sleep(600);
      const error = await unavailable(() => keys.getKey(headerFor(keyA)));
      expect(error.reason).toMatch(/^issuer metadata unavailable: .*HTTP 500.*past maxStale/);
    });
  });
});
