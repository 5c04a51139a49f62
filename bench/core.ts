/**
 * Table 1: one verification at a time over distinct valid tokens, per algorithm, every contender
 * side by side in each round (rotated order), each ratio taken against the raw floor of the same
 * round. Also the evidence for verifying synchronously rather than on the libuv threadpool.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { importJWK, jwtVerify } from 'jose';
import { JwtVerifier } from 'aws-jwt-verify';
import { createVerifier } from '../src/index.js';
import { createVerifierWith } from '../src/verifier.js';
import { webCrypto } from '../src/crypto/web.js';
import { AUDIENCE, BENCH_ALGS, DEFAULT_ISSUER, generateKey, mintMany, nodeParams, tamper, type BenchAlg, type BenchKey } from './lib/keys.js';
import { accepts, timeRound, type Contender, type Timing } from './lib/measure.js';
import { fmt, fmtRatio, fmtSummary, rotate, summarize, type Summary, type Table, type Target } from './lib/stats.js';

export interface CoreOptions {
  /** Distinct tokens per algorithm; each contender verifies every one of them once per round. */
  tokens: number;
  rounds: number;
  /** Interleaved slices per round (see `timeRound`). */
  slices: number;
  algs?: readonly BenchAlg[];
}

export interface CoreRow {
  name: string;
  ops: Summary;
  /** Per round: this row's ops/s over the raw floor's in the same round. */
  ratio: Summary;
  cpuMicros: Summary;
  /** ops/s of each measured round, for ratios between any two rows. */
  perRound: number[];
}

export interface CoreResult {
  alg: BenchAlg;
  rows: CoreRow[];
  /** Wrong decisions: a valid token refused or a forged one accepted. */
  wrong: string[];
}

export const RAW = 'raw crypto.verify (floor)';
export const OURS = 'access-token-guard (node)';
export const OURS_WEB = 'access-token-guard (WebCrypto)';
export const FAST_JWT = 'fast-jwt 6.3.6';
export const JOSE = 'jose 6 jwtVerify';
export const AWS = 'aws-jwt-verify 5.2.1';

/** The contenders for one key, each built the way its documentation recommends, caches off. */
export async function contenders(key: BenchKey): Promise<Contender<any>[]> {
  const { alg } = key;
  const { digest, options } = nodeParams(alg);
  const floorKey = { key: createPublicKey(key.pem), ...options };
  const raw: Contender<{ data: Buffer; signature: Buffer }> = {
    name: RAW,
    async: false,
    // The floor does nothing but the signature: its inputs arrive decoded.
    inputs: (tokens) =>
      tokens.map((token) => {
        const dot = token.lastIndexOf('.');
        return { data: Buffer.from(token.slice(0, dot)), signature: Buffer.from(token.slice(dot + 1), 'base64url') };
      }),
    run: ({ data, signature }) => cryptoVerify(digest, data, floorKey, signature),
  };

  const verifierOptions = { issuer: DEFAULT_ISSUER, audience: AUDIENCE, algorithms: [alg], keys: { keys: [key.jwk] } };
  const ours = createVerifier(verifierOptions);
  const oursWeb = createVerifierWith(webCrypto, verifierOptions);
  const fastJwt = createFastJwtVerifier({ key: key.pem, algorithms: [alg], allowedIss: DEFAULT_ISSUER, allowedAud: AUDIENCE, cache: false });
  const joseKey = await importJWK(key.jwk, alg);
  const joseOptions = { issuer: DEFAULT_ISSUER, audience: AUDIENCE, algorithms: [alg] };

  const identity = (tokens: readonly string[]) => [...tokens];
  const list: Contender<any>[] = [
    raw,
    { name: OURS, async: true, inputs: identity, run: (token: string) => ours.verify(token) },
    { name: FAST_JWT, async: false, inputs: identity, run: (token: string) => fastJwt(token) },
    { name: JOSE, async: true, inputs: identity, run: (token: string) => jwtVerify(token, joseKey, joseOptions) },
  ];
  // aws-jwt-verify has no RSASSA-PSS; its fastest documented call is verifySync over a cached JWKS.
  if (alg !== 'PS256') {
    const aws = JwtVerifier.create({ issuer: DEFAULT_ISSUER, audience: AUDIENCE, jwksUri: `${DEFAULT_ISSUER}.well-known/jwks.json` });
    aws.cacheJwks({ keys: [key.jwk as never] });
    list.push({ name: AWS, async: false, inputs: identity, run: (token: string) => aws.verifySync(token) });
  }
  list.push({ name: OURS_WEB, async: true, inputs: identity, run: (token: string) => oursWeb.verify(token) });
  return list;
}

