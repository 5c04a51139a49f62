/**
 * What the gateway tests stand up, all real and on 127.0.0.1: an issuer's JWKS endpoint and its
 * tokens, the forward-auth service (its log lines collected), an upstream API that counts and echoes
 * what reaches it, a real Caddy, and the configuration snippets the README shows, with their
 * documented addresses (service 127.0.0.1:9191, API 127.0.0.1:3000, gateway port 8080) swapped for
 * the test's ephemeral ports.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createForwardAuthServer, type ForwardAuthOptions, type ForwardAuthServer, type GatewayConfig } from '../../src/gateway/index.js';
import { stopProcess } from './process.js';
import { waitForPort, type Edge } from './nginx.js';
import { closedPort, listen } from './http.js';
import { startJwksServer, type JwksServer } from './jwks-server.js';
import { keyFor } from './keys.js';
import type { JWK } from '../../src/types.js';
import { AUDIENCE, ISSUER, mint } from './tokens.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SNIPPETS = join(ROOT, 'examples/gateway');

/** A README snippet as written. */
export function snippet(name: string): string {
  return readFileSync(join(SNIPPETS, name), 'utf8');
}

/** A snippet with its documented addresses replaced by the test's ports. */
export function withPorts(text: string, ports: { service: number; upstream: number; listen: number }): string {
  return text
    .replaceAll('127.0.0.1:9191', `127.0.0.1:${ports.service}`)
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${ports.upstream}`)
    .replaceAll('listen 8080;', `listen 127.0.0.1:${ports.listen};`)
    .replaceAll(':8080 {', `http://127.0.0.1:${ports.listen} {`);
}

export interface Issuer {
  jwks: JwksServer;
  jwksUri: string;
  /** The key set it publishes. */
  keySet: { keys: JWK[] };
  /** A valid token for the API, with these claims changed. */
  token(claims?: Record<string, unknown>): string;
  /** A valid token signed with a key the JWKS does not publish yet (the issuer rotated). */
  rotatedToken(): string;
  /** Makes the JWKS endpoint fail (500) or serve again. */
  keysDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<Issuer> {
  const jwks = await startJwksServer();
  const key = keyFor('RS256');
  let down = false;
  jwks.route('/jwks', () => (down ? { status: 500, json: { error: 'down' } } : { json: { keys: [key.jwk] } }));
  return {
    jwks,
    jwksUri: jwks.url('/jwks'),
    keySet: { keys: [key.jwk] },
    token: (claims = {}) => mint(claims, { key }),
    rotatedToken: () => mint({}, { key: keyFor('RS256', 'rotated-key') }),
    keysDown: (value) => void (down = value),
    close: () => jwks.close(),
  };
}

/** The verifier section for the test issuer. */
export function verifierConfig(issuer: Issuer, extra: Record<string, unknown> = {}): GatewayConfig['verifier'] {
  return { issuer: ISSUER, audience: AUDIENCE, jwksUri: issuer.jwksUri, ...extra };
}

export interface RunningService extends ForwardAuthServer {
  /** Log lines so far, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  /** Raw log lines. */
  readonly raw: string[];
}

export async function startService(
  config: Omit<GatewayConfig, 'listen'> & { listen?: GatewayConfig['listen'] },
  options: Omit<ForwardAuthOptions, 'log'> = {},
): Promise<RunningService> {
  const raw: string[] = [];
  const service = await createForwardAuthServer({ listen: { host: '127.0.0.1', port: 0 }, ...config }, { ...options, log: (line) => void raw.push(line) });
  // A getter, read at each use (Object.assign would copy one reading).
  return Object.defineProperties(service, {
    raw: { value: raw },
    lines: { get: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>) },
  }) as RunningService;
}

export interface Upstream {
  port: number;
  /** Requests that reached the API. */
  readonly hits: number;
  /** The headers of the last request that reached it. */
  readonly last: IncomingHttpHeaders | undefined;
  close(): Promise<void>;
}

/** The API behind the gateway: answers 200 `{ reached: path }` and remembers what it was sent. */
export async function startUpstream(): Promise<Upstream> {
  let hits = 0;
  let last: IncomingHttpHeaders | undefined;
  const running = await listen((request, response) => {
    hits++;
    last = request.headers;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reached: request.url }));
  });
  return {
    port: Number(new URL(running.origin).port),
    get hits() {
      return hits;
    },
    get last() {
      return last;
    },
    close: running.close,
  };
}

export function findCaddy(): string {
  if (!spawnSync('caddy', ['version'], { stdio: 'ignore' }).error) return 'caddy';
  throw new Error('caddy is not installed; the gateway tests need it: apt-get install -y caddy');
}

/** A real Caddy running `caddyfile` (a site block), with its admin endpoint and automatic HTTPS off. */
export async function startCaddy(caddyfile: (port: number) => string): Promise<Edge> {
  const caddy = findCaddy();
  const dir = mkdtempSync(join(tmpdir(), 'atg-caddy-'));
  const port = await closedPort();
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, `{\n\tadmin off\n\tauto_https off\n\tstorage file_system ${dir}/data\n}\n\n${caddyfile(port)}`);
  const child = spawn(caddy, ['run', '--config', file, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  await waitForPort(port, child, () => output, 'caddy');
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
