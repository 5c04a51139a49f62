/**
 * Sender-constrained tokens from a real authorization server. `oidc-provider` issues RFC 9068
 * JWT access tokens (client credentials grant, resource indicators) that are certificate-bound
 * (RFC 8705, `features.mTLS.certificateBoundAccessTokens`, token requested over mutual TLS) or
 * DPoP-bound (RFC 9449, `features.dPoP`, proof from the `dpop` package). The resource server is
 * Express on node:https with `requestCert`, finding the provider's keys by discovery.
 */
import { X509Certificate } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { calculateThumbprint, generateKeyPair as generateDpopKeyPair, generateProof, type KeyPair } from 'dpop';
import express from 'express';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../adapters/express.js';
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js';
import { send } from '../helpers/https.js';

const API = 'https://api.binding.example/';
const SECRET = 'a-long-enough-client-secret-for-binding-tests';

let issuer: string;
/** The same provider over mutual TLS, as RFC 8705 §5 endpoint aliases would serve it. */
let mtlsOrigin: string;
let resourceOrigin: string;
const servers: Array<HttpServer | HttpsServer> = [];
let serverCertificate: TestCertificate;
let alice: TestCertificate;
let mallory: TestCertificate;

async function listen<T extends HttpServer | HttpsServer>(server: T): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  serverCertificate = makeCertificate('127.0.0.1', { ip: '127.0.0.1' });
  alice = makeCertificate('alice-machine');
  mallory = makeCertificate('mallory-machine');
  const tlsOptions = { key: serverCertificate.keyPem, cert: serverCertificate.certPem, requestCert: true, rejectUnauthorized: false };

  // The authorization server: discovery and JWKS over loopback HTTP, the token endpoint also
  // over mutual TLS so it can see the client certificate it binds tokens to.
  const plain = createHttpServer();
  issuer = `http://127.0.0.1:${await listen(plain)}`;
  const mutual = createHttpsServer(tlsOptions);
  mtlsOrigin = `https://127.0.0.1:${await listen(mutual)}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const client = { client_secret: SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post', id_token_signed_response_alg: 'ES256' };
  const provider = new Provider(issuer, {
    clients: [
      { ...client, client_id: 'mtls-client', tls_client_certificate_bound_access_tokens: true },
      { ...client, client_id: 'dpop-client', dpop_bound_access_tokens: true },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'as-key-1', alg: 'ES256', use: 'sig' }] },
    ttl: { ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        getCertificate: (ctx: { req: IncomingMessage }) => {
          const raw = (ctx.req.socket as Partial<TLSSocket>).getPeerCertificate?.()?.raw;
          return raw && raw.length > 0 ? new X509Certificate(raw) : undefined;
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          audience: resource,
          scope: 'read:orders',
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  plain.on('request', provider.callback());
  mutual.on('request', provider.callback());

  // The resource server: both bindings on, keys from the issuer's discovery document.
  const app = express();
  app.use(authenticate({ issuer, audience: API, algorithms: ['ES256'], dialect: 'rfc9068', mtls: {}, dpop: {} }));
  app.get('/orders', (req, res) => {
    res.json({ binding: req.auth?.binding, clientId: req.auth?.clientId });
  });
  resourceOrigin = `https://127.0.0.1:${await listen(createHttpsServer(tlsOptions, app))}`;
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

interface TokenResponse {
  access_token?: string;
  token_type?: string;
  error?: string;
  error_description?: string;
}

async function requestToken(endpoint: string, clientId: string, init: { certificate?: TestCertificate; dpop?: string } = {}): Promise<TokenResponse & { access_token: string }> {
  const reply = await send(`${endpoint}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(init.dpop ? { dpop: init.dpop } : {}) },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: SECRET, resource: API, scope: 'read:orders' }).toString(),
    ca: serverCertificate.certPem,
    ...(init.certificate ? { cert: init.certificate.certPem, key: init.certificate.keyPem } : {}),
  });
  const body = reply.json() as TokenResponse;
  if (!body.access_token) throw new Error(`token endpoint: ${body.error}: ${body.error_description}`);
  return body as TokenResponse & { access_token: string };
}

const resource = (headers: Record<string, string>, certificate?: TestCertificate) =>
  send(`${resourceOrigin}/orders`, { headers, ca: serverCertificate.certPem, ...(certificate ? { cert: certificate.certPem, key: certificate.keyPem } : {}) });

describe('certificate-bound tokens from oidc-provider', () => {
  let token: string;

  beforeAll(async () => {
    token = (await requestToken(mtlsOrigin, 'mtls-client', { certificate: alice })).access_token;
  });

  it('carry the thumbprint of the certificate used at the token endpoint', () => {
    expect(decodeJwt(token).cnf).toEqual({ 'x5t#S256': alice.thumbprint });
  });

  it('are accepted from the client holding that certificate', async () => {
    const reply = await resource({ authorization: `Bearer ${token}` }, alice);
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ binding: 'mtls', clientId: 'mtls-client' });
  });

  it('are refused with another certificate or none: 401 invalid_token', async () => {
    for (const certificate of [mallory, undefined]) {
      const reply = await resource({ authorization: `Bearer ${token}` }, certificate);
      expect(reply.status).toBe(401);
      expect(reply.json()).toMatchObject({ error: 'invalid_token' });
      expect(reply.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", DPoP algs="[^"]+"$/);
    }
  });
});

describe('DPoP-bound tokens from oidc-provider', () => {
  let keypair: KeyPair;
  let token: string;
  const url = () => `${resourceOrigin}/orders`;

  beforeAll(async () => {
    keypair = await generateDpopKeyPair('ES256');
    const response = await requestToken(issuer, 'dpop-client', { dpop: await generateProof(keypair, `${issuer}/token`, 'POST') });
    expect(response.token_type).toBe('DPoP');
    token = response.access_token;
  });

  it('carry the thumbprint of the proof key', async () => {
    expect(decodeJwt(token).cnf).toEqual({ jkt: await calculateThumbprint(keypair.publicKey) });
  });

  it('are accepted with a proof for the request', async () => {
    const reply = await resource({ authorization: `DPoP ${token}`, dpop: await generateProof(keypair, url(), 'GET', undefined, token) });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ binding: 'dpop', clientId: 'dpop-client' });
  });

  it('are refused as Bearer (downgrade): 401 invalid_token in the Bearer challenge', async () => {
    const reply = await resource({ authorization: `Bearer ${token}` });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", DPoP algs="[^"]+"$/);
  });

  it('refuse a replayed proof and the token endpoint proof: 401 invalid_dpop_proof', async () => {
    const once = await generateProof(keypair, url(), 'GET', undefined, token);
    expect((await resource({ authorization: `DPoP ${token}`, dpop: once })).status).toBe(200);
    for (const dpop of [once, await generateProof(keypair, `${issuer}/token`, 'POST')]) {
      const reply = await resource({ authorization: `DPoP ${token}`, dpop });
      expect(reply.status).toBe(401);
      expect(reply.json()).toMatchObject({ error: 'invalid_dpop_proof' });
      expect(reply.headers['www-authenticate']).toMatch(/^Bearer, DPoP algs="[^"]+", error="invalid_dpop_proof", error_description="[^"]+"$/);
    }
  });

  it('refuse a proof by another key: 401 invalid_token in the DPoP challenge', async () => {
    const thief = await generateDpopKeyPair('ES256');
    const reply = await resource({ authorization: `DPoP ${token}`, dpop: await generateProof(thief, url(), 'GET', undefined, token) });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toMatch(/^Bearer, DPoP algs="[^"]+", error="invalid_token", error_description="[^"]+"$/);
  });
});
