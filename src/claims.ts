/**
 * Registered-claim rules (RFC 7519 §4.1): the types every verified token must have, the exact
 * `iss` and `aud` comparison, and the time checks. Time checks are separate because they are the
 * only ones a cached result must repeat on every request.
 */
import { invalidToken } from './errors.js';
import { quote } from './quote.js';
import type { JWTClaims } from './types.js';

export interface ClaimRules {
  issuer: string;
  audiences: readonly string[];
  /** Seconds of clock skew tolerated on exp, nbf and iat. */
  clockTolerance: number;
  /** Seconds since `iat` after which a token is too old; requires `iat`. */
  maxTokenAge: number | undefined;
}

/** The rules every request repeats, a cached result's too: the clock. */
export type TimeRules = Pick<ClaimRules, 'clockTolerance' | 'maxTokenAge'>;

const INVALID = 'The access token is invalid.';

/** Parses the payload; anything but a JSON object is not a JWT claims set. */
export function parseClaims(json: string): JWTClaims {
  let claims: unknown;
  try {
    claims = JSON.parse(json);
  } catch {
    throw invalidToken(INVALID, 'the payload is not JSON');
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    throw invalidToken(INVALID, 'the payload is not a JSON object');
  }
  return claims as JWTClaims;
}

/**
 * Claim types that do not depend on the time or on configuration. Spelled out claim by claim
 * rather than looped over a list of names: every token of an issuer parses to objects of the
 * same shape, so each named read stays a fixed-offset load (a loop's `claims[name]` does not).
 */
export function checkClaimTypes(claims: JWTClaims): void {
  const { iss, sub, jti, azp, client_id, scope, exp, nbf, iat, aud, permissions, cnf } = claims;
  if (!isOptionalString(iss)) wrongType('iss', 'a string');
  if (!isOptionalString(sub)) wrongType('sub', 'a string');
  if (!isOptionalString(jti)) wrongType('jti', 'a string');
  if (!isOptionalString(azp)) wrongType('azp', 'a string');
  if (!isOptionalString(client_id)) wrongType('client_id', 'a string');
  if (!isOptionalString(scope)) wrongType('scope', 'a string');
  if (!isOptionalNumber(exp)) wrongType('exp', 'a number');
  if (!isOptionalNumber(nbf)) wrongType('nbf', 'a number');
  if (!isOptionalNumber(iat)) wrongType('iat', 'a number');
  if (aud !== undefined && typeof aud !== 'string' && !isStringArray(aud)) wrongType('aud', 'a string or an array of strings');
  if (permissions !== undefined && !isStringArray(permissions)) wrongType('permissions', 'an array of strings');
  if (cnf !== undefined && (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf))) wrongType('cnf', 'an object');
}

export function checkIssuer(claims: JWTClaims, issuer: string): void {
  if (claims.iss !== issuer) {
    throw invalidToken(
      INVALID,
      claims.iss === undefined
        ? 'the token has no iss'
        : `iss is ${quote(claims.iss)}, expected "${issuer}"${slashHint(claims.iss, issuer)}`,
    );
  }
}

export function checkAudience(claims: JWTClaims, audiences: readonly string[]): void {
  const { aud } = claims;
  if (typeof aud === 'string' ? audiences.includes(aud) : aud?.some((value) => audiences.includes(value))) return;
  const shown = aud === undefined ? 'the token has no aud' : `aud is ${quote(aud)}`;
  const hint = typeof aud === 'string' ? audiences.map((expected) => slashHint(aud, expected)).join('') : '';
  throw invalidToken(
    'The access token is not meant for this API.',
    `${shown}, expected ${audiences.length === 1 ? `"${audiences[0]}"` : `one of ${JSON.stringify(audiences)}`}${hint}${idTokenHint(claims)}`,
  );
}

/** exp (required), nbf and iat against `now` (seconds), with tolerance; maxTokenAge from iat. */
export function checkTimes(claims: JWTClaims, rules: TimeRules, now: number): void {
  const { exp, nbf, iat } = claims;
  const tolerance = rules.clockTolerance;
  if (exp === undefined) throw invalidToken(INVALID, 'the token has no exp');
  if (now >= exp + tolerance) {
    throw invalidToken('The access token expired.', `exp ${exp} is ${Math.round(now - exp)} s in the past`);
  }
  if (nbf !== undefined && now + tolerance < nbf) {
    throw invalidToken('The access token is not yet valid.', `nbf ${nbf} is ${Math.round(nbf - now)} s in the future`);
  }
  if (iat !== undefined && now + tolerance < iat) {
    throw invalidToken(INVALID, `iat ${iat} is ${Math.round(iat - now)} s in the future`);
  }
  if (rules.maxTokenAge !== undefined) {
    if (iat === undefined) throw invalidToken(INVALID, 'the token has no iat and maxTokenAge is set');
    if (now - iat > rules.maxTokenAge + tolerance) {
      throw invalidToken('The access token is too old.', `iat ${iat} is older than maxTokenAge ${rules.maxTokenAge} s`);
    }
  }
}

export function nowInSeconds(): number {
  return Date.now() / 1000;
}

function wrongType(name: string, expected: string): never {
  throw invalidToken(INVALID, `${name} must be ${expected}`);
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

function isOptionalNumber(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isFinite(value));
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

// The commonest misconfiguration, spelled out in the log: identifiers that differ by a slash.
function slashHint(actual: string, expected: string): string {
  return actual.replace(/\/$/, '') === expected.replace(/\/$/, '') ? ' (they differ by a trailing slash, which is significant)' : '';
}

// An ID token sent where an access token belongs: its audience is the client, and it carries
// sign-in claims an access token has no use for.
function idTokenHint(claims: JWTClaims): string {
  const signIn = claims.nonce !== undefined || claims.at_hash !== undefined || claims.sid !== undefined;
  const audIsClient = typeof claims.aud === 'string' && claims.aud === claims.azp;
  return signIn || audIsClient ? ' (this looks like an ID token: send the access token instead)' : '';
}
