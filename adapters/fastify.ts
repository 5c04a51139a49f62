/**
 * Fastify 5: a plugin that authenticates every request of the instance it is registered on and
 * puts the verified token on `request.auth`; `requireScopes` and `requirePermissions` are
 * `preHandler` hooks for routes. Refusals are answered here (status, `WWW-Authenticate`,
 * `{ error, error_description }`); our own 503 is thrown, so the app's error handler sees it
 * with its `status`, `headers` and `body`.
 *
 * Route-level opt-out: `config: { auth: false }` skips authentication on that route;
 * `config: { auth: 'optional' }` lets requests without credentials through (bad tokens still fail);
 * `config: { auth: true }` requires credentials even when the plugin is registered `optional`.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerAsyncHookHandler } from 'fastify';
import { fastifyPlugin } from 'fastify-plugin';
import { createVerifier, type AuthResult, type Verifier, type VerifierOptions } from '../src/index.js';
import { AccessTokenError, type ChallengeOptions } from '../src/errors.js';
import { permissionGuard, scopeGuard, type Guard, type GuardOptions } from '../src/guards.js';
import { NodeRequest, verifyNow } from './node-request.js';

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

export interface FastifyGuardSettings {
  /** Let requests without any credentials through with `request.auth` unset. Bad tokens still fail. */
  optional?: boolean;
  /**
   * The hook that authenticates. `onRequest` (default) refuses before the body is even read;
   * pick `preValidation` when the token may come in a form body (`tokenLocations: ['body']`).
   */
  hook?: 'onRequest' | 'preValidation' | 'preHandler';
  /** Called with every refusal before it is answered: log `error.reason` here, never send it. */
  onRefusal?: (error: AccessTokenError, request: FastifyRequest) => void;
}

/** `app.register(guard, { issuer, audience })`, or `app.register(guard, { verifier })`. */
export type FastifyGuardOptions = (VerifierOptions | { verifier: Verifier }) & FastifyGuardSettings;

/**
 * What `authenticate` leaves for the guards that follow it (its `onRefusal`, and its challenge
 * for an anonymous request), by request. Kept only when it adds something: a verified result
 * carries its verifier's challenge itself, so with no `onRefusal` an authenticated request
 * stores nothing. A WeakMap, so the request keeps the shape Fastify gave it (only `auth`, declared
 * with decorateRequest).
 */
interface GuardState {
  challenge: ChallengeOptions;
  onRefusal: FastifyGuardSettings['onRefusal'];
}
const guardStates = new WeakMap<FastifyRequest, GuardState>();

const plugin: FastifyPluginAsync<FastifyGuardOptions> = async (fastify, options) => {
  const { optional = false, hook = 'onRequest', onRefusal, ...rest } = options;
  const verifier = 'verifier' in rest ? rest.verifier : createVerifier(rest as VerifierOptions);
  fastify.decorateRequest('auth', undefined);
  const state: GuardState = { challenge: verifier.challenge, onRefusal };
  const keepState = onRefusal !== undefined;

  /** A refusal is answered here and the hook chain stops (`done` is not called). */
  function reject(error: unknown, mode: boolean | 'optional' | undefined, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const anonymous = error instanceof AccessTokenError && error.code === 'missing_credentials';
    if (anonymous && (mode === undefined ? optional : mode === 'optional')) {
      guardStates.set(request, state);
      return done();
    }
    if (!(error instanceof AccessTokenError)) return done(error as Error);
    try {
      onRefusal?.(error, request);
      refuse(reply, error);
    } catch (failure) {
      done(failure as Error);
    }
  }

  // Callback style, not async: with the result at hand (the usual case) the request goes on in
  // this tick, as after a synchronous check, instead of through two promise hops.
  fastify.addHook(hook, (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const mode = request.routeOptions.config?.auth;
    if (mode === false) return done();
    if (keepState) guardStates.set(request, state);
    let outcome: AuthResult | Promise<AuthResult>;
    try {
      outcome = verifyNow(verifier, new FastifyRequestLike(request));
    } catch (error) {
      return reject(error, mode, request, reply, done);
    }
    if (!(outcome instanceof Promise)) {
      request.auth = outcome;
      return done();
    }
    outcome.then(
      (auth) => {
        request.auth = auth;
        done();
      },
      (error: unknown) => reject(error, mode, request, reply, done),
    );
  });
};

/** fastify-plugin lifts the encapsulation, so the hook and `request.auth` reach the whole app. */
const guard = fastifyPlugin(plugin, { fastify: '5.x', name: 'access-token-guard' });
export default guard;
export { guard as accessTokenGuard };

export function requireScopes(scopes: string | string[], options?: GuardOptions): preHandlerAsyncHookHandler {
  return guardHook(scopeGuard(scopes, options));
}

export function requirePermissions(permissions: string | string[], options?: GuardOptions): preHandlerAsyncHookHandler {
  return guardHook(permissionGuard(permissions, options));
}

function guardHook(check: Guard): preHandlerAsyncHookHandler {
  return async function (request, reply) {
    const error = check(request.auth);
    if (!error) return;
    const state = guardStates.get(request);
    if (state) error.challenge = state.challenge;
    state?.onRefusal?.(error, request);
    return refuse(reply, error);
  };
}

function refuse(reply: FastifyReply, error: AccessTokenError): FastifyReply {
  return reply.code(error.status).headers(error.headers).send(error.body);
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
}

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
