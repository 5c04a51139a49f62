/** Timing loops shared by the in-process tables (core, result cache). */
import { cpuUsage } from 'node:process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { rotate } from './stats.js';

/**
 * One way of verifying a token: `run` answers true/a result when accepted, and false or throws
 * when refused. `async` rows are awaited one call at a time, as a request handler would.
 */
export interface Contender<Input = unknown> {
  name: string;
  async: boolean;
  /** Turns the token pool into this contender's inputs (the raw floor pre-decodes them). */
  inputs(tokens: readonly string[]): Input[];
  run(input: Input): unknown;
}

export interface Timing {
  opsPerSec: number;
  cpuMicrosPerOp: number;
  /** Calls refused or thrown: for a pool of valid tokens, every one is a wrong decision. */
  refused: number;
  firstError?: unknown;
}

/** Runs `contender` over `inputs`, one call at a time, adding the time taken to `into`. */
interface Totals {
  seconds: number;
  cpuMicros: number;
  calls: number;
  refused: number;
  firstError: unknown;
}

async function timeSlice<Input>(contender: Contender<Input>, inputs: readonly Input[], into: Totals): Promise<void> {
  const cpu = cpuUsage();
  const start = process.hrtime.bigint();
  if (contender.async) {
    for (const input of inputs) {
      try {
        if ((await contender.run(input)) === false) into.refused++;
      } catch (error) {
        into.refused++;
        into.firstError ??= error;
      }
    }
  } else {
    for (const input of inputs) {
      try {
        if (contender.run(input) === false) into.refused++;
      } catch (error) {
        into.refused++;
        into.firstError ??= error;
      }
    }
  }
  const used = cpuUsage(cpu);
  into.seconds += Number(process.hrtime.bigint() - start) / 1e9;
  into.cpuMicros += used.user + used.system;
  into.calls += inputs.length;
}

export interface Entry<Input = any> {
  contender: Contender<Input>;
  inputs: readonly Input[];
}

/**
 * One round: every contender goes through all of its inputs, in `slices` interleaved slices
 * (rotated order within each), so that a burst of load from elsewhere on the machine lands on
 * all of them alike instead of on whichever happened to be running. Ratios stay meaningful on a
 * busy machine; absolute figures less so.
 */
export async function timeRound(entries: readonly Entry[], slices: number, round = 0): Promise<Timing[]> {
  const totals: Totals[] = entries.map(() => ({ seconds: 0, cpuMicros: 0, calls: 0, refused: 0, firstError: undefined }));
  const order = entries.map((entry, index) => ({ entry, index }));
  for (let slice = 0; slice < slices; slice++) {
    for (const { entry, index } of rotate(order, round + slice)) {
      const from = Math.floor((entry.inputs.length * slice) / slices);
      const to = Math.floor((entry.inputs.length * (slice + 1)) / slices);
      await timeSlice(entry.contender, entry.inputs.slice(from, to), totals[index] as Totals);
    }
  }
  return totals.map((t) => ({ opsPerSec: t.calls / t.seconds, cpuMicrosPerOp: t.cpuMicros / t.calls, refused: t.refused, firstError: t.firstError }));
}

/** Whether a contender accepts one token (for the refusal checks: a forgery must answer false). */
export async function accepts<Input>(contender: Contender<Input>, token: string): Promise<boolean> {
  const [input] = contender.inputs([token]);
  try {
    const answer = await contender.run(input as Input);
    return answer !== false;
  } catch {
    return false;
  }
}

let collect: (() => void) | undefined;

/** A full GC, whether or not node was started with --expose-gc. */
export function fullGc(): void {
  if (!collect) {
    const global = globalThis as { gc?: () => void };
    if (typeof global.gc === 'function') collect = global.gc;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
  }
  for (let i = 0; i < 3; i++) collect();
}

/** Heap in use after a full GC, bytes. */
export function settledHeap(): number {
  fullGc();
  return process.memoryUsage().heapUsed;
}
