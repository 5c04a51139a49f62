/**
 * The Protected Resource Metadata document (RFC 9728) a verifier serves: its members derived from
 * the verifier's own options unless given, where it is served (RFC 9728 §3.1), the link every
 * challenge carries, and the settings refused at startup because they could never work.
 */
import { describe, expect, it } from 'vitest';
import { AccessTokenError } from '../src/errors.js';
import { createVerifier, type VerifierOptions } from '../src/index.js';
import { AUDIENCE, ISSUER, mint, verifierFor } from './helpers/tokens.js';

const withMetadata = (resourceMetadata: VerifierOptions['resourceMetadata'], options: Partial<VerifierOptions> = {}) => verifierFor({ resourceMetadata, ...options });
const get = (path: string) => ({ method: 'GET', url: `https://api.example.com${path}`, headers: {} });

describe('document members', () => {
  it('derives resource from a single URL audience, authorization_servers from issuer, and the token rules from the options', () => {
    expect(withMetadata({}).resourceMetadata?.document).toEqual({
      resource: AUDIENCE,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      resource_signing_alg_values_supported: ['RS256'],
    });
  });

  it('says what DPoP and mTLS settings require', () => {
    const document = withMetadata({}, { dpop: { required: true, algorithms: ['ES256'] }, mtls: {} }).resourceMetadata?.document;
    expect(document).toMatchObject({ dpop_signing_alg_values_supported: ['ES256'], dpop_bound_access_tokens_required: true, tls_client_certificate_bound_access_tokens: false });
  });

  it('takes every member given, camelCase in, snake_case out, and extra members as they are', () => {
    const document = withMetadata(
      {
        resource: 'https://api.example.com/v2',
        authorizationServers: ['https://a.example.com/', 'https://b.example.com/'],
        scopesSupported: ['read', 'write'],
        bearerMethodsSupported: ['header', 'body'],
        resourceSigningAlgValuesSupported: ['ES256'],
        resourceDocumentation: 'https://docs.example.com/api',
        resourceName: 'Example API',
        dpopBoundAccessTokensRequired: false,
        tlsClientCertificateBoundAccessTokens: true,
        extra: { resource_policy_uri: 'https://example.com/policy' },
      },
      { audience: [AUDIENCE, 'https://api.example.com/v2'] },
    ).resourceMetadata?.document;
    expect(document).toEqual({
      resource: 'https://api.example.com/v2',
      authorization_servers: ['https://a.example.com/', 'https://b.example.com/'],
      scopes_supported: ['read', 'write'],
      bearer_methods_supported: ['header', 'body'],
      resource_signing_alg_values_supported: ['ES256'],
      resource_documentation: 'https://docs.example.com/api',
      resource_name: 'Example API',
      dpop_bound_access_tokens_required: false,
      tls_client_certificate_bound_access_tokens: true,
      resource_policy_uri: 'https://example.com/policy',
    });
  });
});

