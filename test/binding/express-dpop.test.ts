/**
 * DPoP end to end through the Express adapter on a real HTTP server: the adapter only passes the
 * method, the URL and the headers; statuses, challenges, `DPoP-Nonce` and bodies come from the core.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../adapters/express.js';
import { send } from '../helpers/https.js';
import { proof, proofKey, type ProofKey } from '../helpers/proofs.js';
import { createTestIssuer, type TestIssuer } from '../helpers/tokens.js';

const ALGS = 'algs="ES256 PS256 RS256 EdDSA Ed25519"';
let issuer: TestIssuer;
let key: ProofKey;
let token: string;
let server: Server;
let origin: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  key = await proofKey();
  token = await issuer.mint({ cnf: { jkt: key.jkt } });
  const app = express();
  app.use(authenticate(issuer.options({ dpop: {} })));
  app.all('/messages', (req, res) => {
    res.json({ binding: req.auth?.binding });
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('DPoP through the Express adapter', () => {
  it('answers 200 to a DPoP request with a good proof, whatever the query', async () => {
    const reply = await send(`${origin}/messages?page=2`, {
      method: 'POST',
      headers: { authorization: `DPoP ${token}`, dpop: await proof(key, { method: 'POST', url: `${origin}/messages`, token }) },
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ binding: 'dpop' });
  });

  it('answers 400 invalid_request to an unbound token sent as Bearer with a DPoP header', async () => {
    const unbound = await issuer.mint();
    const reply = await send(`${origin}/messages`, {
      headers: { authorization: `Bearer ${unbound}`, dpop: await proof(key, { url: `${origin}/messages`, token: unbound }) },
    });
    expect(reply.status).toBe(400);
    expect(reply.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('answers 401 invalid_dpop_proof in the DPoP challenge, Bearer offered too', async () => {
    const reply = await send(`${origin}/messages`, { headers: { authorization: `DPoP ${token}` } });
    expect(reply.status).toBe(401);
    expect(reply.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'The DPoP proof is invalid.' });
    expect(reply.headers['www-authenticate']).toBe(`Bearer, DPoP ${ALGS}, error="invalid_dpop_proof", error_description="The DPoP proof is invalid."`);
  });

  it('answers 401 to a proof for another URL and to a replay', async () => {
    const wrongUrl = await send(`${origin}/messages`, { headers: { authorization: `DPoP ${token}`, dpop: await proof(key, { url: `${origin}/other`, token }) } });
    expect(wrongUrl.status).toBe(401);
    expect(wrongUrl.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const once = await proof(key, { url: `${origin}/messages`, token });
    expect((await send(`${origin}/messages`, { headers: { authorization: `DPoP ${token}`, dpop: once } })).status).toBe(200);
    const replay = await send(`${origin}/messages`, { headers: { authorization: `DPoP ${token}`, dpop: once } });
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']).toMatch(/DPoP algs="[^"]+", error="invalid_dpop_proof"/);
  });

  it('answers 401 invalid_token in the Bearer challenge to a DPoP-bound token sent as Bearer', async () => {
    const reply = await send(`${origin}/messages`, { headers: { authorization: `Bearer ${token}` } });
    expect(reply.status).toBe(401);
    expect(reply.json()).toMatchObject({ error: 'invalid_token' });
    expect(reply.headers['www-authenticate']).toMatch(new RegExp(`^Bearer error="invalid_token", error_description="[^"]+", DPoP ${ALGS}$`));
  });

  it('answers 401 with both challenges and no error to a request without a token', async () => {
    const reply = await send(`${origin}/messages`);
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe(`Bearer, DPoP ${ALGS}`);
  });
});

describe('nonces through the Express adapter', () => {
  let nonceServer: Server;
  let nonceOrigin: string;

  beforeAll(async () => {
    const app = express();
    app.use(authenticate(issuer.options({ dpop: { required: true, nonce: { secret: 'n'.repeat(32) } } })));
    app.get('/messages', (req, res) => {
      res.json({ binding: req.auth?.binding });
    });
    nonceServer = createServer(app);
    await new Promise<void>((resolve) => nonceServer.listen(0, '127.0.0.1', resolve));
    nonceOrigin = `http://127.0.0.1:${(nonceServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    nonceServer.closeAllConnections();
    await new Promise((resolve) => nonceServer.close(resolve));
  });

  it('answers use_dpop_nonce with DPoP-Nonce, then 200 to the retry', async () => {
    const url = `${nonceOrigin}/messages`;
    const first = await send(url, { headers: { authorization: `DPoP ${token}`, dpop: await proof(key, { url, token }) } });
    expect(first.status).toBe(401);
    expect(first.json()).toMatchObject({ error: 'use_dpop_nonce' });
    expect(first.headers['www-authenticate']).toMatch(new RegExp(`^DPoP ${ALGS}, error="use_dpop_nonce", error_description="[^"]+"$`));
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toBeTruthy();
    const retry = await send(url, { headers: { authorization: `DPoP ${token}`, dpop: await proof(key, { url, token, claims: { nonce } }) } });
    expect(retry.status).toBe(200);
    expect(retry.json()).toEqual({ binding: 'dpop' });
  });
});
