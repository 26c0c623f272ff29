import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ErrorCode, ProviderError } from '../lib/errors';
import { createHubspotSandbox } from '../sandbox/providers/hubspot';
import {
  ACME_SEED,
  OTHER_SEED,
  generateOrganization,
  type SeedOrganization,
} from '../sandbox/seed';
import { RequestRecorder, sandboxCredentials } from '../sandbox/types';
import { HubspotCrmConnector } from '../subgraphs/crm/providers/hubspot/connector';
import {
  drain,
  sandboxAccount,
  sandboxDeps,
  useSandboxServer,
} from './support/connectors';
import {
  graphql,
  SANDBOX,
  startTestSystem,
  type RunningSystem,
} from './support/system';

const acme = generateOrganization(ACME_SEED);
const other = generateOrganization(OTHER_SEED);
const recorder = new RequestRecorder();

function connector(
  credentials: Record<string, string> = sandboxCredentials.hubspot('acme'),
): HubspotCrmConnector {
  const account = sandboxAccount({
    id: 'la_crm',
    organizationId: 'org_acme',
    category: 'crm',
    provider: 'hubspot',
    baseUrl: `${server.origin}/hubspot`,
    credentials,
  });
  return new HubspotCrmConnector(account, sandboxDeps(account));
}

const sorted = (ids: string[]) => [...ids].sort();
const requests = () => recorder.of('hubspot');

function ownerIdOf(org: SeedOrganization, email: string): string {
  const employee = org.employees.find((e) => e.workEmail === email);
  if (!employee) {
    throw new Error('seed owner is not an employee');
  }
  return String(41_000_000 + Number(employee.id));
}

const server = useSandboxServer(() => ({
  '/hubspot': createHubspotSandbox({
    organizations: [
      { key: 'acme', data: acme },
      { key: 'other', data: other },
    ],
    recorder,
  }),
}));

beforeEach(() => {
  recorder.clear();
});

