import { afterAll, beforeAll, expect, it } from 'vitest';
import { post, sha256 } from './support/client';
import { startTestSystem } from './support/system';

let system: Awaited<ReturnType<typeof startTestSystem>>;

beforeAll(async () => {
  // Nothing listens on port 1: Redis is configured but unreachable.
  system = await startTestSystem({
    REDIS_URL: 'redis://127.0.0.1:1',
    RATE_LIMIT_REQUESTS: '2',
  });
});

afterAll(async () => {
  await system?.stop();
});

it('keeps answering while Redis is unreachable: persisted queries are resent, rate limits count in memory', async () => {
  const query = '{ company { id } }';
  const extensions = {
    persistedQuery: { version: 1, sha256Hash: sha256(query) },
  };

  // Nothing can be stored, so the hash alone stays unknown; the client's
  // fallback (hash plus query) always works.
  const hashOnly = await post(system.gatewayUrl, { extensions });
  expect(hashOnly.body.errors?.[0]?.extensions?.code).toBe(
    'PERSISTED_QUERY_NOT_FOUND',
  );
  const withQuery = await post(system.gatewayUrl, { query, extensions });
  expect(withQuery.body).toEqual({
    data: { company: { id: expect.any(String) } },
  });

  // The in-memory insurance limiter took over: the third request is over.
  const third = await post(system.gatewayUrl, { query });
  expect(third.status).toBe(429);
  expect(third.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
});
