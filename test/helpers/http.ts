/** Real HTTP servers on 127.0.0.1 for tests, and a port nothing listens on. */
import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** Starts `server` (or a node:http server around `listener`) on an ephemeral loopback port. */
export async function listen(serverOrListener: Server | RequestListener): Promise<RunningServer> {
  const server = typeof serverOrListener === 'function' ? createServer(serverOrListener) : serverOrListener;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** A server that answers every request with `body` as JSON and counts the requests. */
export async function countingJsonServer(body: unknown): Promise<RunningServer & { readonly hits: number }> {
  let hits = 0;
  const running = await listen((_request, response) => {
    hits++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  return {
    ...running,
    get hits() {
      return hits;
    },
  };
}

/** A loopback port that was just free and that nothing listens on now. */
export async function closedPort(): Promise<number> {
  const running = await listen(() => undefined);
  const port = Number(new URL(running.origin).port);
  await running.close();
  return port;
}

/** A GET whose headers may repeat (an array sends one line per value): `fetch` would join them. */
export function rawGet(port: number, path: string, headers: Record<string, string | string[]>): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text || '{}') as Record<string, unknown> }));
    });
    for (const [name, value] of Object.entries(headers)) request.setHeader(name, value);
    request.on('error', reject);
    request.end();
  });
}