describe('HubSpot CRM connector against the sandbox', () => {
  it('lists every company exactly once across pages, asking only for mapped properties', async () => {
    const hubspot = connector();
    const accounts = await drain((cursor) =>
      hubspot.listAccounts({ cursor, limit: 25 }),
    );

    expect(accounts.map((a) => a.remoteId)).toEqual(
      sorted(acme.companies.map((c) => c.id)),
    );
    const first = acme.companies[0]!;
    const mapped = accounts.find((a) => a.remoteId === first.id);
    expect(mapped).toMatchObject({
      name: first.name,
      industry: first.industry,
      numberOfEmployees: first.numberOfEmployees,
      ownerRemoteId: ownerIdOf(acme, first.ownerEmail),
      createdAt: new Date(first.createdAt),
      modifiedAt: new Date(first.modifiedAt),
    });

    const calls = requests();
    expect(calls).toHaveLength(3);
    expect(calls.every((call) => call.query.limit === '25')).toBe(true);
    expect(String(calls[0]!.query.properties).split(',')).toContain(
      'numberofemployees',
    );
    expect(calls[0]!.query.after).toBeUndefined();
  });

  it('clamps a page size above 100 to the documented list maximum', async () => {
    const page = await connector().listContacts({ cursor: null, limit: 500 });

    expect(page.items).toHaveLength(100);
    expect(page.nextCursor).not.toBeNull();
    expect(requests()[0]!.query.limit).toBe('100');
  });

  it('lists every contact, deal and note exactly once at the maximum page size', async () => {
    const hubspot = connector();
    const [contacts, deals, notes] = await Promise.all([
      drain((cursor) => hubspot.listContacts({ cursor, limit: 100 })),
      drain((cursor) => hubspot.listOpportunities({ cursor, limit: 100 })),
      drain((cursor) => hubspot.listNotes({ cursor, limit: 100 })),
    ]);

    expect(contacts.map((c) => c.remoteId)).toEqual(
      sorted(acme.contacts.map((c) => c.id)),
    );
    expect(deals.map((d) => d.remoteId)).toEqual(
      sorted(acme.deals.map((d) => d.id)),
    );
    expect(notes.map((n) => n.remoteId)).toEqual(
      sorted(acme.notes.map((n) => n.id)),
    );
    // Associations come inline on list reads: no v4 association calls.
    expect(requests().some((call) => call.path.startsWith('/crm/v4'))).toBe(
      false,
    );
    const seedDeal = acme.deals[0]!;
    expect(deals.find((d) => d.remoteId === seedDeal.id)).toMatchObject({
      accountRemoteId: seedDeal.companyId,
      statusRaw: seedDeal.stage,
      closeDate: seedDeal.closeDate,
      amount: seedDeal.amount,
    });
    const seedNote = acme.notes[0]!;
    expect(notes.find((n) => n.remoteId === seedNote.id)).toMatchObject({
      content: seedNote.body,
      accountRemoteId: seedNote.companyId,
      contactRemoteId: seedNote.contactId,
      opportunityRemoteId: seedNote.dealId,
    });
  });

  it('pushes modifiedAfter down to a search and pages it by id to the end', async () => {
    const since = new Date('2026-06-01T00:00:00.000Z');
    const hubspot = connector();
    const deals = await drain((cursor) =>
      hubspot.listOpportunities({ cursor, limit: 7, modifiedAfter: since }),
    );

    const expected = acme.deals
      .filter((d) => Date.parse(d.modifiedAt) >= since.getTime())
      .map((d) => d.id);
    expect(expected.length).toBeGreaterThan(7);
    expect(deals.map((d) => d.remoteId)).toEqual(sorted(expected));
    // Search results carry no associations: one v4 read per page fills them.
    expect(deals.every((d) => d.accountRemoteId !== null)).toBe(true);

    const searches = requests().filter((call) => call.path.endsWith('/search'));
    expect(searches).toHaveLength(Math.ceil(expected.length / 7));
    const body = searches[1]!.body as {
      filterGroups: Array<{ filters: Array<Record<string, unknown>> }>;
    };
    expect(body.filterGroups[0]!.filters).toEqual([
      {
        propertyName: 'hs_lastmodifieddate',
        operator: 'GTE',
        value: String(since.getTime()),
      },
      {
        propertyName: 'hs_object_id',
        operator: 'GT',
        value: deals[6]!.remoteId,
      },
    ]);
  });

  it('lists as leads exactly the contacts in the lead lifecycle stage', async () => {
    const leads = await drain((cursor) =>
      connector().listLeads({ cursor, limit: 200 }),
    );

    expect(leads.map((l) => l.remoteId)).toEqual(
      sorted(
        acme.contacts
          .filter((c) => c.lifecycleStage === 'lead')
          .map((c) => c.id),
      ),
    );
    expect(requests()[0]!.body).toMatchObject({
      filterGroups: [
        {
          filters: [
            { propertyName: 'lifecyclestage', operator: 'EQ', value: 'lead' },
          ],
        },
      ],
      limit: 200,
    });
  });

  it('filters opportunities by status through the deal stages of the pipelines', async () => {
    const won = await drain((cursor) =>
      connector().listOpportunities({ cursor, limit: 200, status: 'WON' }),
    );

    expect(won.map((d) => d.remoteId)).toEqual(
      sorted(
        acme.deals.filter((d) => d.stage === 'closedwon').map((d) => d.id),
      ),
    );
    expect(
      won.every((d) => d.status === 'WON' && d.stage === 'Closed Won'),
    ).toBe(true);
    const search = requests().find((call) => call.path.endsWith('/search'));
    expect(search?.body).toMatchObject({
      filterGroups: [
        {
          filters: [
            {
              propertyName: 'dealstage',
              operator: 'IN',
              values: ['closedwon'],
            },
          ],
        },
      ],
    });
  });

  it('reads accounts by id in key order with nulls, in one batch call per 100 ids', async () => {
    const ids = acme.companies.map((c) => c.id).reverse();
    const keys = [ids[0]!, 'missing-1', ...ids.slice(1), ids[3]!];
    const accounts = await connector().getAccountsByIds(keys);

    expect(accounts.map((a) => a?.remoteId ?? null)).toEqual([
      ids[0],
      null,
      ...ids.slice(1),
      ids[3],
    ]);
    const calls = requests();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/crm/v3/objects/companies/batch/read',
    });
    expect((calls[0]!.body as { inputs: unknown[] }).inputs).toHaveLength(61);
  });

  it('splits more than 100 ids into batch reads of at most 100', async () => {
    const ids = acme.contacts.map((c) => c.id);
    expect(ids.length).toBeGreaterThan(100);
    const contacts = await connector().getContactsByIds(ids);

    expect(contacts.map((c) => c?.remoteId)).toEqual(ids);
    const sizes = requests().map(
      (call) => (call.body as { inputs: unknown[] }).inputs.length,
    );
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(ids.length);
  });

  it('reads opportunities by id with their companies from one associations call', async () => {
    const picked = acme.deals.slice(0, 30);
    const deals = await connector().getOpportunitiesByIds(
      picked.map((d) => d.id),
    );

    expect(deals.map((d) => d?.accountRemoteId)).toEqual(
      picked.map((d) => d.companyId),
    );
    expect(requests().map((call) => `${call.method} ${call.path}`)).toEqual(
      expect.arrayContaining([
        'GET /crm/v3/pipelines/deals',
        'POST /crm/v3/objects/deals/batch/read',
        'POST /crm/v4/associations/deals/companies/batch/read',
      ]),
    );
    expect(requests()).toHaveLength(3);
  });

  it('finds users by email case-insensitively from one owners call, null for strangers', async () => {
    const email = acme.deals[0]!.ownerEmail;
    const users = await connector().getUsersByEmails([
      email.toUpperCase(),
      'nobody@acme.example',
    ]);

    expect(users[0]).toMatchObject({
      remoteId: ownerIdOf(acme, email),
      email,
      isActive: true,
    });
    expect(users[1]).toBeNull();
    // The unknown email makes the connector also look at archived owners.
    expect(requests().map((call) => call.query.archived)).toEqual([
      'false',
      'true',
    ]);
  });

  it('pages the deals of many owners from shared searches, each deal exactly once', async () => {
    const emails = [...new Set(acme.deals.map((d) => d.ownerEmail))].slice(
      0,
      6,
    );
    const owners = emails.map((email) => ownerIdOf(acme, email));
    const hubspot = connector();

    // The first page of every owner comes from one shared search.
    const pages = await hubspot.getOpportunityPagesOfOwners(owners, {
      cursor: null,
      limit: 2,
    });
    expect(requests().filter((c) => c.path.endsWith('/search'))).toHaveLength(
      1,
    );

    // Each owner then follows its own cursor to its last page.
    const seen = new Map<string, string[]>();
    for (const [index, page] of pages.entries()) {
      const ids = page.items.map((d) => d.remoteId);
      let next = page.nextCursor;
      while (next !== null) {
        const [more] = await hubspot.getOpportunityPagesOfOwners(
          [owners[index]!],
          { cursor: next, limit: 2 },
        );
        ids.push(...(more?.items ?? []).map((d) => d.remoteId));
        next = more?.nextCursor ?? null;
      }
      seen.set(owners[index]!, ids);
    }

    for (const [index, owner] of owners.entries()) {
      expect(seen.get(owner)).toEqual(
        sorted(
          acme.deals
            .filter((d) => d.ownerEmail === emails[index])
            .map((d) => d.id),
        ),
      );
    }
    const first = requests().find((call) => call.path.endsWith('/search'));
    expect(first?.body).toMatchObject({
      filterGroups: [
        {
          filters: [
            {
              propertyName: 'hubspot_owner_id',
              operator: 'IN',
              values: owners,
            },
          ],
        },
      ],
    });
  });

  it('pages the contacts of many accounts from one shared search', async () => {
    const accounts = acme.companies.slice(0, 8).map((c) => c.id);
    const pages = await connector().getContactPagesOfAccounts(accounts, {
      cursor: null,
      limit: 2,
    });

    for (const [index, account] of accounts.entries()) {
      const expected = sorted(
        acme.contacts.filter((c) => c.companyId === account).map((c) => c.id),
      );
      expect(pages[index]!.items.map((c) => c.remoteId)).toEqual(
        expected.slice(0, 2),
      );
      expect(pages[index]!.nextCursor).toBe(
        expected.length > 2 ? expected[1] : null,
      );
    }
    expect(requests()).toHaveLength(1);
    expect(requests()[0]!.body).toMatchObject({
      filterGroups: [
        {
          filters: [
            {
              propertyName: 'associatedcompanyid',
              operator: 'IN',
              values: accounts,
            },
          ],
        },
      ],
    });
  });

  it('pages the opportunities of many accounts from shared association and batch reads', async () => {
    const accounts = acme.companies.slice(0, 10).map((c) => c.id);
    const hubspot = connector();
    const all = await Promise.all(
      accounts.map(async (account) =>
        drain(async (cursor) => {
          const [page] = await hubspot.getOpportunityPagesOfAccounts(
            [account],
            { cursor, limit: 1 },
          );
          return page!;
        }),
      ),
    );
    for (const [index, account] of accounts.entries()) {
      expect(all[index]!.map((d) => d.remoteId)).toEqual(
        sorted(
          acme.deals.filter((d) => d.companyId === account).map((d) => d.id),
        ),
      );
    }

    recorder.clear();
    await connector().getOpportunityPagesOfAccounts(accounts, {
      cursor: null,
      limit: 5,
    });
    expect(requests().map((call) => `${call.method} ${call.path}`)).toEqual(
      expect.arrayContaining([
        'POST /crm/v4/associations/companies/deals/batch/read',
        'POST /crm/v3/objects/deals/batch/read',
      ]),
    );
    expect(
      requests().filter((call) => call.path.endsWith('/batch/read')),
    ).toHaveLength(3);
  });

  it('refuses a cursor it did not issue', async () => {
    await expect(
      connector().listLeads({ cursor: 'not-an-id', limit: 10 }),
    ).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('serves each portal its own records for its own token', async () => {
    const [acmeUsers, otherUsers] = await Promise.all([
      connector().listUsers({ cursor: null, limit: 500 }),
      connector(sandboxCredentials.hubspot('other')).listUsers({
        cursor: null,
        limit: 500,
      }),
    ]);

    expect(
      acmeUsers.items.every((u) => u.email?.endsWith('@acme.example')),
    ).toBe(true);
    expect(
      otherUsers.items.every((u) => u.email?.endsWith('@umbrella.example')),
    ).toBe(true);
  });

  it('turns a rejected access token into RELINK_NEEDED', async () => {
    const hubspot = connector({ accessToken: 'pat-revoked' });
    const failure = await hubspot
      .listAccounts({ cursor: null, limit: 10 })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({
      code: ErrorCode.RELINK_NEEDED,
      provider: 'hubspot',
      status: 401,
    });
  });

  it('refuses credentials without an access token before calling HubSpot', () => {
    expect(() => connector({ apiKey: 'x' })).toThrow(
      expect.objectContaining({ code: ErrorCode.RELINK_NEEDED }),
    );
    expect(requests()).toHaveLength(0);
  });
});