export async function runCore(options: CoreOptions): Promise<CoreResult[]> {
  const results: CoreResult[] = [];
  for (const alg of options.algs ?? BENCH_ALGS) {
    const key = generateKey(alg);
    const tokens = mintMany(key, options.tokens);
    const list = await contenders(key);
    const wrong: string[] = [];
    const forged = tamper(tokens[0] as string);
    for (const contender of list) {
      if (await accepts(contender, forged)) wrong.push(`${alg} ${contender.name} accepted a forged signature`);
    }
    const entries = list.map((contender) => ({ contender, inputs: contender.inputs(tokens) }));
    const timings = new Map<string, Timing[]>(list.map((contender) => [contender.name, []]));
    // Round 0 is warm-up (JIT, key imports); its figures are dropped.
    for (let round = 0; round <= options.rounds; round++) {
      const timed = await timeRound(entries, options.slices, round);
      timed.forEach((timing, i) => {
        const name = (list[i] as Contender).name;
        if (timing.refused > 0) wrong.push(`${alg} ${name} refused ${timing.refused} valid tokens: ${String((timing.firstError as Error)?.message ?? '')}`);
        if (round > 0) timings.get(name)?.push(timing);
      });
    }
    const raw = timings.get(RAW) as Timing[];
    const rows = list.map((contender) => {
      const own = timings.get(contender.name) as Timing[];
      return {
        name: contender.name,
        ops: summarize(own.map((t) => t.opsPerSec)),
        ratio: summarize(own.map((t, i) => t.opsPerSec / (raw[i] as Timing).opsPerSec)),
        cpuMicros: summarize(own.map((t) => t.cpuMicrosPerOp)),
        perRound: own.map((t) => t.opsPerSec),
      };
    });
    results.push({ alg, rows, wrong: [...new Set(wrong)] });
  }
  return results;
}

export function coreTables(results: readonly CoreResult[], options: CoreOptions): Table[] {
  return results.map((result) => {
    const fast = result.rows.find((row) => row.name === FAST_JWT);
    return {
      title: `Core — ${result.alg}, distinct valid tokens, one call at a time`,
      note: `Each round, every contender verifies the same ${options.tokens} distinct tokens, interleaved in ${options.slices} slices (rotated order); ${options.rounds} rounds after a warm-up round. Median (min–max) over rounds; the ratio to raw is taken per round. CPU µs is this process's CPU time per verify.`,
      columns: ['contender', 'ops/s', 'CPU µs/verify', '× raw crypto.verify', '× fast-jwt'],
      rows: result.rows.map((row) => [row.name, fmtSummary(row.ops), fmt(row.cpuMicros.median), fmtRatio(row.ratio), fast ? fmtRatio(versus(row, fast)) : '–']),
    };
  });
}

/** Per-round ratio of two rows of the same table. */
function versus(row: CoreRow, base: CoreRow): Summary {
  return summarize(row.perRound.map((ops, i) => ops / (base.perRound[i] as number)));
}

