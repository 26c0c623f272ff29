import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuditRetention } from '../gateway/audit';
import { ConfigError, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { sandboxLinks } from '../lib/sandbox';
import { recordAudit } from '../lib/store/audit';
import { hashSecret } from '../lib/store/store';
import { ACME_SEED, generateOrganization } from '../sandbox/seed';
import { graphql, startTestSystem } from './support/system';

const acme = generateOrganization(ACME_SEED);
const logger = createLogger({ name: 'test', level: 'silent' });

let system: Awaited<ReturnType<typeof startTestSystem>>;
let adminUrl: string;

beforeAll(async () => {
  system = await startTestSystem();
  adminUrl = system.gatewayUrl.replace(/\/graphql$/, '/admin/graphql');
});

afterAll(async () => {
  await system?.stop();
});

interface AuditNode {
  id: string;
  occurredAt: string;
  apiKeyId: string;
  surface: string;
  organizationId: string | null;
  requestId: string;
  operationName: string | null;
  operationType: string | null;
  operationHash: string | null;
  categories: string[];
  personalFields: string[];
  compensationFields: string[];
  outcome: string;
  errorCodes: string[];
  durationMs: number;
}

const AUDIT_QUERY = `
  query Audit($first: Int, $after: String, $sensitiveOnly: Boolean, $apiKeyId: ID, $until: String) {
    auditRecords(first: $first, after: $after, sensitiveOnly: $sensitiveOnly, apiKeyId: $apiKeyId, until: $until) {
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id occurredAt apiKeyId surface organizationId requestId
          operationName operationType operationHash categories
          personalFields compensationFields outcome errorCodes durationMs
        }
      }
    }
  }
`;

async function auditRecords(
  variables: Record<string, unknown> = {},
  apiKey = 'sk_sandbox_admin',
): Promise<AuditNode[]> {
  const response = await graphql<{
    auditRecords: { edges: Array<{ node: AuditNode }> };
  }>(adminUrl, AUDIT_QUERY, {
    apiKey,
    variables: { first: 100, ...variables },
  });
  expect(response.errors).toBeUndefined();
  return response.data!.auditRecords.edges.map((edge) => edge.node);
}

async function apiKeyIdOf(secret: string): Promise<string> {
  const row = await system.store.db
    .selectFrom('api_keys')
    .select('id')
    .where('key_hash', '=', hashSecret(secret))
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('the audit trail', () => {
  it('records a PII read with the field coordinates, never the values, and an admin lists it', async () => {
    const query =
      'query PiiRead { employees(first: 5) { edges { node { firstName dateOfBirth employments { payRate } } } } }';
    const response = await graphql<{
      employees: {
        edges: Array<{ node: { dateOfBirth: string } }>;
      };
    }>(system.gatewayUrl, query, {
      apiKey: 'sk_sandbox_pii',
      accountToken: 'acct_acme',
      headers: { 'x-request-id': 'audit-pii-read' },
    });
    expect(response.errors).toBeUndefined();
    expect(response).not.toHaveProperty('extensions');
    const dates = response.data!.employees.edges.map(
      (edge) => edge.node.dateOfBirth,
    );
    expect(dates.every((date) => /^\d{4}-\d{2}-\d{2}$/.test(date))).toBe(true);

    const records = await auditRecords();
    const record = records.find((item) => item.requestId === 'audit-pii-read');
    expect(record).toMatchObject({
      apiKeyId: await apiKeyIdOf('sk_sandbox_pii'),
      surface: 'graphql',
      organizationId: 'org_sandbox_acme',
      operationName: 'PiiRead',
      operationType: 'query',
      operationHash: createHash('sha256').update(query).digest('hex'),
      categories: ['hris'],
      personalFields: ['Employee.dateOfBirth'],
      compensationFields: ['Employment.payRate'],
      outcome: 'OK',
      errorCodes: [],
    });

    // Nothing of the values, nor the account token, is in the store.
    const rows = JSON.stringify(
      await system.store.db.selectFrom('audit_records').selectAll().execute(),
    );
    for (const date of dates) expect(rows).not.toContain(date);
    expect(rows).not.toContain('acct_acme');
    expect(rows).not.toContain(acme.employees[0]!.firstName);
  });

  it('records the _entities path: categories touched and the PII returned through tickets', async () => {
    await graphql(
      system.gatewayUrl,
      'query AssigneeBirthdays { tickets(first: 5) { edges { node { assignees { employee { dateOfBirth } } } } } }',
      {
        apiKey: 'sk_sandbox_pii',
        accountToken: 'acct_acme',
        headers: { 'x-request-id': 'audit-entities' },
      },
    );
    const record = (await auditRecords()).find(
      (item) => item.requestId === 'audit-entities',
    );
    expect(record).toMatchObject({
      categories: ['hris', 'ticketing'],
      personalFields: ['Employee.dateOfBirth'],
      outcome: 'OK',
    });
  });

  it('records a refused PII read as PARTIAL with FORBIDDEN and no personal field', async () => {
    await graphql(
      system.gatewayUrl,
      'query Refused { employees(first: 2) { edges { node { dateOfBirth } } } }',
      {
        apiKey: 'sk_sandbox_demo',
        accountToken: 'acct_acme',
        headers: { 'x-request-id': 'audit-refused' },
      },
    );
    const record = (await auditRecords()).find(
      (item) => item.requestId === 'audit-refused',
    );
    expect(record).toMatchObject({
      apiKeyId: await apiKeyIdOf('sk_sandbox_demo'),
      personalFields: [],
      outcome: 'PARTIAL',
      errorCodes: ['FORBIDDEN'],
    });
  });

  it('filters to sensitive reads and pages newest first without repeats', async () => {
    const sensitive = await auditRecords({ sensitiveOnly: true });
    expect(sensitive.length).toBeGreaterThanOrEqual(2);
    for (const record of sensitive) {
      expect(
        record.personalFields.length + record.compensationFields.length,
      ).toBeGreaterThan(0);
    }

    // Admin requests are audited too: page over a fixed window.
    const until = new Date().toISOString();
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const response: Awaited<
        ReturnType<
          typeof graphql<{
            auditRecords: {
              pageInfo: { hasNextPage: boolean; endCursor: string | null };
              edges: Array<{ node: AuditNode }>;
            };
          }>
        >
      > = await graphql(adminUrl, AUDIT_QUERY, {
        apiKey: 'sk_sandbox_admin',
        variables: { first: 2, after, until },
      });
      const connection = response.data!.auditRecords;
      seen.push(...connection.edges.map((edge) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    const all = await auditRecords({ until });
    expect(all.length).toBeGreaterThan(4);
    expect(seen).toEqual(all.map((record) => record.id));
    const times = all.map((record) => record.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('purges records older than the retention and keeps the rest', async () => {
    const base = {
      tenantId: 'tenant_sandbox',
      apiKeyId: 'k',
      surface: 'graphql' as const,
      organizationId: 'org_sandbox_acme',
      operationName: null,
      operationType: 'query',
      operationHash: null,
      categories: [],
      personalFields: [],
      compensationFields: [],
      outcome: 'OK' as const,
      errorCodes: [],
      durationMs: 1,
    };
    const old = await recordAudit(system.store.db, {
      ...base,
      requestId: 'old',
      occurredAt: new Date(Date.now() - 40 * 86_400_000).toISOString(),
    });
    const recent = await recordAudit(system.store.db, {
      ...base,
      requestId: 'recent',
      occurredAt: new Date(Date.now() - 20 * 86_400_000).toISOString(),
    });
    const stop = startAuditRetention({
      store: system.store,
      logger,
      retentionDays: 30,
    });
    stop();
    await expect
      .poll(async () =>
        (
          await system.store.db
            .selectFrom('audit_records')
            .select('id')
            .where('id', 'in', [old, recent])
            .execute()
        ).map((row) => row.id),
      )
      .toEqual([recent]);
  });

  it('reads AUDIT_RETENTION_DAYS, default 90, and rejects 0 naming the variable', () => {
    expect(loadConfig({}).auditRetentionDays).toBe(90);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '7' }).auditRetentionDays).toBe(
      7,
    );
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '0' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '0' })).toThrow(
      /AUDIT_RETENTION_DAYS: expected at least 1 day, received "0"/,
    );
  });
});

describe('the admin API', () => {
  it('answers 401 without a known key and 403 FORBIDDEN to a key without the admin scope', async () => {
    const none = await graphql(adminUrl, '{ apiKeys { id } }');
    expect(none.status).toBe(401);
    expect(none.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const demo = await graphql(adminUrl, '{ apiKeys { id } }', {
      apiKey: 'sk_sandbox_demo',
    });
    expect(demo.status).toBe(403);
    expect(demo.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('creates, lists, rotates and revokes API keys, showing each secret once', async () => {
    const created = await graphql<{
      createApiKey: {
        secret: string;
        apiKey: { id: string; prefix: string; scopes: string[] };
      };
    }>(
      adminUrl,
      'mutation { createApiKey(name: "frontend", scopes: ["hris:read"]) { secret apiKey { id prefix scopes } } }',
      { apiKey: 'sk_sandbox_admin' },
    );
    expect(created.errors).toBeUndefined();
    const { secret, apiKey } = created.data!.createApiKey;
    expect(secret).toMatch(/^sk_/);
    expect(secret.startsWith(apiKey.prefix)).toBe(true);
    expect(apiKey.scopes).toEqual(['hris:read']);

    const employees = '{ employees(first: 1) { edges { node { id } } } }';
    const works = await graphql(system.gatewayUrl, employees, {
      apiKey: secret,
      accountToken: 'acct_acme',
    });
    expect(works.status).toBe(200);
    expect(works.errors).toBeUndefined();

    const listed = await graphql<{
      apiKeys: Array<Record<string, unknown>>;
    }>(adminUrl, '{ apiKeys { id name prefix scopes revokedAt } }', {
      apiKey: 'sk_sandbox_admin',
    });
    const entry = listed.data!.apiKeys.find((key) => key.id === apiKey.id);
    expect(entry).toMatchObject({ name: 'frontend', revokedAt: null });
    expect(JSON.stringify(listed.data)).not.toContain(secret);
    expect(JSON.stringify(listed.data)).not.toContain(hashSecret(secret));

    const rotated = await graphql<{
      rotateApiKey: {
        secret: string;
        apiKey: { id: string; rotatedAt: string };
      };
    }>(
      adminUrl,
      `mutation { rotateApiKey(id: "${apiKey.id}") { secret apiKey { id rotatedAt } } }`,
      { apiKey: 'sk_sandbox_admin' },
    );
    const fresh = rotated.data!.rotateApiKey;
    expect(fresh.apiKey.id).toBe(apiKey.id);
    expect(fresh.secret).not.toBe(secret);
    expect(fresh.apiKey.rotatedAt).toEqual(expect.any(String));
    for (const [key, status] of [
      [secret, 401],
      [fresh.secret, 200],
    ] as const) {
      const response = await graphql(system.gatewayUrl, employees, {
        apiKey: key,
        accountToken: 'acct_acme',
      });
      expect(response.status).toBe(status);
    }

    const revoked = await graphql<{ revokeApiKey: { revokedAt: string } }>(
      adminUrl,
      `mutation { revokeApiKey(id: "${apiKey.id}") { revokedAt } }`,
      { apiKey: 'sk_sandbox_admin' },
    );
    expect(revoked.data!.revokeApiKey.revokedAt).toEqual(expect.any(String));
    const refused = await graphql(system.gatewayUrl, employees, {
      apiKey: fresh.secret,
      accountToken: 'acct_acme',
    });
    expect(refused.status).toBe(401);

    const unknown = await graphql<{ apiKey: unknown }>(
      adminUrl,
      '{ apiKey(id: "no-such-key") { id } }',
      { apiKey: 'sk_sandbox_admin' },
    );
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!.apiKey).toBeNull();

    // A revoked key cannot be rotated back to life.
    const again = await graphql(
      adminUrl,
      `mutation { rotateApiKey(id: "${apiKey.id}") { secret } }`,
      { apiKey: 'sk_sandbox_admin' },
    );
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // The admin operations are in the trail too.
    const adminRecords = (await auditRecords()).filter(
      (record) => record.surface === 'admin',
    );
    expect(
      adminRecords.some((record) => record.operationType === 'mutation'),
    ).toBe(true);
  });

  it('rejects unknown scopes with BAD_USER_INPUT naming them', async () => {
    const response = await graphql(
      adminUrl,
      'mutation { createApiKey(name: "x", scopes: ["hris:write", "everything"]) { secret } }',
      { apiKey: 'sk_sandbox_admin' },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(/hris:write, everything/);
  });

  it('lists, links and unlinks linked accounts without ever returning credentials', async () => {
    const created = await graphql<{
      createOrganization: {
        accountToken: string;
        organization: { id: string; linkedAccounts: unknown[] };
      };
    }>(
      adminUrl,
      'mutation { createOrganization(name: "Customer") { accountToken organization { id linkedAccounts { id } } } }',
      { apiKey: 'sk_sandbox_admin' },
    );
    const { organization, accountToken } = created.data!.createOrganization;
    expect(accountToken).toMatch(/^acct_/);
    expect(organization.linkedAccounts).toEqual([]);

    const hris = sandboxLinks(system.sandboxUrl!, 'acme').find(
      (link) => link.category === 'hris',
    )!;
    const linked = await graphql<{
      linkAccount: { category: string; provider: string; status: string };
    }>(
      adminUrl,
      `
        mutation Link(
          $organizationId: ID!
          $baseUrl: String!
          $credentials: [CredentialInput!]!
        ) {
          linkAccount(
            organizationId: $organizationId
            provider: "bamboohr"
            baseUrl: $baseUrl
            credentials: $credentials
          ) {
            id
            category
            provider
            status
          }
        }
      `,
      {
        apiKey: 'sk_sandbox_admin',
        variables: {
          organizationId: organization.id,
          baseUrl: hris.baseUrl,
          credentials: Object.entries(hris.credentials).map(
            ([field, value]) => ({ field, value }),
          ),
        },
      },
    );
    expect(linked.errors).toBeUndefined();
    expect(linked.data!.linkAccount).toMatchObject({
      category: 'hris',
      provider: 'bamboohr',
      status: 'ACTIVE',
    });

    const employees = await graphql(
      system.gatewayUrl,
      '{ employees(first: 1) { edges { node { workEmail } } } }',
      { apiKey: 'sk_sandbox_demo', accountToken },
    );
    expect(employees.errors).toBeUndefined();

    const listed = await graphql<{
      organizations: Array<{ id: string; linkedAccounts: unknown[] }>;
    }>(
      adminUrl,
      '{ organizations { id name linkedAccounts { id category provider baseUrl status } } }',
      { apiKey: 'sk_sandbox_admin' },
    );
    const text = JSON.stringify(listed.data);
    expect(text).not.toContain(hris.credentials.apiKey);
    expect(text).not.toContain('credentials');
    expect(
      listed.data!.organizations.find((item) => item.id === organization.id)!
        .linkedAccounts,
    ).toHaveLength(1);

    const unlinked = await graphql<{
      unlinkAccount: { linkedAccounts: unknown[] };
    }>(
      adminUrl,
      `mutation { unlinkAccount(organizationId: "${organization.id}", category: "hris") { linkedAccounts { id } } }`,
      { apiKey: 'sk_sandbox_admin' },
    );
    expect(unlinked.data!.unlinkAccount.linkedAccounts).toEqual([]);
  });

  it('shows an admin of another tenant none of this tenant’s keys, organizations or records', async () => {
    const tenant = await system.store.createTenant({ name: 'elsewhere' });
    const admin = await system.store.createApiKey({
      tenantId: tenant.id,
      name: 'admin',
      scopes: ['admin'],
    });
    const response = await graphql<{
      apiKeys: Array<{ id: string }>;
      organizations: unknown[];
      auditRecords: { edges: unknown[] };
    }>(
      adminUrl,
      '{ apiKeys { id } organizations { id } auditRecords(first: 100) { edges { cursor } } }',
      { apiKey: admin.secret },
    );
    expect(response.data!.apiKeys.map((key) => key.id)).toEqual([admin.id]);
    expect(response.data!.organizations).toEqual([]);
    // Only its own request so far (this one is recorded after answering).
    expect(response.data!.auditRecords.edges).toEqual([]);

    const sandboxOrg = await graphql<{ unlinkAccount: unknown }>(
      adminUrl,
      'mutation { unlinkAccount(organizationId: "org_sandbox_acme", category: "hris") { id } }',
      { apiKey: admin.secret },
    );
    expect(sandboxOrg.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
