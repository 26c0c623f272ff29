import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, startGatewayReplica } from './support/gateway';
import { post } from './support/client';
import { startTestSystem } from './support/system';

const QUERY = { query: '{ company { id } }' };

let system: Awaited<ReturnType<typeof startTestSystem>>;

beforeAll(async () => {
  system = await startTestSystem({
    RATE_LIMIT_REQUESTS: '3',
    RATE_LIMIT_WINDOW_SECONDS: '60',
  });
});

afterAll(async () => {
  await system?.stop();
});

describe('rate limits per API key', () => {
  it('answers 429 RATE_LIMITED with Retry-After once an API key spends its budget', async () => {
    const answers = [];
    for (let request = 0; request < 4; request += 1) {
      answers.push(await post(system.gatewayUrl, QUERY));
    }
    expect(answers.map((answer) => answer.status)).toEqual([
      200, 200, 200, 429,
    ]);
    expect(
      answers.map((answer) => answer.headers.get('ratelimit-remaining')),
    ).toEqual(['2', '1', '0', '0']);
    const limited = answers[3]!;
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.errors).toEqual([
      expect.objectContaining({
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
      }),
    ]);
  });

  it('counts each API key on its own', async () => {
    const tenant = await system.store.createTenant({ name: 'second' });
    const key = await system.store.createApiKey({
      tenantId: tenant.id,
      name: 'second',
      scopes: ['hris:read'],
    });
    const organization = await system.store.createOrganization({
      tenantId: tenant.id,
      name: 'second',
    });
    const response = await post(system.gatewayUrl, QUERY, {
      authorization: `Bearer ${key.secret}`,
      'x-account-token': organization.accountToken,
    });
    expect(response.status).toBe(200);
  });

  it('counts each operation of a batch against the budget', async () => {
    const tenant = await system.store.createTenant({ name: 'batching' });
    const key = await system.store.createApiKey({
      tenantId: tenant.id,
      name: 'batching',
      scopes: ['hris:read'],
    });
    const organization = await system.store.createOrganization({
      tenantId: tenant.id,
      name: 'batching',
    });
    const credentials = {
      authorization: `Bearer ${key.secret}`,
      'x-account-token': organization.accountToken,
    };
    const batch = await post(system.gatewayUrl, [QUERY, QUERY], credentials);
    const single = await post(system.gatewayUrl, QUERY, credentials);
    const over = await post(system.gatewayUrl, QUERY, credentials);
    expect([batch.status, single.status, over.status]).toEqual([200, 200, 429]);
  });

  it('shares one budget across gateway replicas through Redis', async () => {
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      RATE_LIMIT_REQUESTS: '2',
      RATE_LIMIT_WINDOW_SECONDS: '60',
    };
    // A key prefix of this run's own, so no earlier run's count applies.
    const keyPrefix = `tributary:test:rl:${randomUUID()}`;
    const one = await startGatewayReplica(system, env, {
      rateLimitKeyPrefix: keyPrefix,
    });
    const two = await startGatewayReplica(system, env, {
      rateLimitKeyPrefix: keyPrefix,
    });
    try {
      const statuses = [
        (await post(one.url, QUERY)).status,
        (await post(two.url, QUERY)).status,
        (await post(one.url, QUERY)).status,
        (await post(two.url, QUERY)).status,
      ];
      expect(statuses).toEqual([200, 200, 429, 429]);
    } finally {
      await one.stop();
      await two.stop();
    }
  });
});
