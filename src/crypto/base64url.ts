/**
 * Canonical base64url (RFC 4648 §5, unpadded, as JOSE uses it: RFC 7515 §2). Decoders ignore
 * the unused low bits of a segment's last character, so `…A`, `…B`, `…C` and `…D` can all decode
 * to the same bytes: without this check one signature has up to 16 spellings that verify, and a
 * deny-list or replay log keyed on the token string could be walked around. RFC 4648 §3.5 lets
 * a decoder refuse such encodings; we do, in every segment.
 */

const ALPHABET = /^[A-Za-z0-9_-]+$/;

/** The 6-bit value of a base64url character code, or -1 for anything else. */
function sextet(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  if (code === 45) return 62; // -
  if (code === 95) return 63; // _
  return -1;
}

/**
 * True when the segment's length and last character are those of a canonical encoding: no
 * length that leaves a lone character (4n+1), and zero in the bits the last character does not
 * use (4 of them after 4n+2 characters, 2 after 4n+3). Constant time in the segment's length,
 * so the hot path can afford it on the payload too.
 */
export function hasCanonicalEnd(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = sextet(segment.charCodeAt(segment.length - 1));
  if (last < 0) return false;
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** A non-empty segment of the base64url alphabet, canonically encoded. */
export function isBase64Url(segment: string): boolean {
  return ALPHABET.test(segment) && hasCanonicalEnd(segment);
}

/** The error a backend's decoder throws for a segment that is not canonical base64url. */
export function assertCanonicalEnd(segment: string): void {
  if (!hasCanonicalEnd(segment)) throw new Error('not canonical base64url (unused trailing bits set, or a dangling character)');
}
