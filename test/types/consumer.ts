// @ts-nocheck -- checked by consumer-typing.test.ts against the BUILT package, not by the repo's tsc (dist may not exist yet)
/**
 * A consumer's ESM file: every entry point imported by its package name and used the way the
 * README shows. consumer-typing.test.ts type-checks it, strict, against a fresh build installed
 * as `node_modules/access-token-guard` (NodeNext, then bundler resolution).
 */
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { createVerifier, isGuardError, TokenStatusUnavailableError, type AuthResult, type IntrospectionEvent, type IntrospectionOptions, type IssuerOptions, type IssuerResolver, type VerifierOptions } from 'access-token-guard';
import { authenticate as expressAuthenticate, requirePermissions as expressPermissions, requireScopes as expressScopes } from 'access-token-guard/express';
import guard, { accessTokenGuard, KeysUnavailableError, requireAuthLevel, requirePermissions, requireScopes, type FastifyGuardOptions } from 'access-token-guard/fastify';
import { authenticate as koaAuthenticate, requireAuthLevel as koaAuthLevel, requireScopes as koaScopes, type AuthState } from 'access-token-guard/koa';
import { authenticate as webAuthenticate, createVerifier as createWebVerifier, errorResponse, requireAuthLevel as webAuthLevel, requireScopes as webScopes } from 'access-token-guard/web';
import { authorizerContext, createAuthorizer, type AuthorizerEvent, type PolicyResponse, type SimpleResponse } from 'access-token-guard/lambda';
import { Hono } from 'hono';
import { authenticate as honoAuthenticate, requireClaim as honoClaim, requireScopes as honoScopes, type AuthEnv } from 'access-token-guard/hono';
import { APP_GUARD } from '@nestjs/core';
import { AccessTokenGuard, AccessTokenGuardModule, AccessTokenException, type AccessTokenGuardOptions } from 'access-token-guard/nestjs';

const options: VerifierOptions = { issuer: 'https://YOUR_DOMAIN/', audience: process.env.AUDIENCE ?? 'https://api.example.com' };

// Express: req.auth is typed by the adapter's global augmentation.
const app = express();
app.get('/messages', expressAuthenticate(options, { optional: false }), expressScopes('read:messages'), expressPermissions(['read:messages'], { match: 'any' }), (req, res) => {
  const subject: string | undefined = req.auth?.subject;
  res.json({ subject });
});

// Fastify: options or a verifier; request.auth and config.auth typed by declaration merging.
const fastify = Fastify();
await fastify.register(guard, options);
await fastify.register(accessTokenGuard, { verifier: createVerifier(options), optional: true, onRefusal: (error, request) => request.log.info(error.reason) });
const fastifyOptions: FastifyGuardOptions = { ...options, hook: 'preValidation' };
void fastifyOptions;
fastify.get<{ Querystring: { q: string } }>(
  '/search',
  { preHandler: [requireScopes('read:messages'), requirePermissions('read:messages')], config: { auth: 'optional' } },
  async (request) => {
    const auth: AuthResult | undefined = request.auth;
    return { q: request.query.q, subject: auth?.subject };
  },
);
fastify.get('/health', { config: { auth: false } }, async () => 'ok');
// @ts-expect-error -- config.auth is boolean | 'optional'
fastify.get('/typo', { config: { auth: 'yes' } }, async () => 'no');
fastify.setErrorHandler((error, _request, reply) => {
  if (error instanceof KeysUnavailableError) return reply.code(error.status).headers(error.headers).send(error.body);
  return reply.send(error);
});

// Koa: ctx.state.auth typed on Koa<AuthState> and on the default state.
const koa = new Koa<AuthState>();
koa.use(koaAuthenticate({ ...options, resourceMetadata: { scopesSupported: ['read:messages'] } })).use(koaScopes('read:messages')).use(koaAuthLevel({ maxAge: 300 })).use((ctx) => {
  const scopes: string[] | undefined = ctx.state.auth?.scopes;
  ctx.body = { scopes };
});
new Koa().use((ctx) => {
  const auth: AuthResult | undefined = ctx.state.auth;
  ctx.body = auth?.clientId;
});

