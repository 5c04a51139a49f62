/**
 * Route guards, framework-free: does a verified token carry the scopes or permissions a route
 * needs (all of them, or any one)? A refusal is a 403 `insufficient_scope` whose challenge names
 * what the route needs; a guard on an anonymous request answers 401.
 */
import { describe, expect, it } from 'vitest';
import { AccessTokenError } from '../src/errors.js';
import { authLevelGuard, checkAuthLevel, checkClaim, checkPermissions, checkScopes, claimGuard, permissionGuard, requiredList, scopeGuard } from '../src/guards.js';
import type { AuthResult } from '../src/types.js';
import { mint, verifierFor } from './helpers/tokens.js';

/** A real verified result with these scopes and permissions. */
function authWith(scope: string, permissions: string[] = [], realm?: string): Promise<AuthResult> {
  return verifierFor(realm === undefined ? {} : { realm }).verify(mint({ scope, permissions }));
}

function expectInsufficient(error: AccessTokenError | undefined, needed: string): AccessTokenError {
  expect(error).toBeInstanceOf(AccessTokenError);
  const refusal = error as AccessTokenError;
  expect(refusal).toMatchObject({ code: 'insufficient_scope', status: 403 });
  expect(refusal.wwwAuthenticate).toContain(`scope="${needed}"`);
  return refusal;
}

describe('checkScopes', () => {
  it('lets a token with every required scope through', async () => {
    expect(checkScopes(await authWith('read:messages write:messages'), ['read:messages', 'write:messages'])).toBeUndefined();
  });

  it('refuses a token missing one required scope with 403 insufficient_scope naming all the route needs', async () => {
    const error = expectInsufficient(checkScopes(await authWith('read:messages'), ['read:messages', 'write:messages']), 'read:messages write:messages');
    expect(error.reason).toMatch(/missing scopes \[write:messages\]/);
  });

  it('accepts a space-separated string of required scopes', async () => {
    const auth = await authWith('read:messages');
    expect(checkScopes(auth, 'read:messages')).toBeUndefined();
    expectInsufficient(checkScopes(auth, 'read:messages write:messages'), 'read:messages write:messages');
  });

  it('lets a token with any one of the scopes through under match "any"', async () => {
    expect(checkScopes(await authWith('write:messages'), ['read:messages', 'write:messages'], { match: 'any' })).toBeUndefined();
  });

  it('refuses a token with none of the scopes under match "any"', async () => {
    const error = expectInsufficient(checkScopes(await authWith('profile'), ['read:messages', 'write:messages'], { match: 'any' }), 'read:messages write:messages');
    expect(error.reason).toMatch(/none of scopes/);
  });

  it('matches scopes exactly: no prefixes, no case folding', async () => {
    const auth = await authWith('read:messages:all READ:MESSAGES');
    expectInsufficient(checkScopes(auth, ['read:messages']), 'read:messages');
  });

  it('does not count permissions as scopes', async () => {
    expectInsufficient(checkScopes(await authWith('', ['read:messages']), ['read:messages']), 'read:messages');
  });

  it('renders the refusal with the realm of the verifier that produced the result', async () => {
    const error = checkScopes(await authWith('', [], 'messages'), ['read:messages']);
    expect(error?.wwwAuthenticate).toBe(
      'Bearer realm="messages", error="insufficient_scope", error_description="The access token lacks the scope this resource requires.", scope="read:messages"',
    );
  });

  it('keeps each verifier\'s realm apart when one process has several verifiers', async () => {
    const [orders, billing] = [await authWith('', [], 'orders'), await authWith('', [], 'billing')];
    expect(checkScopes(orders, ['read:orders'])?.wwwAuthenticate).toMatch(/^Bearer realm="orders", /);
    expect(checkScopes(billing, ['read:billing'])?.wwwAuthenticate).toMatch(/^Bearer realm="billing", /);
  });

  it('does not show the challenge settings among the result\'s own properties', async () => {
    const result = await authWith('read:messages', [], 'messages');
    expect(Object.getOwnPropertySymbols(result)).toEqual([]);
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({ scopes: ['read:messages'] });
  });
});

describe('checkPermissions', () => {
  it('lets a token with every required permission through', async () => {
    expect(checkPermissions(await authWith('', ['read:messages', 'delete:messages']), ['read:messages', 'delete:messages'])).toBeUndefined();
  });

  it('refuses a token missing a required permission with 403 naming what the route needs', async () => {
    expectInsufficient(checkPermissions(await authWith('', ['read:messages']), ['read:messages', 'delete:messages']), 'read:messages delete:messages');
  });

  it('lets a token with any one of the permissions through under match "any"', async () => {
    expect(checkPermissions(await authWith('', ['delete:messages']), ['read:messages', 'delete:messages'], { match: 'any' })).toBeUndefined();
  });

  it('refuses a token with none of the permissions under match "any"', async () => {
    expectInsufficient(checkPermissions(await authWith('', []), ['read:messages', 'delete:messages'], { match: 'any' }), 'read:messages delete:messages');
  });

  it('does not count scopes as permissions', async () => {
    expectInsufficient(checkPermissions(await authWith('read:messages'), ['read:messages']), 'read:messages');
  });
});

describe('checks called with nothing to require', () => {
  it('are a TypeError rather than a guard that lets everything through', async () => {
    const auth = await authWith('read:messages');
    expect(() => checkScopes(auth, [])).toThrow(TypeError);
    expect(() => checkPermissions(auth, '')).toThrow(TypeError);
  });
});

