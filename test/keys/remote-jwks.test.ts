import { afterEach, beforeAll, beforeEach, describe, expect, it as base, vi } from 'vitest';
import { AccessTokenError, KeysUnavailableError } from '../../src/errors.js';
import { MAX_KEYS, createRemoteJwks, type RemoteJwks } from '../../src/keys/remote-jwks.js';
import type { JWK, JwksOptions } from '../../src/types.js';
import { errorOf, headerFor, publicJwk, sleep, startJwksServer, type JwksServer } from '../helpers/jwks-server.js';

let keyA: JWK;
let keyB: JWK;
let keyRsa: JWK;
beforeAll(async () => {
  [keyA, keyB, keyRsa] = await Promise.all([publicJwk('key-a'), publicJwk('key-b'), publicJwk('key-rsa', 'RS256')]);
});

// Each test gets its own server, so the tests (mostly waiting out 0.2 s windows) run concurrently.
const it = base.extend<{ server: JwksServer }>({
  // eslint-disable-next-line no-empty-pattern
  server: async ({}, use) => {
    const server = await startJwksServer();
    await use(server);
    await server.close();
  },
});

/** Serves these keys at /jwks from now on. */
function publish(server: JwksServer, ...keys: JWK[]): void {
  server.route('/jwks', { json: { keys } });
}

function source(server: JwksServer, options?: JwksOptions): RemoteJwks {
  return createRemoteJwks(server.url('/jwks'), options);
}

const unknown = { alg: 'ES256', kid: 'never-published' };

