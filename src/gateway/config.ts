/**
 * The gateway service's configuration: its shape (the published JSON Schema, checked by
 * `checkAgainstSchema`), the rules a schema cannot say (Envoy needs a path prefix, a route is
 * anonymous or guarded, not both…), and the translation into `createVerifier` options — secrets
 * read from files or the environment, the result cache on unless turned off. Every mistake is a
 * `GatewayConfigError` naming the field at fault, raised before the service listens.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { VerifierOptions } from '../options.js';
import schema from '../../schema/guard.schema.json' with { type: 'json' };
import { checkAgainstSchema, type Schema } from './schema-check.js';

export type GatewayKind = 'nginx' | 'caddy' | 'traefik' | 'envoy';

/** A secret given in the file, or where to read it: a file (relative to the configuration file) or an environment variable. */
export type SecretText = string | { file: string } | { env: string };

export interface RouteConfig {
  /** A method or a list of them; `GET` also covers `HEAD`. Default: any method. */
  method?: string | string[];
  /** `/admin/*`: compared without regard to case; `*` matches within one segment, a final `/*` everything below. */
  path: string;
  scopes?: string[];
  permissions?: string[];
  /** `all` (default): every listed value is needed; `any`: one is enough. */
  match?: 'all' | 'any';
  /** Requests without a token pass; a bad token is still refused. */
  anonymous?: true;
}

export interface IdentityHeaderConfig {
  subject?: string | false;
  clientId?: string | false;
  scopes?: string | false;
  permissions?: string | false;
  issuer?: string | false;
}

/** The options of `createVerifier` that JSON can express. */
export interface GatewayVerifierConfig extends GatewayIssuerConfig {
  /** Several issuers, each with its own keys and rules, instead of the single-issuer fields. */
  issuers?: GatewayIssuerConfig[];
  issuerCache?: { maxEntries?: number; maxAge?: number };
  clockTolerance?: number;
  maxTokenAge?: number;
  realm?: string;
  tokenLocations?: Array<'header' | 'query'>;
  maxTokenLength?: number;
  /** On by default in the gateway, which sees the same token many times. */
  resultCache?: boolean | { maxEntries?: number; maxAge?: number };
  decryptionKeys?: Array<SecretText | object | { kid: string; key: SecretText }>;
  keyManagementAlgorithms?: string[];
  contentEncryptionAlgorithms?: string[];
  requireEncryption?: boolean;
  mtls?: { required?: boolean; certificateHeader?: string };
  dpop?: {
    required?: boolean;
    algorithms?: string[];
    iatWindow?: number;
    nonce?: { secret: SecretText; lifetime?: number };
    /** Shared by every instance; needs the `ioredis` package. Default: in memory, per instance. */
    replayStore?: RedisReplayStoreConfig;
  };
}

/** One issuer's options that JSON can express. */
export interface GatewayIssuerConfig {
  issuer?: string;
  audience?: string | string[];
  clientId?: string | string[];
  jwksUri?: string;
  keys?: { keys: object[] } | object | SecretText | Array<object | SecretText>;
  secret?: SecretText;
  algorithms?: string[];
  dialect?: 'auth0' | 'rfc9068' | 'any' | 'cognito' | 'entra' | 'okta' | 'keycloak';
  claims?: { scopes?: string; permissions?: string };
  jwks?: { cacheMaxAge?: number; cooldown?: number; timeout?: number; maxResponseBytes?: number; maxStale?: number };
}

export interface RedisReplayStoreConfig {
  /** `redis://…` or `rediss://…` */
  redis: string;
  prefix?: string;
  timeout?: number;
}

export interface GatewayConfig {
  $schema?: string;
  listen: { host?: string; port: number };
  gateway: GatewayKind;
  /** Envoy only, and required there: the `ext_authz` `path_prefix`. */
  pathPrefix?: string;
  verifier: GatewayVerifierConfig;
  routes?: RouteConfig[];
  headers?: IdentityHeaderConfig;
  /** Which decisions get a JSON log line. Default `all`. */
  log?: 'all' | 'refusals' | 'off';
}

export type IdentityField = keyof IdentityHeaderConfig;

