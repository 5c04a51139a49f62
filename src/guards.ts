/**
 * Route guards, free of any framework: does the verified token carry what this route needs?
 * `checkScopes`, `checkPermissions`, `checkClaim` and `checkAuthLevel` (step-up, RFC 9470) answer for one result with the error to
 * refuse with, or `undefined`; `scopeGuard`, `permissionGuard` and `claimGuard` prepare a check once
 * (and `authLevelGuard`) per route and answer with the `Refused` outcome, response included, that any host can send.
 * A refusal carries the challenge settings of the verifier that made the result, read from the
 * result itself: a guard keeps no state per request.
 */
import { CHALLENGE } from './auth-result.js';
import { nowInSeconds } from './claims.js';
import { AccessTokenError, type ChallengeOptions } from './errors.js';
import { quote } from './quote.js';
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

/** What a step-up guard requires (RFC 9470); at least one of the two. */
export interface AuthLevelOptions {
  /** Authentication context classes accepted in the token's `acr`; any one is enough. */
  acrValues?: string | readonly string[];
  /** Longest time since the user authenticated (`auth_time`), seconds; a token without `auth_time` fails. */
  maxAge?: number;
}

/**
 * 401 `insufficient_user_authentication` (RFC 9470 §3) unless the user's authentication behind the
 * token is strong enough (`acr` one of `acrValues`) and recent enough (`auth_time` within `maxAge`
 * seconds); the challenge names what is needed, for the client to ask the authorization server for.
 */
export function checkAuthLevel(auth: AuthResult, options: AuthLevelOptions): AccessTokenError | undefined {
  return authLevelCheck(authLevelRules(options))(auth);
}

/** Builds a step-up guard once per route (see `checkAuthLevel`). */
export function authLevelGuard(options: AuthLevelOptions): Guard {
  return prepared(authLevelCheck(authLevelRules(options)));
}

interface AuthLevelRules {
  acrValues: readonly string[] | undefined;
  maxAge: number | undefined;
}

function authLevelRules(options: AuthLevelOptions): AuthLevelRules {
  if (options === null || typeof options !== 'object' || (options.acrValues === undefined && options.maxAge === undefined)) {
    throw new TypeError('an auth level guard needs `acrValues`, `maxAge` or both');
  }
  const { maxAge } = options;
  if (maxAge !== undefined && !(Number.isInteger(maxAge) && maxAge >= 0)) throw new TypeError('`maxAge` must be a whole number of seconds >= 0');
  return { acrValues: options.acrValues === undefined ? undefined : requiredList(options.acrValues), maxAge };
}

function authLevelCheck({ acrValues, maxAge }: AuthLevelRules): (auth: AuthResult) => AccessTokenError | undefined {
  return (auth) => {
    const { acr, auth_time: authTime } = auth.claims;
    let reason: string | undefined;
    if (acrValues !== undefined && !(typeof acr === 'string' && acrValues.includes(acr))) {
      reason = `acr is ${acr === undefined ? 'missing' : quote(acr)}, expected one of ${JSON.stringify(acrValues)}`;
    } else if (maxAge !== undefined) {
      if (typeof authTime !== 'number' || !Number.isFinite(authTime)) reason = `auth_time is ${authTime === undefined ? 'missing' : `not a number (${quote(authTime)})`}, and maxAge ${maxAge} s is required`;
      else if (nowInSeconds() - authTime > maxAge) reason = `auth_time ${authTime} is ${Math.round(nowInSeconds() - authTime)} s ago, over maxAge ${maxAge} s`;
    }
    if (reason === undefined) return undefined;
    const description = acrValues !== undefined && reason.startsWith('acr')
      ? 'A stronger authentication is required.'
      : 'A more recent authentication is required.';
    return new AccessTokenError('insufficient_user_authentication', description, reason, {
      acrValues,
      maxAge,
      scheme: auth.binding === 'dpop' ? 'DPoP' : 'Bearer',
      challenge: (auth as WithChallenge)[CHALLENGE],
    });
  };
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
