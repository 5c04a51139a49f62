/**
 * DPoP-bound tokens (RFC 9449): every check of §4.3 failed on its own through `verifyRequest`
 * (so header extraction takes part), each refusal asserted with its code, status and
 * `WWW-Authenticate`; then the downgrade, key binding, replay and nonce rules.
 */
import { generateKeyPair as generateDpopKeyPair, generateProof } from 'dpop';
import { generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createVerifier, type AuthResult, type Verifier, type VerifierOptions } from '../../src/index.js';
import { AccessTokenError } from '../../src/errors.js';
import { respell, withSegment } from '../helpers/tokens.js';
import { proof, proofKey, unsignedProof, type ProofKey } from '../helpers/proofs.js';
import { createTestIssuer, type TestIssuer } from '../helpers/tokens.js';
import { accessTokenRefusal as refusal } from '../helpers/refusal.js';

const URL_ = 'https://api.binding.test/messages';
const ALGS = 'algs="ES256 PS256 RS256 EdDSA Ed25519"';

let issuer: TestIssuer;
let key: ProofKey;
let other: ProofKey;
let token: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  key = await proofKey('ES256');
  other = await proofKey('ES256');
  token = await issuer.mint({ cnf: { jkt: key.jkt } });
});

function verifierWith(dpop: VerifierOptions['dpop'] = {}, extra: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier(issuer.options({ dpop, ...extra }));
}

interface Call {
  token?: string;
  proof?: string | string[];
  scheme?: string;
  method?: string;
  url?: string;
}

function call(verifier: Verifier, init: Call = {}): Promise<AuthResult> {
  const headers: Record<string, string | string[]> = { authorization: `${init.scheme ?? 'DPoP'} ${init.token ?? token}` };
  if (init.proof !== undefined) headers.dpop = init.proof;
  return verifier.verifyRequest({ method: init.method ?? 'GET', url: init.url ?? URL_, headers });
}

/** A refusal on a DPoP-scheme request: the error in the DPoP challenge, Bearer offered beside it. */
async function expectDpopRefusal(promise: Promise<unknown>, code: 'invalid_dpop_proof' | 'invalid_token', reason: RegExp): Promise<AccessTokenError> {
  const error = await refusal(promise);
  expect({ code: error.code, status: error.status }).toEqual({ code, status: 401 });
  expect(error.reason).toMatch(reason);
  expect(error.headers['WWW-Authenticate']).toMatch(new RegExp(`^Bearer, DPoP ${ALGS}, error="${code}", error_description="[^"]+"$`));
  return error;
}

const badProof = (promise: Promise<unknown>, reason: RegExp) => expectDpopRefusal(promise, 'invalid_dpop_proof', reason);

