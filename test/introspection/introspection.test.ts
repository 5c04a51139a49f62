/**
 * The introspection step against a real HTTP endpoint on 127.0.0.1 that answers what each test
 * sets: the faults a real authorization server is hard to make produce (down, slow, 5xx,
 * oversized, malformed, clock-skewed answers), the cache and its bounds, `mode: 'all'` for JWTs,
 * `failOpen`, and the `isRevoked` hook. oidc-provider itself is in test/interop.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVerifier, type VerifierOptions } from '../../src/index.js';
import type { AccessTokenError, GuardError } from '../../src/errors.js';
import type { IntrospectionEvent, IntrospectionOptions } from '../../src/options.js';
import { TokenStatusUnavailableError } from '../../src/introspection/errors.js';
import { looksLikeJwt } from '../../src/token-status.js';
import { webCrypto } from '../../src/crypto/web.js';
import { createVerifierWith } from '../../src/verifier.js';
import { introspectedTokens } from '../../src/features.js';
import { closedPort } from '../helpers/http.js';
import { errorOf, sleep, startJwksServer, type JwksServer, type Reply } from '../helpers/jwks-server.js';
import { keyFor } from '../helpers/keys.js';
import { AUDIENCE, ISSUER, mint, nowSeconds } from '../helpers/tokens.js';

const PATH = '/introspect';
const OPAQUE = 'opaque-token-4f9c2b7e1d';

let endpoint: JwksServer;
beforeEach(async () => {
  endpoint = await startJwksServer();
});
afterEach(async () => {
  await endpoint.close();
});

/** An active answer for `AUDIENCE` from `ISSUER`, with `overrides` (undefined removes a member). */
function active(overrides: Record<string, unknown> = {}): Reply {
  const answer: Record<string, unknown> = { active: true, iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() + 600, iat: nowSeconds(), client_id: 'client-1', sub: 'user-1', scope: 'read:messages', token_type: 'Bearer', ...overrides };
  return { json: Object.fromEntries(Object.entries(answer).filter(([, value]) => value !== undefined)) };
}

function verifier(introspection: Partial<IntrospectionOptions> = {}, extra: Partial<VerifierOptions> = {}) {
  const key = keyFor('RS256');
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { keys: [key.jwk] },
    introspection: { endpoint: endpoint.url(PATH), clientId: 'api', clientSecret: 'api-secret', ...introspection },
    ...extra,
  });
}

const failure = (promise: Promise<unknown>) => errorOf(() => promise) as Promise<GuardError>;