describe.concurrent('createRemoteJwks', () => {
  describe('configuration', () => {
    it('refuses a plain-http jwksUri on a non-loopback host at creation', () => {
      expect(() => createRemoteJwks('http://keys.example/jwks')).toThrow(TypeError);
    });

    it('accepts http on a loopback host, for development', () => {
      expect(createRemoteJwks('http://localhost:3000/jwks').uri).toBe('http://localhost:3000/jwks');
    });

    it('refuses a negative or non-numeric tuning value', () => {
      expect(() => createRemoteJwks('https://keys.example/jwks', { cooldown: -1 })).toThrow(/jwks.cooldown/);
      expect(() => createRemoteJwks('https://keys.example/jwks', { timeout: Number.NaN })).toThrow(/jwks.timeout/);
    });

    it('makes no request until a key is asked for', async ({ server }) => {
      publish(server, keyA);
      source(server);
      await sleep(50);
      expect(server.totalHits).toBe(0);
    });
  });

  describe('the hot path', () => {
    it('answers a cached, fresh key synchronously, with no further request', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server);
      const first = jwks.getKey(headerFor(keyA));
      expect(first).toBeInstanceOf(Promise);
      expect(await first).toMatchObject({ kid: 'key-a', x: keyA.x });

      const again = jwks.getKey(headerFor(keyA));
      expect(again).not.toBeInstanceOf(Promise);
      expect(again).toBe(await first);
      expect(server.hits('/jwks')).toBe(1);
    });

    it('picks the key by kid and alg among several', async ({ server }) => {
      publish(server, keyA, keyB, keyRsa);
      const jwks = source(server);
      await jwks.getKey(headerFor(keyA));
      expect(jwks.getKey(headerFor(keyB))).toMatchObject({ kid: 'key-b' });
      expect(jwks.getKey(headerFor(keyRsa))).toMatchObject({ kid: 'key-rsa', kty: 'RSA' });
    });

    it('hands out frozen keys, so no caller can alter the cache', async ({ server }) => {
      publish(server, keyA);
      const key = await source(server).getKey(headerFor(keyA));
      expect(Object.isFrozen(key)).toBe(true);
    });

    it('refuses a kid that is not a string with 401, without a fetch', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server, { cooldown: 0 });
      await jwks.getKey(headerFor(keyA));
      const error = await errorOf(() => jwks.getKey({ alg: 'ES256', kid: 42 as unknown as string }));
      expect(error).toMatchObject({ status: 401, code: 'invalid_token' });
      expect(server.hits('/jwks')).toBe(1);
    });
  });

  describe('one fetch for many callers', () => {
    it('shares one fetch among 200 concurrent cold lookups', async ({ server }) => {
      server.route('/jwks', { json: { keys: [keyA] }, delayMs: 50 });
      const jwks = source(server);
      const keys = await Promise.all(Array.from({ length: 200 }, () => jwks.getKey(headerFor(keyA))));
      expect(server.hits('/jwks')).toBe(1);
      expect(new Set(keys).size).toBe(1);
      expect(jwks.fetchCount).toBe(1);
    });

    it('shares one refresh among concurrent lookups on an expired set', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server, { cacheMaxAge: 0.1, cooldown: 0 });
      await jwks.getKey(headerFor(keyA));
      await sleep(200);
      server.route('/jwks', { json: { keys: [keyA] }, delayMs: 50 });
      await Promise.all(Array.from({ length: 100 }, () => jwks.getKey(headerFor(keyA))));
      expect(server.hits('/jwks')).toBe(2);
    });
  });

  describe('unknown kid and cooldown', () => {
    it('refuses an unknown kid with 401 inside the cooldown after a successful fetch, without fetching', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server);
      await jwks.getKey(headerFor(keyA));
      const error = await errorOf(() => jwks.getKey(unknown));
      expect(error).toBeInstanceOf(AccessTokenError);
      expect(error).toMatchObject({ status: 401, code: 'invalid_token' });
      expect((error as AccessTokenError).reason).toContain('never-published');
      expect(server.hits('/jwks')).toBe(1);
    });

    it('picks up a newly published key once the cooldown has passed, with no restart', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server, { cooldown: 0.5 });
      await jwks.getKey(headerFor(keyA));
      publish(server, keyA, keyB);
      await expect(errorOf(() => jwks.getKey(headerFor(keyB)))).resolves.toMatchObject({ status: 401 });
      await sleep(600);
      await expect(jwks.getKey(headerFor(keyB))).resolves.toMatchObject({ kid: 'key-b' });
      expect(server.hits('/jwks')).toBe(2);
    });

    it('spends at most one fetch per cooldown window on a flood of unknown kids', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server, { cooldown: 0.5 });
      await jwks.getKey(headerFor(keyA));
      await sleep(600);

      const flood = () => Promise.all(Array.from({ length: 200 }, (_, i) => errorOf(() => jwks.getKey({ alg: 'ES256', kid: `forged-${i}` }))));
      const first = await flood();
      expect(server.hits('/jwks')).toBe(2);
      expect(first.every((error) => error instanceof AccessTokenError && error.status === 401)).toBe(true);

      await flood();
      expect(server.hits('/jwks')).toBe(2);

      await sleep(600);
      await flood();
      expect(server.hits('/jwks')).toBe(3);
    });

    it('counts the cooldown from the end of the previous fetch', async ({ server }) => {
      server.route('/jwks', { json: { keys: [keyA] }, delayMs: 1000 });
      const jwks = source(server, { cooldown: 0.8 });
      await jwks.getKey(headerFor(keyA));
      // The fetch took 1 s, longer than the cooldown: counted from its start, a new one could go now.
      await errorOf(() => jwks.getKey(unknown));
      expect(server.hits('/jwks')).toBe(1);
    });

    it('refuses an unknown kid with 503, not 401, when the refetch failed; known keys keep working', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server, { cooldown: 0.5 });
      await jwks.getKey(headerFor(keyA));
      await sleep(600);
      server.route('/jwks', { status: 500 });

      const refetch = await errorOf(() => jwks.getKey(unknown));
      expect(refetch).toBeInstanceOf(KeysUnavailableError);
      const inCooldown = await errorOf(() => jwks.getKey(unknown));
      expect(inCooldown).toBeInstanceOf(KeysUnavailableError);
      expect(server.hits('/jwks')).toBe(2);
      expect(jwks.getKey(headerFor(keyA))).toMatchObject({ kid: 'key-a' });
    });

    it('treats a set with no usable key as a successful fetch: 401, and no refetch inside the cooldown', async ({ server }) => {
      server.route('/jwks', { json: { keys: [{ kid: 'no-kty' }] } });
      const jwks = source(server);
      const error = await errorOf(() => jwks.getKey(headerFor(keyA)));
      expect(error).toMatchObject({ status: 401, code: 'invalid_token' });
      expect(jwks.keys).toEqual([]);
      await errorOf(() => jwks.getKey(headerFor(keyA)));
      expect(server.hits('/jwks')).toBe(1);
    });
  });

  describe('max age', () => {
    it('refreshes an expired set before use, so a removed key stops verifying', async ({ server }) => {
      publish(server, keyA, keyB);
      const jwks = source(server, { cacheMaxAge: 0.5, cooldown: 0 });
      await jwks.getKey(headerFor(keyA));
      publish(server, keyB);
      expect(jwks.getKey(headerFor(keyA))).toMatchObject({ kid: 'key-a' });

      await sleep(600);
      const error = await errorOf(() => jwks.getKey(headerFor(keyA)));
      expect(error).toMatchObject({ status: 401, code: 'invalid_token' });
      expect(jwks.getKey(headerFor(keyB))).toMatchObject({ kid: 'key-b' });
      expect(server.hits('/jwks')).toBe(2);
    });

    it('uses cacheMaxAge when the response has no Cache-Control', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server, { cacheMaxAge: 42 });
      await jwks.getKey(headerFor(keyA));
      expect(jwks.maxAge).toBe(42);
    });

    it('honours Cache-Control max-age over cacheMaxAge', async ({ server }) => {
      server.route('/jwks', { json: { keys: [keyA] }, headers: { 'cache-control': 'max-age=120' } });
      const jwks = source(server, { cacheMaxAge: 0.1, cooldown: 0 });
      await jwks.getKey(headerFor(keyA));
      await sleep(250);
      expect(jwks.getKey(headerFor(keyA))).not.toBeInstanceOf(Promise);
      expect(jwks.maxAge).toBe(120);
      expect(server.hits('/jwks')).toBe(1);
    });

    it('raises a max-age under one minute to 60 s', async ({ server }) => {
      server.route('/jwks', { json: { keys: [keyA] }, headers: { 'cache-control': 'max-age=0' } });
      const jwks = source(server, { cacheMaxAge: 0.1, cooldown: 0 });
      await jwks.getKey(headerFor(keyA));
      await sleep(250);
      expect(jwks.getKey(headerFor(keyA))).not.toBeInstanceOf(Promise);
      expect(jwks.maxAge).toBe(60);
      expect(server.hits('/jwks')).toBe(1);
    });

    it('lowers a max-age over one day to 86400 s', async ({ server }) => {
      server.route('/jwks', { json: { keys: [keyA] }, headers: { 'cache-control': 'max-age=31536000' } });
      const jwks = source(server);
      await jwks.getKey(headerFor(keyA));
      expect(jwks.maxAge).toBe(86_400);
    });

    it('falls back to cacheMaxAge under no-store or no-cache', async ({ server }) => {
      server.route('/jwks', { json: { keys: [keyA] }, headers: { 'cache-control': 'no-store, max-age=3600' } });
      const jwks = source(server, { cacheMaxAge: 0.1, cooldown: 0 });
      await jwks.getKey(headerFor(keyA));
      expect(jwks.maxAge).toBe(0.1);
      await sleep(250);
      await jwks.getKey(headerFor(keyA));
      expect(server.hits('/jwks')).toBe(2);
    });
  });

  describe('failures are our 503', () => {
    it('fails a cold lookup with 503 naming the URL and the failure, retrying after the cooldown', async ({ server }) => {
      server.route('/jwks', { status: 500 });
      const jwks = source(server);
      const error = await errorOf(() => jwks.getKey(headerFor(keyA)));
      expect(error).toBeInstanceOf(KeysUnavailableError);
      const unavailable = error as KeysUnavailableError;
      expect(unavailable.status).toBe(503);
      expect(unavailable.reason).toBe(`JWKS unavailable: ${server.url('/jwks')}: HTTP 500`);
      expect(unavailable.retryAfter).toBe(30);
      expect(unavailable.headers).toEqual({ 'Retry-After': '30' });
      expect(jwks.lastError).toBe(`${server.url('/jwks')}: HTTP 500`);
    });

    it('fails fast inside the cooldown after a failure, with a shrinking Retry-After and no new fetch', async ({ server }) => {
      server.route('/jwks', { status: 500 });
      const jwks = source(server, { cooldown: 3 });
      const first = (await errorOf(() => jwks.getKey(headerFor(keyA)))) as KeysUnavailableError;
      expect(first.retryAfter).toBeLessThanOrEqual(3);
      await sleep(1100);
      const later = await errorOf(() => jwks.getKey(headerFor(keyA)));
      expect(later).toBeInstanceOf(KeysUnavailableError);
      expect((later as KeysUnavailableError).retryAfter).toBeLessThan(first.retryAfter);
      expect((later as KeysUnavailableError).retryAfter).toBeGreaterThanOrEqual(1);
      expect(server.hits('/jwks')).toBe(1);
    });

    it('never gives Retry-After under 1 s', async ({ server }) => {
      server.route('/jwks', { status: 500 });
      const error = await errorOf(() => source(server, { cooldown: 0 }).getKey(headerFor(keyA)));
      expect((error as KeysUnavailableError).retryAfter).toBe(1);
    });

    it('tries again once the cooldown is over, and recovers', async ({ server }) => {
      server.route('/jwks', { status: 500 });
      const jwks = source(server, { cooldown: 0.2 });
      await errorOf(() => jwks.getKey(headerFor(keyA)));
      publish(server, keyA);
      await sleep(300);
      await expect(jwks.getKey(headerFor(keyA))).resolves.toMatchObject({ kid: 'key-a' });
      expect(jwks.lastError).toBeUndefined();
    });

    it('refuses a body without a keys array as a bad JWKS', async ({ server }) => {
      server.route('/jwks', { json: { key: [keyA] } });
      const error = await errorOf(() => source(server).getKey(headerFor(keyA)));
      expect(error).toBeInstanceOf(KeysUnavailableError);
      expect((error as KeysUnavailableError).reason).toContain('bad JWKS (no "keys" array)');
    });

    it('refuses a body that is not JSON', async ({ server }) => {
      server.route('/jwks', { body: '<html>' });
      const error = await errorOf(() => source(server).getKey(headerFor(keyA)));
      expect((error as KeysUnavailableError).reason).toMatch(/bad JSON/);
    });

    it('times out a server that does not answer', async ({ server }) => {
      server.route('/jwks', { json: { keys: [keyA] }, delayMs: 10_000 });
      const started = Date.now();
      const error = await errorOf(() => source(server, { timeout: 200 }).getKey(headerFor(keyA)));
      expect((error as KeysUnavailableError).reason).toMatch(/timed out/);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('times out a key set that trickles in', async ({ server }) => {
      server.route('/jwks', { json: { keys: [keyA] }, trickleMs: 50 });
      const started = Date.now();
      const error = await errorOf(() => source(server, { timeout: 300 }).getKey(headerFor(keyA)));
      expect((error as KeysUnavailableError).reason).toMatch(/timed out/);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('refuses a key set over maxResponseBytes', async ({ server }) => {
      publish(server, keyA, keyB, keyRsa);
      const error = await errorOf(() => source(server, { maxResponseBytes: 300 }).getKey(headerFor(keyA)));
      expect((error as KeysUnavailableError).reason).toMatch(/too large/);
    });

    it('refuses a redirect, and never requests its target', async ({ server }) => {
      server.route('/jwks', { status: 301, headers: { location: '/elsewhere' } });
      server.route('/elsewhere', { json: { keys: [keyA] } });
      const error = await errorOf(() => source(server).getKey(headerFor(keyA)));
      expect((error as KeysUnavailableError).reason).toMatch(/redirect refused/);
      expect(server.hits('/elsewhere')).toBe(0);
    });
  });

  describe('stale-if-error', () => {
    it('keeps serving the last good set while refreshes fail', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server, { cacheMaxAge: 0.1, cooldown: 0.5, maxStale: 60 });
      await jwks.getKey(headerFor(keyA));
      server.route('/jwks', { status: 503 });
      await sleep(600);

      await expect(jwks.getKey(headerFor(keyA))).resolves.toMatchObject({ kid: 'key-a' });
      expect(server.hits('/jwks')).toBe(2);
      // Inside the cooldown that follows, the stale set answers at once.
      expect(jwks.getKey(headerFor(keyA))).toMatchObject({ kid: 'key-a' });
    });

    it('during an outage, answers known keys at once while the retry runs in the background', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server, { cacheMaxAge: 0.1, cooldown: 0.2, maxStale: 60 });
      await jwks.getKey(headerFor(keyA));
      server.route('/jwks', { status: 503 });
      await sleep(350);
      await jwks.getKey(headerFor(keyA)); // the refresh that finds the outage is waited for

      server.route('/jwks', { json: { keys: [keyA] }, delayMs: 100 });
      await sleep(300);
      expect(jwks.getKey(headerFor(keyA))).toMatchObject({ kid: 'key-a' });
      expect(jwks.fetchCount).toBe(3);
      await vi.waitFor(() => expect(jwks.lastError).toBeUndefined());
    });

    it('stops serving a set maxStale after its fetch: then 503', async ({ server }) => {
      publish(server, keyA);
      const jwks = source(server, { cacheMaxAge: 0.1, cooldown: 0.1, maxStale: 2 });
      await jwks.getKey(headerFor(keyA));
      server.route('/jwks', { status: 503 });
      await sleep(200);
      await expect(jwks.getKey(headerFor(keyA))).resolves.toMatchObject({ kid: 'key-a' });

      await sleep(2000);
      const error = await errorOf(() => jwks.getKey(headerFor(keyA)));
      expect(error).toBeInstanceOf(KeysUnavailableError);
      expect((error as KeysUnavailableError).reason).toMatch(/HTTP 503; the last good copy, fetched \d+ s ago, is past maxStale \(2 s\)/);
    });
  });

  describe('bounds', () => {
    it(`keeps only keys with a string kty, and at most the first ${MAX_KEYS}`, async ({ server }) => {
      const many = Array.from({ length: MAX_KEYS + 50 }, (_, i) => ({ ...keyA, kid: `k${i}` }));
      server.route('/jwks', { json: { keys: [{ kid: 'no-kty' }, { kty: 7, kid: 'numeric-kty' }, null, 'text', ...many] } });
      const jwks = source(server);
      await jwks.getKey({ alg: 'ES256', kid: 'k0' });
      expect(jwks.keys).toHaveLength(MAX_KEYS);
      expect(jwks.keys[0]!.kid).toBe('k0');
      await expect(errorOf(() => jwks.getKey({ alg: 'ES256', kid: `k${MAX_KEYS}` }))).resolves.toMatchObject({ status: 401 });
    });
  });
});

