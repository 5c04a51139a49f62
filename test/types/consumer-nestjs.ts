// @ts-nocheck -- checked by consumer-typing.test.ts against the BUILT package, not by the repo's tsc (dist may not exist yet)
/**
 * A NestJS consumer, compiled as Nest apps are (`experimentalDecorators`, `emitDecoratorMetadata`):
 * the decorators in every position the README shows them, `@Auth()` with the typed result.
 */
import 'reflect-metadata';
import { Controller, Delete, Get, Inject, Module, UseGuards } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  ACCESS_TOKEN_VERIFIER,
  AccessTokenGuard,
  AccessTokenGuardModule,
  AllowAnonymous,
  Auth,
  OptionalAuth,
  RequireClaim,
  RequirePermissions,
  RequireScopes,
  type AuthResult,
  type Verifier,
} from 'access-token-guard/nestjs';

@Controller('messages')
@RequireScopes('read:messages')
export class MessagesController {
  constructor(@Inject(ACCESS_TOKEN_VERIFIER) private readonly verifier: Verifier) {}

  @Get()
  list(@Auth() auth: AuthResult) {
    return { subject: auth.subject, verify: typeof this.verifier.verify };
  }

  @Delete(':id')
  @RequirePermissions(['delete:messages'], { match: 'any' })
  @RequireClaim((claims) => claims.org_id === 'org_1', 'Wrong organization.')
  remove() {}

  @Get('feed')
  @OptionalAuth()
  feed(@Auth() auth: AuthResult | undefined) {
    return auth?.scopes ?? [];
  }

  @Get('health')
  @AllowAnonymous()
  health() {
    return 'ok';
  }
}

@Controller('admin')
@UseGuards(AccessTokenGuard)
export class AdminController {
  @Get()
  read(@Auth() auth: AuthResult) {
    return auth.permissions;
  }
}

@Module({
  imports: [AccessTokenGuardModule.forRoot({ issuer: 'https://YOUR_DOMAIN/', audience: 'https://api.example.com' })],
  controllers: [MessagesController, AdminController],
  providers: [{ provide: APP_GUARD, useClass: AccessTokenGuard }],
})
export class AppModule {}