describe('HubSpot through the gateway', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startTestSystem();
  });

  afterAll(async () => {
    await system?.stop();
  });

  const traffic = () =>
    (system.recorder?.of('hubspot') ?? []).map(
      (call) => `${call.method} ${call.path}`,
    );

  it('resolves the owners and accounts of many opportunities with one batched call each', async () => {
    system.recorder?.clear();
    const response = await graphql<{
      opportunities: {
        edges: Array<{
          node: {
            status: string;
            owner: { email: string } | null;
            account: { name: string } | null;
          };
        }>;
      };
    }>(
      system.gatewayUrl,
      `
        {
          opportunities(first: 30) {
            edges {
              node {
                status
                owner {
                  email
                }
                account {
                  name
                  owner {
                    email
                  }
                }
              }
            }
          }
        }
      `,
      SANDBOX,
    );

    expect(response.errors).toBeUndefined();
    const edges = response.data!.opportunities.edges;
    expect(edges).toHaveLength(30);
    expect(edges.every((e) => e.node.owner && e.node.account)).toBe(true);
    expect(traffic().sort()).toEqual(
      [
        'GET /crm/v3/objects/deals',
        'GET /crm/v3/owners',
        'GET /crm/v3/pipelines/deals',
        'POST /crm/v3/objects/companies/batch/read',
      ].sort(),
    );
  });

  it('joins employees to the opportunities they own with one owners call and one deals search', async () => {
    system.recorder?.clear();
    const response = await graphql<{
      employees: {
        edges: Array<{
          node: {
            workEmail: string;
            ownedOpportunities: {
              edges: Array<{ node: { owner: { email: string } } }>;
            };
          };
        }>;
      };
    }>(
      system.gatewayUrl,
      `
        {
          employees(first: 8) {
            edges {
              node {
                workEmail
                ownedOpportunities(first: 3) {
                  edges {
                    node {
                      owner {
                        email
                      }
                    }
                  }
                }
              }
            }
          }
        }
      `,
      SANDBOX,
    );

    expect(response.errors).toBeUndefined();
    const employees = response.data!.employees.edges.map((e) => e.node);
    const owning = employees.filter(
      (e) => e.ownedOpportunities.edges.length > 0,
    );
    expect(owning.length).toBeGreaterThan(1);
    for (const employee of owning) {
      expect(
        employee.ownedOpportunities.edges.every(
          (e) => e.node.owner.email === employee.workEmail,
        ),
      ).toBe(true);
    }
    const calls = traffic();
    expect(calls.filter((c) => c === 'GET /crm/v3/owners')).toHaveLength(1);
    expect(
      calls.filter((c) => c === 'POST /crm/v3/objects/deals/search'),
    ).toHaveLength(1);
  });
});
