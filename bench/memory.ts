/**
 * Table 5: heap of a real Express server (its own process, `--expose-gc`, measured after full
 * GCs over IPC) after many distinct valid tokens, compared with the same app without auth; then,
 * for our app, after floods of unknown-kid and malformed tokens. Real sockets throughout: an
 * in-process injector would add its own per-request garbage to the figures.
 */
import autocannon, { type AutocannonRequest } from 'autocannon';
import { BenchIssuer } from './lib/issuer.js';
import { AUDIENCE } from './lib/keys.js';
import { ServerProcess } from './lib/child.js';
import { fmt, type Table, type Target } from './lib/stats.js';
import type { Variant } from './http/apps.js';

export interface MemoryOptions {
  /** Distinct valid tokens sent through each app. */
  tokens: number;
  /** Requests of each flood (unknown kids; malformed tokens). */
  floodTokens: number;
  /** Distinct valid tokens sent first, before the baseline heap is taken. */
  warmup: number;
  connections: number;
}

interface Row {
  variant: Variant;
  name: string;
  baseline: number;
  afterValid: number;
  afterUnknownKids?: number;
  afterMalformed?: number;
}

export interface MemoryResult {
  rows: Row[];
  wrong: string[];
}

const NAMES: Partial<Record<Variant, string>> = {
  bare: 'express, no auth',
  ours: 'express + access-token-guard',
  'ours-cache': 'express + access-token-guard + result cache (1,000 entries)',
  peer: 'express + express-oauth2-jwt-bearer (for reference)',
};

export async function runMemory(options: MemoryOptions): Promise<MemoryResult> {
  // ES256: 100,000 distinct RS256 tokens would take minutes to sign; the verifier's memory
  // does not depend on the algorithm beyond the token's length (ES256 tokens are ~300 B shorter).
  const issuer = await BenchIssuer.start(['ES256']);
  const key = issuer.key('ES256');
  const warm = issuer.mintMany(options.warmup, { key, audience: AUDIENCE });
  const valid = issuer.mintMany(options.tokens, { key, audience: AUDIENCE });
  const unknownKids = issuer.mintMany(options.floodTokens, { key, kid: 'placeholder' }).map((token, n) => withKid(token, `unknown-${n}-${Math.random().toString(36).slice(2)}`));
  const malformed = Array.from({ length: options.floodTokens }, (_, n) => malformedToken(n, valid[n % valid.length] as string));
  const rows: Row[] = [];
  const wrong: string[] = [];
  try {
    for (const variant of ['bare', 'ours', 'ours-cache', 'peer'] as const) {
      const server = await ServerProcess.start({ framework: 'express', variant, issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, jwk: key.jwk, algorithms: ['ES256'] });
      try {
        const expectOk = async (what: string, tokens: string[]) => {
          const result = await send(server.port, tokens, options.connections);
          if (result['2xx'] !== tokens.length) wrong.push(`memory ${variant} ${what}: ${tokens.length - result['2xx']} of ${tokens.length} valid tokens not answered 2xx`);
        };
        const expectRefused = async (what: string, tokens: string[]) => {
          const result = await send(server.port, tokens, options.connections);
          if (result['4xx'] !== tokens.length) wrong.push(`memory ${variant} ${what}: ${tokens.length - result['4xx']} of ${tokens.length} not refused with 4xx (${result['2xx']} 2xx, ${result['5xx']} 5xx)`);
        };
        await expectOk('warm-up', warm);
        const row: Row = { variant, name: NAMES[variant] as string, baseline: await server.heapUsed(), afterValid: 0 };
        await expectOk('distinct tokens', valid);
        row.afterValid = await server.heapUsed();
        if (variant !== 'bare') {
          await expectRefused('unknown kids', unknownKids);
          row.afterUnknownKids = await server.heapUsed();
          await expectRefused('malformed tokens', malformed);
          row.afterMalformed = await server.heapUsed();
        }
        rows.push(row);
      } finally {
        await server.close();
      }
    }
  } finally {
    await issuer.close();
  }
  return { rows, wrong };
}

