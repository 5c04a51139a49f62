/** What the figures were measured on: they mean little without it. */
import { cpus, loadavg, totalmem } from 'node:os';

export function machine(): string {
  const list = cpus();
  const model = list[0]?.model.trim() ?? 'unknown CPU';
  return [
    `CPU: ${model}, ${list.length} cores`,
    `Node ${process.version} (V8 ${process.versions.v8}, OpenSSL ${process.versions.openssl}), ${process.platform}/${process.arch}`,
    `Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  ].join('\n');
}

/** The 1-minute load average: a busy machine explains wide min–max ranges. */
export function load(): string {
  return loadavg()[0]?.toFixed(2) ?? '?';
}