describe('an active answer', () => {
  it('becomes the AuthResult: claims are the answer, header an empty object, scopes from scope', async () => {
    endpoint.route(PATH, active({ scope: 'read:messages write:messages' }));
    const auth = await verifier().verify(OPAQUE);
    expect(auth).toMatchObject({ token: OPAQUE, header: {}, subject: 'user-1', clientId: 'client-1', scopes: ['read:messages', 'write:messages'], dialect: 'generic', binding: 'bearer', encrypted: false });
    expect(auth.claims).toMatchObject({ active: true, iss: ISSUER, aud: AUDIENCE });
  });

  it('is asked for with the token and our client_secret_basic credentials, as a form POST', async () => {
    let seen: { method?: string; authorization?: string; contentType?: string } = {};
    const server = await import('node:http').then(({ createServer }) =>
      createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk));
        request.on('end', () => {
          seen = { method: request.method, authorization: request.headers.authorization, contentType: request.headers['content-type'] };
          expect(new URLSearchParams(body).get('token')).toBe(OPAQUE);
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(active().json));
        });
      }),
    );
    const { listen } = await import('../helpers/http.js');
    const running = await listen(server);
    try {
      await createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [keyFor('RS256').jwk] }, introspection: { endpoint: `${running.origin}/i`, clientId: 'api client', clientSecret: 'p@ss:word' } }).verify(OPAQUE);
    } finally {
      await running.close();
    }
    expect(seen).toEqual({ method: 'POST', authorization: `Basic ${btoa('api+client:p%40ss%3Aword')}`, contentType: 'application/x-www-form-urlencoded' });
  });

  for (const [what, overrides, reason] of [
    ['another audience', { aud: 'https://other.example.com' }, /aud is "https:\/\/other.example.com", expected/],
    ['another issuer', { iss: 'https://evil.example.com/' }, /iss is "https:\/\/evil.example.com\/", expected/],
    ['an exp in the past (a skewed clock)', { exp: nowSeconds() - 30 }, /exp \d+ is \d+ s in the past/],
    ['no exp', { exp: undefined }, /the token has no exp/],
    ['an nbf in the future', { nbf: nowSeconds() + 300 }, /nbf \d+ is \d+ s in the future/],
    ['a refresh token type', { token_type: 'refresh_token' }, /token_type is "refresh_token", not an access token type/],
    ['a DPoP type without cnf.jkt', { token_type: 'DPoP' }, /token_type is "DPoP" but gives no cnf.jkt/],
    ['a scope that is not a string', { scope: ['read:messages'] }, /scope must be a string/],
    ['a confirmation method we cannot check', { cnf: { jwk: {} } }, /cnf has confirmation methods this verifier cannot check: "jwk"/],
  ] as const) {
    it(`is refused with ${what}: 401 invalid_token, reason precise`, async () => {
      endpoint.route(PATH, active(overrides));
      const error = (await failure(verifier().verify(OPAQUE))) as AccessTokenError;
      expect(error).toMatchObject({ status: 401, code: 'invalid_token' });
      expect(error.reason).toMatch(reason);
    });
  }

  it('is held to the dialect: rfc9068 requires jti', async () => {
    endpoint.route(PATH, active());
    const error = (await failure(verifier({}, { dialect: 'rfc9068' }).verify(OPAQUE))) as AccessTokenError;
    expect(error.reason).toBe('RFC 9068 requires jti, which the token lacks');
  });

  it('of a certificate-bound token needs the certificate', async () => {
    endpoint.route(PATH, active({ cnf: { 'x5t#S256': 'A'.repeat(43) } }));
    const error = (await failure(verifier({}, { mtls: {} }).verify(OPAQUE))) as AccessTokenError;
    expect(error).toMatchObject({ status: 401, code: 'invalid_token' });
    expect(error.reason).toMatch(/certificate/);
  });
});

