/**
 * Attack class: `kid` as an injection vector (RFC 8725 §3.10: a kid used in a file path, a
 * query or a command). A kid here only ever selects among keys by exact string comparison: a
 * hostile kid is refused as unknown, costs at most one JWKS fetch per cooldown, and appears in
 * the reason quoted and escaped. Static keys on both backends, and a real remote JWKS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js';
import { keyFor } from '../helpers/keys.js';
import { mint } from '../helpers/tokens.js';
import { BACKENDS, SIGNING_KEYS, attackedVerifier, refusalOf } from './support.js';
import { nodeCrypto } from '../../src/crypto/node.js';

const attacker = keyFor('RS256', 'attacker-key');
const HOSTILE_KIDS = [
  '../../../../dev/null',
  "' OR '1'='1' --",
  '$(curl attacker.test)',
  'rs256-key\u0000',
  'rs256-key\r\nINFO accepted token for admin',
  ` ${SIGNING_KEYS[0].kid} `,
  'k'.repeat(10_000),
  '\u202erevoked\u202c',
];

describe.each(BACKENDS)('with static keys on the %s backend', (_name, backend) => {
  const verifier = attackedVerifier(backend);

  it.each(HOSTILE_KIDS.map((kid) => [JSON.stringify(kid).slice(0, 40), kid]))('refuses kid %s as naming no key (RFC 8725 §3.10)', async (_shown, kid) => {
    const error = await refusalOf(verifier.verify(mint({}, { key: attacker, header: { kid } })));
    expect(error.reason).toMatch(/no configured key has kid "/);
    expect(error.reason.length).toBeLessThan(300);
  });
});

describe('with a remote JWKS', () => {
  let server: JwksServer;
  beforeAll(async () => {
    server = await startJwksServer();
    server.route('/jwks', { json: { keys: [SIGNING_KEYS[0].jwk] } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses every hostile kid for at most one fetch, reasons quoted (RFC 8725 §3.10)', async () => {
    const verifier = attackedVerifier(nodeCrypto, { keys: undefined, jwksUri: server.url('/jwks'), algorithms: ['RS256'], secret: undefined });
    await verifier.verify(mint());
    for (const kid of HOSTILE_KIDS) {
      const error = await refusalOf(verifier.verify(mint({}, { key: attacker, header: { kid } })));
      expect(error.reason).toMatch(/no key with kid "/);
    }
    // The startup fetch, and at most one that an unknown kid may trigger.
    expect(server.hits('/jwks')).toBeLessThanOrEqual(2);
  });
});
