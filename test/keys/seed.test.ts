/**
 * Warm from the first request: `verifier.exportKeys()` saves the key cache (key set, and where
 * discovery found it) as JSON; a verifier given it as `jwks.seed` answers its first request with
 * no network at all, then refreshes under the usual rules. `verifier.ready()` fetches ahead, and
 * rejects with the precise reason when the configuration cannot work.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalIssuer } from '../../src/testing.js';
import { createVerifier as createWebVerifier } from '../../adapters/web.js';
import { ConfigurationError, createVerifier, KeysUnavailableError, type KeyCacheSnapshot, type VerifierOptions } from '../../src/index.js';
import { expectRefused } from '../helpers/refusal.js';

const AUDIENCE = 'https://api.example.com/';
let issuer: LocalIssuer;

beforeEach(async () => {
  issuer = await LocalIssuer.start({ algorithms: ['RS256'] });
});

afterEach(async () => {
  await issuer.close();
});

/** A `fetch` that records every URL asked for and never reaches the network. */
function noNetwork() {
  const asked: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    asked.push(String(input instanceof Request ? input.url : input));
    throw new TypeError('fetch failed: this test has no network');
  }) as typeof globalThis.fetch;
  return { asked, fetch };
}

/** The cache of a verifier that verified one token for real (discovering, unless `jwksUri` is given). */
async function exportedKeys(options: Partial<VerifierOptions> = {}): Promise<KeyCacheSnapshot> {
  const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, ...options });
  await verifier.verify(await issuer.mint(AUDIENCE));
  // Through JSON, as it would be stored.
  return JSON.parse(JSON.stringify(verifier.exportKeys())) as KeyCacheSnapshot;
}

describe('exportKeys', () => {
  it('is undefined before the keys were first fetched', () => {
    expect(createVerifier({ issuer: issuer.issuer, audience: AUDIENCE }).exportKeys()).toBeUndefined();
  });

  it('holds the issuer, where discovery found the keys, and the keys, with their fetch times', async () => {
    const before = Date.now();
    const snapshot = await exportedKeys();
    expect(snapshot).toMatchObject({
      version: 1,
      issuer: issuer.issuer,
      metadata: { jwksUri: issuer.jwksUri, metadataUri: `${issuer.issuer}.well-known/openid-configuration`, maxAge: 600 },
      jwks: { uri: issuer.jwksUri, keys: [issuer.published[0]!.publicJwk], maxAge: 600 },
    });
    expect(snapshot.jwks.fetchedAt).toBeGreaterThanOrEqual(before);
  });

  it('has no metadata for a verifier given its jwksUri', async () => {
    const snapshot = await exportedKeys({ jwksUri: issuer.jwksUri });
    expect(snapshot.metadata).toBeUndefined();
    expect(snapshot.jwks.uri).toBe(issuer.jwksUri);
  });

  it('is undefined for a verifier with static keys', () => {
    expect(createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, keys: [issuer.published[0]!.publicJwk] }).exportKeys()).toBeUndefined();
  });
});

