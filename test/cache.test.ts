import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountCache, CacheStore, type StaleNotice } from '../lib/cache';
import { ErrorCode, ProviderError } from '../lib/errors';
import { createLogger } from '../lib/logger';
import {
  SANDBOX,
  graphql,
  startTestSystem,
  type RunningSystem,
} from './support/system';

const FLAGSHIP_50 = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
).replace('employees(first: 5)', 'employees(first: 50)');

const logger = createLogger({ name: 'test', level: 'silent' });

function metricsUrl(system: RunningSystem): string {
  return system.gatewayUrl.replace(/\/graphql$/, '/metrics');
}

/** The sum of every series of `name` in a Prometheus text exposition. */
function sum(metrics: string, name: string): number {
  return metrics
    .split('\n')
    .filter(
      (line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `),
    )
    .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0);
}

async function providerRequestsTotal(system: RunningSystem): Promise<number> {
  const metrics = await (await fetch(metricsUrl(system))).text();
  return sum(metrics, 'tributary_provider_requests_total');
}

describe('the flagship query with the cross-request cache', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startTestSystem({ CACHE_TTL_SECONDS: '300' });
  });
  afterAll(async () => {
    await system.stop();
  });

  it('costs at most 8 provider calls at first: 50 and none when repeated', async () => {
    system.recorder?.clear();
    const before = await providerRequestsTotal(system);
    const first = await graphql(system.gatewayUrl, FLAGSHIP_50, SANDBOX);
    expect(first.errors).toBeUndefined();
    const received = system.recorder?.requests.length ?? 0;
    const afterFirst = await providerRequestsTotal(system);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(8);
    expect(afterFirst - before).toBe(received);

    system.recorder?.clear();
    const repeat = await graphql(system.gatewayUrl, FLAGSHIP_50, SANDBOX);
    expect(repeat.data).toEqual(first.data);
    expect(system.recorder?.requests).toHaveLength(0);
    expect(await providerRequestsTotal(system)).toBe(afterFirst);
  });

  it('resolves 50 work emails with one Jira user directory read, not a search per email', async () => {
    await system.cache.clearMemory();
    system.recorder?.clear();
    await graphql(system.gatewayUrl, FLAGSHIP_50, SANDBOX);
    const jira = system.recorder?.of('jira') ?? [];
    const directory = jira.filter((request) =>
      request.path.endsWith('/rest/api/3/users/search'),
    );
    expect(directory).toHaveLength(1);
    expect(directory[0]?.query).toMatchObject({ maxResults: '1000' });
    expect(
      jira.filter((request) =>
        request.path.endsWith('/rest/api/3/user/search'),
      ),
    ).toHaveLength(0);
  });

  it('costs Jira the directory and two assignee searches asking only for the fields read', async () => {
    await system.cache.clearMemory();
    system.recorder?.clear();
    await graphql(system.gatewayUrl, FLAGSHIP_50, SANDBOX);
    const jira = system.recorder?.of('jira') ?? [];
    expect(jira.map((request) => request.path.replace(/^\/\w+/, ''))).toEqual([
      '/rest/api/3/users/search',
      '/rest/api/3/search/jql',
      '/rest/api/3/search/jql',
    ]);
    for (const search of jira.slice(1)) {
      // The flagship reads name, status and priority; the join the assignee.
      expect(search.body).toMatchObject({
        fields: ['summary', 'status', 'priority', 'assignee'],
      });
      expect(search.body).not.toHaveProperty('nextPageToken');
    }
  });

  it('reports cache results, loader batch sizes and operations on /metrics', async () => {
    // Another query than before (the gateway cached that whole response),
    // needing the Jira user directory the data cache already holds.
    const query = `query Flagship {
      employees(first: 50) {
        edges { node { assignedTickets(first: 1) { edges { node { id } } } } }
      }
    }`;
    expect((await graphql(system.gatewayUrl, query, SANDBOX)).errors).toBe(
      undefined,
    );
    const metrics = await (await fetch(metricsUrl(system))).text();
    expect(metrics).toMatch(
      /tributary_cache_requests_total\{resource="jira:\/rest\/api\/3\/users\/search",result="hit"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /tributary_dataloader_batch_size_sum\{loader="ticketing.ticketsByAssigneeEmail"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /tributary_graphql_operations_total\{server="gateway",operation="Flagship",outcome="success"\} [1-9]/,
    );
    expect(metrics).toContain(
      'tributary_graphql_operation_duration_seconds_bucket{le="0.005",server="hris"',
    );
    expect(metrics).toContain('tributary_provider_request_duration_seconds');
  });

  it('answers an identical query from the gateway response cache, per API key', async () => {
    const query = '{ employees(first: 4) { edges { node { remoteId } } } }';
    const metrics = async () => {
      const text = await (await fetch(metricsUrl(system))).text();
      return {
        hits: sum(
          text
            .split('\n')
            .filter((line) => line.includes('result="hit"'))
            .join('\n'),
          'tributary_response_cache_requests_total',
        ),
        hris: sum(
          text
            .split('\n')
            .filter((line) => line.includes('server="hris"'))
            .join('\n'),
          'tributary_graphql_operations_total',
        ),
      };
    };
    const first = await graphql(system.gatewayUrl, query, SANDBOX);
    const before = await metrics();
    const repeat = await graphql(system.gatewayUrl, query, SANDBOX);
    const after = await metrics();
    expect(repeat.data).toEqual(first.data);
    expect(after.hits - before.hits).toBe(1);
    expect(after.hris).toBe(before.hris);

    // Another API key of the same organization (other scopes) is answered
    // by the subgraphs, not from the first key's cached response.
    await graphql(system.gatewayUrl, query, {
      apiKey: 'sk_sandbox_pii',
      accountToken: SANDBOX.accountToken,
    });
    const third = await metrics();
    expect(third.hits).toBe(after.hits);
    expect(third.hris).toBeGreaterThan(after.hris);
  });

  it('never serves one tenant the cached data of another with the same remote ids', async () => {
    const query =
      '{ employees(first: 5) { edges { node { remoteId firstName lastName } } } }';
    interface Employees {
      employees: {
        edges: Array<{
          node: { remoteId: string; firstName: string; lastName: string };
        }>;
      };
    }
    const acme = await graphql<Employees>(system.gatewayUrl, query, SANDBOX);
    system.recorder?.clear();
    const other = await graphql<Employees>(system.gatewayUrl, query, {
      apiKey: 'sk_sandbox_other',
      accountToken: 'acct_other',
    });
    expect(other.errors).toBeUndefined();
    const acmeNodes = acme.data?.employees.edges.map((edge) => edge.node);
    const otherNodes = other.data?.employees.edges.map((edge) => edge.node);
    // Same remote ids, different people: the second tenant's answer came
    // from its own provider account, not from the first tenant's entries.
    expect(otherNodes?.map((node) => node.remoteId)).toEqual(
      acmeNodes?.map((node) => node.remoteId),
    );
    expect(otherNodes).not.toEqual(acmeNodes);
    expect(system.recorder?.of('bamboohr').length).toBeGreaterThan(0);
  });
});

describe('a provider failing after its cache entries expired', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startTestSystem({
      CACHE_TTL_SECONDS: '1',
      CACHE_TTL_BY_RESOURCE: 'bamboohr:/v1/employees=1',
      CACHE_STALE_WHILE_REVALIDATE_SECONDS: '0',
      CACHE_STALE_IF_ERROR_SECONDS: '60',
    });
  });
  afterAll(async () => {
    await system.stop();
  });

  it('is answered from the stale entries, and the response says so', async () => {
    const query =
      '{ employees(first: 3) { edges { node { remoteId firstName } } } }';
    const fresh = await graphql(system.gatewayUrl, query, SANDBOX);
    expect(fresh.errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    // The sandbox answers 500 to everything from now on.
    const recorder = system.recorder;
    if (!recorder) throw new Error('no sandbox');
    const record = recorder.record.bind(recorder);
    recorder.record = () => {
      throw new Error('sandbox outage');
    };
    try {
      const response = await fetch(system.gatewayUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${SANDBOX.apiKey}`,
          'x-account-token': SANDBOX.accountToken,
        },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as {
        data?: unknown;
        errors?: unknown;
        extensions?: { stale?: unknown };
      };
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual(fresh.data);
      expect(body.extensions?.stale).toEqual([
        {
          category: 'hris',
          provider: 'bamboohr',
          resource: '/v1/employees',
          ageSeconds: expect.any(Number) as number,
        },
      ]);
    } finally {
      recorder.record = record;
    }
  });
});

