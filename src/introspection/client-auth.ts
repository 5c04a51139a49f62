/**
 * How this API proves who it is to the introspection endpoint (RFC 7662 §2.1 requires it):
 * `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3.1), or `private_key_jwt`
 * (RFC 7523 client assertion, signed with jose, one fresh assertion per request).
 */
import { SignJWT, importJWK, type CryptoKey } from 'jose';
import type { IntrospectionAuthMethod, IntrospectionOptions } from '../options.js';
import type { JWK } from '../types.js';

/** What the request carries to authenticate us: extra headers and extra form fields. */
export interface ClientCredentials {
  headers: Record<string, string>;
  form: Record<string, string>;
}

export type ClientAuthentication = () => ClientCredentials | Promise<ClientCredentials>;

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Seconds an assertion is valid: long enough for one request, short enough to be useless stolen. */
const ASSERTION_LIFETIME = 60;

/**
 * Validates the credentials once (TypeError on misuse) and returns what each request adds.
 * `audience` is the authorization server's issuer identifier, the assertion audience RFC 7523
 * and every server accept.
 */
export function createClientAuthentication(options: IntrospectionOptions, audience: string): ClientAuthentication {
  const { clientId, clientSecret, privateKey } = options;
  if (typeof clientId !== 'string' || clientId === '') throw new TypeError('`introspection.clientId` must be a non-empty string');
  const method: IntrospectionAuthMethod = options.authMethod ?? (privateKey !== undefined ? 'private_key_jwt' : 'client_secret_basic');
  switch (method) {
    case 'client_secret_basic':
    case 'client_secret_post': {
      if (typeof clientSecret !== 'string' || clientSecret === '') throw new TypeError(`\`introspection.authMethod\` ${method} needs \`introspection.clientSecret\``);
      if (privateKey !== undefined) throw new TypeError(`\`introspection.privateKey\` is set but \`introspection.authMethod\` is ${method}`);
      const credentials: ClientCredentials =
        method === 'client_secret_basic'
          ? { headers: { authorization: `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}` }, form: {} }
          : { headers: {}, form: { client_id: clientId, client_secret: clientSecret } };
      return () => credentials;
    }
    case 'private_key_jwt': {
      if (privateKey === null || typeof privateKey !== 'object' || typeof privateKey.d !== 'string') {
        throw new TypeError('`introspection.authMethod` private_key_jwt needs `introspection.privateKey`, a private JWK');
      }
      if (clientSecret !== undefined) throw new TypeError('`introspection.clientSecret` is set but `introspection.authMethod` is private_key_jwt');
      const alg = assertionAlgorithm(privateKey);
      const key = importJWK(privateKey, alg) as Promise<CryptoKey>;
      // An import failure surfaces on the first introspection, as our 503 naming the key.
      key.catch(() => undefined);
      return async () => ({
        headers: {},
        form: { client_id: clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: await sign(await key, alg, privateKey.kid, clientId, audience) },
      });
    }
    default:
      throw new TypeError('`introspection.authMethod` must be "client_secret_basic", "client_secret_post" or "private_key_jwt"');
  }
}

function sign(key: CryptoKey, alg: string, kid: string | undefined, clientId: string, audience: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${ASSERTION_LIFETIME}s`)
    .setJti(crypto.randomUUID())
    .sign(key);
}

/** The JWK's own `alg`, else the usual one for its key type. */
function assertionAlgorithm(jwk: JWK): string {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  const byCurve: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
  const alg = jwk.kty === 'EC' && typeof jwk.crv === 'string' ? byCurve[jwk.crv] : undefined;
  if (alg === undefined) throw new TypeError('`introspection.privateKey` has no `alg` and its key type names none: set `alg` in the JWK');
  return alg;
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined for Basic. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
