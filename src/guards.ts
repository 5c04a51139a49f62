/**
 * Route guards, free of any framework: does the verified token carry what this route needs?
 * `checkScopes`, `checkPermissions` and `checkClaim` answer for one result with the error to
 * refuse with, or `undefined`; `scopeGuard`, `permissionGuard` and `claimGuard` prepare a check once
 * per route and answer with the `Refused` outcome, response included, that any host can send.
 * A refusal carries the challenge settings of the verifier that made the result, read from the
 * result itself: a guard keeps no state per request.
 */
import { CHALLENGE } from './auth-result.js';
import { AccessTokenError, type ChallengeOptions } from './errors.js';
import type { Anonymous, Refused } from './outcome.js';
import type { AuthResult } from './types.js';

export type Match = 'all' | 'any';

export interface GuardOptions {
  /** `all` (default): every listed value is needed; `any`: one is enough. */
  match?: Match;
}

type WithChallenge = AuthResult & { [CHALLENGE]?: ChallengeOptions };

/** 403 `insufficient_scope` unless the token has the scopes; `required` must name at least one. */
export function checkScopes(auth: AuthResult, required: string | readonly string[], options: GuardOptions = {}): AccessTokenError | undefined {
  return checkValues(auth, auth.scopes, 'scope', requiredList(required), options);
}

/** The same for the `permissions` claim (Auth0 RBAC). */
export function checkPermissions(auth: AuthResult, required: string | readonly string[], options: GuardOptions = {}): AccessTokenError | undefined {
  return checkValues(auth, auth.permissions, 'permission', requiredList(required), options);
}

/** A guard for any other claim: `predicate` decides; `description` is what the client reads. */
export function checkClaim(auth: AuthResult, predicate: (claims: AuthResult['claims']) => boolean, description: string): AccessTokenError | undefined {
  return predicate(auth.claims) ? undefined : refusal(auth, description, `claim check failed: ${description}`, []);
}

/** Normalises what a guard is configured with, once, when the guard is built. */
export function requiredList(required: string | readonly string[]): readonly string[] {
  const list = typeof required === 'string' ? required.split(' ').filter(Boolean) : [...required];
  if (list.length === 0 || list.some((value) => typeof value !== 'string' || value === '' || value.includes(' '))) {
    throw new TypeError('a guard needs one or more non-empty values without spaces');
  }
  return list;
}

function checkValues(
  auth: AuthResult,
  granted: readonly string[],
  kind: 'scope' | 'permission',
  needed: readonly string[],
  { match = 'all' }: GuardOptions,
): AccessTokenError | undefined {
  const ok = match === 'any' ? needed.some((value) => granted.includes(value)) : needed.every((value) => granted.includes(value));
  if (ok) return undefined;
  const missing = needed.filter((value) => !granted.includes(value));
  const description = `The access token lacks the ${kind}${needed.length > 1 ? 's' : ''} this resource requires.`;
  const reason = `${match === 'any' ? 'none of' : 'missing'} ${kind}s [${(match === 'any' ? needed : missing).join(', ')}]; the token has [${granted.join(', ')}]`;
  return refusal(auth, description, reason, needed);
}

function refusal(auth: AuthResult, description: string, reason: string, scope: readonly string[]): AccessTokenError {
  return new AccessTokenError('insufficient_scope', description, reason, {
    scope,
    scheme: auth.binding === 'dpop' ? 'DPoP' : 'Bearer',
    challenge: (auth as WithChallenge)[CHALLENGE],
  });
}

/**
 * A prepared guard. It takes what `authenticate` decided for the request: the result, the
 * `anonymous` outcome (the guard then answers 401 in that verifier's name), or nothing at all
 * (401 with a plain `Bearer` challenge). It answers with the refusal, or `undefined` to let the
 * request through.
 */
export type Guard = (auth: AuthResult | Anonymous | undefined) => Refused | undefined;

/** Builds a scope guard once per route. */
export function scopeGuard(required: string | readonly string[], options: GuardOptions = {}): Guard {
  const needed = requiredList(required);
  return prepared((auth) => checkValues(auth, auth.scopes, 'scope', needed, options));
}

/** Builds a permission guard once per route. */
export function permissionGuard(required: string | readonly string[], options: GuardOptions = {}): Guard {
  const needed = requiredList(required);
  return prepared((auth) => checkValues(auth, auth.permissions, 'permission', needed, options));
}

/** Builds a claim guard once per route (see `checkClaim`). */
export function claimGuard(predicate: (claims: AuthResult['claims']) => boolean, description: string): Guard {
  if (typeof predicate !== 'function' || typeof description !== 'string' || description === '') {
    throw new TypeError('a claim guard needs a predicate and a non-empty description');
  }
  return prepared((auth) => checkClaim(auth, predicate, description));
}

function prepared(check: (auth: AuthResult) => AccessTokenError | undefined): Guard {
  return (auth) => {
    const error = auth === undefined || isAnonymous(auth) ? unauthenticated(auth?.challenge) : check(auth);
    return error && { kind: 'refused', error, response: error.response };
  };
}

function isAnonymous(value: AuthResult | Anonymous): value is Anonymous {
  return (value as Anonymous).kind === 'anonymous';
}

function unauthenticated(challenge: ChallengeOptions | undefined): AccessTokenError {
  return new AccessTokenError('missing_credentials', 'The request has no access token.', 'a guard ran on a request that was not authenticated', { challenge });
}
