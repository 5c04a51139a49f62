/**
 * Compact nested JWE access tokens (RFC 7516, with a signed JWT inside). Until decryption keys
 * are configured, an encrypted token is refused with a reason that says so.
 */
import { invalidToken } from './errors.js';

export interface DecryptionOptions {
  /** Private keys (PEM, KeyObject or private JWK) for encrypted access tokens. */
  decryptionKeys?: unknown[];
  /** Refuse tokens that arrive signed but not encrypted. */
  requireEncryption?: boolean;
}

/** Returns the compact JWS to verify: the token itself, or what it decrypts to. */
export type DecryptStep = (token: string) => string | Promise<string>;

/** Five dot-separated parts: the compact JWE serialization (RFC 7516 §7.1). */
export function isCompactJwe(token: string): boolean {
  return token.split('.', 6).length === 5;
}

export function createDecryptStep(options: DecryptionOptions): DecryptStep {
  const required = options.requireEncryption === true;
  return (token) => {
    if (isCompactJwe(token)) {
      throw invalidToken('The access token is invalid.', 'the token is encrypted (JWE) and no decryptionKeys are configured');
    }
    if (required) throw invalidToken('The access token is invalid.', 'requireEncryption is set and the token is not encrypted');
    return token;
  };
}
