/**
 * Attack class: the token chooses how it is checked. `alg: none` (CVE-2015-9235; RFC 8725 §2.1,
 * §3.1) and algorithm confusion, an RS256 public key used as an HS256 secret (CVE-2016-10555;
 * RFC 8725 §2.1, §3.1). Both crypto backends.
 */
import { describe, expect, it } from 'vitest';
import { b64url, encodeJson, keyFor, signJws } from '../helpers/keys.js';
import { auth0Claims } from '../helpers/tokens.js';
import { BACKENDS, attackedVerifier, refusalOf } from './support.js';

const rs256 = keyFor('RS256');
const unsecured = (alg: string, signature = '') => `${encodeJson({ alg, typ: 'JWT' })}.${encodeJson(auth0Claims())}.${signature}`;

describe.each(BACKENDS)('on the %s backend', (_name, backend) => {
  const verifier = attackedVerifier(backend);

  it('refuses an unsecured token, alg none with an empty signature (CVE-2015-9235)', async () => {
    expect((await refusalOf(verifier.verify(unsecured('none')))).code).toBe('invalid_token');
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s with a signature attached (CVE-2015-9235)', async (alg) => {
    expect((await refusalOf(verifier.verify(unsecured(alg, b64url('x'.repeat(32)))))).reason).toMatch(/not in the allow-list/);
  });

  it('refuses an HS256 token MACed with the RS256 public key, though HS256 is allowed (CVE-2016-10555)', async () => {
    const publicPem = rs256.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    for (const kid of [rs256.kid, undefined]) {
      const confused = signJws({ alg: 'HS256', kid, typ: 'JWT' }, auth0Claims(), publicPem);
      expect((await refusalOf(verifier.verify(confused))).reason).toMatch(/signature does not verify/);
    }
  });

  it('refuses an HS256 token MACed with the JWK of a public key (CVE-2016-10555, JWK form)', async () => {
    const confused = signJws({ alg: 'HS256', kid: rs256.kid, typ: 'JWT' }, auth0Claims(), JSON.stringify(rs256.jwk));
    expect((await refusalOf(verifier.verify(confused))).reason).toMatch(/signature does not verify/);
  });

  it('refuses a token signed under another algorithm than its key is published for (RFC 8725 §3.1)', async () => {
    const token = signJws({ alg: 'PS256', kid: rs256.kid }, auth0Claims(), rs256.privateKey);
    expect((await refusalOf(attackedVerifier(backend, { algorithms: ['RS256', 'PS256'], secret: undefined }).verify(token))).reason).toMatch(/the key is for RS256/);
  });
});
