/**
 * The same binding code on the WebCrypto backend (edge runtimes): a certificate-bound and a
 * DPoP-bound token accepted, their refusals unchanged; and no Node built-in in src/binding.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { webCrypto } from '../../src/crypto/web.js';
import { boundTokens } from '../../src/features.js';
import { createVerifierWith } from '../../src/verifier.js';
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js';
import { proof, proofKey, type ProofKey } from '../helpers/proofs.js';
import { createTestIssuer, type TestIssuer } from '../helpers/tokens.js';

const URL_ = 'https://api.binding.test/edge';
let issuer: TestIssuer;
let key: ProofKey;
let certificate: TestCertificate;

beforeAll(async () => {
  issuer = await createTestIssuer();
  key = await proofKey('ES256');
  certificate = makeCertificate('edge-client');
});

describe('binding on the WebCrypto backend', () => {
  it('checks a certificate-bound token', async () => {
    const verifier = createVerifierWith(webCrypto, issuer.options({ mtls: { certificateHeader: 'x-client-cert' } }), boundTokens);
    const token = await issuer.mint({ cnf: { 'x5t#S256': certificate.thumbprint } });
    const headers = { 'x-client-cert': encodeURIComponent(certificate.certPem) };
    expect((await verifier.verify(token, { headers })).binding).toBe('mtls');
    await expect(verifier.verify(token, { headers: {} })).rejects.toMatchObject({ code: 'invalid_token', status: 401 });
  });

  it('checks a DPoP-bound token, its proof and replays', async () => {
    const verifier = createVerifierWith(webCrypto, issuer.options({ dpop: { nonce: { secret: 's'.repeat(32) } } }), boundTokens);
    const token = await issuer.mint({ cnf: { jkt: key.jkt } });
    const request = (dpop: string) => ({ method: 'GET', url: URL_, headers: new Headers({ authorization: `DPoP ${token}`, dpop }) });
    const first = verifier.verifyRequest(request(await proof(key, { url: URL_, token })));
    await expect(first).rejects.toMatchObject({ code: 'use_dpop_nonce' });
    const nonce = ((await first.catch((error: { headers: Record<string, string> }) => error)) as { headers: Record<string, string> }).headers['DPoP-Nonce'] as string;
    const good = await proof(key, { url: URL_, token, claims: { nonce } });
    expect((await verifier.verifyRequest(request(good))).binding).toBe('dpop');
    await expect(verifier.verifyRequest(request(good))).rejects.toMatchObject({ code: 'invalid_dpop_proof', reason: expect.stringMatching(/replay/) });
  });

  it('src/binding imports no Node built-in', () => {
    const dir = join(import.meta.dirname, '../../src/binding');
    for (const file of readdirSync(dir)) {
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/from ['"]node:/);
    }
  });
});
