/**
 * The NestJS adapter on both platforms (Express and Fastify), real apps over real HTTP: the guard
 * globally (APP_GUARD) and per controller, forRoot and forRootAsync, the decorators, `@Auth()`,
 * refusals answered with status, WWW-Authenticate and body by Nest's own exception layer (and
 * through an app's catch-all filter), and our 503 answered or forwarded.
 */
import {
  Catch,
  Controller,
  Delete,
  Get,
  HttpException,
  Inject,
  Injectable,
  Module,
  UseGuards,
  type ArgumentsHost,
  type ExceptionFilter,
  type INestApplication,
} from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessTokenException,
  AccessTokenGuard,
  AccessTokenGuardModule,
  ACCESS_TOKEN_VERIFIER,
  AllowAnonymous,
  Auth,
  KeysUnavailableError,
  OptionalAuth,
  RequireAuth,
  RequireClaim,
  RequirePermissions,
  RequireScopes,
  type AccessTokenGuardOptions,
  type AuthResult,
  type GuardError,
  type Verifier,
  type VerifierOptions,
} from '../../adapters/nestjs.js';
import { LocalIssuer } from '../../src/testing.js';
import { closedPort } from '../helpers/http.js';
import { NEST_PLATFORMS, startNest } from '../helpers/nest.js';

const AUDIENCE = 'https://api.example.com/';
let issuer: LocalIssuer;
let options: VerifierOptions;
const apps: INestApplication[] = [];

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  options = { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, realm: 'api' };
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await issuer.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

@Controller('messages')
@RequireScopes('read:messages')
class MessagesController {
  @Get()
  list(@Auth() auth: AuthResult) {
    return { sub: auth.subject, scopes: auth.scopes };
  }

  @Delete(':id')
  @RequirePermissions('delete:messages')
  @RequireScopes('write:messages')
  remove() {
    return { deleted: true };
  }
}

@Controller()
class OpenController {
  @Get('feed')
  @OptionalAuth()
  feed(@Auth() auth: AuthResult | undefined) {
    return { sub: auth?.subject ?? null };
  }

  @Get('health')
  @AllowAnonymous()
  health(@Auth() auth: AuthResult | undefined) {
    return { ok: true, auth: auth ?? null };
  }

  @Get('org')
  @RequireClaim((claims) => claims.org_id === 'org_1', 'The token is not for this organization.')
  org() {
    return { org: 'org_1' };
  }

  @Get('strict')
  @RequireAuth()
  strict(@Auth() auth: AuthResult) {
    return { sub: auth.subject };
  }
}

/** An app-wide catch-all filter, as many Nest apps have: status and body its own way. */
@Catch()
class EverythingFilter implements ExceptionFilter {
  static seen: unknown[] = [];
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}
  catch(exception: unknown, context: ArgumentsHost) {
    EverythingFilter.seen.push(exception);
    const status = exception instanceof HttpException ? exception.getStatus() : 502;
    this.host.httpAdapter.reply(context.switchToHttp().getResponse(), { wrapped: true, status }, status);
  }
}

/** A global-guard app: the module, APP_GUARD, both controllers. */
async function globalApp(platform: 'express' | 'fastify', moduleOptions: AccessTokenGuardOptions, setup?: (app: INestApplication) => void) {
  const running = await startNest(
    platform,
    {
      imports: [AccessTokenGuardModule.forRoot(moduleOptions)],
      controllers: [MessagesController, OpenController],
      providers: [{ provide: APP_GUARD, useClass: AccessTokenGuard }],
    },
    setup,
  );
  apps.push(running.app);
  return running.origin;
}

