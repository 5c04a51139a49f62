/**
 * Several issuers per API: a list, or a resolver for per-tenant lookup. Every issuer here is a
 * real HTTP server on 127.0.0.1 serving discovery and a JWKS, counting each request, so "refused
 * before any network request" and "one issuer's flood never touches another" are measured where
 * they would happen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type IssuerOptions, type Verifier, type VerifierOptions } from '../src/index.js';
import type { RequestLike } from '../src/types.js';
import { startJwksServer, type JwksServer } from './helpers/jwks-server.js';
import { b64url, encodeJson, keyFor, signatureOf, type TestKey } from './helpers/keys.js';
import { expectRefused, expectUnavailable } from './helpers/refusal.js';
import { mint, nowSeconds } from './helpers/tokens.js';

const API_A = 'https://api-a.example.com';
const API_B = 'https://api-b.example.com';

interface TestIssuer {
  server: JwksServer;
  issuer: string;
  key: TestKey;
  /** A token of this issuer (its `iss`, signed with its key), claims on top. */
  token(claims?: Record<string, unknown>, key?: TestKey): string;
}

/** An issuer on 127.0.0.1: discovery at the well-known path, its JWKS at /jwks. */
async function startIssuer(name: string): Promise<TestIssuer> {
  const server = await startJwksServer();
  const issuer = `${server.origin}/${name}`;
  const key = keyFor('RS256', `${name}-key`);
  server.route(`/${name}/.well-known/openid-configuration`, { json: { issuer, jwks_uri: server.url(`/${name}/jwks`) } });
  server.route(`/${name}/jwks`, { json: { keys: [key.jwk] } });
  return { server, issuer, key, token: (claims = {}, signer = key) => mint({ iss: issuer, ...claims }, { key: signer }) };
}

const request = (token: string): RequestLike => ({ method: 'GET', url: 'https://api.example.com/', headers: { authorization: `Bearer ${token}` } });

let a: TestIssuer;
let b: TestIssuer;
let third: TestIssuer;
beforeAll(async () => {
  [a, b, third] = await Promise.all([startIssuer('a'), startIssuer('b'), startIssuer('third')]);
});
afterAll(async () => {
  await Promise.all([a, b, third].map((issuer) => issuer.server.close()));
});

/** A by discovery, B by its jwksUri, each with its own audience. */
function listVerifier(extra: Partial<VerifierOptions> = {}, entries: Partial<IssuerOptions>[] = [{}, {}]): Verifier {
  return createVerifier({
    issuers: [
      { issuer: a.issuer, audience: API_A, ...entries[0] },
      { issuer: b.issuer, audience: API_B, jwksUri: b.server.url('/b/jwks'), ...entries[1] },
    ],
    ...extra,
  });
}

