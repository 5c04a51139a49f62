/**
 * The optional cache of verified results (`resultCache`). A hit skips the signature and the
 * checks that cannot change, and nothing else: the clock is checked on every request, entries
 * are bounded in number and age, refusals are never cached, and what one caller does with its
 * result cannot change what the next caller gets. A result is stored on its token's second
 * sighting, so a token presented once costs no entry; from the third on, it is a hit.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeCrypto } from '../src/crypto/node.js';
import type { CryptoBackend } from '../src/crypto/types.js';
import { cachedResults } from '../src/features.js';
import { createVerifierWith, type VerifierOptions } from '../src/verifier.js';
import type { JWK } from '../src/types.js';
import { b64url, keyFor } from './helpers/keys.js';
import { startJwksServer, type JwksServer } from './helpers/jwks-server.js';
import { expectRefused } from './helpers/refusal.js';
import { AUDIENCE, ISSUER, mint } from './helpers/tokens.js';

const key = keyFor('RS256');

/** A verifier on the Node backend that counts the signatures it checks. */
function countingVerifier(options: Partial<VerifierOptions> = {}) {
  const counter = { signatureChecks: 0 };
  const backend: CryptoBackend = {
    ...nodeCrypto,
    verify(prepared, data, signature) {
      counter.signatureChecks++;
      return nodeCrypto.verify(prepared, data, signature);
    },
  };
  const verifier = createVerifierWith(backend, { issuer: ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] }, ...options }, cachedResults);
  return { verifier, counter };
}

/** Moves the wall clock (what exp is checked against) without moving the cache's own clock. */
function setWallClock(seconds: number) {
  vi.spyOn(Date, 'now').mockReturnValue(seconds * 1000);
}

/** Moves the cache's monotonic clock forward (what bounds an entry's age). */
function advanceCacheClock(ms: number) {
  const realNow = performance.now.bind(performance);
  vi.spyOn(performance, 'now').mockImplementation(() => realNow() + ms);
}

