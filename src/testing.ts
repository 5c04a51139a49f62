/**
 * `access-token-guard/testing`: a small, real, local token issuer for your tests (and for this
 * package's demo, examples and tests). It generates signing keys at start, serves OpenID Connect
 * discovery and a JWKS on 127.0.0.1 (an ephemeral port), and mints access tokens shaped like
 * Auth0's (or RFC 9068's). No account, no network beyond loopback:
 *
 *     const issuer = await LocalIssuer.start({ audience: 'https://api.example.com' });
 *     app.use(authenticate({ issuer: issuer.issuer, audience: 'https://api.example.com' }));
 *     const token = await issuer.mint({ scope: 'read:messages' });
 *
 * Node only (it listens with node:http). Never use it in production code: it signs whatever it
 * is asked to.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { webcrypto } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from './types.js';

type CryptoKey = webcrypto.CryptoKey;

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

/** Claims for `mint`: any JSON members; `undefined` removes a default. */
export type Claims = Record<string, unknown>;

export interface LocalIssuerOptions {
  /** One signing key is made per algorithm. @default ['RS256'] */
  algorithms?: string[];
  /** The audience of tokens minted with `mint(claims)`. */
  audience?: string | string[];
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

  /** The audience `mint(claims)` uses when none is given. */
  audience: string | string[] | undefined;

  /**
   * Starts an issuer on 127.0.0.1 with one key per algorithm (default RS256). `audience` is the
   * default audience of the tokens it mints.
   */
  static async start(options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
    const issuer = new LocalIssuer();
    issuer.audience = options.audience;
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

  /**
   * An access token: `mint(claims?, options?)` for the issuer's default audience, or
   * `mint(audience, claims?, options?)`. Claims override the Auth0-style defaults (`sub`, `azp`,
   * `scope: 'read:messages'`, one hour of life); a claim set to `undefined` is left out.
   */
  async mint(claims?: Claims, options?: MintOptions): Promise<string>;
  async mint(audience: string | string[], claims?: Claims, options?: MintOptions): Promise<string>;
  async mint(first: string | string[] | Claims = {}, second: Claims | MintOptions = {}, third: MintOptions = {}): Promise<string> {
    const named = typeof first === 'string' || Array.isArray(first);
    const audience = named ? first : this.audience;
    if (audience === undefined) throw new TypeError('mint(claims) needs the issuer started with an `audience`, or mint(audience, claims)');
    const claims = (named ? second : first) as Claims;
    const options = (named ? third : second) as MintOptions;
    const key = this.#key(options);
    const now = Math.floor(Date.now() / 1000);
    const payload: Claims = {
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
  async mintRfc9068(audience: string, claims: Claims = {}, options: MintOptions = {}): Promise<string> {
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