describe('an inactive answer', () => {
  it('is 401 invalid_token "not active"', async () => {
    endpoint.route(PATH, { json: { active: false } });
    const error = (await failure(verifier().verify(OPAQUE))) as AccessTokenError;
    expect(error).toMatchObject({ status: 401, code: 'invalid_token', description: 'The access token is not active.' });
    expect(error.response.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token is not active."');
  });

  it('is remembered for negativeMaxAge, then asked again', async () => {
    endpoint.route(PATH, { json: { active: false } });
    const guard = verifier({ cache: { negativeMaxAge: 0.3 } });
    await failure(guard.verify(OPAQUE));
    await failure(guard.verify(OPAQUE));
    expect(endpoint.hits(PATH)).toBe(1);
    await sleep(350);
    await failure(guard.verify(OPAQUE));
    expect(endpoint.hits(PATH)).toBe(2);
  });

  it('floods do not evict active answers: refusals are bounded apart', async () => {
    const guard = verifier({ cache: { maxEntries: 5 } });
    endpoint.route(PATH, active());
    await guard.verify('the-good-token');
    endpoint.route(PATH, { json: { active: false } });
    for (let n = 0; n < 50; n++) await failure(guard.verify(`garbage-${n}`));
    const hits = endpoint.hits(PATH);
    await guard.verify('the-good-token');
    expect(endpoint.hits(PATH)).toBe(hits);
  });
});

describe('the cache of active answers', () => {
  it('answers a repeated token without asking again, and reports hits and misses', async () => {
    endpoint.route(PATH, active());
    const events: IntrospectionEvent[] = [];
    const guard = verifier({ onEvent: (event) => events.push(event) });
    await guard.verify(OPAQUE);
    await guard.verify(OPAQUE);
    expect(endpoint.hits(PATH)).toBe(1);
    expect(events).toEqual([{ kind: 'miss', active: true, durationMs: expect.any(Number) }, { kind: 'hit', active: true }]);
  });

  it('keeps an answer at most maxAge', async () => {
    endpoint.route(PATH, active());
    const guard = verifier({ cache: { maxAge: 0.3 } });
    await guard.verify(OPAQUE);
    await sleep(350);
    await guard.verify(OPAQUE);
    expect(endpoint.hits(PATH)).toBe(2);
  });

  it('never keeps an answer past the token\'s exp', async () => {
    endpoint.route(PATH, active({ exp: nowSeconds() + 1 }));
    const guard = verifier({ cache: { maxAge: 600 } });
    await guard.verify(OPAQUE);
    await sleep(1100);
    endpoint.route(PATH, { json: { active: false } });
    await failure(guard.verify(OPAQUE));
    expect(endpoint.hits(PATH)).toBe(2);
  });

  it('shares one request among concurrent callers of a new token', async () => {
    endpoint.route(PATH, { ...active(), delayMs: 100 });
    const guard = verifier();
    const results = await Promise.all(Array.from({ length: 50 }, () => guard.verify(OPAQUE)));
    expect(results.every((auth) => auth.clientId === 'client-1')).toBe(true);
    expect(endpoint.hits(PATH)).toBe(1);
  });

  it('shares one request on the WebCrypto backend too, whose hash is asynchronous', async () => {
    endpoint.route(PATH, { ...active(), delayMs: 50 });
    const guard = createVerifierWith(webCrypto, { issuer: ISSUER, audience: AUDIENCE, keys: { keys: [keyFor('RS256').jwk] }, introspection: { endpoint: endpoint.url(PATH), clientId: 'api', clientSecret: 'api-secret' } }, introspectedTokens);
    await Promise.all(Array.from({ length: 20 }, () => guard.verify(OPAQUE)));
    await guard.verify(OPAQUE);
    expect(endpoint.hits(PATH)).toBe(1);
  });

  it('is synchronous on a hit (Node): a cached opaque token is decided in the same tick', async () => {
    endpoint.route(PATH, active());
    const guard = verifier();
    const request = { method: 'GET', url: 'https://api.example.com/', headers: { authorization: `Bearer ${OPAQUE}` } };
    await guard.authenticate(request);
    expect(guard.authenticate(request)).toMatchObject({ kind: 'accepted' });
  });
});

describe('an endpoint that cannot answer is our 503 with Retry-After, never a 401 and never an acceptance', () => {
  const cases: Array<[string, () => Promise<Partial<IntrospectionOptions>>, RegExp]> = [
    ['down', async () => ({ endpoint: `http://127.0.0.1:${await closedPort()}/introspect` }), /introspection failed: .*ECONNREFUSED/],
    ['slow', async () => (endpoint.route(PATH, { ...active(), delayMs: 500 }), { timeout: 100 }), /timed out/],
    ['answering 500', async () => (endpoint.route(PATH, { status: 500, json: { error: 'oops' } }), {}), /HTTP 500/],
    ['answering too much', async () => (endpoint.route(PATH, { json: { ...(active().json as object), padding: 'x'.repeat(70_000) } }), {}), /too large/],
    ['answering too much, length undeclared', async () => (endpoint.route(PATH, { json: { ...(active().json as object), padding: 'x'.repeat(70_000) }, contentLength: false }), {}), /too large \(over 65536 bytes\)/],
    ['answering something other than JSON', async () => (endpoint.route(PATH, { body: '<html>hello</html>' }), {}), /bad JSON/],
    ['answering without a boolean active', async () => (endpoint.route(PATH, { json: { active: 'yes' } }), {}), /no boolean "active"/],
    ['refusing our credentials (invalid_client)', async () => (endpoint.route(PATH, { status: 401, json: { error: 'invalid_client' } }), {}), /refused our request .*check introspection.clientId/],
    ['answering unsigned when signed answers are required', async () => (endpoint.route(PATH, active()), { signedResponses: true }), /a signed answer was asked for/],
  ];
  for (const [what, setUp, reason] of cases) {
    it(what, async () => {
      const error = await failure(verifier(await setUp()).verify(OPAQUE));
      expect(error).toBeInstanceOf(TokenStatusUnavailableError);
      expect(error.response).toEqual({
        status: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '5' },
        body: JSON.stringify({ error: 'temporarily_unavailable', error_description: 'The service cannot verify access tokens right now; try again later.' }),
      });
      expect(error.reason).toMatch(reason);
    });
  }

  it('is not remembered: the next request asks again, and succeeds once the endpoint is back', async () => {
    endpoint.route(PATH, { status: 502 });
    const guard = verifier();
    await failure(guard.verify(OPAQUE));
    endpoint.route(PATH, active());
    await expect(guard.verify(OPAQUE)).resolves.toMatchObject({ clientId: 'client-1' });
  });
});

