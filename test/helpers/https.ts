/** HTTP(S) requests from a test client that may present a client certificate. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): unknown;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  /** Client certificate and key (PEM) to present. */
  cert?: string;
  key?: string;
  /** The server certificate to trust (PEM). */
  ca?: string;
}

export function send(url: string, init: RequestInit = {}): Promise<Reply> {
  const target = new URL(url);
  const requestFn = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requestFn(
      target,
      { method: init.method ?? 'GET', headers: init.headers, cert: init.cert, key: init.key, ca: init.ca, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
