/**
 * The signature step (RFC 7515, RFC 7518, RFC 8725): the allow-list decides the algorithm, the
 * configuration decides the key, and nothing in the token describes one (`jku`, `x5u`, `jwk`,
 * `x5c` play no part). Every failure is a 401 `invalid_token`, never a crash.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createVerifier as createWebVerifier } from '../adapters/web.js';
import { createVerifier } from '../src/index.js';
import type { JWK } from '../src/types.js';
import { LocalIssuer } from '../src/testing.js';
import { makeCertificate } from './helpers/certificates.js';
import { countingJsonServer } from './helpers/http.js';
import {
  ASYMMETRIC_ALGORITHMS,
  HMAC_ALGORITHMS,
  b64url,
  encodeJson,
  hmacSecret,
  keyFor,
  signJws,
  type TestKey,
} from './helpers/keys.js';
import { expectRefused } from './helpers/refusal.js';
import { AUDIENCE, ISSUER, auth0Claims, mint, verifierFor } from './helpers/tokens.js';

const rs256 = keyFor('RS256');
const attacker = keyFor('RS256', 'attacker-key');

/** A verifier that trusts exactly these public keys and allows exactly these algorithms. */
function trusting(keys: JWK[], algorithms: string[]) {
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys }, algorithms });
}

describe('the algorithm allow-list', () => {
  it.each(ASYMMETRIC_ALGORITHMS)('accepts an %s token when the algorithm is allow-listed', async (alg) => {
    const key = keyFor(alg);
    const result = await verifierFor({}, key).verify(mint({}, { key }));
    expect(result.header.alg).toBe(alg);
  });

  it.each(ASYMMETRIC_ALGORITHMS)('refuses an %s token, signed by a trusted key, when the algorithm is not allow-listed', async (alg) => {
    const key = keyFor(alg);
    const others = ASYMMETRIC_ALGORITHMS.filter((candidate) => candidate !== alg);
    await expectRefused(trusting([key.jwk], others).verify(mint({}, { key })), /not in the allow-list/);
  });

  it.each(HMAC_ALGORITHMS)('accepts an %s token signed with the configured secret', async (alg) => {
    const secret = hmacSecret();
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], secret });
    const result = await verifier.verify(signJws({ alg, typ: 'JWT' }, auth0Claims(), secret));
    expect(result.header.alg).toBe(alg);
  });

  it.each(HMAC_ALGORITHMS)('refuses an %s token when only another HS algorithm is allow-listed', async (alg) => {
    const secret = hmacSecret();
    const other = alg === 'HS256' ? 'HS512' : 'HS256';
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: [other], secret });
    await expectRefused(verifier.verify(signJws({ alg, typ: 'JWT' }, auth0Claims(), secret)), /not in the allow-list/);
  });

  it('refuses an HS256 token signed with another secret', async () => {
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], secret: hmacSecret() });
    await expectRefused(verifier.verify(signJws({ alg: 'HS256' }, auth0Claims(), hmacSecret())), /signature does not verify/);
  });

  it('allows only RS256 by default', async () => {
    const es256 = keyFor('ES256');
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [rs256.jwk, es256.jwk] } });
    await expect(verifier.verify(mint({}, { key: rs256 }))).resolves.toMatchObject({ header: { alg: 'RS256' } });
    await expectRefused(verifier.verify(mint({}, { key: es256 })), /"ES256" is not in the allow-list \[RS256\]/);
  });

  it('accepts the fully specified Ed25519 algorithm when allow-listed', async () => {
    const ed = keyFor('EdDSA', 'ed25519-fully-specified');
    const verifier = trusting([{ ...ed.jwk, alg: 'Ed25519' }], ['Ed25519']);
    const token = signJws({ alg: 'Ed25519', kid: ed.kid }, auth0Claims(), ed.privateKey);
    await expect(verifier.verify(token)).resolves.toMatchObject({ header: { alg: 'Ed25519' } });
  });
});

describe('the "none" algorithm', () => {
  const unsecured = (alg: string, signature = '') => `${encodeJson({ alg, typ: 'JWT' })}.${encodeJson(auth0Claims())}.${signature}`;

  it('refuses an unsecured token (alg none, empty signature)', async () => {
    await expectRefused(verifierFor().verify(unsecured('none')));
  });

  it.each(['none', 'None', 'NONE'])('refuses alg "%s" carrying a signature', async (alg) => {
    await expectRefused(verifierFor().verify(unsecured(alg, b64url('not-a-signature'))), /not in the allow-list/);
  });

  it.each(['none', 'NONE'])('is a TypeError at setup when configured as %s', (alg) => {
    expect(() => verifierFor({ algorithms: [alg] })).toThrow(TypeError);
    expect(() => verifierFor({ algorithms: ['RS256', alg] })).toThrow(/never an acceptable algorithm/);
  });
});

