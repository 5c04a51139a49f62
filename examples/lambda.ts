/**
 * An API Gateway Lambda authorizer for an Auth0 API: deploy this module with `handler` as the
 * authorizer function of an HTTP API (payload 2.0, simple responses) — or a REST API TOKEN or
 * REQUEST authorizer (drop `simpleResponses`). Set ISSUER and AUDIENCE in the function's environment.
 *
 * Run locally, it also starts a small stand-in for API Gateway on 127.0.0.1 that calls `handler`
 * the way API Gateway does and answers the way API Gateway would:
 *
 *   ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://api.example.com npx tsx examples/lambda.ts
 *
 * In your function, import from 'access-token-guard/lambda'.
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createAuthorizer, type HttpApiAuthorizerEvent, type SimpleResponse } from '../adapters/lambda.js';

// Module scope: made once per execution environment, so its key cache survives warm invocations;
// only a cold start pays for discovery and the JWKS fetch.
export const handler = createAuthorizer(
  {
    issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/', // your Auth0 domain, with the trailing slash
    audience: process.env.AUDIENCE ?? 'https://api.example.com', // your API's Identifier, exactly
  },
  { scopes: 'read:messages', simpleResponses: true, onRefusal: (error) => console.warn(`refused: ${error.reason}`) },
);

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    // Like API Gateway: no identity source (the Authorization header), no invocation, 401.
    if (!req.headers.authorization) return send(401, { message: 'Unauthorized' });
    const url = new URL(req.url ?? '/', 'http://localhost');
    const event: HttpApiAuthorizerEvent = {
      type: 'REQUEST',
      version: '2.0',
      routeArn: `arn:aws:execute-api:us-east-1:123456789012:local/$default/${req.method}${url.pathname}`,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, [value ?? []].flat().join(',')])),
      requestContext: { domainName: req.headers.host ?? 'localhost', http: { method: req.method ?? 'GET' } },
    };
    try {
      const { isAuthorized, context } = (await handler(event)) as SimpleResponse;
      // Allowed: the integration would run here, with the context as $context.authorizer.lambda.*.
      send(isAuthorized ? 200 : 403, isAuthorized ? { message: 'Hello from the integration.', authorizer: { lambda: context } } : { message: 'Forbidden' });
    } catch (error) {
      // API Gateway answers 401 for exactly "Unauthorized", 500 for any other failure (our 503 included).
      if ((error as Error).message === 'Unauthorized') send(401, { message: 'Unauthorized' });
      else send(500, { message: 'Internal Server Error' });
    }
  });
  server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
    const { address, port } = server.address() as { address: string; port: number };
    console.log(`listening on http://${address}:${port}`);
  });
}
