/** The service's Prometheus metrics (prom-client, the Node client Prometheus lists), on /metrics. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mlops_serve_' });
  return {
    registry,
    requests: new Counter({
      name: 'mlops_serve_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'mlops_serve_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    rows: new Counter({
      name: 'mlops_serve_rows_scored_total',
      help: 'rows scored by model and path (inline or pool)',
      labelNames: ['model', 'path'],
      registers: [registry],
    }),
    loadedVersion: new Gauge({
      name: 'mlops_serve_loaded_version',
      help: 'the production version each model serves',
      labelNames: ['model'],
      registers: [registry],
    }),
    swaps: new Counter({
      name: 'mlops_serve_swaps_total',
      help: 'production versions swapped in without a restart',
      labelNames: ['model'],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'mlops_serve_refused_artifacts_total',
      help: 'versions refused before serving (sha256, MOJO, golden rows)',
      labelNames: ['model'],
      registers: [registry],
    }),
    loads: new Counter({
      name: 'mlops_serve_version_loads_total',
      help: 'versions read and loaded (each checked in a thread first); one per version, however many requests ask for it',
      labelNames: ['model'],
      registers: [registry],
    }),
    evictions: new Counter({
      name: 'mlops_serve_pinned_evictions_total',
      help: 'pinned versions dropped from the cache of the least recently used, to load another',
      labelNames: ['model'],
      registers: [registry],
    }),
    poolRefused: new Counter({
      name: 'mlops_serve_pool_refused_total',
      help: 'batches the scoring pool refused with 503: its queue full (queue) or over the task timeout (timeout)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    missing: new Counter({
      name: 'mlops_serve_missing_features_total',
      help: 'feature values missing from requests, scored as missing',
      labelNames: ['model'],
      registers: [registry],
    }),
    unseen: new Counter({
      name: 'mlops_serve_unseen_levels_total',
      help: 'categorical levels the model never saw, scored as missing',
      labelNames: ['model'],
      registers: [registry],
    }),
    malformedNotices: new Counter({
      name: 'mlops_serve_malformed_notifications_total',
      help: 'registry NOTIFY payloads ignored as malformed, by problem (not-json, invalid)',
      labelNames: ['problem'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
