/**
 * The Redis replay store against a real redis-server started by the test: a proof accepted by
 * instance A is refused by instance B sharing the Redis, keys expire by our clock, one client's
 * flood leaves the others alone,
 * concurrent uses of one proof let exactly one through, and an unreachable Redis is our 503.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisReplayStore, ReplayStoreUnavailableError, createVerifier, type Verifier } from '../../src/index.js';
import { proof, proofKey, type ProofKey } from '../helpers/proofs.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { createTestIssuer, type TestIssuer } from '../helpers/tokens.js';

const URL_ = 'https://api.binding.test/orders';

let redis: RedisServer;
const clients: Redis[] = [];
let issuer: TestIssuer;
let key: ProofKey;
let token: string;

beforeAll(async () => {
  redis = await startRedis();
  issuer = await createTestIssuer();
  key = await proofKey();
  token = await issuer.mint({ cnf: { jkt: key.jkt } });
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis?.stop();
});

/** One API instance: its own verifier, its own Redis connection, the shared Redis. */
function instance(prefix = 'test:'): Verifier {
  const client = redis.client();
  clients.push(client);
  return createVerifier(issuer.options({ dpop: { replayStore: new RedisReplayStore(client, { prefix }) } }));
}

const request = (dpop: string) => ({ method: 'POST', url: URL_, headers: { authorization: `DPoP ${token}`, dpop } });

describe('RedisReplayStore', () => {
  it('refuses on instance B a proof already used on instance A', async () => {
    const a = instance();
    const b = instance();
    const once = await proof(key, { url: URL_, token, method: 'POST' });
    expect((await a.verifyRequest(request(once))).binding).toBe('dpop');
    const error = await b.verifyRequest(request(once)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid_dpop_proof', status: 401, reason: expect.stringMatching(/replay/) });
    expect((error as { headers: Record<string, string> }).headers['WWW-Authenticate']).toMatch(/^Bearer, DPoP algs="[^"]+", error="invalid_dpop_proof"/);
    // A fresh proof still works on B.
    expect((await b.verifyRequest(request(await proof(key, { url: URL_, token, method: 'POST' })))).binding).toBe('dpop');
  });

  it('stores one key per proof, under the prefix, living 2 × iatWindow by our clock whatever the proof says its iat is', async () => {
    const verifier = instance('expiry:');
    const probe = redis.client();
    clients.push(probe);
    // Far from the edges of the 60 s window, so a slow machine cannot push a proof out of it.
    for (const offset of [+50, -50]) {
      const iat = Math.floor(Date.now() / 1000) + offset;
      await verifier.verifyRequest(request(await proof(key, { url: URL_, token, method: 'POST', claims: { iat } })));
    }
    const keys = await probe.keys('expiry:*');
    expect(keys).toHaveLength(2);
    for (const stored of keys) {
      expect(stored).toMatch(new RegExp(`^expiry:${key.jkt}\\.[A-Za-z0-9_-]{43}$`));
      const ttl = await probe.pttl(stored);
      // The default 60 s window: 120 s from arrival, give or take the time the test took.
      expect(ttl).toBeGreaterThan(110_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
    }
  });

  it("does not let one client's flood of future-iat proofs make another client's fresh proof fail", async () => {
    const verifier = instance('flood:');
    const attacker = await proofKey();
    const attackerToken = await issuer.mint({ cnf: { jkt: attacker.jkt } });
    const future = Math.floor(Date.now() / 1000) + 59;
    for (let i = 0; i < 200; i++) {
      const flood = await proof(attacker, { url: URL_, token: attackerToken, method: 'POST', claims: { iat: future } });
      await verifier.verifyRequest({ method: 'POST', url: URL_, headers: { authorization: `DPoP ${attackerToken}`, dpop: flood } });
    }
    expect((await verifier.verifyRequest(request(await proof(key, { url: URL_, token, method: 'POST' })))).binding).toBe('dpop');
  });

  it('lets exactly one of many concurrent uses of a proof through', async () => {
    const verifiers = [instance('race:'), instance('race:'), instance('race:')];
    const once = await proof(key, { url: URL_, token, method: 'POST' });
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (verifiers[i % 3] as Verifier).verifyRequest(request(once))));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
  });

  it('answers 503 (never accepts) when Redis cannot be reached in time', async () => {
    const unreachable = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: true, retryStrategy: () => 1000 });
    unreachable.on('error', () => {});
    clients.push(unreachable);
    const verifier = createVerifier(issuer.options({ dpop: { replayStore: new RedisReplayStore(unreachable, { timeout: 200 }) } }));
    const error = await verifier.verifyRequest(request(await proof(key, { url: URL_, token, method: 'POST' }))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReplayStoreUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'temporarily_unavailable', headers: { 'Retry-After': '1' } });
  });

  it('answers 503 when Redis answers with an error', async () => {
    const failing = { set: async () => Promise.reject(new Error('READONLY You can\'t write against a read only replica.')) };
    const verifier = createVerifier(issuer.options({ dpop: { replayStore: new RedisReplayStore(failing) } }));
    const error = await verifier.verifyRequest(request(await proof(key, { url: URL_, token, method: 'POST' }))).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 503, reason: expect.stringMatching(/READONLY/) });
  });

  it('refuses a client without set() and bad options at startup', () => {
    expect(() => new RedisReplayStore({} as never)).toThrow(TypeError);
    const client = redis.client();
    clients.push(client);
    expect(() => new RedisReplayStore(client, { timeout: 0 })).toThrow(TypeError);
  });
});
