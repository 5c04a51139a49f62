/**
 * The command line, run as a user runs it (`node bin/access-token-guard.mjs …` in a child
 * process): the keys `keygen` makes really decrypt tokens encrypted to the public key it prints,
 * its thumbprint is the library's (and Auth0's), files are written safely, and mistakes exit 2.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CompactEncrypt, SignJWT, decodeProtectedHeader, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REASON_CODES, createVerifier, keyThumbprint } from '../src/index.js';
import { LocalIssuer } from '../src/testing.js';

const BIN = resolve(import.meta.dirname, '../bin/access-token-guard.mjs');
const ISSUER = 'https://issuer.example.com/';
const API = 'https://api.example.com';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function pemBlock(text: string, label: string): string {
  const match = new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`).exec(text);
  if (!match) throw new Error(`no ${label} in output:\n${text}`);
  return `${match[0]}\n`;
}

let signingKey: CryptoKey;
let signingJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  signingJwk = { ...(await exportJWK(pair.publicKey)), kid: 'sig', alg: 'RS256' };
});

/** A signed token encrypted to `publicPem`, as an issuer holding the uploaded key would make it. */
async function encryptedToken(publicPem: string, alg = 'RSA-OAEP-256', kid?: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jws = await new SignJWT({ iss: ISSUER, aud: API, sub: 's', azp: 'c', iat: now, exp: now + 60 }).setProtectedHeader({ alg: 'RS256', kid: 'sig', typ: 'JWT' }).sign(signingKey);
  return new CompactEncrypt(new TextEncoder().encode(jws)).setProtectedHeader({ alg, enc: 'A256GCM', cty: 'JWT', ...(kid ? { kid } : {}) }).encrypt(createPublicKey(publicPem));
}

describe('access-token-guard keygen', () => {
  it('prints a private key that decrypts tokens encrypted to the public key it prints, and its thumbprint', async () => {
    const { code, stdout, stderr } = await run('keygen');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const privatePem = pemBlock(stdout, 'PRIVATE KEY');
    const publicPem = pemBlock(stdout, 'PUBLIC KEY');
    const thumbprint = /thumbprint_sha256: ([A-Za-z0-9_-]{43})/.exec(stdout)?.[1];
    expect(thumbprint).toBe(await keyThumbprint(publicPem));
    expect(thumbprint).toBe(await keyThumbprint(privatePem));
    expect(createPublicKey(publicPem).asymmetricKeyDetails?.modulusLength).toBe(2048);

    const verifier = createVerifier({ issuer: ISSUER, audience: API, keys: [signingJwk], decryptionKeys: [privatePem], requireEncryption: true });
    expect((await verifier.verify(await encryptedToken(publicPem))).encrypted).toBe(true);
  });

  it('--json gives the keys, the thumbprint and the Auth0 token_encryption body', async () => {
    const { code, stdout } = await run('keygen', '--json', '--bits', '3072', '--alg', 'RSA-OAEP-512', '--kid', 'api-jwe-2025');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as {
      privateKeyPem: string;
      publicKeyPem: string;
      thumbprintSha256: string;
      bits: number;
      auth0: { token_encryption: { format: string; encryption_key: { alg: string; kid: string; pem: string } } };
    };
    expect(out.bits).toBe(3072);
    expect(createPublicKey(out.publicKeyPem).asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(out.thumbprintSha256).toBe(await keyThumbprint(out.privateKeyPem));
    expect(out.auth0.token_encryption).toEqual({
      format: 'compact-nested-jwe',
      encryption_key: { name: 'api-jwe-2025', alg: 'RSA-OAEP-512', kid: 'api-jwe-2025', pem: out.publicKeyPem },
    });

    const token = await encryptedToken(out.auth0.token_encryption.encryption_key.pem, 'RSA-OAEP-512', 'api-jwe-2025');
    expect(decodeProtectedHeader(token).kid).toBe('api-jwe-2025');
    const verifier = createVerifier({ issuer: ISSUER, audience: API, keys: [signingJwk], decryptionKeys: [{ kid: 'api-jwe-2025', key: out.privateKeyPem }] });
    expect((await verifier.verify(token)).encrypted).toBe(true);
  });

  describe('--out', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'atg-keygen-'));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes the private key with mode 600 and prints no secret', async () => {
      const { code, stdout } = await run('keygen', '--out', dir, '--kid', 'enc-1');
      expect(code).toBe(0);
      const privateFile = join(dir, 'enc-1.private.pem');
      const publicFile = join(dir, 'enc-1.public.pem');
      expect(statSync(privateFile).mode & 0o777).toBe(0o600);
      expect(stdout).not.toContain('PRIVATE KEY-----');
      expect(stdout).toContain(`thumbprint_sha256: ${await keyThumbprint(readFileSync(privateFile, 'utf8'))}`);
      expect(await keyThumbprint(readFileSync(publicFile, 'utf8'))).toBe(await keyThumbprint(readFileSync(privateFile, 'utf8')));
      expect(stdout).toContain('"format": "compact-nested-jwe"');
    });

    it('never overwrites a key pair, unless --force', async () => {
      expect((await run('keygen', '--out', dir)).code).toBe(0);
      const privateFile = join(dir, 'token-encryption.private.pem');
      const before = readFileSync(privateFile, 'utf8');
      const again = await run('keygen', '--out', dir);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already exist');
      expect(readFileSync(privateFile, 'utf8')).toBe(before);

      const forced = await run('keygen', '--out', dir, '--force');
      expect(forced.code).toBe(0);
      expect(readFileSync(privateFile, 'utf8')).not.toBe(before);
      expect(statSync(privateFile).mode & 0o777).toBe(0o600);
    });

    it('refuses when only the public half exists, writing nothing', async () => {
      writeFileSync(join(dir, 'token-encryption.public.pem'), 'old');
      const { code } = await run('keygen', '--out', dir);
      expect(code).toBe(1);
      expect(() => statSync(join(dir, 'token-encryption.private.pem'))).toThrow();
    });

    it('makes a kid safe as a file name', async () => {
      expect((await run('keygen', '--out', dir, '--kid', '../escape')).code).toBe(0);
      expect(statSync(join(dir, '__escape.private.pem')).isFile()).toBe(true);
    });
  });

  it.each([
    [['keygen', '--bits', '1024'], '--bits must be one of'],
    [['keygen', '--alg', 'RSA1_5'], '--alg must be one of'],
    [['keygen', '--kid', ''], '--kid must be'],
    [['keygen', '--force'], '--force only makes sense with --out'],
    [['keygen', '--nope'], 'Unknown option'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [[], 'a command is required'],
    [['thumbprint'], 'exactly one PEM file'],
    [['serve'], 'serve needs --config <guard.json>'],
    [['serve', '--config'], 'argument missing'],
  ])('exits 2 with the usage for %j', async (args, message) => {
    const { code, stderr, stdout } = await run(...args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('Usage:');
    expect(stdout).toBe('');
  });

  it('help exits 0', async () => {
    const { code, stdout } = await run('help');
    expect(code).toBe(0);
    expect(stdout).toContain('access-token-guard keygen');
  });
});

