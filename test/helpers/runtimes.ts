/**
 * Bun and Deno binaries from the npm registry (the `bun` and `deno` packages, pinned in
 * test/runtimes/package.json, which scripts/test.sh installs with `--ignore-scripts`, so each
 * binary is inside its platform package), and a way to run a script on them as a server. Linux x64
 * only. Tests that use them are `*.runtime.test.ts` and run in the runtime suite
 * (vitest.runtimes.config.ts).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const BINARIES = resolve(import.meta.dirname, '../runtimes/node_modules');

export interface Runtime {
  name: 'Bun' | 'Deno';
  binary: string;
  /** Arguments before the script's path. */
  args: string[];
}

function firstWorking(name: string, candidates: string[]): string {
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore', timeout: 20_000 });
      return candidate;
    } catch {
      // a placeholder left by a package whose install script did not run: try the next one
    }
  }
  throw new Error(`no working ${name} binary in ${candidates.join(', ')}: run scripts/test.sh, which installs test/runtimes (Linux x64)`);
}

export function bun(): Runtime {
  const binary = firstWorking('bun', [join(BINARIES, '@oven/bun-linux-x64/bin/bun')]);
  return { name: 'Bun', binary, args: ['run'] };
}

export function deno(): Runtime {
  const binary = firstWorking('deno', [join(BINARIES, '@deno/linux-x64-glibc/deno')]);
  return { name: 'Deno', binary, args: ['run', '--quiet', '--allow-net=127.0.0.1', '--allow-read', '--allow-env', '--allow-sys'] };
}

export interface RuntimeServer {
  /** `http://127.0.0.1:<port>`, as the script printed it (`listening on <origin>`). */
  origin: string;
  stop(): void;
}

/** Runs `script` on `runtime` in `cwd` until it prints `listening on http://127.0.0.1:<port>`. */
export function startOn(runtime: Runtime, script: string, cwd: string, env: Record<string, string> = {}): Promise<RuntimeServer> {
  const child: ChildProcess = spawn(runtime.binary, [...runtime.args, script], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${runtime.name} ${script} did not start:\n${output}`));
    }, 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ origin: match[1] as string, stop });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime.name} ${script} exited with ${code}:\n${output}`));
    });
  });
}
