/**
 * The forward-auth service on Node's `http`: `/healthz` (alive), `/readyz` (keys in hand), and a
 * decision for every other request. It is a host like any adapter: it translates the HTTP
 * exchange, and `createDecider` decides.
 *
 * Fail-closed: anything that goes wrong while deciding is a 500, never a 200; a response is
 * written once. `close()` stops accepting connections and lets requests in flight finish.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { nodeHeaders } from '../../adapters/node-request.js';
import { RedisReplayStore } from '../binding/redis-replay-store.js';
import { GuardError } from '../errors.js';
import { createVerifier } from '../index.js';
import type { VerifierOptions } from '../options.js';
import type { Verifier } from '../verifier.js';
import { GatewayConfigError, resolveGatewayConfig, type GatewayConfig, type RedisReplayStoreConfig, type ResolveOptions, type ResolvedGatewayConfig } from './config.js';
import { createDecider, type Decision } from './decision.js';
import { decisionLine, eventLine, shouldLog, type LogSink } from './log.js';
import { carriesOriginal } from './original-request.js';

export interface ForwardAuthOptions extends ResolveOptions {
  /** Receives each JSON log line. Default: written to stdout. */
  log?: LogSink;
  /** Milliseconds `close()` waits for requests in flight before cutting connections. Default 10000. */
  shutdownTimeout?: number;
  /**
   * A verifier the embedding app built itself (a replay store or key source JSON cannot name):
   * used instead of the one `config.verifier` describes, which is still checked.
   */
  verifier?: Verifier;
}

export interface ForwardAuthServer {
  /** `http://host:port` the service listens on. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly verifier: Verifier;
  /** Stops accepting connections; resolves when requests in flight have been answered. */
  close(): Promise<void>;
}

/** Something to close with the service (a Redis connection). */
interface Resource {
  ready?(): boolean;
  close(): Promise<void>;
}

/**
 * Checks the configuration (a `GatewayConfigError` names the bad field: it is checked whatever
 * its static type, as JSON from a file is), builds the verifier and listens on `config.listen`.
 */
export async function createForwardAuthServer(config: GatewayConfig, options: ForwardAuthOptions = {}): Promise<ForwardAuthServer> {
  const resolved = resolveGatewayConfig(config, options);
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const redis = resolved.redis && options.verifier === undefined ? await connectRedis(resolved.redis) : undefined;
  let verifier: Verifier;
  try {
    verifier = options.verifier ?? buildVerifier(resolved, redis);
  } catch (error) {
    await redis?.resource.close();
    throw error;
  }
  const service = createService(verifier, resolved, log, redis?.resource);
  const server = createServer({ keepAliveTimeout: 75_000 }, service.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.listen.port, resolved.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error) => {
    await redis?.resource.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const host = resolved.listen.host.includes(':') ? `[${resolved.listen.host}]` : resolved.listen.host;
  const url = `http://${host}:${port}`;
  log(eventLine('info', 'listening', { url, gateway: resolved.gateway }));

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      service.stopping();
      await shutdown(server, options.shutdownTimeout ?? 10_000);
      await redis?.resource.close();
      log(eventLine('info', 'stopped'));
    })());
  return { url, port, server, verifier, close };
}

function buildVerifier(config: ResolvedGatewayConfig, redis: { store: RedisReplayStore } | undefined): Verifier {
  const options: VerifierOptions = redis ? { ...config.verifierOptions, dpop: { ...config.verifierOptions.dpop, replayStore: redis.store } } : config.verifierOptions;
  try {
    return createVerifier(options);
  } catch (error) {
    if (error instanceof TypeError) throw new GatewayConfigError('verifier', error.message);
    throw error;
  }
}

interface Service {
  handle(req: IncomingMessage, res: ServerResponse): void;
  stopping(): void;
}

