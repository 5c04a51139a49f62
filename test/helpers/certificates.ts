/**
 * Self-signed X.509 certificates made by the `openssl` command (node:crypto cannot issue one),
 * with the private key that signs tokens under them.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  /** PEM `-----BEGIN CERTIFICATE-----`. */
  pem: string;
  /** Base64 DER, as an `x5c` entry carries it. */
  base64Der: string;
  privateKey: KeyObject;
}

/** A self-signed RSA-2048 certificate for `commonName`, valid for a day. */
export function selfSignedCertificate(commonName = 'token-signer.test'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'atg-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
      '-subj', `/CN=${commonName}`, '-keyout', keyPath, '-out', certPath,
    ], { stdio: 'ignore' });
    const pem = readFileSync(certPath, 'utf8');
    return {
      pem,
      base64Der: new X509Certificate(pem).raw.toString('base64'),
      privateKey: createPrivateKey(readFileSync(keyPath)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
