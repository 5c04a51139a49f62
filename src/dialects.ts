/**
 * Token dialects: which claims a token must carry and where its client id and scopes come from.
 * `auth0` is Auth0's own access-token profile, `rfc9068` the IETF JWT access-token profile
 * (which Auth0 also offers), `any` picks by the token's `typ`.
 */
import { invalidToken } from './errors.js';
import type { Dialect, JWTClaims, JWTHeader, MetDialect } from './types.js';

export interface DialectResult {
  dialect: MetDialect;
  clientId: string | undefined;
  scopes: string[];
  permissions: string[];
}

const RFC9068_REQUIRED = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const;

/** RFC 9068 §2.1: `at+jwt`, with or without the `application/` prefix (RFC 7515 §4.1.9). */
export function isAtJwt(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  // Only the two lengths that can match are lowered: every Auth0-profile token says "JWT".
  if (typ.length !== 6 && typ.length !== 18) return false;
  const lower = typ.toLowerCase();
  return lower === 'at+jwt' || lower === 'application/at+jwt';
}

export function applyDialect(dialect: Dialect, header: JWTHeader, claims: JWTClaims): DialectResult {
  switch (dialect) {
    case 'auth0':
      return auth0(claims);
    case 'rfc9068':
      return rfc9068(header, claims);
    default:
      return isAtJwt(header.typ) ? rfc9068(header, claims) : generic(claims);
  }
}

function auth0(claims: JWTClaims): DialectResult {
  if (claims.azp === undefined) {
    throw invalidToken(
      'The access token is invalid.',
      claims.client_id !== undefined
        ? 'the token has no azp but has client_id: the API issues RFC 9068 tokens while the verifier expects dialect "auth0"; set dialect to "rfc9068" or "any"'
        : 'the token has no azp, which the Auth0 token profile (dialect "auth0") requires',
      { reasonCode: claims.client_id !== undefined ? 'dialect_mismatch' : 'missing_required_claim' },
    );
  }
  return { dialect: 'auth0', clientId: claims.azp, scopes: splitScope(claims.scope), permissions: claims.permissions ?? [] };
}

function rfc9068(header: JWTHeader, claims: JWTClaims): DialectResult {
  if (!isAtJwt(header.typ)) {
    throw invalidToken(
      'The access token is invalid.',
      `the header typ is ${header.typ === undefined ? 'missing' : `"${String(header.typ)}"`}, RFC 9068 requires "at+jwt"` +
        (claims.azp !== undefined ? ': the API issues Auth0-profile tokens while the verifier expects dialect "rfc9068"; set dialect to "auth0" or "any"' : ''),
      { reasonCode: 'dialect_mismatch' },
    );
  }
  const missing = RFC9068_REQUIRED.filter((name) => claims[name] === undefined);
  if (missing.length > 0) {
    throw invalidToken('The access token is invalid.', `RFC 9068 requires ${missing.join(', ')}, which the token lacks`, { reasonCode: 'missing_required_claim' });
  }
  return { dialect: 'rfc9068', clientId: claims.client_id, scopes: splitScope(claims.scope), permissions: claims.permissions ?? [] };
}

function generic(claims: JWTClaims): DialectResult {
  return {
    dialect: 'generic',
    clientId: claims.client_id ?? claims.azp,
    scopes: splitScope(claims.scope),
    permissions: claims.permissions ?? [],
  };
}

/**
 * The last scope string split and its parts. A client's tokens mostly carry the same `scope`,
 * so comparing with the last one is cheaper than splitting again; every caller still gets its
 * own array.
 */
let lastScope = '';
let lastScopes: readonly string[] = [];

/** RFC 6749 §3.3: scope tokens separated by spaces; empty entries are not scopes. */
export function splitScope(scope: string | undefined): string[] {
  if (!scope) return [];
  if (scope !== lastScope) {
    lastScopes = scope.split(' ').filter((part) => part !== '');
    lastScope = scope;
  }
  return lastScopes.slice();
}
