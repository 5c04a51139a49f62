/**
 * Introspection through Express: requests per second and introspection requests per API request
 * for a pool of repeating opaque tokens (the cache on, defaults: 60 s, 1000 entries), against the
 * JWT path (the same pool size of RS256 tokens, verified locally) in the same run. The issuer's
 * introspection endpoint runs in this process, beside the load generator, and counts its calls.
 * Not in the default run (`--only=introspection`).
 */
import { randomBytes } from 'node:crypto';
import autocannon, { type AutocannonRequest } from 'autocannon';
import { type AppConfig, type Variant } from './http/apps.js';
import { BenchIssuer } from './lib/issuer.js';
import { ServerProcess } from './lib/child.js';
import { AUDIENCE } from './lib/keys.js';
import { fmt, rotate, summarize, type Summary, type Table } from './lib/stats.js';

export interface IntrospectionBenchOptions {
  duration: number;
  warmup: number;
  rounds: number;
  /** Distinct tokens rotated through, for both paths. */
  pool: number;
  connections?: number;
}

interface Sample {
  reqPerSec: number;
  p99: number;
  cpuMicrosPerReq: number;
  /** Introspection requests per answered API request (0 for the JWT path). */
  callsPerRequest: number;
}

export interface IntrospectionRow {
  name: string;
  reqPerSec: Summary;
  p99: Summary;
  cpuMicros: Summary;
  callsPerRequest: Summary;
  /** Introspection requests over the whole run, warm-up and probes included. */
  totalCalls: number;
}

export interface IntrospectionBenchResult {
  rows: IntrospectionRow[];
  wrong: string[];
}

type Path = 'jwt' | 'opaque';
const VARIANT: Record<Path, Variant> = { jwt: 'ours', opaque: 'ours-introspection' };
const NAMES: Record<Path, string> = { jwt: 'JWT, verified locally', opaque: 'opaque, introspected, cache on' };

