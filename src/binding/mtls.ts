/**
 * Certificate-bound access tokens (RFC 8705 §3): the token's `cnf["x5t#S256"]` must equal the
 * base64url SHA-256 thumbprint of the DER of the client certificate presented on this request.
 * The certificate comes from the TLS socket, or — only when `certificateHeader` is configured —
 * from a header set by the edge that terminated TLS.
 */
import { base64url } from 'jose';
import { getHeader } from '../credentials.js';
import type { CryptoBackend } from '../crypto/types.js';
import { invalidToken } from '../errors.js';
import type { MtlsOptions } from '../options.js';
import type { RequestLike } from '../types.js';

export type { MtlsOptions } from '../options.js';

export interface MtlsConfig {
  required: boolean;
  /** Lower-cased header name, when configured. */
  certificateHeader: string | undefined;
}

export interface CertificateContext {
  clientCertificate?: Uint8Array | string;
  headers?: RequestLike['headers'];
}

// RFC 7230 token: the characters a header field name may use.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
// A SHA-256 digest in base64url without padding is exactly 43 characters.
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const UNBOUND = 'The access token is not bound to the presented client certificate.';

export function validateMtlsOptions(options: MtlsOptions | undefined): MtlsConfig | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw new TypeError('`mtls` must be an object');
  const { required = false, certificateHeader } = options;
  if (typeof required !== 'boolean') throw new TypeError('`mtls.required` must be a boolean');
  if (certificateHeader !== undefined && !(typeof certificateHeader === 'string' && HEADER_NAME.test(certificateHeader))) {
    throw new TypeError('`mtls.certificateHeader` must be a header name');
  }
  return { required, certificateHeader: certificateHeader?.toLowerCase() };
}

/** Whether `value` has the shape of an `x5t#S256` or `jkt` confirmation (a SHA-256 base64url). */
export function isThumbprint(value: unknown): value is string {
  return typeof value === 'string' && THUMBPRINT.test(value);
}

/**
 * Resolves when the presented certificate is the one the token is bound to; throws 401
 * `invalid_token` otherwise. Synchronous on Node (SHA-256 is), a promise on WebCrypto.
 */
export function checkCertificateBinding(expected: string, context: CertificateContext, config: MtlsConfig, backend: CryptoBackend): void | Promise<void> {
  const der = presentedCertificate(context, config, backend);
  if (der === undefined) {
    throw invalidToken(UNBOUND, `the token is certificate-bound and the request presented no client certificate${config.certificateHeader ? ` (header ${config.certificateHeader})` : ''}`);
  }
  const digest = backend.sha256(der);
  const compare = (bytes: Uint8Array) => {
    const actual = base64url.encode(bytes);
    if (!backend.timingSafeEqual(backend.utf8Bytes(actual), backend.utf8Bytes(expected))) {
      throw invalidToken(UNBOUND, `the client certificate's thumbprint ${actual} is not the token's cnf x5t#S256 ${expected}`);
    }
  };
  return digest instanceof Promise ? digest.then(compare) : compare(digest);
}

/** The leaf certificate's DER, from the configured header or else the TLS socket. */
export function presentedCertificate(context: CertificateContext, config: MtlsConfig, backend: CryptoBackend): Uint8Array | undefined {
  if (config.certificateHeader !== undefined) {
    // A configured header is the only source: behind an edge the socket's certificate, if any,
    // is the edge's own.
    const value = context.headers ? getHeader(context.headers, config.certificateHeader) : undefined;
    if (Array.isArray(value)) throw invalidToken(UNBOUND, `the request has more than one ${config.certificateHeader} header`);
    if (value === undefined || value.trim() === '') return undefined;
    let pem: string;
    try {
      pem = decodeURIComponent(value);
    } catch {
      throw invalidToken(UNBOUND, `the ${config.certificateHeader} header is not URL-encoded`);
    }
    return pemToDer(pem, `the ${config.certificateHeader} header`, backend);
  }
  const certificate = context.clientCertificate;
  if (certificate === undefined) return undefined;
  if (typeof certificate === 'string') return pemToDer(certificate, 'the clientCertificate PEM', backend);
  return certificate.length > 0 ? certificate : undefined;
}

/** The DER of the first certificate in a PEM text (the leaf, when a chain is forwarded). */
export function pemToDer(pem: string, source: string, backend: CryptoBackend): Uint8Array {
  const body = PEM_CERTIFICATE.exec(pem)?.[1]?.replace(/\s+/g, '');
  if (!body || !BASE64.test(body) || body.length % 4 !== 0) {
    throw invalidToken(UNBOUND, `${source} is not a PEM certificate`);
  }
  // Standard base64 to base64url, which is what the backend decodes.
  const url = body.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const der = backend.decodeBase64Url(url);
  if (der.length === 0) throw invalidToken(UNBOUND, `${source} is empty`);
  return der;
}
