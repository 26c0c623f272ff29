import cors from 'cors';
import type { RequestHandler } from 'express';
import type { Config } from '../lib/config';

/**
 * CORS for browser frontends that call the gateway directly. In
 * production only the configured origins (`CORS_ORIGINS`) get CORS
 * headers, so other sites' scripts cannot read answers; elsewhere any
 * origin is allowed, for local frontends. Preflights are answered before
 * authentication, since browsers send them without credentials.
 */
export function corsMiddleware(
  config: Pick<Config, 'nodeEnv' | 'corsOrigins'>,
): RequestHandler {
  const allowed = new Set(config.corsOrigins);
  return cors({
    origin:
      config.nodeEnv === 'production' || allowed.size > 0
        ? (origin, callback) => callback(null, !!origin && allowed.has(origin))
        : true,
    allowedHeaders: [
      'authorization',
      'content-type',
      'x-account-token',
      'x-request-id',
      'apollo-require-preflight',
      'x-apollo-operation-name',
    ],
    exposedHeaders: [
      'retry-after',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
      'x-request-id',
    ],
    methods: ['GET', 'POST', 'OPTIONS'],
    maxAge: 600,
  });
}
