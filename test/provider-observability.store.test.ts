import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../lib/errors';
import type { ProviderCallRecord } from '../lib/http';
import {
  IntegrationMonitor,
  listIntegrationIssues,
} from '../lib/integration-issues';
import { createLogger } from '../lib/logger';
import { ProviderLogWriter, searchProviderLogs } from '../lib/provider-logs';
import { Store, type LinkedAccount } from '../lib/store/store';
import { privateSchema } from './support/postgres';

const logger = createLogger({ name: 'test', level: 'silent' });

function call(overrides: Partial<ProviderCallRecord>): ProviderCallRecord {
  return {
    startedAt: new Date(),
    provider: 'bamboohr',
    method: 'GET',
    route: '/v1/employees/directory',
    status: 200,
    errorCode: undefined,
    durationMs: 12,
    attempts: 1,
    ...overrides,
  };
}

describe.each(['sqlite', 'postgres'] as const)(
  'provider logs and integration issues on %s',
  (dialect) => {
    let store: Store;
    let drop: (() => Promise<void>) | undefined;
    let account: LinkedAccount;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (dialect === 'postgres') {
        const schema = await privateSchema();
        databaseUrl = schema.url;
        drop = schema.drop;
      }
      store = await Store.open({
        databaseUrl,
        sqlitePath: ':memory:',
        sandboxEnabled: false,
        logger,
      });
      const tenant = await store.createTenant({ name: 'Logs Inc' });
      const organization = await store.createOrganization({
        tenantId: tenant.id,
        name: 'Customer',
      });
      const { id } = await store.linkAccount({
        organizationId: organization.id,
        category: 'hris',
        provider: 'bamboohr',
        baseUrl: 'http://127.0.0.1:9/bamboohr',
        credentials: { companyDomain: 'x', apiKey: 'k' },
      });
      const loaded = await store.getLinkedAccount(id, {
        tenantId: tenant.id,
        organizationId: organization.id,
      });
      if (!loaded) throw new Error('linked account not found');
      account = loaded;
    });

    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    it('finds calls by status class, time range and request id, newest first', async () => {
      const writer = new ProviderLogWriter({ db: store.db, logger });
      const owner = {
        tenantId: account.tenantId,
        organizationId: account.organizationId,
        linkedAccountId: account.id,
        category: account.category,
      };
      const at = Date.now();
      writer.record(
        { ...owner, requestId: 'req-a' },
        call({ startedAt: new Date(at - 2_000) }),
      );
      writer.record(
        { ...owner, requestId: 'req-b' },
        call({
          startedAt: new Date(at - 1_000),
          status: 503,
          errorCode: ErrorCode.UPSTREAM_UNAVAILABLE,
          attempts: 3,
        }),
      );
      writer.record(
        { ...owner, requestId: 'req-b' },
        call({
          startedAt: new Date(at),
          status: undefined,
          errorCode: ErrorCode.UPSTREAM_TIMEOUT,
        }),
      );
      await writer.close();

      const base = { tenantId: account.tenantId };
      const all = await searchProviderLogs(store.db, base, { first: 10 });
      expect(all.rows.map((row) => row.status_class)).toEqual([
        'NO_RESPONSE',
        'SERVER_ERROR',
        'SUCCESS',
      ]);
      const failed = await searchProviderLogs(
        store.db,
        { ...base, statusClasses: ['SERVER_ERROR', 'NO_RESPONSE'] },
        { first: 10 },
      );
      expect(failed.rows).toHaveLength(2);
      const range = await searchProviderLogs(
        store.db,
        {
          ...base,
          since: new Date(at - 1_500),
          until: new Date(at - 500),
        },
        { first: 10 },
      );
      expect(range.rows.map((row) => row.attempts)).toEqual([3]);
      const byRequest = await searchProviderLogs(
        store.db,
        { ...base, requestId: 'req-a', linkedAccountId: account.id },
        { first: 10 },
      );
      expect(byRequest.rows).toHaveLength(1);
      const page = await searchProviderLogs(store.db, base, { first: 2 });
      expect(page.hasNextPage).toBe(true);
      const last = page.rows.at(-1);
      const next = await searchProviderLogs(store.db, base, {
        first: 2,
        ...(last ? { after: { startedAt: last.started_at, id: last.id } } : {}),
      });
      expect(next.rows.map((row) => row.request_id)).toEqual(['req-a']);
      expect(next.hasNextPage).toBe(false);
    });

    it('opens one issue after repeated 401s, sets RELINK_NEEDED, and resolves it on the next success', async () => {
      const monitor = new IntegrationMonitor({
        db: store.db,
        logger,
        threshold: 2,
      });
      const rejected = call({
        status: 401,
        errorCode: ErrorCode.RELINK_NEEDED,
      });
      monitor.observe(account, rejected);
      await monitor.settled();
      expect(
        await listIntegrationIssues(store.db, { tenantId: account.tenantId }),
      ).toEqual([]);
      monitor.observe(account, rejected);
      monitor.observe(account, rejected);
      await monitor.settled();
      const open = await listIntegrationIssues(store.db, {
        tenantId: account.tenantId,
        open: true,
      });
      expect(open.map((issue) => issue.kind)).toEqual(['CREDENTIALS_REJECTED']);
      const owner = {
        tenantId: account.tenantId,
        organizationId: account.organizationId,
      };
      const relink = await store.getLinkedAccount(account.id, owner);
      expect(relink?.status).toBe('RELINK_NEEDED');

      monitor.observe({ ...account, status: 'RELINK_NEEDED' }, call({}));
      await monitor.settled();
      expect((await store.getLinkedAccount(account.id, owner))?.status).toBe(
        'ACTIVE',
      );
      const resolved = await listIntegrationIssues(store.db, {
        tenantId: account.tenantId,
        open: false,
      });
      expect(resolved).toHaveLength(1);
      expect(resolved[0]?.resolvedAt).toBeInstanceOf(Date);
    });

    it('marks sustained rate limiting DEGRADED, not RELINK_NEEDED', async () => {
      const monitor = new IntegrationMonitor({
        db: store.db,
        logger,
        threshold: 2,
      });
      // A Salesforce-style 403 that the connector classified as a rate limit.
      const limited = call({
        status: 403,
        errorCode: ErrorCode.UPSTREAM_RATE_LIMITED,
      });
      monitor.observe(account, limited);
      monitor.observe(account, limited);
      await monitor.settled();
      const owner = {
        tenantId: account.tenantId,
        organizationId: account.organizationId,
      };
      expect((await store.getLinkedAccount(account.id, owner))?.status).toBe(
        'DEGRADED',
      );
      const open = await listIntegrationIssues(store.db, {
        tenantId: account.tenantId,
        linkedAccountId: account.id,
        open: true,
      });
      expect(open.map((issue) => issue.kind)).toEqual(['RATE_LIMITED']);
      monitor.observe({ ...account, status: 'DEGRADED' }, call({}));
      await monitor.settled();
      expect((await store.getLinkedAccount(account.id, owner))?.status).toBe(
        'ACTIVE',
      );
    });
  },
);