describe('access-token-guard thumbprint', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'atg-thumb-'));
    return () => rmSync(dir, { recursive: true, force: true });
  });

  it('prints the same key thumbprint, labelled, for the private key, the public key and a certificate', async () => {
    const { stdout } = await run('keygen', '--json');
    const { privateKeyPem, publicKeyPem, thumbprintSha256 } = JSON.parse(stdout) as Record<string, string>;
    writeFileSync(join(dir, 'private.pem'), privateKeyPem as string);
    writeFileSync(join(dir, 'public.pem'), publicKeyPem as string);
    // A self-signed certificate for that same key, as Auth0's dashboard also accepts.
    execFileSync('openssl', ['req', '-x509', '-new', '-key', join(dir, 'private.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=api.example.com'], { stdio: 'ignore' });
    for (const file of ['private.pem', 'public.pem', 'cert.pem']) {
      const result = await run('thumbprint', join(dir, file));
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe(`key thumbprint (RFC 7638; Auth0 thumbprint_sha256): ${thumbprintSha256}`);
    }
    expect((await run('thumbprint', join(dir, 'public.pem'))).stdout).not.toContain('x5t#S256');
  });

  it.each([
    ['EC P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['Ed25519', () => generateKeyPairSync('ed25519')],
  ])('prints the RFC 7638 thumbprint of an %s key, the one the library computes', async (_, generate) => {
    const { publicKey } = generate();
    const file = join(dir, `key-${Math.random().toString(36).slice(2)}.pem`);
    writeFileSync(file, publicKey.export({ format: 'pem', type: 'spki' }) as string);
    const result = await run('thumbprint', file);
    expect(result.stdout.split('\n')[0]).toBe(`key thumbprint (RFC 7638; Auth0 thumbprint_sha256): ${await keyThumbprint(publicKey)}`);
  });

  it("prints a certificate's x5t#S256 too, labelled: the SHA-256 of its DER, what mTLS-bound tokens carry", async () => {
    const der = execFileSync('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-outform', 'DER']);
    const expected = createHash('sha256').update(der).digest('base64url');
    const result = await run('thumbprint', join(dir, 'cert.pem'));
    expect(result.stdout).toContain(`certificate x5t#S256 (RFC 8705; cnf of mTLS-bound tokens): ${expected}`);
    const json = JSON.parse((await run('thumbprint', '--json', join(dir, 'cert.pem'))).stdout) as Record<string, string>;
    expect(json).toEqual({ thumbprintSha256: await keyThumbprint(readFileSync(join(dir, 'cert.pem'), 'utf8')), x5tS256: expected });
  });

  it('fails with exit code 1 on a missing or unreadable file', async () => {
    const missing = await run('thumbprint', join(dir, 'missing.pem'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read');
    writeFileSync(join(dir, 'junk.pem'), 'junk');
    const junk = await run('thumbprint', join(dir, 'junk.pem'));
    expect(junk.code).toBe(1);
    expect(junk.stderr).toContain('not a PEM key or certificate');
  });
});

describe('package.json', () => {
  it('declares the command, and the file is an executable node script', () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')) as { bin?: Record<string, string>; files?: string[] };
    expect(pkg.bin).toEqual({ 'access-token-guard': 'bin/access-token-guard.mjs' });
    expect(pkg.files).toContain('bin');
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
  });
});

