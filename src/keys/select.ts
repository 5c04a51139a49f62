/**
 * Choosing the one key that may verify a token, from a key set. Shared by every key source so
 * static and remote keys follow the same rules: the token names a key by `kid` and never
 * describes one (`jku`, `x5u`, `jwk`, `x5c` are ignored), and ambiguity is refused, not guessed.
 */
import { keyMismatch } from '../crypto/types.js';
import { invalidToken } from '../errors.js';
import type { JWK, JWTHeader } from '../types.js';

/**
 * Returns the key for this header, or `undefined` when the set holds no key with the token's
 * `kid` (the caller may refresh the set). Throws `invalid_token` when keys match the `kid` but
 * none can verify the token's `alg`, or when several can (an ambiguous set).
 */
export function selectKey(keys: readonly JWK[], header: JWTHeader): JWK | undefined {
  const { kid, alg } = header;
  const named = kid === undefined ? keys : keys.filter((key) => key.kid === kid);
  if (kid !== undefined && named.length === 0) return undefined;

  const usable = named.filter((key) => keyMismatch(key, alg) === undefined);
  if (usable.length === 1) return usable[0];
  if (usable.length > 1) {
    throw invalidToken(
      'The token cannot be verified.',
      kid === undefined
        ? `the token has no kid and ${usable.length} keys could verify ${alg}: refusing to guess`
        : `${usable.length} keys with kid "${kid}" could verify ${alg}: refusing to guess`,
    );
  }
  if (kid === undefined) {
    throw invalidToken('The token cannot be verified.', `the token has no kid and no key can verify ${alg}`);
  }
  throw invalidToken(
    'The token cannot be verified.',
    `the key with kid "${kid}" cannot verify ${alg}: ${named.map((key) => keyMismatch(key, alg)).join('; ')}`,
  );
}
