/**
 * `access-token-guard/gateway`: the forward-auth service that nginx, Caddy, Traefik and Envoy ask
 * before forwarding a request (`npx access-token-guard serve --config guard.json` runs it).
 */
export { createForwardAuthServer, type ForwardAuthOptions, type ForwardAuthServer } from './server.js';
export {
  DEFAULT_IDENTITY_HEADERS,
  GatewayConfigError,
  readGatewayConfig,
  resolveGatewayConfig,
  type GatewayConfig,
  type GatewayKind,
  type GatewayVerifierConfig,
  type IdentityHeaderConfig,
  type RedisReplayStoreConfig,
  type ResolvedGatewayConfig,
  type RouteConfig,
  type SecretText,
} from './config.js';
export { MAX_IDENTITY_VALUE } from './identity.js';
export type { LogSink } from './log.js';