// Not concurrent: these tests set the clock the key source reads (Date.now) instead of waiting
// out the real 5 s and 30 s windows; the fetches themselves are real.
describe('key rotation the issuer did not publish ahead (issue 12)', () => {
  let offset = 0;
  const advance = (ms: number) => {
    offset += ms;
  };
  beforeEach(() => {
    offset = 0;
    // Frozen but for `advance`: real time spent on a loaded machine must not count.
    const start = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => start + offset);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const outcomeOf = (lookup: () => JWK | Promise<JWK>) => errorOf(lookup).catch(() => 'accepted' as const);

  it('accepts tokens of the new key within 5 s of the swap, with the default 30 s cooldown', async ({ server }) => {
    publish(server, keyA);
    const jwks = source(server);
    await jwks.getKey(headerFor(keyA)); // the startup fetch
    publish(server, keyB); // swapped, never pre-published
    let refusedMs = 0;
    while (!(await lookupSucceeds(() => jwks.getKey(headerFor(keyB))))) {
      advance(250);
      refusedMs += 250;
      expect(refusedMs).toBeLessThanOrEqual(5000);
    }
    expect(refusedMs).toBeGreaterThan(0);
    expect(server.hits('/jwks')).toBe(2);
  });

  it('waits the full cooldown after a fetch an unknown kid triggered', async ({ server }) => {
    publish(server, keyA);
    const jwks = source(server);
    await jwks.getKey(headerFor(keyA));
    advance(5100);
    await expect(outcomeOf(() => jwks.getKey(unknown))).resolves.toBeInstanceOf(AccessTokenError);
    expect(server.hits('/jwks')).toBe(2);
    publish(server, keyA, keyB);
    advance(25_000);
    await expect(outcomeOf(() => jwks.getKey(headerFor(keyB)))).resolves.toBeInstanceOf(AccessTokenError);
    expect(server.hits('/jwks')).toBe(2);
    advance(5100);
    await expect(jwks.getKey(headerFor(keyB))).resolves.toMatchObject({ kid: 'key-b' });
    expect(server.hits('/jwks')).toBe(3);
  });

  it('still spends at most one fetch per cooldown on a flood of unknown kids', async ({ server }) => {
    publish(server, keyA);
    const jwks = source(server);
    await jwks.getKey(headerFor(keyA));
    const flood = () => Promise.all(Array.from({ length: 200 }, (_, i) => outcomeOf(() => jwks.getKey({ alg: 'ES256', kid: `forged-${i}` }))));
    advance(5100);
    await flood();
    expect(server.hits('/jwks')).toBe(2);
    for (let second = 0; second < 29; second++) {
      advance(1000);
      await flood();
    }
    expect(server.hits('/jwks')).toBe(2);
    advance(1100);
    await flood();
    expect(server.hits('/jwks')).toBe(3);
  });
});

/** Whether a lookup answers a key; a refusal must be the token's 401, never anything else. */
async function lookupSucceeds(lookup: () => JWK | Promise<JWK>): Promise<boolean> {
  try {
    await lookup();
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(AccessTokenError);
    return false;
  }
}
