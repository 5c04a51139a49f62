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
import { GUARD_REFUSED, type VerifierHooks } from './hooks.js';
import { quote } from './quote.js';
import type { ReasonCode } from './reason-codes.js';
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

/** Decides on the claims as a whole (the first form of `checkClaim`). */
export type ClaimsPredicate = (claims: AuthResult['claims']) => boolean;
/** Decides on one claim's value (undefined when absent), with every claim at hand. */
export type ClaimPredicate = (value: unknown, claims: AuthResult['claims']) => boolean;
/** What a named claim must be: a value (a claim that is an array must contain it), or a predicate. */
export type ClaimRequirement = string | number | boolean | ClaimPredicate;

/** The client-facing text of a named-claim refusal, when none is given: names nothing from the token. */
const CLAIM_DESCRIPTION = 'The access token lacks a claim value this resource requires.';

/**
 * A guard for any other claim, in two forms:
 * - `checkClaim(auth, predicate, description)`: `predicate(claims)` decides;
 * - `checkClaim(auth, name, expected, description?)`: the claim `name` must equal `expected` (or,
 *   when the claim is an array, contain it), or `expected(value, claims)` must hold.
 * `description` is what the client reads; the log reason names the claim and what it held.
 */
export function checkClaim(auth: AuthResult, predicate: ClaimsPredicate, description: string): AccessTokenError | undefined;
export function checkClaim(auth: AuthResult, name: string, expected: ClaimRequirement, description?: string): AccessTokenError | undefined;
export function checkClaim(auth: AuthResult, first: ClaimsPredicate | string, second: ClaimRequirement | string | undefined, third?: string): AccessTokenError | undefined {
  return claimCheck(first, second, third)(auth);
}

/** The prepared form of both `checkClaim` forms; the arguments are checked here, once. */
function claimCheck(first: ClaimsPredicate | string, second: ClaimRequirement | string | undefined, third: string | undefined): (auth: AuthResult) => AccessTokenError | undefined {
  if (typeof first === 'function') {
    const description = second;
    if (typeof description !== 'string' || description === '') throw new TypeError('a claim guard needs a predicate and a non-empty description');
    return (auth) => (first(auth.claims) ? undefined : refusal(auth, description, `claim check failed: ${description}`, [], 'claim_mismatch'));
  }
  if (typeof first !== 'string' || first === '') throw new TypeError('a claim guard needs a claim name (or a predicate) first');
  const name = first;
  const expected = second;
  if (!['string', 'number', 'boolean', 'function'].includes(typeof expected)) {
    throw new TypeError(`a claim guard for ${JSON.stringify(name)} needs the value it must have (string, number, boolean) or a predicate`);
  }
  if (third !== undefined && (typeof third !== 'string' || third === '')) throw new TypeError('a claim guard description must be a non-empty string');
  const description = third ?? CLAIM_DESCRIPTION;
  const wanted = typeof expected === 'function' ? "fails the route's check" : `must be ${JSON.stringify(expected)}`;
  return (auth) => {
    const value = auth.claims[name];
    const ok =
      typeof expected === 'function' ? (expected as ClaimPredicate)(value, auth.claims) : Array.isArray(value) ? value.includes(expected) : value === expected;
    if (ok) return undefined;
    const held = value === undefined ? 'the token has no such claim' : `it is ${quote(value)}`;
    return refusal(auth, description, `claim ${JSON.stringify(name)} ${wanted}; ${held}`, [], 'claim_mismatch');
  };
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
  // A token without the claim at all is a setting of the issuer, not a grant that is missing.
  if (kind === 'permission' && auth.claims.permissions === undefined) {
    const reason = `the token has no permissions claim at all (route needs [${needed.join(', ')}]): on Auth0, enable RBAC and "Add Permissions in the Access Token" in the API's settings`;
    return refusal(auth, description, reason, needed, 'no_permissions_claim');
  }
  const reason = `${match === 'any' ? 'none of' : 'missing'} ${kind}s [${(match === 'any' ? needed : missing).join(', ')}]; the token has [${granted.join(', ')}]`;
  return refusal(auth, description, reason, needed, kind === 'scope' ? 'missing_scope' : 'missing_permission');
}

function refusal(auth: AuthResult, description: string, reason: string, scope: readonly string[], reasonCode: ReasonCode): AccessTokenError {
  return new AccessTokenError('insufficient_scope', description, reason, {
    scope,
    scheme: auth.binding === 'dpop' ? 'DPoP' : 'Bearer',
    challenge: (auth as WithChallenge)[CHALLENGE],
    reasonCode,
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

/** Builds a claim guard once per route, in either form of `checkClaim`. */
export function claimGuard(predicate: ClaimsPredicate, description: string): Guard;
export function claimGuard(name: string, expected: ClaimRequirement, description?: string): Guard;
/** Either form, for adapters that pass their own overloaded arguments on. */
export function claimGuard(first: ClaimsPredicate | string, second: ClaimRequirement | string, description?: string): Guard;
export function claimGuard(first: ClaimsPredicate | string, second: ClaimRequirement | string | undefined, third?: string): Guard {
  return prepared(claimCheck(first, second, third));
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

function prepared(check: (auth: AuthResult) => AccessTokenError | undefined): Guard {
  return (auth) => {
    const error = auth === undefined || isAnonymous(auth) ? unauthenticated(auth?.challenge) : check(auth);
    if (error === undefined) return undefined;
    (error.challenge as Reporting)[GUARD_REFUSED]?.({ error, code: error.code, reasonCode: error.reasonCode, status: error.status, durationMs: undefined });
    return { kind: 'refused', error, response: error.response };
  };
}

/** A verifier's challenge settings with its `refused` hook, when it has one (see `GUARD_REFUSED`). */
type Reporting = ChallengeOptions & { [GUARD_REFUSED]?: VerifierHooks['refused'] };

function isAnonymous(value: AuthResult | Anonymous): value is Anonymous {
  return (value as Anonymous).kind === 'anonymous';
}

function unauthenticated(challenge: ChallengeOptions | undefined): AccessTokenError {
  return new AccessTokenError('missing_credentials', 'The request has no access token.', 'a guard ran on a request that was not authenticated', { challenge, reasonCode: 'not_authenticated' });
}