describe('a valid DPoP request', () => {
  it('is accepted with binding "dpop" (proof from the dpop package)', async () => {
    const keypair = await generateDpopKeyPair('ES256');
    const { calculateThumbprint } = await import('dpop');
    const bound = await issuer.mint({ cnf: { jkt: await calculateThumbprint(keypair.publicKey) } });
    const result = await call(verifierWith(), { token: bound, proof: await generateProof(keypair, URL_, 'GET', undefined, bound) });
    expect(result.binding).toBe('dpop');
  });

  it.each(['ES256', 'PS256', 'RS256', 'Ed25519'] as const)('is accepted with a %s proof from the dpop package', async (alg) => {
    const keypair = await generateDpopKeyPair(alg);
    const { calculateThumbprint } = await import('dpop');
    const bound = await issuer.mint({ cnf: { jkt: await calculateThumbprint(keypair.publicKey) } });
    expect((await call(verifierWith(), { token: bound, proof: await generateProof(keypair, URL_, 'GET', undefined, bound) })).binding).toBe('dpop');
  });

  it('is accepted with an EdDSA proof built with jose', async () => {
    const edKey = await proofKey('EdDSA');
    const bound = await issuer.mint({ cnf: { jkt: edKey.jkt } });
    expect((await call(verifierWith(), { token: bound, proof: await proof(edKey, { url: URL_, token: bound }) })).binding).toBe('dpop');
  });

  it.each([
    ['upper-case scheme and host', 'HTTPS://API.Binding.TEST/messages'],
    ['the default port spelled out', 'https://api.binding.test:443/messages'],
    ['a fragment and a query on htu', 'https://api.binding.test/messages?x=1#top'],
    ['percent-encoded unreserved characters', 'https://api.binding.test/%6Dessages'],
  ])('matches htu after normalisation: %s', async (_name, htu) => {
    expect((await call(verifierWith(), { proof: await proof(key, { url: htu, token }) })).binding).toBe('dpop');
  });

  it('ignores the query of the request URL', async () => {
    const url = `${URL_}?page=2&sort=asc`;
    expect((await call(verifierWith(), { url, proof: await proof(key, { url: URL_, token }) })).binding).toBe('dpop');
  });

  it('accepts a proof whose exp is in the future', async () => {
    const exp = Math.floor(Date.now() / 1000) + 30;
    expect((await call(verifierWith(), { proof: await proof(key, { url: URL_, token, claims: { exp } }) })).binding).toBe('dpop');
  });

  it('ignores a DPoP header beside a Bearer token at an API that does not accept DPoP', async () => {
    const unbound = await issuer.mint();
    const verifier = createVerifier(issuer.options());
    expect((await call(verifier, { scheme: 'Bearer', token: unbound, proof: await proof(key, { url: URL_, token: unbound }) })).binding).toBe('bearer');
  });

  it('accepts typ "application/dpop+jwt" (RFC 7515 §4.1.9)', async () => {
    expect((await call(verifierWith(), { proof: await proof(key, { url: URL_, token, header: { typ: 'application/dpop+jwt' } }) })).binding).toBe('dpop');
  });
});

