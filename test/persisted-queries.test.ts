import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { gql } from '@apollo/client';
import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from './support/gateway';
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
const env = {
  REDIS_URL: TEST_REDIS_URL,
  PERSISTED_QUERY_TTL_SECONDS: '120',
  // A store file, so that a separate gateway process shares it too.
  TRIBUTARY_DB_PATH: join(
    mkdtempSync(join(tmpdir(), 'tributary-apq-')),
    'tributary.db',
  ),
};

beforeAll(async () => {
  system = await startTestSystem(env);
});

afterAll(async () => {
  await system?.stop();
  rmSync(dirname(env.TRIBUTARY_DB_PATH), { recursive: true, force: true });
});

describe('automatic persisted queries', () => {
  it('refuses an unknown hash, registers hash plus query, then serves the hash alone', async () => {
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
  });

  it('serves a registered hash from a separate gateway process sharing the Redis', async () => {
    const child = await startGatewayProcess({
      ...env,
      TRIBUTARY_SANDBOX: '1',
      SANDBOX_URL: system.sandboxUrl!,
      SUBGRAPH_HRIS_URL: system.subgraphUrls.hris,
      SUBGRAPH_CRM_URL: system.subgraphUrls.crm,
      SUBGRAPH_TICKETING_URL: system.subgraphUrls.ticketing,
    });
    try {
      // Registered on the first gateway; this process never sees the
      // query and knows the hash only through Redis.
      const registered = await post(system.gatewayUrl, {
        query: QUERY,
        extensions: persisted(HASH),
      });
      const elsewhere = await post(child.url, { extensions: persisted(HASH) });
      expect(elsewhere.body.errors).toBeUndefined();
      expect(elsewhere.body).toEqual(registered.body);
    } finally {
      child.process.kill('SIGTERM');
      await once(child.process, 'exit');
    }
  }, 30_000);

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

/**
 * `npm run start:gateway` as its own process on a free port, over the test
 * subgraphs and the store file `extra` names.
 */
async function startGatewayProcess(
  extra: Record<string, string>,
): Promise<{ url: string; process: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'gateway/main.ts'],
    {
      cwd: new URL('..', import.meta.url).pathname,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: '0',
        LOG_LEVEL: 'info',
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    const entry = JSON.parse(line) as { msg?: string; url?: string };
    if (entry.msg === 'gateway ready' && entry.url) {
      child.stdout!.resume();
      return { url: entry.url, process: child };
    }
  }
  throw new Error('the gateway process exited before it was ready');
}
