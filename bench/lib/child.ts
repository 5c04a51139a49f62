/** Server processes for the HTTP and memory benchmarks, and the IPC questions the parent asks. */
import { fork, type ChildProcess } from 'node:child_process';
import type { AppConfig } from '../http/apps.js';
import type { ServerReply } from '../http/server.js';
import { bundle } from './bundle.js';

export class ServerProcess {
  readonly port: number;
  readonly #child: ChildProcess;
  #nextId = 0;
  readonly #pending = new Map<number, (reply: ServerReply) => void>();

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.port = port;
    child.on('message', (message: ServerReply) => {
      const resolve = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      resolve?.(message);
    });
  }

  /** Starts `bench/http/server.ts`, compiled, for `config` (with `--expose-gc`); waits for its port. */
  static start(config: AppConfig, execArgv: string[] = []): Promise<ServerProcess> {
    return ServerProcess.fork('bench/http/server.ts', 'server', config, `${config.framework}/${config.variant}`, execArgv);
  }

  /**
   * Starts `entry` (compiled) with `argument` as JSON in argv and an IPC channel; it must send
   * `{ ready, port }` first and answer the `cpu`, `heap` and `close` questions of `ServerRequest`.
   */
  static async fork(entry: string, name: string, argument: unknown, label: string, execArgv: string[] = []): Promise<ServerProcess> {
    const server = await bundle(entry, name);
    const child = fork(server, [JSON.stringify(argument)], {
      execArgv: ['--expose-gc', ...execArgv],
      // NODE_ENV=production would make express-oauth2-jwt-bearer refuse the loopback http issuer.
      env: { ...process.env, NODE_ENV: 'benchmark' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label}: no ready message in 60 s`)), 60_000);
      child.once('exit', (code) => reject(new Error(`${label} exited with ${code} before ready`)));
      child.once('message', (message: { ready?: boolean; port?: number }) => {
        clearTimeout(timer);
        if (message.ready && message.port) resolve(message.port);
        else reject(new Error(`unexpected first message ${JSON.stringify(message)}`));
      });
    });
    return new ServerProcess(child, port);
  }

  #ask(type: 'cpu' | 'heap' | 'close'): Promise<ServerReply> {
    const id = ++this.#nextId;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.send({ id, type });
    });
  }

  /** CPU time the server process has used so far (user + system, every thread), µs. */
  async cpuMicros(): Promise<number> {
    return (await this.#ask('cpu')).cpuMicros as number;
  }

  /** Heap in use after full GCs in the server process, bytes. */
  async heapUsed(): Promise<number> {
    return (await this.#ask('heap')).heapUsed as number;
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#ask('close').catch(() => undefined);
    const timer = setTimeout(() => this.#child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  }
}
