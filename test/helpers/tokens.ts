/**
 * Tokens as an issuer mints them, and verifiers configured to accept them. Every test states
 * only what differs from a valid Auth0-profile access token for `AUDIENCE` from `ISSUER`.
 */
import { createVerifier, type Verifier, type VerifierOptions } from '../../src/index.js';
import type { JWTClaims } from '../../src/types.js';
import { keyFor, signJws, type TestKey } from './keys.js';

export const ISSUER = 'https://tenant.example.com/';
export const AUDIENCE = 'https://api.example.com';

export const nowSeconds = () => Math.floor(Date.now() / 1000);

type Claims = Record<string, unknown>;
type Header = Record<string, unknown>;

/** Drops members set to `undefined`, so an override can remove a default claim. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

/** The claims of a valid Auth0-profile access token, with `overrides` applied. */
export function auth0Claims(overrides: Claims = {}): Claims {
  const now = nowSeconds();
  return defined({
    iss: ISSUER,
    sub: 'auth0|user-1',
    aud: AUDIENCE,
    iat: now,
    exp: now + 3600,
    azp: 'client-1',
    scope: 'read:messages write:messages',
    ...overrides,
  });
}

/** The claims of a valid RFC 9068 access token (`client_id`, `jti`, no `azp`). */
export function rfc9068Claims(overrides: Claims = {}): Claims {
  return auth0Claims({ azp: undefined, client_id: 'client-1', jti: 'jti-1', ...overrides });
}

export interface MintOptions {
  key?: TestKey;
  /** Header members to add, change or (with `undefined`) remove. */
  header?: Header;
}

/** A signed Auth0-profile token (`typ: JWT`). */
export function mint(claims: Claims = {}, { key = keyFor('RS256'), header = {} }: MintOptions = {}): string {
  return signJws(defined({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }), auth0Claims(claims), key.privateKey);
}

/** A signed RFC 9068 token (`typ: at+jwt`). */
export function mintRfc9068(claims: Claims = {}, { key = keyFor('RS256'), header = {} }: MintOptions = {}): string {
  return signJws(defined({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header }), rfc9068Claims(claims), key.privateKey);
}

/** A token with exactly these claims (no defaults). */
export function mintExact(claims: JWTClaims | Claims, { key = keyFor('RS256'), header = {} }: MintOptions = {}): string {
  return signJws(defined({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }), claims, key.privateKey);
}

/** A verifier for `ISSUER`/`AUDIENCE` trusting `key` (static JWKS), with `options` on top. */
export function verifierFor(options: Partial<VerifierOptions> = {}, key: TestKey = keyFor('RS256')): Verifier {
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] }, algorithms: [key.alg], ...options });
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Every other spelling of a base64url segment that lenient decoders read as the same bytes: its
 * last character with other values in the bits it does not use (RFC 4648 §3.5). Empty for a
 * segment with no unused bits (a length that is a multiple of 4).
 */
export function respellings(segment: string): string[] {
  const unusedBits = ({ 2: 4, 3: 2 } as Record<number, number>)[segment.length % 4];
  if (unusedBits === undefined) return [];
  const value = BASE64URL_ALPHABET.indexOf(segment.at(-1) as string);
  const spellings: string[] = [];
  for (let low = 1; low < 1 << unusedBits; low++) spellings.push(segment.slice(0, -1) + (BASE64URL_ALPHABET[value ^ low] as string));
  return spellings;
}

/** One other spelling of `segment` (see `respellings`); throws if it has none. */
export function respell(segment: string): string {
  const [first] = respellings(segment);
  if (first === undefined) throw new Error(`a segment of ${segment.length} characters has no unused bits`);
  return first;
}

/** `token` with its `index`-th dot-separated segment replaced by `replace(segment)`. */
export function withSegment(token: string, index: number, replace: (segment: string) => string): string {
  const parts = token.split('.');
  parts[index] = replace(parts[index] as string);
  return parts.join('.');
}

/** The binding tests' issuer and API (sender constraints, not key sources, are what they test). */
export const BINDING_ISSUER = 'https://issuer.binding.test/';
export const BINDING_AUDIENCE = 'https://api.binding.test';

export interface TestIssuer {
  mint(claims?: Claims): Promise<string>;
  options(extra?: Partial<VerifierOptions>): VerifierOptions;
}

/**
 * One ES256 key, tokens for `BINDING_AUDIENCE` (RFC 9068 style: `client_id`, no `azp`), and
 * verifier options that trust exactly that key (static keys: no JWKS involved).
 */
export async function createTestIssuer(): Promise<TestIssuer> {
  const key = keyFor('ES256', 'binding-key');
  return {
    mint: async (claims = {}) => {
      const now = nowSeconds();
      const payload = { iss: BINDING_ISSUER, aud: BINDING_AUDIENCE, sub: 'client-1', client_id: 'client-1', iat: now, exp: now + 600, scope: 'read', ...claims };
      return signJws({ alg: 'ES256', kid: key.kid, typ: 'JWT' }, payload, key.privateKey);
    },
    options: (extra = {}) => ({ issuer: BINDING_ISSUER, audience: BINDING_AUDIENCE, algorithms: ['ES256'], keys: { keys: [key.jwk] }, ...extra }),
  };
}
