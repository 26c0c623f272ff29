import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { ProviderLogWriter, searchProviderLogs } from '../lib/provider-logs';
import { listen } from '../lib/serve';
import { Store } from '../lib/store/store';
import { createSubgraphApp, type SubgraphDefinition } from '../lib/subgraph';
import { crmSubgraph } from '../subgraphs/crm/subgraph';
import { SANDBOX, graphql, startTestSystem } from './support/system';

const FLAGSHIP = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
);
const ADMIN_KEY = 'sk_sandbox_admin';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let adminUrl: string;

beforeAll(async () => {
  system = await startTestSystem({
    INTEGRATION_ISSUE_THRESHOLD: '2',
    RELINK_PROBE_INTERVAL_MS: '0',
    CIRCUIT_HALF_OPEN_AFTER_MS: '200',
  });
  adminUrl = system.gatewayUrl.replace(/\/graphql$/, '/admin/graphql');
});

afterAll(async () => {
  await system?.stop();
});

async function setFault(body: unknown): Promise<void> {
  const response = await fetch(`${system.sandboxUrl}/__faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

async function admin<T>(
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await graphql<T>(adminUrl, query, {
    apiKey: ADMIN_KEY,
    variables,
  });
  expect(response.errors).toBeUndefined();
  return response.data as T;
}

/** Retries `check` until it stops throwing: background writes land late. */
async function eventually<T>(check: () => Promise<T>): Promise<T> {
  const until = Date.now() + 5_000;
  for (;;) {
    try {
      return await check();
    } catch (error: unknown) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

interface Log {
  provider: string;
  route: string;
  status: number | null;
  statusClass: string;
  errorCode: string | null;
  attempts: number;
  requestId: string;
  linkedAccountId: string;
}

const LOGS = /* GraphQL */ `
  query Logs($filter: ProviderRequestLogFilter, $first: Int, $after: String) {
    providerRequestLogs(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          provider
          route
          status
          statusClass
          errorCode
          attempts
          requestId
          linkedAccountId
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

interface Account {
  id: string;
  category: string;
  status: string;
  openIssues: Array<{ kind: string; resolvedAt: string | null }>;
}

const ACCOUNTS = /* GraphQL */ `
  query Accounts {
    linkedAccounts(organizationId: "org_sandbox_acme") {
      id
      category
      status
      openIssues {
        kind
        resolvedAt
      }
    }
  }
`;

async function account(category: string): Promise<Account> {
  const data = await admin<{ linkedAccounts: Account[] }>(ACCOUNTS);
  const found = data.linkedAccounts.find(
    (candidate) => candidate.category === category,
  );
  if (!found) throw new Error(`no ${category} account`);
  return found;
}

describe('with the HubSpot sandbox failing every call', () => {
  it('the flagship query returns employees and their tickets, ownedOpportunities null with UPSTREAM_UNAVAILABLE, and the failed calls are in the admin log search', async () => {
    await setFault({ provider: 'hubspot', fault: 'error', status: 500 });
    try {
      const response = await graphql<{
        employees: {
          edges: Array<{
            node: {
              assignedTickets: { edges: unknown[] } | null;
              ownedOpportunities: unknown;
            };
          }>;
        };
      }>(system.gatewayUrl, FLAGSHIP, {
        ...SANDBOX,
        headers: { 'x-request-id': 'flagship-hubspot-down' },
      });
      const edges = response.data?.employees.edges ?? [];
      expect(edges).toHaveLength(5);
      for (const { node } of edges) {
        expect(node.assignedTickets?.edges.length).toBeGreaterThan(0);
        expect(node.ownedOpportunities).toBeNull();
      }
      expect(response.errors?.length).toBeGreaterThan(0);
      for (const error of response.errors ?? []) {
        expect(error.path?.at(-1)).toBe('ownedOpportunities');
        expect(error.extensions).toMatchObject({
          code: 'UPSTREAM_UNAVAILABLE',
          provider: 'hubspot',
          category: 'crm',
        });
      }

      const byRequest = await eventually(async () => {
        const data = await admin<{
          providerRequestLogs: { edges: Array<{ node: Log }> };
        }>(LOGS, { filter: { requestId: 'flagship-hubspot-down' } });
        const nodes = data.providerRequestLogs.edges.map((edge) => edge.node);
        expect(nodes.some((node) => node.provider === 'hubspot')).toBe(true);
        return nodes;
      });
      const failed = byRequest.filter((node) => node.provider === 'hubspot');
      expect(failed[0]).toMatchObject({
        status: 500,
        statusClass: 'SERVER_ERROR',
        errorCode: 'UPSTREAM_UNAVAILABLE',
        attempts: 3,
        requestId: 'flagship-hubspot-down',
      });
      // Path templates only: no owner id, no email.
      for (const node of byRequest) {
        expect(node.route).not.toMatch(/@|\d{5,}/);
      }
      // The BambooHR and Jira calls of the same request succeeded.
      expect(
        byRequest
          .filter((node) => node.provider !== 'hubspot')
          .every((node) => node.statusClass === 'SUCCESS'),
      ).toBe(true);

      const serverErrors = await admin<{
        providerRequestLogs: { edges: Array<{ node: Log }> };
      }>(LOGS, {
        filter: {
          provider: 'hubspot',
          statusClass: ['SERVER_ERROR'],
          since: new Date(Date.now() - 60_000).toISOString(),
        },
      });
      expect(serverErrors.providerRequestLogs.edges.length).toBeGreaterThan(0);
      const linkedAccountId =
        serverErrors.providerRequestLogs.edges[0]?.node.linkedAccountId;
      const byAccount = await admin<{
        providerRequestLogs: { edges: Array<{ node: Log }> };
      }>(LOGS, { filter: { linkedAccountId } });
      expect(
        byAccount.providerRequestLogs.edges.every(
          (edge) => edge.node.provider === 'hubspot',
        ),
      ).toBe(true);
    } finally {
      await setFault({ provider: 'hubspot', fault: 'none' });
    }
  });

  it('marks the CRM account DEGRADED with an open outage issue, resolved once HubSpot answers again', async () => {
    await setFault({ provider: 'hubspot', fault: 'error', status: 503 });
    try {
      for (let call = 0; call < 2; call += 1) {
        await graphql(
          system.gatewayUrl,
          '{ crmUsers(first: 1) { edges { node { id } } } }',
          SANDBOX,
        );
      }
      const degraded = await eventually(async () => {
        const crm = await account('crm');
        expect(crm.status).toBe('DEGRADED');
        return crm;
      });
      expect(degraded.openIssues.map((issue) => issue.kind)).toEqual([
        'PROVIDER_OUTAGE',
      ]);
    } finally {
      await setFault({ provider: 'hubspot', fault: 'none' });
    }
    // Past the circuit's half-open delay, the next call goes through.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const response = await graphql(
      system.gatewayUrl,
      '{ crmUsers(first: 1) { edges { node { id } } } }',
      SANDBOX,
    );
    expect(response.errors).toBeUndefined();
    await eventually(async () => {
      const crm = await account('crm');
      expect(crm.status).toBe('ACTIVE');
      expect(crm.openIssues).toEqual([]);
    });
  });
});

describe('with the BambooHR sandbox answering 401', () => {
  it('shows the HRIS account RELINK_NEEDED with an open issue, which resolves once BambooHR answers normally again', async () => {
    const query = '{ employees(first: 1) { edges { node { id } } } }';
    await setFault({ provider: 'bamboohr', fault: 'expire-credentials' });
    try {
      for (let call = 0; call < 2; call += 1) {
        const response = await graphql(system.gatewayUrl, query, SANDBOX);
        expect(response.errors?.[0]?.extensions).toMatchObject({
          code: 'RELINK_NEEDED',
          category: 'hris',
        });
      }
      const relink = await eventually(async () => {
        const hris = await account('hris');
        expect(hris.status).toBe('RELINK_NEEDED');
        return hris;
      });
      expect(relink.openIssues).toEqual([
        { kind: 'CREDENTIALS_REJECTED', resolvedAt: null },
      ]);
    } finally {
      await setFault({ provider: 'bamboohr', fault: 'none' });
    }

    const recovered = await graphql(system.gatewayUrl, query, SANDBOX);
    expect(recovered.errors).toBeUndefined();
    const hris = await eventually(async () => {
      const current = await account('hris');
      expect(current.status).toBe('ACTIVE');
      return current;
    });
    expect(hris.openIssues).toEqual([]);
    const resolved = await admin<{
      integrationIssues: Array<{ kind: string; resolvedAt: string | null }>;
    }>(
      `query Resolved($id: ID) {
        integrationIssues(linkedAccountId: $id, open: false) { kind resolvedAt }
      }`,
      { id: hris.id },
    );
    expect(resolved.integrationIssues).toEqual([
      {
        kind: 'CREDENTIALS_REJECTED',
        resolvedAt: expect.any(String) as unknown,
      },
    ]);
  });
});

describe('the request id', () => {
  it('is echoed in X-Request-Id, the client’s own when it sent a plain one', async () => {
    const send = (headers: Record<string, string>) =>
      fetch(system.gatewayUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${SANDBOX.apiKey}`,
          'x-account-token': SANDBOX.accountToken,
          ...headers,
        },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    const own = await send({ 'x-request-id': 'client-id-1' });
    await own.body?.cancel();
    expect(own.headers.get('x-request-id')).toBe('client-id-1');
    const fresh = await send({ 'x-request-id': 'not plain!' });
    await fresh.body?.cancel();
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the admin API', () => {
  it('answers 401 without an API key and 403 for a key without the admin scope', async () => {
    const anonymous = await graphql(adminUrl, '{ linkedAccounts { id } }');
    expect(anonymous.status).toBe(401);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const notAdmin = await graphql(adminUrl, '{ linkedAccounts { id } }', {
      apiKey: SANDBOX.apiKey,
    });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('pages request logs newest first and refuses a foreign cursor', async () => {
    const first = await admin<{
      providerRequestLogs: {
        edges: Array<{ cursor: string }>;
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
    }>(LOGS, { first: 1 });
    expect(first.providerRequestLogs.edges).toHaveLength(1);
    expect(first.providerRequestLogs.pageInfo.hasNextPage).toBe(true);
    const second = await admin<{
      providerRequestLogs: { edges: Array<{ cursor: string }> };
    }>(LOGS, { first: 1, after: first.providerRequestLogs.pageInfo.endCursor });
    expect(second.providerRequestLogs.edges[0]?.cursor).not.toBe(
      first.providerRequestLogs.edges[0]?.cursor,
    );
    const bad = await graphql(adminUrl, LOGS, {
      apiKey: ADMIN_KEY,
      variables: { after: 'nonsense' },
    });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('shows an admin only its own tenant’s logs', async () => {
    const other = await graphql(
      system.gatewayUrl,
      '{ employees(first: 1) { edges { node { id } } } }',
      {
        apiKey: 'sk_sandbox_other',
        accountToken: 'acct_other',
        headers: { 'x-request-id': 'other-tenant-request' },
      },
    );
    expect(other.errors).toBeUndefined();
    // The call is logged, under the other tenant.
    await eventually(async () => {
      const { rows } = await searchProviderLogs(
        system.store.db,
        { tenantId: 'tenant_sandbox_other', requestId: 'other-tenant-request' },
        { first: 10 },
      );
      expect(rows.length).toBeGreaterThan(0);
    });
    const data = await admin<{
      providerRequestLogs: { edges: unknown[] };
    }>(LOGS, { filter: { requestId: 'other-tenant-request' } });
    expect(data.providerRequestLogs.edges).toEqual([]);
  });
});

describe('health and readiness', () => {
  it('answer 200 on the gateway and on every subgraph', async () => {
    const origins = [
      system.gatewayUrl,
      ...Object.values(system.subgraphUrls),
    ].map((url) => url.replace(/\/graphql$/, ''));
    for (const origin of origins) {
      const health = await fetch(`${origin}/health`);
      expect(health.status).toBe(200);
      const ready = await fetch(`${origin}/ready`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { status: string }).status).toBe('ready');
    }
  });
});

describe('a subgraph that stops in a running system', () => {
  it('costs only its category’s fields, and the gateway stays alive but not ready', async () => {
    // The CRM subgraph runs on its own server, sharing the system's store
    // file, so that it can be stopped while everything else runs.
    const directory = mkdtempSync(join(tmpdir(), 'tributary-down-'));
    const dbPath = join(directory, 'store.db');
    const logger = createLogger({ name: 'test', level: 'silent' });
    const store = await Store.open({
      sqlitePath: dbPath,
      sandboxEnabled: true,
      logger,
    });
    const config = loadConfig({ NODE_ENV: 'test', TRIBUTARY_DB_PATH: dbPath });
    const crm = await createSubgraphApp(
      crmSubgraph as SubgraphDefinition<unknown>,
      { store, config, logger },
    );
    const crmServer = await listen(crm.app, { port: 0, host: '127.0.0.1' });
    const running = await startTestSystem({
      TRIBUTARY_DB_PATH: dbPath,
      SUBGRAPH_CRM_URL: `${crmServer.origin}/graphql`,
    });
    type Flagship = {
      employees: {
        edges: Array<{
          node: {
            assignedTickets: { edges: unknown[] } | null;
            ownedOpportunities: { edges: unknown[] } | null;
          };
        }>;
      };
    };
    const origin = running.gatewayUrl.replace(/\/graphql$/, '');
    try {
      const before = await graphql<Flagship>(
        running.gatewayUrl,
        FLAGSHIP,
        SANDBOX,
      );
      expect(before.errors).toBeUndefined();
      expect((await fetch(`${origin}/ready`)).status).toBe(200);

      await crmServer.close();

      const after = await graphql<Flagship>(
        running.gatewayUrl,
        FLAGSHIP,
        SANDBOX,
      );
      const edges = after.data?.employees.edges ?? [];
      expect(edges).toHaveLength(5);
      for (const { node } of edges) {
        expect(node.assignedTickets?.edges.length).toBeGreaterThan(0);
        expect(node.ownedOpportunities).toBeNull();
      }
      expect(after.errors?.[0]).toMatchObject({
        message: 'The crm service is unavailable.',
        extensions: { code: 'UPSTREAM_UNAVAILABLE', category: 'crm' },
      });

      expect((await fetch(`${origin}/health`)).status).toBe(200);
      const ready = await fetch(`${origin}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        status: 'unavailable',
        checks: {
          store: 'up',
          'subgraph:hris': 'up',
          'subgraph:crm': 'down',
          'subgraph:ticketing': 'up',
        },
      });
    } finally {
      await running.stop();
      await crm.stop();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('the provider request log writer', () => {
  it('deletes rows older than the retention and keeps the rest', async () => {
    const logger = createLogger({ name: 'test', level: 'silent' });
    const store = await Store.open({
      sqlitePath: ':memory:',
      sandboxEnabled: false,
      logger,
    });
    const writer = new ProviderLogWriter({
      db: store.db,
      logger,
      retentionDays: 1,
    });
    try {
      const owner = {
        tenantId: 't1',
        organizationId: 'o1',
        linkedAccountId: 'a1',
        category: 'crm' as const,
        requestId: 'r1',
      };
      const call = {
        provider: 'hubspot',
        method: 'GET' as const,
        route: '/crm/v3/owners',
        status: 200,
        errorCode: undefined,
        durationMs: 3,
        attempts: 1,
      };
      writer.record(owner, {
        ...call,
        startedAt: new Date(Date.now() - 2 * 24 * 3600 * 1000),
      });
      writer.record(owner, { ...call, startedAt: new Date() });
      await writer.flush();
      const search = () =>
        searchProviderLogs(store.db, { tenantId: 't1' }, { first: 10 });
      expect((await search()).rows).toHaveLength(2);
      await writer.prune();
      const { rows } = await search();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.status_class).toBe('SUCCESS');
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('drops entries beyond its capacity instead of holding them', async () => {
    const logger = createLogger({ name: 'test', level: 'silent' });
    const store = await Store.open({
      sqlitePath: ':memory:',
      sandboxEnabled: false,
      logger,
    });
    const writer = new ProviderLogWriter({ db: store.db, logger, capacity: 3 });
    try {
      for (let index = 0; index < 5; index += 1) {
        writer.record(
          {
            tenantId: 't1',
            organizationId: 'o1',
            linkedAccountId: 'a1',
            category: 'hris',
            requestId: undefined,
          },
          {
            startedAt: new Date(),
            provider: 'bamboohr',
            method: 'GET',
            route: '/v1/employees',
            status: undefined,
            errorCode: 'UPSTREAM_TIMEOUT',
            durationMs: 10,
            attempts: 1,
          },
        );
      }
      await writer.flush();
      const { rows } = await searchProviderLogs(
        store.db,
        { tenantId: 't1', statusClasses: ['NO_RESPONSE'] },
        { first: 10 },
      );
      expect(rows).toHaveLength(3);
    } finally {
      await writer.close();
      await store.close();
    }
  });
});
