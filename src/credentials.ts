/**
 * Finding the access token in a request (RFC 6750 §2, RFC 9449 §7). Exactly one token in
 * exactly one place; the query string and form body are consulted only when enabled, because
 * tokens there end up in logs and caches (RFC 6750 §2.2–2.3 and §5.3).
 */
import { AccessTokenError, invalidRequest, type AuthScheme } from './errors.js';
import { quote } from './quote.js';
import type { ReasonCode } from './reason-codes.js';
import type { RequestLike } from './types.js';

export type TokenLocation = 'header' | 'query' | 'body';

export interface Credentials {
  scheme: AuthScheme;
  token: string;
  /** The single `DPoP` header value, when there was one. */
  dpopProof: string | undefined;
}

export interface CredentialRules {
  locations: ReadonlySet<TokenLocation>;
  /** Schemes the API accepts in the Authorization header. */
  schemes: readonly AuthScheme[];
  maxTokenLength: number;
  /** A header whose whole value is the token (no scheme), read only when set. */
  tokenHeader?: string;
  /** A cookie whose value is the token, read only when set. */
  tokenCookie?: string;
}

// RFC 7235 token68, which every compact JWS/JWE satisfies.
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Reads one header from either a Fetch `Headers` or a Node-style record. */
export function getHeader(headers: RequestLike['headers'], name: string): string | string[] | undefined {
  if (typeof (headers as Headers).get === 'function') {
    // Fetch `Headers` joins repeats with ", "; no compact token or proof contains ", ".
    const value = (headers as Headers).get(name);
    return value === null ? undefined : value.includes(', ') ? value.split(', ') : value;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name];
  if (value !== undefined) return value;
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() === name) return record[key];
  }
  return undefined;
}

export function extractCredentials(request: RequestLike, rules: CredentialRules): Credentials {
  const found: Array<{ scheme: AuthScheme; token: string }> = [];
  const header = getHeader(request.headers, 'authorization');
  if (header !== undefined && rules.locations.has('header')) {
    if (Array.isArray(header)) throw invalidRequest('The request has more than one Authorization header.', undefined, { reasonCode: 'multiple_authorization_headers' });
    const fromHeader = parseAuthorization(header, rules.schemes);
    if (fromHeader) found.push(fromHeader);
  }
  if (rules.tokenHeader !== undefined) {
    const value = getHeader(request.headers, rules.tokenHeader);
    for (const token of Array.isArray(value) ? value : value === undefined ? [] : [value]) found.push({ scheme: 'Bearer', token: checkedToken(token.trim()) });
  }
  if (rules.tokenCookie !== undefined) {
    for (const token of cookieValues(getHeader(request.headers, 'cookie'), rules.tokenCookie)) found.push({ scheme: 'Bearer', token: checkedToken(token) });
  }
  if (rules.locations.has('query')) {
    const values = new URL(request.url, 'http://localhost').searchParams.getAll('access_token');
    for (const token of values) found.push({ scheme: 'Bearer', token: checkedToken(token) });
  }
  if (rules.locations.has('body') && request.body && 'access_token' in request.body) {
    const token = request.body.access_token;
    if (typeof token !== 'string') throw invalidRequest('The access_token form field is malformed.');
    found.push({ scheme: 'Bearer', token: checkedToken(token) });
  }

  if (found.length === 0) throw noCredentials(request, header, rules);
  if (found.length > 1) {
    throw invalidRequest('The request carries more than one access token.', `access token found in ${found.length} places`, { reasonCode: 'multiple_tokens' });
  }
  const { scheme, token } = found[0] as { scheme: AuthScheme; token: string };
  if (token.length > rules.maxTokenLength) {
    throw new AccessTokenError('invalid_token', 'The access token is invalid.', `the token is ${token.length} characters, over maxTokenLength ${rules.maxTokenLength}`, {
      scheme,
      reasonCode: 'token_too_long',
    });
  }
  // The DPoP header means nothing to an API that does not accept DPoP: it is not even read.
  return { scheme, token, dpopProof: rules.schemes.includes('DPoP') ? readDpopProof(request) : undefined };
}

/**
 * Every value of the cookie `name` (RFC 6265 §4.2: `name=value` pairs separated by `;`). A cookie
 * sent twice is two tokens, and refused as such.
 */
