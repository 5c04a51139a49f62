/**
 * Gateway mode: throughput through a real nginx (the README's `auth_request` snippet, verbatim
 * but for its addresses) in front of a small upstream, on 1,000 rotating RS256 tokens, when the
 * auth endpoint is the forward-auth service (result cache on, its default; and off) against the
 * same setup whose auth endpoint answers 200 without checking (the floor). Rounds interleave the
 * variants in rotated order; ratios are taken per round; the service's CPU per decision comes
 * from its own process. The upstream is a second nginx server block answering 200, so nginx,
 * the auth endpoint and the load generator share the two cores alike in every variant.
 */
import { readFileSync } from 'node:fs';
import autocannon, { type AutocannonRequest } from 'autocannon';
import type { GatewayConfig } from '../src/gateway/index.js';
import { startNginx, type Edge } from '../test/helpers/nginx.js';
import { closedPort } from '../test/helpers/http.js';
import type { AuthServerConfig } from './gateway/auth-server.js';
import { ServerProcess } from './lib/child.js';
import { BenchIssuer } from './lib/issuer.js';
import { AUDIENCE, tamper } from './lib/keys.js';
import { fmt, fmtRatio, rotate, summarize, type Summary, type Table, type Target } from './lib/stats.js';

export interface GatewayBenchOptions {
  /** Seconds per measured run. */
  duration: number;
  warmup: number;
  rounds: number;
  tokens: number;
  connections?: number;
}

type Variant = 'floor' | 'service' | 'service-nocache';
const VARIANTS: readonly Variant[] = ['floor', 'service', 'service-nocache'];
const LABELS: Record<Variant, string> = {
  floor: 'floor: auth endpoint answers 200 unchecked',
  service: 'forward-auth service (result cache on, the default)',
  'service-nocache': 'forward-auth service, result cache off',
};

interface Sample {
  reqPerSec: number;
  p99: number;
  cpuMicrosPerDecision: number;
}

export interface GatewayRow {
  variant: Variant;
  reqPerSec: Summary;
  p99: Summary;
  cpuMicros: Summary;
  vsFloor: Summary;
}

export interface GatewayBenchResult {
  rows: GatewayRow[];
  wrong: string[];
}

const SNIPPET = readFileSync(new URL('../examples/gateway/nginx.conf', import.meta.url), 'utf8');
const DOCUMENTED_ROUTES = (JSON.parse(readFileSync(new URL('../examples/gateway/guard.json', import.meta.url), 'utf8')) as GatewayConfig).routes;

export async function runGateway(options: GatewayBenchOptions): Promise<GatewayBenchResult> {
  const issuer = await BenchIssuer.start(['RS256']);
  const tokens = issuer.mintMany(options.tokens, { audience: AUDIENCE });
  const wrong: string[] = [];
  const auth = new Map<Variant, ServerProcess>();
  const edges = new Map<Variant, Edge>();
  try {
    for (const variant of VARIANTS) {
      const config: AuthServerConfig =
        variant === 'floor'
          ? {}
          : {
              gateway: {
                listen: { host: '127.0.0.1', port: 0 },
                gateway: 'nginx',
                verifier: { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, ...(variant === 'service-nocache' ? { resultCache: false } : {}) },
                routes: DOCUMENTED_ROUTES,
              },
            };
      const server = await ServerProcess.fork('bench/gateway/auth-server.ts', 'gateway-auth-server', config, `gateway/${variant}`);
      auth.set(variant, server);
      edges.set(variant, await startEdge(server.port));
    }
    for (const variant of VARIANTS) {
      const origin = (edges.get(variant) as Edge).origin;
      wrong.push(...(await probe(origin, variant, tokens)).map((problem) => `gateway/${variant}: ${problem}`));
      if (options.warmup > 0) await load(origin, tokens, { ...options, duration: options.warmup });
    }
    const samples = new Map<Variant, Sample[]>(VARIANTS.map((variant) => [variant, []]));
    for (let round = 0; round < options.rounds; round++) {
      for (const variant of rotate(VARIANTS, round)) {
        const server = auth.get(variant) as ServerProcess;
        const before = await server.cpuMicros();
        const result = await load((edges.get(variant) as Edge).origin, tokens, options);
        const cpu = (await server.cpuMicros()) - before;
        if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
          wrong.push(`gateway/${variant}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts under load with valid tokens`);
        }
        const answered = result['2xx'];
        samples.get(variant)?.push({ reqPerSec: answered / result.duration, p99: result.latency.p99, cpuMicrosPerDecision: cpu / Math.max(1, answered) });
      }
    }
    const of = (variant: Variant) => samples.get(variant) as Sample[];
    const rows = VARIANTS.map((variant) => ({
      variant,
      reqPerSec: summarize(of(variant).map((s) => s.reqPerSec)),
      p99: summarize(of(variant).map((s) => s.p99)),
      cpuMicros: summarize(of(variant).map((s) => s.cpuMicrosPerDecision)),
      vsFloor: summarize(of(variant).map((s, i) => s.reqPerSec / (of('floor')[i] as Sample).reqPerSec)),
    }));
    return { rows, wrong };
  } finally {
    await Promise.all([...edges.values()].map((edge) => edge.stop()));
    await Promise.all([...auth.values()].map((server) => server.close()));
    await issuer.close();
  }
}

