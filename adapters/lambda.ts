/**
 * AWS API Gateway Lambda authorizers: HTTP API (payload 2.0, simple or IAM policy responses;
 * payload 1.0 is the REST shape) and REST API TOKEN and REQUEST authorizers, told apart by the
 * event. API Gateway, not the function, writes the client's response, and it knows four outcomes:
 *
 * - accepted: an Allow policy (or `isAuthorized: true`), with `sub`, `clientId`, `scope` and
 *   `permissions` in the authorizer context (strings only: API Gateway takes no arrays there);
 * - missing, malformed or bad token (our 400/401): the function fails with exactly
 *   `Unauthorized`, the one error message API Gateway turns into 401;
 * - token lacks a scope or permission (our 403): a Deny policy (or `isAuthorized: false`): 403;
 * - keys unavailable (our 503): the error itself is thrown; API Gateway answers 500, never 401.
 *
 * Create the handler at module scope: the verifier and its key cache then live as long as the
 * execution environment, and only a cold start pays for discovery and the JWKS fetch.
 *
 * An authorizer cannot serve a document: with `resourceMetadata` set, route
 * `/.well-known/oauth-protected-resource` to an integration without this authorizer and answer it
 * with `verifier.resourceMetadata.document`; a request for it that reaches the authorizer is
 * `Unauthorized`, like any request without a token. The 401 challenges API Gateway writes are its
 * own, so they carry no `resource_metadata` either.
 */
import { verifierFrom, type AuthResult, type Verifier, type VerifierOptions } from '../src/index.js';
import type { AccessTokenError } from '../src/errors.js';
import { permissionGuard, scopeGuard, type Guard, type Match } from '../src/guards.js';
import type { RequestLike } from '../src/types.js';

type Headers = Record<string, string | undefined> | null | undefined;
type MultiHeaders = Record<string, string[] | undefined> | null | undefined;

/** REST API TOKEN authorizer: the configured header's value, and the method's ARN. */
export interface TokenAuthorizerEvent {
  type: 'TOKEN';
  authorizationToken: string;
  methodArn: string;
}

/** REST API REQUEST authorizer, and HTTP API authorizers on payload format 1.0. */
export interface RequestAuthorizerEvent {
  type: 'REQUEST';
  version?: '1.0';
  methodArn: string;
  httpMethod?: string;
  path?: string;
  headers?: Headers;
  multiValueHeaders?: MultiHeaders;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  requestContext?: {
    domainName?: string;
    path?: string;
    httpMethod?: string;
    identity?: { clientCert?: { clientCertPem?: string } | null } | null;
  };
}

/** HTTP API authorizer, payload format 2.0. */
export interface HttpApiAuthorizerEvent {
  type: 'REQUEST';
  version: '2.0';
  routeArn: string;
  rawPath: string;
  rawQueryString?: string;
  headers?: Headers;
  requestContext: {
    domainName: string;
    http: { method: string };
    authentication?: { clientCert?: { clientCertPem?: string } | null } | null;
  };
}

export type AuthorizerEvent = TokenAuthorizerEvent | RequestAuthorizerEvent | HttpApiAuthorizerEvent;

/** What API Gateway passes on to the integration (`$context.authorizer.*`, or `.lambda.*` on HTTP APIs). */
export type AuthorizerContext = Record<string, string | number | boolean>;

export interface PolicyResponse {
  principalId: string;
  policyDocument: {
    Version: '2012-10-17';
    Statement: Array<{ Action: 'execute-api:Invoke'; Effect: 'Allow' | 'Deny'; Resource: string | string[] }>;
  };
  context?: AuthorizerContext;
}

export interface SimpleResponse {
  isAuthorized: boolean;
  context?: AuthorizerContext;
}

export interface AuthorizerOptions {
  /** Scopes every request must carry (403 otherwise). */
  scopes?: string | string[];
  /** Permissions every request must carry (403 otherwise). */
  permissions?: string | string[];
  /** For both lists: `all` (default) or `any`. */
  match?: Match;
  /** HTTP API payload 2.0 only: answer `{ isAuthorized }`; set it when the authorizer has `enableSimpleResponses`. */
  simpleResponses?: boolean;
  /**
   * The policy's resource. Default: the ARN of the method or route called. With authorizer caching
   * on, a cached policy is reused for other routes: return a wider ARN (say `…/stage/*`) then.
   */
  resource?: (event: AuthorizerEvent) => string | string[];
  /**
   * Called with every refusal (the 401s and the 403s) before it is answered: API Gateway shows the
   * client none of it, so log `error.reason` here. The 503 is thrown and logged by Lambda itself.
   */
  onRefusal?: (error: AccessTokenError, event: AuthorizerEvent) => void;
}

