/**
 * A small, real, local token issuer for the demo, the examples and the tests: it generates
 * signing keys at start, serves OpenID Connect discovery and a JWKS on 127.0.0.1, and mints
 * access tokens shaped like Auth0's (or RFC 9068's). No account, no network beyond loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface MintOptions {
  alg?: string;
  kid?: string;
  /** Header `typ`; default `JWT` (Auth0 profile). RFC 9068 tokens use `at+jwt`. */
  typ?: string;
  /** Extra protected-header members. */
  header?: Record<string, unknown>;
  /** Lifetime in seconds from now; negative for an expired token. Default 3600. */
  expiresIn?: number;
}

export class LocalIssuer {
  /** Issuer identifier, Auth0 style: with a trailing slash. */
  issuer = '';
  jwksUri = '';
  /** Keys published in the JWKS (including any published ahead of use). */
  readonly published: SigningKey[] = [];
  /** How many times the JWKS was served. */
  jwksHits = 0;
  /** How many requests of any kind the issuer received. */
  requests = 0;
  #server: Server | undefined;
  #counter = 0;

  static async start(options: { algorithms?: string[] } = {}): Promise<LocalIssuer> {
    const issuer = new LocalIssuer();
    for (const alg of options.algorithms ?? ['RS256']) await issuer.addKey(alg);
    await issuer.#listen();
    return issuer;
  }

  /** Generates and publishes a key; returns it. */
  async addKey(alg = 'RS256'): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg.startsWith('ES') || alg.startsWith('Ed') ? {} : { modulusLength: 2048 }) });
    const kid = `${alg.toLowerCase()}-${++this.#counter}-${Math.random().toString(36).slice(2, 8)}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    const key = { kid, alg, privateKey, publicJwk };
    this.published.push(key);
    return key;
  }

  /** Stops publishing a key (a rotation's last step). */
  removeKey(kid: string): void {
    const index = this.published.findIndex((key) => key.kid === kid);
    if (index >= 0) this.published.splice(index, 1);
  }

  /** An access token for `audience`; claims override the Auth0-style defaults. */
  async mint(audience: string | string[], claims: JWTPayload & Record<string, unknown> = {}, options: MintOptions = {}): Promise<string> {
    const key = this.#key(options);
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: this.issuer,
      sub: 'auth0|demo-user',
      aud: audience,
      iat: now,
      exp: now + (options.expiresIn ?? 3600),
      azp: 'demo-client-id',
      scope: 'read:messages',
      ...claims,
    };
    for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: options.typ ?? 'JWT', ...options.header })
      .sign(key.privateKey);
  }

  /** An RFC 9068 access token: `typ: at+jwt`, `client_id`, `jti`, no `azp`. */
  async mintRfc9068(audience: string, claims: JWTPayload & Record<string, unknown> = {}, options: MintOptions = {}): Promise<string> {
    return this.mint(audience, { azp: undefined, client_id: 'demo-client-id', jti: crypto.randomUUID(), ...claims }, { typ: 'at+jwt', ...options });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server?.closeAllConnections();
  }

  #key(options: MintOptions): SigningKey {
    const key = options.kid
      ? this.published.find((candidate) => candidate.kid === options.kid)
      : [...this.published].reverse().find((candidate) => candidate.alg === (options.alg ?? candidate.alg));
    if (!key) throw new Error(`no published key for ${options.kid ?? options.alg}`);
    return key;
  }

  async #listen(): Promise<void> {
    const server = createServer((request, response) => {
      this.requests++;
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (request.url === '/.well-known/openid-configuration') {
        return send(200, { issuer: this.issuer, jwks_uri: this.jwksUri, id_token_signing_alg_values_supported: ['RS256'] });
      }
      if (request.url === '/.well-known/jwks.json') {
        this.jwksHits++;
        return send(200, { keys: this.published.map((key) => key.publicJwk) });
      }
      send(404, { error: 'not_found' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    this.#server = server;
    this.issuer = `http://127.0.0.1:${port}/`;
    this.jwksUri = `http://127.0.0.1:${port}/.well-known/jwks.json`;
  }
}
