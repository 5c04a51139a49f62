/**
 * Real Nest applications for the tests, on either HTTP platform, listening on 127.0.0.1 port 0:
 * compiled with @nestjs/testing from the module metadata a test gives, as an app's AppModule would be.
 */
import 'reflect-metadata';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';

export type NestPlatform = 'express' | 'fastify';
export const NEST_PLATFORMS: NestPlatform[] = ['express', 'fastify'];

export interface RunningNestApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  origin: string;
}

export async function startNest(platform: NestPlatform, metadata: ModuleMetadata, setup?: (app: INestApplication) => void): Promise<RunningNestApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  setup?.(app);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  return { app, origin: `http://127.0.0.1:${port}` };
}