describe('access-token-guard inspect', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await LocalIssuer.start({ audience: API });
    return () => issuer.close();
  });

  /** The command as a user runs it from a checkout: through tsx, which loads src/inspect.ts. */
  async function inspect(args: string[], stdin?: string): Promise<Run> {
    return new Promise((resolvePromise) => {
      const child = execFile(process.execPath, ['--import', 'tsx', BIN, 'inspect', ...args], { timeout: 60_000, cwd: resolve(import.meta.dirname, '..') }, (error, stdout, stderr) => {
        resolvePromise({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      });
      child.stdin?.end(stdin ?? '');
    });
  }

  it('exits 0 for a token the API would accept, after checking its signature against the issuer found by discovery', async () => {
    const { code, stdout } = await inspect([await issuer.mint(), '--issuer', issuer.issuer, '--audience', API]);
    expect(code).toBe(0);
    expect(stdout).toContain('looks like: Auth0 access token');
    expect(stdout).toMatch(/PASS signature\s+verified \(alg RS256/);
    expect(stdout).toMatch(/exp: \d+ {2}\(\d{4}-\d\d-\d\dT[\d:.]+Z, expires in 60 min\)/);
    expect(stdout).toContain('Verdict: ACCEPTED');
    expect(stdout).not.toContain('\u001b[');
  });

  it('exits 1 naming the failed check with the reason code and the hint the server logs', async () => {
    const { code, stdout } = await inspect([await issuer.mint(`${API}/`), '--issuer', issuer.issuer, '--audience', API]);
    expect(code).toBe(1);
    expect(stdout).toContain(`FAIL audience     aud is "${API}/", expected "${API}" (they differ by a trailing slash, which is significant)`);
    expect(stdout).toContain(`[audience_trailing_slash] ${REASON_CODES.audience_trailing_slash.hint}`);
    expect(stdout).toContain('Verdict: NOT ACCEPTED: audience_trailing_slash');
  });

  it('is offline without --issuer or --jwks-uri: decodes, skips the signature, exits 1', async () => {
    const hitsBefore = issuer.jwksHits;
    const { code, stdout } = await inspect([await issuer.mint({}, { expiresIn: -120 })]);
    expect(code).toBe(1);
    expect(stdout).toContain('SKIP signature');
    expect(stdout).toContain('offline');
    expect(stdout).toMatch(/expired 2 min ago/);
    expect(issuer.jwksHits).toBe(hitsBefore);
  });

  it('--json for scripts, with the token from stdin', async () => {
    const token = await issuer.mintRfc9068(API);
    const { code, stdout } = await inspect(['--json', '--jwks-uri', issuer.jwksUri, '--audience', API, '--issuer', issuer.issuer, '--dialect', 'auth0'], `${token}\n`);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { profile: string; accepted: boolean; checks: Array<{ name: string; status: string; reasonCode?: string }> };
    expect(report.profile).toContain('RFC 9068');
    expect(report.accepted).toBe(false);
    expect(report.checks.find((check) => check.name === 'profile')).toMatchObject({ status: 'fail', reasonCode: 'dialect_mismatch' });
    expect(report.checks.find((check) => check.name === 'signature')).toMatchObject({ status: 'pass' });
  });

  it.each([
    ['an opaque token', 'Xq3vNw9s0aZtqv1V3y6dQmNf2YpLr8Kc', 'opaque_token'],
    ['an ID token', 'id', 'looks_like_id_token'],
  ])('names %s', async (_, given, reasonCode) => {
    const token = given === 'id' ? await issuer.mint('demo-client-id', { nonce: 'n', scope: undefined }) : given;
    const { code, stdout } = await inspect([token, '--audience', API]);
    expect(code).toBe(1);
    expect(stdout).toContain(`[${reasonCode}]`);
    if (given === 'id') expect(stdout).toContain('looks like: ID token');
  });

  it('exits 2 with the usage for a bad option', async () => {
    const { code, stderr } = await inspect(['x', '--dialect', 'okta2']);
    expect(code).toBe(2);
    expect(stderr).toContain('--dialect must be');
  });
});
