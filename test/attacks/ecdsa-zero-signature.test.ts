/**
 * Attack class: ECDSA "psychic signatures" (CVE-2022-21449): a verifier that does not check
 * 0 < r, s < n accepts r = s = 0 for any message and key. Both crypto backends, every ECDSA
 * algorithm: zero values, the group order n itself, and r = s = n.
 */
import { describe, expect, it } from 'vitest';
import { b64url, keyFor } from '../helpers/keys.js';
import { mint } from '../helpers/tokens.js';
import { BACKENDS, attackedVerifier, refusalOf } from './support.js';

/** Curve orders n (SEC 2), big-endian hex. */
const ORDERS = {
  ES256: 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  ES384: 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
  ES512: '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
} as const;
const SIZES = { ES256: 32, ES384: 48, ES512: 66 } as const;

function forged(token: string, r: Uint8Array, s: Uint8Array): string {
  return `${token.slice(0, token.lastIndexOf('.'))}.${b64url(Buffer.concat([r, s]))}`;
}

describe.each(BACKENDS)('on the %s backend', (_name, backend) => {
  it.each(['ES256', 'ES384', 'ES512'] as const)('refuses %s signatures with r or s zero or the group order (CVE-2022-21449)', async (alg) => {
    const key = keyFor(alg);
    const verifier = attackedVerifier(backend, { algorithms: [alg], keys: { keys: [key.jwk] }, secret: undefined });
    const token = mint({}, { key });
    await expect(verifier.verify(token)).resolves.toBeDefined();
    const zero = new Uint8Array(SIZES[alg]);
    const order = Buffer.from(ORDERS[alg].padStart(SIZES[alg] * 2, '0'), 'hex');
    const one = new Uint8Array(SIZES[alg]);
    one[one.length - 1] = 1;
    for (const [r, s] of [[zero, zero], [zero, one], [one, zero], [order, order], [order, one], [one, order]] as const) {
      expect((await refusalOf(verifier.verify(forged(token, r, s)))).reason).toMatch(/signature does not verify|not base64url/);
    }
  });
});
