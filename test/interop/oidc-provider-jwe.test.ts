/**
 * Encrypted access tokens from a real authorization server: `oidc-provider` (v9) signs RFC 9068
 * access tokens, then encrypts them to each resource server's RSA public key (its
 * `resourceIndicators.getResourceServerInfo` → `jwt.encrypt`), all served on 127.0.0.1. Tokens
 * are fetched with the client credentials grant and verified with the provider's own JWKS, found
 * by `jwksUri` or by discovery; then once more through the unchanged Express adapter.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../adapters/express.js';
import { createVerifier, keyThumbprint, type VerifierOptions } from '../../src/index.js';
import { accessTokenRefusal as refusal } from '../helpers/refusal.js';

/** One resource server per way the provider may encrypt; the resource indicator picks it. */
const RESOURCES = {
  'https://api.example.com/': { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'api-enc-1' },
  'https://api384.example.com/': { alg: 'RSA-OAEP-384', enc: 'A128CBC-HS256' },
  'https://api512.example.com/': { alg: 'RSA-OAEP-512', enc: 'A192GCM' },
  'https://sha1.example.com/': { alg: 'RSA-OAEP', enc: 'A256GCM' },
  'https://elsewhere.example.com/': { alg: 'RSA-OAEP-256', enc: 'A256GCM', otherKey: true },
  'https://plain.example.com/': undefined,
} as const;
type Resource = keyof typeof RESOURCES;
const API: Resource = 'https://api.example.com/';
const CLIENT = { id: 'machine-client', secret: 'a-long-enough-client-secret-for-jwe-tests' };

/** The API's encryption key pair: the provider gets the public half, the verifier the private. */
const apiKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const apiPrivatePem = apiKey.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });

interface ProviderLike {
  callback(): (request: unknown, response: unknown) => void;
}

let server: Server;
let issuer: string;

beforeAll(async () => {
  // oidc-provider ships no type declarations; a computed specifier keeps the import untyped.
  const { default: Provider } = (await import('oidc-provider' as string)) as { default: new (issuer: string, configuration: unknown) => ProviderLike };
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signing = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), kid: 'provider-sig-1', alg: 'RS256', use: 'sig' }] },
    ttl: { ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: Resource) => resourceServerInfo(resource),
      },
    },
  });
  server.on('request', provider.callback());
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The shape oidc-provider 9 reads (lib/models/formats/jwt.js): sign, then encrypt to `key`. */
function resourceServerInfo(resource: Resource) {
  const encryption = RESOURCES[resource];
  const base = { audience: resource, scope: 'read:messages write:messages', accessTokenFormat: 'jwt' };
  if (!encryption) return { ...base, jwt: { sign: { alg: 'RS256' } } };
  const key: KeyObject = 'otherKey' in encryption ? otherKey.publicKey : apiKey.publicKey;
  const kid = 'kid' in encryption ? encryption.kid : undefined;
  return { ...base, jwt: { sign: { alg: 'RS256' }, encrypt: { alg: encryption.alg, enc: encryption.enc, key, kid } } };
}

async function clientCredentialsToken(resource: Resource): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT.id, client_secret: CLIENT.secret, resource, scope: 'read:messages' }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!body.access_token) throw new Error(`token endpoint: ${body.error}: ${body.error_description}`);
  return body.access_token;
}

function verifierFor(audience: Resource, options: Partial<VerifierOptions> = {}) {
  return createVerifier({ issuer, audience, jwksUri: `${issuer}/jwks`, dialect: 'rfc9068', decryptionKeys: [apiPrivatePem], ...options });
}

