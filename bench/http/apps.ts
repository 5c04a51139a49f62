/**
 * One small app per framework and variant, all answering `GET /hello` with the same JSON, so
 * the only difference between two variants of a framework is how (and whether) they check the
 * token. Framework modules are imported lazily: a server process loads only its own.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from '../../src/types.js';
import { createFloorVerifier, createThreadpoolFloorVerifier } from './floor.js';

export type Framework = 'express' | 'fastify' | 'koa' | 'hono' | 'nestjs';
export type Variant = 'bare' | 'floor' | 'floor-threadpool' | 'ours' | 'ours-cache' | 'ours-introspection' | 'peer' | 'peer-express-jwt';

export interface AppConfig {
  framework: Framework;
  variant: Variant;
  issuer: string;
  audience: string;
  jwksUri: string;
  /** The signing key, for the floor (which is given it rather than fetching it). */
  jwk: JWK;
  /** Our verifier's allow-list; default RS256 (the memory benchmark signs ES256: quicker to mint). */
  algorithms?: string[];
  /** The introspection endpoint, for `ours-introspection` (Express only; bench/introspection.ts). */
  introspectionEndpoint?: string;
}

export const VARIANTS: Record<Framework, Variant[]> = {
  express: ['bare', 'floor', 'floor-threadpool', 'ours', 'peer', 'peer-express-jwt', 'ours-cache'],
  fastify: ['bare', 'floor', 'ours', 'peer', 'ours-cache'],
  koa: ['bare', 'floor', 'ours', 'peer', 'ours-cache'],
  // No peer for these two: Hono's own hono/jwk and Nest's passport-jwt + jwks-rsa are not drop-in
  // resource-server checks (no scopes, no outage handling), so each is measured against its bare
  // framework and a hand-rolled floor only.
  hono: ['bare', 'floor', 'ours', 'ours-cache'],
  nestjs: ['bare', 'floor', 'ours', 'ours-cache'],
};

export function label(framework: Framework, variant: Variant): string {
  const names: Record<Variant, string> = {
    bare: `bare ${framework} (no auth)`,
    floor: 'hand-rolled sync floor',
    'floor-threadpool': 'hand-rolled floor, callback crypto.verify (threadpool)',
    ours: 'access-token-guard',
    'ours-cache': 'access-token-guard + result cache, 1 repeated token',
    'ours-introspection': 'access-token-guard, opaque tokens introspected (cache on)',
    peer:
      framework === 'express'
        ? 'express-oauth2-jwt-bearer 1.10.0'
        : framework === 'fastify'
          ? 'fastify-auth0-verify 4.1.4'
          : 'jose 6 Koa middleware (bench/http/koa-jose.ts)',
    'peer-express-jwt': 'express-jwt 8.5.1 + jwks-rsa 4.1.0',
  };
  return names[variant];
}

const BODY = { hello: 'world' };

/** The API's client at the bench issuer, for introspection. */
export const BENCH_CLIENT = Object.freeze({ id: 'bench-api', secret: 'bench-api-secret' });

export interface RunningApp {
  port: number;
  close(): Promise<void>;
}

export async function startApp(config: AppConfig): Promise<RunningApp> {
  switch (config.framework) {
    case 'express':
      return startExpress(config);
    case 'fastify':
      return startFastify(config);
    case 'koa':
      return startKoa(config);
    case 'hono':
      return startHono(config);
    case 'nestjs':
      return startNest(config);
  }
}

