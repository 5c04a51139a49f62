/**
 * The MCP SDK's view of a verified token. `@modelcontextprotocol/sdk` hands its tool handlers an
 * `AuthInfo` (`extra.authInfo`), read from `req.auth`; `toAuthInfo` makes one from a result, with
 * no import of the SDK: the shape below is the SDK's, member for member. `authResultOf` gets the
 * full result back from it, for a handler that needs claims the `AuthInfo` does not carry.
 */
import type { AuthResult } from './types.js';

/** The SDK's `AuthInfo` (`@modelcontextprotocol/sdk/server/auth/types.js`), structurally. */
export interface McpAuthInfo {
  token: string;
  /** `''` for a token that names no client (neither `client_id` nor `azp`): the SDK needs a string. */
  clientId: string;
  scopes: string[];
  /** `exp`, seconds since the epoch. */
  expiresAt?: number;
  /** The resource the token is for (RFC 8707): compared by the SDK's `expectedResource`. */
  resource?: URL;
  /** `subject`, `permissions`, `claims`, `binding` and `dialect` of the result. */
  extra?: Record<string, unknown>;
}

const results = new WeakMap<McpAuthInfo, AuthResult>();

export function toAuthInfo(auth: AuthResult): McpAuthInfo {
  const info: McpAuthInfo = {
    token: auth.token,
    clientId: auth.clientId ?? '',
    scopes: auth.scopes,
    expiresAt: auth.expiresAt,
    resource: auth.resource,
    extra: { subject: auth.subject, permissions: auth.permissions, claims: auth.claims, binding: auth.binding, dialect: auth.dialect },
  };
  results.set(info, auth);
  return info;
}

/** The result an `AuthInfo` was made from by `toAuthInfo`; `undefined` for any other. */
export function authResultOf(info: McpAuthInfo | undefined): AuthResult | undefined {
  return info === undefined ? undefined : results.get(info);
}