describe('algorithm confusion', () => {
  const publicPem = rs256.publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const confused = signJws({ alg: 'HS256', kid: rs256.kid, typ: 'JWT' }, auth0Claims(), publicPem);

  it('refuses an HS256 token MACed with the RSA public key when only RS256 is allowed', async () => {
    await expectRefused(verifierFor().verify(confused), /"HS256" is not in the allow-list/);
  });

  it('refuses it when HS256 is allowed too: HS tokens verify with the secret only, never a public key', async () => {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { keys: [rs256.jwk] },
      algorithms: ['RS256', 'HS256'],
      secret: hmacSecret(),
    });
    await expectRefused(verifier.verify(confused), /signature does not verify/);
  });

  it('refuses a token whose alg names another algorithm than the key is published for', async () => {
    const verifier = trusting([rs256.jwk], ['RS256', 'PS256']);
    const token = signJws({ alg: 'PS256', kid: rs256.kid }, auth0Claims(), rs256.privateKey);
    await expectRefused(verifier.verify(token), /the key is for RS256, the token says PS256/);
  });
});

describe('choosing the key', () => {
  const first = keyFor('RS256', 'first');
  const second = keyFor('RS256', 'second');

  it('uses the key the kid names, among several', async () => {
    const verifier = trusting([first.jwk, second.jwk], ['RS256']);
    await expect(verifier.verify(mint({}, { key: second }))).resolves.toMatchObject({ header: { kid: 'second' } });
    await expect(verifier.verify(mint({}, { key: first }))).resolves.toMatchObject({ header: { kid: 'first' } });
  });

  it('refuses a token whose kid names another trusted key than the one that signed it', async () => {
    const verifier = trusting([first.jwk, second.jwk], ['RS256']);
    await expectRefused(verifier.verify(mint({}, { key: second, header: { kid: 'first' } })), /signature does not verify/);
  });

  it('refuses a kid that names no trusted key', async () => {
    await expectRefused(trusting([first.jwk], ['RS256']).verify(mint({}, { key: attacker })), /kid "attacker-key"/);
  });

  it('uses the one fitting key of a set when the token has no kid', async () => {
    const verifier = trusting([first.jwk, keyFor('ES256').jwk], ['RS256', 'ES256']);
    await expect(verifier.verify(mint({}, { key: first, header: { kid: undefined } }))).resolves.toBeDefined();
  });

  it('refuses a token without kid when several keys could verify it', async () => {
    const verifier = trusting([first.jwk, second.jwk], ['RS256']);
    await expectRefused(verifier.verify(mint({}, { key: first, header: { kid: undefined } })), /refusing to guess/);
  });

  it('refuses a kid shared by two keys that could both verify the token, rather than guess', async () => {
    const twin = { ...second.jwk, kid: 'first' };
    await expectRefused(trusting([first.jwk, twin], ['RS256']).verify(mint({}, { key: first })), /2 keys with kid "first".*refusing to guess/);
  });

  it('narrows a kid shared by keys of different types by the token\'s algorithm', async () => {
    const ec = keyFor('ES256', 'shared');
    const rsa = keyFor('RS256', 'shared');
    const verifier = trusting([rsa.jwk, ec.jwk], ['RS256', 'ES256']);
    await expect(verifier.verify(mint({}, { key: ec }))).resolves.toMatchObject({ header: { alg: 'ES256' } });
    await expect(verifier.verify(mint({}, { key: rsa }))).resolves.toMatchObject({ header: { alg: 'RS256' } });
  });

  it('refuses a kid that names a key of another type than the algorithm needs', async () => {
    const ec = keyFor('ES256', 'ec-key');
    const token = signJws({ alg: 'RS256', kid: 'ec-key' }, auth0Claims(), rs256.privateKey);
    await expectRefused(trusting([ec.jwk], ['RS256', 'ES256']).verify(token), /key type EC cannot verify RS256/);
  });

  it('refuses a kid that names an EC key on another curve than the algorithm needs', async () => {
    const p384 = keyFor('ES384', 'p384-key');
    const { alg: _alg, ...withoutAlg } = p384.jwk;
    const token = signJws({ alg: 'ES256', kid: 'p384-key' }, auth0Claims(), p384.privateKey);
    await expectRefused(trusting([withoutAlg], ['ES256', 'ES384']).verify(token), /curve P-384 cannot verify ES256/);
  });

  it('never verifies with a key whose use is "enc"', async () => {
    const encryptionKey: JWK = { ...rs256.jwk, use: 'enc' };
    await expectRefused(trusting([encryptionKey], ['RS256']).verify(mint({}, { key: rs256 })), /use is "enc"/);
  });

  it('never verifies with a key whose key_ops exclude "verify"', async () => {
    const { use: _use, ...noUse } = rs256.jwk;
    const wrapOnly: JWK = { ...noUse, key_ops: ['wrapKey'] };
    await expectRefused(trusting([wrapOnly], ['RS256']).verify(mint({}, { key: rs256 })), /key_ops/);
  });

  it('refuses RSA keys under 2048 bits', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weak: TestKey = { alg: 'RS256', kid: 'weak', privateKey, publicKey, jwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'weak' } };
    await expectRefused(trusting([weak.jwk], ['RS256']).verify(mint({}, { key: weak })), /under 2048 bits/);
  });
});

