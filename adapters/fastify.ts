/**
 * Fastify 5: a plugin that authenticates every request of the instance it is registered on and
 * puts the verified token on `request.auth`; `requireScopes`, `requirePermissions` and
 * `requireClaim` are `preHandler` hooks for routes. Translation only: the core decides
 * (`verifier.authenticate`), and every refusal, our 503 included, is answered here with the
 * response it carries (status, `WWW-Authenticate` or `Retry-After`, `{ error, error_description }`).
 *
 * Route-level opt-out: `config: { auth: false }` skips authentication on that route;
 * `config: { auth: 'optional' }` lets requests without credentials through (bad tokens still fail);
 * `config: { auth: true }` requires credentials even when the plugin is registered `optional`.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerAsyncHookHandler } from 'fastify';
import { fastifyPlugin } from 'fastify-plugin';
import type { Guard } from '../src/guards.js';
import { createGuardFactories, createHostAuthenticator, createHostGuard, type HostAuthenticateOptions } from '../src/host.js';
import { verifierFrom, type AuthResult, type ErrorResponse, type Outcome, type Verifier, type VerifierOptions } from '../src/index.js';
import { NodeRequest } from './node-request.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token; unset on routes that opted out or let anonymous requests in. */
    auth?: AuthResult;
  }
  interface FastifyContextConfig {
    /**
     * `false`: this route is not authenticated; `'optional'`: anonymous requests pass;
     * `true`: credentials required even when the plugin was registered `optional`.
     */
    auth?: boolean | 'optional';
  }
}

export interface FastifyGuardSettings extends HostAuthenticateOptions<FastifyRequest> {
  /**
   * The hook that authenticates. `onRequest` (default) refuses before the body is even read;
   * pick `preValidation` when the token may come in a form body (`tokenLocations: ['body']`).
   */
  hook?: 'onRequest' | 'preValidation' | 'preHandler';
  /**
   * Hand our 503 (keys or replay store unavailable) to Fastify's error handler instead of
   * answering it here. Default `false`: answered with a safe body and `Retry-After`.
   */
  forwardUnavailable?: boolean;
}

/** `app.register(guard, { issuer, audience })`, or `app.register(guard, { verifier })`. */
export type FastifyGuardOptions = (VerifierOptions | { verifier: Verifier }) & FastifyGuardSettings;

const plugin: FastifyPluginAsync<FastifyGuardOptions> = async (fastify, options) => {
  // Fastify hands a plugin its own register options too (`prefix`, `logLevel`, `logSerializers`):
  // they are Fastify's, not the verifier's, which refuses names it does not know.
  const { optional = false, hook = 'onRequest', onRefusal, forwardUnavailable = false, prefix, logLevel, logSerializers, ...rest } =
    options as FastifyGuardOptions & { prefix?: unknown; logLevel?: unknown; logSerializers?: unknown };
  const verifier = verifierFrom('verifier' in rest ? rest.verifier : (rest as VerifierOptions));
  // One authenticator per route mode: `config.auth` may make a route stricter or looser than the plugin.
  const required = createHostAuthenticator<FastifyRequest>(verifier, { optional: false, onRefusal });
  const anonymousAllowed = createHostAuthenticator<FastifyRequest>(verifier, { optional: true, onRefusal });
  fastify.decorateRequest('auth', undefined);

  function answer(outcome: Outcome, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (outcome.kind === 'accepted') request.auth = outcome.auth;
    if (outcome.kind === 'accepted' || outcome.kind === 'anonymous') return done();
    if (outcome.kind === 'unavailable' && forwardUnavailable) return done(outcome.error);
    // A refusal is answered here and the hook chain stops (`done` is not called).
    send(reply, outcome.response);
  }

  // Callback style, not async: with the outcome at hand (the usual case) the request goes on in
  // this tick, as after a synchronous check, instead of through two promise hops.
  fastify.addHook(hook, (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const mode = request.routeOptions.config?.auth;
    if (mode === false) return done();
    const authenticateRequest = (mode === undefined ? optional : mode === 'optional') ? anonymousAllowed : required;
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = authenticateRequest(request, new FastifyRequestLike(request));
    } catch (error) {
      return done(error as Error);
    }
    if (!(outcome instanceof Promise)) return answer(outcome, request, reply, done);
    outcome.then((settled) => answer(settled, request, reply, done)).catch((error: Error) => done(error));
  });
};

/** fastify-plugin lifts the encapsulation, so the hook and `request.auth` reach the whole app. */
const guard = fastifyPlugin(plugin, { fastify: '5.x', name: 'access-token-guard' });
export default guard;
export { guard as accessTokenGuard };

export const { requireScopes, requirePermissions, requireClaim, requireAuthLevel } = createGuardFactories(guardHook);

function guardHook(guard: Guard): preHandlerAsyncHookHandler {
  const check = createHostGuard<FastifyRequest>(guard);
  return async function (request, reply) {
    const refusal = check(request, request.auth);
    if (refusal) return send(reply, refusal.response);
  };
}

function send(reply: FastifyReply, response: ErrorResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}

/** Fastify's request as the core reads it (see `NodeRequest`). */
class FastifyRequestLike extends NodeRequest {
  readonly #request: FastifyRequest;

  constructor(request: FastifyRequest) {
    super(request.method, request.raw, request.body);
    this.#request = request;
  }

  /** request.protocol and request.host honour Fastify's own `trustProxy` setting. */
  get url(): string {
    return `${this.#request.protocol}://${this.#request.host}${this.#request.url}`;
  }

  get path(): string {
    return this.#request.url;
  }
}

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { AuthLevelOptions, GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
