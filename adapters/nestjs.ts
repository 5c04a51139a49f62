/**
 * NestJS 11, on both HTTP platforms (Express and Fastify): `AccessTokenGuardModule.forRoot(options)`
 * (or `forRootAsync`) provides `AccessTokenGuard`, used globally (`APP_GUARD`) or per controller
 * (`@UseGuards`). It puts the verified token on the platform's request, where `@Auth()` reads it;
 * `@RequireScopes`, `@RequirePermissions` and `@RequireClaim` guard routes; `@OptionalAuth()` lets
 * requests without credentials in and `@AllowAnonymous()` skips authentication on a route.
 * Translation only: the core decides (`verifier.authenticate`).
 *
 * A refusal (and our 503) becomes an `AccessTokenException`, an `HttpException` carrying the status
 * and the `{ error, error_description }` body, so Nest's exception layer answers it as it answers
 * any HttpException (never a 500) and an app's own filters see it. Its headers (`WWW-Authenticate`,
 * `Retry-After`) are set on the platform's response before it is thrown, through Nest's own HTTP
 * adapter, so no filter can lose them.
 *
 * Written without decorator syntax (Nest's decorator functions are called directly), so this
 * package compiles without `experimentalDecorators`; an app using the decorators needs it, as
 * every Nest app does.
 */
import type { IncomingMessage } from 'node:http';
import {
  createParamDecorator,
  HttpException,
  Inject,
  Injectable,
  Module,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type InjectionToken,
  type ModuleMetadata,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Guard } from '../src/guards.js';
import { createGuardFactories, createHostAuthenticator, createHostGuard, type HostAuthenticateOptions } from '../src/host.js';
import { verifierFrom, type AuthResult, type ErrorResponse, type GuardError, type Outcome, type Refused, type Verifier, type VerifierOptions } from '../src/index.js';
import { NodeRequest } from './node-request.js';

/** Express's or Fastify's request, as far as this adapter reads it; `auth` is what it sets. */
export interface PlatformRequest {
  method: string;
  url: string;
  originalUrl?: string;
  protocol: string;
  host?: string;
  headers: IncomingMessage['headers'];
  body?: unknown;
  /** Fastify's Node request; Express's request is the Node request itself. */
  raw?: IncomingMessage;
  /** The verified access token, set by `AccessTokenGuard`. */
  auth?: AuthResult;
}

export interface AccessTokenGuardSettings extends HostAuthenticateOptions<PlatformRequest> {
  /**
   * Throw our 503 (keys or replay store unavailable) as it is, a `KeysUnavailableError`, for the
   * app's exception filters, instead of as an `AccessTokenException` that answers it. Default
   * `false`: answered with a safe body and `Retry-After`. (Nest's default filter answers an
   * error it does not know with a 500.)
   */
  forwardUnavailable?: boolean;
}

/** `forRoot({ issuer, audience, …settings })`, or `forRoot({ verifier, …settings })`. */
export type AccessTokenGuardOptions = (VerifierOptions | { verifier: Verifier }) & AccessTokenGuardSettings;

export interface AccessTokenGuardAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Makes the options, from the providers named in `inject` (a `ConfigService`, …). */
  useFactory: (...dependencies: any[]) => AccessTokenGuardOptions | Promise<AccessTokenGuardOptions>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
}

/** Inject the verifier the module made (`@Inject(ACCESS_TOKEN_VERIFIER)`), e.g. to verify a token outside a request. */
export const ACCESS_TOKEN_VERIFIER = Symbol('access-token-guard verifier');
const OPTIONS = Symbol('access-token-guard options');
const RUNTIME = Symbol('access-token-guard runtime');

/** What the module makes from its options once, shared by every `AccessTokenGuard` instance. */
interface GuardRuntime {
  verifier: Verifier;
  /** Route mode when a route and its controller say nothing. */
  optional: boolean;
  forwardUnavailable: boolean;
  /** One authenticator per route mode: a route may be stricter or looser than the module. */
  required: (request: PlatformRequest, core: NodeRequest) => Outcome | Promise<Outcome>;
  anonymousAllowed: (request: PlatformRequest, core: NodeRequest) => Outcome | Promise<Outcome>;
}

