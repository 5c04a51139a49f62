/**
 * Attack class: log injection (CWE-117). `reason` is meant to be logged, and a token's header or
 * claims are whatever the sender wrote. Every token-supplied value that reaches a reason — JWS
 * `alg`, `kid` (static and remote keys), `crit`; JWE `alg`, `enc`, `cty`, `kid`; `iss`, `aud`;
 * DPoP proof `typ`, `alg`, `htm`, `htu` — appears quoted with CR, LF and every other control
 * character escaped. Both crypto backends.
 */
import { describe, expect, it } from 'vitest';
import { b64url, encodeJson, keyFor, signJws } from '../helpers/keys.js';
import { auth0Claims, mint, withSegment } from '../helpers/tokens.js';
import { proof, proofKey } from '../helpers/proofs.js';
import { BACKENDS, DECRYPTION_KEY, SIGNING_KEYS, attackedVerifier, encryptToken, refusalOf } from './support.js';

const FORGED_LINE = 'x\r\n2026-01-01T00:00:00Z INFO token accepted for auth0|admin\u001b[0m';
const ESCAPED = JSON.stringify(FORGED_LINE);
const attacker = keyFor('RS256', 'attacker-key');

function jweWithHeader(header: Record<string, unknown>): string {
  return [encodeJson(header), b64url(Buffer.alloc(256, 1)), b64url(Buffer.alloc(12, 1)), b64url(Buffer.alloc(32, 1)), b64url(Buffer.alloc(16, 1))].join('.');
}

describe.each(BACKENDS)('on the %s backend', (_name, backend) => {
  const verifier = attackedVerifier(backend);
  const expectEscaped = async (token: string) => {
    const { reason } = await refusalOf(verifier.verify(token));
    expect(reason).toContain(ESCAPED);
    expect(reason).not.toMatch(/[\r\n\u001b]/);
  };

  it.each([
    ['the JWS alg', () => `${encodeJson({ alg: FORGED_LINE })}.${encodeJson(auth0Claims())}.${b64url('signature')}`],
    ['the JWS kid, with static keys', () => mint({}, { key: attacker, header: { kid: FORGED_LINE } })],
    ['the JWS crit', () => mint({}, { header: { crit: [FORGED_LINE] } })],
    ['the JWE alg', () => jweWithHeader({ alg: FORGED_LINE, enc: 'A256GCM', cty: 'JWT' })],
    ['the JWE enc', () => jweWithHeader({ alg: 'RSA-OAEP-256', enc: FORGED_LINE, cty: 'JWT' })],
    ['the JWE cty', () => jweWithHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: FORGED_LINE })],
    ['the JWE crit', () => jweWithHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', crit: [FORGED_LINE] })],
    ['the iss of a signed token', () => mint({ iss: FORGED_LINE })],
    ['the aud of a signed token', () => mint({ aud: FORGED_LINE })],
  ])('quotes and escapes %s in the reason (CWE-117)', async (_where, token) => {
    await expectEscaped(token());
  });

  it('quotes and escapes the JWE kid in the reason, when every decryption key has a kid (CWE-117)', async () => {
    const pem = DECRYPTION_KEY.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const named = attackedVerifier(backend, { decryptionKeys: [{ kid: 'enc-1', key: pem }] });
    const { reason } = await refusalOf(named.verify(jweWithHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: FORGED_LINE })));
    expect(reason).toContain(ESCAPED);
    expect(reason).not.toMatch(/[\r\n\u001b]/);
  });

  it('quotes and escapes the kid of an encrypted token signed by an unknown key (CWE-117)', async () => {
    await expectEscaped(await encryptToken(signJws({ alg: 'RS256', kid: FORGED_LINE }, auth0Claims(), attacker.privateKey)));
  });

  it.each(['typ', 'alg', 'htm', 'htu'])('quotes and escapes the DPoP proof %s in the reason (CWE-117)', async (member) => {
    const key = await proofKey();
    const token = mint({ cnf: { jkt: key.jkt } }, { key: SIGNING_KEYS[0] });
    const url = 'https://api.example.com/data';
    let dpopProof: string;
    if (member === 'alg') {
      // No key signs under a forged alg: the header lies about a real ES256 signature.
      const good = await proof(key, { url, token });
      dpopProof = withSegment(good, 0, () => encodeJson({ typ: 'dpop+jwt', alg: FORGED_LINE, jwk: key.publicJwk }));
    } else {
      dpopProof = await proof(key, {
        token,
        url: member === 'htu' ? FORGED_LINE : url,
        method: member === 'htm' ? FORGED_LINE : 'GET',
        header: member === 'typ' ? { typ: FORGED_LINE } : {},
      });
    }
    const dpopVerifier = attackedVerifier(backend, { dpop: {} });
    const { reason } = await refusalOf(dpopVerifier.verify(token, { scheme: 'DPoP', method: 'GET', url, dpopProof }));
    expect(reason).toContain(ESCAPED);
    expect(reason).not.toMatch(/[\r\n\u001b]/);
  });
});
