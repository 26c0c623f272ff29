import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../lib/errors';
import { ProviderClient, parseRetryAfter } from '../lib/http';
import { createLogger } from '../lib/logger';
import { registry } from '../lib/metrics';
import { listen, type Listening } from '../lib/serve';

/**
 * A scripted provider: each route answers from a queue of responses and
 * records what it received.
 */
interface Scripted {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

const script = new Map<string, Scripted[]>();
const received: Array<{ path: string; authorization?: string; at: number }> =
  [];
let server: Listening;

function client(overrides: Partial<{ timeoutMs: number }> = {}) {
  return new ProviderClient({
    provider: 'testprovider',
    baseUrl: `${server.origin}/prefix`,
    auth: { type: 'bearer', token: 'secret-token' },
    logger: createLogger({ name: 'test', level: 'silent' }),
    ...overrides,
  });
}

beforeAll(async () => {
  const app = express();
  app.use(async (request, response) => {
    received.push({
      path: request.url,
      authorization: request.header('authorization'),
      at: performance.now(),
    });
    const queue = script.get(request.path) ?? [];
    const next = queue.shift() ?? { status: 200, body: '{"ok":true}' };
    if (next.delayMs) {
      await new Promise((resolve) => setTimeout(resolve, next.delayMs));
    }
    response.status(next.status).set(next.headers ?? {});
    response.send(next.body ?? '');
  });
  server = await listen(app, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await server.close();
});

function requestsTo(path: string) {
  return received.filter((request) => request.path.startsWith(path));
}

describe('ProviderClient', () => {
  it('sends the auth header and query parameters under the base URL path', async () => {
    const body = await client().json<{ ok: boolean }>({
      path: '/items',
      query: { id: ['1', '2'], skip: undefined, limit: 5 },
    });
    expect(body).toEqual({ ok: true });
    const [request] = requestsTo('/prefix/items');
    expect(request?.path).toBe('/prefix/items?id=1&id=2&limit=5');
    expect(request?.authorization).toBe('Bearer secret-token');
  });

  it('waits for Retry-After on 429 and then succeeds', async () => {
    script.set('/prefix/limited', [
      { status: 429, headers: { 'Retry-After': '0.3' } },
      { status: 200, body: '{"done":1}' },
    ]);
    const body = await client().json({ path: '/limited' });
    expect(body).toEqual({ done: 1 });
    const [first, second] = requestsTo('/prefix/limited');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(290);
  });

  it('gives up on 429 with UPSTREAM_RATE_LIMITED when asked to wait too long', async () => {
    script.set('/prefix/long-wait', [
      { status: 429, headers: { 'Retry-After': '120' } },
    ]);
    const error = await client()
      .json({ path: '/long-wait' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      status: 429,
      retryAfterMs: 120_000,
    });
    expect(requestsTo('/prefix/long-wait')).toHaveLength(1);
  });

  it('retries a 5xx GET three times in all, then answers UPSTREAM_UNAVAILABLE', async () => {
    script.set('/prefix/down', [
      { status: 502 },
      { status: 503 },
      { status: 500 },
    ]);
    await expect(client().json({ path: '/down' })).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      status: 500,
    });
    expect(requestsTo('/prefix/down')).toHaveLength(3);
  });

  it('never retries a POST that is not marked idempotent', async () => {
    script.set('/prefix/write', [{ status: 503 }, { status: 200 }]);
    await expect(
      client().json({ method: 'POST', path: '/write', body: { a: 1 } }),
    ).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(requestsTo('/prefix/write')).toHaveLength(1);
  });

  it('maps 401 to RELINK_NEEDED without retrying', async () => {
    script.set('/prefix/auth', [{ status: 401, body: '{"message":"no"}' }]);
    await expect(client().json({ path: '/auth' })).rejects.toMatchObject({
      code: 'RELINK_NEEDED',
      status: 401,
    });
    expect(requestsTo('/prefix/auth')).toHaveLength(1);
  });

  it('maps 404 to NOT_FOUND', async () => {
    script.set('/prefix/missing', [{ status: 404 }]);
    await expect(client().json({ path: '/missing' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('answers UPSTREAM_TIMEOUT when the provider is slower than the timeout', async () => {
    script.set('/prefix/slow', [{ status: 200, delayMs: 400, body: '{}' }]);
    await expect(
      client({ timeoutMs: 100 }).json({ path: '/slow' }),
    ).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  it('answers UPSTREAM_UNAVAILABLE for a body that is not JSON', async () => {
    script.set('/prefix/garbage', [{ status: 200, body: '{"truncated":' }]);
    await expect(client().json({ path: '/garbage' })).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
  });

  it('counts every attempt in tributary_provider_requests_total', async () => {
    const count = async (status: string) => {
      const metric = await registry
        .getSingleMetric('tributary_provider_requests_total')!
        .get();
      return (
        metric.values.find(
          (value) =>
            value.labels.provider === 'testprovider' &&
            value.labels.status === status,
        )?.value ?? 0
      );
    };
    const before = { failed: await count('503'), ok: await count('200') };
    script.set('/prefix/count', [{ status: 503 }, { status: 200, body: '1' }]);
    await client().json({ path: '/count' });
    expect((await count('503')) - before.failed).toBe(1);
    expect((await count('200')) - before.ok).toBe(1);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(
      parseRetryAfter(
        'Wed, 21 Oct 2015 07:28:05 GMT',
        Date.UTC(2015, 9, 21, 7, 28, 0),
      ),
    ).toBe(5_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