describe.each(NEST_PLATFORMS)('nestjs on %s', (platform) => {
  let base: string;
  const refusals: GuardError[] = [];
  beforeAll(async () => {
    base = await globalApp(platform, { ...options, onRefusal: (error) => refusals.push(error) });
  }, 30_000);

  it('a global guard puts the verified token where @Auth() reads it', async () => {
    const response = await fetch(`${base}/messages`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'auth0|demo-user', scopes: ['read:messages'] });
  });

  it('refuses a bad token with 401, WWW-Authenticate and the JSON body, never a 500; onRefusal sees the reason', async () => {
    const response = await fetch(`${base}/messages`, { headers: bearer(await issuer.mint('https://other.example.com/')) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token", error_description="/);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    expect(refusals.at(-1)?.reason).toContain('aud');

    const none = await fetch(`${base}/messages`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(await none.json()).toEqual({ error: 'missing_credentials', error_description: expect.any(String) });
  });

  it('@RequireScopes on the controller: 403 insufficient_scope with the scope in the challenge', async () => {
    const response = await fetch(`${base}/messages`, { headers: bearer(await issuer.mint(AUDIENCE, { scope: 'openid' })) });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="insufficient_scope", .*scope="read:messages"/);
    expect(await response.json()).toEqual({ error: 'insufficient_scope', error_description: expect.any(String) });
  });

  it('controller and handler guards all apply, in the order written', async () => {
    const call = async (claims: Record<string, unknown>) =>
      fetch(`${base}/messages/1`, { method: 'DELETE', headers: bearer(await issuer.mint(AUDIENCE, claims)) });
    const all = await call({ scope: 'read:messages write:messages', permissions: ['delete:messages'] });
    expect(await all.json()).toEqual({ deleted: true });
    const noWrite = await call({ scope: 'read:messages', permissions: ['delete:messages'] });
    expect(noWrite.status).toBe(403);
    expect(noWrite.headers.get('www-authenticate')).toContain('scope="write:messages"');
    // Both missing: the guard written first (RequirePermissions) refuses.
    const neither = await call({ scope: 'read:messages', permissions: [] });
    expect(neither.status).toBe(403);
    expect(neither.headers.get('www-authenticate')).toContain('scope="delete:messages"');
    // The controller's guard runs before the handler's.
    const noRead = await call({ scope: 'write:messages', permissions: [] });
    expect(noRead.headers.get('www-authenticate')).toContain('scope="read:messages"');
  });

  it('@RequireClaim refuses with its description', async () => {
    expect((await fetch(`${base}/org`, { headers: bearer(await issuer.mint(AUDIENCE, { org_id: 'org_1' })) })).status).toBe(200);
    const other = await fetch(`${base}/org`, { headers: bearer(await issuer.mint(AUDIENCE, { org_id: 'org_2' })) });
    expect(other.status).toBe(403);
    expect((await other.json()).error_description).toBe('The token is not for this organization.');
  });

  it('@OptionalAuth: no credentials pass with no auth; bad ones are still refused', async () => {
    expect(await (await fetch(`${base}/feed`)).json()).toEqual({ sub: null });
    expect(await (await fetch(`${base}/feed`, { headers: bearer(await issuer.mint(AUDIENCE)) })).json()).toEqual({ sub: 'auth0|demo-user' });
    const malformed = await fetch(`${base}/feed`, { headers: { authorization: 'Bearer a b' } });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error).toBe('invalid_request');
  });

  it('@AllowAnonymous: no token is looked at, not even a bad one', async () => {
    const response = await fetch(`${base}/health`, { headers: { authorization: 'Bearer a b' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, auth: null });
  });

  it('our 503 is answered with Retry-After and temporarily_unavailable; nothing internal reaches the client', async () => {
    const seen: GuardError[] = [];
    const down = await globalApp(platform, { ...options, jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json`, onRefusal: (error) => seen.push(error) });
    const response = await fetch(`${down}/messages`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    expect(body).not.toContain('127.0.0.1');
    expect(seen[0]).toBeInstanceOf(KeysUnavailableError);
  });

  it('an app catch-all filter sees the AccessTokenException and the challenge stays on the response', async () => {
    EverythingFilter.seen = [];
    const origin = await globalApp(platform, options, (app) => app.useGlobalFilters(new EverythingFilter(app.get(HttpAdapterHost))));
    const response = await fetch(`${origin}/messages`, { headers: bearer(await issuer.mint(AUDIENCE, { scope: 'openid' })) });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(await response.json()).toEqual({ wrapped: true, status: 403 });
    const seen = EverythingFilter.seen[0] as AccessTokenException;
    expect(seen).toBeInstanceOf(AccessTokenException);
    expect(seen.error?.code).toBe('insufficient_scope');
    expect(seen.error?.reason).toContain('read:messages');
  });

  it('forwardUnavailable: the KeysUnavailableError itself reaches the app filters', async () => {
    EverythingFilter.seen = [];
    const origin = await globalApp(platform, { ...options, jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json`, forwardUnavailable: true }, (app) =>
      app.useGlobalFilters(new EverythingFilter(app.get(HttpAdapterHost))),
    );
    const response = await fetch(`${origin}/messages`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(response.status).toBe(502);
    expect(EverythingFilter.seen[0]).toBeInstanceOf(KeysUnavailableError);
  });

  it('optional module: routes let anonymous requests in unless @RequireAuth', async () => {
    const origin = await globalApp(platform, { ...options, optional: true });
    expect(await (await fetch(`${origin}/health`)).json()).toEqual({ ok: true, auth: null });
    expect((await fetch(`${origin}/strict`)).status).toBe(401);
    // A guard still refuses the anonymous request, with 401 in the verifier's name.
    const guarded = await fetch(`${origin}/messages`);
    expect(guarded.status).toBe(401);
    expect(guarded.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });
});

// forRootAsync from a config provider, and the guard on one controller only.

const SETTINGS = Symbol('settings');

@Injectable()
class Settings {
  constructor(@Inject(SETTINGS) readonly values: { issuer: string; audience: string; jwksUri: string }) {}
}

@Module({ providers: [{ provide: SETTINGS, useFactory: () => ({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri }) }, Settings], exports: [Settings] })
class SettingsModule {}

@Controller('guarded')
@UseGuards(AccessTokenGuard)
class GuardedController {
  constructor(@Inject(ACCESS_TOKEN_VERIFIER) readonly verifier: Verifier) {}

  @Get()
  read(@Auth() auth: AuthResult) {
    return { sub: auth.subject, sameVerifier: typeof this.verifier.authenticate === 'function' };
  }
}

@Controller('open')
class UnguardedController {
  @Get()
  read() {
    return { open: true };
  }
}

describe.each(NEST_PLATFORMS)('nestjs forRootAsync and a per-controller guard on %s', (platform) => {
  let base: string;
  beforeAll(async () => {
    const running = await startNest(platform, {
      imports: [
        AccessTokenGuardModule.forRootAsync({ imports: [SettingsModule], inject: [Settings], useFactory: async (settings: Settings) => ({ ...settings.values, realm: 'async' }) }),
      ],
      controllers: [GuardedController, UnguardedController],
    });
    apps.push(running.app);
    base = running.origin;
  }, 30_000);

  it('the guarded controller authenticates with the options the factory made', async () => {
    const ok = await fetch(`${base}/guarded`, { headers: bearer(await issuer.mint(AUDIENCE)) });
    expect(await ok.json()).toEqual({ sub: 'auth0|demo-user', sameVerifier: true });
    const none = await fetch(`${base}/guarded`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="async"');
  });

  it('a controller without the guard is not authenticated', async () => {
    expect(await (await fetch(`${base}/open`)).json()).toEqual({ open: true });
  });
});
