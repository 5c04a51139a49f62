/**
 * The sender-constraint step: is the token bound to a key or certificate, and does the caller
 * prove possession of it? A bound token is never accepted as a plain bearer token.
 */
import { invalidToken, type AuthScheme } from '../errors.js';
import type { CryptoBackend } from '../crypto/types.js';
import type { Binding, JWTClaims, RequestLike } from '../types.js';

export interface BindingOptions {
  mtls?: { required?: boolean; certificateHeader?: string };
  dpop?: { required?: boolean; algorithms?: string[] };
}

/** What the binding step may look at besides the claims. */
export interface BindingContext {
  scheme: AuthScheme;
  /** The compact token as presented (for the DPoP `ath`). */
  token: string;
  method?: string;
  url?: string;
  dpopProof?: string;
  clientCertificate?: Uint8Array | string;
  headers?: RequestLike['headers'];
}

export type SenderConstraintStep = (claims: JWTClaims, context: BindingContext) => Binding | Promise<Binding>;

export function createSenderConstraintStep(_options: BindingOptions, _backend: CryptoBackend): SenderConstraintStep {
  return (claims) => {
    if (claims.cnf?.jkt !== undefined || claims.cnf?.['x5t#S256'] !== undefined) {
      throw invalidToken('The access token is invalid.', 'the token is sender-constrained (cnf) and this verifier checks no binding');
    }
    return 'bearer';
  };
}
