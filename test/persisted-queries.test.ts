import { randomUUID } from 'node:crypto';
import { gql } from '@apollo/client';
import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, startGatewayReplica } from './support/gateway';
import { persistedQueryClient, post, sha256 } from './support/client';
import { startTestSystem } from './support/system';

// A query text of its own per run: a hash registered by an earlier run in
// the shared Redis must not make "not found yet" pass or fail by chance.
const run = randomUUID().replaceAll('-', '');
const QUERY = `query Apq_${run} { employees(first: 2) { edges { node { id firstName } } } }`;
const HASH = sha256(QUERY);
const persisted = (hash: string) => ({
  persistedQuery: { version: 1, sha256Hash: hash },
});

let system: Awaited<ReturnType<typeof startTestSystem>>;
let replica: Awaited<ReturnType<typeof startGatewayReplica>>;
const env = { REDIS_URL: TEST_REDIS_URL, PERSISTED_QUERY_TTL_SECONDS: '120' };

beforeAll(async () => {
  system = await startTestSystem(env);
  replica = await startGatewayReplica(system, env);
});

afterAll(async () => {
  await replica?.stop();
  await system?.stop();
});

describe('automatic persisted queries', () => {
  it('refuses an unknown hash, registers hash plus query, then serves the hash alone on every replica sharing Redis', async () => {
    const first = await post(system.gatewayUrl, {
      extensions: persisted(HASH),
    });
    expect(first.body.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );

    const registered = await post(system.gatewayUrl, {
      query: QUERY,
      extensions: persisted(HASH),
    });
    expect(registered.body.errors).toBeUndefined();
    expect(registered.body.data).toMatchObject({
      employees: { edges: [{ node: {} }, { node: {} }] },
    });

    const again = await post(system.gatewayUrl, {
      extensions: persisted(HASH),
    });
    expect(again.body).toEqual(registered.body);

    // The replica never saw the query: it knows the hash through Redis.
    const elsewhere = await post(replica.url, { extensions: persisted(HASH) });
    expect(elsewhere.body).toEqual(registered.body);
  });

  it('stores registered queries in Redis with an expiry', async () => {
    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    try {
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({
        MATCH: `tributary:pq*${HASH}`,
      })) {
        keys.push(...batch);
      }
      expect(keys).toHaveLength(1);
      const ttl = await redis.ttl(keys[0]!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(120);
    } finally {
      await redis.close();
    }
  });

  it('refuses a hash that is not the SHA-256 of its query and stores nothing', async () => {
    const query = `query Hijack_${run} { employees(first: 1) { edges { node { id } } } }`;
    const wrong = sha256(`${query} `);
    system.recorder?.clear();
    const refused = await post(system.gatewayUrl, {
      query,
      extensions: persisted(wrong),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(system.recorder?.requests).toEqual([]);

    const after = await post(system.gatewayUrl, {
      extensions: persisted(wrong),
    });
    expect(after.body.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
  });

  it('lets Apollo Client register a query over POST and then send only its hash', async () => {
    const { client, sent } = persistedQueryClient(system.gatewayUrl);
    const query = gql(
      `query ClientPost_${run} { employees(first: 1) { edges { node { id lastName } } } }`,
    );
    const first = await client.query({ query, fetchPolicy: 'network-only' });
    const second = await client.query({ query, fetchPolicy: 'network-only' });
    expect(second.data).toEqual(first.data);
    expect(first.data).toMatchObject({ employees: { edges: [{ node: {} }] } });
    expect(
      sent.map(({ method, withQuery }) => ({ method, withQuery })),
    ).toEqual([
      { method: 'POST', withQuery: false }, // PERSISTED_QUERY_NOT_FOUND
      { method: 'POST', withQuery: true }, // registers
      { method: 'POST', withQuery: false }, // the hash alone
    ]);
  });

  it('serves automatic persisted queries over GET to Apollo Client', async () => {
    const { client, sent } = persistedQueryClient(system.gatewayUrl, {
      persisted: { sha256, useGETForHashedQueries: true },
      // Apollo's CSRF prevention asks GET requests for this header.
      headers: { 'apollo-require-preflight': 'true' },
    });
    const query = gql(
      `query ClientGet_${run} { employees(first: 1) { edges { node { id workEmail } } } }`,
    );
    const first = await client.query({ query, fetchPolicy: 'network-only' });
    const second = await client.query({ query, fetchPolicy: 'network-only' });
    expect(second.data).toEqual(first.data);
    expect(
      sent.map(({ method, withQuery }) => ({ method, withQuery })),
    ).toEqual([
      { method: 'GET', withQuery: false },
      { method: 'POST', withQuery: true },
      { method: 'GET', withQuery: false },
    ]);
    expect(sent.every(({ status }) => status === 200)).toBe(true);
  });
});