function cookieValues(header: string | string[] | undefined, name: string): string[] {
  const values: string[] = [];
  for (const line of Array.isArray(header) ? header : header === undefined ? [] : [header]) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq !== -1 && pair.slice(0, eq).trim() === name) values.push(pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
    }
  }
  return values;
}

/** Headers some clients put a token in, looked at only to explain a request that has none. */
const OTHER_TOKEN_HEADERS = ['x-access-token', 'access-token', 'x-auth-token', 'token', 'x-token', 'x-api-token'];
const JWT_LIKE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./;

/**
 * The refusal of a request without a token, saying in the log what was found instead: a bare
 * token in Authorization, a scheme this API does not accept, or a token in another header.
 * Off the path of every request that has a token.
 */
function noCredentials(request: RequestLike, authorization: string | string[] | undefined, rules: CredentialRules): AccessTokenError {
  const missing = (reason: string, reasonCode: ReasonCode) => new AccessTokenError('missing_credentials', 'The request has no access token.', reason, { reasonCode });
  const accepted = rules.schemes.map((scheme) => `"${scheme} <token>"`).join(' or ');
  if (typeof authorization === 'string' && rules.locations.has('header')) {
    const value = authorization.trim();
    if (JWT_LIKE.test(value) || (value !== '' && !value.includes(' ') && TOKEN68.test(value) && value.length > 20)) {
      return missing(`the Authorization header holds a bare token without a scheme: send Authorization: ${accepted}`, 'missing_bearer_prefix');
    }
    const scheme = value.split(' ', 1)[0] ?? '';
    return missing(`the Authorization header uses the scheme ${quote(scheme)}, which this API does not accept: send Authorization: ${accepted}`, 'missing_credentials');
  }
  if (authorization === undefined) {
    for (const name of OTHER_TOKEN_HEADERS) {
      if (name === rules.tokenHeader) continue;
      const value = getHeader(request.headers, name);
      if (typeof value === 'string' && value.trim() !== '') {
        return missing(
          `no Authorization header, but a ${quote(name)} header holds a value: send the token as Authorization: ${accepted} (or set tokenHeader: ${quote(name)} if the client cannot change)`,
          'token_in_other_header',
        );
      }
    }
  }
  return missing(authorization === undefined ? 'the request has no Authorization header' : 'the request has no token in a place this API reads', 'missing_credentials');
}

/**
 * `Bearer <token>` or `DPoP <token>`; the scheme is case-insensitive. A scheme this API does not
 * accept (say `Basic`) is not an error of the request: it simply carries no token for us.
 */
function parseAuthorization(value: string, schemes: readonly AuthScheme[]): { scheme: AuthScheme; token: string } | undefined {
  // `<scheme> 1*SP <token68>`, read with indexOf and one regex over the token: this runs on
  // every request, and the token is its longest string.
  const trimmed = value.trim();
  const space = trimmed.indexOf(' ');
  const scheme = schemeNamed(space === -1 ? trimmed : trimmed.slice(0, space), schemes);
  if (scheme === undefined) return undefined;
  let start = space + 1;
  while (trimmed.charCodeAt(start) === 32) start++;
  const token = space === -1 ? '' : trimmed.slice(start);
  if (!TOKEN68.test(token)) {
    throw invalidRequest('The Authorization header is malformed.', `expected "${scheme} <token>" with one token68 credential`, { scheme, reasonCode: 'malformed_authorization' });
  }
  return { scheme, token };
}

/** The accepted scheme `name` spells, compared case-insensitively (RFC 7235 §2.1). */
function schemeNamed(name: string, schemes: readonly AuthScheme[]): AuthScheme | undefined {
  for (const scheme of schemes) {
    if (name.length === scheme.length && (name === scheme || name.toLowerCase() === scheme.toLowerCase())) return scheme;
  }
  return undefined;
}

/** The query and body carry the token alone; the header's token was checked with its scheme. */
function checkedToken(token: string): string {
  if (!TOKEN68.test(token)) throw invalidRequest('The access token is malformed.', 'the token is not token68 syntax', { reasonCode: 'malformed_token' });
  return token;
}

function readDpopProof(request: RequestLike): string | undefined {
  const value = getHeader(request.headers, 'dpop');
  if (Array.isArray(value)) {
    throw new AccessTokenError('invalid_dpop_proof', 'The DPoP proof is invalid.', 'the request has more than one DPoP header', { scheme: 'DPoP', reasonCode: 'multiple_dpop_headers' });
  }
  return value;
}