/** Verifies a token twice: the second sighting stores the result, so the next is a hit. */
async function warm(verifier: { verify(token: string): Promise<unknown> }, token: string) {
  await verifier.verify(token);
  await verifier.verify(token);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('resultCache', () => {
  it('is off by default: every verification checks the signature', async () => {
    const { verifier, counter } = countingVerifier();
    const token = mint();
    await verifier.verify(token);
    await verifier.verify(token);
    expect(counter.signatureChecks).toBe(2);
  });

  it('returns the same verdict on a hit without checking the signature again', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: true });
    const token = mint({ scope: 'read:messages', permissions: ['messages:read'] });
    const first = await verifier.verify(token);
    await verifier.verify(token);
    const hit = await verifier.verify(token);
    expect(counter.signatureChecks).toBe(2);
    expect(hit).toEqual(first);
    expect(hit).toMatchObject({ subject: 'auth0|user-1', clientId: 'client-1', scopes: ['read:messages'], binding: 'bearer' });
  });

  it('stores nothing for a token seen once, so distinct tokens cost no entries', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: { maxEntries: 2 } });
    const [a, b, c] = [mint({ sub: 'a' }), mint({ sub: 'b' }), mint({ sub: 'c' })] as [string, string, string];
    await warm(verifier, a);
    const afterWarming = counter.signatureChecks;
    for (const token of [b, c]) await verifier.verify(token);
    // b and c, seen once each, took no entry, so a (stored on its second sighting) is still a hit.
    await verifier.verify(a);
    expect(counter.signatureChecks).toBe(afterWarming + 2);
  });

  it('stores a result on the second sighting and serves it from the third', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: true });
    const token = mint();
    await verifier.verify(token);
    await verifier.verify(token);
    expect(counter.signatureChecks).toBe(2);
    await verifier.verify(token);
    await verifier.verify(token);
    expect(counter.signatureChecks).toBe(2);
  });

  it('serves verifyRequest from the cache too', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: { maxEntries: 10, maxAge: 60 } });
    const token = mint();
    const request = { method: 'GET', url: 'https://api.example.com/', headers: { authorization: `Bearer ${token}` } };
    for (let i = 0; i < 3; i++) await verifier.verifyRequest(request);
    expect(counter.signatureChecks).toBe(2);
  });

  it('keys entries by the whole token: another signature on the same claims is verified, and refused', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: true });
    const token = mint();
    await warm(verifier, token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = Buffer.from(signature, 'base64url');
    forged[0] = (forged[0] as number) ^ 0xff;
    await expectRefused(verifier.verify(`${header}.${payload}.${b64url(forged)}`), /signature does not verify/);
    expect(counter.signatureChecks).toBe(3);
  });

  it('refuses a cached token once it has expired, checking the time on the hit', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: true, clockTolerance: 0 });
    const now = Math.floor(Date.now() / 1000);
    const token = mint({ iat: now, exp: now + 120 });
    setWallClock(now);
    await warm(verifier, token);
    setWallClock(now + 121);
    await expectRefused(verifier.verify(token), /in the past/);
    expect(counter.signatureChecks).toBe(2);
  });

  it('refuses a cached token once it is older than maxTokenAge', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: true, maxTokenAge: 60, clockTolerance: 0 });
    const now = Math.floor(Date.now() / 1000);
    const token = mint({ iat: now });
    setWallClock(now);
    await warm(verifier, token);
    setWallClock(now + 61);
    await expectRefused(verifier.verify(token), /maxTokenAge/);
    expect(counter.signatureChecks).toBe(2);
  });

  it('never caches a refusal', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: true });
    const wrongAudience = mint({ aud: 'https://other.example.com' });
    for (let i = 0; i < 3; i++) await expectRefused(verifier.verify(wrongAudience));
    expect(counter.signatureChecks).toBe(3);
  });

  it('never caches a token refused for its time', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: true });
    const notYetValid = mint({ nbf: Math.floor(Date.now() / 1000) + 3600 });
    for (let i = 0; i < 3; i++) await expectRefused(verifier.verify(notYetValid), /nbf/);
    expect(counter.signatureChecks).toBe(3);
  });

  it('holds at most maxEntries results, dropping the least recently used', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: { maxEntries: 2 } });
    const [a, b, c] = [mint({ sub: 'a' }), mint({ sub: 'b' }), mint({ sub: 'c' })] as [string, string, string];
    for (const token of [a, b, c]) await warm(verifier, token);
    expect(counter.signatureChecks).toBe(6);
    await verifier.verify(c);
    await verifier.verify(b);
    expect(counter.signatureChecks).toBe(6);
    await verifier.verify(a);
    expect(counter.signatureChecks).toBe(7);
  });

  it('trusts an entry for at most maxAge seconds, then verifies the token again', async () => {
    const { verifier, counter } = countingVerifier({ resultCache: { maxAge: 60 } });
    const token = mint();
    await warm(verifier, token);
    advanceCacheClock(61_000);
    await verifier.verify(token);
    expect(counter.signatureChecks).toBe(3);
  });

  describe('with keys from a JWKS URL', () => {
    let server: JwksServer;
    const other = keyFor('RS256', 'rs256-other');
    afterEach(async () => {
      await server?.close();
    });

    /** A verifier fetching `/jwks` (fresh for 60 s) with the result cache on, and a wall clock that moves only when told. */
    async function remoteVerifier(keys: JWK[]) {
      server = await startJwksServer();
      server.route('/jwks', { json: { keys } });
      const start = Date.now();
      let offset = 0;
      vi.spyOn(Date, 'now').mockImplementation(() => start + offset);
      const advance = (ms: number) => {
        offset += ms;
      };
      return { ...countingVerifier({ keys: undefined, jwksUri: server.url('/jwks'), jwks: { cacheMaxAge: 60 }, resultCache: true }), advance };
    }

    it('refuses a cached token once a JWKS refresh has withdrawn the key that signed it', async () => {
      const { verifier, advance } = await remoteVerifier([key.jwk, other.jwk]);
      const token = mint();
      await warm(verifier, token);
      await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'auth0|user-1' });
      server.route('/jwks', { json: { keys: [other.jwk] } });
      advance(61_000);
      await expectRefused(verifier.verify(token), /no key with kid/);
      expect(server.hits('/jwks')).toBe(2);
    });

    it('keeps serving cached results across a refresh that keeps their key', async () => {
      const { verifier, counter, advance } = await remoteVerifier([key.jwk, other.jwk]);
      const token = mint();
      await warm(verifier, token);
      advance(61_000);
      // The set is due: the hit goes back through the key source once, which refreshes…
      await verifier.verify(token);
      expect(server.hits('/jwks')).toBe(2);
      const checks = counter.signatureChecks;
      // …and the unchanged key is the same object in the new set, so the entry holds.
      await verifier.verify(token);
      expect(counter.signatureChecks).toBe(checks);
    });
  });

  it('cannot be altered through a result handed to a caller', async () => {
    const { verifier } = countingVerifier({ resultCache: true });
    const token = mint({ scope: 'read:messages', permissions: ['messages:read'] });
    for (let i = 0; i < 3; i++) {
      const result = await verifier.verify(token);
      // Each change on its own: a frozen part refusing one must not skip the others.
      const changes = [
        () => result.scopes.push('admin'),
        () => result.permissions.push('admin'),
        () => (result.claims.sub = 'auth0|admin'),
        () => (result.header.kid = 'other'),
      ];
      for (const change of changes) {
        try {
          change();
        } catch {
          // A frozen result refusing the change is as good as a copy ignoring it.
        }
      }
    }
    const hit = await verifier.verify(token);
    expect(hit).toMatchObject({ scopes: ['read:messages'], permissions: ['messages:read'], claims: { sub: 'auth0|user-1' }, header: { kid: key.kid } });
  });

  it.each([
    ['maxEntries 0', { maxEntries: 0 }],
    ['fractional maxEntries', { maxEntries: 1.5 }],
    ['maxAge 0', { maxAge: 0 }],
    ['negative maxAge', { maxAge: -1 }],
  ])('is a TypeError at setup with %s', (_, resultCache) => {
    expect(() => countingVerifier({ resultCache })).toThrow(TypeError);
  });
});
