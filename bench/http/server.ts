/**
 * A benchmark server in its own process: `node --import tsx bench/http/server.ts '<AppConfig JSON>'`
 * with an IPC channel. It reports `{ ready, port }`, then answers the parent's questions about
 * itself — CPU time used (all threads) and heap after GC — so nothing about the server is
 * measured from the load generator's side of the socket.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startApp, type AppConfig } from './apps.js';

export type ServerRequest = { id: number; type: 'cpu' } | { id: number; type: 'heap' } | { id: number; type: 'close' };

export interface ServerReply {
  id: number;
  cpuMicros?: number;
  heapUsed?: number;
  rss?: number;
}

function gc(): void {
  const global = globalThis as { gc?: () => void };
  if (typeof global.gc !== 'function') {
    setFlagsFromString('--expose-gc');
    global.gc = runInNewContext('gc') as () => void;
  }
  // Several passes: weak references and finalizers release memory over more than one cycle.
  for (let i = 0; i < 4; i++) global.gc?.();
}

const config = JSON.parse(process.argv[2] as string) as AppConfig;
const app = await startApp(config);
const send = (message: unknown) => process.send?.(message);

process.on('message', async (message: ServerRequest) => {
  switch (message.type) {
    case 'cpu': {
      const { user, system } = process.cpuUsage();
      return send({ id: message.id, cpuMicros: user + system } satisfies ServerReply);
    }
    case 'heap': {
      // Let pending I/O callbacks and timers run first, then collect.
      await new Promise((resolve) => setTimeout(resolve, 50));
      gc();
      const { heapUsed, rss } = process.memoryUsage();
      return send({ id: message.id, heapUsed, rss } satisfies ServerReply);
    }
    case 'close':
      await app.close();
      send({ id: message.id });
      process.exit(0);
  }
});
// The parent going away ends the benchmark; never outlive it.
process.on('disconnect', () => process.exit(0));
send({ ready: true, port: app.port });
