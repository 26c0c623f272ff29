import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../lib/errors';
import {
  createPipedriveSandbox,
  defaultPipedriveSettings,
} from '../sandbox/providers/pipedrive';
import { ACME_SEED, generateOrganization } from '../sandbox/seed';
import { RequestRecorder, sandboxCredentials } from '../sandbox/types';
import { PipedriveCrmConnector } from '../subgraphs/crm/providers/pipedrive/connector';
import {
  dealStatus,
  mapDeal,
  mapPerson,
  parseTime,
} from '../subgraphs/crm/providers/pipedrive/mapping';
import {
  drainPages as drain,
  sandboxAccount,
  sandboxDeps,
  useSandboxServer,
} from './support/connectors';

const acme = generateOrganization(ACME_SEED);
const recorder = new RequestRecorder();
const settings = defaultPipedriveSettings();

const server = useSandboxServer(() => ({
  '/pipedrive': createPipedriveSandbox(
    { organizations: [{ key: 'acme', data: acme }], recorder },
    settings,
  ),
}));

function connector(
  credentials: Record<string, string> = sandboxCredentials.pipedrive('acme'),
): PipedriveCrmConnector {
  const account = sandboxAccount({
    id: 'la_pipedrive',
    organizationId: 'org_acme',
    category: 'crm',
    provider: 'pipedrive',
    baseUrl: `${server.origin}/pipedrive`,
    credentials,
  });
  return new PipedriveCrmConnector(
    account,
    sandboxDeps(account, { maxAttempts: 2 }),
  );
}

const requests = () => recorder.of('pipedrive');

describe('Pipedrive connector', () => {
  it('follows v2 cursors to the last page for persons, organizations and deals', async () => {
    const pd = connector();
    recorder.clear();
    const persons = await drain((cursor) =>
      pd.listContacts({ cursor, limit: 100 }),
    );
    const organizations = await drain((cursor) =>
      pd.listAccounts({ cursor, limit: 25 }),
    );
    const deals = await drain((cursor) =>
      pd.listOpportunities({ cursor, limit: 30 }),
    );
    expect(persons.items).toHaveLength(acme.contacts.length);
    expect(persons.pages).toBe(Math.ceil(acme.contacts.length / 100));
    expect(organizations.items).toHaveLength(acme.companies.length);
    expect(organizations.pages).toBe(3);
    // The deleted deal is left out, as v2 does without `status`.
    expect(deals.items).toHaveLength(acme.deals.length);
    expect(requests()[0]?.query).toMatchObject({
      sort_by: 'id',
      limit: '100',
    });
    expect(requests().every((request) => !('api_token' in request.query))).toBe(
      true,
    );
  });

  it('pages v1 leads and notes with start/limit until more_items_in_collection is false', async () => {
    const pd = connector();
    recorder.clear();
    const leads = await drain((cursor) => pd.listLeads({ cursor, limit: 15 }));
    const notes = await drain((cursor) => pd.listNotes({ cursor, limit: 30 }));
    const prospects = acme.contacts.filter((contact) => !contact.companyId);
    expect(leads.items).toHaveLength(prospects.length);
    expect(leads.pages).toBe(Math.ceil(prospects.length / 15));
    expect(leads.items[0]).toMatchObject({
      firstName: prospects[0]!.firstName,
      email: prospects[0]!.email,
    });
    expect(notes.items).toHaveLength(acme.notes.length);
    expect(
      requests()
        .filter((request) => request.path === '/v1/leads')
        .map((request) => request.query.start),
    ).toEqual(['0', '15', '30']);
  });

  it('pushes modifiedAfter as updated_since and status as Pipedrive status', async () => {
    const pd = connector();
    const after = new Date('2026-09-15T08:00:00.500Z');
    recorder.clear();
    const { items } = await drain((cursor) =>
      pd.listOpportunities({
        cursor,
        limit: 100,
        modifiedAfter: after,
        status: 'WON',
      }),
    );
    expect(requests()[0]?.query).toMatchObject({
      updated_since: '2026-09-15T08:00:00Z',
      status: 'won',
    });
    expect(items).toHaveLength(
      acme.deals.filter(
        (deal) =>
          deal.stage === 'closedwon' &&
          Date.parse(deal.modifiedAt) >= Date.parse('2026-09-15T08:00:00Z'),
      ).length,
    );
    expect(items.every((item) => item.status === 'WON')).toBe(true);
  });

  it('reads deals by id in chunks of 100 ids, deleted ones included, null for unknown ids', async () => {
    const pd = connector();
    const ids = Array.from({ length: 150 }, (_, n) => String(n + 1));
    recorder.clear();
    const found = await pd.getOpportunitiesByIds([...ids, 'x', '99999']);
    const calls = requests().filter(
      (request) => request.path === '/api/v2/deals',
    );
    expect(
      calls.map((call) => String(call.query.ids).split(',').length),
    ).toEqual([100, 51]);
    expect(found[0]?.remoteId).toBe('1');
    expect(found[100]).toMatchObject({ status: null, statusRaw: 'deleted' });
    // 101 deals exist: ids 102 to 150, 'x' and 99999 are unknown.
    expect(found).toHaveLength(152);
    expect(found.slice(101).every((deal) => deal === null)).toBe(true);
  });

  it('matches users by email case-insensitively and lists the deals each owns', async () => {
    const pd = connector();
    const email = acme.deals[0]!.ownerEmail;
    const [user] = await pd.getUsersByEmails([email.toUpperCase()]);
    expect(user?.email).toBe(email);
    const [page] = await pd.getOpportunityPagesOfOwners([user!.remoteId], {
      cursor: null,
      limit: 100,
    });
    expect(page!.items.map((deal) => deal.name).sort()).toEqual(
      acme.deals
        .filter((deal) => deal.ownerEmail === email)
        .map((deal) => deal.name)
        .sort(),
    );
    expect(page!.items[0]!.stage).toBeTruthy();
  });

  it('answers a rejected API token with RELINK_NEEDED and 429 with UPSTREAM_RATE_LIMITED', async () => {
    await expect(
      connector({ apiToken: 'wrong' }).listAccounts({ cursor: null, limit: 5 }),
    ).rejects.toMatchObject({ code: ErrorCode.RELINK_NEEDED, status: 401 });
    const limit = settings.rateLimit;
    settings.rateLimit = 0;
    try {
      await expect(
        connector().listAccounts({ cursor: null, limit: 5 }),
      ).rejects.toMatchObject({ code: ErrorCode.UPSTREAM_RATE_LIMITED });
    } finally {
      settings.rateLimit = limit;
    }
  });
});