/** Sends each token once (in order, spread over the connections), as `Authorization: Bearer`. */
function send(port: number, tokens: readonly string[], connections: number) {
  let next = 0;
  const request: AutocannonRequest = {
    method: 'GET',
    path: '/hello',
    setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
  };
  return autocannon({ url: `http://127.0.0.1:${port}`, connections, amount: tokens.length, requests: [request], timeout: 30 });
}

function withKid(token: string, kid: string): string {
  const [, payload, signature] = token.split('.');
  return `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid })).toString('base64url')}.${payload}.${signature}`;
}

/** Every kind of broken token, each one distinct, so no cache of failures could hide a leak. */
function malformedToken(n: number, valid: string): string {
  const [header, payload, signature] = valid.split('.') as [string, string, string];
  const junk = Buffer.from(`junk-${n}-${Math.random()}`).toString('base64url');
  switch (n % 8) {
    case 0:
      return `${junk}.${junk}.${junk}`; // not JSON
    case 1:
      return `${header}.${payload}`; // two parts
    case 2:
      return `${header}.${payload}.${signature.slice(0, 20)}${n}`; // wrong signature length
    case 3:
      return `${header}.${payload}!${n}.${signature}`; // not base64url
    case 4:
      return `${header}.${junk}.${signature}`; // payload swapped: bad signature
    case 5:
      return `${junk}.${junk}.${junk}.${junk}.${junk}`; // looks like a JWE
    case 6:
      return `${Buffer.from(JSON.stringify({ alg: 'none', n })).toString('base64url')}.${payload}.`; // alg none
    default:
      return `${header}.${payload}.${signature}${'A'.repeat(n % 64)}x${n}`; // trailing garbage
  }
}

const MB = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MB`;
const signedMB = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 1048576).toFixed(2)} MB`;

export function memoryTables(result: MemoryResult, options: MemoryOptions): Table[] {
  const bare = result.rows.find((row) => row.variant === 'bare');
  return [
    {
      title: `Memory — ${fmt(options.tokens)} distinct valid tokens through a real Express server`,
      note: `Heap after full GC in the server process, after ${fmt(options.warmup)} warm-up requests (baseline) and after the ${fmt(options.tokens)} tokens; then ${fmt(options.floodTokens)} unknown-kid tokens and ${fmt(options.floodTokens)} malformed ones.`,
      columns: ['app', 'baseline heap', `after ${fmt(options.tokens)} tokens`, 'vs no-auth app', 'after unknown-kid flood', 'after malformed flood'],
      rows: result.rows.map((row) => [
        row.name,
        MB(row.baseline),
        `${MB(row.afterValid)} (${signedMB(row.afterValid - row.baseline)})`,
        bare ? signedMB(row.afterValid - bare.afterValid) : '–',
        row.afterUnknownKids === undefined ? '–' : signedMB(row.afterUnknownKids - row.afterValid),
        row.afterMalformed === undefined || row.afterUnknownKids === undefined ? '–' : signedMB(row.afterMalformed - row.afterUnknownKids),
      ]),
    },
  ];
}

export function memoryTargets(result: MemoryResult): Target[] {
  const bare = result.rows.find((row) => row.variant === 'bare');
  const targets: Target[] = [];
  if (!bare) return targets;
  const limit = 3 * 1048576;
  const floodLimit = 1048576;
  for (const row of result.rows.filter((r) => r.variant === 'ours' || r.variant === 'ours-cache')) {
    const over = row.afterValid - bare.afterValid;
    targets.push({ name: `memory: ${row.name} within +3 MB of the no-auth app`, met: over <= limit, detail: signedMB(over) });
    const floods = (row.afterMalformed ?? row.afterValid) - row.afterValid;
    targets.push({ name: `memory: ${row.name}, no growth from unknown-kid and malformed floods (< 1 MB)`, met: floods < floodLimit, detail: signedMB(floods) });
  }
  return targets;
}