describe('checkClaim', () => {
  it('lets a token through when the predicate holds', async () => {
    const auth = await authWith('read:messages');
    expect(checkClaim(auth, (claims) => claims.sub === 'auth0|user-1', 'This resource belongs to user-1.')).toBeUndefined();
  });

  it('refuses with 403 and the description given when the predicate fails', async () => {
    const error = checkClaim(await authWith('read:messages'), (claims) => claims.sub === 'someone-else', 'Only the owner may read this.');
    expect(error).toMatchObject({ code: 'insufficient_scope', status: 403, description: 'Only the owner may read this.' });
  });
});

describe('prepared guards', () => {
  it('answer an unauthenticated request with 401 and a challenge without error code', () => {
    for (const guard of [scopeGuard('read:messages'), permissionGuard('read:messages'), claimGuard(() => true, 'Never reached.')]) {
      const refusal = guard(undefined);
      expect(refusal).toMatchObject({ kind: 'refused', error: { code: 'missing_credentials', status: 401 } });
      expect(refusal?.response.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('answer an anonymous outcome in the name of the verifier that let it through', () => {
    const verifier = verifierFor({ realm: 'api' });
    const anonymous = verifier.authenticate({ method: 'GET', url: 'https://api.example.com/', headers: {} }, { optional: true });
    if (anonymous instanceof Promise || anonymous.kind !== 'anonymous') throw new Error('expected an anonymous outcome');
    expect(scopeGuard('read:messages')(anonymous)?.response).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' } });
  });

  it('check scopes and permissions of a verified result, and answer with the response to send', async () => {
    const auth = await authWith('read:messages', ['delete:messages']);
    expect(scopeGuard('read:messages')(auth)).toBeUndefined();
    expect(permissionGuard(['delete:messages'])(auth)).toBeUndefined();
    const refusal = scopeGuard('delete:messages')(auth);
    expectInsufficient(refusal?.error, 'delete:messages');
    expect(refusal?.response).toEqual({
      status: 403,
      headers: { 'content-type': 'application/json', 'www-authenticate': refusal?.error.wwwAuthenticate },
      body: JSON.stringify(refusal?.error.body),
    });
    expectInsufficient(permissionGuard('read:messages')(auth)?.error, 'read:messages');
  });

  it('claimGuard refuses with 403 and its description when the predicate fails', async () => {
    const refusal = claimGuard((claims) => claims.sub === 'someone-else', 'Only the owner may read this.')(await authWith('read:messages'));
    expect(refusal?.error).toMatchObject({ code: 'insufficient_scope', status: 403, description: 'Only the owner may read this.' });
  });

  it('honour match "any"', async () => {
    const auth = await authWith('write:messages');
    expect(scopeGuard(['read:messages', 'write:messages'], { match: 'any' })(auth)).toBeUndefined();
  });

  it.each([
    ['an empty list', []],
    ['an empty string', ''],
    ['a blank string', '   '],
    ['an empty value in a list', ['read:messages', '']],
    ['a value with a space in a list', ['read:messages write:messages']],
  ])('are a TypeError when built with %s', (_, required) => {
    expect(() => scopeGuard(required as string[])).toThrow(TypeError);
    expect(() => permissionGuard(required as string[])).toThrow(TypeError);
  });

  it('split a space-separated requirement once, at build time', () => {
    expect(requiredList(' read:messages  write:messages ')).toEqual(['read:messages', 'write:messages']);
  });
});

describe('checkAuthLevel and authLevelGuard (step-up, RFC 9470)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const authWithClaims = (claims: Record<string, unknown>) => verifierFor({ realm: 'api' }).verify(mint(claims));

  it('lets an accepted acr and a recent enough auth_time through', async () => {
    expect(checkAuthLevel(await authWithClaims({ acr: 'mfa', auth_time: now() - 10 }), { acrValues: ['phr', 'mfa'], maxAge: 60 })).toBeUndefined();
  });

  it('refuses an acr not listed, with 401 insufficient_user_authentication naming the accepted values', async () => {
    const error = checkAuthLevel(await authWithClaims({ acr: 'pwd' }), { acrValues: 'mfa phr' });
    expect(error).toMatchObject({ code: 'insufficient_user_authentication', status: 401, acrValues: ['mfa', 'phr'] });
    expect(error?.wwwAuthenticate).toBe('Bearer realm="api", error="insufficient_user_authentication", error_description="A stronger authentication is required.", acr_values="mfa phr"');
    expect(error?.reason).toBe('acr is "pwd", expected one of ["mfa","phr"]');
  });

  it('refuses an auth_time older than maxAge, and a token without auth_time', async () => {
    const old = checkAuthLevel(await authWithClaims({ auth_time: now() - 120 }), { maxAge: 60 });
    expect(old).toMatchObject({ code: 'insufficient_user_authentication', maxAge: 60, description: 'A more recent authentication is required.' });
    expect(old?.wwwAuthenticate).toContain('max_age="60"');
    expect(checkAuthLevel(await authWithClaims({}), { maxAge: 60 })?.reason).toBe('auth_time is missing, and maxAge 60 s is required');
  });

  it('quotes a hostile acr in the reason, and never sends it to the client', async () => {
    const error = checkAuthLevel(await authWithClaims({ acr: 'x"\r\ny' }), { acrValues: ['mfa'] });
    expect(error?.reason).toBe('acr is "x\\"\\r\\ny", expected one of ["mfa"]');
    expect(error?.wwwAuthenticate).not.toContain('x"');
  });

  it('answers 401 for an anonymous request, like every guard', () => {
    expect(authLevelGuard({ maxAge: 60 })(undefined)?.response.status).toBe(401);
  });

  it('needs acrValues or maxAge, and a whole number of seconds', () => {
    expect(() => authLevelGuard({})).toThrow(TypeError);
    expect(() => authLevelGuard({ maxAge: -1 })).toThrow(/maxAge/);
    expect(() => authLevelGuard({ acrValues: [] })).toThrow(TypeError);
  });
});
