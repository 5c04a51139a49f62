/**
 * Encrypted access tokens (compact nested JWE): options checked at creation, every allowed
 * alg × enc, key forms and rotation, wrong keys and tampering, and every refused form, each
 * asserting the error code and a reason. Tokens are made with jose, the inner JWS signed by a
 * key the verifier is given statically (no network here; test/interop covers a real issuer).
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactEncrypt, SignJWT, base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDecryptStep, isCompactJwe } from '../../src/jwe/decrypt.js';
import { MAX_DECRYPTION_KEYS, prepareDecryptionKeys } from '../../src/jwe/decryption-keys.js';
import { AccessTokenError } from '../../src/errors.js';
import { createVerifier, keyThumbprint, type VerifierOptions } from '../../src/index.js';
import { createVerifier as createWebVerifier, encryptedTokens } from '../../adapters/web.js';
import { respellings, withSegment } from '../helpers/tokens.js';
import { accessTokenRefusal as refusal } from '../helpers/refusal.js';

const ISSUER = 'https://issuer.example.com/';
const API = 'https://api.example.com';
const KEY_MANAGEMENT = ['RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'] as const;
const CONTENT_ENCRYPTION = ['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512'] as const;

interface RsaPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
}

function rsaPair(bits = 2048): RsaPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}

let signingKey: CryptoKey;
let signingJwk: JWK;
let keyA: RsaPair;
let keyB: RsaPair;
let key3072: RsaPair;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  signingJwk = { ...(await exportJWK(pair.publicKey)), kid: 'sig-1', alg: 'RS256', use: 'sig' };
  keyA = rsaPair();
  keyB = rsaPair();
  key3072 = rsaPair(3072);
});

/** An RFC 9068 access token, signed. */
async function signedToken(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: API, sub: 'client-1', client_id: 'client-1', jti: crypto.randomUUID(), iat: now, exp: now + 600, scope: 'read:messages', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'sig-1', typ: 'at+jwt', ...header })
    .sign(signingKey);
}

interface EncryptOptions {
  alg?: string;
  enc?: string;
  /** Protected header members beyond alg/enc; default `{ cty: 'at+jwt' }`. */
  header?: Record<string, unknown>;
}

async function encrypt(plaintext: string | Uint8Array, key: KeyObject | CryptoKey | Uint8Array, options: EncryptOptions = {}): Promise<string> {
  const { alg = 'RSA-OAEP-256', enc = 'A256GCM', header = { cty: 'at+jwt' } } = options;
  const bytes = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext;
  return new CompactEncrypt(bytes).setProtectedHeader({ alg, enc, ...header }).encrypt(key);
}

function verifierWith(options: Partial<VerifierOptions> = {}) {
  return createVerifier({ issuer: ISSUER, audience: API, keys: [signingJwk], decryptionKeys: [keyA.privatePem], ...options });
}

/** Refused with invalid_token, a reason containing `reason`, and a description that says nothing of it. */
async function expectRefused(promise: Promise<unknown>, reason: string | RegExp): Promise<AccessTokenError> {
  const error = await refusal(promise);
  expect(error.code).toBe('invalid_token');
  expect(error.status).toBe(401);
  if (typeof reason === 'string') expect(error.reason).toContain(reason);
  else expect(error.reason).toMatch(reason);
  expect(['The access token is invalid.', 'The access token is malformed.']).toContain(error.description);
  expect(JSON.stringify(error.body)).not.toContain(error.reason);
  return error;
}

/**
 * Refused by the decrypt step itself, synchronously: the step threw before it could start
 * anything asynchronous, so no key was imported and no RSA operation ran.
 */
function expectRefusedBeforeDecryption(token: string, reason: string | RegExp, options: Parameters<typeof createDecryptStep>[0] = { decryptionKeys: [keyA.privatePem] }): AccessTokenError {
  const step = createDecryptStep(options);
  let thrown: unknown;
  try {
    step(token);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'the step should throw synchronously').toBeInstanceOf(AccessTokenError);
  const error = thrown as AccessTokenError;
  expect(error.code).toBe('invalid_token');
  if (typeof reason === 'string') expect(error.reason).toContain(reason);
  else expect(error.reason).toMatch(reason);
  return error;
}

