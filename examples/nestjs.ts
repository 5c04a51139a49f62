/**
 * A NestJS API (Express platform; `new FastifyAdapter()` works the same) that accepts Auth0 access
 * tokens: the guard for every route (APP_GUARD), one public route, scopes and permissions by
 * decorator, the verified token by `@Auth()`. Nest apps compile with `experimentalDecorators`.
 *
 *   ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://api.example.com npx tsx examples/nestjs.ts
 *
 * In your app, import from 'access-token-guard/nestjs'.
 */
import 'reflect-metadata';
import { Controller, Delete, Get, HttpCode, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { AccessTokenGuard, AccessTokenGuardModule, AllowAnonymous, Auth, RequirePermissions, RequireScopes, type AuthResult } from '../adapters/nestjs.js';

@Controller('api')
class ApiController {
  @Get('public')
  @AllowAnonymous()
  public() {
    return { message: 'Hello from a public endpoint.' };
  }

  @Get('private')
  private(@Auth() auth: AuthResult) {
    return { message: `Hello, ${auth.subject}.` };
  }

  @Get('private-scoped')
  @RequireScopes('read:messages')
  scoped() {
    return { message: 'You may read messages.' };
  }

  @Delete('messages/:id')
  @HttpCode(204)
  @RequirePermissions('delete:messages')
  remove() {}
}

@Module({
  imports: [
    AccessTokenGuardModule.forRoot({
      issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/', // your Auth0 domain, with the trailing slash
      audience: process.env.AUDIENCE ?? 'https://api.example.com', // your API's Identifier, exactly
      onRefusal: (error, request) => console.warn(`refused ${request.method} ${request.url}: ${error.reason}`),
    }),
  ],
  controllers: [ApiController],
  providers: [{ provide: APP_GUARD, useClass: AccessTokenGuard }],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
const { address, port } = app.getHttpServer().address() as { address: string; port: number };
console.log(`listening on http://${address}:${port}`);