describe('failOpen', () => {
  it('off (the default): an opaque token whose answer went stale is a 503 during an outage', async () => {
    endpoint.route(PATH, active());
    const guard = verifier({ cache: { maxAge: 0.2 } });
    await guard.verify(OPAQUE);
    await sleep(250);
    endpoint.route(PATH, { status: 500 });
    expect(await failure(guard.verify(OPAQUE))).toMatchObject({ status: 503 });
  });

  it('on: the same token is accepted on its last active answer', async () => {
    endpoint.route(PATH, active());
    const guard = verifier({ cache: { maxAge: 0.2 }, failOpen: true });
    await guard.verify(OPAQUE);
    await sleep(250);
    endpoint.route(PATH, { status: 500 });
    await expect(guard.verify(OPAQUE)).resolves.toMatchObject({ clientId: 'client-1' });
    expect(endpoint.hits(PATH)).toBe(2);
  });

  it('on: a token never seen active is still a 503, never accepted unverified', async () => {
    endpoint.route(PATH, { status: 500 });
    expect(await failure(verifier({ failOpen: true }).verify(OPAQUE))).toMatchObject({ status: 503 });
  });
});

describe("mode: 'all' (JWTs introspected too)", () => {
  const jwt = () => mint({ jti: `jwt-${Math.random()}` });

  it('refuses a valid JWT the endpoint says is inactive (revoked)', async () => {
    endpoint.route(PATH, { json: { active: false } });
    const error = (await failure(verifier({ mode: 'all' }).verify(jwt()))) as AccessTokenError;
    expect(error).toMatchObject({ status: 401, description: 'The access token is not active.' });
  });

  it('accepts an active one with the JWT\'s own claims and header', async () => {
    endpoint.route(PATH, { json: { active: true } });
    const auth = await verifier({ mode: 'all' }).verify(jwt());
    expect(auth.header).toMatchObject({ alg: 'RS256' });
    expect(auth.clientId).toBe('client-1');
  });

  it('never sends a forged JWT to the endpoint: local verification comes first', async () => {
    endpoint.route(PATH, { json: { active: true } });
    const forged = `${jwt().slice(0, -4)}AAAA`;
    expect(await failure(verifier({ mode: 'all' }).verify(forged))).toMatchObject({ status: 401 });
    expect(endpoint.hits(PATH)).toBe(0);
  });

  it('does not introspect JWTs in the default mode', async () => {
    endpoint.route(PATH, { json: { active: false } });
    await verifier().verify(jwt());
    expect(endpoint.hits(PATH)).toBe(0);
  });

  it('is a 503 when the endpoint is down, unless failOpen, which accepts on the local verification', async () => {
    endpoint.route(PATH, { status: 503 });
    const token = jwt();
    expect(await failure(verifier({ mode: 'all' }).verify(token))).toMatchObject({ status: 503 });
    await expect(verifier({ mode: 'all', failOpen: true }).verify(token)).resolves.toMatchObject({ clientId: 'client-1' });
  });
});

