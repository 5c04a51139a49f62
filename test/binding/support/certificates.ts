/**
 * Certificates made for the test run with Debian's `openssl` CLI: self-signed client
 * certificates (RFC 8705 §2.2 self-signed binding needs no CA) and a server certificate for
 * 127.0.0.1. Each comes with its DER and the `x5t#S256` thumbprint a bound token carries.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  keyPem: string;
  certPem: string;
  der: Buffer;
  /** base64url(SHA-256(DER)): the token's cnf["x5t#S256"]. */
  thumbprint: string;
}

export function requireOpenssl(): void {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
  } catch {
    throw new Error('the `openssl` command is needed to generate test certificates: apt-get install -y openssl');
  }
}

/** A self-signed P-256 certificate; `ip` adds a subjectAltName for a server certificate. */
export function makeCertificate(commonName: string, options: { ip?: string } = {}): TestCertificate {
  requireOpenssl();
  const dir = mkdtempSync(join(tmpdir(), 'atg-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${commonName}`,
      ...(options.ip ? ['-addext', `subjectAltName=IP:${options.ip}`] : []),
    ], { stdio: 'pipe' });
    const certPem = readFileSync(certFile, 'utf8');
    const der = new X509Certificate(certPem).raw;
    return { keyPem: readFileSync(keyFile, 'utf8'), certPem, der, thumbprint: createHash('sha256').update(der).digest('base64url') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
