/**
 * Attack class: the token brings its own key. An embedded `jwk` (CVE-2018-0114), a `jku` or
 * `x5u` URL (RFC 7515 §4.1.2, §4.1.5; RFC 8725 §3.10) and an `x5c` chain (RFC 7515 §4.1.6) play
 * no part: keys come from configuration only, and no URL in a token is ever fetched. Both
 * crypto backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFor } from '../helpers/keys.js';
import { countingJsonServer } from '../helpers/http.js';
import { mint } from '../helpers/tokens.js';
import { BACKENDS, SIGNING_KEYS, attackedVerifier, refusalOf } from './support.js';

const attacker = keyFor('RS256', 'attacker-key');
const trusted = SIGNING_KEYS[0];
let attackerServer: Awaited<ReturnType<typeof countingJsonServer>>;

beforeAll(async () => {
  attackerServer = await countingJsonServer({ keys: [attacker.jwk] });
});
afterAll(async () => {
  await attackerServer.close();
});

describe.each(BACKENDS)('on the %s backend', (_name, backend) => {
  const verifier = attackedVerifier(backend);

  it("ignores an embedded jwk with the attacker's key, named by its kid or by a trusted one (CVE-2018-0114)", async () => {
    for (const kid of [attacker.kid, trusted.kid, undefined]) {
      const token = mint({}, { key: attacker, header: { kid, jwk: attacker.jwk } });
      expect((await refusalOf(verifier.verify(token))).code).toBe('invalid_token');
    }
  });

  it.each(['jku', 'x5u'])('never fetches the %s URL a token names (RFC 8725 §3.10)', async (member) => {
    const url = `${attackerServer.origin}/jwks.json`;
    for (const kid of [attacker.kid, trusted.kid]) {
      await refusalOf(verifier.verify(mint({}, { key: attacker, header: { kid, [member]: url } })));
    }
    expect(attackerServer.hits).toBe(0);
  });

  it("ignores an x5c chain carrying the attacker's key (RFC 7515 §4.1.6)", async () => {
    const der = attacker.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const token = mint({}, { key: attacker, header: { kid: trusted.kid, x5c: [der] } });
    expect((await refusalOf(verifier.verify(token))).reason).toMatch(/signature does not verify/);
  });
});