describe('headers that describe a key play no part', () => {
  const server = countingJsonServer({ keys: [attacker.jwk] });
  afterAll(async () => (await server).close());

  it('ignores an embedded jwk naming the attacker\'s key', async () => {
    const token = mint({}, { key: attacker, header: { jwk: attacker.jwk } });
    await expectRefused(verifierFor().verify(token), /kid "attacker-key"/);
  });

  it('ignores an embedded jwk under the kid of a trusted key', async () => {
    const token = mint({}, { key: attacker, header: { kid: rs256.kid, jwk: attacker.jwk } });
    await expectRefused(verifierFor().verify(token), /signature does not verify/);
  });

  it('ignores an embedded jwk when the token has no kid', async () => {
    const token = mint({}, { key: attacker, header: { kid: undefined, jwk: attacker.jwk } });
    await expectRefused(verifierFor().verify(token), /signature does not verify/);
  });

  it.each(['jku', 'x5u'])('never fetches the %s URL of the token', async (member) => {
    const attackerServer = await server;
    const byKid = mint({}, { key: attacker, header: { [member]: `${attackerServer.origin}/jwks.json` } });
    const underTrustedKid = mint({}, { key: attacker, header: { kid: rs256.kid, [member]: `${attackerServer.origin}/jwks.json` } });
    await expectRefused(verifierFor().verify(byKid));
    await expectRefused(verifierFor().verify(underTrustedKid), /signature does not verify/);
    expect(attackerServer.hits).toBe(0);
  });

  it('never fetches jku even when the verifier itself fetches keys from a JWKS URL', async () => {
    const attackerServer = await server;
    const issuer = await LocalIssuer.start();
    try {
      const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri });
      await expect(verifier.verify(await issuer.mint(AUDIENCE))).resolves.toBeDefined();
      const forged = signJws(
        { alg: 'RS256', kid: attacker.kid, jku: `${attackerServer.origin}/jwks.json` },
        auth0Claims({ iss: issuer.issuer }),
        attacker.privateKey,
      );
      await expectRefused(verifier.verify(forged));
      expect(attackerServer.hits).toBe(0);
    } finally {
      await issuer.close();
    }
  });

  it('ignores an x5c chain of the attacker\'s certificate', async () => {
    const certificate = makeCertificate('attacker.test', { key: 'rsa' });
    const header = { alg: 'RS256', kid: rs256.kid, x5c: [certificate.base64Der] };
    await expectRefused(verifierFor().verify(signJws(header, auth0Claims(), certificate.privateKey)), /signature does not verify/);
    const headerWithoutKid = { alg: 'RS256', x5c: [certificate.base64Der] };
    await expectRefused(verifierFor().verify(signJws(headerWithoutKid, auth0Claims(), certificate.privateKey)), /signature does not verify/);
  });
});

describe('critical header parameters', () => {
  it('refuses a token that marks an unknown extension critical', async () => {
    const token = mint({}, { header: { crit: ['urn:example:policy'], 'urn:example:policy': 'strict' } });
    await expectRefused(verifierFor().verify(token), /critical/);
  });

  it('refuses crit naming b64, which this library does not implement', async () => {
    await expectRefused(verifierFor().verify(mint({}, { header: { crit: ['b64'], b64: true } })), /critical/);
  });
});

