/**
 * The service's structured log: one JSON object per line. A decision's line has its status,
 * decision, error code, reason, route and duration, and never the token. Values a client or a
 * token supplied (path, subject, client id, reason) are JSON strings — quoted, with every control
 * character escaped — and cut to a bounded length, so no request can forge or flood a log line.
 */
import type { DecisionFacts } from './decision.js';

export type LogLevel = 'all' | 'refusals' | 'off';

/** Where lines go: `process.stdout` by default; a test or an embedding app may collect them. */
export type LogSink = (line: string) => void;

const MAX_VALUE = 512;

export function decisionLine(facts: DecisionFacts, durationMs: number): string {
  const record: Record<string, unknown> = { time: new Date().toISOString(), level: facts.status >= 500 ? 'error' : facts.status >= 400 ? 'warn' : 'info', msg: 'decision' };
  for (const [name, value] of Object.entries(facts)) if (value !== undefined) record[name] = bounded(value);
  record.durationMs = Math.round(durationMs * 1000) / 1000;
  return JSON.stringify(record);
}

export function eventLine(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): string {
  const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) record[name] = bounded(value);
  return JSON.stringify(record);
}

export function shouldLog(level: LogLevel, status: number): boolean {
  return level === 'all' || (level === 'refusals' && status !== 200);
}

function bounded(value: unknown): unknown {
  return typeof value === 'string' && value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
}