/** The configuration checked and completed, ready to build the service from. */
export interface ResolvedGatewayConfig {
  listen: { host: string; port: number };
  gateway: GatewayKind;
  pathPrefix: string | undefined;
  /** Without the replay store, which the service builds (it may need a Redis connection). */
  verifierOptions: VerifierOptions;
  redis: RedisReplayStoreConfig | undefined;
  routes: RouteConfig[];
  /** Lower-case header name per identity field, for the fields sent. */
  headers: Array<[IdentityField, string]>;
  log: 'all' | 'refusals' | 'off';
}

export const DEFAULT_IDENTITY_HEADERS: Readonly<Record<IdentityField, string>> = Object.freeze({
  subject: 'x-auth-subject',
  clientId: 'x-auth-client-id',
  scopes: 'x-auth-scopes',
  permissions: 'x-auth-permissions',
  issuer: 'x-auth-issuer',
});

/** A mistake in the configuration: `path` names the field (`verifier.jwks.timeout`, `routes[2]`). */
export class GatewayConfigError extends Error {
  readonly path: string;

  constructor(path: string, problem: string) {
    super(path === '' ? `configuration: ${problem}` : `configuration: \`${path}\` ${problem}`);
    this.name = 'GatewayConfigError';
    this.path = path;
  }
}