describe('jwks.seed', () => {
  it('answers the first request with no network: discovery and JWKS both seeded', async () => {
    const seed = await exportedKeys();
    const token = await issuer.mint(AUDIENCE);
    await issuer.close();
    const network = noNetwork();
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: { seed, fetch: network.fetch } });
    expect(await verifier.verify(token)).toMatchObject({ subject: 'auth0|demo-user' });
    expect(network.asked).toEqual([]);
  });

  it('answers the first request with no network on the web entry too (a Worker starting cold)', async () => {
    const seed = await exportedKeys({ jwksUri: issuer.jwksUri });
    const token = await issuer.mint(AUDIENCE);
    await issuer.close();
    const network = noNetwork();
    const verifier = createWebVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, jwks: { seed, fetch: network.fetch } });
    const outcome = await verifier.authenticate({ method: 'GET', url: 'https://api.example.com/', headers: { authorization: `Bearer ${token}` } });
    expect(outcome).toMatchObject({ kind: 'accepted', auth: { subject: 'auth0|demo-user' } });
    expect(network.asked).toEqual([]);
  });

  it('is refreshed from the issuer once past its max age, as a fetched set would be', async () => {
    const seed = await exportedKeys();
    const hitsBefore = issuer.jwksHits;
    const aged = { ...seed, metadata: { ...seed.metadata!, fetchedAt: Date.now() - 601_000 }, jwks: { ...seed.jwks, fetchedAt: Date.now() - 601_000 } };
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: { seed: aged } });
    await verifier.verify(await issuer.mint(AUDIENCE));
    expect(issuer.jwksHits).toBe(hitsBefore + 1);
    expect(verifier.exportKeys()!.jwks.fetchedAt).toBeGreaterThan(aged.jwks.fetchedAt);
  });

  it('fetches at once for a kid it does not hold: a key rotated in since the snapshot verifies', async () => {
    const seed = await exportedKeys();
    const rotated = await issuer.addKey('RS256');
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: { seed } });
    expect(await verifier.verify(await issuer.mint(AUDIENCE, {}, { kid: rotated.kid }))).toMatchObject({ header: { kid: rotated.kid } });
  });

  it('serves through an outage until maxStale after the snapshot was fetched, then is our 503', async () => {
    const seed = await exportedKeys();
    const token = await issuer.mint(AUDIENCE);
    await issuer.close();
    const network = noNetwork();
    const aged = (ms: number): KeyCacheSnapshot => ({ ...seed, metadata: { ...seed.metadata!, fetchedAt: Date.now() - ms }, jwks: { ...seed.jwks, fetchedAt: Date.now() - ms } });
    const options = { issuer: issuer.issuer, audience: AUDIENCE, jwks: { fetch: network.fetch, maxStale: 3600 } };
    expect(await createVerifier({ ...options, jwks: { ...options.jwks, seed: aged(1_800_000) } }).verify(token)).toMatchObject({ subject: 'auth0|demo-user' });
    await expect(createVerifier({ ...options, jwks: { ...options.jwks, seed: aged(3_700_000) } }).verify(token)).rejects.toBeInstanceOf(KeysUnavailableError);
  });

  it('does not make a removed key trusted: past max age, the refreshed set decides', async () => {
    const seed = await exportedKeys();
    const token = await issuer.mint(AUDIENCE);
    await issuer.addKey('RS256');
    issuer.removeKey(seed.jwks.keys[0]!.kid as string);
    const aged = { ...seed, metadata: { ...seed.metadata!, fetchedAt: Date.now() - 601_000 }, jwks: { ...seed.jwks, fetchedAt: Date.now() - 601_000 } };
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: { seed: aged } });
    await expectRefused(verifier.verify(token), /no key with kid/);
  });

  it.each([
    ['another issuer', (seed: KeyCacheSnapshot) => ({ ...seed, issuer: 'https://other.example.com/' }), /is for issuer/],
    ['another version', (seed: KeyCacheSnapshot) => ({ ...seed, version: 2 }), /version 2/],
    ['no keys', (seed: KeyCacheSnapshot) => ({ ...seed, jwks: { ...seed.jwks, keys: undefined } }), /no jwks/],
    ['a bad fetch time', (seed: KeyCacheSnapshot) => ({ ...seed, jwks: { ...seed.jwks, fetchedAt: 'yesterday' } }), /fetchedAt/],
    ['no metadata for a discovering verifier', (seed: KeyCacheSnapshot) => ({ ...seed, metadata: undefined }), /no metadata/],
    ['not an object', () => 'cache', /not an object/],
  ])('is a TypeError at creation when it has %s', async (_, change, message) => {
    const seed = change(await exportedKeys()) as unknown as KeyCacheSnapshot;
    expect(() => createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: { seed } })).toThrow(message);
  });

  it("is a TypeError at creation when it holds another URL's keys than the configured jwksUri", async () => {
    const seed = await exportedKeys({ jwksUri: issuer.jwksUri });
    expect(() => createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: `${issuer.jwksUri}?v=2`, jwks: { seed } })).toThrow(/holds the keys of/);
  });

  it('is a TypeError at creation for a verifier that fetches no keys', async () => {
    const seed = await exportedKeys();
    expect(() => createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, keys: [issuer.published[0]!.publicJwk], jwks: { seed } })).toThrow(/fetches no keys/);
  });
});

describe('ready', () => {
  it('fetches discovery and the key set ahead: the first request then makes no fetch', async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE });
    await verifier.ready();
    expect(issuer.jwksHits).toBe(1);
    const token = await issuer.mint(AUDIENCE);
    await issuer.close();
    expect(await verifier.verify(token)).toMatchObject({ subject: 'auth0|demo-user' });
  });

  it('fetches nothing when a fresh seed is cached', async () => {
    const seed = await exportedKeys();
    const network = noNetwork();
    await createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: { seed, fetch: network.fetch } }).ready();
    expect(network.asked).toEqual([]);
  });

  it('rejects with the configuration error naming the fix: an issuer without the trailing slash the issuer uses', async () => {
    const verifier = createVerifier({ issuer: issuer.issuer.replace(/\/$/, ''), audience: AUDIENCE });
    const error = await verifier.ready().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).reason).toContain(`set it to ${issuer.issuer}`);
  });

  it('rejects with our 503 naming the URL when the JWKS cannot be fetched', async () => {
    const jwksUri = issuer.jwksUri.replace('jwks.json', 'missing.json');
    const error = await createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri }).ready().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect((error as KeysUnavailableError).reason).toContain(jwksUri);
  });

  it('resolves at once for a verifier with static keys', async () => {
    await expect(createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, keys: [issuer.published[0]!.publicJwk] }).ready()).resolves.toBeUndefined();
  });
});