describe('Pipedrive mapping', () => {
  it('maps deal status open/won/lost, keeps deleted and unknown values raw', () => {
    expect(dealStatus('open')).toBe('OPEN');
    expect(dealStatus('won')).toBe('WON');
    expect(dealStatus('lost')).toBe('LOST');
    expect(dealStatus('deleted')).toBeNull();
    const deal = mapDeal(
      {
        id: 17,
        title: 'Big deal',
        value: 5000,
        currency: 'EUR',
        status: 'archived',
        stage_id: 2,
        owner_id: 42,
        org_id: 7,
        add_time: '2026-01-04T10:44:11Z',
        update_time: '2026-09-27T13:21:10Z',
        expected_close_date: '2026-12-01',
      },
      new Map([['2', 'Contact Made']]),
    );
    expect(deal).toMatchObject({
      remoteId: '17',
      amount: 5000,
      status: null,
      statusRaw: 'archived',
      stage: 'Contact Made',
      ownerRemoteId: '42',
      accountRemoteId: '7',
      closeDate: '2026-12-01',
      modifiedAt: new Date('2026-09-27T13:21:10Z'),
    });
  });

  it('reads the primary email and phone of a v2 person and v1 UTC times', () => {
    expect(
      mapPerson({
        id: 3,
        first_name: 'Ada',
        last_name: 'Lovelace',
        emails: [
          { value: 'old@example.com', primary: false, label: 'home' },
          { value: 'ada@example.com', primary: true, label: 'work' },
        ],
        phones: [{ value: '+1 555 0100', primary: true, label: 'work' }],
        org_id: 9,
      }),
    ).toMatchObject({
      email: 'ada@example.com',
      phone: '+1 555 0100',
      accountRemoteId: '9',
    });
    expect(parseTime('2026-11-01 12:00:00')?.toISOString()).toBe(
      '2026-11-01T12:00:00.000Z',
    );
  });
});
