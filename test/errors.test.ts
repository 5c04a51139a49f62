/**
 * Errors are data an adapter can send as is: a status per code, an RFC 6750 `WWW-Authenticate`
 * challenge whose quoted strings no description can break, a JSON body with the client-safe
 * description only (the `reason` is for logs), and a distinct 503 for our own failures.
 */
import { describe, expect, it } from 'vitest';
import {
  AccessTokenError,
  GuardError,
  KeysUnavailableError,
  isGuardError,
  type ChallengeOptions,
  type ErrorCode,
} from '../src/errors.js';
import { expectRefused } from './helpers/refusal.js';
import { mint, verifierFor } from './helpers/tokens.js';

const SECRET_REASON = 'kid k-123 from https://internal.example/jwks failed: signature mismatch';

function withChallenge(error: AccessTokenError, challenge: ChallengeOptions): AccessTokenError {
  return error.withContext(challenge, undefined);
}

/** The auth-params of one challenge, unescaped (RFC 7235 §2.1 quoted-string). */
function challengeParams(challenge: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [, name, quoted] of challenge.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) {
    params[name as string] = (quoted as string).replace(/\\(.)/g, '$1');
  }
  return params;
}

describe('AccessTokenError', () => {
  it('is completed by withContext into a new error, leaving the original as it was built', () => {
    const original = new AccessTokenError('invalid_token', 'The access token is invalid.', 'reason');
    const completed = original.withContext({ realm: 'api', schemes: ['Bearer', 'DPoP'] }, 'DPoP');
    expect(completed).not.toBe(original);
    expect(original.challenge).toEqual({ schemes: ['Bearer'] });
    expect(original.scheme).toBeUndefined();
    expect(completed).toMatchObject({ code: 'invalid_token', reason: 'reason', scheme: 'DPoP', challenge: { realm: 'api' } });
  });

  it.each<[ErrorCode, number]>([
    ['invalid_request', 400],
    ['invalid_token', 401],
    ['insufficient_scope', 403],
    ['invalid_dpop_proof', 401],
    ['use_dpop_nonce', 401],
    ['missing_credentials', 401],
  ])('answers %s with status %i', (code, status) => {
    expect(new AccessTokenError(code, 'described').status).toBe(status);
  });

  it('keeps the reason for logs, out of the message (what default error handlers print) and out of the body', () => {
    const error = new AccessTokenError('invalid_token', 'The access token is invalid.', SECRET_REASON);
    expect(error.reason).toBe(SECRET_REASON);
    expect(error.message).toBe('The access token is invalid.');
    expect(error.response.body).not.toContain('internal.example');
    expect(error.body).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid.' });
    expect(JSON.stringify(error.body)).not.toContain('internal.example');
    expect(error.headers['WWW-Authenticate']).not.toContain('internal.example');
  });

  it('is a GuardError and an Error, named after its class', () => {
    const error = new AccessTokenError('invalid_token', 'x');
    expect(error).toBeInstanceOf(GuardError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AccessTokenError');
    expect(isGuardError(error)).toBe(true);
    expect(isGuardError(new Error('x'))).toBe(false);
  });

  it('renders the error in a Bearer challenge with the realm first', () => {
    const error = withChallenge(new AccessTokenError('invalid_token', 'The access token expired.'), { realm: 'api', schemes: ['Bearer'] });
    expect(error.headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="api", error="invalid_token", error_description="The access token expired."',
    });
  });

  it('omits the realm when none is configured', () => {
    expect(new AccessTokenError('invalid_token', 'Bad.').wwwAuthenticate).toBe('Bearer error="invalid_token", error_description="Bad."');
  });

  it('sends no error code for missing credentials (RFC 6750 §3.1)', () => {
    const error = withChallenge(new AccessTokenError('missing_credentials', 'No token.'), { realm: 'api', schemes: ['Bearer'] });
    expect(error.wwwAuthenticate).toBe('Bearer realm="api"');
    expect(new AccessTokenError('missing_credentials', 'No token.').wwwAuthenticate).toBe('Bearer');
  });

  it('carries scope="…" of what the route needs in an insufficient_scope challenge', () => {
    const error = new AccessTokenError('insufficient_scope', 'Needs more.', 'reason', { scope: ['read:messages', 'write:messages'] });
    expect(error.status).toBe(403);
    expect(challengeParams(error.wwwAuthenticate)).toMatchObject({ error: 'insufficient_scope', scope: 'read:messages write:messages' });
  });

  describe('quoting', () => {
    const hostile = 'a "quoted" \\ back\\slash\r\nSet-Cookie: session=stolen\u0000';

    it('escapes quotes and backslashes so a description stays one quoted string', () => {
      const params = challengeParams(new AccessTokenError('invalid_token', 'say "hi" \\o/').wwwAuthenticate);
      expect(params.error_description).toBe('say "hi" \\o/');
      expect(params.error).toBe('invalid_token');
    });

    it('cannot split the header with line breaks or control characters', () => {
      const value = new AccessTokenError('invalid_token', hostile).wwwAuthenticate;
      expect(value).not.toMatch(/[\x00-\x1f\x7f]/);
      expect(() => new Headers([['WWW-Authenticate', value]])).not.toThrow();
      expect(Object.keys(challengeParams(value))).toEqual(['error', 'error_description']);
    });

    it('keeps every value to printable ASCII, so no realm or description can make the header unsendable', () => {
      const error = withChallenge(new AccessTokenError('invalid_token', 'Jeton expiré ✓ 🔑'), { realm: 'API — prod', schemes: ['Bearer'] });
      const value = error.wwwAuthenticate;
      expect(value).toMatch(/^[\x20-\x7e]*$/);
      expect(() => new Headers([['WWW-Authenticate', value]])).not.toThrow();
      expect(challengeParams(value)).toMatchObject({ realm: 'API ? prod', error_description: 'Jeton expir? ? ?' });
    });

    it('escapes a realm the same way', () => {
      const error = withChallenge(new AccessTokenError('invalid_token', 'x'), { realm: 'the "api"\n', schemes: ['Bearer'] });
      expect(challengeParams(error.wwwAuthenticate).realm).toBe('the "api" ');
    });

    it('escapes the realm of a verifier in the errors it raises', async () => {
      const error = await expectRefused(verifierFor({ realm: 'say "cheese"' }).verify('not-a-token'));
      expect(challengeParams(error.wwwAuthenticate).realm).toBe('say "cheese"');
    });
  });

  describe('with DPoP accepted too', () => {
    const challenge: ChallengeOptions = { realm: 'api', schemes: ['Bearer', 'DPoP'], dpopAlgorithms: ['ES256', 'EdDSA'] };

    it('sends one challenge per scheme, the error in the one the request used', () => {
      const error = withChallenge(new AccessTokenError('invalid_token', 'Bad.', 'r', { scheme: 'DPoP' }), challenge);
      expect(error.wwwAuthenticate).toBe(
        'Bearer realm="api", DPoP realm="api", algs="ES256 EdDSA", error="invalid_token", error_description="Bad."',
      );
    });

    it('puts an error of unknown scheme in the first challenge', () => {
      const error = withChallenge(new AccessTokenError('invalid_request', 'Bad.'), challenge);
      expect(error.wwwAuthenticate).toMatch(/^Bearer realm="api", error="invalid_request"/);
    });

    it('sends DPoP-Nonce when the error carries a nonce', () => {
      const error = withChallenge(new AccessTokenError('use_dpop_nonce', 'Use the nonce.', 'r', { scheme: 'DPoP', dpopNonce: 'n-1' }), challenge);
      expect(error.headers['DPoP-Nonce']).toBe('n-1');
    });
  });
});

