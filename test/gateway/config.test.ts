/**
 * The configuration check: the service's validator and the published JSON Schema agree on a table
 * of good and bad configurations (the schema read by Ajv, a full JSON Schema implementation), each
 * mistake names its field, the rules a schema cannot say are enforced, and secrets are read from
 * files and the environment.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import schema from '../../schema/guard.schema.json' with { type: 'json' };
import { GatewayConfigError, createForwardAuthServer, readGatewayConfig, resolveGatewayConfig, type GatewayConfig } from '../../src/gateway/index.js';

const ajv = new Ajv({ allErrors: false, strict: true });
const schemaAccepts = ajv.compile(schema);

const base = () => ({
  listen: { port: 9191 },
  gateway: 'nginx',
  verifier: { issuer: 'https://tenant.example.com/', audience: 'https://api.example.com' },
});
type Config = Record<string, unknown>;
const change = (edit: (config: Config & ReturnType<typeof base>) => void): Config => {
  const config = base() as Config & ReturnType<typeof base>;
  edit(config);
  return config;
};

/** [what, configuration, path of the field at fault (undefined: valid)] */
const TABLE: Array<[string, unknown, string | undefined]> = [
  ['the minimal configuration', base(), undefined],
  ['every field', {
    $schema: './schema.json',
    listen: { host: '0.0.0.0', port: 0 },
    gateway: 'envoy',
    pathPrefix: '/authz',
    verifier: {
      issuer: 'https://tenant.example.com/', audience: ['a', 'b'], jwksUri: 'https://tenant.example.com/jwks', algorithms: ['RS256', 'ES256'],
      dialect: 'auth0', clockTolerance: 5, maxTokenAge: 3600, realm: 'api', tokenLocations: ['header', 'query'], maxTokenLength: 8192,
      jwks: { cacheMaxAge: 600, cooldown: 0, timeout: 5000, maxResponseBytes: 1000, maxStale: 0 }, resultCache: { maxEntries: 10, maxAge: 60 },
      decryptionKeys: [{ file: 'k.pem' }, { env: 'KEY' }, { kid: 'k1', key: 'PEM' }, { kty: 'RSA' }], keyManagementAlgorithms: ['RSA-OAEP-256'],
      contentEncryptionAlgorithms: ['A256GCM'], requireEncryption: true, mtls: { required: true, certificateHeader: 'X-Client-Cert' },
      dpop: { required: false, algorithms: ['ES256'], iatWindow: 30, nonce: { secret: { env: 'NONCE' }, lifetime: 60 }, replayStore: { redis: 'redis://127.0.0.1:6379', prefix: 'p:', timeout: 100 } },
    },
    routes: [{ method: ['GET', 'post'], path: '/a/*', scopes: ['x'], permissions: ['y'], match: 'any' }, { path: '/b', anonymous: true }],
    headers: { subject: 'X-User', clientId: false, scopes: 'x-scopes', permissions: 'x-perms', issuer: 'x-iss' },
    log: 'refusals',
  }, undefined],
  ['static keys as a JWKS', change((c) => Object.assign(c.verifier, { keys: { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB' }] } })), undefined],
  ['static keys as a list of a PEM file and a JWK', change((c) => Object.assign(c.verifier, { keys: [{ file: 'a.pem' }, { kty: 'EC' }] })), undefined],
  ['an HS secret from the environment', change((c) => Object.assign(c.verifier, { secret: { env: 'S' }, algorithms: ['HS256'] })), undefined],
  ['no listen', (() => { const { listen: _, ...rest } = base(); return rest; })(), 'listen'],
  ['a port out of range', change((c) => (c.listen.port = 70000)), 'listen.port'],
  ['a port as a string', change((c) => ((c.listen as Config).port = '9191')), 'listen.port'],
  ['an unknown gateway', change((c) => (c.gateway = 'haproxy')), 'gateway'],
  ['an unknown top-level field', change((c) => (c.rotes = [])), 'rotes'],
  ['several issuers', change((c) => Object.assign(c, { verifier: { issuers: [{ issuer: 'https://a/', audience: 'x' }, { issuer: 'https://b/', dialect: 'cognito', clientId: ['app'] }] } })), undefined],
  ['an issuer entry without its issuer', change((c) => Object.assign(c, { verifier: { issuers: [{ audience: 'x' }] } })), 'verifier.issuers[0].issuer'],
  ['an unknown dialect', change((c) => ((c.verifier as Config).dialect = 'aws')), 'verifier.dialect'],
  ['an empty audience list', change((c) => ((c.verifier as Config).audience = [])), 'verifier.audience'],
  ['an audience of the wrong type', change((c) => ((c.verifier as Config).audience = 42)), 'verifier.audience'],
  ['a misspelt verifier option', change((c) => ((c.verifier as Config).audiance = 'x')), 'verifier.audiance'],
  ['a function-only verifier option (jwks.fetch)', change((c) => ((c.verifier as Config).jwks = { fetch: 'x' })), 'verifier.jwks.fetch'],
  ['a negative cooldown', change((c) => ((c.verifier as Config).jwks = { cooldown: -1 })), 'verifier.jwks.cooldown'],
  ['a zero timeout', change((c) => ((c.verifier as Config).jwks = { timeout: 0 })), 'verifier.jwks.timeout'],
  ['a body token location', change((c) => ((c.verifier as Config).tokenLocations = ['body'])), 'verifier.tokenLocations[0]'],
  ['a secret reference with two sources', change((c) => ((c.verifier as Config).secret = { file: 'a', env: 'b' })), 'verifier.secret'],
  ['a secret reference with an empty file', change((c) => ((c.verifier as Config).secret = { file: '' })), 'verifier.secret.file'],
  ['a Redis URL that is not one', change((c) => ((c.verifier as Config).dpop = { replayStore: { redis: 'http://x' } })), 'verifier.dpop.replayStore.redis'],
  ['a replay store that is not Redis', change((c) => ((c.verifier as Config).dpop = { replayStore: { memory: true } })), 'verifier.dpop.replayStore.redis'],
  ['a route without a path', change((c) => (c.routes = [{ scopes: ['a'] }])), 'routes[0].path'],
  ['a relative route path', change((c) => (c.routes = [{ path: 'admin' }])), 'routes[0].path'],
  ['an empty scope list', change((c) => (c.routes = [{ path: '/a' }, { path: '/b', scopes: [] }])), 'routes[1].scopes'],
  ['an empty scope', change((c) => (c.routes = [{ path: '/b', scopes: [''] }])), 'routes[0].scopes[0]'],
  ['anonymous false', change((c) => (c.routes = [{ path: '/b', anonymous: false }])), 'routes[0].anonymous'],
  ['a method with a space', change((c) => (c.routes = [{ path: '/b', method: 'GET POST' }])), 'routes[0].method'],
  ['an unknown route field', change((c) => (c.routes = [{ path: '/b', scope: ['a'] }])), 'routes[0].scope'],
  ['a header name with a space', change((c) => (c.headers = { subject: 'X User' })), 'headers.subject'],
  ['a header set to true', change((c) => (c.headers = { subject: true })), 'headers.subject'],
  ['an unknown log level', change((c) => (c.log = 'debug')), 'log'],
  ['a path prefix with a trailing slash', change((c) => Object.assign(c, { gateway: 'envoy', pathPrefix: '/authz/' })), 'pathPrefix'],
];

describe('the validator and the JSON Schema', () => {
  it.each(TABLE)('agree on %s', (_what, config, badPath) => {
    const schemaVerdict = schemaAccepts(config);
    let problem: GatewayConfigError | undefined;
    try {
      resolveGatewayConfig(config, { baseDir: '/nonexistent', env: { S: 'x'.repeat(32), KEY: 'k', NONCE: 'n'.repeat(32) } });
    } catch (error) {
      if (!(error instanceof GatewayConfigError)) throw error;
      // Secrets are read after the shape is checked: a missing file is not a shape problem.
      if (!/cannot be read|is not set/.test(error.message)) problem = error;
    }
    expect(schemaVerdict).toBe(badPath === undefined);
    expect(problem?.path).toBe(badPath);
  });
});

describe('configuration errors', () => {
  const errorOf = (config: unknown): GatewayConfigError => {
    try {
      resolveGatewayConfig(config);
    } catch (error) {
      return error as GatewayConfigError;
    }
    throw new Error('the configuration was accepted');
  };

  it('names the field and what it must be', () => {
    expect(errorOf(change((c) => (c.routes = [{ path: '/a' }, { path: '/b', scopes: [] }]))).message).toBe('configuration: `routes[1].scopes` must hold at least 1 item(s)');
    expect(errorOf(change((c) => ((c.verifier as Config).audience = 42))).message).toBe(
      'configuration: `verifier.audience` must be a non-empty string, or a list of non-empty strings',
    );
    expect(errorOf(change((c) => (c.rotes = []))).message).toMatch(/^configuration: `rotes` is not a known field; known: listen, gateway, pathPrefix, verifier, routes, headers, log$/);
  });

  it('requires pathPrefix with envoy, so the API’s /healthz is never the service’s', () => {
    expect(errorOf(change((c) => (c.gateway = 'envoy'))).path).toBe('pathPrefix');
  });

  it('refuses pathPrefix with a gateway that sends the original URI in a header', () => {
    expect(errorOf(change((c) => Object.assign(c, { pathPrefix: '/authz' }))).path).toBe('pathPrefix');
  });

  it('refuses a route that is anonymous and requires scopes', () => {
    expect(errorOf(change((c) => (c.routes = [{ path: '/a', anonymous: true, scopes: ['x'] }]))).path).toBe('routes[0]');
  });

  it('refuses two * in one path segment, which would make matching slow on long paths', () => {
    expect(errorOf(change((c) => (c.routes = [{ path: '/files/*.*' }]))).path).toBe('routes[0].path');
  });

  it('refuses two identity headers with one name', () => {
    expect(errorOf(change((c) => (c.headers = { subject: 'X-Auth-Scopes' }))).path).toBe('headers.scopes');
  });

  it('reports what createVerifier refuses under `verifier`', async () => {
    const config = change((c) => Object.assign(c.verifier, { algorithms: ['none'] }));
    const error = await createForwardAuthServer({ ...config, listen: { port: 0 } } as unknown as GatewayConfig).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayConfigError);
    expect((error as GatewayConfigError).message).toBe('configuration: `verifier` `none` is never an acceptable algorithm');
  });
});

describe('secrets and files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atg-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a secret from a file relative to the configuration file, without its final newline', () => {
    writeFileSync(join(dir, 'secret.txt'), `${'s'.repeat(40)}\n`);
    writeFileSync(join(dir, 'guard.json'), JSON.stringify(change((c) => Object.assign(c.verifier, { algorithms: ['HS256'], secret: { file: 'secret.txt' } }))));
    const { config, baseDir } = readGatewayConfig(join(dir, 'guard.json'));
    expect(resolveGatewayConfig(config, { baseDir }).verifierOptions.secret).toBe('s'.repeat(40));
  });

  it('reads a secret from the environment', () => {
    const config = change((c) => Object.assign(c.verifier, { algorithms: ['HS256'], secret: { env: 'API_SECRET' } }));
    expect(resolveGatewayConfig(config, { env: { API_SECRET: 'e'.repeat(40) } }).verifierOptions.secret).toBe('e'.repeat(40));
  });

  it('reads the secret of one of several issuers from the environment', () => {
    const config = change((c) => Object.assign(c, { verifier: { issuers: [{ issuer: 'https://a/', audience: 'x', algorithms: ['HS256'], secret: { env: 'A_SECRET' } }] } }));
    const options = resolveGatewayConfig(config, { env: { A_SECRET: 'a'.repeat(40) } }).verifierOptions as { issuers: Array<{ secret: string }> };
    expect(options.issuers[0]!.secret).toBe('a'.repeat(40));
  });

  it('names the field whose environment variable is not set', () => {
    const config = change((c) => Object.assign(c.verifier, { algorithms: ['HS256'], secret: { env: 'MISSING' } }));
    expect(() => resolveGatewayConfig(config, { env: {} })).toThrow('configuration: `verifier.secret` names the environment variable MISSING, which is not set');
  });

  it('says which file is not JSON', () => {
    writeFileSync(join(dir, 'broken.json'), '{ "listen": ');
    expect(() => readGatewayConfig(join(dir, 'broken.json'))).toThrow(/^configuration: .*broken\.json is not JSON: /);
  });

  it('turns the result cache on unless the configuration turns it off', () => {
    expect(resolveGatewayConfig(base()).verifierOptions.resultCache).toBe(true);
    expect(resolveGatewayConfig(change((c) => Object.assign(c.verifier, { resultCache: false }))).verifierOptions.resultCache).toBe(false);
  });
});
