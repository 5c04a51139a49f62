/**
 * A local issuer for the HTTP, JWKS and cold-start benchmarks: OpenID Connect discovery and a
 * JWKS on 127.0.0.1 (Auth0's paths), an optional delay before each JWKS answer, and a count of
 * the fetches, so "one fetch" is measured where it happens, not inferred.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKey, mint, mintMany, type BenchAlg, type BenchKey, type MintOptions } from './keys.js';

export class BenchIssuer {
  /** Auth0 style: `http://127.0.0.1:<port>/`, with the trailing slash. */
  issuer = '';
  jwksUri = '';
  /** Keys in the JWKS, in order; the signing key is chosen per mint. */
  readonly published: BenchKey[] = [];
  /** Milliseconds to wait before answering a JWKS request. */
  jwksDelayMs = 0;
  jwksHits = 0;
  metadataHits = 0;
  /** Opaque tokens this issuer says are active, with the claims its introspection answers. */
  readonly opaque = new Map<string, Record<string, unknown>>();
  introspectionHits = 0;
  #server: Server | undefined;

  get introspectionEndpoint(): string {
    return this.issuer === '' ? '' : `${this.issuer}introspect`;
  }

  static async start(algs: readonly BenchAlg[] = ['RS256']): Promise<BenchIssuer> {
    const issuer = new BenchIssuer();
    for (const alg of algs) issuer.publish(generateKey(alg));
    await issuer.#listen();
    return issuer;
  }

  publish(key: BenchKey): BenchKey {
    this.published.push(key);
    return key;
  }

  unpublish(kid: string): void {
    const index = this.published.findIndex((key) => key.kid === kid);
    if (index >= 0) this.published.splice(index, 1);
  }

  /** The published key for `alg` (the first one, unless `kid` names another). */
  key(alg: BenchAlg = 'RS256', kid?: string): BenchKey {
    const key = this.published.find((candidate) => (kid ? candidate.kid === kid : candidate.alg === alg));
    if (!key) throw new Error(`no published key ${kid ?? alg}`);
    return key;
  }

  mint(n: number, options: MintOptions & { key?: BenchKey } = {}): string {
    return mint(options.key ?? this.key(), n, { issuer: this.issuer, ...options });
  }

  mintMany(count: number, options: MintOptions & { key?: BenchKey } = {}): string[] {
    return mintMany(options.key ?? this.key(), count, { issuer: this.issuer, ...options });
  }

  resetCounts(): void {
    this.jwksHits = 0;
    this.metadataHits = 0;
    this.introspectionHits = 0;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #listen(): Promise<void> {
    const server = createServer((request, response) => {
      const send = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (request.url === '/.well-known/openid-configuration') {
        this.metadataHits++;
        return send({ issuer: this.issuer, jwks_uri: this.jwksUri, introspection_endpoint: this.introspectionEndpoint });
      }
      if (request.url === '/introspect' && request.method === 'POST') {
        // RFC 7662: the token in a form body; unknown tokens are inactive.
        this.introspectionHits++;
        let body = '';
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => (body += chunk));
        request.on('end', () => {
          const claims = this.opaque.get(new URLSearchParams(body).get('token') ?? '');
          send(claims ? { active: true, ...claims } : { active: false });
        });
        return;
      }
      if (request.url === '/.well-known/jwks.json') {
        this.jwksHits++;
        // The set is read when the answer leaves, so a key published during the delay is in it.
        const answer = () => send({ keys: this.published.map((key) => key.jwk) });
        if (this.jwksDelayMs > 0) setTimeout(answer, this.jwksDelayMs);
        else answer();
        return;
      }
      response.writeHead(404).end();
    });
    // Many concurrent clients (autocannon warm-ups, 500 cold verifications) may connect at once.
    server.maxConnections = 10_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 1024, resolve));
    const { port } = server.address() as AddressInfo;
    this.#server = server;
    this.issuer = `http://127.0.0.1:${port}/`;
    this.jwksUri = `http://127.0.0.1:${port}/.well-known/jwks.json`;
  }
}
