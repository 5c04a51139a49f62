/**
 * The sender-constraint step: is the token bound to a key or certificate, and does the caller
 * prove possession of it? A bound token is never accepted as a plain bearer token, and a binding
 * this verifier was not configured to check refuses the token rather than being ignored.
 */
import { invalidRequest, invalidToken as refusal, type AccessTokenErrorInit, type AuthScheme } from '../errors.js';
import { quote } from '../quote.js';
import type { CryptoBackend } from '../crypto/types.js';
import type { VerifierOptions } from '../options.js';
import type { Binding, JWTClaims, RequestLike } from '../types.js';
import { checkDpopBinding, validateDpopOptions, type DpopConfig } from './dpop.js';
import { checkCertificateBinding, isThumbprint, validateMtlsOptions, type MtlsConfig } from './mtls.js';

/** Every token refusal of this step is `binding_mismatch` unless it says otherwise. */
const invalidToken = (description: string, reason: string, init?: AccessTokenErrorInit) => refusal(description, reason, { reasonCode: 'binding_mismatch', ...init });

export { DEFAULT_DPOP_ALGORITHMS } from './dpop.js';

export type BindingOptions = Pick<VerifierOptions, 'mtls' | 'dpop'>;

/**
 * The request as the binding step reads it: a `RequestLike` or a `VerifyContext`. Read only for
 * a bound token or the DPoP scheme, so an adapter may compute `url` and `clientCertificate`
 * lazily (getters) and a bearer request never pays for them.
 */
export interface BindingRequest {
  method?: string;
  url?: string;
  headers?: RequestLike['headers'];
  clientCertificate?: Uint8Array | string;
}

/**
 * Checks the sender constraint of a verified token. `token` is the compact token as presented
 * (for the DPoP `ath`), `dpopProof` the DPoP header's value.
 */
export type SenderConstraintStep = (
  claims: JWTClaims,
  scheme: AuthScheme,
  token: string,
  dpopProof: string | undefined,
  request: BindingRequest,
) => Binding | Promise<Binding>;

/** The confirmation methods a token carries (RFC 7800 `cnf`), each already checked for shape. */
interface Confirmation {
  x5t: string | undefined;
  jkt: string | undefined;
}

const UNBOUND_TOKEN: Confirmation = Object.freeze({ x5t: undefined, jkt: undefined });
const KNOWN_METHODS = new Set(['x5t#S256', 'jkt']);
const INVALID = 'The access token is invalid.';

/** Validates the options once (TypeError on misuse) and returns the per-request step. */
export function createSenderConstraintStep(options: BindingOptions, backend: CryptoBackend): SenderConstraintStep {
  const mtls = validateMtlsOptions(options.mtls);
  const dpop = validateDpopOptions(options.dpop, backend);

  return (claims, scheme, token, dpopProof, context) => {
    const cnf = readConfirmation(claims);
    checkScheme(cnf, scheme, dpop, dpopProof);
    if (cnf.x5t === undefined && mtls?.required) {
      throw invalidToken('The access token must be certificate-bound.', 'mtls.required is set and the token has no cnf x5t#S256');
    }
    if (cnf.x5t !== undefined && mtls === undefined) {
      throw invalidToken(INVALID, 'the token is certificate-bound (cnf x5t#S256) and this verifier has no mtls option to check it');
    }

    const certificateChecked = cnf.x5t !== undefined ? checkCertificateBinding(cnf.x5t, context, mtls as MtlsConfig, backend) : undefined;
    if (scheme === 'DPoP') {
      const request = { proof: dpopProof, method: context.method, url: context.url, token };
      return Promise.resolve(certificateChecked)
        .then(() => checkDpopBinding(cnf.jkt, request, dpop as DpopConfig, backend))
        .then((): Binding => 'dpop');
    }
    const binding: Binding = cnf.x5t !== undefined ? 'mtls' : 'bearer';
    // Synchronous when it can be: the Node backend hashes the certificate without a promise.
    return certificateChecked instanceof Promise ? certificateChecked.then(() => binding) : binding;
  };
}

/**
 * The scheme must suit the token: a DPoP-bound token never travels as Bearer (RFC 9449 §7.2,
 * the downgrade), DPoP needs the `dpop` option, and `dpop.required` accepts nothing else. A
 * Bearer request that carries a DPoP proof to an API that checks proofs is refused too: the
 * client meant the proof to count, and silently ignoring it would accept what it never
 * proved (RFC 9449 §7.2: a DPoP proof goes with the DPoP scheme).
 */
function checkScheme(cnf: Confirmation, scheme: AuthScheme, dpop: DpopConfig | undefined, dpopProof: string | undefined): void {
  if (scheme === 'DPoP') {
    if (dpop === undefined) throw invalidToken(INVALID, 'the DPoP scheme was used and this verifier has no dpop option');
    return;
  }
  if (cnf.jkt !== undefined) {
    throw invalidToken('The access token is DPoP-bound; send it with the DPoP scheme and a proof.', 'a DPoP-bound token (cnf.jkt) was presented with the Bearer scheme');
  }
  if (dpop !== undefined && dpopProof !== undefined) {
    throw invalidRequest('A DPoP proof was sent with the Bearer scheme; use the DPoP scheme.', 'the request has a DPoP header and uses the Bearer scheme');
  }
  if (dpop?.required) throw invalidToken('The access token must be DPoP-bound.', 'dpop.required is set and the Bearer scheme was used');
}

/**
 * Reads `cnf`. A confirmation method we do not check (a raw `jwk`, `kid`, `x5t` with SHA-1…) makes
 * the token unusable here: it is bound to something, and accepting it would ignore that.
 */
function readConfirmation(claims: JWTClaims): Confirmation {
  const { cnf } = claims;
  if (cnf === undefined) return UNBOUND_TOKEN;
  if (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)) throw invalidToken(INVALID, 'cnf is not an object');
  const members = Object.keys(cnf);
  const unknown = members.filter((name) => !KNOWN_METHODS.has(name));
  if (unknown.length > 0) throw invalidToken(INVALID, `cnf has confirmation methods this verifier cannot check: ${unknown.map(quote).join(', ')}`);
  if (members.length === 0) throw invalidToken(INVALID, 'cnf is empty');
  const x5t = cnf['x5t#S256'];
  const jkt = cnf.jkt;
  if (x5t !== undefined && !isThumbprint(x5t)) throw invalidToken(INVALID, 'cnf x5t#S256 is not a base64url SHA-256 thumbprint');
  if (jkt !== undefined && !isThumbprint(jkt)) throw invalidToken(INVALID, 'cnf.jkt is not a base64url SHA-256 thumbprint');
  return { x5t, jkt };
}
