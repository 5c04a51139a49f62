/**
 * The in-memory replay store: once per id, expiry, the bound that never lets a replay through,
 * and accounting per proof key, so that no client's flood makes another client's proof fail.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryReplayStore, createVerifier, type ReplayStore, type Verifier } from '../../src/index.js';
import { proof, proofKey, type ProofKey } from '../helpers/proofs.js';
import { createTestIssuer, type TestIssuer } from '../helpers/tokens.js';

const inAMinute = () => Date.now() + 60_000;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const URL_ = 'https://api.binding.test/x';

describe('MemoryReplayStore', () => {
  it('answers true the first time and false after, until the entry expires', async () => {
    const store = new MemoryReplayStore();
    // Generous margins: a loaded CI worker can pause for a GC between two lines.
    const expiresAt = Date.now() + 1000;
    expect(store.markUsed('a', expiresAt)).toBe(true);
    expect(store.markUsed('a', expiresAt)).toBe(false);
    expect(store.markUsed('b', expiresAt)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Past its deadline the proof fails the iat check anyway; the id may be used again.
    expect(store.markUsed('a', Date.now() + 1000)).toBe(true);
  });

  it("accepts an id again once its own entry expired, though a key's later proofs are still remembered", async () => {
    const store = new MemoryReplayStore();
    const key = { keyThumbprint: 'k', iat: nowSeconds() };
    expect(store.markUsed('k.long', Date.now() + 60_000, key)).toBe(true);
    expect(store.markUsed('k.short', Date.now() + 100, key)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(store.markUsed('k.short', Date.now() + 60_000, key)).toBe(true);
    expect(store.markUsed('k.long', Date.now() + 60_000, key)).toBe(false);
    expect(store.size).toBe(2);
  });

  it("forgets a key's expired proofs when the key is next used, keeping its live ones", async () => {
    const store = new MemoryReplayStore();
    const key = { keyThumbprint: 'k', iat: nowSeconds() };
    expect(store.markUsed('k.1', Date.now() + 100, key)).toBe(true);
    expect(store.markUsed('k.2', Date.now() + 60_000, key)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(store.markUsed('k.3', Date.now() + 60_000, key)).toBe(true);
    expect(store.size).toBe(2);
    expect(store.markUsed('k.2', Date.now() + 60_000, key)).toBe(false);
  });

  it('holds at most maxEntries ids', () => {
    const store = new MemoryReplayStore({ maxEntries: 3 });
    const base = inAMinute();
    for (let i = 0; i < 10; i++) expect(store.markUsed(`id-${i}`, base + i)).toBe(true);
    expect(store.size).toBe(3);
  });

  it('holds at most maxEntries ids when every proof comes from another key', () => {
    const store = new MemoryReplayStore({ maxEntries: 3 });
    for (let i = 0; i < 50; i++) store.markUsed(`id-${i}`, inAMinute(), { keyThumbprint: `key-${i}`, iat: nowSeconds() });
    expect(store.size).toBe(3);
  });

  it('when full, refuses a replay of a forgotten id, and keeps accepting fresher proofs', () => {
    const store = new MemoryReplayStore({ maxEntries: 2 });
    const base = inAMinute();
    expect(store.markUsed('old', base)).toBe(true);
    expect(store.markUsed('mid', base + 1000)).toBe(true);
    expect(store.markUsed('new', base + 2000)).toBe(true); // forgets "old"
    expect(store.size).toBe(2);
    expect(store.markUsed('old', base)).toBe(false); // the replay carries the same deadline
    expect(store.markUsed('other-as-old', base)).toBe(false); // indistinguishable from a replay: refused
    expect(store.markUsed('fresh', base + 3000)).toBe(true);
  });

  it("evicts the flooding key's own proofs and refuses their replays, leaving other keys' proofs remembered", () => {
    const store = new MemoryReplayStore({ maxEntries: 10 });
    const now = nowSeconds();
    const victim = { keyThumbprint: 'victim', iat: now };
    expect(store.markUsed('victim.1', inAMinute(), victim)).toBe(true);
    // Once its first proof is forgotten, the flooder's later ones with that iat are refused: its own cost.
    for (let i = 0; i < 100; i++) store.markUsed(`flood.${i}`, inAMinute(), { keyThumbprint: 'flood', iat: now + 59 });
    expect(store.size).toBe(10);
    // The flooder's forgotten proofs cannot come back…
    expect(store.markUsed('flood.0', inAMinute(), { keyThumbprint: 'flood', iat: now + 59 })).toBe(false);
    // …the victim's proof is still remembered (its replay refused), and its fresh proofs pass.
    expect(store.markUsed('victim.1', inAMinute(), victim)).toBe(false);
    expect(store.markUsed('victim.2', inAMinute(), victim)).toBe(true);
    expect(store.markUsed('newcomer.1', inAMinute(), { keyThumbprint: 'newcomer', iat: now })).toBe(true);
  });

  it('refuses the replay of a proof whose key was forgotten whole (more keys than entries)', () => {
    const store = new MemoryReplayStore({ maxEntries: 2 });
    const now = nowSeconds();
    expect(store.markUsed('a.1', inAMinute(), { keyThumbprint: 'a', iat: now })).toBe(true);
    expect(store.markUsed('b.1', inAMinute(), { keyThumbprint: 'b', iat: now })).toBe(true);
    expect(store.markUsed('c.1', inAMinute(), { keyThumbprint: 'c', iat: now })).toBe(true); // forgets a
    expect(store.markUsed('a.1', inAMinute(), { keyThumbprint: 'a', iat: now })).toBe(false);
  });

  it('refuses a bad maxEntries', () => {
    expect(() => new MemoryReplayStore({ maxEntries: 0 })).toThrow(TypeError);
    expect(() => new MemoryReplayStore({ maxEntries: 1.5 })).toThrow(TypeError);
  });
});

describe('the DPoP check and its replay store', () => {
  let issuer: TestIssuer;
  let victim: ProofKey;
  let victimToken: string;
  let attacker: ProofKey;
  let attackerToken: string;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    victim = await proofKey();
    victimToken = await issuer.mint({ cnf: { jkt: victim.jkt } });
    attacker = await proofKey();
    attackerToken = await issuer.mint({ cnf: { jkt: attacker.jkt } });
  });

  const send = async (verifier: Verifier, dpop: string, token: string) =>
    verifier.verifyRequest({ method: 'GET', url: URL_, headers: { authorization: `DPoP ${token}`, dpop } });

  it("does not let one client's flood of future-iat proofs make another client's fresh proof fail (issue 12)", async () => {
    const verifier = createVerifier(issuer.options({ dpop: { replayStore: new MemoryReplayStore({ maxEntries: 100 }) } }));
    const future = nowSeconds() + 59;
    const floodOutcomes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const outcome = await send(verifier, await proof(attacker, { url: URL_, token: attackerToken, claims: { iat: future } }), attackerToken).then(
        (result) => result.binding,
        (error: { code: string }) => error.code,
      );
      floodOutcomes.add(outcome);
    }
    // The flood fills the store and then costs the flooder its own proofs, nothing else.
    expect([...floodOutcomes].sort()).toEqual(['dpop', 'invalid_dpop_proof']);
    expect((await send(verifier, await proof(victim, { url: URL_, token: victimToken }), victimToken)).binding).toBe('dpop');
  });

  it("gives the store the key's thumbprint and the proof's iat, and an expiry set by the server's clock, not by iat", async () => {
    const calls: { id: string; expiresAt: number; keyThumbprint: string; iat: number }[] = [];
    const recording: ReplayStore = {
      markUsed: (id, expiresAt, proof) => {
        calls.push({ id, expiresAt, ...proof });
        return true;
      },
    };
    const verifier = createVerifier(issuer.options({ dpop: { replayStore: recording, iatWindow: 60 } }));
    // Far from the edges of the 60 s window, so a slow machine cannot push a proof out of it.
    for (const offset of [+50, -50]) {
      const iat = nowSeconds() + offset;
      const before = Date.now();
      await send(verifier, await proof(victim, { url: URL_, token: victimToken, claims: { iat } }), victimToken);
      const call = calls.at(-1)!;
      expect(call).toMatchObject({ keyThumbprint: victim.jkt, iat, id: expect.stringMatching(new RegExp(`^${victim.jkt}\\.`)) });
      expect(call.expiresAt).toBeGreaterThanOrEqual(before + 120_000);
      expect(call.expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    }
  });
});

describe('a custom replay store', () => {
  it('that throws or answers anything but true refuses the request, never accepts it', async () => {
    const { ReplayStoreUnavailableError } = await import('../../src/index.js');
    const issuer = await createTestIssuer();
    const key = await proofKey();
    const token = await issuer.mint({ cnf: { jkt: key.jkt } });
    const call = async (markUsed: () => unknown) =>
      createVerifier(issuer.options({ dpop: { replayStore: { markUsed } as never } }))
        .verify(token, { scheme: 'DPoP', method: 'GET', url: URL_, dpopProof: await proof(key, { url: URL_, token }) })
        .catch((error: unknown) => error);
    expect(await call(() => {
      throw new Error('disk full');
    })).toBeInstanceOf(ReplayStoreUnavailableError);
    expect(await call(async () => Promise.reject(new Error('down')))).toMatchObject({ status: 503, reason: expect.stringMatching(/down/) });
    expect(await call(() => 'yes')).toMatchObject({ code: 'invalid_dpop_proof', reason: expect.stringMatching(/replay/) });
    expect(await call(() => true)).toMatchObject({ binding: 'dpop' });
  });
});