describe('integrity', () => {
  const token = mint();
  const [header, payload, signature] = token.split('.') as [string, string, string];

  it('refuses a token whose payload was changed after signing', async () => {
    const elevated = encodeJson(auth0Claims({ scope: 'admin' }));
    await expectRefused(verifierFor().verify(`${header}.${elevated}.${signature}`), /signature does not verify/);
  });

  it('refuses a token whose header was changed after signing', async () => {
    const retyped = encodeJson({ alg: 'RS256', kid: rs256.kid, typ: 'at+jwt' });
    await expectRefused(verifierFor().verify(`${retyped}.${payload}.${signature}`), /signature does not verify/);
  });

  it('refuses a signature with one bit flipped', async () => {
    const bytes = Buffer.from(signature, 'base64url');
    bytes[10] = (bytes[10] as number) ^ 0x01;
    await expectRefused(verifierFor().verify(`${header}.${payload}.${b64url(bytes)}`), /signature does not verify/);
  });

  it('refuses the signature of another token', async () => {
    const other = mint({ sub: 'someone-else' }).split('.')[2];
    await expectRefused(verifierFor().verify(`${header}.${payload}.${other}`), /signature does not verify/);
  });

  const everyKind = [
    ...ASYMMETRIC_ALGORITHMS.map((alg) => ({ alg, verifier: () => verifierFor({}, keyFor(alg)), sign: () => mint({}, { key: keyFor(alg) }) })),
    ...HMAC_ALGORITHMS.map((alg) => {
      const secret = `${alg}-secret-`.padEnd(64, 'x');
      return {
        alg,
        verifier: () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], secret }),
        sign: () => signJws({ alg }, auth0Claims(), secret),
      };
    }),
  ];

  it.each([
    ['RS256', 'node', createVerifier],
    ['PS256', 'node', createVerifier],
    ['RS256', 'WebCrypto', createWebVerifier],
    ['PS256', 'WebCrypto', createWebVerifier],
  ] as const)('refuses an %s signature whose leading zero octet was dropped (%s): one signature, one spelling', async (alg, _, create) => {
    const key = keyFor(alg);
    const verifier = create({ issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], keys: { keys: [key.jwk] } });
    // About one signature in 256 starts with a zero octet; the crypto library reads one without
    // it as the same number, so only the length check refuses it.
    let token = mint({}, { key });
    for (let tries = 0; Buffer.from(token.split('.')[2]!, 'base64url')[0] !== 0 && tries < 4096; tries++) token = mint({ jti: String(tries) }, { key });
    const [h, p, sig] = token.split('.') as [string, string, string];
    const bytes = Buffer.from(sig, 'base64url');
    expect(bytes[0]).toBe(0);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await expectRefused(verifier.verify(`${h}.${p}.${b64url(bytes.subarray(1))}`), /signature does not verify/);
  });

  it.each(everyKind)('refuses an $alg signature one byte short or one byte long', async ({ verifier, sign }) => {
    const [h, p, s] = sign().split('.') as [string, string, string];
    const bytes = Buffer.from(s, 'base64url');
    await expectRefused(verifier().verify(`${h}.${p}.${b64url(bytes.subarray(1))}`), /signature does not verify/);
    await expectRefused(verifier().verify(`${h}.${p}.${b64url(Buffer.concat([bytes, Buffer.from([0])]))}`), /signature does not verify/);
  });
});

describe('malformed tokens', () => {
  const valid = mint();
  const [header, payload, signature] = valid.split('.') as [string, string, string];
  const signedPayload = (text: string) => signJws({ alg: 'RS256', kid: rs256.kid }, text, rs256.privateKey);

  it.each([
    ['one part', header],
    ['two parts', `${header}.${payload}`],
    ['four parts', `${valid}.${signature}`],
    ['an empty header', `.${payload}.${signature}`],
    ['an empty payload', `${header}..${signature}`],
    ['an empty signature', `${header}.${payload}.`],
    ['a header outside base64url', `${header}+.${payload}.${signature}`],
    ['a signature outside base64url', `${header}.${payload}.${signature}/`],
    ['a padded segment', `${header}=.${payload}.${signature}`],
    ['a header that is not JSON', `${b64url('{alg:RS256}')}.${payload}.${signature}`],
    ['a header that is a JSON array', `${encodeJson(['RS256'])}.${payload}.${signature}`],
    ['a header that is JSON null', `${encodeJson(null)}.${payload}.${signature}`],
    ['a header without alg', `${encodeJson({ kid: rs256.kid })}.${payload}.${signature}`],
    ['a numeric alg', `${encodeJson({ alg: 256, kid: rs256.kid })}.${payload}.${signature}`],
    ['a numeric kid', `${encodeJson({ alg: 'RS256', kid: 7 })}.${payload}.${signature}`],
    ['a signed payload that is not JSON', signedPayload('not json')],
    ['a signed payload that is a JSON array', signedPayload('["sub"]')],
    ['a signed payload that is a JSON string', signedPayload('"sub"')],
    ['a signed payload that is JSON null', signedPayload('null')],
    ['nothing at all', ''],
  ])('refuses %s with 401 invalid_token', async (_, token) => {
    const error = await expectRefused(verifierFor().verify(token));
    expect(error.status).toBe(401);
  });
});
