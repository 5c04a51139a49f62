/** The in-memory replay store: once per id, expiry, and the bound that never lets a replay through. */
import { describe, expect, it } from 'vitest';
import { MemoryReplayStore } from '../../src/index.js';

const inAMinute = () => Date.now() + 60_000;

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

  it('holds at most maxEntries ids', () => {
    const store = new MemoryReplayStore({ maxEntries: 3 });
    const base = inAMinute();
    for (let i = 0; i < 10; i++) expect(store.markUsed(`id-${i}`, base + i)).toBe(true);
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

  it('refuses a bad maxEntries', () => {
    expect(() => new MemoryReplayStore({ maxEntries: 0 })).toThrow(TypeError);
    expect(() => new MemoryReplayStore({ maxEntries: 1.5 })).toThrow(TypeError);
  });
});

describe('a custom replay store', () => {
  it('that throws or answers anything but true refuses the request, never accepts it', async () => {
    const { createVerifier, ReplayStoreUnavailableError } = await import('../../src/index.js');
    const { createTestIssuer } = await import('./support/tokens.js');
    const { proof, proofKey } = await import('./support/proofs.js');
    const issuer = await createTestIssuer();
    const key = await proofKey();
    const token = await issuer.mint({ cnf: { jkt: key.jkt } });
    const url = 'https://api.binding.test/x';
    const call = async (markUsed: () => unknown) =>
      createVerifier(issuer.options({ dpop: { replayStore: { markUsed } as never } }))
        .verify(token, { scheme: 'DPoP', method: 'GET', url, dpopProof: await proof(key, { url, token }) })
        .catch((error: unknown) => error);
    expect(await call(() => {
      throw new Error('disk full');
    })).toBeInstanceOf(ReplayStoreUnavailableError);
    expect(await call(async () => Promise.reject(new Error('down')))).toMatchObject({ status: 503, reason: expect.stringMatching(/down/) });
    expect(await call(() => 'yes')).toMatchObject({ code: 'invalid_dpop_proof', reason: expect.stringMatching(/replay/) });
    expect(await call(() => true)).toMatchObject({ binding: 'dpop' });
  });
});
