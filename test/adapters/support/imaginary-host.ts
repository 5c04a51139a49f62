/**
 * An adapter for a host the package does not ship, written from the public exports alone, as a
 * user would: a message-passing host whose requests are `{ verb, path, fields }` and whose handlers
 * answer `{ code, fields, payload }`. If this file needs anything the main entry does not export,
 * the seam is not public enough.
 */
import {
  authLevelGuard,
  createHostAuthenticator,
  createHostGuard,
  scopeGuard,
  permissionGuard,
  verifierFrom,
  type AuthLevelOptions,
  type AuthResult,
  type ErrorResponse,
  type HostAuthenticateOptions,
  type Outcome,
  type Verifier,
  type VerifierOptions,
} from '../../../src/index.js';

export interface HostMessage {
  verb: string;
  path: string;
  /** Header fields, names in any case. */
  fields: Map<string, string>;
  /** Where this adapter leaves the verified token for the handlers. */
  auth?: AuthResult;
}

export interface HostReply {
  code: number;
  fields: Record<string, string>;
  payload: string;
}

/** A step of the host's pipeline: a reply ends the message's journey, `undefined` passes it on. */
export type HostStep = (message: HostMessage) => Promise<HostReply | undefined>;

const reply = (response: ErrorResponse): HostReply => ({ code: response.status, fields: response.headers, payload: response.body });

export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options?: HostAuthenticateOptions<HostMessage>): HostStep {
  const authenticateMessage = createHostAuthenticator<HostMessage>(verifierFrom(verifierOrOptions), options);
  return async (message) => {
    const outcome: Outcome = await authenticateMessage(message, {
      method: message.verb,
      url: `https://imaginary.example${message.path}`,
      headers: Object.fromEntries(message.fields),
    });
    if (outcome.kind === 'accepted') message.auth = outcome.auth;
    if (outcome.kind === 'accepted' || outcome.kind === 'anonymous') return undefined;
    return reply(outcome.response);
  };
}

export function requireScopes(scopes: string | string[]): HostStep {
  const check = createHostGuard<HostMessage>(scopeGuard(scopes));
  return async (message) => {
    const refusal = check(message, message.auth);
    return refusal && reply(refusal.response);
  };
}

export function requirePermissions(permissions: string | string[]): HostStep {
  const check = createHostGuard<HostMessage>(permissionGuard(permissions));
  return async (message) => {
    const refusal = check(message, message.auth);
    return refusal && reply(refusal.response);
  };
}

export function requireAuthLevel(options: AuthLevelOptions): HostStep {
  const check = createHostGuard<HostMessage>(authLevelGuard(options));
  return async (message) => {
    const refusal = check(message, message.auth);
    return refusal && reply(refusal.response);
  };
}
