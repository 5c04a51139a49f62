/**
 * Behind a real TLS-terminating reverse proxy (nginx): the certificate arrives in a header the
 * edge sets, the scheme in X-Forwarded-Proto (Express `trust proxy`), and both bindings work with
 * the URL the client addressed. The app itself listens on plain HTTP on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../adapters/express.js';
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js';
import { send } from '../helpers/https.js';
import { startEdge, type Edge } from '../helpers/nginx.js';
import { proof, proofKey, type ProofKey } from '../helpers/proofs.js';
import { createTestIssuer, type TestIssuer } from '../helpers/tokens.js';

let issuer: TestIssuer;
let app: Server;
let edge: Edge;
let serverCertificate: TestCertificate;
let alice: TestCertificate;
let mallory: TestCertificate;
let key: ProofKey;

beforeAll(async () => {
  issuer = await createTestIssuer();
  serverCertificate = makeCertificate('127.0.0.1', { ip: '127.0.0.1' });
  alice = makeCertificate('alice-behind-proxy');
  mallory = makeCertificate('mallory-behind-proxy');
  key = await proofKey();
  const api = express();
  api.set('trust proxy', 'loopback');
  api.use(authenticate(issuer.options({ mtls: { certificateHeader: 'X-Client-Cert' }, dpop: {} })));
  api.get('/resource', (req, res) => {
    res.json({ binding: req.auth?.binding });
  });
  app = createServer(api);
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  edge = await startEdge((app.address() as AddressInfo).port, serverCertificate);
});

afterAll(async () => {
  await edge?.stop();
  app?.closeAllConnections();
  await new Promise((resolve) => app?.close(resolve));
});

const tls = (certificate?: TestCertificate) => ({ ca: serverCertificate.certPem, ...(certificate ? { cert: certificate.certPem, key: certificate.keyPem } : {}) });

describe('mTLS behind nginx', () => {
  it('accepts the bound certificate forwarded by the edge', async () => {
    const token = await issuer.mint({ cnf: { 'x5t#S256': alice.thumbprint } });
    const reply = await send(`${edge.origin}/resource`, { headers: { authorization: `Bearer ${token}` }, ...tls(alice) });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ binding: 'mtls' });
  });

  it('refuses another certificate, and no certificate', async () => {
    const token = await issuer.mint({ cnf: { 'x5t#S256': alice.thumbprint } });
    for (const certificate of [mallory, undefined]) {
      const reply = await send(`${edge.origin}/resource`, { headers: { authorization: `Bearer ${token}` }, ...tls(certificate) });
      expect(reply.status).toBe(401);
      expect(reply.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="The access token is not bound to the presented client certificate\.", DPoP algs="[^"]+"$/);
    }
  });

  it('does not let a client forge the header through the edge', async () => {
    const token = await issuer.mint({ cnf: { 'x5t#S256': alice.thumbprint } });
    const forged = { authorization: `Bearer ${token}`, 'x-client-cert': encodeURIComponent(alice.certPem) };
    const reply = await send(`${edge.origin}/resource`, { headers: forged, ...tls(mallory) });
    expect(reply.status).toBe(401);
  });
});

describe('DPoP behind nginx', () => {
  it('checks htu against the URL the client addressed (https, the edge host and port)', async () => {
    const token = await issuer.mint({ cnf: { jkt: key.jkt } });
    const url = `${edge.origin}/resource`;
    const reply = await send(`${url}?q=1`, { headers: { authorization: `DPoP ${token}`, dpop: await proof(key, { url, token }) }, ...tls() });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ binding: 'dpop' });
    // A proof made for the app's internal address is for another URI.
    const internal = `http://127.0.0.1:${(app.address() as AddressInfo).port}/resource`;
    const refused = await send(url, { headers: { authorization: `DPoP ${token}`, dpop: await proof(key, { url: internal, token }) }, ...tls() });
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });
});
