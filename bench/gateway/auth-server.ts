/**
 * The auth endpoint nginx asks, in its own process (same IPC protocol as bench/http/server.ts:
 * `{ ready, port }`, then `cpu` and `close`): the forward-auth service built from a configuration,
 * or — the floor — a server that answers 200 without checking anything.
 */
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createForwardAuthServer, type GatewayConfig } from '../../src/gateway/index.js';
import type { ServerRequest } from '../http/server.js';

export interface AuthServerConfig {
  /** undefined: the floor. */
  gateway?: GatewayConfig;
}

const config = JSON.parse(process.argv[2] as string) as AuthServerConfig;
const send = (message: unknown) => process.send?.(message);

let port: number;
let close: () => Promise<void>;
if (config.gateway) {
  // Log lines are written as in production, to a stream; nobody reads them here.
  const sink = createWriteStream('/dev/null');
  const service = await createForwardAuthServer(config.gateway, { log: (line) => void sink.write(`${line}\n`) });
  port = service.port;
  close = service.close;
} else {
  const server = createServer({ keepAliveTimeout: 75_000 }, (_request, response) => {
    // As the service answers a 200: no body, so nginx keeps the connection.
    response.writeHead(200, { 'content-length': '0' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  close = () => new Promise((resolve) => server.close(() => resolve()));
}

process.on('message', async (message: ServerRequest) => {
  switch (message.type) {
    case 'cpu': {
      const { user, system } = process.cpuUsage();
      return send({ id: message.id, cpuMicros: user + system });
    }
    case 'heap':
      return send({ id: message.id, heapUsed: process.memoryUsage().heapUsed });
    case 'close':
      await close();
      send({ id: message.id });
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
send({ ready: true, port });