describe('encrypted access tokens issued by oidc-provider', () => {
  it('are compact nested JWEs, with cty at+jwt, as the provider documents', async () => {
    const token = await clientCredentialsToken(API);
    expect(token.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'at+jwt', kid: 'api-enc-1', iss: issuer, aud: API });
  });

  it.each(['https://api.example.com/', 'https://api384.example.com/', 'https://api512.example.com/'] as const)(
    'are accepted for %s, verified with the provider JWKS',
    async (resource) => {
      const token = await clientCredentialsToken(resource);
      const auth = await verifierFor(resource).verify(token);
      expect(auth).toMatchObject({ encrypted: true, dialect: 'rfc9068', clientId: CLIENT.id, scopes: ['read:messages'], binding: 'bearer' });
      expect(auth.header).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: 'provider-sig-1' });
      expect(auth.claims).toMatchObject({ iss: issuer, aud: resource, client_id: CLIENT.id });
      expect(auth.token.split('.')).toHaveLength(3);
    },
  );

  it('are accepted with keys found by discovery alone, the decryption key picked by its kid', async () => {
    const verifier = createVerifier({ issuer, audience: API, dialect: 'rfc9068', decryptionKeys: [{ kid: 'api-enc-1', key: apiKey.privateKey }], requireEncryption: true });
    expect((await verifier.verify(await clientCredentialsToken(API))).encrypted).toBe(true);
  });

  it('are accepted during a rotation, whichever key comes first', async () => {
    const fresh = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const verifier = verifierFor('https://api384.example.com/', { decryptionKeys: [fresh, apiPrivatePem] });
    expect((await verifier.verify(await clientCredentialsToken('https://api384.example.com/'))).encrypted).toBe(true);
  });

  it('with RSA-OAEP (SHA-1) are refused by default and accepted when allowed', async () => {
    const token = await clientCredentialsToken('https://sha1.example.com/');
    const error = await refusal(verifierFor('https://sha1.example.com/').verify(token));
    expect(error.code).toBe('invalid_token');
    expect(error.reason).toContain('JWE alg "RSA-OAEP" is not in the allow-list');
    const allowed = verifierFor('https://sha1.example.com/', { keyManagementAlgorithms: ['RSA-OAEP'] });
    expect((await allowed.verify(token)).encrypted).toBe(true);
  });

  it('encrypted to another key are refused, with a generic description', async () => {
    const token = await clientCredentialsToken('https://elsewhere.example.com/');
    const error = await refusal(verifierFor('https://elsewhere.example.com/').verify(token));
    expect(error).toMatchObject({ code: 'invalid_token', status: 401, description: 'The access token is invalid.' });
    expect(error.reason).toContain('does not decrypt with decryption key #1');
  });

  it('signed but not encrypted are refused once requireEncryption is set', async () => {
    const token = await clientCredentialsToken('https://plain.example.com/');
    expect((await verifierFor('https://plain.example.com/').verify(token)).encrypted).toBe(false);
    const error = await refusal(verifierFor('https://plain.example.com/', { requireEncryption: true }).verify(token));
    expect(error.reason).toContain('requireEncryption is set and the token is not encrypted');
  });

  it('are refused without decryptionKeys, with a reason that says to configure them', async () => {
    const error = await refusal(verifierFor(API, { decryptionKeys: undefined }).verify(await clientCredentialsToken(API)));
    expect(error.code).toBe('invalid_token');
    expect(error.reason).toContain('set `decryptionKeys`');
  });

  it('name the key the provider encrypted to by the same thumbprint as ours', async () => {
    expect(await keyThumbprint(apiPrivatePem)).toBe(await keyThumbprint(apiKey.publicKey));
  });
});

describe('the Express adapter, unchanged, with encrypted tokens', () => {
  let app: Server;
  let origin: string;

  beforeAll(async () => {
    const api = express();
    api.use(authenticate({ issuer, audience: API, jwksUri: `${issuer}/jwks`, decryptionKeys: [apiPrivatePem], requireEncryption: true }));
    api.get('/messages', (req, res) => {
      res.json({ client: req.auth?.clientId, encrypted: req.auth?.encrypted, scopes: req.auth?.scopes });
    });
    app = createServer(api);
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
  });

  it('accepts an encrypted token from the provider', async () => {
    const response = await fetch(`${origin}/messages`, { headers: { authorization: `Bearer ${await clientCredentialsToken(API)}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ client: CLIENT.id, encrypted: true, scopes: ['read:messages'] });
  });

  it('refuses a tampered one and a plain one with 401 and a Bearer challenge that reveals nothing', async () => {
    const token = await clientCredentialsToken(API);
    const parts = token.split('.');
    parts[3] = `${(parts[3] as string).slice(0, -2)}${(parts[3] as string).endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of [parts.join('.'), await clientCredentialsToken('https://plain.example.com/')]) {
      const response = await fetch(`${origin}/messages`, { headers: { authorization: `Bearer ${bad}` } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token", error_description="The access token is invalid."');
      expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid.' });
    }
  });
});
