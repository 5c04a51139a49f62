/**
 * Every benchmark, in the order they run, with the settings of the full and the quick
 * mode. `run.ts` prints what this returns; `test/bench.test.ts` runs the quick mode and checks
 * that every decision was right. Nothing here asserts a time.
 */
import { cacheTables, cacheTargets, runCache, type CacheOptions } from './cache.js';
import { coldStartTables, runColdStart, type ColdStartOptions } from './coldstart.js';
import { footprintTables, runFootprint, type FootprintOptions } from './footprint.js';
import { coreTables, coreTargets, runCore, runThreadpool, threadpoolTable, type CoreOptions } from './core.js';
import { gatewayTables, gatewayTargets, runGateway, type GatewayBenchOptions } from './gateway.js';
import { httpTables, httpTargets, runHttp, type HttpOptions } from './http.js';
import { introspectionTables, runIntrospection, type IntrospectionBenchOptions } from './introspection.js';
import { jwksTables, jwksTargets, runJwks, type JwksOptions } from './jwks-load.js';
import { load } from './lib/machine.js';
import type { Table, Target } from './lib/stats.js';
import { memoryTables, memoryTargets, runMemory, type MemoryOptions } from './memory.js';

export interface Settings {
  core: CoreOptions;
  threadpool: { verifies: number; rounds: number };
  cache: CacheOptions;
  http: HttpOptions;
  jwks: JwksOptions;
  memory: MemoryOptions;
  coldStart: ColdStartOptions;
  gateway: GatewayBenchOptions;
  footprint: FootprintOptions;
  introspection: IntrospectionBenchOptions;
}

export const FULL: Settings = {
  core: { tokens: 2000, rounds: 8, slices: 10 },
  threadpool: { verifies: 5000, rounds: 5 },
  cache: { tokens: 2000, maxEntries: 1000, rounds: 8, slices: 10, hits: 50_000, memoryTokens: 10_000 },
  http: { duration: 3, warmup: 2, rounds: 5, tokens: 1000 },
  jwks: { delayMs: 20, concurrent: 500, floodTokens: 2000, floodSeconds: 5, shortCooldown: 1 },
  memory: { tokens: 100_000, floodTokens: 20_000, warmup: 2000, connections: 50 },
  coldStart: { runs: 7 },
  gateway: { duration: 5, warmup: 2, rounds: 5, tokens: 1000 },
  footprint: { importRuns: 15 },
  introspection: { duration: 3, warmup: 2, rounds: 5, pool: 500 },
};

/** Tiny rounds of every table: proves the harness and every decision, in well under two minutes. */
export const QUICK: Settings = {
  core: { tokens: 60, rounds: 1, slices: 2 },
  threadpool: { verifies: 200, rounds: 1 },
  cache: { tokens: 200, maxEntries: 50, rounds: 1, slices: 2, hits: 1000, memoryTokens: 500 },
  http: { duration: 0.5, warmup: 0, rounds: 1, tokens: 50 },
  jwks: { delayMs: 20, concurrent: 50, floodTokens: 100, floodSeconds: 1, shortCooldown: 0.3 },
  memory: { tokens: 1000, floodTokens: 200, warmup: 100, connections: 10 },
  coldStart: { runs: 1 },
  gateway: { duration: 0.5, warmup: 0, rounds: 1, tokens: 50 },
  footprint: { importRuns: 1 },
  introspection: { duration: 0.5, warmup: 0, rounds: 1, pool: 50 },
};

/** The default run. */
export const SECTIONS = ['core', 'cache', 'http', 'jwks', 'memory', 'coldstart', 'gateway', 'footprint'] as const;
/** Sections run only when named (`--only=introspection`): they measure optional features. */
export const OPTIONAL_SECTIONS = ['introspection'] as const;
export type SectionName = (typeof SECTIONS)[number] | (typeof OPTIONAL_SECTIONS)[number];

export interface SectionReport {
  name: SectionName;
  tables: Table[];
  targets: Target[];
  /** Wrong decisions and errors: any entry fails the run. */
  wrong: string[];
  seconds: number;
  /** 1-minute load average before and after. */
  load: [string, string];
}

type Runner = (settings: Settings) => Promise<Omit<SectionReport, 'name' | 'seconds' | 'load'>>;

const RUNNERS: Record<SectionName, Runner> = {
  async core(settings) {
    const results = await runCore(settings.core);
    const threadpool = await runThreadpool(settings.threadpool);
    return { tables: [...coreTables(results, settings.core), threadpoolTable(threadpool)], targets: coreTargets(results), wrong: results.flatMap((r) => r.wrong) };
  },
  async cache(settings) {
    const result = await runCache(settings.cache);
    return { tables: cacheTables(result, settings.cache), targets: cacheTargets(result), wrong: result.wrong };
  },
  async http(settings) {
    const results = await runHttp(settings.http);
    return { tables: httpTables(results, settings.http), targets: httpTargets(results), wrong: results.flatMap((r) => r.wrong) };
  },
  async jwks(settings) {
    const result = await runJwks(settings.jwks);
    return { tables: jwksTables(result, settings.jwks), targets: jwksTargets(result), wrong: result.wrong };
  },
  async memory(settings) {
    const result = await runMemory(settings.memory);
    return { tables: memoryTables(result, settings.memory), targets: memoryTargets(result), wrong: result.wrong };
  },
  async introspection(settings) {
    const result = await runIntrospection(settings.introspection);
    return { tables: introspectionTables(result, settings.introspection), targets: [], wrong: result.wrong };
  },
  async coldstart(settings) {
    const result = await runColdStart(settings.coldStart);
    return { tables: coldStartTables(result, settings.coldStart), targets: [], wrong: result.wrong };
  },
  async gateway(settings) {
    const result = await runGateway(settings.gateway);
    return { tables: gatewayTables(result, settings.gateway), targets: gatewayTargets(result), wrong: result.wrong };
  },
  async footprint(settings) {
    const result = await runFootprint(settings.footprint);
    return { tables: footprintTables(result, settings.footprint), targets: [], wrong: result.wrong };
  },
};

/** Runs the sections in order, handing each report to `onSection` as soon as it is done. */
export async function runSuite(
  settings: Settings,
  sections: readonly SectionName[] = SECTIONS,
  onSection: (report: SectionReport) => void = () => undefined,
): Promise<SectionReport[]> {
  const reports: SectionReport[] = [];
  for (const name of sections) {
    const before = load();
    const start = performance.now();
    let report: SectionReport;
    try {
      const result = await RUNNERS[name](settings);
      report = { name, ...result, seconds: (performance.now() - start) / 1000, load: [before, load()] };
    } catch (error) {
      // A section that crashes is a failed run, reported like a wrong decision, not a lost one.
      report = { name, tables: [], targets: [], wrong: [`${name} failed: ${(error as Error)?.stack ?? String(error)}`], seconds: (performance.now() - start) / 1000, load: [before, load()] };
    }
    reports.push(report);
    onSection(report);
  }
  return reports;
}
