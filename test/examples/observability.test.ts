/**
 * examples/observability.ts with the real pino and OpenTelemetry SDK: the log lines it writes and
 * the metrics it records for one accepted and two refused requests and the key fetches of ready().
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { demonstrate } from '../../examples/observability.js';

describe('examples/observability.ts', () => {
  it('logs each refusal and fetch, and counts requests by reason code with a JWKS latency histogram', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const metrics = await demonstrate(pino(destination));

    expect(lines.filter((line) => line.msg === 'access token refused').map((line) => line.reasonCode)).toEqual(['expired', 'audience_mismatch']);
    expect(lines.filter((line) => line.msg === 'keys fetched').map((line) => [line.document, line.status, line.keyCount])).toEqual([
      ['metadata', 200, undefined],
      ['jwks', 200, 1],
    ]);

    const requests = metrics.find((metric) => metric.descriptor.name === 'auth.requests');
    const byOutcome = Object.fromEntries(requests!.dataPoints.map((point) => [`${point.attributes.outcome}/${point.attributes.reason_code ?? ''}`, point.value]));
    expect(byOutcome).toEqual({ 'accepted/': 1, 'refused/expired': 1, 'refused/audience_mismatch': 1 });

    const latency = metrics.find((metric) => metric.descriptor.name === 'auth.jwks.fetch.duration');
    const jwks = latency!.dataPoints.find((point) => point.attributes.document === 'jwks');
    expect((jwks!.value as { count: number }).count).toBe(1);
    expect(latency!.descriptor.unit).toBe('ms');
  });
});
