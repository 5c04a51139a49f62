// @ts-nocheck -- checked by consumer-typing.test.ts against the BUILT package, not by the repo's tsc (dist may not exist yet)
/** A CommonJS consumer: every entry point through `require`, typed by the `.d.cts` declarations. */
import core = require('access-token-guard');
import expressAdapter = require('access-token-guard/express');
import fastifyAdapter = require('access-token-guard/fastify');
import koaAdapter = require('access-token-guard/koa');
import webAdapter = require('access-token-guard/web');
import lambdaAdapter = require('access-token-guard/lambda');
import honoAdapter = require('access-token-guard/hono');
import nestAdapter = require('access-token-guard/nestjs');

const options: core.VerifierOptions = { issuer: 'https://YOUR_DOMAIN/', audience: 'https://api.example.com' };
export const middleware = [expressAdapter.authenticate(options), koaAdapter.authenticate(options)];
export const plugin = fastifyAdapter.accessTokenGuard;
export const sameAsDefault: typeof fastifyAdapter.accessTokenGuard = fastifyAdapter.default;
export const web = webAdapter.authenticate(webAdapter.createVerifier(options));
export const handler = lambdaAdapter.createAuthorizer(core.createVerifier(options));
export const honoMiddleware = honoAdapter.authenticate(honoAdapter.createVerifier(options));
export const nestModule = nestAdapter.AccessTokenGuardModule.forRoot(options);
export const nestGuard: typeof nestAdapter.AccessTokenGuard = nestAdapter.AccessTokenGuard;
