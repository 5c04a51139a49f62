/**
 * Just enough PEM (RFC 7468) and DER (X.690) to look inside an RSA key without `node:crypto`,
 * so that a wrong `decryptionKeys` entry is a `TypeError` when the verifier is created, on every
 * runtime, instead of a failure on the first encrypted request. Importing the key stays jose's
 * job; this module only checks the structure, reads the public numbers (for the modulus size and
 * the thumbprint), and re-wraps a PKCS#1 key as PKCS#8, the one private format WebCrypto takes.
 */

export interface PemBlock {
  /** The word(s) after `BEGIN`, e.g. `PRIVATE KEY`, `RSA PRIVATE KEY`, `PUBLIC KEY`. */
  label: string;
  der: Uint8Array;
}

export interface RsaKeyInfo {
  /** True for a private key (PKCS#8 or PKCS#1), false for a public one (SPKI or PKCS#1). */
  isPrivate: boolean;
  modulusBits: number;
  /** Modulus and public exponent, unsigned big-endian without leading zeros. */
  n: Uint8Array;
  e: Uint8Array;
  /** The private key as PKCS#8 DER (a PKCS#1 input re-wrapped); private keys only. */
  pkcs8?: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The single PEM block in `text`; anything else is a `TypeError` naming what was found. */
export function readPem(text: string): PemBlock {
  // PEMs kept in environment variables often arrive with their newlines as the two characters `\n`.
  const normalised = text.includes('\\n') ? text.replace(/\\r\\n|\\n/g, '\n') : text;
  const blocks = [...normalised.matchAll(BLOCK)];
  if (blocks.length === 0) throw new TypeError('the string is not a PEM block (-----BEGIN …----- … -----END …-----)');
  if (blocks.length > 1) {
    throw new TypeError(`the string holds ${blocks.length} PEM blocks (${blocks.map((block) => block[1]).join(', ')}); give one key per entry`);
  }
  const [, label = '', body = ''] = blocks[0] as RegExpMatchArray;
  if (/Proc-Type:\s*4,ENCRYPTED/i.test(body)) {
    throw new TypeError('the PEM key is encrypted with a passphrase; decrypt it first (openssl pkey -in key.pem -out plain.pem)');
  }
  const base64 = body.replace(/\s+/g, '');
  if (base64.length === 0 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new TypeError(`the ${label} PEM body is not valid base64`);
  }
  return { label, der: decodeBase64(base64) };
}

/** Reads an RSA key from a PEM block; `TypeError` for other key types, certificates and bad DER. */
export function readRsaKey(block: PemBlock): RsaKeyInfo {
  try {
    switch (block.label) {
      case 'PRIVATE KEY':
        return readPkcs8(block.der);
      case 'RSA PRIVATE KEY':
        return { ...readRsaPrivateKey(block.der), pkcs8: wrapPkcs1(block.der) };
      case 'PUBLIC KEY':
        return readSpki(block.der);
      case 'RSA PUBLIC KEY':
        return readRsaPublicKey(block.der);
      case 'ENCRYPTED PRIVATE KEY':
        throw new TypeError('the PKCS#8 key is encrypted with a passphrase; decrypt it first (openssl pkey -in key.pem -out plain.pem)');
      default:
        throw new TypeError(`a "${block.label}" PEM block is not an RSA key`);
    }
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw new TypeError(`the ${block.label} PEM is not a well-formed RSA key: ${(error as Error).message}`);
  }
}

/** PEM text for DER bytes, 64 characters a line. */
export function toPem(label: string, der: Uint8Array): string {
  const lines = encodeBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// ─── DER ────────────────────────────────────────────────────────────────────────────────────

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;

// 1.2.840.113549.1.1.1 rsaEncryption, and 1.2.840.113549.1.1.10 RSASSA-PSS (a signing-only key).
const RSA_ENCRYPTION = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const RSASSA_PSS = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
/** AlgorithmIdentifier { rsaEncryption, NULL }, as PKCS#8 and SPKI carry it. */
const RSA_ALGORITHM_IDENTIFIER = [0x30, 0x0d, 0x06, 0x09, ...RSA_ENCRYPTION, 0x05, 0x00];

interface Element {
  tag: number;
  /** Offsets of the content (after tag and length) in the enclosing buffer. */
  start: number;
  end: number;
}

function element(der: Uint8Array, offset: number, limit: number): Element {
  if (offset + 2 > limit) throw new Error('truncated element');
  const tag = der[offset] as number;
  let length = der[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) throw new Error('bad length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[start++] as number);
  }
  const end = start + length;
  if (end > limit) throw new Error('element longer than its container');
  return { tag, start, end };
}

/** The one top-level element, which must span all of `der`, and its children. */
function sequence(der: Uint8Array, what: string): Element[] {
  const top = element(der, 0, der.length);
  if (top.tag !== SEQUENCE || top.end !== der.length) throw new Error(`${what} is not a single DER SEQUENCE`);
  return children(der, top);
}

function children(der: Uint8Array, parent: Element): Element[] {
  const list: Element[] = [];
  for (let offset = parent.start; offset < parent.end; ) {
    const child = element(der, offset, parent.end);
    list.push(child);
    offset = child.end;
  }
  return list;
}

function expect(item: Element | undefined, tag: number, what: string): Element {
  if (!item || item.tag !== tag) throw new Error(`${what} is missing`);
  return item;
}

function bytesEqual(a: Uint8Array, b: readonly number[]): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** An INTEGER read as unsigned: DER prefixes a 0x00 when the top bit is set. */
function unsigned(der: Uint8Array, item: Element): Uint8Array {
  let start = item.start;
  while (start < item.end - 1 && der[start] === 0) start++;
  return der.slice(start, item.end);
}

function bitLength(value: Uint8Array): number {
  if (value.length === 0) return 0;
  return (value.length - 1) * 8 + (32 - Math.clz32(value[0] as number));
}

function checkAlgorithm(der: Uint8Array, identifier: Element | undefined): void {
  const algorithm = expect(identifier, SEQUENCE, 'the AlgorithmIdentifier');
  const oid = expect(children(der, algorithm)[0], OID, 'the algorithm OID');
  const value = der.subarray(oid.start, oid.end);
  if (bytesEqual(value, RSASSA_PSS)) throw new TypeError('the key is an RSA-PSS key, which can only sign; RSA-OAEP needs an rsaEncryption key');
  if (!bytesEqual(value, RSA_ENCRYPTION)) throw new TypeError('the key is not an RSA key (RSA-OAEP key management needs one)');
}

// PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey OCTET STRING, … } (RFC 5208)
function readPkcs8(der: Uint8Array): RsaKeyInfo {
  const [version, algorithm, privateKey] = sequence(der, 'the PKCS#8 key');
  expect(version, INTEGER, 'the PKCS#8 version');
  checkAlgorithm(der, algorithm);
  const octets = expect(privateKey, OCTET_STRING, 'the PKCS#8 privateKey');
  return { ...readRsaPrivateKey(der.subarray(octets.start, octets.end)), pkcs8: der };
}

// RSAPrivateKey ::= SEQUENCE { version, n, e, d, p, q, dp, dq, qi, … } (RFC 8017 A.1.2)
function readRsaPrivateKey(der: Uint8Array): RsaKeyInfo {
  const items = sequence(der, 'the RSA private key');
  if (items.length < 9 || items.slice(0, 9).some((item) => item.tag !== INTEGER)) {
    throw new Error('the RSA private key does not hold the nine integers of RFC 8017');
  }
  const n = unsigned(der, items[1] as Element);
  return { isPrivate: true, modulusBits: bitLength(n), n, e: unsigned(der, items[2] as Element) };
}

// SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, subjectPublicKey BIT STRING } (RFC 5280)
function readSpki(der: Uint8Array): RsaKeyInfo {
  const [algorithm, publicKey] = sequence(der, 'the public key');
  checkAlgorithm(der, algorithm);
  const bits = expect(publicKey, BIT_STRING, 'the subjectPublicKey');
  // The first content byte counts unused bits, 0 for a DER-encoded key.
  return readRsaPublicKey(der.subarray(bits.start + 1, bits.end));
}

// RSAPublicKey ::= SEQUENCE { n, e } (RFC 8017 A.1.1)
function readRsaPublicKey(der: Uint8Array): RsaKeyInfo {
  const [modulus, exponent] = sequence(der, 'the RSA public key');
  const n = unsigned(der, expect(modulus, INTEGER, 'the modulus'));
  return { isPrivate: false, modulusBits: bitLength(n), n, e: unsigned(der, expect(exponent, INTEGER, 'the exponent')) };
}

/** PKCS#1 RSAPrivateKey → PKCS#8 PrivateKeyInfo { 0, rsaEncryption, OCTET STRING pkcs1 }. */
function wrapPkcs1(pkcs1: Uint8Array): Uint8Array {
  return encodeElement(SEQUENCE, concat([Uint8Array.of(INTEGER, 1, 0), Uint8Array.from(RSA_ALGORITHM_IDENTIFIER), encodeElement(OCTET_STRING, pkcs1)]));
}

function encodeElement(tag: number, content: Uint8Array): Uint8Array {
  const length = content.length;
  const header =
    length < 0x80
      ? [tag, length]
      : length < 0x100
        ? [tag, 0x81, length]
        : length < 0x10000
          ? [tag, 0x82, length >> 8, length & 0xff]
          : [tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
  return concat([Uint8Array.from(header), content]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// atob/btoa exist on every runtime this library targets (Node ≥ 16, Workers, Deno, Bun).
function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
