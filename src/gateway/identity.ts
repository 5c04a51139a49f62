/**
 * The identity headers a 200 carries to the upstream: subject, client id, scopes, permissions and
 * issuer, under the configured names. Values come from the token, so they are made safe to forward:
 * printable ASCII passes as it is; `%` and every other character (control characters, CR/LF,
 * anything beyond ASCII) are percent-encoded as UTF-8, so a value can never split a header or
 * smuggle one, and decodes back with any URL decoder. A value longer than `MAX_IDENTITY_VALUE`
 * once encoded is not forwarded at all: the token is refused rather than its identity cut short.
 *
 * Every configured header is sent, empty when there is no value (no token on an anonymous route,
 * a token without a client id), so a gateway that copies the headers over the request's own
 * replaces whatever a client sent under those names.
 */
import type { AuthResult } from '../types.js';
import type { IdentityField } from './config.js';

/** Characters per header value, after encoding: what nginx's default buffers can carry with room to spare. */
export const MAX_IDENTITY_VALUE = 4096;

export type IdentityHeaders = Record<string, string>;

export interface TooLong {
  tooLong: IdentityField;
  length: number;
}

export function identityHeaders(auth: AuthResult | undefined, names: ReadonlyArray<readonly [IdentityField, string]>): IdentityHeaders | TooLong {
  const headers: IdentityHeaders = {};
  for (const [field, name] of names) {
    const value = auth === undefined ? '' : safeHeaderValue(valueOf(auth, field));
    if (value.length > MAX_IDENTITY_VALUE) return { tooLong: field, length: value.length };
    headers[name] = value;
  }
  return headers;
}

function valueOf(auth: AuthResult, field: IdentityField): string {
  switch (field) {
    case 'subject':
      return auth.subject ?? '';
    case 'clientId':
      return auth.clientId ?? '';
    case 'scopes':
      return auth.scopes.join(' ');
    case 'permissions':
      return auth.permissions.join(' ');
    case 'issuer':
      return typeof auth.claims.iss === 'string' ? auth.claims.iss : '';
  }
}

const PLAIN = /^[\x20-\x24\x26-\x7e]*$/;

/** Printable ASCII but `%` as it is; the rest percent-encoded (UTF-8). */
export function safeHeaderValue(value: string): string {
  if (PLAIN.test(value)) return value;
  let encoded = '';
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    if (code >= 0x20 && code <= 0x7e && code !== 0x25) encoded += char;
    else for (const byte of Buffer.from(char, 'utf8')) encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
