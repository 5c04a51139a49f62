/**
 * Route guards, free of any framework: does the verified token carry what this route needs?
 * They return the error to answer with (403 `insufficient_scope`) rather than throwing, so an
 * adapter decides how to send it.
 */
import { AccessTokenError, type ChallengeOptions } from './errors.js';
import type { AuthResult } from './types.js';

export type Match = 'all' | 'any';

export interface GuardOptions {
  /** `all` (default): every listed value is needed; `any`: one is enough. */
  match?: Match;
}

/** Where the verifier that produced a result keeps its challenge settings, for guard errors. */
export const CHALLENGE = Symbol.for('access-token-guard.challenge');

type WithChallenge = AuthResult & { [CHALLENGE]?: ChallengeOptions };

/** 403 `insufficient_scope` unless the token has the scopes; `required` must name at least one. */
export function checkScopes(auth: AuthResult, required: string | readonly string[], options: GuardOptions = {}) {
  return checkValues(auth, auth.scopes, 'scope', requiredList(required), options);
}

/** The same for the `permissions` claim (Auth0 RBAC). */
export function checkPermissions(auth: AuthResult, required: string | readonly string[], options: GuardOptions = {}) {
  return checkValues(auth, auth.permissions, 'permission', requiredList(required), options);
}

/** A guard for any other claim: `predicate` decides; `description` is what the client reads. */
export function checkClaim(auth: AuthResult, predicate: (claims: AuthResult['claims']) => boolean, description: string) {
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

function refusal(auth: AuthResult, description: string, reason: string, scope: readonly string[]) {
  const error = new AccessTokenError('insufficient_scope', description, reason, {
    scope,
    scheme: auth.binding === 'dpop' ? 'DPoP' : 'Bearer',
  });
  const challenge = (auth as WithChallenge)[CHALLENGE];
  if (challenge) error.challenge = challenge;
  return error;
}

/** A prepared guard: the error to answer with, or `undefined` to let the request through. */
export type Guard = (auth: AuthResult | undefined) => AccessTokenError | undefined;

/** Builds a scope guard once per route; with no result (anonymous request) it answers 401. */
export function scopeGuard(required: string | readonly string[], options: GuardOptions = {}): Guard {
  const needed = requiredList(required);
  return (auth) => (auth ? checkValues(auth, auth.scopes, 'scope', needed, options) : anonymous());
}

export function permissionGuard(required: string | readonly string[], options: GuardOptions = {}): Guard {
  const needed = requiredList(required);
  return (auth) => (auth ? checkValues(auth, auth.permissions, 'permission', needed, options) : anonymous());
}

function anonymous(): AccessTokenError {
  return new AccessTokenError('missing_credentials', 'The request has no access token.', 'a guard ran on a request that was not authenticated');
}