describe('AccountCache', () => {
  const policy = {
    ttlSeconds: 60,
    ttlByResource: { 'p:/short': 0.05 },
    staleWhileRevalidateSeconds: 0,
    staleIfErrorSeconds: 60,
  };
  const unavailable = () =>
    new ProviderError('down', {
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
      provider: 'p',
    });

  function cacheOf(
    store: CacheStore,
    tenantId: string,
    notices: StaleNotice[] = [],
  ) {
    return new AccountCache(
      store,
      policy,
      { tenantId, linkedAccountId: 'la_1' },
      (notice) => notices.push(notice),
      logger,
    );
  }

  it('serves an entry past its TTL when the provider fails, and reports it', async () => {
    const store = CacheStore.create({ logger });
    const notices: StaleNotice[] = [];
    const cache = cacheOf(store, 't1', notices);
    const parts = { provider: 'p', resource: '/short', request: { id: 1 } };
    expect(await cache.fetch(parts, async () => 'fresh')).toBe('fresh');
    await new Promise((resolve) => setTimeout(resolve, 80));
    const served = await cache.fetch(parts, async () => {
      throw unavailable();
    });
    expect(served).toBe('fresh');
    expect(notices).toEqual([
      { provider: 'p', resource: '/short', ageSeconds: 0 },
    ]);
  });

  it('does not hide rejected credentials behind a stale entry', async () => {
    const store = CacheStore.create({ logger });
    const cache = cacheOf(store, 't1');
    const parts = { provider: 'p', resource: '/short', request: { id: 2 } };
    await cache.fetch(parts, async () => 'fresh');
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(
      cache.fetch(parts, async () => {
        throw new ProviderError('no', {
          code: ErrorCode.RELINK_NEEDED,
          provider: 'p',
        });
      }),
    ).rejects.toMatchObject({ code: ErrorCode.RELINK_NEEDED });
  });

  it('shares one load between concurrent misses and keeps tenants apart', async () => {
    const store = CacheStore.create({ logger });
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return `value ${loads}`;
    };
    const parts = { provider: 'p', resource: '/r', request: { q: 'x' } };
    const [a, b] = await Promise.all([
      cacheOf(store, 't1').fetch(parts, load),
      cacheOf(store, 't1').fetch(parts, load),
    ]);
    expect([a, b, loads]).toEqual(['value 1', 'value 1', 1]);
    expect(await cacheOf(store, 't2').fetch(parts, load)).toBe('value 2');
  });

  it('forgets an account’s entries after a write through it', async () => {
    const store = CacheStore.create({ logger });
    const parts = { provider: 'p', resource: '/r', request: { q: 'y' } };
    await cacheOf(store, 't1').fetch(parts, async () => 'before');
    await cacheOf(store, 't1').invalidate();
    expect(await cacheOf(store, 't1').fetch(parts, async () => 'after')).toBe(
      'after',
    );
  });

  it('answers a miss within its time bound when Redis is unreachable', async () => {
    // Port 1 on loopback: nothing listens there.
    const store = CacheStore.create({
      logger,
      redisUrl: 'redis://127.0.0.1:1',
      timeoutMs: 100,
    });
    const started = Date.now();
    expect(await store.get('data', 'k')).toBeUndefined();
    await store.set('data', 'k', 'v', 1_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    await store.close();
  });
});
