/**
 * What every middleware-style host adapter (Express, Fastify, Koa, Hono, NestJS…) shares, so an
 * adapter is translation only: `createHostAuthenticator` wraps `verifier.authenticate` with the
 * adapter options users set (`optional`, `onRefusal`), and `createHostGuard` runs a prepared
 * guard for a request that such an authenticator saw. Public: an adapter for a host we do not
 * ship is written from these two and `verifier.authenticate`.
 *
 * Between the two, per host request, the authenticator remembers what a later guard needs and
 * the result cannot carry: its `onRefusal`, and for an anonymous request its verifier's challenge.
 * Kept only when it adds something (a result carries its verifier's challenge itself), in a
 * WeakMap keyed by the host's own request object, so nothing outlives the request.
 */
import type { GuardError } from './errors.js';
import { authLevelGuard, claimGuard, permissionGuard, scopeGuard, type AuthLevelOptions, type Guard, type GuardOptions } from './guards.js';
import type { Anonymous, Outcome, Refused } from './outcome.js';
import type { AuthResult, RequestLike } from './types.js';
import type { Verifier } from './verifier.js';

export interface HostAuthenticateOptions<HostRequest> {
  /** Let requests without any credentials through, unauthenticated. Bad tokens still fail. */
  optional?: boolean;
  /**
   * Called with every refusal (4xx) and with our 503 before it is answered, including the
   * refusals of guards that run after this authenticator on the same request: log `error.reason`
   * here; the client gets only the safe description.
   */
  onRefusal?: (error: GuardError, request: HostRequest) => void;
}

interface Remembered {
  anonymous: Anonymous | undefined;
  onRefusal: ((error: GuardError, request: never) => void) | undefined;
}

const remembered = new WeakMap<object, Remembered>();

/**
 * `(hostRequest, request) => outcome`: the request as the core reads it goes in, the outcome comes
 * out — synchronously when nothing had to be awaited, so the host can go on in the same tick.
 * It throws (or rejects with) only what `onRefusal` throws, or a bug.
 */
export function createHostAuthenticator<HostRequest extends object>(
  verifier: Verifier,
  options: HostAuthenticateOptions<HostRequest> = {},
): (hostRequest: HostRequest, request: RequestLike) => Outcome | Promise<Outcome> {
  const { onRefusal } = options;
  const modes = { optional: options.optional === true };
  const withRefusalHook: Remembered = { anonymous: undefined, onRefusal };

  function settle(outcome: Outcome, hostRequest: HostRequest): Outcome {
    // A document the verifier answered (RFC 9728 metadata) is no refusal: nothing to report.
    if (outcome.kind === 'accepted' || outcome.kind === 'answered') return outcome;
    if (outcome.kind === 'anonymous') {
      remembered.set(hostRequest, { anonymous: outcome, onRefusal });
      return outcome;
    }
    onRefusal?.(outcome.error, hostRequest);
    return outcome;
  }

  return (hostRequest, request) => {
    if (onRefusal !== undefined) remembered.set(hostRequest, withRefusalHook);
    const outcome = verifier.authenticate(request, modes);
    return outcome instanceof Promise ? outcome.then((settled) => settle(settled, hostRequest)) : settle(outcome, hostRequest);
  };
}

/**
 * `(hostRequest, auth) => refusal | undefined` for a prepared guard (`scopeGuard`, …): the refusal
 * is made in the name of the authenticator that saw the request, and reported to its `onRefusal`.
 */
export function createHostGuard<HostRequest extends object>(guard: Guard): (hostRequest: HostRequest, auth: AuthResult | undefined) => Refused | undefined {
  return (hostRequest, auth) => {
    const memory = remembered.get(hostRequest);
    const refusal = guard(auth ?? memory?.anonymous);
    if (refusal) memory?.onRefusal?.(refusal.error, hostRequest as never);
    return refusal;
  };
}

/** The guard middleware every adapter exports, in that host's shape `M`. */
export interface GuardFactories<M, Extra extends object = object> {
  /** 403 `insufficient_scope` unless the token has the scopes (all of them, or one with `match: 'any'`). */
  requireScopes(scopes: string | readonly string[], options?: GuardOptions & Extra): M;
  /** 403 `insufficient_scope` unless the token has the permissions (Auth0 RBAC `permissions`). */
  requirePermissions(permissions: string | readonly string[], options?: GuardOptions & Extra): M;
  /** 403 unless `predicate(claims)` holds; `description` is what the client reads. */
  requireClaim(predicate: (claims: AuthResult['claims']) => boolean, description: string, options?: Extra): M;
  /**
   * Step-up (RFC 9470): 401 `insufficient_user_authentication` unless the user authenticated with
   * one of `acrValues` and within `maxAge` seconds; the challenge says which.
   */
  requireAuthLevel(options: AuthLevelOptions & Extra): M;
}

/**
 * Builds an adapter's guard exports from one function that turns a prepared guard into the host's
 * middleware, so every host offers the same guards with the same signatures, and a guard added to
 * the core reaches every host at once. `Extra` is what the host's guards take beyond the core's
 * options (the Fetch-API guards' own `onRefusal`, say).
 */
export function createGuardFactories<M, Extra extends object = object>(toMiddleware: (guard: Guard, options: Extra | undefined) => M): GuardFactories<M, Extra> {
  return {
    requireScopes: (scopes, options) => toMiddleware(scopeGuard(scopes, options), options),
    requirePermissions: (permissions, options) => toMiddleware(permissionGuard(permissions, options), options),
    requireClaim: (predicate, description, options) => toMiddleware(claimGuard(predicate, description), options),
    requireAuthLevel: (options) => toMiddleware(authLevelGuard(options), options),
  };
}
