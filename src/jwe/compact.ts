/**
 * The shape of a compact JWE (five dot-separated parts, RFC 7516 §7.1), without decoding it. Its
 * own module: a verifier that does not decrypt still recognises an encrypted token to refuse it
 * with the right reason, without loading the decryption step.
 */
/** Five dot-separated parts: the compact JWE serialization (RFC 7516 §7.1). No allocation. */
export function isCompactJwe(token: string): boolean {
  let dots = 0;
  for (let at = token.indexOf('.'); at !== -1; at = token.indexOf('.', at + 1)) {
    if (++dots > 4) return false;
  }
  return dots === 4;
}
