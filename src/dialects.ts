/**
 * Token dialects: which claims a token must carry and where its client id, scopes and
 * permissions come from. `auth0` is Auth0's own access-token profile, `rfc9068` the IETF JWT
 * access-token profile (which Auth0 also offers), `any` picks by the token's `typ`. The vendor
 * dialects follow each vendor's documentation of its access tokens:
 * - `cognito`: Amazon Cognito user pools, "Understanding the access token"
 *   (docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html):
 *   no `aud`; `client_id`; `token_use` `access` (an ID token says `id`); `scope`; `cognito:groups`.
 * - `entra`: Microsoft Entra ID, "Access token claims reference"
 *   (learn.microsoft.com/entra/identity-platform/access-token-claims-reference): `ver` 1.0 or 2.0;
 *   the client in `azp` (v2) or `appid` (v1); delegated scopes in `scp` (space-separated);
 *   application permissions in `roles`; the tenant in `tid`.
 * - `okta`: Okta custom authorization servers, "OpenID Connect & OAuth 2.0 API", access token
 *   payload (developer.okta.com/docs/reference/api/oidc/): `cid` the client; `scp` an array.
 * - `keycloak`: Keycloak's `AccessToken` representation (keycloak.org/docs-api, org.keycloak.representations.AccessToken):
 *   `typ` `Bearer` (an ID token says `ID`); `azp`; `scope`; `realm_access.roles` and
 *   `resource_access.<client>.roles`.
 */
import { invalidToken } from './errors.js';
import type { Dialect, JWTClaims, JWTHeader, MetDialect } from './types.js';
import { quote } from './quote.js';

export interface DialectResult {
  dialect: MetDialect;
  clientId: string | undefined;
  scopes: string[];
  permissions: string[];
}

/** One issuer's dialect settings, resolved once when the verifier is created. */
export interface DialectRules {
  dialect: Dialect;
  /** Client ids accepted; undefined: any. */
  clientIds: readonly string[] | undefined;
  /** Where scopes are read instead of the dialect's claim (a path of member names). */
  scopesPath: readonly string[] | undefined;
  /** Where permissions are read instead of the dialect's claim. */
  permissionsPath: readonly string[] | undefined;
  /** The API's identifiers (`audience`): Keycloak client roles are read under these client names. */
  audiences: readonly string[];
}

export const DIALECTS: readonly Dialect[] = ['auth0', 'rfc9068', 'any', 'cognito', 'entra', 'okta', 'keycloak'];

const INVALID = 'The access token is invalid.';
const ID_TOKEN = ': this is an ID token; send the access token instead';
const RFC9068_REQUIRED = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const;

/** RFC 9068 §2.1: `at+jwt`, with or without the `application/` prefix (RFC 7515 §4.1.9). */
export function isAtJwt(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  // Only the two lengths that can match are lowered: every Auth0-profile token says "JWT".
  if (typ.length !== 6 && typ.length !== 18) return false;
  const lower = typ.toLowerCase();
  return lower === 'at+jwt' || lower === 'application/at+jwt';
}

export function applyDialect(rules: DialectRules, header: JWTHeader, claims: JWTClaims): DialectResult {
  const result = profile(rules, header, claims);
  if (rules.scopesPath !== undefined) result.scopes = readList(claims, rules.scopesPath);
  if (rules.permissionsPath !== undefined) result.permissions = readList(claims, rules.permissionsPath);
  if (rules.clientIds !== undefined) checkClient(result.clientId, rules.clientIds);
  return result;
}

function profile(rules: DialectRules, header: JWTHeader, claims: JWTClaims): DialectResult {
  switch (rules.dialect) {
    case 'auth0':
      return auth0(claims);
    case 'rfc9068':
      return rfc9068(header, claims);
    case 'cognito':
      return cognito(claims);
    case 'entra':
      return entra(claims);
    case 'okta':
      return okta(claims);
    case 'keycloak':
      return keycloak(claims, rules.audiences);
    default:
      return isAtJwt(header.typ) ? rfc9068(header, claims) : generic(claims);
  }
}

function auth0(claims: JWTClaims): DialectResult {
  if (claims.azp === undefined) {
    throw invalidToken(
      INVALID,
      claims.client_id !== undefined
        ? 'the token has no azp but has client_id: the API issues RFC 9068 tokens while the verifier expects dialect "auth0"; set dialect to "rfc9068" or "any"'
        : 'the token has no azp, which the Auth0 token profile (dialect "auth0") requires',
    );
  }
  return { dialect: 'auth0', clientId: claims.azp, scopes: splitScope(claims.scope), permissions: claims.permissions ?? [] };
}

