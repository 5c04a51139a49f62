/**
 * `npm run demo`: the library protecting a real local API, end to end, with no account and no
 * network. It starts an embedded issuer (keys generated now, discovery and JWKS on 127.0.0.1),
 * an Express API guarded by access-token-guard, then calls the API with a dozen tokens and
 * prints what each one got back, with the reason the server logged.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { authenticate, requirePermissions, requireScopes } from '../adapters/express.js';
import { LocalIssuer } from '../src/testing.js';

const AUDIENCE = 'https://api.example.com/';

const issuer = await LocalIssuer.start();
const otherTenant = await LocalIssuer.start();

// The API, configured as it would be for an Auth0 API: the issuer (Domain) and the audience
// (API Identifier). The JWKS is discovered from the issuer's metadata.
const app = express();
// Refusals are answered by the library; their detailed reason is for the server's log only.
const reasons = new Map<string, string>();
app.use(
  authenticate(
    { issuer: issuer.issuer, audience: AUDIENCE, realm: 'demo-api' },
    { onRefusal: (error, req) => reasons.set(req.get('x-case') ?? '', error.reason) },
  ),
);
app.get('/messages', requireScopes('read:messages'), (req, res) => {
  res.json({ messages: ['hello'], for: req.auth?.subject });
});
app.delete('/messages', requirePermissions('delete:messages'), (_req, res) => {
  res.json({ deleted: true });
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const now = Math.floor(Date.now() / 1000);
const cases: Array<{ name: string; method?: string; authorization?: string | undefined }> = [
  { name: 'valid token with read:messages', authorization: `Bearer ${await issuer.mint(AUDIENCE)}` },
  { name: 'valid RFC 9068 token (typ at+jwt)', authorization: `Bearer ${await issuer.mintRfc9068(AUDIENCE)}` },
  { name: 'audience off by a trailing slash', authorization: `Bearer ${await issuer.mint(AUDIENCE.replace(/\/$/, ''))}` },
  { name: 'token from another tenant', authorization: `Bearer ${await otherTenant.mint(AUDIENCE)}` },
  { name: 'expired token', authorization: `Bearer ${await issuer.mint(AUDIENCE, {}, { expiresIn: -60 })}` },
  { name: 'not valid yet (nbf in 1 h)', authorization: `Bearer ${await issuer.mint(AUDIENCE, { nbf: now + 3600 })}` },
  { name: 'missing scope read:messages', authorization: `Bearer ${await issuer.mint(AUDIENCE, { scope: 'write:messages' })}` },
  {
    name: 'ID token sent by mistake',
    authorization: `Bearer ${await issuer.mint('demo-client-id', { nonce: 'n-0S6_WzA2Mj', scope: undefined, azp: undefined })}`,
  },
  { name: 'signature tampered', authorization: `Bearer ${tamper(await issuer.mint(AUDIENCE))}` },
  { name: 'alg none', authorization: `Bearer ${unsigned(AUDIENCE)}` },
  { name: 'DELETE with permission', method: 'DELETE', authorization: `Bearer ${await issuer.mint(AUDIENCE, { permissions: ['delete:messages'] })}` },
  { name: 'DELETE without permission', method: 'DELETE', authorization: `Bearer ${await issuer.mint(AUDIENCE, { permissions: ['read:messages'] })}` },
  { name: 'no credentials', authorization: undefined },
  { name: 'malformed Authorization header', authorization: 'Bearer not a token' },
];

const rows: string[][] = [];
for (const { name, method = 'GET', authorization } of cases) {
  const response = await fetch(`${api}/messages`, { method, headers: { 'x-case': name, ...(authorization ? { authorization } : {}) } });
  const body = (await response.json()) as { error?: string };
  rows.push([name, `${method} /messages`, String(response.status), body.error ?? 'ok', reasons.get(name) ?? '']);
}
printTable(['case', 'request', 'status', 'error sent to the client', 'reason in the server log'], rows);
console.log(`\nThe JWKS was fetched ${issuer.jwksHits} time(s) for ${cases.length} requests.`);
console.log('Each refusal also carries a WWW-Authenticate header, e.g.:');
const sample = await fetch(`${api}/messages`, { headers: { authorization: `Bearer ${await issuer.mint(AUDIENCE, { scope: 'write:messages' })}` } });
console.log(`  ${sample.headers.get('www-authenticate')}`);

server.close();
server.closeAllConnections();
await Promise.all([issuer.close(), otherTenant.close()]);

function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  claims.scope = 'read:messages admin';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

function unsigned(audience: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: issuer.issuer, aud: audience, exp: now + 3600, azp: 'x' })}.`;
}

function printTable(header: string[], body: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of body) console.log(line(row));
}