export async function runIntrospection(options: IntrospectionBenchOptions): Promise<IntrospectionBenchResult> {
  const issuer = await BenchIssuer.start(['RS256']);
  const wrong: string[] = [];
  const servers = new Map<Path, ServerProcess>();
  try {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const opaque = Array.from({ length: options.pool }, () => randomBytes(32).toString('base64url'));
    for (const token of opaque) issuer.opaque.set(token, { iss: issuer.issuer, aud: AUDIENCE, exp, client_id: 'bench-client', sub: 'user', scope: 'read', token_type: 'Bearer' });
    const tokens: Record<Path, string[]> = { jwt: issuer.mintMany(options.pool, { audience: AUDIENCE }), opaque };
    for (const path of ['jwt', 'opaque'] as const) {
      const config: AppConfig = { framework: 'express', variant: VARIANT[path], issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, jwk: issuer.key().jwk, introspectionEndpoint: issuer.introspectionEndpoint };
      servers.set(path, await ServerProcess.start(config));
    }
    wrong.push(...(await probe(servers.get('opaque')!.port, opaque[0]!, issuer)));
    const samples: Record<Path, Sample[]> = { jwt: [], opaque: [] };
    for (const path of ['jwt', 'opaque'] as const) {
      if (options.warmup > 0) await load(servers.get(path)!.port, requests(tokens[path]), { ...options, duration: options.warmup });
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const path of rotate(['jwt', 'opaque'] as const, round)) {
        const server = servers.get(path)!;
        const callsBefore = issuer.introspectionHits;
        const cpuBefore = await server.cpuMicros();
        const result = await load(server.port, requests(tokens[path]), options);
        const cpu = (await server.cpuMicros()) - cpuBefore;
        const answered = result['2xx'];
        if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
          wrong.push(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts under load with valid tokens`);
        }
        samples[path].push({
          reqPerSec: answered / result.duration,
          p99: result.latency.p99,
          cpuMicrosPerReq: cpu / Math.max(1, answered),
          // Only the opaque path introspects (requests still finishing from the other path's round are not its own).
          callsPerRequest: path === 'opaque' ? (issuer.introspectionHits - callsBefore) / Math.max(1, answered) : 0,
        });
      }
    }
    if (issuer.introspectionHits > options.pool + 4) {
      wrong.push(`${issuer.introspectionHits} introspection requests for a pool of ${options.pool} tokens within the cache's maxAge: the cache or the coalescing leaks`);
    }
    const rows = (['jwt', 'opaque'] as const).map((path) => ({
      name: NAMES[path],
      reqPerSec: summarize(samples[path].map((s) => s.reqPerSec)),
      p99: summarize(samples[path].map((s) => s.p99)),
      cpuMicros: summarize(samples[path].map((s) => s.cpuMicrosPerReq)),
      callsPerRequest: summarize(samples[path].map((s) => s.callsPerRequest)),
      totalCalls: path === 'opaque' ? issuer.introspectionHits : 0,
    }));
    return { rows, wrong };
  } finally {
    await Promise.all([...servers.values()].map((server) => server.close()));
    await issuer.close();
  }
}

/** A pooled opaque token is let through (twice: the cached answer too); an unknown one is refused. */
async function probe(port: number, token: string, issuer: BenchIssuer): Promise<string[]> {
  const problems: string[] = [];
  const status = async (bearer: string) => {
    const response = await fetch(`http://127.0.0.1:${port}/hello`, { headers: { authorization: `Bearer ${bearer}` } });
    await response.arrayBuffer();
    return response.status;
  };
  for (let i = 0; i < 2; i++) if ((await status(token)) !== 200) problems.push('opaque: a pooled active token was refused');
  for (let i = 0; i < 2; i++) if ((await status('not-a-token-the-issuer-knows')) !== 401) problems.push('opaque: an unknown token was not refused with 401');
  if (issuer.introspectionHits !== 2) problems.push(`opaque: the probes cost ${issuer.introspectionHits} introspection requests, expected 2 (one per token, then cached)`);
  return problems;
}

/**
 * One request template that takes the pool's next token each time, across all connections: with
 * a prebuilt list every connection would walk it from the start in step, and a few tokens would
 * carry the whole load. Both paths pay the same for it.
 */
function requests(tokens: readonly string[]): AutocannonRequest[] {
  const headers = tokens.map((token) => ({ authorization: `Bearer ${token}` }));
  let next = 0;
  return [{ method: 'GET', path: '/hello', setupRequest: (request) => ({ ...request, headers: headers[next++ % headers.length] }) }];
}

function load(port: number, requests: AutocannonRequest[], options: IntrospectionBenchOptions) {
  return autocannon({ url: `http://127.0.0.1:${port}`, connections: options.connections ?? 50, duration: options.duration, requests, timeout: 10 });
}

export function introspectionTables(result: IntrospectionBenchResult, options: IntrospectionBenchOptions): Table[] {
  return [
    {
      title: `Introspection — Express, ${options.connections ?? 50} connections, a pool of ${options.pool} repeating tokens`,
      note: `${options.rounds} rounds of ${options.duration} s per path, rotated order, after ${options.warmup} s warm-up each. Median (min–max) over rounds. Introspection cache at its defaults (60 s, 1000 entries); the endpoint runs beside the load generator. Calls/request counts the endpoint's requests during each round.`,
      columns: ['path', 'req/s', 'p99 ms', 'server CPU µs/req', 'introspection calls / request', 'introspection calls, whole run'],
      rows: result.rows.map((row) => [
        row.name,
        `${fmt(row.reqPerSec.median)} (${fmt(row.reqPerSec.min)}–${fmt(row.reqPerSec.max)})`,
        fmt(row.p99.median),
        fmt(row.cpuMicros.median),
        `${fmt(row.callsPerRequest.median)} (${fmt(row.callsPerRequest.min)}–${fmt(row.callsPerRequest.max)})`,
        String(row.totalCalls),
      ]),
    },
  ];
}
