import type { RequestHandler } from 'express';

/**
 * Delays every sandbox provider answer by `latencyMs`, the way a real
 * provider's network distance would: benchmarks (`npm run bench`) measure
 * what batching and caching save against a fixed per-call cost. Set by
 * `SANDBOX_LATENCY_MS`; 0 adds nothing.
 */
export function latency(latencyMs: number): RequestHandler {
  return (_request, _response, next) => {
    if (latencyMs <= 0) {
      next();
      return;
    }
    setTimeout(next, latencyMs);
  };
}
