/**
 * A verifier created without an optional step (the `/web` default: bearer tokens only) refuses
 * at creation every option that needs the step, naming the export that provides it, and refuses
 * at verification what it cannot check — an encrypted token, a sender-constrained one — while
 * plain bearer tokens verify as they do everywhere.
 */
import { describe, expect, it } from 'vitest';
import { createVerifier } from '../adapters/web.js';
import { keyFor } from './helpers/keys.js';
import { expectRefused } from './helpers/refusal.js';
import { AUDIENCE, ISSUER, mint } from './helpers/tokens.js';

const key = keyFor('RS256');
const bearerOnly = () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] } });

describe('a verifier without the optional steps', () => {
  it('verifies a plain bearer token', async () => {
    expect(await bearerOnly().verify(mint())).toMatchObject({ subject: 'auth0|user-1', binding: 'bearer', encrypted: false });
  });

  it.each([
    ['decryptionKeys', { decryptionKeys: [key.jwk] }, 'encryptedTokens'],
    ['requireEncryption', { requireEncryption: true }, 'encryptedTokens'],
    ['mtls', { mtls: {} }, 'boundTokens'],
    ['dpop', { dpop: {} }, 'boundTokens'],
    ['resultCache', { resultCache: true }, 'cachedResults'],
  ])('is a TypeError at creation with %s, naming %s', (option, options, step) => {
    const create = () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] }, ...options } as never);
    expect(create).toThrow(TypeError);
    expect(create).toThrow(new RegExp(`\`${option}\`.*pass \`${step}\``));
  });

  it('refuses an encrypted token (JWE), saying it does not decrypt', async () => {
    await expectRefused(bearerOnly().verify('eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d'), /encrypted \(JWE\) and this verifier does not decrypt/);
  });

  it('refuses a sender-constrained token (cnf): the binding would go unchecked', async () => {
    await expectRefused(bearerOnly().verify(mint({ cnf: { jkt: 'A'.repeat(43) } })), /sender-constrained \(cnf\)/);
  });
});
