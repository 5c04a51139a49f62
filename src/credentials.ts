/**
 * Finding the access token in a request (RFC 6750 §2, RFC 9449 §7). Exactly one token in
 * exactly one place; the query string and form body are consulted only when enabled, because
 * tokens there end up in logs and caches (RFC 6750 §2.2–2.3 and §5.3).
 */
import { AccessTokenError, invalidRequest, type AuthScheme } from './errors.js';
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
    if (Array.isArray(header)) throw invalidRequest('The request has more than one Authorization header.');
    const fromHeader = parseAuthorization(header, rules.schemes);
    if (fromHeader) found.push(fromHeader);
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

  if (found.length === 0) {
    throw new AccessTokenError('missing_credentials', 'The request has no access token.');
  }
  if (found.length > 1) {
    throw invalidRequest('The request carries more than one access token.', `access token found in ${found.length} places`);
  }
  const { scheme, token } = found[0] as { scheme: AuthScheme; token: string };
  if (token.length > rules.maxTokenLength) {
    throw new AccessTokenError('invalid_token', 'The access token is invalid.', `the token is ${token.length} characters, over maxTokenLength ${rules.maxTokenLength}`, { scheme });
  }
  // The DPoP header means nothing to an API that does not accept DPoP: it is not even read.
  return { scheme, token, dpopProof: rules.schemes.includes('DPoP') ? readDpopProof(request) : undefined };
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
    throw invalidRequest('The Authorization header is malformed.', `expected "${scheme} <token>" with one token68 credential`, { scheme });
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
  if (!TOKEN68.test(token)) throw invalidRequest('The access token is malformed.', 'the token is not token68 syntax');
  return token;
}

function readDpopProof(request: RequestLike): string | undefined {
  const value = getHeader(request.headers, 'dpop');
  if (Array.isArray(value)) {
    throw new AccessTokenError('invalid_dpop_proof', 'The DPoP proof is invalid.', 'the request has more than one DPoP header', { scheme: 'DPoP' });
  }
  return value;
}
