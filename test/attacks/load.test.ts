/**
 * A bounded load test through the Express adapter on 127.0.0.1: for a few seconds, concurrent
 * requests mix valid tokens (repeated, so the result cache serves some), forged signatures,
 * expired tokens, tokens for another API, garbage, missing credentials, DPoP-bound tokens with
 * fresh proofs, replayed proofs, and bound tokens sent as Bearer. Every answer is checked
 * against what that request deserves: zero wrong decisions, zero 5xx, and the heap after the
 * run within a fixed bound of the heap after warm-up.
 */
import { Agent, request as httpRequest } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../adapters/express.js';
import { proof, proofKey, type ProofKey } from '../helpers/proofs.js';
import { listen, type RunningServer } from '../helpers/http.js';
import { keyFor } from '../helpers/keys.js';
import { AUDIENCE, ISSUER, mint, withSegment } from '../helpers/tokens.js';

const DURATION_MS = 3000;
const CONCURRENCY = 16;
const HEAP_BOUND_BYTES = 32 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const signing = keyFor('ES256');
let server: RunningServer;
let port: number;
let client: ProofKey;
let boundToken: string;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

interface Case {
  name: string;
  headers(): Promise<Record<string, string>>;
  status: number;
  /** What the body must hold. */
  body: Record<string, unknown>;
}

let cases: Case[];

beforeAll(async () => {
  client = await proofKey();
  boundToken = mint({ cnf: { jkt: client.jkt } }, { key: signing });
  const app = express();
  app.use(authenticate({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: { keys: [signing.jwk] }, dpop: {}, resultCache: true }));
  app.get('/data', (req, res) => res.json({ sub: req.auth?.subject, binding: req.auth?.binding }));
  server = await listen(app);
  port = Number(new URL(server.origin).port);
  const url = `http://127.0.0.1:${port}/data`;

  const valid = Array.from({ length: 20 }, (_, i) => mint({ sub: `user-${i}` }, { key: signing }));
  const forged = valid.map((token) => withSegment(token, 1, (payload) => Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'admin' })).toString('base64url')));
  const expired = mint({ exp: Math.floor(Date.now() / 1000) - 60 }, { key: signing });
  const otherApi = mint({ aud: 'https://other.example.com' }, { key: signing });
  const usedProof = await proof(client, { url, token: boundToken });
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)] as T;
  const bearer = (token: string) => async () => ({ authorization: `Bearer ${token}` });
  const refused = (error: string) => ({ error });

  cases = [
    { name: 'valid', headers: async () => ({ authorization: `Bearer ${pick(valid)}` }), status: 200, body: { binding: 'bearer' } },
    { name: 'forged', headers: async () => ({ authorization: `Bearer ${pick(forged)}` }), status: 401, body: refused('invalid_token') },
    { name: 'expired', headers: bearer(expired), status: 401, body: refused('invalid_token') },
    { name: 'other API', headers: bearer(otherApi), status: 401, body: refused('invalid_token') },
    { name: 'garbage', headers: bearer('not.a.token'), status: 401, body: refused('invalid_token') },
    { name: 'no credentials', headers: async () => ({}), status: 401, body: {} },
    { name: 'DPoP, fresh proof', headers: async () => ({ authorization: `DPoP ${boundToken}`, dpop: await proof(client, { url, token: boundToken }) }), status: 200, body: { binding: 'dpop' } },
    { name: 'DPoP, replayed proof', headers: async () => ({ authorization: `DPoP ${boundToken}`, dpop: usedProof }), status: 401, body: refused('invalid_dpop_proof') },
    { name: 'bound token as Bearer', headers: bearer(boundToken), status: 401, body: refused('invalid_token') },
  ];
  // The replayed proof's first use, so every later one is a replay.
  await send({ authorization: `DPoP ${boundToken}`, dpop: usedProof });
});

afterAll(async () => {
  agent.destroy();
  await server.close();
});

function send(headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, path: '/data', method: 'GET', headers, agent }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('the Express adapter under a mixed load', () => {
  it('makes no wrong decision and no 5xx, and keeps its heap bounded', async () => {
    const wrong: string[] = [];
    const counts = new Map<string, number>();
    let serverErrors = 0;
    let sent = 0;

    async function worker(until: number, offset: number) {
      for (let i = offset; Date.now() < until; i += CONCURRENCY) {
        const testCase = cases[i % cases.length] as Case;
        const reply = await send(await testCase.headers());
        sent++;
        counts.set(testCase.name, (counts.get(testCase.name) ?? 0) + 1);
        if (reply.status >= 500) serverErrors++;
        const matches = reply.status === testCase.status && Object.entries(testCase.body).every(([name, value]) => reply.body[name] === value);
        if (!matches && wrong.length < 10) wrong.push(`${testCase.name}: ${reply.status} ${JSON.stringify(reply.body)}`);
      }
    }
    const run = (ms: number) => {
      const until = Date.now() + ms;
      return Promise.all(Array.from({ length: CONCURRENCY }, (_, offset) => worker(until, offset)));
    };

    await run(500); // warm-up: caches filled, code optimised
    gc();
    const heapAfterWarmUp = process.memoryUsage().heapUsed;
    await run(DURATION_MS);
    gc();
    const heapGrowth = process.memoryUsage().heapUsed - heapAfterWarmUp;

    console.log(`load: ${sent} requests in ${DURATION_MS + 500} ms, heap growth ${(heapGrowth / 1024 / 1024).toFixed(1)} MiB`, Object.fromEntries(counts));
    expect(wrong).toEqual([]);
    expect(serverErrors).toBe(0);
    expect(counts.size).toBe(cases.length);
    expect(heapGrowth).toBeLessThan(HEAP_BOUND_BYTES);
  });
});
