import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode, ProviderError } from '../lib/errors';
import { ProviderClient } from '../lib/http';
import { Store } from '../lib/store/store';
import {
  createSalesforceSandbox,
  defaultSalesforceSettings,
  renderSalesforceOrg,
} from '../sandbox/providers/salesforce';
import { ACME_SEED, generateOrganization } from '../sandbox/seed';
import { RequestRecorder, sandboxCredentials } from '../sandbox/types';
import { SalesforceCrmConnector } from '../subgraphs/crm/providers/salesforce/connector';
import {
  drainPages as drain,
  sandboxDeps,
  silentLogger as logger,
  useSandboxServer,
} from './support/connectors';

const acme = generateOrganization(ACME_SEED);
const org = renderSalesforceOrg('acme', 0, acme);
const recorder = new RequestRecorder();
const settings = defaultSalesforceSettings();
let store: Store;
let tenantId: string;

const server = useSandboxServer(() => ({
  '/salesforce': createSalesforceSandbox(
    { organizations: [{ key: 'acme', data: acme }], recorder },
    settings,
  ),
}));

beforeAll(async () => {
  store = await Store.open({
    sqlitePath: ':memory:',
    sandboxEnabled: false,
    logger,
  });
  tenantId = (await store.createTenant({ name: 'Salesforce tests' })).id;
});

afterAll(async () => {
  await store?.close();
});

/** A fresh organization linked to the sandbox org, as `account link` does. */
async function link(
  credentials: Record<string, string> = sandboxCredentials.salesforce('acme'),
) {
  const organization = await store.createOrganization({
    tenantId,
    name: 'Customer',
  });
  const { id } = await store.linkAccount({
    organizationId: organization.id,
    category: 'crm',
    provider: 'salesforce',
    baseUrl: `${server.origin}/salesforce`,
    credentials,
  });
  return { id, owner: { tenantId, organizationId: organization.id } };
}

type Link = Awaited<ReturnType<typeof link>>;

/** The connector one request builds: the account read from the store. */
async function connector(linked: Link): Promise<SalesforceCrmConnector> {
  const account = await store.getLinkedAccount(linked.id, linked.owner);
  if (!account) throw new Error('linked account vanished');
  return new SalesforceCrmConnector(
    account,
    sandboxDeps(account, {
      linkedAccount: {
        updateCredentials: (credentials) =>
          store.updateCredentials(account.id, credentials),
        markRelinkNeeded: () =>
          store.setLinkedAccountStatus(account.id, 'RELINK_NEEDED'),
      },
    }),
  );
}

const tokenCalls = () =>
  recorder
    .of('salesforce')
    .filter((request) => request.path === '/services/oauth2/token');
const queries = () =>
  recorder
    .of('salesforce')
    .filter((request) => request.path.includes('/query'));

async function credentialsOf(linked: Link) {
  return (await store.getLinkedAccount(linked.id, linked.owner))?.credentials;
}

