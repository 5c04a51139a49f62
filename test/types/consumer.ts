// @ts-nocheck -- checked by consumer-typing.test.ts against the BUILT package, not by the repo's tsc (dist may not exist yet)
/**
 * A consumer's ESM file: every entry point imported by its package name and used the way the
 * README shows. consumer-typing.test.ts type-checks it, strict, against a fresh build installed
 * as `node_modules/access-token-guard` (NodeNext, then bundler resolution).
 */
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { createVerifier, isGuardError, type AuthResult, type VerifierOptions } from 'access-token-guard';
import { authenticate as expressAuthenticate, requirePermissions as expressPermissions, requireScopes as expressScopes } from 'access-token-guard/express';
import guard, { accessTokenGuard, KeysUnavailableError, requirePermissions, requireScopes, type FastifyGuardOptions } from 'access-token-guard/fastify';
import { authenticate as koaAuthenticate, requireScopes as koaScopes, type AuthState } from 'access-token-guard/koa';
import { authenticate as webAuthenticate, createVerifier as createWebVerifier, errorResponse, requireScopes as webScopes } from 'access-token-guard/web';
import { authorizerContext, createAuthorizer, type AuthorizerEvent, type PolicyResponse, type SimpleResponse } from 'access-token-guard/lambda';

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
koa.use(koaAuthenticate(options)).use(koaScopes('read:messages')).use((ctx) => {
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

// Lambda: one handler for every event shape.
export const handler = createAuthorizer(options, { scopes: ['read:messages'], simpleResponses: true, resource: (event: AuthorizerEvent) => ('routeArn' in event ? event.routeArn : event.methodArn) });
const answer: PolicyResponse | SimpleResponse = await handler({ type: 'TOKEN', authorizationToken: 'Bearer x', methodArn: 'arn:aws:execute-api:r:1:api/stage/GET/' });
void answer;
void authorizerContext;
void isGuardError;

// README "Several issuers" and "Issuers: Cognito, Entra ID, Okta, Keycloak": every block as written there
// (readme-blocks.test.ts checks that each one appears here verbatim).
declare const token: string;
declare function findTenantByIssuer(issuer: string): Promise<{ id: string } | undefined>;
{
const verifier = createVerifier({
  issuers: [
    { issuer: 'https://YOUR_DOMAIN/', audience: 'https://api.example.com', dialect: 'auth0' },
    { issuer: 'https://login.example.org/realms/partners', audience: 'orders-api', dialect: 'keycloak' },
  ],
  realm: 'orders',                          // shared options stay at the top level
});
const auth = await verifier.verify(token);
auth.issuer;                                // which issuer (tenant) the caller belongs to
}
{
const tenants = createVerifier({
  issuers: async (issuer, request) => {
    const tenant = await findTenantByIssuer(issuer);   // your lookup; `request` has method, url, headers
    return tenant ? { audience: 'https://api.example.com', dialect: 'rfc9068' } : undefined;
  },
  issuerCache: { maxEntries: 500 },
});
}
{
const cognito = createVerifier({
  issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE',   // keys by discovery
  dialect: 'cognito',
  clientId: ['1example23456789'],                                          // your app client id(s)
});
}
{
const entra = createVerifier({
  issuer: 'https://login.microsoftonline.com/YOUR_TENANT_ID/v2.0',   // v1 tokens: https://sts.windows.net/YOUR_TENANT_ID/
  audience: ['api://orders', 'YOUR_API_CLIENT_ID'],
  dialect: 'entra',
});
}
{
const anyTenant = createVerifier({
  issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
  jwksUri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
  audience: 'YOUR_API_CLIENT_ID',
  dialect: 'entra',
});
// auth.issuer and auth.claims.tid say which tenant; restrict tenants with requireClaim or a resolver.
}
{
const okta = createVerifier({
  issuer: 'https://YOUR_ORG.okta.com/oauth2/default',
  audience: 'api://default',
  dialect: 'okta',
  claims: { permissions: 'groups' },
});
}
{
const keycloak = createVerifier({
  issuer: 'https://keycloak.example.com/realms/acme',
  audience: 'orders-api',
  dialect: 'keycloak',
});
}
{
const custom = createVerifier({
  issuer: 'https://id.example.com/',
  audience: 'https://api.example.com',
  claims: { scopes: 'scp', permissions: 'authorization.roles' },
});
}