export function coreTargets(results: readonly CoreResult[]): Target[] {
  const targets: Target[] = [];
  for (const result of results) {
    const ours = result.rows.find((row) => row.name === OURS) as CoreRow;
    const fast = result.rows.find((row) => row.name === FAST_JWT) as CoreRow;
    const vsFast = versus(ours, fast);
    targets.push({ name: `core ${result.alg}: ours ≥ 0.85× raw crypto.verify`, met: ours.ratio.median >= 0.85, detail: fmtRatio(ours.ratio) });
    targets.push({ name: `core ${result.alg}: ours ≥ 1.0× fast-jwt`, met: vsFast.median >= 1, detail: fmtRatio(vsFast) });
  }
  return targets;
}

// ─── synchronous crypto.verify vs the callback form (libuv threadpool) ──────────────────────────

export interface ThreadpoolRow {
  mode: string;
  ops: Summary;
  cpuMicros: Summary;
}

/**
 * The callback form of `crypto.verify` runs on the threadpool: it can use a second core when one
 * is idle, but every call also pays a hop to the pool and back. Measured one at a time and with
 * 64 in flight, with the process's CPU time (all threads) per verify.
 */
export async function runThreadpool(options: { verifies: number; rounds: number }): Promise<ThreadpoolRow[]> {
  const key = generateKey('RS256');
  const tokens = mintMany(key, Math.min(options.verifies, 1000));
  const inputs = tokens.map((token) => {
    const dot = token.lastIndexOf('.');
    return { data: Buffer.from(token.slice(0, dot)), signature: Buffer.from(token.slice(dot + 1), 'base64url') };
  });
  const publicKey = createPublicKey(key.pem);
  const callbackVerify = (i: number) =>
    new Promise<boolean>((resolve, reject) => {
      const input = inputs[i % inputs.length] as (typeof inputs)[number];
      cryptoVerify('sha256', input.data, publicKey, input.signature, (error, ok) => (error ? reject(error) : resolve(ok)));
    });

  const modes: Array<{ mode: string; run: () => Promise<number> }> = [
    {
      mode: 'sync crypto.verify, one at a time',
      run: async () => {
        let ok = 0;
        for (let i = 0; i < options.verifies; i++) {
          const input = inputs[i % inputs.length] as (typeof inputs)[number];
          if (cryptoVerify('sha256', input.data, publicKey, input.signature)) ok++;
        }
        return ok;
      },
    },
    {
      mode: 'callback (threadpool), one at a time',
      run: async () => {
        let ok = 0;
        for (let i = 0; i < options.verifies; i++) if (await callbackVerify(i)) ok++;
        return ok;
      },
    },
    {
      mode: 'callback (threadpool), 64 in flight',
      run: async () => {
        let ok = 0;
        let next = 0;
        const worker = async () => {
          while (next < options.verifies) if (await callbackVerify(next++)) ok++;
        };
        await Promise.all(Array.from({ length: 64 }, worker));
        return ok;
      },
    },
  ];
  const samples = new Map(modes.map((m) => [m.mode, { ops: [] as number[], cpu: [] as number[] }]));
  for (let round = 0; round <= options.rounds; round++) {
    for (const mode of rotate(modes, round)) {
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      const ok = await mode.run();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const used = process.cpuUsage(cpu);
      if (ok !== options.verifies) throw new Error(`${mode.mode}: ${options.verifies - ok} valid signatures refused`);
      if (round === 0) continue;
      samples.get(mode.mode)?.ops.push(options.verifies / seconds);
      samples.get(mode.mode)?.cpu.push((used.user + used.system) / options.verifies);
    }
  }
  return modes.map((m) => ({ mode: m.mode, ops: summarize(samples.get(m.mode)!.ops), cpuMicros: summarize(samples.get(m.mode)!.cpu) }));
}

export function threadpoolTable(rows: readonly ThreadpoolRow[]): Table {
  return {
    title: 'Sync crypto.verify vs callback (threadpool), RS256',
    note: 'Nothing else runs in the process meanwhile. CPU µs counts every thread of the process (the pool included); rotated order, median (min–max) over rounds.',
    columns: ['mode', 'verifies/s', 'CPU µs/verify'],
    rows: rows.map((row) => [row.mode, fmtSummary(row.ops), fmtSummary(row.cpuMicros)]),
  };
}
