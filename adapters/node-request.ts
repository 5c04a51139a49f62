/**
 * What Express, Fastify and Koa share: the Node `IncomingMessage` underneath. Translation only.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RequestLike } from '../src/types.js';

/**
 * Node keeps only the first of repeated Authorization headers in `req.headers` (and joins
 * repeated DPoP headers with ", "): the core must see every value to refuse a repeat. A scan of
 * `rawHeaders` (no allocation) finds repeats; only then is a copy of the headers made.
 */
function nodeHeaders(req: IncomingMessage): RequestLike['headers'] {
  const raw = req.rawHeaders;
  let authorization = 0;
  let dpop = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization') authorization++;
    else if (name.length === 4 && name.toLowerCase() === 'dpop') dpop++;
  }
  if (authorization < 2 && dpop < 2) return req.headers;
  const repeated: Record<string, string[]> = {};
  if (authorization > 1) repeated.authorization = valuesOf(raw, 'authorization');
  if (dpop > 1) repeated.dpop = valuesOf(raw, 'dpop');
  return { ...req.headers, ...repeated };
}

/**
 * The request as the core reads it, for a host on Node's `http`. Each framework supplies `url`
 * (its own proxy settings decide scheme and host); it and `clientCertificate` are getters, read
 * only for a bound token, the DPoP scheme or a query token, so a bearer request never pays for
 * them (Express's `protocol` and `host` lookups alone cost ~10 µs, bench/RESULTS.md). A class,
 * because an object literal with getters is slow to make.
 */
export abstract class NodeRequest implements RequestLike {
  readonly method: string;
  readonly headers: RequestLike['headers'];
  /** Form fields, when a body parser ran before the adapter. */
  readonly body: Record<string, unknown> | undefined;
  readonly #raw: IncomingMessage;

  constructor(method: string, raw: IncomingMessage, body: unknown) {
    this.method = method;
    this.headers = nodeHeaders(raw);
    this.body = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
    this.#raw = raw;
  }

  abstract get url(): string;

  /** The path and query the client sent (before any router rewrote it), without building `url`. */
  abstract get path(): string;

  get clientCertificate(): Uint8Array | undefined {
    return peerCertificate(this.#raw);
  }
}

/** The DER of the client's certificate when TLS ended in this process and one was presented. */
function peerCertificate(req: IncomingMessage): Uint8Array | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.encrypted) return undefined;
  const raw = socket.getPeerCertificate?.()?.raw;
  return raw && raw.length > 0 ? raw : undefined;
}

function valuesOf(raw: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === name) values.push(raw[i + 1] as string);
  return values;
}
