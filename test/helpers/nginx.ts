/**
 * A real nginx terminating TLS in front of the app, as an mTLS edge does: it asks for a client
 * certificate (any: `optional_no_ca`, the binding is what matters), forwards it URL-encoded in
 * `X-Client-Cert` (overwriting whatever the client sent), and passes the scheme and Host on.
 * Started in the foreground on 127.0.0.1 with its files in a temporary directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './http.js';
import { stopProcess } from './process.js';

export interface Edge {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  stop(): Promise<void>;
}

export function findNginx(): string {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    if (!spawnSync(candidate, ['-v'], { stdio: 'ignore' }).error) return candidate;
  }
  throw new Error('nginx is not installed; the reverse-proxy mTLS test needs it: apt-get install -y nginx');
}

export async function startEdge(upstreamPort: number, server: { certPem: string; keyPem: string }): Promise<Edge> {
  return startNginx((dir, port) => {
    writeFileSync(join(dir, 'server.pem'), server.certPem);
    writeFileSync(join(dir, 'server.key'), server.keyPem);
    return `
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/server.pem;
    ssl_certificate_key ${dir}/server.key;
    ssl_verify_client optional_no_ca;
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Client-Cert $ssl_client_escaped_cert;
    }
  }`;
  }, 'https');
}

/**
 * A real nginx in the foreground on a free loopback port, its files in a temporary directory:
 * `http` writes what goes in the `http { }` block (given the directory and the port to listen on).
 */
export async function startNginx(http: (dir: string, port: number) => string, scheme: 'http' | 'https' = 'http'): Promise<Edge> {
  const nginx = findNginx();
  const dir = mkdtempSync(join(tmpdir(), 'atg-nginx-'));
  const port = await closedPort();
  writeFileSync(join(dir, 'nginx.conf'), `
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http(dir, port)}
}
`);
  const child = spawn(nginx, ['-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  await waitForPort(port, child, () => output, 'nginx');
  return {
    origin: `${scheme}://127.0.0.1:${port}`,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `port` accepts connections; fails if `child` exits or 10 s pass. */
export async function waitForPort(port: number, child: ChildProcess, output: () => string, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}): ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not listen on ${port} within 10 s: ${output()}`);
}
