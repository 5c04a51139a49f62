// @ts-nocheck -- compiled by consumer-typing.test.ts against the BUILT package, and expected to fail
/**
 * Why access-token-guard/mcp exists: access-token-guard/express declares `req.auth` as our
 * `AuthResult`, the MCP SDK's bearerAuth module declares it as its `AuthInfo`; in one program the
 * SDK's declaration wins (and with library checks on, TS2430), so our fields are gone.
 */
import express from 'express';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { authenticate } from 'access-token-guard/express';

void requireBearerAuth;
const app = express();
app.get('/', authenticate({ issuer: 'https://YOUR_DOMAIN/', audience: 'https://api.example.com' }), (req, res) => {
  res.json({ subject: req.auth?.subject });
});
