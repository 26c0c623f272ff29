import { createClient } from '@keyv/redis';
import type { RequestHandler, Response } from 'express';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Config } from '../lib/config';
import { ErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Principal } from '../lib/store/store';
import { boundedWait } from './persisted-queries';

export interface RateLimit {
  /**
   * Express middleware; runs after authentication (`res.locals.principal`)
   * and after the body is parsed (a batch counts once per operation).
   */
  middleware: RequestHandler;
  stop(): Promise<void>;
}

function setHeaders(
  response: Response,
  limit: number,
  result: RateLimiterRes,
): void {
  response.set({
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, result.remainingPoints)),
    'RateLimit-Reset': String(Math.ceil(result.msBeforeNext / 1000)),
  });
}

/**
 * Rate limiting per API key: `requests` per `windowSeconds` (fixed
 * window; each operation of a batch counts), counted in Redis when `redisUrl` is set so that every gateway
 * replica shares one budget, in memory otherwise. Over the limit: HTTP 429,
 * `Retry-After` in seconds and code `RATE_LIMITED`. Every answer carries
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
 *
 * While Redis is unreachable each replica counts in memory instead (the
 * library's insurance limiter): limits loosen by the replica count for
 * that time rather than failing requests.
 */
export async function createRateLimit(options: {
  config: Pick<Config, 'rateLimit' | 'redisUrl'>;
  logger: Logger;
  /** Redis key prefix; tests give their own. */
  keyPrefix?: string;
}): Promise<RateLimit> {
  const { requests, windowSeconds } = options.config.rateLimit;
  const keyPrefix = options.keyPrefix ?? 'tributary:rl';
  const memory = new RateLimiterMemory({
    points: requests,
    duration: windowSeconds,
    keyPrefix,
  });
  let limiter: RateLimiterAbstract = memory;
  let stop = async () => {};

  const redisUrl = options.config.redisUrl;
  if (redisUrl) {
    const client = createClient({ url: redisUrl, disableOfflineQueue: true });
    // The client retries for ever and reports every failed attempt: log
    // when the store goes down and when it is back, not every retry.
    let reachable = true;
    client.on('error', (error: unknown) => {
      if (reachable) {
        reachable = false;
        options.logger.warn({ err: error }, 'rate limit store unreachable');
      }
    });
    client.on('ready', () => {
      if (!reachable) {
        reachable = true;
        options.logger.info('rate limit store reachable again');
      }
    });
    // Start-up waits for Redis a bounded time only: until the client is
    // ready the insurance limiter counts in memory.
    await boundedWait(client.connect().then(() => {}));
    limiter = new RateLimiterRedis({
      storeClient: client,
      useRedisPackage: true,
      rejectIfRedisNotReady: true,
      points: requests,
      duration: windowSeconds,
      keyPrefix,
      insuranceLimiter: memory,
    });
    stop = async () => {
      if (client.isReady) await client.close();
      else if (client.isOpen) client.destroy();
    };
  }

  const middleware: RequestHandler = async (request, response, next) => {
    const principal = response.locals.principal as Principal | undefined;
    if (!principal) {
      // The landing page, the one thing served without credentials.
      next();
      return;
    }
    try {
      // A batch costs one request per operation in it.
      const body: unknown = request.body;
      const points = Array.isArray(body) ? Math.max(1, body.length) : 1;
      const result = await limiter.consume(principal.apiKeyId, points);
      setHeaders(response, requests, result);
      next();
    } catch (rejection: unknown) {
      if (!(rejection instanceof RateLimiterRes)) {
        // Both stores failed: let the request through rather than fail
        // every client for a counter fault.
        options.logger.error({ err: rejection }, 'rate limit check failed');
        next();
        return;
      }
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      setHeaders(response, requests, rejection);
      response
        .status(429)
        .set('Retry-After', String(retryAfter))
        .json({
          errors: [
            {
              message: `Rate limit of ${requests} requests per ${windowSeconds} s for this API key exceeded; retry after ${retryAfter} s.`,
              extensions: {
                code: ErrorCode.RATE_LIMITED,
                retryAfterSeconds: retryAfter,
              },
            },
          ],
        });
    }
  };

  return { middleware, stop: () => stop() };
}
