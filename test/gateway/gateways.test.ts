/**
 * Real nginx (`auth_request`) and real Caddy (`forward_auth`) in front of an API on 127.0.0.1,
 * configured with the very snippets the README shows (examples/gateway/, which the README embeds
 * verbatim: checked below), asking the forward-auth service configured with the README's
 * guard.json routes. What reaches the API is counted: a refusal never does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/gateway/index.js';
import { startNginx, type Edge } from '../helpers/nginx.js';
import { ROOT, snippet, startCaddy, startIssuer, startService, startUpstream, verifierConfig, withPorts, type Issuer, type RunningService, type Upstream } from '../helpers/gateway.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it.each([
    ['guard.json', 'json'],
    ['nginx.conf', 'nginx'],
    ['Caddyfile', 'caddyfile'],
    ['traefik.yml', 'yaml'],
    ['envoy.yaml', 'yaml'],
  ])('shows examples/gateway/%s verbatim', (file, language) => {
    expect(README).toContain(`\`\`\`${language}\n${snippet(file)}\`\`\``);
  });
});

const GATEWAYS = {
  nginx: (ports: { service: number; upstream: number }) => startNginx((_dir, listen) => withPorts(snippet('nginx.conf'), { ...ports, listen })),
  caddy: (ports: { service: number; upstream: number }) => startCaddy((listen) => withPorts(snippet('Caddyfile'), { ...ports, listen })),
} as const;

describe.each(['nginx', 'caddy'] as const)('%s in front of the API', (gateway) => {
  let issuer: Issuer;
  let service: RunningService;
  let upstream: Upstream;
  let edge: Edge;

  beforeAll(async () => {
    issuer = await startIssuer();
    upstream = await startUpstream();
    // The README's configuration, with this gateway and the test issuer.
    const documented = JSON.parse(snippet('guard.json')) as GatewayConfig;
    service = await startService({
      gateway,
      routes: documented.routes,
      // cooldown 0: a token signed with a key the set lacks makes the service fetch again at once.
      verifier: verifierConfig(issuer, { jwks: { cooldown: 0 } }),
    });
    edge = await GATEWAYS[gateway]({ service: service.port, upstream: upstream.port });
  }, 30_000);

  afterAll(async () => {
    await edge?.stop();
    await service?.close();
    await upstream?.close();
    await issuer?.close();
  });

  /** A request through the gateway; `reached` is whether the API saw it. */
  async function through(path: string, headers: Record<string, string> = {}, method = 'GET') {
    const before = upstream.hits;
    const response = await fetch(`${edge.origin}${path}`, { method, headers });
    const body = await response.text();
    return { response, body, reached: upstream.hits - before };
  }

  it('lets a valid token reach the API with the identity headers, replacing the ones the client sent', async () => {
    const { response, reached } = await through('/messages/1', { authorization: `Bearer ${issuer.token({ permissions: ['admin:all'] })}`, 'x-auth-subject': 'forged' });
    expect(response.status).toBe(200);
    expect(reached).toBe(1);
    expect(upstream.last).toMatchObject({
      'x-auth-subject': 'auth0|user-1',
      'x-auth-client-id': 'client-1',
      'x-auth-scopes': 'read:messages write:messages',
      'x-auth-permissions': 'admin:all',
      'x-auth-issuer': 'https://tenant.example.com/',
    });
  });

  it('answers a bad token with 401, the challenge and the JSON body, and the API never sees it', async () => {
    const { response, body, reached } = await through('/messages/1', { authorization: `Bearer ${issuer.token()}x` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="/);
    expect(JSON.parse(body)).toMatchObject({ error: 'invalid_token' });
    expect(reached).toBe(0);
  });

  it('answers a missing scope with 403 and the insufficient_scope challenge, and the API never sees it', async () => {
    const { response, body, reached } = await through('/messages/1', { authorization: `Bearer ${issuer.token({ scope: 'write:messages' })}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(JSON.parse(body)).toMatchObject({ error: 'insufficient_scope' });
    expect(reached).toBe(0);
  });

  it('lets a request without a token through the anonymous route, with no identity a client could forge', async () => {
    const { response, reached } = await through('/health', { 'x-auth-subject': 'forged', 'x-auth-scopes': 'admin' });
    expect(response.status).toBe(200);
    expect(reached).toBe(1);
    expect(upstream.last?.['x-auth-subject'] ?? '').toBe('');
    expect(upstream.last?.['x-auth-scopes'] ?? '').toBe('');
  });

  it('answers 503 with Retry-After when the keys cannot be fetched, and the API never sees it', async () => {
    issuer.keysDown(true);
    try {
      const { response, body, reached } = await through('/messages/1', { authorization: `Bearer ${issuer.rotatedToken()}` });
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(body)).toMatchObject({ error: 'temporarily_unavailable' });
      expect(reached).toBe(0);
    } finally {
      issuer.keysDown(false);
    }
  });
});