describe('where it is served', () => {
  it('a resource without a path: /.well-known/oauth-protected-resource only', () => {
    const verifier = withMetadata({});
    expect(verifier.resourceMetadata?.url).toBe('https://api.example.com/.well-known/oauth-protected-resource');
    expect(verifier.authenticate(get('/.well-known/oauth-protected-resource'))).toMatchObject({ kind: 'answered', response: { status: 200 } });
    expect(verifier.authenticate(get('/.well-known/oauth-protected-resource/v1'))).toMatchObject({ kind: 'refused' });
  });

  it('a resource with a path: the well-known segment inserted before the path (RFC 9728 §3.1), a query ignored', () => {
    const verifier = withMetadata({ resource: 'https://api.example.com/tenant/mcp' }, { audience: 'https://api.example.com/tenant/mcp' });
    expect(verifier.resourceMetadata?.url).toBe('https://api.example.com/.well-known/oauth-protected-resource/tenant/mcp');
    expect(verifier.authenticate(get('/.well-known/oauth-protected-resource/tenant/mcp?x=1'))).toMatchObject({ kind: 'answered' });
  });

  it('takes the path from the host when the adapter gives it, not from the URL', () => {
    const verifier = withMetadata({});
    const request = { ...get('/mounted/elsewhere'), path: '/.well-known/oauth-protected-resource' };
    expect(verifier.authenticate(request)).toMatchObject({ kind: 'answered' });
  });

  it('without the option, no path is special', () => {
    expect(verifierFor().authenticate(get('/.well-known/oauth-protected-resource'))).toMatchObject({ kind: 'refused', error: { code: 'missing_credentials' } });
  });

  it('sets max-age from maxAge and lets any origin read the document', () => {
    const answered = withMetadata({ maxAge: 60 }).authenticate(get('/.well-known/oauth-protected-resource'));
    expect(answered).toMatchObject({ response: { headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=60', 'access-control-allow-origin': '*' } } });
  });
});

describe('the link in challenges', () => {
  const link = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"';

  it('is in the challenge of every accepted scheme, Bearer and DPoP', async () => {
    const error = await withMetadata({}, { dpop: {} }).verify(mint({ aud: 'https://other.example.com' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AccessTokenError);
    const challenges = (error as AccessTokenError).wwwAuthenticate.split(/, (?=Bearer|DPoP)/);
    expect(challenges).toHaveLength(2);
    for (const challenge of challenges) expect(challenge).toContain(link);
  });

  it('is absent without the option', async () => {
    const error = (await verifierFor().verify(mint({ aud: 'https://other.example.com' })).catch((caught: unknown) => caught)) as AccessTokenError;
    expect(error.wwwAuthenticate).not.toContain('resource_metadata');
  });
});

describe('settings refused at startup', () => {
  it('a resource that is not one of the audiences: the trailing-slash trap', () => {
    expect(() => withMetadata({ resource: `${AUDIENCE}/` })).toThrow(/is not one of `audience`.*trailing slash/);
  });

  it('no resource, and an audience that is not a single URL', () => {
    expect(() => withMetadata({}, { audience: 'my-api' })).toThrow(/`resourceMetadata.resource` is needed/);
    expect(() => withMetadata({}, { audience: [AUDIENCE, 'https://b.example.com'] })).toThrow(/`resourceMetadata.resource` is needed/);
  });

  it('a resource over http off loopback, or with a fragment', () => {
    expect(() => withMetadata({ resource: 'http://api.example.com' }, { audience: 'http://api.example.com' })).toThrow(/https/);
    expect(() => withMetadata({ resource: `${AUDIENCE}#x` }, { audience: `${AUDIENCE}#x` })).toThrow(/no query and no fragment/);
  });

  it('extra members that would replace a standard one', () => {
    expect(() => withMetadata({ extra: { authorization_servers: [] } })).toThrow(/may not set `authorization_servers`/);
  });

  it('an unknown member name, with the closest known one', () => {
    expect(() => withMetadata({ scopeSupported: ['a'] } as never)).toThrow(/unknown option `resourceMetadata.scopeSupported`; did you mean `resourceMetadata.scopesSupported`/);
  });
});

describe('what a result says about its resource', () => {
  it('expiresAt is exp; resource is the resource identifier', async () => {
    const auth = await withMetadata({}).verify(mint({ exp: 2_000_000_000 }));
    expect(auth.expiresAt).toBe(2_000_000_000);
    expect(auth.resource?.href).toBe(new URL(AUDIENCE).href);
  });

  it('without the option, resource is the configured audience the token matched, when a URL', async () => {
    const verifier = verifierFor({ audience: ['not-a-url', AUDIENCE] });
    expect((await verifier.verify(mint({ aud: AUDIENCE }))).resource?.href).toBe(new URL(AUDIENCE).href);
    expect((await verifier.verify(mint({ aud: 'not-a-url' }))).resource).toBeUndefined();
  });
});

describe('a request the adapter could not describe', () => {
  it('a URL that does not parse is no request for the document: it is authenticated, and refused', () => {
    const outcome = verifierFor({ resourceMetadata: {} }).authenticate({ method: 'GET', url: 'http://[bad', headers: {} });
    expect(outcome).toMatchObject({ kind: 'refused', error: { code: 'missing_credentials' } });
  });
});

describe('with several issuers', () => {
  // Each issuer's own keys: a JWKS URL, fetched only when a token comes.
  const entry = (issuer: string, algorithms: string[]) => ({ issuer, audience: AUDIENCE, jwksUri: `${issuer}.well-known/jwks.json`, algorithms });

  it('names every listed issuer, and every algorithm any of them uses', () => {
    const verifier = createVerifier({
      issuers: [entry('https://a.example.com/', ['RS256']), entry('https://b.example.com/', ['ES256', 'RS256'])],
      resourceMetadata: {},
    });
    expect(verifier.resourceMetadata?.document).toMatchObject({
      resource: AUDIENCE,
      authorization_servers: ['https://a.example.com/', 'https://b.example.com/'],
      resource_signing_alg_values_supported: ['RS256', 'ES256'],
    });
  });

  it('a resolver names no issuer: resource and authorizationServers must be given', () => {
    const issuers = () => undefined;
    expect(() => createVerifier({ issuers, resourceMetadata: {} })).toThrow(/`resourceMetadata.resource` is needed/);
    expect(() => createVerifier({ issuers, resourceMetadata: { resource: AUDIENCE } })).toThrow(/`resourceMetadata.authorizationServers` is needed/);
    const document = createVerifier({ issuers, resourceMetadata: { resource: AUDIENCE, authorizationServers: [ISSUER] } }).resourceMetadata?.document;
    expect(document).toEqual({ resource: AUDIENCE, authorization_servers: [ISSUER], bearer_methods_supported: ['header'] });
  });
});
