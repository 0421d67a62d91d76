import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createApiMetrics } from './api-metrics.js';

const NAMES = ['longshore_api_requests_total', 'longshore_api_request_duration_seconds'];

async function exposition(registry: Registry): Promise<string> {
  return (await Promise.all(NAMES.map((name) => registry.getSingleMetricAsString(name)))).join('\n');
}

describe('requestEnded', () => {
  it('counts and times requests as inc and observe with labels objects do', async () => {
    const requests: [string, string, number][] = [
      ['v2.blobUploads.start', 'ok', 0.0004],
      ['v2.blobUploads.start', 'ok', 0.003],
      ['v2.blobUploads.complete', 'ok', 0.02],
      ['v2.blobUploads.start', 'NameUnknown', 0.7],
      ['InitiateLayerUpload', 'ok', 45],
      ['v2.blobUploads.start', 'ok', 0.0004],
    ];
    const bound = new Registry();
    const labelled = new Registry();
    const viaRecorder = createApiMetrics(bound, { inflightWaits: () => 0 });
    const viaLabels = createApiMetrics(labelled, { inflightWaits: () => 0 });
    for (const [operation, outcome, seconds] of requests) {
      viaRecorder.requestEnded(operation, outcome, seconds);
      viaLabels.requests.inc({ operation, outcome });
      viaLabels.requestDuration.observe({ operation, outcome }, seconds);
    }
    const text = await exposition(bound);
    expect(text).toBe(await exposition(labelled));
    expect(text).toContain('longshore_api_requests_total{operation="v2.blobUploads.start",outcome="ok"} 3');
    expect(text).toContain(
      'longshore_api_request_duration_seconds_bucket{le="0.001",operation="v2.blobUploads.start",outcome="ok"} 2',
    );
  });

  it('counts again after the registry was reset', async () => {
    const registry = new Registry();
    const metrics = createApiMetrics(registry, { inflightWaits: () => 0 });
    metrics.requestEnded('GetAuthorizationToken', 'ok', 0.001);
    registry.resetMetrics();
    metrics.requestEnded('GetAuthorizationToken', 'ok', 0.001);
    expect(await registry.getSingleMetricAsString(NAMES[0]!)).toContain(
      'longshore_api_requests_total{operation="GetAuthorizationToken",outcome="ok"} 1',
    );
  });
});
