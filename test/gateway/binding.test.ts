/**
 * Sender-constrained tokens behind a gateway: the DPoP proof's `htm` and `htu` are checked
 * against the original request the gateway describes, a replayed proof is refused by every
 * instance sharing the configured Redis, and an mTLS-bound token needs the certificate the
 * gateway forwards in the configured header.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../helpers/certificates.js';
import { proof, proofKey, type ProofKey } from '../helpers/proofs.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startIssuer, startService, verifierConfig, type Issuer, type RunningService } from '../helpers/gateway.js';

let issuer: Issuer;
let key: ProofKey;
const running: RunningService[] = [];

beforeAll(async () => {
  issuer = await startIssuer();
  key = await proofKey();
});
afterAll(() => issuer.close());
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.close()));
});

async function service(verifier: Record<string, unknown>): Promise<RunningService> {
  const started = await startService({ gateway: 'traefik', verifier: verifierConfig(issuer, verifier) });
  running.push(started);
  return started;
}

/** Traefik asking about `POST https://api.example.com/orders?id=7`. */
const TRAEFIK = { 'x-forwarded-method': 'POST', 'x-forwarded-uri': '/orders?id=7', 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'https' };

async function dpopRequest(headers: Record<string, string> = {}) {
  const token = issuer.token({ cnf: { jkt: key.jkt } });
  const dpop = await proof(key, { method: 'POST', url: 'https://api.example.com/orders', token });
  return { ...TRAEFIK, authorization: `DPoP ${token}`, dpop, ...headers };
}

describe('DPoP behind a gateway', () => {
  it('accepts a proof made for the original method and URL', async () => {
    const guard = await service({ dpop: {} });
    const response = await fetch(`${guard.url}/auth`, { headers: await dpopRequest() });
    expect(response.status).toBe(200);
  });

  it('refuses a proof for another host than the one the gateway reports', async () => {
    const guard = await service({ dpop: {} });
    const response = await fetch(`${guard.url}/auth`, { headers: await dpopRequest({ 'x-forwarded-host': 'other.example.com' }) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/DPoP algs="[^"]+", error="invalid_dpop_proof"/);
  });

  it('refuses a proof for another method than the original one', async () => {
    const guard = await service({ dpop: {} });
    const response = await fetch(`${guard.url}/auth`, { headers: await dpopRequest({ 'x-forwarded-method': 'GET' }) });
    expect(response.status).toBe(401);
  });

  describe('with the replay store in Redis', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(() => redis.stop());

    it('refuses on a second instance a proof the first one accepted', async () => {
      const store = { dpop: { replayStore: { redis: `redis://127.0.0.1:${redis.port}` } } };
      const [first, second] = [await service(store), await service(store)];
      const headers = await dpopRequest();
      const accepted = await fetch(`${first.url}/auth`, { headers });
      const replayed = await fetch(`${second.url}/auth`, { headers });
      expect([accepted.status, replayed.status]).toEqual([200, 401]);
    });

    it('is not ready while Redis cannot be reached, and answers 503 rather than allow', async () => {
      const guard = await service({ dpop: { replayStore: { redis: `redis://127.0.0.1:${redis.port + 1}`, timeout: 200 } } });
      const ready = await fetch(`${guard.url}/readyz`);
      const decision = await fetch(`${guard.url}/auth`, { headers: await dpopRequest() });
      expect([ready.status, decision.status]).toEqual([503, 503]);
    });
  });
});

describe('mTLS behind a gateway', () => {
  const certificate = makeCertificate('client.gateway.test');
  const other = makeCertificate('other.gateway.test');

  it('accepts a bound token with the certificate the gateway forwards', async () => {
    const guard = await service({ mtls: { certificateHeader: 'X-Client-Cert' } });
    const token = issuer.token({ cnf: { 'x5t#S256': certificate.thumbprint } });
    const response = await fetch(`${guard.url}/auth`, { headers: { ...TRAEFIK, authorization: `Bearer ${token}`, 'x-client-cert': encodeURIComponent(certificate.certPem) } });
    expect(response.status).toBe(200);
  });

  it('refuses a bound token with another certificate', async () => {
    const guard = await service({ mtls: { certificateHeader: 'X-Client-Cert' } });
    const token = issuer.token({ cnf: { 'x5t#S256': certificate.thumbprint } });
    const response = await fetch(`${guard.url}/auth`, { headers: { ...TRAEFIK, authorization: `Bearer ${token}`, 'x-client-cert': encodeURIComponent(other.certPem) } });
    expect(response.status).toBe(401);
  });
});