describe('several issuers, listed', () => {
  it('accepts a token from each listed issuer, verified with that issuer’s keys, and says which issuer in auth.issuer', async () => {
    const verifier = listVerifier();
    const fromA = await verifier.verify(a.token({ aud: API_A }));
    const fromB = await verifier.verify(b.token({ aud: API_B }));
    expect([fromA.issuer, fromB.issuer]).toEqual([a.issuer, b.issuer]);
  });

  it('refuses a token from an issuer that is not listed without a single request to it', async () => {
    const before = third.server.totalHits;
    const error = await expectRefused(listVerifier().verify(third.token({ aud: API_A })), /is not a configured issuer/);
    expect(error.reason).toContain(JSON.stringify(third.issuer));
    expect(third.server.totalHits - before).toBe(0);
  });

  it('refuses a token whose iss names A but is signed with B’s key and kid, naming issuer A in the reason', async () => {
    const forged = a.token({ aud: API_A }, b.key);
    await expectRefused(listVerifier().verify(forged), new RegExp(`^issuer ${JSON.stringify(a.issuer).replace(/[/.]/g, '\\$&')}: `));
  });

  it('refuses a token whose iss names A, signed with B’s key under A’s kid', async () => {
    const forged = a.token({ aud: API_A }, { ...b.key, kid: a.key.kid });
    await expectRefused(listVerifier().verify(forged), /signature does not verify/);
  });

  it('holds each issuer to its own audience', async () => {
    await expectRefused(listVerifier().verify(a.token({ aud: API_B })), /issuer ".*\/a": aud is "https:\/\/api-b.example.com"/);
  });

  it('keeps a flood of unknown kids at one issuer from costing another issuer anything', async () => {
    const verifier = listVerifier({ jwks: { cooldown: 30 } });
    await verifier.verify(b.token({ aud: API_B }));
    const [aBefore, bBefore] = [a.server.totalHits, b.server.totalHits];
    const flood = Array.from({ length: 50 }, (_, index) => a.token({ aud: API_A }, { ...a.key, kid: `unknown-${index}` }));
    await Promise.all(flood.map((token) => verifier.verify(token).catch(() => undefined)));
    // A: discovery and one key set, then the cooldown holds every other unknown kid.
    expect(a.server.totalHits - aBefore).toBeLessThanOrEqual(2);
    const outcome = verifier.authenticate(request(b.token({ aud: API_B })));
    expect(outcome).not.toBeInstanceOf(Promise);
    expect(outcome).toMatchObject({ kind: 'accepted', auth: { issuer: b.issuer } });
    expect(b.server.totalHits - bBefore).toBe(0);
  });

  it('accepts a token only with an algorithm its own issuer allows', async () => {
    const verifier = listVerifier({}, [{}, { algorithms: ['ES256'] }]);
    await expectRefused(verifier.verify(b.token({ aud: API_B })), /alg "RS256" is not in the allow-list \[ES256\]/);
  });

  it('names the issuer when a token of that issuer has expired', async () => {
    await expectRefused(listVerifier().verify(b.token({ aud: API_B, exp: nowSeconds() - 60 })), /^issuer ".*\/b": exp \d+ is \d+ s in the past/);
  });

  it('reads the unverified iss only from a canonical base64url payload', async () => {
    const [header, payload] = a.token({ aud: API_A }).split('.') as [string, string];
    // The same bytes spelled with stray low bits in the last character.
    const last = payload.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const stray = alphabet[alphabet.indexOf(last) + 1] as string;
    const respelled = `${header}.${payload.slice(0, -1)}${stray}`;
    const token = `${respelled}.${b64url(signatureOf('RS256', a.key.privateKey, respelled))}`;
    expect(payload.length % 4).not.toBe(0);
    await expectRefused(listVerifier().verify(token), /not canonical base64url/, 'invalid_token');
  });

  it('refuses a token without iss, since no issuer can be chosen for it', async () => {
    await expectRefused(listVerifier().verify(a.token({ aud: API_A, iss: undefined })), /no iss, so no issuer can be chosen/);
  });

  it('refuses a token whose iss is not a string', async () => {
    const input = `${encodeJson({ alg: 'RS256', kid: a.key.kid })}.${encodeJson({ iss: [a.issuer], aud: API_A, exp: nowSeconds() + 60 })}`;
    await expectRefused(listVerifier().verify(`${input}.${b64url(signatureOf('RS256', a.key.privateKey, input))}`), /iss must be a string/);
  });

  it('quotes and escapes a hostile iss in the reason', async () => {
    const error = await expectRefused(listVerifier().verify(a.token({ aud: API_A, iss: 'https://evil.example\r\nX-Injected: 1' })));
    expect(error.reason).toContain('"https://evil.example\\r\\nX-Injected: 1"');
    expect(error.reason).not.toMatch(/[\r\n]/);
  });

  it('selects an Entra tenant-template entry for a tenant’s issuer, holding the token to its tid', async () => {
    const entraKey = keyFor('RS256', 'entra-key');
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const verifier = listVerifier({}, [
      {},
      { issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', audience: API_B, dialect: 'entra', jwksUri: undefined, keys: { keys: [entraKey.jwk] } },
    ]);
    const iss = `https://login.microsoftonline.com/${tenant}/v2.0`;
    const result = await verifier.verify(mint({ iss, aud: API_B, azp: 'client', tid: tenant, ver: '2.0' }, { key: entraKey }));
    expect(result).toMatchObject({ issuer: iss, dialect: 'entra' });
    await expectRefused(verifier.verify(mint({ iss, aud: API_B, azp: 'client', tid: '9188040d-6c67-4c5b-b112-36a304b66dad' }, { key: entraKey })), /^issuer ".*\{tenantid\}\/v2.0": iss names tenant/);
    await expectRefused(verifier.verify(mint({ iss: 'https://login.microsoftonline.com/not-a-tenant/v2.0', aud: API_B }, { key: entraKey })), /is not a configured issuer/);
  });

  it('gives a single issuer’s results the issuer too', async () => {
    const verifier = createVerifier({ issuer: a.issuer, audience: API_A });
    expect((await verifier.verify(a.token({ aud: API_A }))).issuer).toBe(a.issuer);
  });
});

describe('several issuers: configuration', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['top-level issuer options beside issuers', () => createVerifier({ issuer: a.issuer, audience: API_A, issuers: [{ issuer: b.issuer, audience: API_B }] }), /`issuer`, `audience` describe one issuer/],
    ['a shared option inside an entry', () => createVerifier({ issuers: [{ issuer: a.issuer, audience: API_A, realm: 'api' } as IssuerOptions & { issuer: string }] }), /`issuers\[0\].realm` is shared by every issuer/],
    ['a misspelt entry option', () => createVerifier({ issuers: [{ issuer: a.issuer, audiance: API_A } as IssuerOptions & { issuer: string }] }), /did you mean `issuers\[0\].audience`/],
    ['an entry without audience', () => createVerifier({ issuers: [{ issuer: a.issuer }] }), /`issuers\[0\].audience` must be a non-empty string/],
    ['the same issuer twice', () => createVerifier({ issuers: [{ issuer: a.issuer, audience: API_A }, { issuer: a.issuer, audience: API_B }] }), /listed twice/],
    ['an empty list', () => createVerifier({ issuers: [] }), /non-empty array/],
    ['issuerCache without a resolver', () => createVerifier({ issuer: a.issuer, audience: API_A, issuerCache: { maxEntries: 5 } }), /`issuerCache` bounds the answers/],
  ])('is a TypeError: %s', (_, create, message) => {
    expect(create).toThrow(TypeError);
    expect(create).toThrow(message);
  });
});

