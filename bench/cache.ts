/**
 * Table 2: the optional cache of verified results. A hit (one repeated token) against the raw
 * signature floor; a miss-only workload (distinct tokens, each seen once, so every lookup misses)
 * against the same verifier without the cache; a churn workload (each token twice in a row, so
 * the second sighting stores it and, the cache being full, evicts another, and no lookup ever
 * hits) against the uncached verifier on the same sequence; and the heap the cache holds, which
 * must level off at its entry count.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { createVerifier } from '../src/index.js';
import { AUDIENCE, DEFAULT_ISSUER, generateKey, mintMany } from './lib/keys.js';
import { settledHeap, timeRound, type Contender, type Timing } from './lib/measure.js';
import { fmt, fmtRatio, fmtSummary, summarize, type Summary, type Table, type Target } from './lib/stats.js';

export interface CacheOptions {
  /** Distinct tokens for the miss-only and uncached rows (more than `maxEntries`). */
  tokens: number;
  maxEntries: number;
  rounds: number;
  /** Interleaved slices per round (see `timeRound`). */
  slices: number;
  /** Verifications of the one repeated token per round. */
  hits: number;
  /** Distinct tokens pushed through the cache for the memory rows (a multiple of maxEntries). */
  memoryTokens: number;
}

interface Row {
  name: string;
  ops: Summary;
  ratio: Summary;
  /** What the ratio is taken against. */
  base: string;
}

export interface CacheResult {
  rows: Row[];
  /** Heap at each mark, every token verified twice (so each is stored); mark 0 is the baseline. */
  memory: Array<{ tokens: number; heapBytes: number }>;
  /** Heap over its own baseline after `memoryTokens` distinct tokens verified once each. */
  seenOnceHeapBytes: number;
  wrong: string[];
}

export async function runCache(options: CacheOptions): Promise<CacheResult> {
  const wrong: string[] = [];
  const key = generateKey('RS256');
  const tokens = mintMany(key, options.tokens);
  const repeated = tokens[0] as string;
  const verifierOptions = { issuer: DEFAULT_ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] } };
  const uncached = createVerifier(verifierOptions);
  const cached = createVerifier({ ...verifierOptions, resultCache: { maxEntries: options.maxEntries } });
  const hitOnly = createVerifier({ ...verifierOptions, resultCache: { maxEntries: options.maxEntries } });
  const publicKey = createPublicKey(key.pem);
  const decoded = (token: string) => {
    const dot = token.lastIndexOf('.');
    return { data: Buffer.from(token.slice(0, dot)), signature: Buffer.from(token.slice(dot + 1), 'base64url') };
  };

  const same = <T>(value: T, count: number) => Array.from({ length: count }, () => value);
  const twice = tokens.flatMap((token) => [token, token]);
  const churned = createVerifier({ ...verifierOptions, resultCache: { maxEntries: options.maxEntries } });
  const contenders: Array<{ contender: Contender<any>; inputs: unknown[] }> = [
    {
      contender: { name: 'raw crypto.verify (floor)', async: false, inputs: () => [], run: ({ data, signature }) => cryptoVerify('sha256', data, publicKey, signature) },
      inputs: same(decoded(repeated), options.hits),
    },
    { contender: { name: 'hit: one repeated token', async: true, inputs: () => [], run: (t: string) => hitOnly.verify(t) }, inputs: same(repeated, options.hits) },
    { contender: { name: 'uncached, distinct tokens', async: true, inputs: () => [], run: (t: string) => uncached.verify(t) }, inputs: tokens },
    { contender: { name: 'cache on, miss-only (distinct tokens)', async: true, inputs: () => [], run: (t: string) => cached.verify(t) }, inputs: tokens },
    { contender: { name: 'uncached, each token twice', async: true, inputs: () => [], run: (t: string) => uncached.verify(t) }, inputs: twice },
    { contender: { name: 'cache on, churn (each token twice)', async: true, inputs: () => [], run: (t: string) => churned.verify(t) }, inputs: twice },
  ];
  const timings = new Map<string, Timing[]>(contenders.map(({ contender }) => [contender.name, []]));
  for (let round = 0; round <= options.rounds; round++) {
    const timed = await timeRound(contenders, options.slices, round);
    timed.forEach((timing, i) => {
      const name = (contenders[i] as (typeof contenders)[number]).contender.name;
      if (timing.refused > 0) wrong.push(`${name}: ${timing.refused} valid tokens refused (${(timing.firstError as Error)?.message})`);
      if (round > 0) timings.get(name)?.push(timing);
    });
  }
  const series = (name: string) => timings.get(name) as Timing[];
  const ratio = (name: string, base: string) => summarize(series(name).map((t, i) => t.opsPerSec / (series(base)[i] as Timing).opsPerSec));
  const rows: Row[] = [
    { name: 'raw crypto.verify (floor)', base: '–', ops: summarize(series('raw crypto.verify (floor)').map((t) => t.opsPerSec)), ratio: summarize([]) },
    { name: 'hit: one repeated token', base: 'raw crypto.verify', ops: summarize(series('hit: one repeated token').map((t) => t.opsPerSec)), ratio: ratio('hit: one repeated token', 'raw crypto.verify (floor)') },
    { name: 'uncached, distinct tokens', base: '–', ops: summarize(series('uncached, distinct tokens').map((t) => t.opsPerSec)), ratio: summarize([]) },
    {
      name: 'cache on, miss-only (distinct tokens)',
      base: 'uncached',
      ops: summarize(series('cache on, miss-only (distinct tokens)').map((t) => t.opsPerSec)),
      ratio: ratio('cache on, miss-only (distinct tokens)', 'uncached, distinct tokens'),
    },
    { name: 'uncached, each token twice', base: '–', ops: summarize(series('uncached, each token twice').map((t) => t.opsPerSec)), ratio: summarize([]) },
    {
      name: 'cache on, churn (each token twice)',
      base: 'uncached, same tokens',
      ops: summarize(series('cache on, churn (each token twice)').map((t) => t.opsPerSec)),
      ratio: ratio('cache on, churn (each token twice)', 'uncached, each token twice'),
    },
  ];
  return { rows, ...(await cacheMemory(options, wrong)), wrong };
}

