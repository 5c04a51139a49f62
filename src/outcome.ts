/**
 * The outcome of `verifier.authenticate(request)`: the one public seam every host adapter is built
 * on. Five kinds, each with everything the host needs to act on it:
 *
 * - `accepted`: the `AuthResult`, to put where the host's handlers read it;
 * - `anonymous`: the request had no credentials and `optional` was asked for;
 * - `refused` (4xx) and `unavailable` (our 503): the error, for logs, and the `response` to send
 *   as it is (status, lower-case headers, JSON body);
 * - `answered`: the request was for a document the verifier serves itself (the RFC 9728 Protected
 *   Resource Metadata, when `resourceMetadata` is set): the `response` (200) to send as it is.
 *
 * A host sends `response` for every kind other than `accepted` and `anonymous`, so a kind added
 * later with a `response` needs no adapter change.
 * An adapter translates its host's request into a `RequestLike`, calls `authenticate`, and
 * translates the outcome back; it decides nothing itself.
 */
import { AccessTokenError, GuardError, type ChallengeOptions, type ErrorResponse } from './errors.js';
import type { AuthResult } from './types.js';

export interface Accepted {
  readonly kind: 'accepted';
  readonly auth: AuthResult;
}

export interface Anonymous {
  readonly kind: 'anonymous';
  /** The verifier's challenge settings, for a guard that then refuses the request (401). */
  readonly challenge: ChallengeOptions;
}

export interface Refused {
  readonly kind: 'refused';
  readonly error: AccessTokenError;
  readonly response: ErrorResponse;
}

export interface Unavailable {
  readonly kind: 'unavailable';
  /** A `KeysUnavailableError`, or a `ReplayStoreUnavailableError` when the DPoP replay store failed. */
  readonly error: GuardError;
  readonly response: ErrorResponse;
}

/** A request the verifier answered itself, before any authentication: no error, nothing to log. */
export interface Answered {
  readonly kind: 'answered';
  readonly response: ErrorResponse;
}

export type Outcome = Accepted | Anonymous | Refused | Unavailable | Answered;

export interface AuthenticateOptions {
  /** A request without any credentials is `anonymous` instead of refused. Bad tokens still fail. */
  optional?: boolean;
}

export function accepted(auth: AuthResult): Accepted {
  return { kind: 'accepted', auth };
}

/**
 * The outcome of a failure: refused for the request's fault, unavailable for ours. Anything that
 * is not one of our errors is a bug, and is thrown on rather than mistaken for a decision.
 */
export function failed(error: unknown): Refused | Unavailable {
  if (error instanceof AccessTokenError) return { kind: 'refused', error, response: error.response };
  // Every other GuardError is a failure of ours (keys, replay store): a 503.
  if (error instanceof GuardError) return { kind: 'unavailable', error, response: error.response };
  throw error;
}
