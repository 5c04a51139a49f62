/**
 * Table 6: cold start, as a serverless function sees it. Each run is a fresh `node` process that
 * imports one entry point (ours: the published build, bench/lib/published.ts) and
 * verifies one token, fetching the JWKS from a local issuer. Every contender is given the
 * `jwksUri`, so each makes exactly one fetch; runs are rotated across contenders.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { publishedPackage } from './lib/published.js';
import { BenchIssuer } from './lib/issuer.js';
import { AUDIENCE } from './lib/keys.js';
import { fmt, rotate, summarize, type Summary, type Table } from './lib/stats.js';

export interface ColdStartOptions {
  runs: number;
}

interface Contender {
  name: string;
  kind: string;
  module: () => Promise<string>;
}

export interface ColdStartRow {
  name: string;
  importMs: Summary;
  firstVerifyMs: Summary;
  totalMs: Summary;
}

export interface ColdStartResult {
  rows: ColdStartRow[];
  wrong: string[];
}

const CHILD = fileURLToPath(new URL('./coldstart-child.mjs', import.meta.url));
const published = (file: string) => async () => pathToFileURL(join(await publishedPackage(), 'dist', file)).href;

const CONTENDERS: Contender[] = [
  { name: 'access-token-guard/web (WebCrypto)', kind: 'web', module: published('web.js') },
  { name: 'access-token-guard/lambda', kind: 'lambda', module: published('lambda.js') },
  { name: 'access-token-guard (main entry)', kind: 'main', module: published('index.js') },
  { name: 'express-oauth2-jwt-bearer 1.10.0', kind: 'express-oauth2-jwt-bearer', module: async () => 'express-oauth2-jwt-bearer' },
  { name: 'jose 6 (createRemoteJWKSet + jwtVerify)', kind: 'jose', module: async () => 'jose' },
];

interface Run {
  ok: boolean;
  error?: string;
  importMs: number;
  firstVerifyMs: number;
  totalMs: number;
}

function runChild(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, ...args], { timeout: 30_000 }, (error, stdout) => {
      if (error) return reject(error);
      resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as Run);
    });
  });
}

export async function runColdStart(options: ColdStartOptions): Promise<ColdStartResult> {
  const issuer = await BenchIssuer.start(['RS256']);
  const wrong: string[] = [];
  const samples = new Map(CONTENDERS.map((c) => [c.name, [] as Run[]]));
  try {
    const modules = new Map(await Promise.all(CONTENDERS.map(async (c) => [c.name, await c.module()] as const)));
    // One unmeasured run each first: the OS file cache, not Node, would otherwise be timed.
    for (let round = -1; round < options.runs; round++) {
      for (const contender of rotate(CONTENDERS, Math.max(0, round))) {
        const token = issuer.mint(round + 2);
        const run = await runChild([contender.kind, modules.get(contender.name) as string, issuer.issuer, issuer.jwksUri, AUDIENCE, token]);
        if (!run.ok) wrong.push(`cold start ${contender.name}: the valid token was not accepted (${run.error ?? 'refused'})`);
        if (round >= 0) samples.get(contender.name)?.push(run);
      }
    }
  } finally {
    await issuer.close();
  }
  const rows = CONTENDERS.map((c) => {
    const runs = samples.get(c.name) as Run[];
    return {
      name: c.name,
      importMs: summarize(runs.map((r) => r.importMs)),
      firstVerifyMs: summarize(runs.map((r) => r.firstVerifyMs)),
      totalMs: summarize(runs.map((r) => r.totalMs)),
    };
  });
  return { rows, wrong };
}

export function coldStartTables(result: ColdStartResult, options: ColdStartOptions): Table[] {
  const ms = (s: Summary) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
  return [
    {
      title: 'Cold start — import, then verify the first token (JWKS from a local issuer)',
      note: `${options.runs} fresh processes per contender, rotated, after one unmeasured run each. Milliseconds, median (min–max). "First verify" includes the JWKS fetch (and whatever HTTP client the library loads for it); "since process start" adds Node's own bootstrap.`,
      columns: ['entry point', 'import ms', 'first verify ms', 'since process start ms'],
      rows: result.rows.map((row) => [row.name, ms(row.importMs), ms(row.firstVerifyMs), ms(row.totalMs)]),
    },
  ];
}
