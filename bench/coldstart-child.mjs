// One cold start, in a fresh process on plain `node` (JavaScript, so no TypeScript loader is timed):
//   node bench/coldstart-child.mjs <case> <module> <issuer> <jwksUri> <audience> <token>
// Times the import of <module> and the first verification (which fetches the JWKS), and prints
// one JSON line. `performance.now()` counts from the process's start, so `total` includes Node's
// own bootstrap.
const [kind, specifier, issuer, jwksUri, audience, token] = process.argv.slice(2);
const t0 = performance.now();
const mod = await import(specifier);
const t1 = performance.now();

/** Each case: the entry point's documented way to check one request, resolving true if accepted. */
const cases = {
  async web() {
    const auth = mod.authenticate({ issuer, audience, jwksUri });
    const result = await auth(new Request('https://api.example/hello', { headers: { authorization: `Bearer ${token}` } }));
    return !(result instanceof Response);
  },
  async lambda() {
    const handler = mod.createAuthorizer({ issuer, audience, jwksUri });
    const policy = await handler({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/hello' });
    return policy.policyDocument.Statement[0].Effect === 'Allow';
  },
  async main() {
    await mod.createVerifier({ issuer, audience, jwksUri }).verify(token);
    return true;
  },
  async 'express-oauth2-jwt-bearer'() {
    const middleware = mod.auth({ issuer, jwksUri, audience });
    const headers = { authorization: `Bearer ${token}`, host: 'api.example' };
    const req = { headers, query: {}, method: 'GET', protocol: 'https', url: '/hello', get: (name) => headers[name.toLowerCase()], is: () => false };
    return new Promise((resolve) => middleware(req, {}, (error) => resolve(!error)));
  },
  async jose() {
    const jwks = mod.createRemoteJWKSet(new URL(jwksUri));
    await mod.jwtVerify(token, jwks, { issuer, audience, algorithms: ['RS256'] });
    return true;
  },
};

let ok = false;
let error;
try {
  ok = await cases[kind]();
} catch (caught) {
  error = String(caught?.message ?? caught);
}
const t2 = performance.now();
process.stdout.write(`${JSON.stringify({ ok, error, importMs: t1 - t0, firstVerifyMs: t2 - t1, totalMs: t2 })}\n`);
// Keep-alive sockets and JWKS timers must not stretch the process's life past the measurement.
process.exit(0);
