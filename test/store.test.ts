import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger';
import { ensureSandboxTenants } from '../lib/sandbox';
import { Store, hashSecret } from '../lib/store/store';
import { privateSchema } from './support/postgres';

const logger = createLogger({ name: 'test', level: 'silent' });

describe.each(['sqlite', 'postgres'] as const)('Store on %s', (dialect) => {
  let store: Store;
  let offStore: Store;
  let dropSchema: (() => Promise<void>) | undefined;

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
    expect(store.dialect).toBe(dialect);
    await ensureSandboxTenants(store, {
      sandboxUrl: 'http://127.0.0.1:9',
      logger,
    });
    if (dialect === 'postgres') {
      // A second store on the same database, with the sandbox off.
      offStore = await Store.open({
        databaseUrl,
        sandboxEnabled: false,
        logger,
      });
    }
  });

  afterAll(async () => {
    await offStore?.close();
    await store.close();
    await dropSchema?.();
  });

  it('authenticates the sandbox key and token to their linked accounts', async () => {
    const result = await store.authenticate('sk_sandbox_demo', 'acct_acme');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.principal.tenantId).toBe('tenant_sandbox');
    expect(
      result.principal.linkedAccounts.map((account) => account.provider),
    ).toEqual(['hubspot', 'bamboohr', 'jira']);
    const hris = result.principal.linkedAccounts.find(
      (account) => account.category === 'hris',
    )!;
    const account = await store.getLinkedAccount(hris.id, result.principal);
    expect(account).toMatchObject({
      category: 'hris',
      baseUrl: 'http://127.0.0.1:9/bamboohr',
      credentials: { companyDomain: 'acme' },
      status: 'ACTIVE',
    });
  });

  it('is idempotent: ensuring the sandbox twice re-points links and adds nothing', async () => {
    await ensureSandboxTenants(store, {
      sandboxUrl: 'http://127.0.0.1:10',
      logger,
    });
    const keys = await store.db
      .selectFrom('api_keys')
      .select('id')
      .where('tenant_id', '=', 'tenant_sandbox')
      .execute();
    expect(keys).toHaveLength(4);
    const result = await store.authenticate('sk_sandbox_demo', 'acct_acme');
    if (!result.ok) throw new Error('expected success');
    const accounts = await Promise.all(
      result.principal.linkedAccounts.map((link) =>
        store.getLinkedAccount(link.id, result.principal),
      ),
    );
    expect(accounts.map((account) => account?.baseUrl)).toEqual([
      'http://127.0.0.1:10/hubspot',
      'http://127.0.0.1:10/bamboohr',
      'http://127.0.0.1:10/jira/acme',
    ]);
  });

  it('refuses another tenant\u2019s account token as unknown', async () => {
    expect(await store.authenticate('sk_sandbox_other', 'acct_acme')).toEqual({
      ok: false,
      reason: 'unknown-account-token',
    });
  });

  it('tells a missing key, an unknown key and a missing token apart', async () => {
    expect(await store.authenticate(undefined, 'acct_acme')).toMatchObject({
      reason: 'missing-api-key',
    });
    expect(await store.authenticate('sk_nope', 'acct_acme')).toMatchObject({
      reason: 'unknown-api-key',
    });
    expect(
      await store.authenticate('sk_sandbox_demo', undefined),
    ).toMatchObject({ reason: 'missing-account-token' });
  });

  it('stores API keys and account tokens only as hashes', async () => {
    const tenant = await store.createTenant({ name: `t-${dialect}` });
    const key = await store.createApiKey({
      tenantId: tenant.id,
      name: 'ci',
      scopes: ['hris:read'],
    });
    const organization = await store.createOrganization({
      tenantId: tenant.id,
      name: 'customer',
    });
    const rows = await store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', key.id)
      .execute();
    expect(rows[0]?.key_hash).toBe(hashSecret(key.secret));
    expect(JSON.stringify(rows)).not.toContain(key.secret);
    const organizations = await store.db
      .selectFrom('organizations')
      .selectAll()
      .where('id', '=', organization.id)
      .execute();
    expect(JSON.stringify(organizations)).not.toContain(
      organization.accountToken,
    );
    const result = await store.authenticate(
      key.secret,
      organization.accountToken,
    );
    expect(result).toMatchObject({
      ok: true,
      principal: {
        tenantId: tenant.id,
        scopes: ['hris:read'],
        linkedAccounts: [],
      },
    });
  });

  it('keeps one linked account per category, replacing it on relink', async () => {
    const tenant = await store.createTenant({ name: 'relink' });
    const organization = await store.createOrganization({
      tenantId: tenant.id,
      name: 'customer',
    });
    const first = await store.linkAccount({
      organizationId: organization.id,
      category: 'crm',
      provider: 'hubspot',
      baseUrl: 'https://api.hubapi.com',
      credentials: { accessToken: 'one' },
    });
    const second = await store.linkAccount({
      organizationId: organization.id,
      category: 'crm',
      provider: 'hubspot',
      baseUrl: 'https://api.hubapi.com',
      credentials: { accessToken: 'two' },
    });
    expect(second.id).toBe(first.id);
    const account = await store.getLinkedAccount(first.id, {
      tenantId: tenant.id,
      organizationId: organization.id,
    });
    expect(account?.credentials).toEqual({ accessToken: 'two' });
    expect(
      await store.getLinkedAccount(first.id, {
        tenantId: 'tenant_sandbox',
        organizationId: organization.id,
      }),
    ).toBeUndefined();
  });

  it.runIf(dialect === 'postgres')(
    'refuses sandbox keys while the sandbox is off',
    async () => {
      expect(
        await offStore.authenticate('sk_sandbox_demo', 'acct_acme'),
      ).toEqual({ ok: false, reason: 'sandbox-off' });
    },
  );
});
