// @ts-nocheck -- checked by consumer-typing.test.ts against the BUILT package, not by the repo's tsc (dist may not exist yet)
/**
 * A consumer's MCP server file: access-token-guard/mcp in one program with the MCP SDK's Express
 * parts, including `requireBearerAuth`, whose module declares `req.auth` as the SDK's `AuthInfo`.
 * consumer-typing.test.ts compiles it, strict and with library checks on, with examples/mcp-server.ts
 * and the README's MCP blocks.
 */
import express from 'express';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createVerifier, type AuthResult } from 'access-token-guard';
import { authenticate, authResultOf, createTokenVerifier, forTools, requireAuthLevel, requireScopes, toAuthInfo } from 'access-token-guard/mcp';

const options = { issuer: 'https://YOUR_DOMAIN/', audience: 'https://mcp.example.com/mcp', resourceMetadata: { scopesSupported: ['mcp:tools'] } };

// Our verifier is the SDK's OAuthTokenVerifier, and what it makes is the SDK's AuthInfo.
const tokenVerifier: OAuthTokenVerifier = createTokenVerifier(options);
const sdkApp = express();
sdkApp.post('/mcp', requireBearerAuth({ verifier: tokenVerifier, expectedResource: new URL(options.audience) }), (req, res) => {
  const info: AuthInfo | undefined = req.auth;
  const auth: AuthResult | undefined = authResultOf(info);
  res.json({ client: info?.clientId, subject: auth?.subject });
});

// Our middleware in the same program: req.auth stays the SDK's AuthInfo, the transport takes req as is.
const app = express();
app.use(express.json(), authenticate(createVerifier(options), { onRefusal: (error, req) => console.warn(req.originalUrl, error.reason) }));
app.post('/mcp', forTools({ admin: requireScopes('mcp:admin'), pay: requireAuthLevel({ acrValues: ['mfa'], maxAge: 300 }) }), async (req, res) => {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  const expiresAt: number | undefined = req.auth?.expiresAt;
  void expiresAt;
  await transport.handleRequest(req, res, req.body);
});

export const fromResult = (auth: AuthResult): AuthInfo => toAuthInfo(auth);
