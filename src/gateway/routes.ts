/**
 * Which rule applies to the original request: routes are tried in order and the first whose
 * method and path match wins; with none, a valid token is required and nothing more.
 *
 * The path is compared as the API behind the gateway will understand it, so that no spelling
 * of a guarded path slips past its rule: dot segments resolved, repeated slashes collapsed,
 * percent-escaped characters decoded, a trailing slash ignored, case ignored (Express and many
 * others route without regard to case). A path that would mean different things to different
 * servers — an escaped `/` or `\`, a raw `\`, a control character — is refused rather than guessed.
 */
import { permissionGuard, scopeGuard, type Guard } from '../guards.js';
import type { RouteConfig } from './config.js';

export interface Route {
  /** For logs: `routes[1] GET /admin/*`, or `default`. */
  readonly label: string;
  readonly anonymous: boolean;
  /** Prepared once: scopes, then permissions. */
  readonly guards: readonly Guard[];
  matches(method: string, path: string): boolean;
}

export const DEFAULT_ROUTE: Route = Object.freeze({ label: 'default', anonymous: false, guards: [], matches: () => true });

export function compileRoutes(routes: readonly RouteConfig[]): Route[] {
  return routes.map((route, index) => compileRoute(route, index));
}

/** The first route that matches, or the default route. `path` is a `normalizePath` result. */
export function findRoute(routes: readonly Route[], method: string, path: string): Route {
  for (const route of routes) if (route.matches(method, path)) return route;
  return DEFAULT_ROUTE;
}

function compileRoute(route: RouteConfig, index: number): Route {
  const methods = route.method === undefined ? undefined : new Set((Array.isArray(route.method) ? route.method : [route.method]).map((method) => method.toUpperCase()));
  // Frameworks answer HEAD with the GET handler, so a rule on GET must hold for HEAD too.
  if (methods?.has('GET')) methods.add('HEAD');
  const pattern = patternRegExp(route.path);
  const guards: Guard[] = [];
  if (route.scopes) guards.push(scopeGuard(route.scopes, { match: route.match }));
  if (route.permissions) guards.push(permissionGuard(route.permissions, { match: route.match }));
  const label = `routes[${index}] ${methods ? [...methods].filter((method) => method !== 'HEAD' || !methods.has('GET')).join(',') : '*'} ${route.path}`;
  return Object.freeze({
    label,
    anonymous: route.anonymous === true,
    guards,
    matches: (method: string, path: string) => (methods === undefined || methods.has(method)) && pattern.test(path),
  });
}

/**
 * `/admin/*` → the path itself and everything below it; `*` elsewhere → any characters within
 * one segment. The pattern is normalized like a request path, so `/Admin/` and `/admin` agree.
 */
export function patternRegExp(pattern: string): RegExp {
  const everythingBelow = pattern.endsWith('/*');
  const base = everythingBelow ? pattern.slice(0, -2) : pattern;
  const normalized = base === '' ? '' : normalizePath(base);
  if (normalized === undefined) throw new TypeError(`route path ${JSON.stringify(pattern)} cannot be normalized`);
  const root = normalized === '/' ? '' : normalized;
  const body = root.split('*').map(escapeRegExp).join('[^/]*');
  return everythingBelow ? new RegExp(`^${body}(?:/.*)?$`) : new RegExp(`^${body === '' ? '/' : body}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * The path of a request URI as routes compare it (lower case), or undefined when the URI is not a
 * path, or has a spelling that servers disagree on. Query and fragment are dropped; an
 * absolute-form URI (`http://host/path`) gives its path.
 */
export function normalizePath(uri: string): string | undefined {
  let path = uri;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(path);
  if (absolute) path = path.slice(absolute[0].length) || '/';
  const end = path.search(/[?#]/);
  if (end >= 0) path = path.slice(0, end);
  if (!path.startsWith('/')) return undefined;

  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const char = path[i] as string;
    const code = char.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f || char === '\\') return undefined;
    if (char !== '%') {
      decoded += char;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return undefined;
    const byte = Number.parseInt(hex, 16);
    i += 2;
    if (byte === 0x2f || byte === 0x5c || byte <= 0x20 || byte === 0x7f) return undefined;
    // Printable ASCII is compared decoded (`%61dmin` is `admin`); `%` and bytes beyond ASCII stay
    // escaped, in one spelling, so that they never decode into something else here.
    decoded += byte === 0x25 || byte > 0x7f ? `%${hex.toUpperCase()}` : String.fromCharCode(byte);
  }

  const segments: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment.toLowerCase());
  }
  return `/${segments.join('/')}`;
}
