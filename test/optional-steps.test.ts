/**
 * A verifier created without an optional step (the `/web` default: one issuer, bearer JWTs)
 * refuses at creation every option that needs the step, naming the export that provides it, and
 * refuses at verification what it cannot check — an encrypted token, a sender-constrained one,
 * an opaque one — while plain bearer tokens verify as they do everywhere. Handed its step, each
 * option works on `/web` as on Node.
 */
import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createVerifier, pemKeys, protectedResourceMetadata, severalIssuers } from '../adapters/web.js';
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
    ['decryptionKeys', 'encryptedTokens', { decryptionKeys: [key.jwk] }],
    ['requireEncryption', 'encryptedTokens', { requireEncryption: true }],
    ['mtls', 'boundTokens', { mtls: {} }],
    ['dpop', 'boundTokens', { dpop: {} }],
    ['resultCache', 'cachedResults', { resultCache: true }],
    ['introspection', 'introspectedTokens', { introspection: { endpoint: 'https://tenant.example.com/introspect', clientId: 'api', clientSecret: 'secret' } }],
    ['resourceMetadata', 'protectedResourceMetadata', { resourceMetadata: {} }],
  ])('is a TypeError at creation with %s, naming %s', (option, step, options) => {
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

  it('is a TypeError at creation with issuers, naming severalIssuers', () => {
    const create = () => createVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] } }] });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(/`issuers` is set .*pass `severalIssuers`/);
  });

  it('is a TypeError at creation with a PEM key in keys, naming pemKeys (a JWK needs no step)', () => {
    const create = () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: [pem] });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(/`keys` holds a PEM key .*pass `pemKeys`/);
  });

  it('refuses an opaque token as invalid: without introspection only JWTs can be checked', async () => {
    await expectRefused(bearerOnly().verify('2YotnFZFEjr1zCsicMWpAA'), /the token is opaque/);
  });

  it('serves no metadata document: a request for it is authenticated like any other', async () => {
    const outcome = await bearerOnly().authenticate({ method: 'GET', url: 'https://api.example.com/.well-known/oauth-protected-resource', headers: {} });
    expect(outcome.kind).toBe('refused');
  });
});

const pem = (key.publicKey as KeyObject).export({ format: 'pem', type: 'spki' }) as string;

describe('a /web verifier handed its optional steps', () => {
  it('with severalIssuers, verifies tokens of each listed issuer', async () => {
    const verifier = createVerifier({ issuers: [{ issuer: 'https://other.example.com/', audience: AUDIENCE, keys: { keys: [key.jwk] } }, { issuer: ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] } }] }, severalIssuers);
    expect(await verifier.verify(mint())).toMatchObject({ issuer: ISSUER });
  });

  it('with pemKeys, verifies with a PEM public key', async () => {
    expect(await createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: [pem] }, pemKeys).verify(mint())).toMatchObject({ subject: 'auth0|user-1' });
  });

  it('with protectedResourceMetadata, serves the RFC 9728 document', async () => {
    const verifier = createVerifier({ issuer: ISSUER, audience: 'https://api.example.com/', keys: { keys: [key.jwk] }, resourceMetadata: {} }, protectedResourceMetadata);
    const outcome = await verifier.authenticate({ method: 'GET', url: 'https://api.example.com/.well-known/oauth-protected-resource', headers: {} });
    expect(outcome).toMatchObject({ kind: 'answered', response: { status: 200 } });
  });
});
