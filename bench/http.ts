/**
 * Table 3: HTTP on 127.0.0.1. Each app runs in its own process; autocannon (50 connections)
 * runs in this one, so on two cores the load generator has one and the server the other.
 * Rounds visit every variant of a framework in rotated order; ratios are taken per round.
 * The server's CPU time per request comes from the server process itself (over IPC).
 */
import autocannon, { type AutocannonRequest } from 'autocannon';
import { BenchIssuer } from './lib/issuer.js';
import { AUDIENCE, generateKey, tamper } from './lib/keys.js';
import { ServerProcess } from './lib/child.js';
import { fmt, fmtRatio, rotate, summarize, type Summary, type Table, type Target } from './lib/stats.js';
import { VARIANTS, label, type AppConfig, type Framework, type Variant } from './http/apps.js';

export interface HttpOptions {
  /** Seconds per measured run. */
  duration: number;
  /** Seconds of load per server before the first round (JIT, key fetch). */
  warmup: number;
  rounds: number;
  /** Distinct tokens rotated through by the load generator. */
  tokens: number;
  connections?: number;
  frameworks?: readonly Framework[];
}

interface Sample {
  reqPerSec: number;
  p99: number;
  cpuMicrosPerReq: number;
}

export interface HttpRow {
  variant: Variant;
  name: string;
  reqPerSec: Summary;
  p99: Summary;
  cpuMicros: Summary;
  /** Per round, over the floor's req/s of the same round. */
  vsFloor: Summary;
  /** Per round, the floor's server CPU per request over this row's: above 1, cheaper than the floor. */
  cpuVsFloor: Summary;
  vsBare: Summary;
  samples: Sample[];
}

export interface HttpResult {
  framework: Framework;
  rows: HttpRow[];
  wrong: string[];
}

const REFUSED = [401];

export async function runHttp(options: HttpOptions): Promise<HttpResult[]> {
  const issuer = await BenchIssuer.start(['RS256']);
  const key = issuer.key('RS256');
  const tokens = issuer.mintMany(options.tokens, { audience: AUDIENCE });
  const repeated = issuer.mint(1e9, { audience: AUDIENCE });
  const stranger = generateKey('RS256', key.kid);
  const refusals: Fixture['refusals'] = {
    forged: tamper(tokens[0] as string),
    'forged (the cached one)': tamper(repeated),
    expired: issuer.mint(1, { expiresIn: -120 }),
    'other audience': issuer.mint(2, { audience: 'https://another-api.example' }),
    'other issuer': issuer.mint(3, { issuer: 'https://evil.example/' }),
    'signed by an unknown key with a known kid': issuer.mint(4, { key: stranger }),
    missing: undefined,
  };
  const frameworks = options.frameworks ?? (Object.keys(VARIANTS) as Framework[]);
  const results: HttpResult[] = [];
  try {
    for (const framework of frameworks) {
      results.push(await runFramework(framework, { issuer, tokens, repeated, jwk: key.jwk, refusals }, options));
    }
  } finally {
    await issuer.close();
  }
  return results;
}

interface Fixture {
  issuer: BenchIssuer;
  tokens: string[];
  repeated: string;
  jwk: AppConfig['jwk'];
  /** Tokens every authenticating app must refuse, by what is wrong with them. */
  refusals: Record<string, string | undefined>;
}

async function runFramework(framework: Framework, fixture: Fixture, options: HttpOptions): Promise<HttpResult> {
  const variants = VARIANTS[framework];
  const servers = new Map<Variant, ServerProcess>();
  const wrong: string[] = [];
  try {
    // Start-up is not measured, so the servers may start side by side.
    const started = await Promise.allSettled(
      variants.map(async (variant) => {
        const config: AppConfig = {
          framework,
          variant,
          issuer: fixture.issuer.issuer,
          audience: AUDIENCE,
          jwksUri: fixture.issuer.jwksUri,
          jwk: fixture.jwk,
        };
        return [variant, await ServerProcess.start(config)] as const;
      }),
    );
    for (const outcome of started) if (outcome.status === 'fulfilled') servers.set(...outcome.value);
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    for (const [variant, server] of servers) {
      wrong.push(...(await probeDecisions(server.port, variant, fixture)).map((problem) => `${framework}/${variant}: ${problem}`));
      if (options.warmup > 0) await load(server.port, requestsFor(variant, fixture), { ...options, duration: options.warmup });
    }
    const samples = new Map<Variant, Sample[]>(variants.map((variant) => [variant, []]));
    for (let round = 0; round < options.rounds; round++) {
      for (const variant of rotate(variants, round)) {
        const server = servers.get(variant) as ServerProcess;
        const before = await server.cpuMicros();
        const result = await load(server.port, requestsFor(variant, fixture), options);
        const cpu = (await server.cpuMicros()) - before;
        const answered = result['2xx'];
        if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
          wrong.push(`${framework}/${variant}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts under load with valid tokens`);
        }
        samples.get(variant)?.push({ reqPerSec: answered / result.duration, p99: result.latency.p99, cpuMicrosPerReq: cpu / Math.max(1, answered) });
      }
    }
    const perRound = (variant: Variant) => samples.get(variant) as Sample[];
    const ratio = (variant: Variant, base: Variant) =>
      base === undefined || !samples.has(base)
        ? summarize([])
        : summarize(perRound(variant).map((s, i) => s.reqPerSec / (perRound(base)[i] as Sample).reqPerSec));
    const rows = variants.map((variant) => ({
      variant,
      name: label(framework, variant),
      reqPerSec: summarize(perRound(variant).map((s) => s.reqPerSec)),
      p99: summarize(perRound(variant).map((s) => s.p99)),
      cpuMicros: summarize(perRound(variant).map((s) => s.cpuMicrosPerReq)),
      vsFloor: ratio(variant, 'floor'),
      cpuVsFloor: summarize(perRound(variant).map((s, i) => (perRound('floor')[i] as Sample).cpuMicrosPerReq / s.cpuMicrosPerReq)),
      vsBare: ratio(variant, 'bare'),
      samples: perRound(variant),
    }));
    return { framework, rows, wrong };
  } finally {
    await Promise.all([...servers.values()].map((server) => server.close()));
  }
}