export function createAuthorizer(
  verifierOrOptions: Verifier | VerifierOptions,
  options: AuthorizerOptions = {},
): (event: AuthorizerEvent) => Promise<PolicyResponse | SimpleResponse> {
  const verifier = verifierFrom(verifierOrOptions);
  const guards: Guard[] = [];
  if (options.scopes !== undefined) guards.push(scopeGuard(options.scopes, { match: options.match }));
  if (options.permissions !== undefined) guards.push(permissionGuard(options.permissions, { match: options.match }));

  return async (event) => {
    const outcome = await verifier.authenticate(toRequestLike(event));
    // API Gateway answers 500 for a thrown error other than `Unauthorized`: never a 401 for our outage.
    if (outcome.kind === 'unavailable') throw outcome.error;
    // `answered` (a request for the metadata document) is no credential either: Unauthorized.
    if (outcome.kind !== 'accepted') {
      const error = outcome.kind === 'refused' ? outcome.error : undefined;
      if (error) options.onRefusal?.(error, event);
      throw new Error('Unauthorized', { cause: error });
    }
    const auth = outcome.auth;
    let refusal: AccessTokenError | undefined;
    for (const guard of guards) refusal ??= guard(auth)?.error;
    if (refusal) options.onRefusal?.(refusal, event);
    const allowed = refusal === undefined;
    const context = authorizerContext(auth);
    if ('version' in event && event.version === '2.0' && options.simpleResponses) return { isAuthorized: allowed, context };
    const resource = options.resource?.(event) ?? ('routeArn' in event ? event.routeArn : event.methodArn);
    return {
      principalId: auth.subject ?? auth.clientId ?? 'unknown',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: resource }] },
      context,
    };
  };
}

/** The token's identity as flat strings, the only shapes an authorizer context may hold. */
export function authorizerContext(auth: AuthResult): AuthorizerContext {
  const context: AuthorizerContext = { scope: auth.scopes.join(' '), permissions: auth.permissions.join(' ') };
  if (auth.subject !== undefined) context.sub = auth.subject;
  if (auth.clientId !== undefined) context.clientId = auth.clientId;
  return context;
}

function toRequestLike(event: AuthorizerEvent): RequestLike {
  if (event.type === 'TOKEN') {
    // A TOKEN event carries the header value and nothing else: no URL, no DPoP proof, no certificate.
    return { method: event.methodArn.split('/')[2] ?? 'GET', url: 'https://token-authorizer.invalid/', headers: { authorization: event.authorizationToken } };
  }
  if ('version' in event && event.version === '2.0') {
    const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
    return {
      method: event.requestContext.http.method,
      url: `https://${event.requestContext.domainName}${event.rawPath}${query}`,
      // Payload 2.0 lowercases names and joins repeated headers with commas.
      headers: event.headers ?? {},
      clientCertificate: event.requestContext.authentication?.clientCert?.clientCertPem,
    };
  }
  const rest = event as RequestAuthorizerEvent;
  const query = new URLSearchParams();
  for (const [name, values] of Object.entries(rest.multiValueQueryStringParameters ?? {})) for (const value of values ?? []) query.append(name, value);
  const search = query.toString() ? `?${query}` : '';
  return {
    method: rest.requestContext?.httpMethod ?? rest.httpMethod ?? 'GET',
    url: `https://${rest.requestContext?.domainName ?? headerValue(rest.headers, 'host') ?? 'localhost'}${rest.requestContext?.path ?? rest.path ?? '/'}${search}`,
    headers: restHeaders(rest),
    clientCertificate: rest.requestContext?.identity?.clientCert?.clientCertPem,
  };
}

/** The multi-value form when present, so a repeated Authorization header is seen as repeated. */
function restHeaders(event: RequestAuthorizerEvent): RequestLike['headers'] {
  if (!event.multiValueHeaders) return event.headers ?? {};
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [name, values] of Object.entries(event.multiValueHeaders)) headers[name] = values?.length === 1 ? values[0] : values;
  return headers;
}

function headerValue(headers: Headers, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
