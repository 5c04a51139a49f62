/**
 * Choosing the one key that may verify a token, from a key set. Shared by every key source so
 * static and remote keys follow the same rules: the token names a key by `kid` and never
 * describes one (`jku`, `x5u`, `jwk`, `x5c` are ignored), and ambiguity is refused, not guessed.
 */
import { keyMismatch } from '../crypto/types.js';
import { invalidToken } from '../errors.js';
import { quote } from '../quote.js';
import type { JWK, JWTHeader } from '../types.js';

/**
 * Returns the key for this header, or `undefined` when the set holds no key with the token's
 * `kid` (the caller may refresh the set). Throws `invalid_token` when keys match the `kid` but
 * none can verify the token's `alg`, or when several can (an ambiguous set).
 */
export function selectKey(keys: readonly JWK[], header: JWTHeader): JWK | undefined {
  const { kid, alg } = header;
  // Every token passes here: one pass, no arrays, for the usual answer of exactly one key.
  let found: JWK | undefined;
  let usableCount = 0;
  let namedCount = 0;
  for (const key of keys) {
    if (kid !== undefined && key.kid !== kid) continue;
    namedCount++;
    if (keyMismatch(key, alg) === undefined) {
      found = key;
      usableCount++;
    }
  }
  if (usableCount === 1) return found;
  if (namedCount === 0 && kid !== undefined) return undefined;
  return refuse(keys, kid, alg, usableCount);
}

/** Why no single key fits: the lists are rebuilt here, off the path of accepted tokens. */
function refuse(keys: readonly JWK[], kid: string | undefined, alg: string, usableCount: number): never {
  const named = kid === undefined ? keys : keys.filter((key) => key.kid === kid);
  if (usableCount > 1) {
    throw invalidToken(
      'The token cannot be verified.',
      kid === undefined
        ? `the token has no kid and ${usableCount} keys could verify ${alg}: refusing to guess`
        : `${usableCount} keys with kid ${quote(kid)} could verify ${alg}: refusing to guess`,
    );
  }
  if (kid === undefined) {
    throw invalidToken('The token cannot be verified.', `the token has no kid and no key can verify ${alg}`);
  }
  throw invalidToken(
    'The token cannot be verified.',
    `the key with kid ${quote(kid)} cannot verify ${alg}: ${named.map((key) => keyMismatch(key, alg)).join('; ')}`,
  );
}
