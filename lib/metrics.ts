import {
  Counter,
  Histogram,
  Registry,
  collectDefaultMetrics,
} from 'prom-client';

/**
 * Prometheus metrics of one process. Every server (gateway, subgraph,
 * sandbox) exposes its registry at `GET /metrics`; in `npm start`, where
 * they share a process, they share this registry.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'tributary_process_' });

/** HTTP requests sent to providers, one per attempt (retries count). */
export const providerRequests = new Counter({
  name: 'tributary_provider_requests_total',
  help: 'HTTP requests sent to providers, by provider and HTTP status (or network/timeout).',
  labelNames: ['provider', 'status'] as const,
  registers: [registry],
});

export const providerRequestDuration = new Histogram({
  name: 'tributary_provider_request_duration_seconds',
  help: 'Duration of HTTP requests sent to providers.',
  labelNames: ['provider'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