describe('isRevoked (JWTs)', () => {
  const withHook = (isRevoked: VerifierOptions['isRevoked']) =>
    createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [keyFor('RS256').jwk] }, isRevoked });

  it('refuses a token the hook says is revoked (sync): 401 invalid_token', async () => {
    const error = (await failure(withHook((auth) => auth.claims.jti === 'revoked').verify(mint({ jti: 'revoked' })))) as AccessTokenError;
    expect(error).toMatchObject({ status: 401, code: 'invalid_token', description: 'The access token was revoked.' });
  });

  it('accepts after an async hook resolves false, and sees the verified result', async () => {
    const seen: string[] = [];
    const guard = withHook(async (auth) => (seen.push(auth.subject ?? ''), await sleep(5), false));
    await expect(guard.verify(mint())).resolves.toMatchObject({ subject: 'auth0|user-1' });
    expect(seen).toEqual(['auth0|user-1']);
  });

  it('is asked on every request, cached results included', async () => {
    let calls = 0;
    const guard = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [keyFor('RS256').jwk] }, resultCache: true, isRevoked: () => (calls++, false) });
    const token = mint();
    for (let n = 0; n < 4; n++) await guard.verify(token);
    expect(calls).toBe(4);
  });

  for (const [what, hook] of [
    ['throws', () => { throw new Error('deny-list down'); }],
    ['rejects', () => Promise.reject(new Error('deny-list down'))],
    ['answers something other than a boolean', () => 'no' as unknown as boolean],
  ] as const) {
    it(`fails closed when the hook ${what}: 503, never accepted`, async () => {
      const error = await failure(withHook(hook).verify(mint()));
      expect(error).toBeInstanceOf(TokenStatusUnavailableError);
      expect(error).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
    });
  }

  it('is asked with several issuers too', async () => {
    const guard = createVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [keyFor('RS256').jwk] } }], isRevoked: () => true });
    expect(await failure(guard.verify(mint()))).toMatchObject({ status: 401, description: 'The access token was revoked.' });
  });

  it('answers through authenticate as unavailable, with the response to send', async () => {
    const outcome = await withHook(async () => { throw new Error('deny-list down'); }).authenticate({ method: 'GET', url: 'https://api.example.com/', headers: { authorization: `Bearer ${mint()}` } });
    expect(outcome).toMatchObject({ kind: 'unavailable', response: { status: 503, headers: { 'retry-after': '1' } } });
  });
});

describe('options', () => {
  it('refuse an unknown name, at any depth, with the closest known one', () => {
    expect(() => verifier({ cache: { maxAgee: 1 } as never })).toThrow('unknown option `introspection.cache.maxAgee`; did you mean `introspection.cache.maxAge`?');
    expect(() => verifier({ failopen: true } as never)).toThrow('did you mean `introspection.failOpen`?');
  });

  it('refuse credentials that do not suit the method', () => {
    expect(() => verifier({ clientSecret: undefined })).toThrow('needs `introspection.clientSecret`');
    expect(() => verifier({ authMethod: 'private_key_jwt' })).toThrow('needs `introspection.privateKey`');
    expect(() => verifier({ clientId: '' })).toThrow('`introspection.clientId` must be a non-empty string');
  });

  it('refuse introspection with several issuers: an opaque token names no issuer to pick', () => {
    expect(() =>
      createVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [keyFor('RS256').jwk] } }], introspection: { endpoint: endpoint.url(PATH), clientId: 'api', clientSecret: 's' } }),
    ).toThrow('`introspection` needs the single-issuer form');
  });

  it('hold an answer to the issuer\'s clientId allow-list, as for its JWTs', async () => {
    endpoint.route(PATH, active({ client_id: 'someone-else' }));
    const error = (await failure(verifier({}, { clientId: 'client-1' }).verify(OPAQUE))) as AccessTokenError;
    expect(error).toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('refuse a plain-http endpoint that is not loopback, and a bad mode', () => {
    expect(() => verifier({ endpoint: 'http://as.example.com/introspect' })).toThrow(/not https/);
    expect(() => verifier({ mode: 'some' as never })).toThrow('`introspection.mode` must be "opaque" or "all"');
  });
});

describe('which tokens are opaque', () => {
  it('JWS and JWE shapes with a JSON header are JWTs; everything else is introspected', () => {
    expect(looksLikeJwt(mint())).toBe(true);
    expect(looksLikeJwt('eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d')).toBe(true);
    for (const opaque of ['2YotnFZFEjr1zCsicMWpAA', 'ory_at_abc.def', 'eyJ-but-no-dots', 'a.b.c']) expect(looksLikeJwt(opaque)).toBe(false);
  });
});