describe('Salesforce connector listings', () => {
  let linked: Link;
  beforeAll(async () => {
    linked = await link();
  });

  it('follows nextRecordsUrl to the last batch and returns every account once', async () => {
    const sf = await connector(linked);
    recorder.clear();
    const { items, pages } = await drain((cursor) =>
      sf.listAccounts({ cursor, limit: 50 }),
    );
    expect(items).toHaveLength(acme.companies.length);
    expect(new Set(items.map((account) => account.remoteId)).size).toBe(
      acme.companies.length,
    );
    expect(pages).toBe(Math.ceil(acme.companies.length / 50));
    const paths = queries().map((request) => request.path);
    expect(paths[0]).toBe('/services/data/v62.0/query');
    expect(paths.slice(1)).toEqual(
      Array.from({ length: pages - 1 }, () =>
        expect.stringMatching(/^\/services\/data\/v62\.0\/query\/01g\w+-\d+$/),
      ),
    );
    const first = items[0]!;
    expect(first.remoteId).toMatch(/^001[A-Za-z0-9]{15}$/);
    expect(first.name).toBe(org.objects.Account[0]!.Name);
  });

  it('lists contacts, leads, users and notes to the end', async () => {
    const sf = await connector(linked);
    const contacts = await drain((cursor) =>
      sf.listContacts({ cursor, limit: 100 }),
    );
    const leads = await drain((cursor) => sf.listLeads({ cursor, limit: 100 }));
    const users = await drain((cursor) => sf.listUsers({ cursor, limit: 100 }));
    const notes = await drain((cursor) => sf.listNotes({ cursor, limit: 100 }));
    expect(contacts.items).toHaveLength(org.objects.Contact.length);
    expect(contacts.pages).toBeGreaterThan(1);
    expect(leads.items).toHaveLength(org.objects.Lead.length);
    expect(users.items).toHaveLength(
      acme.employees.filter((employee) => employee.status === 'Active').length,
    );
    expect(notes.items).toHaveLength(acme.notes.length);
    expect(notes.items[0]!.opportunityRemoteId).toMatch(/^006/);
  });

  it('pushes modifiedAfter, status and the selected fields into SOQL', async () => {
    const sf = await connector(linked);
    const after = new Date('2026-09-01T10:20:30.456Z');
    recorder.clear();
    const { items } = await drain((cursor) =>
      sf.listOpportunities({
        cursor,
        limit: 100,
        modifiedAfter: after,
        status: 'LOST',
        fields: ['name', 'amount'],
      }),
    );
    expect(queries()[0]!.query.q).toBe(
      'SELECT Id, Name, Amount FROM Opportunity WHERE IsClosed = true AND IsWon = false AND SystemModstamp >= 2026-09-01T10:20:30Z ORDER BY Id',
    );
    const expected = acme.deals.filter(
      (deal) =>
        deal.stage === 'closedlost' &&
        Date.parse(deal.modifiedAt) >= Date.parse('2026-09-01T10:20:30Z'),
    );
    expect(items).toHaveLength(expected.length);
    // Fields not selected map to null.
    expect(items[0]?.status ?? null).toBeNull();
  });

  it('maps IsClosed and IsWon to status for every opportunity', async () => {
    const sf = await connector(linked);
    const { items } = await drain((cursor) =>
      sf.listOpportunities({ cursor, limit: 100 }),
    );
    const count = (status: string) =>
      items.filter((item) => item.status === status).length;
    expect(count('WON')).toBe(
      acme.deals.filter((deal) => deal.stage === 'closedwon').length,
    );
    expect(count('LOST')).toBe(
      acme.deals.filter((deal) => deal.stage === 'closedlost').length,
    );
    expect(count('OPEN') + count('WON') + count('LOST')).toBe(
      acme.deals.length,
    );
    expect(items.find((item) => item.status === 'WON')?.statusRaw).toBe(
      'Closed Won',
    );
  });

  it('reads records by id through sObject Collections in chunks of 2,000, null for unknown ids', async () => {
    const sf = await connector(linked);
    const real = org.objects.Account.map((record) => String(record.Id));
    const unknown = Array.from(
      { length: 2_000 },
      (_, n) => `001Zz0000${String(n).padStart(6, '0')}AAA`,
    );
    recorder.clear();
    const results = await sf.getAccountsByIds([
      real[3]!,
      ...unknown,
      'not-an-id',
      real[0]!,
    ]);
    const posts = recorder
      .of('salesforce')
      .filter((request) => request.path.includes('/composite/sobjects/'));
    expect(
      posts.map((post) => (post.body as { ids: string[] }).ids.length),
    ).toEqual([2_000, 2]);
    expect(results).toHaveLength(2_003);
    expect(results[0]?.remoteId).toBe(real[3]);
    expect(results[2_002]?.remoteId).toBe(real[0]);
    expect(results.slice(1, 2_002).every((result) => result === null)).toBe(
      true,
    );
  });

  it('finds users by email case-insensitively and their opportunities in one shared query', async () => {
    const sf = await connector(linked);
    const owners = [
      ...new Set(acme.deals.map((deal) => deal.ownerEmail)),
    ].slice(0, 5);
    const users = await sf.getUsersByEmails(
      owners.map((email) => email.toUpperCase()),
    );
    expect(users.map((user) => user?.email)).toEqual(owners);
    recorder.clear();
    const pages = await sf.getOpportunityPagesOfOwners(
      users.map((user) => user!.remoteId),
      { cursor: null, limit: 100, status: null },
    );
    expect(queries()).toHaveLength(1);
    pages.forEach((page, index) => {
      expect(page.items.map((item) => item.name).sort()).toEqual(
        acme.deals
          .filter((deal) => deal.ownerEmail === owners[index])
          .map((deal) => deal.name)
          .sort(),
      );
    });
  });

  it('answers REQUEST_LIMIT_EXCEEDED as UPSTREAM_RATE_LIMITED and a foreign cursor as BAD_USER_INPUT', async () => {
    const sf = await connector(linked);
    await sf.listAccounts({ cursor: null, limit: 10 });
    const allowance = settings.apiRequestLimit;
    settings.apiRequestLimit = 0;
    try {
      await expect(
        sf.listAccounts({ cursor: null, limit: 10 }),
      ).rejects.toMatchObject({ code: ErrorCode.UPSTREAM_RATE_LIMITED });
    } finally {
      settings.apiRequestLimit = allowance;
    }
    await expect(
      sf.listAccounts({ cursor: '/services/oauth2/token', limit: 10 }),
    ).rejects.toMatchObject({ extensions: { code: ErrorCode.BAD_USER_INPUT } });
    await expect(
      sf.listAccounts({
        cursor: '/services/data/v62.0/query/01gexpired-50',
        limit: 10,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.BAD_USER_INPUT });
  });
});

describe('Salesforce OAuth refresh', () => {
  it('refreshes first when linked with a refresh token only, and keeps the token and instance URL', async () => {
    const linked = await link();
    recorder.clear();
    const sf = await connector(linked);
    await sf.listAccounts({ cursor: null, limit: 10 });
    expect(tokenCalls()).toHaveLength(1);
    expect(tokenCalls()[0]!.body).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'sandbox-sf-refresh-acme',
      client_id: 'sandbox-sf-client-acme',
    });
    const stored = await credentialsOf(linked);
    expect(stored?.accessToken).toMatch(/^00D\w+!/);
    expect(stored?.instanceUrl).toBe(`${server.origin}/salesforce`);
    // The provider sent no refresh token: the old one stays.
    expect(stored?.refreshToken).toBe('sandbox-sf-refresh-acme');

    recorder.clear();
    await (await connector(linked)).listAccounts({ cursor: null, limit: 10 });
    expect(tokenCalls()).toHaveLength(0);
  });

  it('refreshes before a known expiry, without a 401 first', async () => {
    const linked = await link();
    await (await connector(linked)).listUsers({ cursor: null, limit: 10 });
    const stored = (await credentialsOf(linked))!;
    await store.updateCredentials(linked.id, {
      ...stored,
      accessTokenExpiresAt: new Date(Date.now() + 10_000).toISOString(),
    });
    recorder.clear();
    await (await connector(linked)).listUsers({ cursor: null, limit: 10 });
    const calls = recorder.of('salesforce').map((request) => request.path);
    expect(calls).toEqual([
      '/services/oauth2/token',
      '/services/data/v62.0/query',
    ]);
    expect((await credentialsOf(linked))?.accessToken).not.toBe(
      stored.accessToken,
    );
  });

  it('refreshes on 401 INVALID_SESSION_ID and retries once', async () => {
    const linked = await link({
      ...sandboxCredentials.salesforce('acme'),
      accessToken: '00Dstale!expired-session',
      instanceUrl: `${server.origin}/salesforce`,
    });
    recorder.clear();
    const page = await (
      await connector(linked)
    ).listAccounts({ cursor: null, limit: 10 });
    expect(page.items.length).toBeGreaterThan(0);
    expect(recorder.of('salesforce').map((request) => request.path)).toEqual([
      '/services/data/v62.0/query',
      '/services/oauth2/token',
      '/services/data/v62.0/query',
    ]);
  });

  it('makes exactly one refresh call for 10 concurrent requests on an expired token', async () => {
    const linked = await link({
      ...sandboxCredentials.salesforce('acme'),
      accessToken: '00Dstale!expired-too',
      instanceUrl: `${server.origin}/salesforce`,
    });
    settings.tokenDelayMs = 50;
    try {
      const connectors = await Promise.all(
        Array.from({ length: 10 }, () => connector(linked)),
      );
      recorder.clear();
      const pages = await Promise.all(
        connectors.map((sf) => sf.listAccounts({ cursor: null, limit: 10 })),
      );
      expect(pages.every((page) => page.items.length > 0)).toBe(true);
      expect(tokenCalls()).toHaveLength(1);
    } finally {
      settings.tokenDelayMs = 0;
    }
  });

  it('does not refresh again for a request that set out with a token already replaced', async () => {
    const linked = await link({
      ...sandboxCredentials.salesforce('acme'),
      accessToken: '00Dstale!replaced-meanwhile',
      instanceUrl: `${server.origin}/salesforce`,
    });
    // Both requests load the stale token; the first refreshes and finishes
    // before the second sends anything.
    const [first, second] = await Promise.all([
      connector(linked),
      connector(linked),
    ]);
    recorder.clear();
    await first.listAccounts({ cursor: null, limit: 5 });
    const page = await second.listAccounts({ cursor: null, limit: 5 });
    expect(page.items.length).toBeGreaterThan(0);
    expect(tokenCalls()).toHaveLength(1);
  });

  it('persists a rotated refresh token, which the next refresh uses', async () => {
    const linked = await link();
    settings.rotateRefreshTokens = true;
    try {
      await (await connector(linked)).listAccounts({ cursor: null, limit: 5 });
      const rotated = (await credentialsOf(linked))!;
      expect(rotated.refreshToken).toMatch(/^5Aep/);

      // The session expires; the next refresh must present the new token.
      await store.updateCredentials(linked.id, {
        ...rotated,
        accessToken: '00Dstale!after-rotation',
      });
      recorder.clear();
      await (await connector(linked)).listAccounts({ cursor: null, limit: 5 });
      expect(tokenCalls()[0]!.body).toMatchObject({
        refresh_token: rotated.refreshToken,
      });
      expect((await credentialsOf(linked))?.refreshToken).not.toBe(
        rotated.refreshToken,
      );
    } finally {
      settings.rotateRefreshTokens = false;
    }
  });

  it('marks the linked account RELINK_NEEDED when the refresh token is refused', async () => {
    const linked = await link({
      ...sandboxCredentials.salesforce('acme'),
      refreshToken: 'revoked-refresh-token',
    });
    const sf = await connector(linked);
    const failure = await sf
      .listAccounts({ cursor: null, limit: 5 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({
      code: ErrorCode.RELINK_NEEDED,
      provider: 'salesforce',
    });
    expect(
      (await store.getLinkedAccount(linked.id, linked.owner))?.status,
    ).toBe('RELINK_NEEDED');
  });

  it('does not mark the account when the token endpoint is merely unreachable', async () => {
    const linked = await link();
    const account = (await store.getLinkedAccount(linked.id, linked.owner))!;
    const sf = new SalesforceCrmConnector(
      { ...account, baseUrl: 'http://127.0.0.1:9' },
      {
        logger,
        createClient: (options) =>
          new ProviderClient({
            provider: 'salesforce',
            baseUrl: options.baseUrl ?? 'http://127.0.0.1:9',
            auth: options.auth,
            logger,
            maxAttempts: 1,
          }),
        linkedAccount: {
          updateCredentials: (credentials) =>
            store.updateCredentials(account.id, credentials),
          markRelinkNeeded: () =>
            store.setLinkedAccountStatus(account.id, 'RELINK_NEEDED'),
        },
      },
    );
    await expect(
      sf.listAccounts({ cursor: null, limit: 5 }),
    ).rejects.toMatchObject({ code: ErrorCode.UPSTREAM_UNAVAILABLE });
    expect(
      (await store.getLinkedAccount(linked.id, linked.owner))?.status,
    ).toBe('ACTIVE');
  });
});