// Web: the result or a Response; the optional mode adds undefined.
const authenticate = webAuthenticate(createWebVerifier(options));
const readMessages = webScopes('read:messages');
const recentLogin = webAuthLevel({ acrValues: ['mfa'], onRefusal: (error) => console.warn(error.reason) });
void recentLogin;
const stepUp = [requireAuthLevel({ maxAge: 60 })];
void stepUp;
export default {
  async fetch(request: Request): Promise<Response> {
    const result = await authenticate(request);
    if (result instanceof Response) return result;
    return readMessages(result) ?? Response.json({ subject: result.subject });
  },
};
const maybe: AuthResult | Response | undefined = await webAuthenticate(options, { optional: true })(new Request('https://api.example.com/'));
// @ts-expect-error -- without `optional` there is no undefined to handle
const never: undefined = await authenticate(new Request('https://api.example.com/'));
void maybe;
void never;
void errorResponse;

// Introspection options and their error, as a consumer types them (README blocks are compiled separately).
const introspectionOptions: IntrospectionOptions = { clientId: 'api', privateKey: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' }, mode: 'all', failOpen: false, signedResponses: true, onEvent: (event: IntrospectionEvent) => void event.kind };
void introspectionOptions;
void TokenStatusUnavailableError;

// Lambda: one handler for every event shape.
export const handler = createAuthorizer(options, { scopes: ['read:messages'], simpleResponses: true, resource: (event: AuthorizerEvent) => ('routeArn' in event ? event.routeArn : event.methodArn) });
const answer: PolicyResponse | SimpleResponse = await handler({ type: 'TOKEN', authorizationToken: 'Bearer x', methodArn: 'arn:aws:execute-api:r:1:api/stage/GET/' });
void answer;
void authorizerContext;
void isGuardError;

// Hono: c.var.auth typed by the middleware (no `!`), or by Hono<AuthEnv>; optional adds undefined.
const hono = new Hono()
  .get('/me', honoAuthenticate(options), (c) => c.json({ subject: c.var.auth.subject }))
  .get('/org', honoAuthenticate(options), honoClaim((claims) => claims.org_id === 'org_1', 'Wrong organization.'), (c) => c.text(c.var.auth.clientId ?? ''))
  .get('/feed', honoAuthenticate(options, { optional: true }), (c) => {
    const maybeAuth: AuthResult | undefined = c.var.auth;
    // @ts-expect-error -- optional: auth may be undefined
    const surely: AuthResult = c.var.auth;
    return c.json({ subject: maybeAuth?.subject ?? surely.subject });
  });
const typedHono = new Hono<AuthEnv>();
typedHono.use('/api/*', honoAuthenticate(options, { onRefusal: (error, c) => console.warn(c.req.path, error.reason) }), honoScopes('read:messages'));
typedHono.get('/api/me', (c) => c.text(c.var.auth.subject ?? ''));
void hono;

// NestJS, without decorator syntax (consumer-nestjs.ts has it): the module and the global guard.
const nestOptions: AccessTokenGuardOptions = { ...options, optional: false, forwardUnavailable: false };
export const nestModule = AccessTokenGuardModule.forRoot(nestOptions);
export const nestAsyncModule = AccessTokenGuardModule.forRootAsync({ useFactory: async () => ({ verifier: createVerifier(options) }) });
export const nestGuard = { provide: APP_GUARD, useClass: AccessTokenGuard };
void AccessTokenException;

// Several issuers: per-issuer options typed on their own, and the resolver form.
const entries = [{ issuer: 'https://a.example/', audience: 'api' }, { issuer: 'https://b.example/', dialect: 'cognito', clientId: ['app'] }] satisfies IssuerOptions[];
const resolver: IssuerResolver = async (issuer, request) => (issuer.startsWith('https://') && request.url ? entries[0] : undefined);
const issuerOfResult: string = (await createVerifier({ issuers: entries }).verify('t')).issuer;
void createVerifier({ issuers: resolver, issuerCache: { maxEntries: 10 } });
void issuerOfResult;