describe('step-up and resource metadata in challenges', () => {
  it('insufficient_user_authentication is a 401 whose challenge names acr_values and max_age (RFC 9470 §3)', () => {
    const error = new AccessTokenError('insufficient_user_authentication', 'More.', 'r', { acrValues: ['urn:a', 'urn:b'], maxAge: 5 });
    expect(error.status).toBe(401);
    expect(error.wwwAuthenticate).toBe('Bearer error="insufficient_user_authentication", error_description="More.", acr_values="urn:a urn:b", max_age="5"');
  });

  it('keeps acr_values and max_age when the verifier completes the error', () => {
    const error = new AccessTokenError('insufficient_user_authentication', 'More.', 'r', { maxAge: 5 }).withContext({ realm: 'api', schemes: ['Bearer'] }, 'Bearer');
    expect(error.wwwAuthenticate).toBe('Bearer realm="api", error="insufficient_user_authentication", error_description="More.", max_age="5"');
  });

  it('puts resource_metadata in every challenge, with or without an error, escaped like any value', () => {
    const challenge: ChallengeOptions = { schemes: ['Bearer', 'DPoP'], resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource?"x"' };
    const link = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource?\\"x\\""';
    expect(withChallenge(new AccessTokenError('missing_credentials', 'None.'), challenge).wwwAuthenticate).toBe(`Bearer ${link}, DPoP ${link}`);
  });
});

describe('KeysUnavailableError', () => {
  const error = new KeysUnavailableError(`GET https://tenant.example.com/.well-known/jwks.json: connection refused`, 12.2);

  it('is a 503 with the temporarily_unavailable code', () => {
    expect(error.status).toBe(503);
    expect(error.statusCode).toBe(503);
    expect(error.code).toBe('temporarily_unavailable');
    expect(error).toBeInstanceOf(GuardError);
    expect(error).not.toBeInstanceOf(AccessTokenError);
  });

  it('sends Retry-After in whole seconds, rounded up, and no challenge', () => {
    expect(error.headers).toEqual({ 'Retry-After': '13' });
  });

  it('never asks the client to retry sooner than a second', () => {
    expect(new KeysUnavailableError('r', 0).headers['Retry-After']).toBe('1');
  });

  it('sends temporarily_unavailable in the body and keeps the URL and failure for the log', () => {
    expect(error.body.error).toBe('temporarily_unavailable');
    expect(JSON.stringify(error.body)).not.toContain('tenant.example.com');
    expect(error.reason).toContain('connection refused');
  });
});

describe('refusals raised by a verifier', () => {
  it('are rendered with the verifier\'s realm', async () => {
    const error = await expectRefused(verifierFor({ realm: 'messages' }).verify(mint({ exp: 1 })));
    expect(error.wwwAuthenticate).toMatch(/^Bearer realm="messages", error="invalid_token", error_description="The access token expired."$/);
  });

  it('refuse a token that is not a string with a 401, never a crash', async () => {
    const error = await expectRefused(verifierFor().verify(undefined as unknown as string));
    expect(error.status).toBe(401);
  });
});
