/**
 * The request the client sent to the gateway, read from what the gateway tells the service, one
 * contract per gateway. Only the configured gateway's headers are read: Caddy and Envoy pass the
 * client's own headers along, so a service that also believed `X-Original-URI` there would let a
 * client name the path its rule is looked up for.
 *
 * - nginx `auth_request`: `X-Original-Method`, `X-Original-URI` (set by the documented snippet);
 * - Caddy `forward_auth`, Traefik ForwardAuth: `X-Forwarded-Method`, `X-Forwarded-Uri`;
 * - Envoy `ext_authz` (HTTP): the request's own method, and its path below `pathPrefix`.
 *
 * Scheme and host, for the URL a DPoP proof's `htu` is compared with, come from
 * `X-Forwarded-Proto` and `X-Forwarded-Host`, else `http` and `Host`.
 */
import type { GatewayKind } from './config.js';

type HeaderMap = Record<string, string | string[] | undefined>;

export interface OriginalRequest {
  method: string;
  /** Path and query as the client sent them. */
  uri: string;
  /** Absolute URL as the client addressed it. */
  url: string;
}

/** The gateway did not say what a decision needs: its configuration is wrong (the service answers 500). */
export interface ContractProblem {
  problem: string;
}

const METHOD = /^[A-Z]{1,20}$/;

/** Whether this request carries the original request in headers: then it is a decision, whatever its own path. */
export function carriesOriginal(gateway: GatewayKind, headers: HeaderMap): boolean {
  if (gateway === 'envoy') return false;
  return headers[gateway === 'nginx' ? 'x-original-uri' : 'x-forwarded-uri'] !== undefined;
}

export function readOriginalRequest(
  gateway: GatewayKind,
  pathPrefix: string | undefined,
  own: { method: string; url: string; headers: HeaderMap },
): OriginalRequest | ContractProblem {
  const { headers } = own;
  let method: string | undefined;
  let uri: string | undefined;
  if (gateway === 'envoy') {
    method = own.method;
    uri = belowPrefix(own.url, pathPrefix ?? '');
    if (uri === undefined) return { problem: `the path is not below pathPrefix ${pathPrefix}` };
  } else {
    const [methodHeader, uriHeader] = gateway === 'nginx' ? ['x-original-method', 'x-original-uri'] : ['x-forwarded-method', 'x-forwarded-uri'];
    method = single(headers[methodHeader]);
    uri = single(headers[uriHeader]);
    if (method === undefined) return { problem: `${gateway} sent no single ${methodHeader} header` };
    if (uri === undefined) return { problem: `${gateway} sent no single ${uriHeader} header` };
  }
  method = method.toUpperCase();
  if (!METHOD.test(method)) return { problem: `the original method ${JSON.stringify(method.slice(0, 40))} is not an HTTP method` };
  const proto = single(headers['x-forwarded-proto'])?.split(',')[0]?.trim().toLowerCase() === 'https' ? 'https' : 'http';
  const host = single(headers['x-forwarded-host'])?.split(',')[0]?.trim() || single(headers.host) || 'localhost';
  return { method, uri, url: `${proto}://${host}${uri.startsWith('/') ? uri : `/${uri}`}` };
}

/** `/authz/orders?x=1` below `/authz` is `/orders?x=1`; a path not below the prefix has no answer. */
function belowPrefix(url: string, prefix: string): string | undefined {
  if (!url.startsWith(prefix)) return undefined;
  const rest = url.slice(prefix.length);
  if (rest === '') return '/';
  if (rest.startsWith('/')) return rest;
  if (rest.startsWith('?')) return `/${rest}`;
  return undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
