/**
 * Attack class: replaying a DPoP proof (RFC 9449 §11.1). A proof is accepted once: again later,
 * fifty times at once, in another base64url spelling (RFC 4648 §3.5), or after a flood meant to
 * push it out of the bounded store. And the store's bound is no weapon: one client's flood of
 * proofs with a future `iat` cannot make another client's fresh proof fail (issue 12). Both
 * crypto backends.
 */
import { describe, expect, it } from 'vitest';
import { MemoryReplayStore } from '../../src/binding/replay-store.js';
import { mint, respellings, withSegment } from '../helpers/tokens.js';
import { proof, proofKey } from '../helpers/proofs.js';
import { BACKENDS, SIGNING_KEYS, attackedVerifier, outcomeOf, refusalOf } from './support.js';

const URL_ = 'https://api.example.com/orders';

async function client() {
  const key = await proofKey();
  const token = mint({ cnf: { jkt: key.jkt } }, { key: SIGNING_KEYS[0] });
  return { key, token, proof: (claims: Record<string, unknown> = {}) => proof(key, { url: URL_, token, claims }) };
}

describe.each(BACKENDS)('on the %s backend', (_name, backend) => {
  const context = (dpopProof: string) => ({ scheme: 'DPoP' as const, method: 'GET', url: URL_, dpopProof });

  it('refuses a proof used a second time (RFC 9449 §11.1)', async () => {
    const verifier = attackedVerifier(backend, { dpop: {} });
    const { token, proof: makeProof } = await client();
    const once = await makeProof();
    await expect(verifier.verify(token, context(once))).resolves.toMatchObject({ binding: 'dpop' });
    expect((await refusalOf(verifier.verify(token, context(once)))).reason).toMatch(/already used \(replay\)/);
  });

  it('accepts exactly one of fifty concurrent uses of one proof (RFC 9449 §11.1)', async () => {
    const verifier = attackedVerifier(backend, { dpop: {} });
    const { token, proof: makeProof } = await client();
    const once = await makeProof();
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => outcomeOf(verifier.verify(token, context(once)))));
    expect(outcomes.filter((outcome) => 'accepted' in outcome)).toHaveLength(1);
  });

  it('refuses a used proof respelled in base64url, which a store keyed on the string would miss (RFC 4648 §3.5)', async () => {
    const verifier = attackedVerifier(backend, { dpop: {} });
    const { token, proof: makeProof } = await client();
    const once = await makeProof();
    await verifier.verify(token, context(once));
    const respelled = respellings(once.split('.')[2] as string).map((spelling) => withSegment(once, 2, () => spelling));
    expect(respelled.length).toBeGreaterThan(0);
    for (const replay of respelled) await refusalOf(verifier.verify(token, context(replay)));
  });

  it('refuses a replay after a flood that filled the store (RFC 9449 §11.1)', async () => {
    const verifier = attackedVerifier(backend, { dpop: { replayStore: new MemoryReplayStore({ maxEntries: 20 }) } });
    const { token, proof: makeProof } = await client();
    const first = await makeProof();
    await verifier.verify(token, context(first));
    for (let i = 0; i < 60; i++) await outcomeOf(verifier.verify(token, context(await makeProof())));
    await refusalOf(verifier.verify(token, context(first)));
  });

  it("does not let one client's flood of future-iat proofs lock another client out (issue 12)", async () => {
    const verifier = attackedVerifier(backend, { dpop: { replayStore: new MemoryReplayStore({ maxEntries: 20 }) } });
    const attacker = await client();
    const victim = await client();
    const future = Math.floor(Date.now() / 1000) + 59;
    for (let i = 0; i < 60; i++) await outcomeOf(verifier.verify(attacker.token, context(await attacker.proof({ iat: future }))));
    await expect(verifier.verify(victim.token, context(await victim.proof()))).resolves.toMatchObject({ binding: 'dpop' });
  });
});
