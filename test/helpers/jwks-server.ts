/**
 * A real HTTP server on 127.0.0.1 for key-source tests: each path answers what the test sets
 * (a JWKS, issuer metadata, a status, a redirect, a slow or trickled or oversized body), and every
 * request is counted per path, so "exactly one fetch" is measured where it happens.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from '../../src/types.js';

export interface Reply {
  /** Default 200. */
  status?: number;
  /** Serialised as the body. */
  json?: unknown;
  /** A raw body; wins over `json`. */
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Wait this long before sending anything. */
  delayMs?: number;
  /** Send the body one byte at a time, this often (headers go at once). */
  trickleMs?: number;
  /** Send Content-Length (default); false streams the body chunked, length undeclared. */
  contentLength?: boolean;
}

export interface JwksServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  url(path: string): string;
  /** What `path` answers from now on; a function is asked at each request. Unset paths: 404. */
  route(path: string, reply: Reply | (() => Reply)): void;
  /** Requests received for `path` (query string ignored), whatever the answer. */
  hits(path: string): number;
  readonly totalHits: number;
  /** Stops the server, cutting off slow answers still in progress. */
  close(): Promise<void>;
}

export async function startJwksServer(): Promise<JwksServer> {
  const routes = new Map<string, Reply | (() => Reply)>();
  const hits = new Map<string, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let totalHits = 0;

  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    totalHits++;
    const route = routes.get(path);
    const reply = typeof route === 'function' ? route() : (route ?? { status: 404, json: { error: 'not_found' } });
    if (reply.delayMs) later(reply.delayMs, () => send(response, reply, later));
    else send(response, reply, later);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    url: (path) => `${origin}${path}`,
    route: (path, reply) => void routes.set(path, reply),
    hits: (path) => hits.get(path) ?? 0,
    get totalHits() {
      return totalHits;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(response: ServerResponse, reply: Reply, later: (ms: number, action: () => void) => void): void {
  if (response.destroyed) return;
  const body = toBytes(reply);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...reply.headers };
  if (reply.contentLength !== false) headers['content-length'] = String(body.byteLength);
  response.writeHead(reply.status ?? 200, headers);

  if (!reply.trickleMs) {
    response.end(body);
    return;
  }
  response.flushHeaders();
  let offset = 0;
  const drip = () => {
    if (response.destroyed) return;
    if (offset >= body.byteLength) return void response.end();
    response.write(body.subarray(offset, ++offset));
    later(reply.trickleMs!, drip);
  };
  drip();
}

function toBytes(reply: Reply): Uint8Array {
  if (reply.body !== undefined) return typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  return reply.json === undefined ? new Uint8Array(0) : Buffer.from(JSON.stringify(reply.json));
}

/** A real public signing key as its issuer would publish it. */
export async function publicJwk(kid: string, alg: 'ES256' | 'RS256' | 'EdDSA' = 'ES256'): Promise<JWK> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
}

/** The header of a token signed with `key`. */
export function headerFor(key: JWK): { alg: string; kid: string; typ: string } {
  return { alg: key.alg!, kid: key.kid!, typ: 'JWT' };
}

/** The error `action` throws or rejects with (sync or async alike); fails the test if it succeeds. */
export async function errorOf(action: () => unknown): Promise<Error> {
  try {
    await action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure, got a success');
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
