/**
 * Attack class: smuggling a second meaning past the verifier, or past whatever sits in front of
 * it. Duplicate JSON members (RFC 7515 §5.2, RFC 8259 §4), `__proto__` members (prototype
 * pollution, CWE-1321), other spellings of the same bytes (RFC 4648 §3.5), and at the HTTP
 * level two `Authorization` headers or a token in two places (RFC 6750 §2), two `DPoP` headers
 * (RFC 9449 §4.3). Token-level cases on both crypto backends; HTTP cases through Express on
 * 127.0.0.1.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../adapters/express.js';
import { listen, rawGet, type RunningServer } from '../helpers/http.js';
import { b64url } from '../helpers/keys.js';
import { ISSUER, AUDIENCE, auth0Claims, mint, respellings, withSegment } from '../helpers/tokens.js';
import { BACKENDS, SIGNING_KEYS, attackedVerifier, refusalOf } from './support.js';

const rs256 = SIGNING_KEYS[0];
/** A header segment with these members written textually (duplicates kept), over `token`'s payload and signature. */
const withHeaderText = (token: string, json: string) => withSegment(token, 0, () => b64url(json));

describe.each(BACKENDS)('on the %s backend', (_name, backend) => {
  const verifier = attackedVerifier(backend);

  it('refuses a header whose duplicate alg says none after a signing algorithm (RFC 7515 §5.2)', async () => {
    const token = withHeaderText(mint(), `{"alg":"RS256","kid":"${rs256.kid}","alg":"none"}`);
    expect((await refusalOf(verifier.verify(token))).reason).toMatch(/"none" is not in the allow-list/);
  });

  it('refuses a header whose duplicate member differs from the signed header (RFC 7515 §5.2)', async () => {
    const token = withHeaderText(mint(), `{"alg":"none","alg":"RS256","kid":"${rs256.kid}","typ":"JWT"}`);
    expect((await refusalOf(verifier.verify(token))).reason).toMatch(/signature does not verify/);
  });

  it('does not let a __proto__ header member supply alg or kid (CWE-1321)', async () => {
    const token = withHeaderText(mint(), `{"__proto__":{"alg":"HS256","kid":"${rs256.kid}"},"typ":"JWT"}`);
    expect((await refusalOf(verifier.verify(token))).reason).toMatch(/no alg/);
    expect(({} as Record<string, unknown>).alg).toBeUndefined();
  });

  it('refuses every other spelling of every segment of a valid token (RFC 4648 §3.5)', async () => {
    const token = mint();
    await expect(verifier.verify(token)).resolves.toBeDefined();
    for (let index = 0; index < 3; index++) {
      for (const spelling of respellings(token.split('.')[index] as string)) {
        expect((await refusalOf(verifier.verify(withSegment(token, index, () => spelling)))).reason).toMatch(/not base64url/);
      }
    }
  });

  it('refuses standard-base64 and padded spellings of the signature (RFC 7515 §2)', async () => {
    const token = mint();
    const bytes = Buffer.from(token.split('.')[2] as string, 'base64url');
    for (const spelling of [bytes.toString('base64'), `${bytes.toString('base64url')}=`, ` ${bytes.toString('base64url')}`]) {
      await refusalOf(verifier.verify(withSegment(token, 2, () => spelling)));
    }
  });
});

describe('through Express', () => {
  let server: RunningServer;
  let port: number;
  beforeAll(async () => {
    const app = express();
    app.use(authenticate({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [rs256.jwk] }, tokenLocations: ['header', 'query'], dpop: {} }));
    app.get('/data', (req, res) => res.json({ sub: req.auth?.subject }));
    server = await listen(app);
    port = Number(new URL(server.origin).port);
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses two Authorization headers, even carrying one valid token (RFC 6750 §2)', async () => {
    const good = mint();
    const reply = await rawGet(port, '/data', { authorization: [`Bearer ${good}`, `Bearer ${mint({ sub: 'auth0|admin' })}`] });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses a token in the header and another in the query (RFC 6750 §2)', async () => {
    const reply = await rawGet(port, `/data?access_token=${mint({ sub: 'auth0|admin' })}`, { authorization: `Bearer ${mint()}` });
    expect(reply.status).toBe(400);
  });

  it('refuses two DPoP headers (RFC 9449 §4.3)', async () => {
    const reply = await rawGet(port, '/data', { authorization: `DPoP ${mint()}`, dpop: ['a.b.c', 'd.e.f'] });
    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('accepts the valid token alone, so the refusals above are the smuggling', async () => {
    expect(await rawGet(port, '/data', { authorization: `Bearer ${mint(auth0Claims())}` })).toMatchObject({ status: 200, body: { sub: 'auth0|user-1' } });
  });
});