describe('a bad or missing proof: 401 invalid_dpop_proof in the DPoP challenge', () => {
  it('no DPoP header', async () => {
    const error = await badProof(call(verifierWith()), /without a DPoP header/);
    expect(error.headers['WWW-Authenticate']).toBe(`Bearer, DPoP ${ALGS}, error="invalid_dpop_proof", error_description="The DPoP proof is invalid."`);
  });

  it('two DPoP headers', async () => {
    const one = await proof(key, { url: URL_, token });
    await badProof(call(verifierWith(), { proof: [one, one] }), /more than one DPoP header/);
  });

  it('not a JWS at all', async () => {
    await badProof(call(verifierWith(), { proof: 'not-a-jwt' }), /not a compact JWS/);
    await badProof(call(verifierWith(), { proof: 'e30.e30.' }), /not a compact JWS/);
    await badProof(call(verifierWith(), { proof: 'bm90IGpzb24.e30.c2ln' }), /header is not base64url-encoded JSON/);
    await badProof(call(verifierWith(), { proof: 'W10.e30.c2ln' }), /header is not a JSON object/);
  });

  it('an oversized proof', async () => {
    await badProof(call(verifierWith(), { proof: `${'a'.repeat(9000)}.e30.c2ln` }), /over 8192/);
  });

  it.each([
    ['typ missing', { typ: undefined }, /typ is \(none\)/],
    ['typ "JWT"', { typ: 'JWT' }, /typ is "JWT"/],
    ['typ "at+jwt"', { typ: 'at+jwt' }, /typ is "at\+jwt"/],
    ['a crit header', { crit: ['exp'], exp: 1 }, /critical/],
    ['no jwk', { jwk: undefined }, /no jwk object/],
    ['a jwk that is a string', { jwk: 'key' }, /no jwk object/],
  ])('header: %s', async (_name, header, reason) => {
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, header }) }), reason);
  });

  it('a jwk with its private part', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { exportJWK } = await import('jose');
    const privateJwk = await exportJWK(privateKey);
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, header: { jwk: privateJwk }, signWith: privateKey }) }), /private member "d"/);
  });

  it('a symmetric jwk and alg HS256', async () => {
    const secret = new Uint8Array(32).fill(7);
    const header = { alg: 'HS256', jwk: { kty: 'oct', k: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc' } };
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, header, signWith: secret }) }), /alg "HS256" is not in/);
  });

  it('alg none', async () => {
    await badProof(call(verifierWith(), { proof: unsignedProof(key, { url: URL_, token }) }), /not a compact JWS|alg "none"/);
  });

  it('an algorithm outside the allow-list', async () => {
    const rsKey = await proofKey('RS256');
    const bound = await issuer.mint({ cnf: { jkt: rsKey.jkt } });
    await expect(call(verifierWith({ algorithms: ['ES256'] }), { token: bound, proof: await proof(rsKey, { url: URL_, token: bound }) })).rejects.toMatchObject({
      code: 'invalid_dpop_proof',
      reason: expect.stringMatching(/alg "RS256" is not in \[ES256\]/),
      headers: { 'WWW-Authenticate': expect.stringMatching(/^Bearer, DPoP algs="ES256", error="invalid_dpop_proof"/) },
    });
  });

  it('a jwk of the wrong type for alg', async () => {
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, header: { alg: 'RS256' } }) }), /cannot verify RS256/);
  });

  it('a signature by another key than the header jwk', async () => {
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, signWith: other.privateKey }) }), /signature does not verify/);
  });

  it('a tampered payload', async () => {
    const good = await proof(key, { url: URL_, token });
    const [h, , s] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ jti: 'x', htm: 'GET', htu: URL_, iat: Math.floor(Date.now() / 1000), ath: 'x' })).toString('base64url');
    await badProof(call(verifierWith(), { proof: `${h}.${forged}.${s}` }), /signature does not verify/);
  });

  it.each([
    ['no jti', { jti: undefined }, /no jti/],
    ['an empty jti', { jti: '' }, /no jti/],
    ['no htm', { htm: undefined }, /no htm/],
    ['no htu', { htu: undefined }, /no htu/],
    ['no iat', { iat: undefined }, /no numeric iat/],
    ['a string iat', { iat: String(Math.floor(Date.now() / 1000)) }, /no numeric iat/],
    ['no ath', { ath: undefined }, /no ath/],
    ['a string exp', { exp: 'soon' }, /non-numeric exp/],
  ])('claims: %s', async (_name, claims, reason) => {
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, claims }) }), reason);
  });

  it('htm of another method, or of other case', async () => {
    await badProof(call(verifierWith(), { method: 'POST', proof: await proof(key, { url: URL_, token, method: 'GET' }) }), /htm "GET" is not the request method "POST"/);
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, method: 'get' }) }), /htm "get"/);
  });

  it.each([
    ['another path', 'https://api.binding.test/other'],
    ['another host', 'https://evil.binding.test/messages'],
    ['another scheme', 'http://api.binding.test/messages'],
    ['another port', 'https://api.binding.test:8443/messages'],
    ['a trailing slash', 'https://api.binding.test/messages/'],
    ['a relative URI', '/messages'],
    ['userinfo', 'https://user@api.binding.test/messages'],
    ['another scheme family', 'ftp://api.binding.test/messages'],
  ])('htu of %s', async (_name, htu) => {
    await badProof(call(verifierWith(), { proof: await proof(key, { url: htu, token }) }), /htu/);
  });

  it('a request URL the adapter gave without scheme and host', async () => {
    await badProof(call(verifierWith(), { url: '/messages', proof: await proof(key, { url: URL_, token }) }), /not absolute/);
  });

  // Margins of tens of seconds: the test's own clock reading and the verifier's differ by however
  // long a loaded machine takes between them.
  it('iat outside the window, either way', async () => {
    const now = Math.floor(Date.now() / 1000);
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, claims: { iat: now - 90 } }) }), /more than 60 s from now/);
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, claims: { iat: now + 90 } }) }), /more than 60 s from now/);
    await badProof(call(verifierWith({ iatWindow: 5 }), { proof: await proof(key, { url: URL_, token, claims: { iat: now - 30 } }) }), /more than 5 s/);
    expect((await call(verifierWith({ iatWindow: 300 }), { proof: await proof(key, { url: URL_, token, claims: { iat: now - 200 } }) })).binding).toBe('dpop');
  });

  it('exp in the past (RFC 7519 §4.1.4 applies to a proof that carries exp)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, claims: { exp: now - 30 } }) }), /exp \d+ is \d+ s in the past/);
  });

  it('a signature spelled non-canonically (unused trailing bits set, RFC 4648 §3.5)', async () => {
    const good = await proof(key, { url: URL_, token });
    await badProof(call(verifierWith(), { proof: withSegment(good, 2, respell) }), /not a compact JWS/);
  });

  it('ath of another token', async () => {
    const otherToken = await issuer.mint({ cnf: { jkt: key.jkt }, scope: 'other' });
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token: otherToken }) }), /ath is not the hash/);
    await badProof(call(verifierWith(), { proof: await proof(key, { url: URL_, token, claims: { ath: 'x' } }) }), /ath is not the hash/);
  });

  it('a replayed proof', async () => {
    const verifier = verifierWith();
    const once = await proof(key, { url: URL_, token });
    expect((await call(verifier, { proof: once })).binding).toBe('dpop');
    await badProof(call(verifier, { proof: once }), /already used \(replay\)/);
  });

  it('a refused proof does not use up its jti', async () => {
    const verifier = verifierWith();
    const jti = 'reused-after-refusal';
    await badProof(call(verifier, { method: 'POST', proof: await proof(key, { url: URL_, token, claims: { jti } }) }), /htm/);
    expect((await call(verifier, { proof: await proof(key, { url: URL_, token, claims: { jti } }) })).binding).toBe('dpop');
  });
});