function runtimeFrom(options: AccessTokenGuardOptions): GuardRuntime {
  const { optional = false, onRefusal, forwardUnavailable = false, ...rest } = options;
  const verifier = verifierFrom('verifier' in rest ? rest.verifier : (rest as VerifierOptions));
  return {
    verifier,
    optional,
    forwardUnavailable,
    required: createHostAuthenticator<PlatformRequest>(verifier, { optional: false, onRefusal }),
    anonymousAllowed: createHostAuthenticator<PlatformRequest>(verifier, { optional: true, onRefusal }),
  };
}

// Route policy: what the decorators said about a controller class or a handler method.

type Mode = 'required' | 'optional' | 'anonymous';

interface RoutePolicy {
  mode?: Mode;
  guards: Array<(request: PlatformRequest, auth: AuthResult | undefined) => Refused | undefined>;
}

/** Keyed by the controller class or the handler function, as `ExecutionContext` hands them back. */
const policies = new WeakMap<object, RoutePolicy>();

function policyOf(target: object): RoutePolicy {
  let policy = policies.get(target);
  if (!policy) policies.set(target, (policy = { guards: [] }));
  return policy;
}

/** A decorator for a controller class or one of its handlers. */
function routeDecorator(apply: (policy: RoutePolicy) => void): ClassDecorator & MethodDecorator {
  return ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    apply(policyOf(descriptor ? (descriptor.value as object) : target));
  }) as ClassDecorator & MethodDecorator;
}

function guardDecorator(guard: Guard): ClassDecorator & MethodDecorator {
  const check = createHostGuard<PlatformRequest>(guard);
  // Decorators apply bottom-up: prepending keeps the guards in the order they are written.
  return routeDecorator((policy) => policy.guards.unshift(check));
}

const guardDecorators = createGuardFactories(guardDecorator);
/** 403 unless the token has the scopes (`match: 'any'`: one of them). On a controller or a handler. */
export const RequireScopes = guardDecorators.requireScopes;
/** The same for the `permissions` claim (Auth0 RBAC). */
export const RequirePermissions = guardDecorators.requirePermissions;
/** 403 unless `predicate(claims)` holds; `description` is what the client reads. */
export const RequireClaim = guardDecorators.requireClaim;

/** Requests without any credentials get through with no `auth`; bad tokens are still refused. */
export function OptionalAuth(): ClassDecorator & MethodDecorator {
  return routeDecorator((policy) => (policy.mode = 'optional'));
}

/** The route is public: no token is looked at (a guard decorator on it still refuses, with 401). */
export function AllowAnonymous(): ClassDecorator & MethodDecorator {
  return routeDecorator((policy) => (policy.mode = 'anonymous'));
}

/** Credentials required here even when the module was configured `optional`. */
export function RequireAuth(): ClassDecorator & MethodDecorator {
  return routeDecorator((policy) => (policy.mode = 'required'));
}

/** The verified token, as a handler parameter: `@Auth() auth: AuthResult` (`| undefined` on optional routes). */
export const Auth: () => ParameterDecorator = createParamDecorator((_data: unknown, context: ExecutionContext): AuthResult | undefined => {
  return context.switchToHttp().getRequest<PlatformRequest>().auth;
});

/**
 * A refusal or our 503 for Nest's exception layer: status and body as `getStatus()` and
 * `getResponse()`, the error (with its `reason`, for logs) as `error`. Its headers are already on
 * the response when it is thrown.
 */
export class AccessTokenException extends HttpException {
  /** The refusal's error; `undefined` for an answer that is no refusal (the resource metadata document). */
  readonly error: GuardError | undefined;
  /** The whole answer: status, headers (lower-case names), body text. */
  readonly answer: ErrorResponse;

  constructor(error: GuardError | undefined, answer: ErrorResponse) {
    super(bodyOf(answer), answer.status, { cause: error });
    this.error = error;
    this.answer = answer;
  }
}

/** Nest serialises an object body as JSON with the content type set here; any other text goes as text. */
function bodyOf(answer: ErrorResponse): string | Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(answer.body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // not JSON: sent as the text it is
  }
  return answer.body;
}

export class AccessTokenGuard implements CanActivate {
  readonly #runtime: GuardRuntime;
  readonly #adapterHost: HttpAdapterHost;