/** nginx with the README's snippet in front of a second server block that answers 200. */
async function startEdge(authPort: number): Promise<Edge> {
  const upstream = await closedPort();
  return startNginx((_dir, port) => {
    return `${SNIPPET.replaceAll('127.0.0.1:9191', `127.0.0.1:${authPort}`).replaceAll('127.0.0.1:3000', `127.0.0.1:${upstream}`).replaceAll('listen 8080;', `listen 127.0.0.1:${port};`)}
server {
    listen 127.0.0.1:${upstream};
    location / { return 200 'ok'; }
}`;
  });
}

function requests(tokens: readonly string[]): AutocannonRequest[] {
  return tokens.map((token) => ({ method: 'GET', path: '/messages/1', headers: { authorization: `Bearer ${token}` } }));
}

function load(origin: string, tokens: readonly string[], options: GatewayBenchOptions) {
  return autocannon({ url: origin, connections: options.connections ?? 50, duration: options.duration, requests: requests(tokens), timeout: 10 });
}

/** Before any load: a valid token passes; the service refuses a forged one and none at all. */
async function probe(origin: string, variant: Variant, tokens: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  const status = async (token: string | undefined) => {
    const response = await fetch(`${origin}/messages/1`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    return response.status;
  };
  for (let i = 0; i < 2; i++) {
    const got = await status(tokens[0]);
    if (got !== 200) problems.push(`valid token answered ${got}`);
  }
  if (variant === 'floor') return problems;
  for (const [what, token] of [['forged', tamper(tokens[0] as string)], ['missing', undefined]] as const) {
    const got = await status(token);
    if (got !== 401) problems.push(`${what} token answered ${got}`);
  }
  return problems;
}

export function gatewayTables(result: GatewayBenchResult, options: GatewayBenchOptions): Table[] {
  return [
    {
      title: `Gateway — nginx auth_request + forward-auth service, ${options.connections ?? 50} connections, ${options.tokens} rotated RS256 tokens`,
      note: `${options.rounds} rounds of ${options.duration} s per variant, rotated order, after ${options.warmup} s warm-up each. Median (min–max) over rounds; ratios per round. CPU is the auth endpoint process's own per decision.`,
      columns: ['auth endpoint', 'req/s', 'p99 ms', 'auth CPU µs/decision', 'req/s × floor'],
      rows: result.rows.map((row) => [
        LABELS[row.variant],
        `${fmt(row.reqPerSec.median)} (${fmt(row.reqPerSec.min)}–${fmt(row.reqPerSec.max)})`,
        fmt(row.p99.median),
        fmt(row.cpuMicros.median),
        fmtRatio(row.vsFloor),
      ]),
    },
  ];
}

export function gatewayTargets(result: GatewayBenchResult): Target[] {
  const cached = result.rows.find((row) => row.variant === 'service') as GatewayRow;
  return [{ name: 'gateway: service with cache ≥ 0.9× the floor through nginx', met: cached.vsFloor.median >= 0.9, detail: fmtRatio(cached.vsFloor) }];
}
