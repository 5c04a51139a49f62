/**
 * Attack class: critical header parameters (RFC 7515 §4.1.11). A token may demand that the
 * verifier understand an extension; this library implements none, so any `crit`, in a JWS or a
 * JWE (RFC 7516 §4.1.13) header, refuses the token — including `b64` (RFC 7797), which would
 * change what the signature covers. Both crypto backends.
 */
import { describe, expect, it } from 'vitest';
import { encodeJson } from '../helpers/keys.js';
import { mint, withSegment } from '../helpers/tokens.js';
import { BACKENDS, attackedVerifier, encryptToken, refusalOf } from './support.js';

describe.each(BACKENDS)('on the %s backend', (_name, backend) => {
  const verifier = attackedVerifier(backend);

  it.each([
    ['an unknown extension', { crit: ['urn:example:policy'], 'urn:example:policy': 'strict' }],
    ['b64 (RFC 7797)', { crit: ['b64'], b64: false }],
    ['an empty list', { crit: [] }],
    ['a string instead of a list', { crit: 'exp' }],
  ])('refuses a JWS whose crit names %s (RFC 7515 §4.1.11)', async (_case, header) => {
    expect((await refusalOf(verifier.verify(mint({}, { header })))).reason).toMatch(/critical/);
  });

  it('refuses a JWE whose protected header has crit, before decrypting (RFC 7516 §4.1.13)', async () => {
    // jose will not encrypt under a crit it does not know: the header is swapped in afterwards.
    const token = withSegment(await encryptToken(mint()), 0, () => encodeJson({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', crit: ['exp'], exp: 1 }));
    expect((await refusalOf(verifier.verify(token))).reason).toMatch(/critical/);
  });
});