/**
 * Heap held by a cache of `maxEntries` after 1×, 3× and 10× as many distinct tokens, each
 * verified twice so that each is stored; then, with a fresh verifier, the heap after as many
 * distinct tokens seen once each (which the cache does not store). Each token string is made
 * fresh from bytes at verify time, as one read off a socket would be, so the cache is the only
 * thing left holding it.
 */
async function cacheMemory(options: CacheOptions, wrong: string[]): Promise<Pick<CacheResult, 'memory' | 'seenOnceHeapBytes'>> {
  const key = generateKey('ES256');
  const pool = mintMany(key, options.memoryTokens).map((token) => Buffer.from(token));
  const newVerifier = () =>
    createVerifier({ issuer: DEFAULT_ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: { keys: [key.jwk] }, resultCache: { maxEntries: options.maxEntries } });
  const verifyFresh = async (verifier: ReturnType<typeof newVerifier>, index: number) => {
    try {
      await verifier.verify((pool[index] as Buffer).toString());
    } catch (error) {
      wrong.push(`cache memory: valid token refused (${(error as Error).message})`);
    }
  };

  const verifier = newVerifier();
  // Warm the verifier (key import, JIT) with a token that stays in the cache's count.
  await verifyFresh(verifier, 0);
  await verifyFresh(verifier, 0);
  const memory = [{ tokens: 0, heapBytes: settledHeap() }];
  const marks = [options.maxEntries, options.maxEntries * 3, options.memoryTokens];
  let done = 0;
  for (const mark of marks) {
    for (; done < mark; done++) {
      await verifyFresh(verifier, done);
      await verifyFresh(verifier, done);
    }
    memory.push({ tokens: mark, heapBytes: settledHeap() });
  }

  const onceOnly = newVerifier();
  await verifyFresh(onceOnly, 0);
  const before = settledHeap();
  for (let index = 1; index < options.memoryTokens; index++) await verifyFresh(onceOnly, index);
  return { memory, seenOnceHeapBytes: settledHeap() - before };
}

export function cacheTables(result: CacheResult, options: CacheOptions): Table[] {
  const base = result.memory[0]?.heapBytes ?? 0;
  return [
    {
      title: 'Result cache — RS256, one call at a time',
      note: `maxEntries ${options.maxEntries}; miss-only: ${options.tokens} distinct tokens visited in order, each once (every lookup misses; a token seen once is not stored); churn: the same tokens each twice in a row (the second sighting stores it and evicts another; no lookup ever hits); ${options.hits} verifications of the repeated token; ${options.rounds} rounds, each interleaved in ${options.slices} slices; ratios per round.`,
      columns: ['workload', 'ops/s', 'ratio', 'against'],
      rows: result.rows.map((row) => [row.name, fmtSummary(row.ops), fmtRatio(row.ratio), row.base]),
    },
    {
      title: 'Result cache — heap held (ES256 tokens, after full GC)',
      note: `A verifier with resultCache { maxEntries: ${options.maxEntries} }; each token a fresh string, as if read from a request, verified twice so that it is stored. Last row: a fresh verifier, each token verified once (not stored).`,
      columns: ['distinct tokens verified', 'heap over empty cache', 'per entry'],
      rows: [
        ...result.memory.slice(1).map((m) => [
          `${fmt(m.tokens)}, twice each`,
          `${((m.heapBytes - base) / 1024 / 1024).toFixed(2)} MB`,
          `${fmt((m.heapBytes - base) / Math.min(m.tokens, options.maxEntries))} B`,
        ]),
        [`${fmt(options.memoryTokens)}, once each`, `${(result.seenOnceHeapBytes / 1024 / 1024).toFixed(2)} MB`, '–'],
      ],
    },
  ];
}

export function cacheTargets(result: CacheResult): Target[] {
  const hit = result.rows.find((row) => row.name.startsWith('hit'));
  const miss = result.rows.find((row) => row.name.startsWith('cache on'));
  const memory = result.memory;
  const atCapacity = (memory[1]?.heapBytes ?? 0) - (memory[0]?.heapBytes ?? 0);
  const atTenfold = (memory[memory.length - 1]?.heapBytes ?? 0) - (memory[0]?.heapBytes ?? 0);
  return [
    { name: 'result cache hit ≥ 10× raw crypto.verify', met: (hit?.ratio.median ?? 0) >= 10, detail: hit ? fmtRatio(hit.ratio) : '–' },
    { name: 'result cache miss-only ≤ 10 % slower than uncached', met: (miss?.ratio.median ?? 0) >= 0.9, detail: miss ? fmtRatio(miss.ratio) : '–' },
    {
      name: 'result cache memory bounded by its entry count',
      // Past capacity the heap must level off: 10× the tokens may not hold (much) more than 1×.
      met: atTenfold <= atCapacity * 1.25 + 256 * 1024,
      detail: `${(atCapacity / 1048576).toFixed(2)} MB at capacity, ${(atTenfold / 1048576).toFixed(2)} MB after ${fmt(memory[memory.length - 1]?.tokens ?? 0)} tokens`,
    },
  ];
}