function rfc9068(header: JWTHeader, claims: JWTClaims): DialectResult {
  if (!isAtJwt(header.typ)) {
    throw invalidToken(
      INVALID,
      `the header typ is ${header.typ === undefined ? 'missing' : quote(header.typ)}, RFC 9068 requires "at+jwt"` +
        (claims.azp !== undefined ? ': the API issues Auth0-profile tokens while the verifier expects dialect "rfc9068"; set dialect to "auth0" or "any"' : ''),
    );
  }
  const missing = RFC9068_REQUIRED.filter((name) => claims[name] === undefined);
  if (missing.length > 0) {
    throw invalidToken(INVALID, `RFC 9068 requires ${missing.join(', ')}, which the token lacks`);
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

/** Cognito: the client in `client_id`, `token_use` must say `access`, groups as permissions. */
function cognito(claims: JWTClaims): DialectResult {
  const use = claims.token_use;
  if (use !== 'access') {
    throw invalidToken(
      INVALID,
      use === 'id'
        ? `token_use is "id"${ID_TOKEN}`
        : use === undefined
          ? 'the token has no token_use; Cognito access tokens carry token_use "access" (dialect "cognito")'
          : `token_use is ${quote(use)}, expected "access"`,
    );
  }
  if (claims.client_id === undefined) throw invalidToken(INVALID, 'the token has no client_id, which Cognito access tokens carry');
  return {
    dialect: 'cognito',
    clientId: claims.client_id,
    scopes: splitScope(claims.scope),
    permissions: stringList(claims['cognito:groups'], 'cognito:groups') ?? [],
  };
}

/** Entra ID v1 and v2 access tokens. */
function entra(claims: JWTClaims): DialectResult {
  const { ver, azp, appid, scp, roles } = claims;
  if (ver !== undefined && ver !== '1.0' && ver !== '2.0') {
    throw invalidToken(INVALID, `ver is ${quote(ver)}; Entra ID access tokens are version "1.0" or "2.0"`);
  }
  // v2 names the client in azp, v1 in appid; an ID token names none (its aud is the client).
  const clientId = ver === '1.0' ? appid : ver === '2.0' ? azp : (azp ?? appid);
  if (typeof clientId !== 'string') {
    const claim = ver === '1.0' ? 'appid' : ver === '2.0' ? 'azp' : 'azp or appid';
    throw invalidToken(
      INVALID,
      clientId === undefined
        ? `the token has no ${claim}, which Entra ID access tokens carry and ID tokens do not: if this is an ID token, send the access token instead`
        : `${claim} must be a string`,
    );
  }
  if (scp !== undefined && typeof scp !== 'string') throw invalidToken(INVALID, 'scp must be a string (Entra ID separates scopes with spaces)');
  return { dialect: 'entra', clientId, scopes: splitScope(scp), permissions: stringList(roles, 'roles') ?? [] };
}

/** Okta custom authorization servers: `cid` the client, `scp` an array. */
function okta(claims: JWTClaims): DialectResult {
  const { cid, scp } = claims;
  if (typeof cid !== 'string') {
    throw invalidToken(
      INVALID,
      cid === undefined ? `the token has no cid, which Okta access tokens carry${claims.nonce !== undefined || claims.at_hash !== undefined ? ID_TOKEN : ''}` : 'cid must be a string',
    );
  }
  return { dialect: 'okta', clientId: cid, scopes: stringList(scp, 'scp') ?? [], permissions: claims.permissions ?? [] };
}

/** Keycloak: `typ` `Bearer`, realm roles and the API's client roles as permissions. */
function keycloak(claims: JWTClaims, audiences: readonly string[]): DialectResult {
  const { typ } = claims;
  if (typ !== undefined && typ !== 'Bearer') {
    throw invalidToken(INVALID, `the token's typ claim is ${quote(typ)}, Keycloak access tokens say "Bearer"${typ === 'ID' ? ID_TOKEN : ''}`);
  }
  const permissions = [...(stringList(member(claims, ['realm_access', 'roles']), 'realm_access.roles') ?? [])];
  for (const client of audiences) {
    const roles = stringList(member(claims, ['resource_access', client, 'roles']), `resource_access.${client}.roles`);
    if (roles) for (const role of roles) if (!permissions.includes(role)) permissions.push(role);
  }
  return { dialect: 'keycloak', clientId: claims.azp, scopes: splitScope(claims.scope), permissions };
}

function checkClient(clientId: string | undefined, allowed: readonly string[]): void {
  if (clientId !== undefined && allowed.includes(clientId)) return;
  throw invalidToken(
    'The access token is not meant for this API.',
    `${clientId === undefined ? 'the token names no client' : `the client id is ${quote(clientId)}`}, expected ${allowed.length === 1 ? quote(allowed[0]) : `one of ${allowed.map(quote).join(', ')}`} (clientId)`,
  );
}

/** A dotted claim path split once: `realm_access.roles` → `['realm_access', 'roles']`. */
export function claimPath(path: string): string[] {
  return path.split('.');
}

/** The value at `path`, own members only (never `__proto__` or an inherited name). */
function member(claims: JWTClaims, path: readonly string[]): unknown {
  let value: unknown = claims;
  for (const name of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/** A mapped claim: a space-separated string or an array of strings; absent is empty. */
function readList(claims: JWTClaims, path: readonly string[]): string[] {
  const value = member(claims, path);
  if (typeof value === 'string') return splitScope(value);
  return stringList(value, path.join('.')) ?? [];
}

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalidToken(INVALID, `${name} must be an array of strings`);
  return value as string[];
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