export interface ResolveOptions {
  /** Where `{ "file": … }` paths are relative to. Default: the working directory. */
  baseDir?: string;
  /** Where `{ "env": … }` names are looked up. Default: `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * Reads a configuration file as JSON, for `createForwardAuthServer(config, { baseDir })`: file
 * paths inside it are relative to the file's directory.
 */
export function readGatewayConfig(file: string): { config: GatewayConfig; baseDir: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new GatewayConfigError('', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    // Typed as what it should be; createForwardAuthServer checks what it is.
    return { config: JSON.parse(text) as GatewayConfig, baseDir: dirname(resolve(file)) };
  } catch (error) {
    throw new GatewayConfigError('', `${file} is not JSON: ${(error as Error).message}`);
  }
}

/** Checks a configuration object and completes it; throws `GatewayConfigError`. */
export function resolveGatewayConfig(config: unknown, options: ResolveOptions = {}): ResolvedGatewayConfig {
  const problem = checkAgainstSchema(config, schema as Schema);
  if (problem) throw new GatewayConfigError(problem.path, problem.message);
  const valid = config as GatewayConfig;
  checkRules(valid);
  const secrets = new SecretReader(options.baseDir ?? process.cwd(), options.env ?? process.env);
  const { replayStore: redis, ...dpop } = valid.verifier.dpop ?? {};
  return {
    listen: { host: valid.listen.host ?? '127.0.0.1', port: valid.listen.port },
    gateway: valid.gateway,
    pathPrefix: valid.pathPrefix,
    verifierOptions: verifierOptions(valid.verifier, valid.verifier.dpop === undefined ? undefined : dpop, secrets),
    redis,
    routes: valid.routes ?? [],
    headers: identityHeaders(valid.headers ?? {}),
    log: valid.log ?? 'all',
  };
}

/** What the schema cannot express. */
function checkRules(config: GatewayConfig): void {
  if (config.gateway === 'envoy' && config.pathPrefix === undefined) {
    // Without a prefix, Envoy would ask about the API's own /healthz with a request the service
    // answers as its health check: a 200, the API's path allowed unchecked.
    throw new GatewayConfigError('pathPrefix', 'is required with envoy: set it to the path_prefix of ext_authz (for example "/authz")');
  }
  if (config.gateway !== 'envoy' && config.pathPrefix !== undefined) {
    throw new GatewayConfigError('pathPrefix', `applies to envoy only; ${config.gateway} sends the original URI in a header`);
  }
  if (config.pathPrefix !== undefined && ['/healthz', '/readyz'].some((own) => own.startsWith(config.pathPrefix!) || config.pathPrefix!.startsWith(own))) {
    throw new GatewayConfigError('pathPrefix', 'must not overlap /healthz or /readyz');
  }
  for (const [index, route] of (config.routes ?? []).entries()) {
    const guarded = route.scopes !== undefined || route.permissions !== undefined;
    if (route.anonymous && guarded) {
      throw new GatewayConfigError(`routes[${index}]`, 'is anonymous and requires scopes or permissions: a request without a token cannot have them; choose one');
    }
    // One * per segment keeps matching linear in the path's length, whatever a client sends.
    if (route.path.split('/').some((segment) => segment.split('*').length > 2)) {
      throw new GatewayConfigError(`routes[${index}].path`, 'has more than one * in a segment');
    }
    if (route.match !== undefined && !guarded) throw new GatewayConfigError(`routes[${index}].match`, 'needs scopes or permissions to apply to');
    for (const field of ['scopes', 'permissions'] as const) {
      const spaced = route[field]?.findIndex((value) => /\s/.test(value)) ?? -1;
      if (spaced >= 0) throw new GatewayConfigError(`routes[${index}].${field}[${spaced}]`, 'must be one value without spaces');
    }
  }
  const seen = new Map<string, string>();
  for (const [field, name] of identityHeaders(config.headers ?? {})) {
    const other = seen.get(name);
    if (other !== undefined) throw new GatewayConfigError(`headers.${field}`, `is ${JSON.stringify(name)}, already the name of headers.${other}`);
    seen.set(name, field);
  }
}

function identityHeaders(config: IdentityHeaderConfig): Array<[IdentityField, string]> {
  const headers: Array<[IdentityField, string]> = [];
  for (const field of Object.keys(DEFAULT_IDENTITY_HEADERS) as IdentityField[]) {
    const name = config[field] ?? DEFAULT_IDENTITY_HEADERS[field];
    if (name !== false) headers.push([field, name.toLowerCase()]);
  }
  return headers;
}

function verifierOptions(config: GatewayVerifierConfig, dpop: Omit<NonNullable<GatewayVerifierConfig['dpop']>, 'replayStore'> | undefined, secrets: SecretReader): VerifierOptions {
  const options = { ...config, resultCache: config.resultCache ?? true } as Record<string, unknown>;
  if (config.secret !== undefined) options.secret = secrets.read(config.secret, 'verifier.secret');
  if (config.keys !== undefined) options.keys = readKeys(config.keys, secrets, 'verifier.keys');
  if (config.issuers !== undefined) {
    options.issuers = config.issuers.map((entry, index) => {
      const where = `verifier.issuers[${index}]`;
      const resolved: Record<string, unknown> = { ...entry };
      if (entry.secret !== undefined) resolved.secret = secrets.read(entry.secret, `${where}.secret`);
      if (entry.keys !== undefined) resolved.keys = readKeys(entry.keys, secrets, `${where}.keys`);
      return resolved;
    });
  }
  if (config.decryptionKeys !== undefined) {
    options.decryptionKeys = config.decryptionKeys.map((key, index) => {
      const path = `verifier.decryptionKeys[${index}]`;
      if (isNamedKey(key)) return { kid: key.kid, key: secrets.read(key.key, `${path}.key`) };
      return isSecretText(key) ? secrets.read(key, path) : key;
    });
  }
  if (dpop !== undefined) {
    options.dpop = dpop.nonce === undefined ? { ...dpop } : { ...dpop, nonce: { ...dpop.nonce, secret: secrets.read(dpop.nonce.secret, 'verifier.dpop.nonce.secret') } };
  } else {
    delete options.dpop;
  }
  return options as unknown as VerifierOptions;
}

function readKeys(keys: NonNullable<GatewayVerifierConfig['keys']>, secrets: SecretReader, path: string): unknown {
  if (Array.isArray(keys)) return keys.map((key, index) => (isSecretText(key) ? secrets.read(key, `${path}[${index}]`) : key));
  return isSecretText(keys) ? secrets.read(keys, path) : keys;
}

function isSecretText(value: unknown): value is SecretText {
  if (typeof value === 'string') return true;
  if (typeof value !== 'object' || value === null) return false;
  const names = Object.keys(value);
  return names.length === 1 && (names[0] === 'file' || names[0] === 'env');
}

function isNamedKey(value: unknown): value is { kid: string; key: SecretText } {
  return typeof value === 'object' && value !== null && 'key' in value && 'kid' in value && !('kty' in value);
}

class SecretReader {
  constructor(
    private readonly baseDir: string,
    private readonly env: Record<string, string | undefined>,
  ) {}

  read(value: SecretText, path: string): string {
    if (typeof value === 'string') return value;
    if ('env' in value) {
      const found = this.env[value.env];
      if (found === undefined || found === '') throw new GatewayConfigError(path, `names the environment variable ${value.env}, which is not set`);
      return found;
    }
    const file = resolve(this.baseDir, value.file);
    try {
      // An editor's final newline is not part of an HS secret.
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new GatewayConfigError(path, `names ${file}, which cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
}
