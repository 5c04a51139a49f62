/** Route patterns and the path normalization they are matched on. */
import { describe, expect, it } from 'vitest';
import { compileRoutes, findRoute, normalizePath, patternRegExp } from '../../src/gateway/routes.js';

describe('normalizePath', () => {
  it.each([
    ['/a/b?x=1#f', '/a/b'],
    ['/A/B/', '/a/b'],
    ['//a///b', '/a/b'],
    ['/a/./b/../c', '/a/c'],
    ['/../../a', '/a'],
    ['/%41%62c', '/abc'],
    ['/caf%C3%A9', '/caf%c3%a9'],
    ['/100%25', '/100%25'],
    ['https://api.example.com/a?b', '/a'],
    ['/', '/'],
  ])('reads %s as %s', (uri, path) => {
    expect(normalizePath(uri)).toBe(path);
  });

  it.each(['a/b', '/a%2Fb', '/a%5cb', '/a\\b', '/a%00b', '/a b', '/a%zz', '/a%2', '*'])('refuses %s', (uri) => {
    expect(normalizePath(uri)).toBeUndefined();
  });
});

describe('patterns', () => {
  it('matches a final /* on the path itself and everything below it', () => {
    const pattern = patternRegExp('/admin/*');
    expect(['/admin', '/admin/x', '/admin/x/y'].map((path) => pattern.test(path))).toEqual([true, true, true]);
    expect(pattern.test('/administrator')).toBe(false);
  });

  it('matches * elsewhere within one segment only', () => {
    const pattern = patternRegExp('/users/*/profile');
    expect(pattern.test('/users/7/profile')).toBe(true);
    expect(pattern.test('/users/7/8/profile')).toBe(false);
  });

  it('matches an exact pattern on that path only, whatever its case or trailing slash', () => {
    const pattern = patternRegExp('/Health/');
    expect(['/health', '/health/x'].map((path) => pattern.test(path))).toEqual([true, false]);
  });

  it('treats regular-expression characters in a pattern literally', () => {
    expect(patternRegExp('/a.b').test('/axb')).toBe(false);
  });
});

describe('findRoute', () => {
  const routes = compileRoutes([
    { method: 'GET', path: '/messages/*', scopes: ['read'] },
    { path: '/messages/*', scopes: ['write'] },
    { path: '/public/*', anonymous: true },
  ]);

  it('takes the first route that matches', () => {
    expect(findRoute(routes, 'GET', '/messages/1').label).toBe('routes[0] GET /messages/*');
    expect(findRoute(routes, 'POST', '/messages/1').label).toBe('routes[1] * /messages/*');
  });

  it('lets a GET route answer for HEAD', () => {
    expect(findRoute(routes, 'HEAD', '/messages/1').label).toBe('routes[0] GET /messages/*');
  });

  it('falls back to the default route: authenticated, no guard', () => {
    const route = findRoute(routes, 'GET', '/orders');
    expect([route.label, route.anonymous, route.guards.length]).toEqual(['default', false, 0]);
  });
});