describe('the token and the proof key: 401 invalid_token', () => {
  it('a valid proof by another key than cnf.jkt', async () => {
    await expectDpopRefusal(call(verifierWith(), { proof: await proof(other, { url: URL_, token }) }), 'invalid_token', /not the token's cnf.jkt/);
  });

  it('an unbound token sent as Bearer with a DPoP proof, at an API that accepts DPoP: 400 invalid_request', async () => {
    const unbound = await issuer.mint();
    const error = await refusal(call(verifierWith(), { scheme: 'Bearer', token: unbound, proof: await proof(key, { url: URL_, token: unbound }) }));
    expect({ code: error.code, status: error.status, reason: error.reason }).toEqual({
      code: 'invalid_request',
      status: 400,
      reason: 'the request has a DPoP header and uses the Bearer scheme',
    });
  });

  it('the DPoP scheme with a token that is not DPoP-bound', async () => {
    const unbound = await issuer.mint();
    await expectDpopRefusal(call(verifierWith(), { token: unbound, proof: await proof(key, { url: URL_, token: unbound }) }), 'invalid_token', /has no cnf.jkt/);
  });

  it('a DPoP-bound token sent as Bearer (downgrade), with or without a proof', async () => {
    for (const withProof of [false, true]) {
      const error = await refusal(call(verifierWith(), { scheme: 'Bearer', proof: withProof ? await proof(key, { url: URL_, token }) : undefined }));
      expect({ code: error.code, status: error.status }).toEqual({ code: 'invalid_token', status: 401 });
      expect(error.reason).toMatch(/presented with the Bearer scheme/);
      // The error is in the Bearer challenge (the scheme used); DPoP is still offered.
      expect(error.headers['WWW-Authenticate']).toMatch(new RegExp(`^Bearer error="invalid_token", error_description="[^"]+", DPoP ${ALGS}$`));
    }
  });

  it('a DPoP-bound token as Bearer when the API does not do DPoP', async () => {
    const error = await refusal(createVerifier(issuer.options()).verifyRequest({ method: 'GET', url: URL_, headers: { authorization: `Bearer ${token}` } }));
    expect(error.code).toBe('invalid_token');
    expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });

  it('a malformed cnf.jkt', async () => {
    const bad = await issuer.mint({ cnf: { jkt: 'short' } });
    await expectDpopRefusal(call(verifierWith(), { token: bad, proof: await proof(key, { url: URL_, token: bad }) }), 'invalid_token', /cnf.jkt is not/);
  });

  it('the DPoP scheme given to verify() when dpop is not configured', async () => {
    const error = await refusal(createVerifier(issuer.options()).verify(token, { scheme: 'DPoP', method: 'GET', url: URL_, dpopProof: await proof(key, { url: URL_, token }) }));
    expect(error.code).toBe('invalid_token');
    expect(error.reason).toMatch(/no dpop option/);
  });

  it('a token bound to a certificate and a key needs both', async () => {
    const { makeCertificate } = await import('../helpers/certificates.js');
    const certificate = makeCertificate('both-bound');
    const both = await issuer.mint({ cnf: { jkt: key.jkt, 'x5t#S256': certificate.thumbprint } });
    const verifier = verifierWith({}, { mtls: {} });
    const dpopProof = () => proof(key, { url: URL_, token: both });
    expect((await verifier.verify(both, { scheme: 'DPoP', method: 'GET', url: URL_, dpopProof: await dpopProof(), clientCertificate: certificate.der })).binding).toBe('dpop');
    const error = await refusal(verifier.verify(both, { scheme: 'DPoP', method: 'GET', url: URL_, dpopProof: await dpopProof() }));
    expect(error.code).toBe('invalid_token');
    expect(error.headers['WWW-Authenticate']).toMatch(/DPoP algs="[^"]+", error="invalid_token"/);
  });
});

describe('dpop.required', () => {
  it('offers only the DPoP scheme and refuses bearer tokens', async () => {
    const verifier = verifierWith({ required: true });
    const unbound = await issuer.mint();
    // A Bearer Authorization header is not a credential this API accepts: no token at all.
    const missing = await refusal(verifier.verifyRequest({ method: 'GET', url: URL_, headers: { authorization: `Bearer ${unbound}` } }));
    expect({ code: missing.code, status: missing.status }).toEqual({ code: 'missing_credentials', status: 401 });
    expect(missing.headers['WWW-Authenticate']).toBe(`DPoP ${ALGS}`);
    const direct = await refusal(verifier.verify(unbound));
    expect(direct.code).toBe('invalid_token');
    expect(direct.headers['WWW-Authenticate']).toMatch(new RegExp(`^DPoP ${ALGS}, error="invalid_token"`));
    expect((await call(verifier, { proof: await proof(key, { url: URL_, token }) })).binding).toBe('dpop');
  });

  it('puts proof errors in the only challenge', async () => {
    const error = await refusal(call(verifierWith({ required: true })));
    expect(error.headers['WWW-Authenticate']).toBe(`DPoP ${ALGS}, error="invalid_dpop_proof", error_description="The DPoP proof is invalid."`);
  });
});

describe('server nonces', () => {
  const secret = 'a-dpop-nonce-secret-of-at-least-32-bytes!';

  it('answers use_dpop_nonce with a DPoP-Nonce header, then accepts the proof that carries it', async () => {
    const verifier = verifierWith({ nonce: { secret } });
    const error = await refusal(call(verifier, { proof: await proof(key, { url: URL_, token }) }));
    expect({ code: error.code, status: error.status }).toEqual({ code: 'use_dpop_nonce', status: 401 });
    expect(error.headers['WWW-Authenticate']).toMatch(new RegExp(`^Bearer, DPoP ${ALGS}, error="use_dpop_nonce", error_description="[^"]+"$`));
    const nonce = error.headers['DPoP-Nonce'] as string;
    expect(nonce).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/);
    expect((await call(verifier, { proof: await proof(key, { url: URL_, token, claims: { nonce } }) })).binding).toBe('dpop');
  });

  it('shares nonces between instances with the same secret', async () => {
    const first = await refusal(call(verifierWith({ nonce: { secret } }), { proof: await proof(key, { url: URL_, token }) }));
    const nonce = first.headers['DPoP-Nonce'] as string;
    expect((await call(verifierWith({ nonce: { secret } }), { proof: await proof(key, { url: URL_, token, claims: { nonce } }) })).binding).toBe('dpop');
    const otherSecret = await refusal(call(verifierWith({ nonce: { secret: `${secret}-other` } }), { proof: await proof(key, { url: URL_, token, claims: { nonce } }) }));
    expect(otherSecret.code).toBe('use_dpop_nonce');
  });

  it('refuses a stale nonce with a fresh one, and a forged one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const verifier = verifierWith({ nonce: { secret, lifetime: 60 } });
      const nonce = (await refusal(call(verifier, { proof: await proof(key, { url: URL_, token }) }))).headers['DPoP-Nonce'] as string;
      vi.setSystemTime(Date.now() + 130_000);
      const stale = await refusal(call(verifier, { proof: await proof(key, { url: URL_, token, claims: { nonce } }) }));
      expect(stale.code).toBe('use_dpop_nonce');
      expect(stale.reason).toMatch(/not \(or no longer\) valid/);
      expect(stale.headers['DPoP-Nonce']).toMatch(/\S/);
      expect(stale.headers['DPoP-Nonce']).not.toBe(nonce);
      const forged = await refusal(call(verifier, { proof: await proof(key, { url: URL_, token, claims: { nonce: `${nonce.split('.')[0]}.AAAA` } }) }));
      expect(forged.code).toBe('use_dpop_nonce');
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a nonce that is not a string as a bad proof', async () => {
    await badProof(call(verifierWith({ nonce: { secret } }), { proof: await proof(key, { url: URL_, token, claims: { nonce: 42 } }) }), /nonce is not a nonce string/);
  });

  it('asks a custom nonce source', async () => {
    const issued = new Set(['n-1']);
    const source = { current: () => 'n-2', isValid: async (nonce: string) => issued.has(nonce) };
    const verifier = verifierWith({ nonce: source });
    const error = await refusal(call(verifier, { proof: await proof(key, { url: URL_, token, claims: { nonce: 'n-9' } }) }));
    expect(error.headers['DPoP-Nonce']).toBe('n-2');
    expect((await call(verifier, { proof: await proof(key, { url: URL_, token, claims: { nonce: 'n-1' } }) })).binding).toBe('dpop');
  });
});

describe('options are checked once, at startup', () => {
  it.each([
    ['dpop that is not an object', 'yes'],
    ['a non-boolean required', { required: 1 }],
    ['an empty algorithm list', { algorithms: [] }],
    ['HS256 for proofs', { algorithms: ['HS256'] }],
    ['none for proofs', { algorithms: ['none'] }],
    ['an unknown algorithm', { algorithms: ['ES999'] }],
    ['a zero iat window', { iatWindow: 0 }],
    ['a replay store without markUsed', { replayStore: {} }],
    ['a short nonce secret', { nonce: { secret: 'short' } }],
    ['a nonce source without isValid', { nonce: { current: () => 'x' } }],
    ['a zero nonce lifetime', { nonce: { secret: 'x'.repeat(32), lifetime: 0 } }],
  ])('refuses %s with a TypeError', (_name, dpop) => {
    expect(() => createVerifier(issuer.options({ dpop } as never))).toThrow(TypeError);
  });
});
