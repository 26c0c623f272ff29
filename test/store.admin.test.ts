import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger';
import {
  authenticateApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
} from '../lib/store/api-keys';
import {
  listAuditRecords,
  purgeAuditRecords,
  recordAudit,
  type NewAuditRecord,
} from '../lib/store/audit';
import { listOrganizations } from '../lib/store/organizations';
import { Store } from '../lib/store/store';
import { privateSchema } from './support/postgres';

const logger = createLogger({ name: 'test', level: 'silent' });

describe.each(['sqlite', 'postgres'] as const)(
  'API keys, organizations and the audit trail on %s',
  (dialect) => {
    let store: Store;
    let dropSchema: (() => Promise<void>) | undefined;
    let tenantId: string;
    let otherTenantId: string;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (dialect === 'postgres') {
        const schema = await privateSchema();
        databaseUrl = schema.url;
        dropSchema = schema.drop;
      }
      store = await Store.open({
        databaseUrl,
        sqlitePath: ':memory:',
        sandboxEnabled: true,
        logger,
      });
      tenantId = (await store.createTenant({ name: 'one' })).id;
      otherTenantId = (await store.createTenant({ name: 'two' })).id;
    });

    afterAll(async () => {
      await store.close();
      await dropSchema?.();
    });

    it('rotates a key in place and revokes it, only within its tenant', async () => {
      const key = await store.createApiKey({
        tenantId,
        name: 'k',
        scopes: ['crm:read'],
      });
      await expect(
        rotateApiKey(store.db, otherTenantId, key.id),
      ).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });

      const rotated = await rotateApiKey(store.db, tenantId, key.id);
      expect(rotated.apiKey).toMatchObject({
        id: key.id,
        scopes: ['crm:read'],
      });
      expect(
        (
          await authenticateApiKey(store.db, key.secret, {
            sandboxEnabled: true,
          })
        ).ok,
      ).toBe(false);
      expect(
        await authenticateApiKey(store.db, rotated.secret, {
          sandboxEnabled: true,
        }),
      ).toMatchObject({ ok: true, apiKeyId: key.id, tenantId });

      await expect(
        revokeApiKey(store.db, otherTenantId, key.id),
      ).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
      const revoked = await revokeApiKey(store.db, tenantId, key.id);
      expect(revoked.revokedAt).toEqual(expect.any(String));
      expect(
        (
          await authenticateApiKey(store.db, rotated.secret, {
            sandboxEnabled: true,
          })
        ).ok,
      ).toBe(false);
      expect((await listApiKeys(store.db, otherTenantId)).length).toBe(0);
    });

    it('lists a tenant’s organizations with linked accounts and no credentials', async () => {
      const organization = await store.createOrganization({
        tenantId,
        name: 'customer',
      });
      await store.linkAccount({
        organizationId: organization.id,
        category: 'crm',
        provider: 'hubspot',
        baseUrl: 'https://api.hubapi.com',
        credentials: { accessToken: 'pat-secret-value' },
      });
      const listed = await listOrganizations(store.db, tenantId);
      expect(listed).toHaveLength(1);
      expect(listed[0]!.linkedAccounts).toMatchObject([
        { category: 'crm', provider: 'hubspot', status: 'ACTIVE' },
      ]);
      expect(JSON.stringify(listed)).not.toContain('pat-secret-value');
      expect(await listOrganizations(store.db, otherTenantId)).toEqual([]);
    });

    it('pages audit records newest first, filters them and purges by age', async () => {
      const base: NewAuditRecord = {
        tenantId,
        apiKeyId: 'key',
        surface: 'graphql',
        organizationId: 'org',
        requestId: 'r',
        operationName: 'Q',
        operationType: 'query',
        operationHash: 'h',
        categories: ['hris'],
        personalFields: [],
        compensationFields: [],
        outcome: 'OK',
        errorCodes: [],
        durationMs: 3.6,
      };
      const at = (daysAgo: number) =>
        new Date(Date.UTC(2026, 10, 30) - daysAgo * 86_400_000).toISOString();
      for (let day = 0; day < 5; day += 1) {
        await recordAudit(store.db, {
          ...base,
          requestId: `r${day}`,
          occurredAt: at(day),
          personalFields: day % 2 === 0 ? ['Employee.dateOfBirth'] : [],
        });
      }
      await recordAudit(store.db, {
        ...base,
        tenantId: otherTenantId,
        occurredAt: at(0),
      });

      const first = await listAuditRecords(store.db, { tenantId, first: 3 });
      expect(first.records.map((record) => record.requestId)).toEqual([
        'r0',
        'r1',
        'r2',
      ]);
      expect(first.records[0]).toMatchObject({
        categories: ['hris'],
        personalFields: ['Employee.dateOfBirth'],
        durationMs: 4,
      });
      const second = await listAuditRecords(store.db, {
        tenantId,
        first: 3,
        after: first.endCursor,
      });
      expect(second.records.map((record) => record.requestId)).toEqual([
        'r3',
        'r4',
      ]);
      expect(second.hasNextPage).toBe(false);

      const sensitive = await listAuditRecords(store.db, {
        tenantId,
        first: 10,
        sensitiveOnly: true,
      });
      expect(sensitive.records.map((record) => record.requestId)).toEqual([
        'r0',
        'r2',
        'r4',
      ]);
      await expect(
        listAuditRecords(store.db, { tenantId, first: 10, after: 'junk' }),
      ).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });

      expect(await purgeAuditRecords(store.db, new Date(at(2)))).toBe(2);
      const left = await listAuditRecords(store.db, { tenantId, first: 10 });
      expect(left.records.map((record) => record.requestId)).toEqual([
        'r0',
        'r1',
        'r2',
      ]);
    });
  },
);
