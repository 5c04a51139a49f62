/**
 * Certificate-bound tokens (RFC 8705 §3): the verifier on its own with certificates given as
 * context, then a real HTTPS server (node:https, requestCert) running the Express adapter with
 * clients presenting real certificates.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../adapters/express.js';
import { createVerifier, type AuthResult } from '../../src/index.js';
import { AccessTokenError } from '../../src/errors.js';
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js';
import { send } from '../helpers/https.js';
import { createTestIssuer, type TestIssuer } from '../helpers/tokens.js';
import { accessTokenRefusal as refusal } from '../helpers/refusal.js';

let issuer: TestIssuer;
let alice: TestCertificate;
let mallory: TestCertificate;

beforeAll(async () => {
  issuer = await createTestIssuer();
  alice = makeCertificate('alice-client');
  mallory = makeCertificate('mallory-client');
});

const bound = (certificate: TestCertificate) => issuer.mint({ cnf: { 'x5t#S256': certificate.thumbprint } });

function expectInvalidToken(error: AccessTokenError, reason: RegExp): void {
  expect({ code: error.code, status: error.status }).toEqual({ code: 'invalid_token', status: 401 });
  expect(error.reason).toMatch(reason);
  expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
}

describe('mTLS certificate-bound tokens, verifier alone', () => {
  it('accepts a bound token with its certificate as DER or PEM, and says so', async () => {
    const verifier = createVerifier(issuer.options({ mtls: {} }));
    const token = await bound(alice);
    const fromDer: AuthResult = await verifier.verify(token, { clientCertificate: alice.der });
    expect(fromDer.binding).toBe('mtls');
    expect((await verifier.verify(token, { clientCertificate: alice.certPem })).binding).toBe('mtls');
  });

  it('refuses a bound token without a certificate', async () => {
    const verifier = createVerifier(issuer.options({ mtls: {} }));
    expectInvalidToken(await refusal(verifier.verify(await bound(alice))), /presented no client certificate/);
  });

  it('refuses a bound token with another certificate', async () => {
    const verifier = createVerifier(issuer.options({ mtls: {} }));
    expectInvalidToken(await refusal(verifier.verify(await bound(alice), { clientCertificate: mallory.der })), /thumbprint .* is not the token's cnf/);
  });

  it.each([
    ['a thumbprint of the wrong length', { 'x5t#S256': 'abc' }, /not a base64url SHA-256/],
    ['a thumbprint that is not a string', { 'x5t#S256': 42 }, /not a base64url SHA-256/],
    ['standard base64 instead of base64url', { 'x5t#S256': `${'A'.repeat(42)}+` }, /not a base64url SHA-256/],
    ['an empty cnf', {}, /cnf is empty/],
    ['a confirmation method we cannot check', { jwk: { kty: 'EC' } }, /cannot check: "jwk"/],
    ['SHA-1 x5t next to x5t#S256', { x5t: 'abc', 'x5t#S256': 'placeholder' }, /cannot check: "x5t"/],
    ['cnf that is not an object', 'x5t', /cnf must be an object|cnf is not an object/],
  ])('refuses a malformed cnf: %s', async (_name, cnf, reason) => {
    const verifier = createVerifier(issuer.options({ mtls: {} }));
    // The placeholder stands for a well-formed thumbprint, known only once the certificate exists.
    const value = typeof cnf === 'object' && (cnf as Record<string, unknown>)['x5t#S256'] === 'placeholder' ? { ...cnf, 'x5t#S256': alice.thumbprint } : cnf;
    const token = await issuer.mint({ cnf: value });
    expectInvalidToken(await refusal(verifier.verify(token, { clientCertificate: alice.der })), reason);
  });

  it('refuses a certificate-bound token when mtls is not configured, even with the right certificate', async () => {
    const verifier = createVerifier(issuer.options());
    expectInvalidToken(await refusal(verifier.verify(await bound(alice), { clientCertificate: alice.der })), /no mtls option/);
  });

  it('accepts an unbound token as bearer unless mtls.required', async () => {
    const token = await issuer.mint();
    expect((await createVerifier(issuer.options({ mtls: {} })).verify(token, { clientCertificate: alice.der })).binding).toBe('bearer');
    const strict = createVerifier(issuer.options({ mtls: { required: true } }));
    expectInvalidToken(await refusal(strict.verify(token, { clientCertificate: alice.der })), /mtls.required/);
    expect((await strict.verify(await bound(alice), { clientCertificate: alice.der })).binding).toBe('mtls');
  });

  it('refuses a PEM that is not a certificate', async () => {
    const verifier = createVerifier(issuer.options({ mtls: {} }));
    expectInvalidToken(await refusal(verifier.verify(await bound(alice), { clientCertificate: alice.keyPem })), /not a PEM certificate/);
  });

  describe('certificate forwarded in a header by a trusted edge', () => {
    const header = 'X-Client-Cert';
    const forwarded = (certificate: TestCertificate) => ({ 'x-client-cert': encodeURIComponent(certificate.certPem) });

    it('reads the URL-encoded PEM from the configured header, and only from it', async () => {
      const verifier = createVerifier(issuer.options({ mtls: { certificateHeader: header } }));
      const token = await bound(alice);
      expect((await verifier.verify(token, { headers: forwarded(alice) })).binding).toBe('mtls');
      // The socket's certificate, behind an edge, is the edge's: it does not count.
      expectInvalidToken(await refusal(verifier.verify(token, { headers: {}, clientCertificate: alice.der })), /no client certificate \(header x-client-cert\)/);
      expectInvalidToken(await refusal(verifier.verify(token, { headers: forwarded(mallory), clientCertificate: alice.der })), /is not the token's cnf/);
    });

    it('takes the leaf when a chain is forwarded', async () => {
      const verifier = createVerifier(issuer.options({ mtls: { certificateHeader: header } }));
      const chain = { 'x-client-cert': encodeURIComponent(alice.certPem + mallory.certPem) };
      expect((await verifier.verify(await bound(alice), { headers: chain })).binding).toBe('mtls');
    });

    it('never reads the header when it is not configured', async () => {
      const verifier = createVerifier(issuer.options({ mtls: {} }));
      expectInvalidToken(await refusal(verifier.verify(await bound(alice), { headers: forwarded(alice) })), /presented no client certificate/);
    });

    it('refuses a repeated, undecodable or non-PEM header', async () => {
      const verifier = createVerifier(issuer.options({ mtls: { certificateHeader: header } }));
      const token = await bound(alice);
      const value = encodeURIComponent(alice.certPem);
      expectInvalidToken(await refusal(verifier.verify(token, { headers: { 'x-client-cert': [value, value] } })), /more than one/);
      expectInvalidToken(await refusal(verifier.verify(token, { headers: { 'x-client-cert': '%E0%A4%A' } })), /not URL-encoded/);
      expectInvalidToken(await refusal(verifier.verify(token, { headers: { 'x-client-cert': 'hello' } })), /not a PEM certificate/);
    });
  });

  it.each([
    ['mtls that is not an object', { mtls: 'yes' }],
    ['a non-boolean required', { mtls: { required: 'true' } }],
    ['a header name with a space', { mtls: { certificateHeader: 'x client cert' } }],
  ])('refuses options with %s at startup', (_name, extra) => {
    expect(() => createVerifier(issuer.options(extra as never))).toThrow(TypeError);
  });
});

describe('mTLS through a real HTTPS server and the Express adapter', () => {
  let server: Server;
  let origin: string;
  let serverCertificate: TestCertificate;

  beforeAll(async () => {
    serverCertificate = makeCertificate('127.0.0.1', { ip: '127.0.0.1' });
    const app = express();
    app.use(authenticate(issuer.options({ mtls: {} })));
    app.get('/whoami', (req, res) => {
      res.json({ binding: req.auth?.binding, subject: req.auth?.subject });
    });
    // Self-signed client certificates are the point of RFC 8705 §2.2 binding: the TLS layer asks
    // for one and proves possession of its key; the token says which one.
    server = createServer({ key: serverCertificate.keyPem, cert: serverCertificate.certPem, requestCert: true, rejectUnauthorized: false }, app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers 200 to the client holding the bound certificate', async () => {
    const reply = await send(`${origin}/whoami`, {
      headers: { authorization: `Bearer ${await bound(alice)}` },
      cert: alice.certPem,
      key: alice.keyPem,
      ca: serverCertificate.certPem,
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ binding: 'mtls', subject: 'client-1' });
  });

  it('answers 401 invalid_token to a client with another certificate', async () => {
    const reply = await send(`${origin}/whoami`, {
      headers: { authorization: `Bearer ${await bound(alice)}` },
      cert: mallory.certPem,
      key: mallory.keyPem,
      ca: serverCertificate.certPem,
    });
    expect(reply.status).toBe(401);
    expect(reply.json()).toMatchObject({ error: 'invalid_token' });
    expect(reply.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="The access token is not bound to the presented client certificate\."$/);
  });

  it('answers 401 invalid_token to a client with no certificate', async () => {
    const reply = await send(`${origin}/whoami`, { headers: { authorization: `Bearer ${await bound(alice)}` }, ca: serverCertificate.certPem });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });
});
