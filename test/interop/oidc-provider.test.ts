/**
 * Tokens from a real authorization server: `oidc-provider` issues RFC 9068 JWT access tokens
 * (client credentials grant, resource indicators) and serves discovery and its JWKS on
 * 127.0.0.1; the verifier finds the keys by discovery alone, as it would for Auth0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type AuthResult } from '../../src/index.js';
import { AccessTokenError } from '../../src/errors.js';
import { startOidcProvider, type RunningProvider } from '../helpers/oidc-provider.js';

const API = 'https://api.example.com/';
const OTHER_API = 'https://other.example.com/';

let provider: RunningProvider;
let issuer: string;

beforeAll(async () => {
  provider = await startOidcProvider();
  issuer = provider.issuer;
});

afterAll(() => provider.close());

const clientCredentialsToken = (resource: string, scope = 'read:messages') => provider.token(resource, scope);

describe('tokens issued by oidc-provider', () => {
  it('are accepted with keys found by discovery alone, as RFC 9068 tokens', async () => {
    const verifier = createVerifier({ issuer, audience: API, dialect: 'rfc9068' });
    const auth: AuthResult = await verifier.verify(await clientCredentialsToken(API));
    expect(auth.dialect).toBe('rfc9068');
    expect(auth.clientId).toBe('machine-client');
    expect(auth.scopes).toEqual(['read:messages']);
    expect(auth.header.typ).toBe('at+jwt');
    expect(auth.binding).toBe('bearer');
  });

  it('are refused when issued for another API', async () => {
    const verifier = createVerifier({ issuer, audience: API });
    const rejection = await verifier.verify(await clientCredentialsToken(OTHER_API)).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(AccessTokenError);
    expect(rejection).toMatchObject({ code: 'invalid_token', status: 401 });
    expect((rejection as AccessTokenError).reason).toContain(OTHER_API);
  });

  it('are refused under the auth0 dialect, with a reason that names the profile mismatch', async () => {
    const verifier = createVerifier({ issuer, audience: API, dialect: 'auth0' });
    const rejection = (await verifier.verify(await clientCredentialsToken(API)).catch((error: unknown) => error)) as AccessTokenError;
    expect(rejection.code).toBe('invalid_token');
    expect(rejection.reason).toMatch(/no azp but has client_id.*rfc9068/);
  });

  it('are refused when the verifier expects another issuer identifier, even by a trailing slash', async () => {
    const verifier = createVerifier({ issuer: `${issuer}/`, audience: API, jwksUri: `${issuer}/jwks` });
    const rejection = (await verifier.verify(await clientCredentialsToken(API)).catch((error: unknown) => error)) as AccessTokenError;
    expect(rejection.code).toBe('invalid_token');
    expect(rejection.reason).toContain('trailing slash');
  });
});