/** A compact JWE with its protected header replaced (the other four parts kept). */
function withHeader(token: string, header: unknown): string {
  const parts = token.split('.');
  parts[0] = base64url.encode(typeof header === 'string' ? header : JSON.stringify(header));
  return parts.join('.');
}

/** Changes one character in the middle of part `index`, keeping its length and alphabet. */
function tamper(token: string, index: number): string {
  const parts = token.split('.');
  const part = parts[index] as string;
  const at = Math.floor(part.length / 2);
  parts[index] = part.slice(0, at) + (part[at] === 'A' ? 'B' : 'A') + part.slice(at + 1);
  return parts.join('.');
}

describe('options are checked when the verifier is created', () => {
  const create = (options: Partial<VerifierOptions>) => () => verifierWith(options);

  it('accepts PKCS#8 and PKCS#1 PEM, KeyObject, private JWK and { kid, key }', () => {
    const pkcs1 = keyA.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
    const jwk = keyB.privateKey.export({ format: 'jwk' }) as JWK;
    expect(create({ decryptionKeys: [keyA.privatePem] })).not.toThrow();
    expect(create({ decryptionKeys: [pkcs1] })).not.toThrow();
    expect(create({ decryptionKeys: [keyA.privateKey] })).not.toThrow();
    expect(create({ decryptionKeys: [{ ...jwk, kid: 'b', use: 'enc', alg: 'RSA-OAEP-256' }] })).not.toThrow();
    expect(create({ decryptionKeys: [{ kid: 'a', key: keyA.privatePem }, { kid: 'b', key: keyB.privateKey }] })).not.toThrow();
  });

  it('accepts a PEM whose newlines arrive as literal \\n (as environment variables carry them)', () => {
    expect(create({ decryptionKeys: [keyA.privatePem.replace(/\n/g, '\\n')] })).not.toThrow();
  });

  it.each([
    ['an empty list', [], 'non-empty array'],
    ['a public PEM', () => [keyA.publicPem], 'a public key was given'],
    ['a PKCS#1 public PEM', () => [keyA.publicKey.export({ format: 'pem', type: 'pkcs1' })], 'a public key was given'],
    ['a public KeyObject', () => [keyA.publicKey], 'a public key was given'],
    ['a public JWK', () => [keyA.publicKey.export({ format: 'jwk' })], 'a public key was given'],
    ['a string that is not PEM', ['not a key'], 'not a PEM block'],
    ['a PEM with bad base64', ['-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----'], 'not valid base64'],
    ['a PEM that is not DER', [`-----BEGIN PRIVATE KEY-----\n${btoa('hello world!')}\n-----END PRIVATE KEY-----`], 'not a well-formed RSA key'],
    ['two PEM blocks in one string', () => [keyA.privatePem + keyB.privatePem], '2 PEM blocks'],
    ['an EC private key', () => [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' })], 'not an RSA key'],
    ['an EC KeyObject', () => [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey], 'needs an RSA key'],
    ['an EC JWK', () => [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })], 'needs an RSA key'],
    ['an RSA-PSS key', () => [generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' })], 'RSA-PSS'],
    ['a symmetric JWK', [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' }], 'symmetric'],
    ['a 1024-bit key', () => [generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' })], '1024 bits'],
    ['a passphrase-protected PKCS#8 key', () => [keyA.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' })], 'encrypted with a passphrase'],
    ['a passphrase-protected PKCS#1 key', () => [keyA.privateKey.export({ format: 'pem', type: 'pkcs1', cipher: 'aes-256-cbc', passphrase: 'secret' })], 'encrypted with a passphrase'],
    ['a JWK for signing', () => [{ ...keyA.privateKey.export({ format: 'jwk' }), use: 'sig' }], 'not "enc"'],
    ['a JWK lacking CRT members', () => [{ ...keyA.privateKey.export({ format: 'jwk' }), qi: undefined }], 'lacks qi'],
    ['a JWK for an algorithm not allowed', () => [{ ...keyA.privateKey.export({ format: 'jwk' }), alg: 'RSA-OAEP' }], 'not in keyManagementAlgorithms'],
    ['two keys with one kid', () => [{ kid: 'x', key: keyA.privatePem }, { kid: 'x', key: keyB.privatePem }], 'kid "x"'],
    ['a number', [42], 'must be a PEM string'],
    [`more than ${MAX_DECRYPTION_KEYS} keys`, () => Array.from({ length: MAX_DECRYPTION_KEYS + 1 }, () => keyA.privatePem), `at most ${MAX_DECRYPTION_KEYS}`],
  ])('refuses %s', (_name, keys, message) => {
    const decryptionKeys = (typeof keys === 'function' ? keys() : keys) as VerifierOptions['decryptionKeys'];
    expect(create({ decryptionKeys })).toThrow(TypeError);
    expect(create({ decryptionKeys })).toThrow(message);
  });

  it.each([
    ['dir', 'symmetric key management'],
    ['A128KW', 'symmetric key management'],
    ['PBES2-HS256+A128KW', 'password-based'],
    ['ECDH-ES', 'ECDH'],
    ['ECDH-ES+A256KW', 'ECDH'],
    ['RSA1_5', 'padding-oracle'],
    ['none', 'supported: RSA-OAEP-256'],
  ])('refuses keyManagementAlgorithms with %s', (alg, message) => {
    expect(create({ keyManagementAlgorithms: [alg] })).toThrow(TypeError);
    expect(create({ keyManagementAlgorithms: [alg] })).toThrow(message);
  });

  it('refuses unknown or empty allow-lists', () => {
    expect(create({ contentEncryptionAlgorithms: ['A128CBC'] })).toThrow('`contentEncryptionAlgorithms` names "A128CBC"');
    expect(create({ contentEncryptionAlgorithms: [] })).toThrow('non-empty array');
    expect(create({ keyManagementAlgorithms: [] })).toThrow('non-empty array');
  });

  it('refuses requireEncryption without keys, and a non-boolean requireEncryption', () => {
    expect(create({ decryptionKeys: undefined, requireEncryption: true })).toThrow('`requireEncryption` needs `decryptionKeys`');
    expect(create({ requireEncryption: 'yes' as unknown as boolean })).toThrow('must be a boolean');
  });

  it('prepares each key once per algorithm and caches it', async () => {
    const [key] = prepareDecryptionKeys([keyA.privatePem], KEY_MANAGEMENT);
    const first = key!.forAlgorithm('RSA-OAEP-256');
    expect(key!.forAlgorithm('RSA-OAEP-256')).toBe(first);
    expect(key!.forAlgorithm('RSA-OAEP-512')).not.toBe(first);
    expect(await first).toMatchObject({ type: 'private', algorithm: { name: 'RSA-OAEP' } });
  });
});

describe('encrypted tokens are accepted', () => {
  for (const alg of KEY_MANAGEMENT) {
    it(`with ${alg} and every content encryption`, async () => {
      const verifier = verifierWith({ dialect: 'rfc9068' });
      for (const enc of CONTENT_ENCRYPTION) {
        const inner = await signedToken();
        const token = await encrypt(inner, keyA.publicKey, { alg, enc });
        const result = await verifier.verify(token);
        expect(result, `${alg} ${enc}`).toMatchObject({ encrypted: true, token: inner, dialect: 'rfc9068', clientId: 'client-1', scopes: ['read:messages'] });
        expect(result.header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
      }
    });
  }

  it('with RSA-OAEP (SHA-1) when the allow-list names it', async () => {
    const token = await encrypt(await signedToken(), keyA.publicKey, { alg: 'RSA-OAEP' });
    await expectRefused(verifierWith().verify(token), 'JWE alg "RSA-OAEP" is not in the allow-list');
    const verifier = verifierWith({ keyManagementAlgorithms: ['RSA-OAEP'] });
    expect((await verifier.verify(token)).encrypted).toBe(true);
  });

  it('holding an Auth0-style token (typ JWT, azp, permissions) with cty JWT', async () => {
    const inner = await signedToken({ azp: 'client-1', client_id: undefined, jti: undefined, permissions: ['read:messages'] }, { typ: 'JWT' });
    const token = await encrypt(inner, keyA.publicKey, { header: { cty: 'JWT', kid: 'my-kid' } });
    const result = await verifierWith({ dialect: 'auth0', decryptionKeys: [{ kid: 'my-kid', key: keyA.privatePem }] }).verify(token);
    expect(result).toMatchObject({ encrypted: true, dialect: 'auth0', clientId: 'client-1', permissions: ['read:messages'] });
  });

  it.each(['JWT', 'jwt', 'at+jwt', 'AT+JWT', 'application/at+jwt', 'application/jwt', 'Application/JWT'])('with cty %s', async (cty) => {
    const token = await encrypt(await signedToken(), keyA.publicKey, { header: { cty } });
    expect((await verifierWith().verify(token)).encrypted).toBe(true);
  });

  it.each([
    ['a PKCS#1 PEM', () => keyA.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string],
    ['a KeyObject', () => keyA.privateKey],
    ['a private JWK', () => keyA.privateKey.export({ format: 'jwk' }) as JWK],
    ['a PEM with literal \\n', () => keyA.privatePem.replace(/\n/g, '\\n')],
  ])('with the key given as %s', async (_name, key) => {
    const token = await encrypt(await signedToken(), keyA.publicKey);
    expect((await verifierWith({ decryptionKeys: [key()] }).verify(token)).encrypted).toBe(true);
  });

  it('on the WebCrypto backend too (the web entry point), with PEM and JWK keys', async () => {
    const token = await encrypt(await signedToken(), keyA.publicKey, { enc: 'A128CBC-HS256' });
    for (const key of [keyA.privatePem, keyA.privateKey.export({ format: 'jwk' }) as JWK]) {
      const verifier = createWebVerifier({ issuer: ISSUER, audience: API, keys: [signingJwk], decryptionKeys: [key] }, encryptedTokens);
      expect((await verifier.verify(token)).encrypted).toBe(true);
    }
  });

  it('and plain signed tokens still are, unless requireEncryption is set', async () => {
    const inner = await signedToken();
    expect(await verifierWith().verify(inner)).toMatchObject({ encrypted: false, token: inner });
    expect(await verifierWith({ decryptionKeys: undefined }).verify(inner)).toMatchObject({ encrypted: false });
    await expectRefused(verifierWith({ requireEncryption: true }).verify(inner), 'requireEncryption is set and the token is not encrypted');
    const token = await encrypt(inner, keyA.publicKey);
    expect((await verifierWith({ requireEncryption: true }).verify(token)).encrypted).toBe(true);
  });

  it('passes a plain token on synchronously (no promise on the hot path)', () => {
    const step = createDecryptStep({ decryptionKeys: [keyA.privatePem] });
    expect(step('a.b.c')).toBe('a.b.c');
    expect(createDecryptStep({})('a.b.c')).toBe('a.b.c');
  });

  it('recognises the compact JWE shape exactly', () => {
    expect(isCompactJwe('a.b.c.d.e')).toBe(true);
    expect(isCompactJwe('a.b.c')).toBe(false);
    expect(isCompactJwe('a.b.c.d')).toBe(false);
    expect(isCompactJwe('a.b.c.d.e.f')).toBe(false);
    expect(isCompactJwe('....')).toBe(true);
  });
});

describe('key rotation', () => {
  it('picks the key the JWE kid names, and tries no other', async () => {
    const verifier = verifierWith({ decryptionKeys: [{ kid: 'a', key: keyA.privatePem }, { kid: 'b', key: keyB.privatePem }] });
    const toB = await encrypt(await signedToken(), keyB.publicKey, { header: { cty: 'JWT', kid: 'b' } });
    expect((await verifier.verify(toB)).encrypted).toBe(true);
    // Encrypted to B but labelled "a": only A is tried, and the reason names only A.
    const mislabelled = await encrypt(await signedToken(), keyB.publicKey, { header: { cty: 'JWT', kid: 'a' } });
    const error = await expectRefused(verifier.verify(mislabelled), 'does not decrypt with decryption key kid "a"');
    expect(error.reason).not.toContain('"b"');
  });

  it('tries keys in order when the JWE has no kid', async () => {
    const verifier = verifierWith({ decryptionKeys: [keyA.privatePem, keyB.privatePem] });
    for (const pair of [keyA, keyB]) {
      const token = await encrypt(await signedToken(), pair.publicKey);
      expect((await verifier.verify(token)).encrypted).toBe(true);
    }
  });

  it('tries the keys configured without a kid when the JWE kid names none', async () => {
    const verifier = verifierWith({ decryptionKeys: [{ kid: 'a', key: keyA.privatePem }, keyB.privatePem] });
    const token = await encrypt(await signedToken(), keyB.publicKey, { header: { cty: 'JWT', kid: 'issuer-side-name' } });
    expect((await verifier.verify(token)).encrypted).toBe(true);
  });

  it('refuses, before decrypting, a kid that names no key when every key has a kid', async () => {
    const token = await encrypt(await signedToken(), keyB.publicKey, { header: { cty: 'JWT', kid: 'c' } });
    const options = { decryptionKeys: [{ kid: 'a', key: keyA.privatePem }, { kid: 'b', key: keyB.privatePem }] };
    expectRefusedBeforeDecryption(token, 'the JWE names kid "c" and no decryption key has it (configured: kid "a", kid "b")', options);
    await expectRefused(verifierWith(options).verify(token), 'no decryption key has it');
  });

  it('skips keys whose modulus cannot have produced the encrypted key, and refuses when none fits', async () => {
    const verifier = verifierWith({ decryptionKeys: [keyA.privatePem, key3072.privatePem] });
    const to3072 = await encrypt(await signedToken(), key3072.publicKey);
    expect((await verifier.verify(to3072)).encrypted).toBe(true);
    expectRefusedBeforeDecryption(to3072, 'no decryption key fits the JWE (alg RSA-OAEP-256, 384-byte encrypted key; keys: #1 2048-bit)');
  });

  it('skips a JWK restricted to another alg', async () => {
    const jwk = { ...(keyA.privateKey.export({ format: 'jwk' }) as JWK), alg: 'RSA-OAEP-512' };
    const token = await encrypt(await signedToken(), keyA.publicKey, { alg: 'RSA-OAEP-256' });
    expectRefusedBeforeDecryption(token, 'no decryption key fits the JWE (alg RSA-OAEP-256', { decryptionKeys: [jwk] });
    const token512 = await encrypt(await signedToken(), keyA.publicKey, { alg: 'RSA-OAEP-512' });
    expect((await verifierWith({ decryptionKeys: [jwk] }).verify(token512)).encrypted).toBe(true);
  });
});

describe('wrong key and tampering', () => {
  it('refuses a token encrypted to another key, with a generic description', async () => {
    const token = await encrypt(await signedToken(), keyB.publicKey);
    const error = await expectRefused(verifierWith().verify(token), 'does not decrypt with decryption key #1: encrypted to another key, or altered');
    expect(error.description).toBe('The access token is invalid.');
    expect(error.wwwAuthenticate).toBe('Bearer error="invalid_token", error_description="The access token is invalid."');
  });

  it.each([
    ['encrypted key', 1],
    ['IV', 2],
    ['ciphertext', 3],
    ['authentication tag', 4],
  ])('refuses a token whose %s was altered', async (_part, index) => {
    for (const enc of ['A256GCM', 'A128CBC-HS256']) {
      const token = await encrypt(await signedToken(), keyA.publicKey, { enc });
      await expectRefused(verifierWith().verify(tamper(token, index)), 'does not decrypt with decryption key #1');
    }
  });

  it.each([
    ['encrypted key', 1],
    ['IV', 2],
    ['authentication tag', 4],
  ])('refuses, before decrypting, every other spelling of the %s (RFC 4648 §3.5)', async (_part, index) => {
    // A128CBC-HS256: a 256-byte encrypted key, a 16-byte IV and tag, each leaving unused bits.
    const token = await encrypt(await signedToken(), keyA.publicKey, { enc: 'A128CBC-HS256' });
    const spellings = respellings(token.split('.')[index] as string);
    expect(spellings.length).toBeGreaterThanOrEqual(3);
    for (const spelling of spellings) expectRefusedBeforeDecryption(withSegment(token, index, () => spelling), 'not base64url');
    await expect(verifierWith().verify(token)).resolves.toMatchObject({ encrypted: true });
  });

  it('refuses a token whose protected header was altered (it is the AAD)', async () => {
    const token = await encrypt(await signedToken(), keyA.publicKey);
    const altered = withHeader(token, { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'at+jwt', x: 1 });
    await expectRefused(verifierWith().verify(altered), 'does not decrypt');
  });

  it('refuses a truncated encrypted key before decrypting', async () => {
    const token = await encrypt(await signedToken(), keyA.publicKey);
    const parts = token.split('.');
    parts[1] = (parts[1] as string).slice(0, 100);
    expectRefusedBeforeDecryption(parts.join('.'), 'no decryption key fits the JWE');
  });
});

describe('refused forms', () => {
  let sample: string;
  beforeAll(async () => {
    sample = await encrypt(await signedToken(), keyA.publicKey);
  });

  it('refuses an encrypted token when no decryptionKeys are configured, saying what to set', async () => {
    const error = await expectRefused(verifierWith({ decryptionKeys: undefined }).verify(sample), 'set `decryptionKeys`');
    expect(error.reason).toContain('no decryptionKeys are configured');
  });

  it('refuses an oversized token before anything else', async () => {
    const big = withHeader(sample, { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', pad: 'x'.repeat(20_000) });
    expectRefusedBeforeDecryption(big, /is \d+ characters, over the limit of 16384/);
    expectRefusedBeforeDecryption(sample, 'over the limit of 500', { decryptionKeys: [keyA.privatePem], maxTokenLength: 500 });
    await expectRefused(verifierWith().verify(big), /characters, over .*16384/);
  });

  it.each([
    ['not base64url JSON', 'not json', 'not base64url-encoded JSON'],
    ['a JSON array', '[1,2]', 'not a JSON object'],
    ['JSON null', 'null', 'not a JSON object'],
    ['without alg', { enc: 'A256GCM', cty: 'JWT' }, 'lacks a string alg or enc'],
    ['without enc', { alg: 'RSA-OAEP-256', cty: 'JWT' }, 'lacks a string alg or enc'],
    ['with a numeric kid', { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 7 }, 'kid is not a string'],
    ['with alg dir', { alg: 'dir', enc: 'A256GCM', cty: 'JWT' }, 'JWE alg "dir" is not in the allow-list'],
    ['with alg RSA1_5', { alg: 'RSA1_5', enc: 'A256GCM', cty: 'JWT' }, 'JWE alg "RSA1_5" is not in the allow-list'],
    ['with alg PBES2', { alg: 'PBES2-HS256+A128KW', enc: 'A256GCM', cty: 'JWT', p2c: 10_000_000, p2s: 'AAAAAAAAAAA' }, 'JWE alg "PBES2-HS256+A128KW"'],
    ['with alg ECDH-ES', { alg: 'ECDH-ES', enc: 'A256GCM', cty: 'JWT' }, 'JWE alg "ECDH-ES"'],
    ['with alg none', { alg: 'none', enc: 'A256GCM', cty: 'JWT' }, 'JWE alg "none"'],
    ['with an unknown enc', { alg: 'RSA-OAEP-256', enc: 'A512GCM', cty: 'JWT' }, 'JWE enc "A512GCM" is not in the allow-list'],
    ['with zip', { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', zip: 'DEF' }, 'compressed ("zip")'],
    ['with crit', { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', crit: ['exp'], exp: 1 }, 'marks ["exp"] critical'],
    ['without cty', { alg: 'RSA-OAEP-256', enc: 'A256GCM' }, 'has no cty'],
    ['with cty json', { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'json' }, 'the JWE cty is "json"'],
    ['with cty JWE', { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWE' }, 'the JWE cty is "JWE"'],
    ['with a numeric cty', { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 1 }, 'cty is not a string'],
  ])('refuses, before decrypting, a header %s', async (_name, header, reason) => {
    const token = withHeader(sample, header);
    expectRefusedBeforeDecryption(token, reason);
    await expectRefused(verifierWith().verify(token), reason);
  });

  it('refuses algorithms outside a narrowed allow-list', async () => {
    expectRefusedBeforeDecryption(sample, 'JWE alg "RSA-OAEP-256" is not in the allow-list [RSA-OAEP-512]', { decryptionKeys: [keyA.privatePem], keyManagementAlgorithms: ['RSA-OAEP-512'] });
    expectRefusedBeforeDecryption(sample, 'JWE enc "A256GCM" is not in the allow-list [A128GCM]', { decryptionKeys: [keyA.privatePem], contentEncryptionAlgorithms: ['A128GCM'] });
  });

  it.each([
    ['dir', () => crypto.getRandomValues(new Uint8Array(32))],
    ['A256KW', () => crypto.getRandomValues(new Uint8Array(32))],
    ['PBES2-HS256+A128KW', () => new TextEncoder().encode('a password')],
    ['ECDH-ES', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
    ['ECDH-ES+A128KW', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
  ])('refuses, before decrypting, a genuine %s token made by jose', async (alg, key) => {
    const token = await encrypt(await signedToken(), key(), { alg, enc: 'A256GCM', header: { cty: 'JWT' } });
    expectRefusedBeforeDecryption(token, `JWE alg "${alg}" is not in the allow-list`);
    await expectRefused(verifierWith().verify(token), `JWE alg "${alg}"`);
  });

  it('refuses a genuinely compressed (zip) token made by jose', async () => {
    const token = await encrypt(await signedToken(), keyA.publicKey, { header: { cty: 'JWT', zip: 'DEF' } });
    expectRefusedBeforeDecryption(token, 'compressed');
  });

  it.each([
    ['an empty part', (token: string) => token.split('.').map((part, i) => (i === 2 ? '' : part)).join('.'), 'a part of the JWE is empty'],
    ['a part outside base64url', (token: string) => token.replace(/\.([^.]+)$/, '.+/+/'), 'not base64url'],
    ['a short IV', (token: string) => token.split('.').map((part, i) => (i === 2 ? part.slice(0, 8) : part)).join('.'), 'IV or authentication tag has the wrong length for A256GCM'],
    ['a long tag', (token: string) => token.split('.').map((part, i) => (i === 4 ? `${part}AAAA` : part)).join('.'), 'wrong length'],
  ])('refuses, before decrypting, a token with %s', async (_name, mangle, reason) => {
    const token = mangle(sample);
    expectRefusedBeforeDecryption(token, reason);
    await expectRefused(verifierWith().verify(token), reason);
  });

  it('refuses a JWE inside a JWE', async () => {
    const innerJwe = await encrypt(await signedToken(), keyA.publicKey);
    const token = await encrypt(innerJwe, keyA.publicKey, { header: { cty: 'JWT' } });
    await expectRefused(verifierWith().verify(token), 'the decrypted payload is itself a JWE');
  });

  it('refuses an unsigned inner token (alg none, empty signature)', async () => {
    const segment = (value: unknown) => base64url.encode(JSON.stringify(value));
    const now = Math.floor(Date.now() / 1000);
    const unsecured = `${segment({ alg: 'none', typ: 'at+jwt' })}.${segment({ iss: ISSUER, aud: API, sub: 'x', client_id: 'x', jti: 'j', iat: now, exp: now + 60 })}.`;
    await expectRefused(verifierWith().verify(await encrypt(unsecured, keyA.publicKey)), 'unsigned JWT');
    // With something in the signature place, the signature step's allow-list refuses it.
    await expectRefused(verifierWith().verify(await encrypt(`${unsecured}c2ln`, keyA.publicKey)), 'alg "none" is not in the allow-list');
  });

  it.each([
    ['plain text', 'hello', 'not a compact JWS'],
    ['a claims set (an encrypted, unsigned JWT mislabelled)', JSON.stringify({ iss: ISSUER, aud: API }), 'not a compact JWS'],
    ['four parts', 'a.b.c.d', 'not a compact JWS'],
    ['bytes that are not UTF-8', new Uint8Array([0xff, 0xfe, 0x2e, 0x41, 0x2e, 0x42]), 'not UTF-8'],
  ])('refuses a payload that is %s', async (_name, payload, reason) => {
    await expectRefused(verifierWith().verify(await encrypt(payload, keyA.publicKey, { header: { cty: 'JWT' } })), reason);
  });

  it('refuses an inner token signed by a key the verifier does not trust', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ iss: ISSUER, aud: API, sub: 'x', client_id: 'x', jti: 'j', iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: 'RS256', kid: 'sig-1', typ: 'at+jwt' })
      .sign(privateKey);
    await expectRefused(verifierWith().verify(await encrypt(forged, keyA.publicKey)), 'the signature does not verify');
  });

  it('checks the inner claims as for any token (audience, expiry)', async () => {
    const wrongAudience = await refusal(verifierWith().verify(await encrypt(await signedToken({ aud: 'https://other.example.com' }), keyA.publicKey)));
    expect(wrongAudience).toMatchObject({ code: 'invalid_token' });
    expect(wrongAudience.reason).toContain('https://other.example.com');
    const expired = await refusal(verifierWith().verify(await encrypt(await signedToken({ iat: 900, exp: 1000 }), keyA.publicKey)));
    expect(expired).toMatchObject({ code: 'invalid_token' });
    expect(expired.reason).toMatch(/expired|exp/);
  });

  it('never crashes on random five-part input', async () => {
    const verifier = verifierWith();
    const random = () => base64url.encode(crypto.getRandomValues(new Uint8Array(1 + Math.floor(Math.random() * 40))));
    for (let i = 0; i < 50; i++) {
      const token = Array.from({ length: 5 }, random).join('.');
      const error = await refusal(verifier.verify(token));
      expect(error.code).toBe('invalid_token');
    }
  });
});

describe('keyThumbprint', () => {
  /** Auth0's own recipe for `thumbprint_sha256`: createPublicKey(pem) → exportJWK → calculateJwkThumbprint. */
  const auth0Recipe = async (pem: string) => calculateJwkThumbprint(await exportJWK(createPublicKey(pem)), 'sha256');

  it('matches the RFC 7638 §3.1 example', async () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(await keyThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('gives the value Auth0 computes for the uploaded public key, from every form of the key pair', async () => {
    const expected = await auth0Recipe(keyA.publicPem);
    const forms = [
      keyA.publicPem,
      keyA.privatePem,
      keyA.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string,
      keyA.publicKey.export({ format: 'pem', type: 'pkcs1' }) as string,
      keyA.privatePem.replace(/\n/g, '\\n'),
      keyA.privateKey,
      keyA.publicKey,
      keyA.privateKey.export({ format: 'jwk' }) as JWK,
      keyA.publicKey.export({ format: 'jwk' }) as JWK,
    ];
    for (const form of forms) expect(await keyThumbprint(form)).toBe(expected);
    expect(await keyThumbprint(keyB.publicPem)).not.toBe(expected);
  });

  it('gives the same value for a certificate as for its key (Auth0 accepts either)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atg-cert-'));
    try {
      const keyFile = join(dir, 'key.pem');
      const certFile = join(dir, 'cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=api.example.com'], { stdio: 'ignore' });
      const certificate = readFileSync(certFile, 'utf8');
      expect(await keyThumbprint(certificate)).toBe(await auth0Recipe(certificate));
      expect(await keyThumbprint(certificate)).toBe(await keyThumbprint(readFileSync(keyFile, 'utf8')));
      // And the private key of that certificate decrypts what is encrypted to the certificate.
      const token = await encrypt(await signedToken(), createPublicKey(certificate));
      expect((await verifierWith({ decryptionKeys: [readFileSync(keyFile, 'utf8')] }).verify(token)).encrypted).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what has no public thumbprint', async () => {
    await expect(keyThumbprint({ kty: 'oct', k: 'AAAA' })).rejects.toThrow('symmetric');
    await expect(keyThumbprint('nonsense')).rejects.toThrow(TypeError);
    await expect(keyThumbprint(42 as unknown as string)).rejects.toThrow(TypeError);
  });
});
