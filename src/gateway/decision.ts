/**
 * One forward-auth decision: the original request is read from the gateway's headers, its route
 * found, the token judged by `verifier.authenticate` and the route's prepared guards — nothing is
 * verified here — and the answer made: 200 with the identity headers, or the response the outcome
 * carries (status, `WWW-Authenticate` or `Retry-After`, JSON body), which the gateway passes back.
 * Every outcome other than accepted and anonymous is answered with its own `response`, so a new
 * kind of outcome needs no change here.
 */
import { AccessTokenError, type ErrorResponse } from '../errors.js';
import type { Outcome } from '../outcome.js';
import type { AuthResult, RequestLike } from '../types.js';
import type { Verifier } from '../verifier.js';
import type { ResolvedGatewayConfig } from './config.js';
import { identityHeaders } from './identity.js';
import { readOriginalRequest, type OriginalRequest } from './original-request.js';
import { compileRoutes, findRoute, normalizePath, type Route } from './routes.js';

/** What the service answers, and what its log line says. */
export interface Decision {
  status: number;
  headers: Record<string, string>;
  body: string;
  log: DecisionFacts;
}

export interface DecisionFacts {
  /** `allowed`, `anonymous`, or the outcome kind (`refused`, `unavailable`, …), or `misconfigured`. */
  decision: string;
  status: number;
  /** The error code: `invalid_token`, `insufficient_scope`, `temporarily_unavailable`… */
  code?: string;
  /** The detailed reason for the log (token-supplied values in it are quoted by the core). */
  reason?: string;
  route?: string;
  method?: string;
  path?: string;
  subject?: string;
  clientId?: string;
}

export interface GatewayRequest {
  method: string;
  url: string;
  /** Repeated `Authorization` or `DPoP` headers as arrays, so the core can refuse them. */
  headers: Record<string, string | string[] | undefined>;
}

/** The header that repeats a refusal's body for nginx. */
export const ERROR_BODY_HEADER = 'x-auth-error';

const MISCONFIGURED: ErrorResponse = {
  status: 500,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ error: 'server_error', error_description: 'The authorization service cannot decide this request.' }),
};

export function createDecider(verifier: Verifier, config: ResolvedGatewayConfig): (request: GatewayRequest) => Decision | Promise<Decision> {
  const routes = compileRoutes(config.routes);
  const { gateway, pathPrefix, headers: identityNames } = config;
  const optional = { optional: true };

  function decide(request: GatewayRequest): Decision | Promise<Decision> {
    const original = readOriginalRequest(gateway, pathPrefix, request);
    if ('problem' in original) return answer(forGateway(MISCONFIGURED), { decision: 'misconfigured', status: 500, reason: original.problem });
    const path = normalizePath(original.uri);
    const facts: DecisionFacts = { decision: '', status: 0, method: original.method, path: path ?? original.uri };
    if (path === undefined) {
      const error = new AccessTokenError('invalid_request', 'The request path is not acceptable.', 'the original path has a spelling servers disagree on (escaped / or \\, control characters) or is not a path', {
        challenge: verifier.challenge,
      });
      return refused(error.response, error, 'refused', facts);
    }
    const route = findRoute(routes, original.method, path);
    facts.route = route.label;
    const outcome = verifier.authenticate(toRequestLike(original, request.headers), route.anonymous ? optional : undefined);
    return outcome instanceof Promise ? outcome.then((settled) => conclude(settled, route, facts)) : conclude(outcome, route, facts);
  }

  function conclude(outcome: Outcome, route: Route, facts: DecisionFacts): Decision {
    if (outcome.kind === 'anonymous') return allow(undefined, 'anonymous', facts);
    if (outcome.kind !== 'accepted') return refused(outcome.response, 'error' in outcome ? outcome.error : undefined, outcome.kind, facts);
    const auth = outcome.auth;
    facts.subject = auth.subject;
    facts.clientId = auth.clientId;
    for (const guard of route.guards) {
      const refusal = guard(auth);
      if (refusal) return refused(refusal.response, refusal.error, refusal.kind, facts);
    }
    return allow(auth, 'allowed', facts);
  }

  function allow(auth: AuthResult | undefined, decision: string, facts: DecisionFacts): Decision {
    const headers = identityHeaders(auth, identityNames);
    if ('tooLong' in headers) {
      const error = new AccessTokenError('invalid_token', 'The access token is invalid.', `the token's ${headers.tooLong} is ${headers.length} characters once encoded, more than an identity header carries`, {
        challenge: verifier.challenge,
        scheme: auth?.binding === 'dpop' ? 'DPoP' : 'Bearer',
      });
      return refused(error.response, error, 'refused', facts);
    }
    // No body: nginx keeps its connection to the service only after a response without one.
    return answer({ status: 200, headers, body: '' }, { ...facts, decision, status: 200 });
  }

  function refused(response: ErrorResponse, error: { code: string; reason: string } | undefined, decision: string, facts: DecisionFacts): Decision {
    return answer(forGateway(response), { ...facts, decision, status: response.status, code: error?.code, reason: error?.reason });
  }

  /**
   * nginx's `auth_request` passes on only the status of a refusal (and turns every status but 401
   * and 403 into 500): the body goes in `X-Auth-Error` instead, for the documented error location
   * to send. nginx reads no body of an auth response, and closes the connection to the service
   * after any response that has one: with none, its keep-alive connections are reused.
   */
  function forGateway(response: ErrorResponse): ErrorResponse {
    return gateway === 'nginx' ? { ...response, headers: { ...response.headers, [ERROR_BODY_HEADER]: response.body }, body: '' } : response;
  }

  return decide;
}

function answer(response: ErrorResponse, log: DecisionFacts): Decision {
  return { status: response.status, headers: response.headers, body: response.body, log };
}

/** The original request as the core reads it: the gateway's copy of the client's headers carries the token, the proof and the certificate. */
function toRequestLike(original: OriginalRequest, headers: GatewayRequest['headers']): RequestLike {
  return { method: original.method, url: original.url, headers };
}