describe('several issuers, resolved per tenant', () => {
  const trusted = () => new Map<string, IssuerOptions>([
    [a.issuer, { audience: API_A }],
    [b.issuer, { audience: API_B, jwksUri: b.server.url('/b/jwks') }],
  ]);

  function resolverVerifier(issuerCache?: VerifierOptions['issuerCache'], answers = trusted()) {
    const asked: string[] = [];
    const verifier = createVerifier({
      issuers: async (issuer) => {
        asked.push(issuer);
        return answers.get(issuer);
      },
      issuerCache,
    });
    return { verifier, asked };
  }

  it('asks the resolver once per issuer, then verifies from its cached answer synchronously', async () => {
    const { verifier, asked } = resolverVerifier();
    await verifier.verify(a.token({ aud: API_A }));
    const outcome = verifier.authenticate(request(a.token({ aud: API_A })));
    expect(outcome).not.toBeInstanceOf(Promise);
    expect(outcome).toMatchObject({ kind: 'accepted', auth: { issuer: a.issuer } });
    expect(asked).toEqual([a.issuer]);
  });

  it('refuses an issuer the resolver does not know, with no request to it, and remembers the refusal', async () => {
    const { verifier, asked } = resolverVerifier();
    const before = third.server.totalHits;
    await expectRefused(verifier.verify(third.token({ aud: API_A })), /not a trusted issuer: the issuer resolver does not know it/);
    await expectRefused(verifier.verify(third.token({ aud: API_A })), /not a trusted issuer/);
    expect(asked).toEqual([third.issuer]);
    expect(third.server.totalHits - before).toBe(0);
  });

  it('keeps at most issuerCache.maxEntries issuers, asking again for one it let go', async () => {
    const { verifier, asked } = resolverVerifier({ maxEntries: 1 });
    await verifier.verify(a.token({ aud: API_A }));
    await verifier.verify(b.token({ aud: API_B }));
    await verifier.verify(a.token({ aud: API_A }));
    expect(asked).toEqual([a.issuer, b.issuer, a.issuer]);
  });

  it('keeps a flood of made-up issuers from evicting a trusted one', async () => {
    const { verifier, asked } = resolverVerifier({ maxEntries: 2 });
    await verifier.verify(a.token({ aud: API_A }));
    for (let index = 0; index < 20; index++) await verifier.verify(a.token({ aud: API_A, iss: `https://made-up-${index}.example/` })).catch(() => undefined);
    await verifier.verify(a.token({ aud: API_A }));
    expect(asked.filter((issuer) => issuer === a.issuer)).toHaveLength(1);
  });

  it('shares one resolver call among concurrent requests for one issuer', async () => {
    const { verifier, asked } = resolverVerifier();
    await Promise.all(Array.from({ length: 5 }, () => verifier.verify(b.token({ aud: API_B }))));
    expect(asked).toEqual([b.issuer]);
  });

  it('hands the resolver the request, so a tenant can be chosen by host', async () => {
    const hosts: unknown[] = [];
    const verifier = createVerifier({
      issuers: (issuer, seen) => {
        hosts.push(new Headers(seen.headers as Record<string, string>).get('host'));
        return issuer === a.issuer ? { audience: API_A } : undefined;
      },
    });
    const outcome = await verifier.authenticate({ ...request(a.token({ aud: API_A })), headers: { host: 'tenant-a.example.com', authorization: `Bearer ${a.token({ aud: API_A })}` } });
    expect(outcome.kind).toBe('accepted');
    expect(hosts).toEqual(['tenant-a.example.com']);
  });

  it('validates the resolver’s answer like a listed entry: unusable options are our 503, not the caller’s fault', async () => {
    const { verifier } = resolverVerifier(undefined, new Map([[a.issuer, { audience: API_A, realm: 'api' } as IssuerOptions]]));
    const error = await expectUnavailable(verifier.verify(a.token({ aud: API_A })));
    expect(error.reason).toMatch(/answered unusable options .*`realm` is shared by every issuer/);
  });

  it('treats an answer for another issuer as unusable', async () => {
    const { verifier } = resolverVerifier(undefined, new Map([[a.issuer, { issuer: b.issuer, audience: API_A }]]));
    expect((await expectUnavailable(verifier.verify(a.token({ aud: API_A })))).reason).toMatch(/the answer is for issuer/);
  });

  it('answers 503 when the resolver fails, and asks again on the next request', async () => {
    let calls = 0;
    const verifier = createVerifier({
      issuers: async () => {
        calls++;
        throw new Error('tenant database unreachable');
      },
    });
    expect((await expectUnavailable(verifier.verify(a.token({ aud: API_A })))).reason).toMatch(/issuer resolver failed .*tenant database unreachable/);
    await expectUnavailable(verifier.verify(a.token({ aud: API_A })));
    expect(calls).toBe(2);
  });
});

describe('a resolver answering synchronously', () => {
  it('verifies the first token of an issuer without a promise when its keys are static', () => {
    const verifier = createVerifier({ issuers: (issuer) => (issuer === a.issuer ? { audience: API_A, keys: { keys: [a.key.jwk] } } : undefined) });
    const outcome = verifier.authenticate(request(a.token({ aud: API_A })));
    expect(outcome).toMatchObject({ kind: 'accepted', auth: { issuer: a.issuer } });
  });
});
