/**
 * "We could not learn whether the token is still active": the introspection endpoint failed
 * (unreachable, slow, 5xx, malformed, oversized, or it refused our own client credentials), or
 * the `isRevoked` hook failed. Our failure, a 503, never the caller's 401 and never an acceptance.
 */
import { GuardError } from '../errors.js';

export class TokenStatusUnavailableError extends GuardError {
  readonly status = 503;
  readonly code = 'temporarily_unavailable';
  /** Seconds a client should wait before retrying. */
  readonly retryAfter: number;

  constructor(reason: string, retryAfter: number, options?: { cause?: unknown }) {
    super('The service cannot verify access tokens right now; try again later.', reason, options);
    this.retryAfter = Math.max(1, Math.ceil(retryAfter));
  }

  get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) };
  }
}
