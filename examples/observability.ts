/**
 * Observability: the verifier's hooks wired to pino (one log line per refusal and per key-set
 * fetch, with the reason code) and to OpenTelemetry metrics (requests by outcome and reason code,
 * a histogram of JWKS fetch latency). `observabilityHooks` is all an app needs; running this file
 * (`tsx examples/observability.ts`) verifies a few tokens from a local issuer and prints the log
 * lines and the metrics they produced.
 */
import { metrics, type Meter } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { pino, type Logger } from 'pino';
import { createVerifier, type VerifierHooks } from '../src/index.js';
import { LocalIssuer } from '../src/testing.js';

/** Hooks that log to `logger` and count into `meter`. */
export function observabilityHooks(logger: Logger, meter: Meter = metrics.getMeter('access-token-guard')): VerifierHooks {
  const requests = meter.createCounter('auth.requests', { description: 'Requests decided by the access-token verifier, by outcome and reason code' });
  const verifyDuration = meter.createHistogram('auth.verify.duration', { unit: 'ms', description: 'Time to decide a request' });
  const jwksLatency = meter.createHistogram('auth.jwks.fetch.duration', { unit: 'ms', description: 'JWKS and issuer metadata fetch latency' });
  const jwksFailures = meter.createCounter('auth.jwks.fetch.failures', { description: 'Failed JWKS and metadata fetches' });

  return {
    verified(event) {
      requests.add(1, { outcome: 'accepted', dialect: event.dialect, binding: event.binding });
      verifyDuration.record(event.durationMs, { outcome: 'accepted' });
    },
    refused(event) {
      requests.add(1, { outcome: 'refused', reason_code: event.reasonCode, status: event.status });
      if (event.durationMs !== undefined) verifyDuration.record(event.durationMs, { outcome: 'refused' });
      // `reason` is for the log only: it may name claims and URLs, never send it to the client.
      logger.info({ reasonCode: event.reasonCode, status: event.status, reason: event.error.reason }, 'access token refused');
    },
    unavailable(event) {
      requests.add(1, { outcome: 'unavailable', reason_code: event.reasonCode, status: event.status });
      logger.error({ reasonCode: event.reasonCode, status: event.status, reason: event.error.reason }, 'cannot verify access tokens');
    },
    keysFetched(event) {
      jwksLatency.record(event.durationMs, { document: event.document, outcome: 'ok' });
      logger.info({ document: event.document, url: event.url, status: event.status, keyCount: event.keyCount, durationMs: event.durationMs }, 'keys fetched');
    },
    keysFetchFailed(event) {
      jwksLatency.record(event.durationMs, { document: event.document, outcome: 'failed' });
      jwksFailures.add(1, { document: event.document });
      logger.warn({ document: event.document, url: event.url, status: event.status, reason: event.reason }, 'key fetch failed');
    },
  };
}

/** A metric reader that collects on demand (a real app would use an OTLP or Prometheus exporter). */
export class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Verifies a few tokens (one good, one expired, one for another API) and returns what was observed. */
export async function demonstrate(logger: Logger) {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  const audience = 'https://api.example.com';
  const issuer = await LocalIssuer.start({ audience });
  try {
    const verifier = createVerifier({ issuer: issuer.issuer, audience, hooks: observabilityHooks(logger, provider.getMeter('example')) });
    await verifier.ready();
    for (const token of [await issuer.mint(), await issuer.mint({}, { expiresIn: -60 }), await issuer.mint('https://other.example.com')]) {
      await verifier.authenticate({ method: 'GET', url: 'https://api.example.com/', headers: { authorization: `Bearer ${token}` } });
    }
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  } finally {
    await issuer.close();
    await provider.shutdown();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const observed = await demonstrate(pino());
  for (const metric of observed) {
    for (const point of metric.dataPoints) console.log(metric.descriptor.name, JSON.stringify(point.attributes), JSON.stringify(point.value));
  }
}