async function listen(server: Server): Promise<RunningApp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 1024, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startExpress(config: AppConfig): Promise<RunningApp> {
  const { default: express } = await import('express');
  const app = express();
  const { issuer, audience, jwksUri } = config;
  switch (config.variant) {
    case 'bare':
      break;
    case 'floor': {
      const floor = createFloorVerifier(config);
      app.use((req, res, next) => {
        const claims = floor(req.headers.authorization);
        if (!claims) return void res.status(401).set('WWW-Authenticate', 'Bearer').end();
        (req as { user?: unknown }).user = claims;
        next();
      });
      break;
    }
    case 'floor-threadpool': {
      const floor = createThreadpoolFloorVerifier(config);
      app.use((req, res, next) =>
        floor(req.headers.authorization, (claims) => {
          if (!claims) return void res.status(401).set('WWW-Authenticate', 'Bearer').end();
          (req as { user?: unknown }).user = claims;
          next();
        }),
      );
      break;
    }
    case 'ours':
    case 'ours-cache': {
      const { authenticate } = await import('../../adapters/express.js');
      app.use(authenticate({ issuer, audience, algorithms: config.algorithms, resultCache: config.variant === 'ours-cache' }));
      break;
    }
    case 'ours-introspection': {
      const { authenticate } = await import('../../adapters/express.js');
      const introspection = { endpoint: config.introspectionEndpoint, clientId: BENCH_CLIENT.id, clientSecret: BENCH_CLIENT.secret };
      app.use(authenticate({ issuer, audience, algorithms: config.algorithms, introspection }));
      break;
    }
    case 'peer': {
      const { auth } = await import('express-oauth2-jwt-bearer');
      app.use(auth({ issuerBaseURL: issuer, audience, ...(config.algorithms ? { tokenSigningAlg: config.algorithms[0] } : {}) }));
      break;
    }
    case 'peer-express-jwt': {
      const { expressjwt } = await import('express-jwt');
      const jwksRsa = (await import('jwks-rsa')).default;
      const secret = jwksRsa.expressJwtSecret({ jwksUri, cache: true, rateLimit: true });
      app.use(expressjwt({ secret: secret as never, audience, issuer, algorithms: ['RS256'] }));
      break;
    }
  }
  app.get('/hello', (_req, res) => void res.json(BODY));
  // Peers that call next(err) on a bad token: a plain 401, as their documentation shows.
  app.use((error: { status?: number }, _req: unknown, res: import('express').Response, _next: unknown) => {
    res.status(error.status ?? 500).end();
  });
  return listen(app.listen(0, '127.0.0.1'));
}

async function startFastify(config: AppConfig): Promise<RunningApp> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  const { issuer, audience } = config;
  switch (config.variant) {
    case 'bare':
      break;
    case 'floor': {
      const floor = createFloorVerifier(config);
      app.addHook('onRequest', (request, reply, done) => {
        const claims = floor(request.headers.authorization);
        if (!claims) return void reply.code(401).header('WWW-Authenticate', 'Bearer').send();
        (request as { user?: unknown }).user = claims;
        done();
      });
      break;
    }
    case 'ours':
    case 'ours-cache': {
      const { default: guard } = await import('../../adapters/fastify.js');
      await app.register(guard, { issuer, audience, algorithms: config.algorithms, resultCache: config.variant === 'ours-cache' });
      break;
    }
    case 'peer': {
      const { default: auth0Verify } = await import('fastify-auth0-verify');
      await app.register(auth0Verify, { domain: issuer, issuer, audience });
      app.addHook('onRequest', (app as unknown as { authenticate: never }).authenticate);
      break;
    }
    default:
      throw new Error(`no ${config.variant} variant for fastify`);
  }
  app.get('/hello', async () => BODY);
  await app.listen({ port: 0, host: '127.0.0.1', backlog: 1024 });
  return {
    port: (app.server.address() as AddressInfo).port,
    close: () => app.close(),
  };
}

