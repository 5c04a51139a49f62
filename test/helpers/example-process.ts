/** Runs an example under examples/ as a user would (`tsx examples/<file>`), configured by its environment. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ExampleProcess {
  /** `http://127.0.0.1:<port>`, from the example's `listening on …` line. */
  base: string;
  stop(): void;
}

/** Starts `examples/<example>` with `env` added, and resolves once it says where it listens. */
export async function startExample(example: string, env: Record<string, string>): Promise<ExampleProcess> {
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'examples', example)], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const base = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      stopGroup(child);
      reject(new Error(`${example} did not start:\n${output}`));
    }, 45_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${example} exited with ${code}:\n${output}`));
    });
  });
  return { base, stop: () => stopGroup(child) };
}

/** tsx runs the example in a child process of its own: end the group we started. */
function stopGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