  constructor(runtime: GuardRuntime, adapterHost: HttpAdapterHost) {
    this.#runtime = runtime;
    this.#adapterHost = adapterHost;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') {
      throw new TypeError(`AccessTokenGuard guards HTTP routes only; this handler is called over "${context.getType()}"`);
    }
    const onClass = policies.get(context.getClass());
    const onHandler = policies.get(context.getHandler());
    const mode = onHandler?.mode ?? onClass?.mode ?? (this.#runtime.optional ? 'optional' : 'required');
    const guards = [...(onClass?.guards ?? []), ...(onHandler?.guards ?? [])];
    const http = context.switchToHttp();
    const request = http.getRequest<PlatformRequest>();
    const response: unknown = http.getResponse();
    if (mode === 'anonymous') return this.#guard(request, response, guards);

    const authenticateRequest = mode === 'optional' ? this.#runtime.anonymousAllowed : this.#runtime.required;
    const outcome = authenticateRequest(request, new PlatformRequestLike(request));
    // Usually the outcome itself: the guard answers without a promise hop.
    return outcome instanceof Promise
      ? outcome.then((settled) => this.#answer(settled, request, response, guards))
      : this.#answer(outcome, request, response, guards);
  }

  #answer(outcome: Outcome, request: PlatformRequest, response: unknown, guards: RoutePolicy['guards']): true {
    if (outcome.kind === 'accepted') request.auth = outcome.auth;
    else if (outcome.kind === 'unavailable' && this.#runtime.forwardUnavailable) throw outcome.error;
    // Every other kind carries the response to send (`answered`: a document, no error).
    else if (outcome.kind !== 'anonymous') this.#refuse(response, 'error' in outcome ? outcome.error : undefined, outcome.response);
    return this.#guard(request, response, guards);
  }

  #guard(request: PlatformRequest, response: unknown, guards: RoutePolicy['guards']): true {
    for (const check of guards) {
      const refusal = check(request, request.auth);
      if (refusal) this.#refuse(response, refusal.error, refusal.response);
    }
    return true;
  }

  #refuse(response: unknown, error: GuardError | undefined, answer: ErrorResponse): never {
    const platform = this.#adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(answer.headers)) platform.setHeader(response, name, value);
    throw new AccessTokenException(error, answer);
  }
}
Injectable()(AccessTokenGuard);
// Constructor parameters named explicitly: no reliance on emitted type metadata.
Inject(RUNTIME)(AccessTokenGuard, undefined, 0);
Inject(HttpAdapterHost)(AccessTokenGuard, undefined, 1);

/** Registers the verifier and `AccessTokenGuard` for the whole app (a global module). */
export class AccessTokenGuardModule {
  static forRoot(options: AccessTokenGuardOptions): DynamicModule {
    return moduleWith([{ provide: OPTIONS, useValue: options }]);
  }

  static forRootAsync(options: AccessTokenGuardAsyncOptions): DynamicModule {
    return moduleWith([{ provide: OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }], options.imports);
  }
}
Module({})(AccessTokenGuardModule);

function moduleWith(optionsProvider: Provider[], imports: ModuleMetadata['imports'] = []): DynamicModule {
  return {
    module: AccessTokenGuardModule,
    global: true,
    imports,
    providers: [
      ...optionsProvider,
      { provide: RUNTIME, useFactory: runtimeFrom, inject: [OPTIONS] },
      { provide: ACCESS_TOKEN_VERIFIER, useFactory: (runtime: GuardRuntime) => runtime.verifier, inject: [RUNTIME] },
      AccessTokenGuard,
    ],
    exports: [RUNTIME, ACCESS_TOKEN_VERIFIER, AccessTokenGuard],
  };
}

/** The platform's request as the core reads it (see `NodeRequest`). */
class PlatformRequestLike extends NodeRequest {
  readonly #request: PlatformRequest;

  constructor(request: PlatformRequest) {
    super(request.method, request.raw ?? (request as unknown as IncomingMessage), request.body);
    this.#request = request;
  }

  /** Both platforms' `protocol` and `host` honour their own trust-proxy setting; `host` keeps the port. */
  get url(): string {
    const request = this.#request;
    return `${request.protocol}://${request.host ?? 'localhost'}${this.path}`;
  }

  get path(): string {
    return this.#request.originalUrl ?? this.#request.url;
  }
}

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
