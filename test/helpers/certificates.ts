/**
 * Certificates made for the test run with Debian's `openssl` command (node:crypto cannot issue
 * one): self-signed client certificates (RFC 8705 §2.2 self-signed binding needs no CA), a server
 * certificate for 127.0.0.1, and RSA certificates whose key signs tokens. Each comes with its
 * private key, its DER (and base64 DER, as an `x5c` entry carries it) and the `x5t#S256`
 * thumbprint a bound token carries.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  /** PEM of the private key. */
  keyPem: string;
  privateKey: KeyObject;
  /** PEM `-----BEGIN CERTIFICATE-----`. */
  certPem: string;
  der: Buffer;
  /** Base64 DER, as an `x5c` entry carries it. */
  base64Der: string;
  /** base64url(SHA-256(DER)): the token's cnf["x5t#S256"]. */
  thumbprint: string;
}

export interface CertificateOptions {
  /** `ec` (P-256, the default) or `rsa` (2048 bits: a key that signs RS256 tokens). */
  key?: 'ec' | 'rsa';
  /** Adds a subjectAltName for a server certificate. */
  ip?: string;
}

export function requireOpenssl(): void {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
  } catch {
    throw new Error('the `openssl` command is needed to generate test certificates: apt-get install -y openssl');
  }
}

/** A self-signed certificate for `commonName`, valid for two days. */
export function makeCertificate(commonName = 'token-signer.test', { key = 'ec', ip }: CertificateOptions = {}): TestCertificate {
  requireOpenssl();
  const dir = mkdtempSync(join(tmpdir(), 'atg-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    const newKey = key === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
    execFileSync('openssl', [
      'req', '-x509', ...newKey, '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${commonName}`,
      ...(ip ? ['-addext', `subjectAltName=IP:${ip}`] : []),
    ], { stdio: 'pipe' });
    const certPem = readFileSync(certFile, 'utf8');
    const keyPem = readFileSync(keyFile, 'utf8');
    const der = new X509Certificate(certPem).raw;
    return {
      keyPem,
      privateKey: createPrivateKey(keyPem),
      certPem,
      der,
      base64Der: der.toString('base64'),
      thumbprint: createHash('sha256').update(der).digest('base64url'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