function requestsFor(variant: Variant, fixture: Fixture): AutocannonRequest[] {
  const tokens = variant === 'ours-cache' ? [fixture.repeated] : fixture.tokens;
  // Prebuilt requests (no setupRequest): the load generator does as little as it can per request.
  return tokens.map((token) => ({ method: 'GET', path: '/hello', headers: { authorization: `Bearer ${token}` } }));
}

function load(port: number, requests: AutocannonRequest[], options: HttpOptions) {
  return autocannon({ url: `http://127.0.0.1:${port}`, connections: options.connections ?? 50, duration: options.duration, requests, timeout: 10 });
}

/**
 * Before any load: a valid token is let through, and a forged, an expired, a foreign-audience
 * and a missing token are refused (the bare app, which checks nothing, only has to answer).
 */
async function probeDecisions(port: number, variant: Variant, fixture: Fixture): Promise<string[]> {
  const problems: string[] = [];
  const url = `http://127.0.0.1:${port}/hello`;
  const status = async (token: string | undefined) => {
    const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    return response.status;
  };
  const valid = variant === 'ours-cache' ? fixture.repeated : (fixture.tokens[0] as string);
  // Twice: a result cache must answer the second time exactly as the first.
  for (let i = 0; i < 2; i++) {
    const got = await status(valid);
    if (got !== 200) problems.push(`valid token answered ${got}`);
  }
  if (variant === 'bare') return problems;
  for (const [what, token] of Object.entries(fixture.refusals)) {
    for (let i = 0; i < 2; i++) {
      const got = await status(token);
      if (!REFUSED.includes(got)) problems.push(`${what} token answered ${got}`);
    }
  }
  return problems;
}

export function httpTables(results: readonly HttpResult[], options: HttpOptions): Table[] {
  return results.map((result) => ({
    title: `HTTP — ${result.framework}, ${options.connections ?? 50} connections, ${options.tokens} rotated RS256 tokens`,
    note: `${options.rounds} rounds of ${options.duration} s per variant, rotated order, after ${options.warmup} s warm-up each. Median (min–max) over rounds; ratios are per round. CPU is the server process's own (all threads, the libuv pool included) per answered request; the last column is the floor's CPU per request over this row's (1.00 = as cheap as the floor).`,
    columns: ['variant', 'req/s', 'p99 ms', 'server CPU µs/req', 'req/s × floor', 'req/s × bare', 'CPU/req: floor ÷ this'],
    rows: result.rows.map((row) => [
      row.name,
      `${fmt(row.reqPerSec.median)} (${fmt(row.reqPerSec.min)}–${fmt(row.reqPerSec.max)})`,
      fmt(row.p99.median),
      fmt(row.cpuMicros.median),
      fmtRatio(row.vsFloor),
      fmtRatio(row.vsBare),
      fmtRatio(row.cpuVsFloor),
    ]),
  }));
}

/** The HTTP targets, per framework. */
export function httpTargets(results: readonly HttpResult[]): Target[] {
  const targets: Target[] = [];
  for (const result of results) {
    const row = (variant: Variant) => result.rows.find((candidate) => candidate.variant === variant);
    const ours = row('ours');
    const cached = row('ours-cache');
    if (!ours || !cached) continue;
    targets.push({
      name: `${result.framework}: adapter ≥ 0.95× hand-rolled floor (req/s)`,
      met: ours.vsFloor.median >= 0.95,
      detail: `${ours.vsFloor.median.toFixed(2)}× (rounds ${ours.vsFloor.min.toFixed(2)}–${ours.vsFloor.max.toFixed(2)})`,
    });
    targets.push({
      name: `${result.framework}: result cache, 1 repeated token ≥ 0.85× bare`,
      met: cached.vsBare.median >= 0.85,
      detail: `${cached.vsBare.median.toFixed(2)}× (rounds ${cached.vsBare.min.toFixed(2)}–${cached.vsBare.max.toFixed(2)})`,
    });
    // Hono and NestJS have no peer row.
    const peers = result.rows.filter((candidate) => candidate.variant.startsWith('peer'));
    if (peers.length === 0) continue;
    const best = peers.reduce((a, b) => (b.reqPerSec.median > a.reqPerSec.median ? b : a));
    const perRound = ours.samples.map((s, i) => s.reqPerSec / (best.samples[i] as Sample).reqPerSec);
    targets.push({
      name: `${result.framework}: adapter beats ${best.name} in req/s`,
      met: ours.reqPerSec.median > best.reqPerSec.median,
      detail: `${fmt(ours.reqPerSec.median)} vs ${fmt(best.reqPerSec.median)} req/s (${fmtRatio(summarize(perRound))})`,
    });
    targets.push({
      name: `${result.framework}: adapter beats ${best.name} in server CPU µs/req`,
      met: ours.cpuMicros.median < best.cpuMicros.median,
      detail: `${fmt(ours.cpuMicros.median)} vs ${fmt(best.cpuMicros.median)} µs/req`,
    });
  }
  return targets;
}