function createService(verifier: Verifier, config: ResolvedGatewayConfig, log: LogSink, redis: Resource | undefined): Service {
  const decide = createDecider(verifier, config);
  let stopping = false;

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const own = req.url ?? '/';
    if (!carriesOriginal(config.gateway, req.headers)) {
      const path = own.split('?')[0];
      if (path === '/healthz') return send(res, stopping ? 503 : 200, {}, JSON.stringify({ status: stopping ? 'stopping' : 'ok' }));
      if (path === '/readyz') return void readiness(res);
    }
    let decision: Decision | Promise<Decision>;
    try {
      decision = decide({ method: req.method ?? 'GET', url: own, headers: nodeHeaders(req) as Record<string, string | string[] | undefined> });
    } catch (error) {
      return failed(res, error, started);
    }
    if (decision instanceof Promise) decision.then((settled) => respond(res, settled, started), (error: unknown) => failed(res, error, started));
    else respond(res, decision, started);
  }

  function respond(res: ServerResponse, decision: Decision, started: number): void {
    try {
      send(res, decision.status, decision.headers, decision.body);
    } catch (error) {
      // A header value Node refuses, say: still never an allow.
      return failed(res, error, started);
    }
    if (shouldLog(config.log, decision.status)) log(decisionLine(decision.log, performance.now() - started));
  }

  /** A bug of ours while deciding: 500, so the gateway refuses the request. */
  function failed(res: ServerResponse, error: unknown, started: number): void {
    if (!res.headersSent) send(res, 500, {}, JSON.stringify({ error: 'server_error', error_description: 'The authorization service failed.' }));
    else res.destroy();
    if (config.log !== 'off') {
      log(decisionLine({ decision: 'error', status: 500, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }, performance.now() - started));
    }
  }

  async function readiness(res: ServerResponse): Promise<void> {
    if (stopping) return send(res, 503, {}, JSON.stringify({ status: 'stopping' }));
    try {
      await verifier.ready();
      if (redis?.ready && !redis.ready()) {
        return send(res, 503, { 'retry-after': '1' }, JSON.stringify({ status: 'unavailable' }));
      }
      send(res, 200, {}, JSON.stringify({ status: 'ready' }));
    } catch (error) {
      const retryAfter = error instanceof GuardError ? error.response.headers['retry-after'] : undefined;
      if (config.log !== 'off') log(eventLine('warn', 'not ready', { reason: error instanceof GuardError ? error.reason : String(error) }));
      send(res, 503, retryAfter ? { 'retry-after': retryAfter } : {}, JSON.stringify({ status: 'unavailable' }));
    }
  }

  return {
    handle: (req, res) => {
      try {
        handle(req, res);
      } catch (error) {
        failed(res, error, performance.now());
      }
    },
    stopping: () => {
      stopping = true;
    },
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, body === '' ? { 'cache-control': 'no-store', 'content-length': '0', ...headers } : { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

/** Stop accepting; let requests in flight finish; cut what is left after `timeoutMs`. */
async function shutdown(server: Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Keep-alive connections that become idle after their last response are closed as they do.
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
  await closed;
  clearInterval(sweep);
  clearTimeout(deadline);
}

/**
 * The DPoP replay store shared through Redis, with ioredis loaded only when configured (an
 * optional peer dependency). Commands fail at once while disconnected rather than queue, so a
 * Redis outage is a prompt 503, never a request held open.
 */
async function connectRedis(config: RedisReplayStoreConfig): Promise<{ store: RedisReplayStore; resource: Resource }> {
  let Redis: typeof import('ioredis').Redis;
  try {
    ({ Redis } = await import('ioredis'));
  } catch {
    throw new GatewayConfigError('verifier.dpop.replayStore.redis', 'needs the ioredis package next to access-token-guard: npm install ioredis');
  }
  const client = new Redis(config.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
  // Connection errors surface as 503s on requests and in /readyz; an unhandled 'error' event would end the process.
  client.on('error', () => {});
  await client.connect().catch(() => {});
  const store = new RedisReplayStore(client, { prefix: config.prefix, timeout: config.timeout });
  return {
    store,
    resource: {
      ready: () => client.status === 'ready',
      close: async () => {
        client.disconnect();
      },
    },
  };
}
