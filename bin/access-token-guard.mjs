#!/usr/bin/env node
/**
 * access-token-guard command line.
 *
 *   keygen      an RSA key pair for encrypted access tokens: the private key for the API's
 *               `decryptionKeys`, the public key to upload to the issuer, and its thumbprint
 *   thumbprint  the SHA-256 thumbprint of a key or certificate PEM, to compare with the issuer's,
 *               and for a certificate its `x5t#S256`, what mTLS-bound tokens carry
 *   inspect     a token decoded, the profile it looks like, and every check the API would make
  *   serve       the forward-auth service a gateway (nginx, Caddy, Traefik, Envoy) asks before
  *               forwarding a request, from a JSON configuration file (schema/guard.schema.json)
 *
 * The thumbprint is the RFC 7638 JWK thumbprint (SHA-256, base64url): what Auth0 shows as
 * `thumbprint_sha256` for an API's encryption key, computed as Auth0's documentation does
 * (the public key as a JWK, then its thumbprint), and the same value as the library's
 * `keyThumbprint` (test/bin.test.ts compares them). Plain JavaScript on node:crypto alone, so it
 * runs from the package, which carries no jose of its own to import (the build has it inside).
 */
import { X509Certificate, createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ALGORITHMS = ['RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'];
const SIZES = ['2048', '3072', '4096'];

const USAGE = `Usage:
  access-token-guard keygen [--bits 2048|3072|4096] [--alg RSA-OAEP-256|RSA-OAEP-384|RSA-OAEP-512]
                            [--kid <kid>] [--out <dir> [--force]] [--json]
      Generates an RSA key pair for encrypted (JWE) access tokens. Without --out, prints the
      private key, the public key and the thumbprint; with --out, writes <name>.private.pem
      (mode 600) and <name>.public.pem into <dir> and prints only public information.
  access-token-guard thumbprint <key-or-certificate.pem> [--json]
      Prints the key's SHA-256 thumbprint (RFC 7638), as Auth0 shows thumbprint_sha256, and for a
      certificate also its x5t#S256 (RFC 8705), which certificate-bound tokens carry in cnf.
  access-token-guard inspect [<token> | -] [--issuer <url>] [--audience <id>]... [--jwks-uri <url>]
                             [--dialect auth0|rfc9068|any|cognito|entra|okta|keycloak] [--alg <alg>]... [--clock-tolerance <s>] [--json]
      Decodes the token (from stdin when absent or "-"), says which profile it looks like, and runs
      every check the API would: exit 0 only when it would be accepted, 1 otherwise. Offline unless
      given --jwks-uri or --issuer (then the signature is checked against the issuer's keys).
  access-token-guard serve --config <guard.json>
      Runs the forward-auth service for nginx, Caddy, Traefik or Envoy (README: Gateway mode).
      Logs one JSON line per decision on stdout; SIGTERM or SIGINT stop it once requests in
      flight are answered.
  access-token-guard help`;

/** A mistake in how the command was called: exit code 2, with the usage. */
class UsageError extends Error {}

async function main(argv) {
  const [command, ...rest] = argv;
  switch (command) {
    case 'keygen':
      return keygen(rest);
    case 'thumbprint':
      return thumbprint(rest);
    case 'inspect':
      return inspect(rest);
    case 'serve':
      return serve(rest);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    case undefined:
      throw new UsageError('a command is required');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function keygen(args) {
  const { values } = parse(args, {
    bits: { type: 'string', default: '2048' },
    alg: { type: 'string', default: 'RSA-OAEP-256' },
    kid: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  if (!SIZES.includes(values.bits)) throw new UsageError(`--bits must be one of ${SIZES.join(', ')}`);
  if (!ALGORITHMS.includes(values.alg)) throw new UsageError(`--alg must be one of ${ALGORITHMS.join(', ')}`);
  // Auth0 takes a kid of 1 to 128 characters; it is written as is into every token's header.
  if (values.kid !== undefined && !/^[\x21-\x7e]{1,128}$/.test(values.kid)) {
    throw new UsageError('--kid must be 1 to 128 printable characters without spaces');
  }
  if (values.force && values.out === undefined) throw new UsageError('--force only makes sense with --out');

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: Number(values.bits) });
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' });
  const thumbprintSha256 = await thumbprintOf(publicPem);
  const encryptionKey = { name: values.kid ?? 'access-token-guard', alg: values.alg, pem: publicPem, ...(values.kid ? { kid: values.kid } : {}) };
  const auth0 = { token_encryption: { format: 'compact-nested-jwe', encryption_key: encryptionKey } };

  if (values.out !== undefined) {
    // The kid names the files, made safe as a file name (a kid may hold any printable character).
    const name = values.kid === undefined ? 'token-encryption' : values.kid.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
    const files = writeKeyFiles(values.out, name, privatePem, publicPem, values.force);
    const summary = { ...files, thumbprintSha256, alg: values.alg, kid: values.kid, bits: Number(values.bits), auth0 };
    if (values.json) return print(JSON.stringify(summary, null, 2));
    return print(
      [
        `Wrote ${files.privateKeyFile} (private: keep it secret; the API's decryptionKeys)`,
        `Wrote ${files.publicKeyFile} (public: upload it to the issuer)`,
        `thumbprint_sha256: ${thumbprintSha256}`,
        '',
        'Auth0 Management API body (PATCH /api/v2/resource-servers/{id}):',
        JSON.stringify(auth0, null, 2),
      ].join('\n'),
    );
  }
  if (values.json) {
    return print(JSON.stringify({ privateKeyPem: privatePem, publicKeyPem: publicPem, thumbprintSha256, alg: values.alg, kid: values.kid, bits: Number(values.bits), auth0 }, null, 2));
  }
  print(
    [
      `# RSA ${values.bits}-bit key pair for encrypted access tokens (${values.alg}${values.kid ? `, kid ${values.kid}` : ''})`,
      `# thumbprint_sha256: ${thumbprintSha256}`,
      '#',
      '# PRIVATE key: keep it secret; give it to the API as `decryptionKeys`.',
      privatePem.trim(),
      '# PUBLIC key: upload it to the issuer (Auth0: the API\'s Token Settings, JSON Web Encryption).',
      publicPem.trim(),
    ].join('\n'),
  );
}

async function serve(args) {
  const { values } = parse(args, { config: { type: 'string', short: 'c' } });
  if (values.config === undefined) throw new UsageError('serve needs --config <guard.json>');
  // The built service, from this package's own dist (the command runs from the installed package).
  const { createForwardAuthServer, readGatewayConfig } = await import('../dist/gateway.js');
  const { config, baseDir } = readGatewayConfig(values.config);
  const service = await createForwardAuthServer(config, { baseDir });
  const stop = (signal) => {
    process.stderr.write(`access-token-guard: ${signal}: finishing requests in flight\n`);
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function thumbprint(args) {
  const { positionals, values } = parse(args, { json: { type: 'boolean', default: false } }, true);
  if (positionals.length !== 1) throw new UsageError('thumbprint takes exactly one PEM file');
  let pem;
  try {
    pem = readFileSync(positionals[0], 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${positionals[0]}: ${error.message}`);
  }
  const key = await thumbprintOf(pem);
  // A certificate has two thumbprints, and an mTLS-bound token carries the certificate's.
  const certificate = pem.includes('BEGIN CERTIFICATE') ? certificateThumbprintOf(pem) : undefined;
  if (values.json) return print(JSON.stringify({ thumbprintSha256: key, ...(certificate ? { x5tS256: certificate } : {}) }, null, 2));
  print(`key thumbprint (RFC 7638; Auth0 thumbprint_sha256): ${key}`);
  if (certificate) print(`certificate x5t#S256 (RFC 8705; cnf of mTLS-bound tokens): ${certificate}`);
}

/** base64url SHA-256 of the certificate's DER (RFC 8705 §3.1). */
function certificateThumbprintOf(pem) {
  let certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    throw new Error(`not a PEM certificate: ${error.message}`);
  }
  return createHash('sha256').update(certificate.raw).digest('base64url');
}

async function inspect(args) {
  const { positionals, values } = parse(
    args,
    {
      issuer: { type: 'string' },
      audience: { type: 'string', multiple: true },
      'jwks-uri': { type: 'string' },
      dialect: { type: 'string' },
      alg: { type: 'string', multiple: true },
      'clock-tolerance': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    true,
  );
  if (positionals.length > 1) throw new UsageError('inspect takes one token');
  const dialects = ['auth0', 'rfc9068', 'any', 'cognito', 'entra', 'okta', 'keycloak'];
  if (values.dialect !== undefined && !dialects.includes(values.dialect)) throw new UsageError(`--dialect must be one of ${dialects.join(', ')}`);
  const tolerance = values['clock-tolerance'] === undefined ? undefined : Number(values['clock-tolerance']);
  if (tolerance !== undefined && !(Number.isFinite(tolerance) && tolerance >= 0)) throw new UsageError('--clock-tolerance must be a number of seconds >= 0');
  const token = positionals[0] === undefined || positionals[0] === '-' ? readFileSync(0, 'utf8').trim() : positionals[0];
  if (token === '') throw new UsageError('no token: give it as an argument or on stdin');

  const { inspectToken, formatReport } = await loadInspector();
  let report;
  try {
    report = await inspectToken(token, {
      issuer: values.issuer,
      audience: values.audience,
      jwksUri: values['jwks-uri'],
      dialect: values.dialect,
      algorithms: values.alg,
      clockTolerance: tolerance,
    });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
  const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
  print(values.json ? JSON.stringify(report, null, 2) : formatReport(report, { colour }));
  process.exitCode = report.accepted ? 0 : 1;
}

/**
 * The inspector is the library's own code: the build in a published package, the TypeScript
 * source in a checkout (run through tsx: `npx tsx bin/access-token-guard.mjs inspect …`).
 */
async function loadInspector() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const source = join(root, 'src/inspect.ts');
  const built = join(root, 'dist/inspect.js');
  try {
    return await import(pathToFileURL(existsSync(source) ? source : built).href);
  } catch (error) {
    if (existsSync(source)) throw new Error(`cannot load src/inspect.ts (${error.message}): run through tsx, e.g. npx tsx bin/access-token-guard.mjs inspect …`);
    throw error;
  }
}

/** Auth0's recipe for `thumbprint_sha256`; createPublicKey also takes private keys and certificates. */
async function thumbprintOf(pem) {
  let publicKey;
  try {
    publicKey = createPublicKey(pem);
  } catch (error) {
    throw new Error(`not a PEM key or certificate: ${error.message}`);
  }
  return jwkThumbprint(publicKey.export({ format: 'jwk' }));
}

/** RFC 7638 §3: the SHA-256 of the key's required members, in lexicographic order, as JSON. */
const REQUIRED_MEMBERS = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] };

function jwkThumbprint(jwk) {
  const members = REQUIRED_MEMBERS[jwk.kty];
  if (members === undefined) throw new Error(`a ${jwk.kty} key has no thumbprint here (RSA, EC or OKP keys)`);
  const canonical = JSON.stringify(Object.fromEntries(members.map((member) => [member, jwk[member]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

function writeKeyFiles(directory, name, privatePem, publicPem, force) {
  const dir = resolve(directory);
  mkdirSync(dir, { recursive: true });
  const privateKeyFile = join(dir, `${name}.private.pem`);
  const publicKeyFile = join(dir, `${name}.public.pem`);
  // A key pair in use is never overwritten by accident, nor half of it: both are checked first,
  // and 'wx' still fails should a file appear in between.
  const existing = [privateKeyFile, publicKeyFile].filter((file) => existsSync(file));
  if (!force && existing.length > 0) throw new Error(`${existing.join(' and ')} already exist(s); pass --force to replace`);
  const flag = force ? 'w' : 'wx';
  try {
    writeFileSync(privateKeyFile, privatePem, { mode: 0o600, flag });
    chmodSync(privateKeyFile, 0o600); // the mode above applies only to a file it creates
    writeFileSync(publicKeyFile, publicPem, { mode: 0o644, flag });
  } catch (error) {
    if (error.code === 'EEXIST') throw new Error(`${error.path} already exists; pass --force to replace it`);
    throw error;
  }
  return { privateKeyFile, publicKeyFile };
}

function parse(args, options, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
}

function print(text) {
  process.stdout.write(`${text}\n`);
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`access-token-guard: ${error.message}\n`);
  if (error instanceof UsageError) {
    process.stderr.write(`\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.exitCode = 1;
  }
});