async function startKoa(config: AppConfig): Promise<RunningApp> {
  const { default: Koa } = await import('koa');
  const { createServer } = await import('node:http');
  const app = new Koa();
  const { issuer, audience, jwksUri } = config;
  switch (config.variant) {
    case 'bare':
      break;
    case 'floor': {
      const floor = createFloorVerifier(config);
      app.use((ctx, next) => {
        const claims = floor(ctx.get('authorization') || undefined);
        if (!claims) {
          ctx.status = 401;
          ctx.set('WWW-Authenticate', 'Bearer');
          return;
        }
        ctx.state.user = claims;
        return next();
      });
      break;
    }
    case 'ours':
    case 'ours-cache': {
      const { authenticate } = await import('../../adapters/koa.js');
      app.use(authenticate({ issuer, audience, algorithms: config.algorithms, resultCache: config.variant === 'ours-cache' }) as never);
      break;
    }
    case 'peer': {
      const { joseKoaMiddleware } = await import('./koa-jose.js');
      app.use(joseKoaMiddleware({ issuer, audience, jwksUri }));
      break;
    }
    default:
      throw new Error(`no ${config.variant} variant for koa`);
  }
  app.use((ctx) => {
    ctx.body = BODY;
  });
  return listen(createServer(app.callback()));
}

/** Hono on Node (@hono/node-server). Ours is given a main-entry verifier: `node:crypto`, as the README advises on Node. */
async function startHono(config: AppConfig): Promise<RunningApp> {
  const { Hono } = await import('hono');
  const { createAdaptorServer } = await import('@hono/node-server');
  const app = new Hono();
  const { issuer, audience } = config;
  switch (config.variant) {
    case 'bare':
      break;
    case 'floor': {
      const floor = createFloorVerifier(config);
      app.use(async (c, next) => {
        const claims = floor(c.req.header('authorization'));
        if (!claims) return c.body(null, 401, { 'WWW-Authenticate': 'Bearer' });
        c.set('user' as never, claims as never);
        await next();
      });
      break;
    }
    case 'ours':
    case 'ours-cache': {
      const { authenticate } = await import('../../adapters/hono.js');
      const { createVerifier } = await import('../../src/index.js');
      app.use(authenticate(createVerifier({ issuer, audience, algorithms: config.algorithms, resultCache: config.variant === 'ours-cache' })));
      break;
    }
    default:
      throw new Error(`no ${config.variant} variant for hono`);
  }
  app.get('/hello', (c) => c.json(BODY));
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
}

/** NestJS 11 on its Express platform; the guard global (APP_GUARD), as the README shows. */
async function startNest(config: AppConfig): Promise<RunningApp> {
  await import('reflect-metadata');
  const { Controller, Get, Module, UnauthorizedException } = await import('@nestjs/common');
  const { APP_GUARD, NestFactory } = await import('@nestjs/core');
  const { issuer, audience } = config;

  class HelloController {
    hello() {
      return BODY;
    }
  }
  Controller()(HelloController);
  Get('hello')(HelloController.prototype, 'hello', Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello')!);

  const providers: unknown[] = [];
  const imports: unknown[] = [];
  switch (config.variant) {
    case 'bare':
      break;
    case 'floor': {
      const floor = createFloorVerifier(config);
      // The least a Nest guard can do: the floor's check, a 401 through Nest's exception layer.
      const floorGuard = {
        canActivate(context: import('@nestjs/common').ExecutionContext) {
          const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
          const claims = floor(request.headers.authorization);
          if (!claims) throw new UnauthorizedException();
          request.user = claims;
          return true;
        },
      };
      providers.push({ provide: APP_GUARD, useValue: floorGuard });
      break;
    }
    case 'ours':
    case 'ours-cache': {
      const { AccessTokenGuard, AccessTokenGuardModule } = await import('../../adapters/nestjs.js');
      imports.push(AccessTokenGuardModule.forRoot({ issuer, audience, algorithms: config.algorithms, resultCache: config.variant === 'ours-cache' }));
      providers.push({ provide: APP_GUARD, useClass: AccessTokenGuard });
      break;
    }
    default:
      throw new Error(`no ${config.variant} variant for nestjs`);
  }
  class AppModule {}
  Module({ imports: imports as never[], controllers: [HelloController], providers: providers as never[] })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return {
    port: (app.getHttpServer().address() as AddressInfo).port,
    close: () => app.close(),
  };
}
