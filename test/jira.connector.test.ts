import { beforeEach, describe, expect, it } from 'vitest';

import { ErrorCode, ProviderError } from '../lib/errors';
import { createJiraSandbox, jiraAccountId } from '../sandbox/providers/jira';
import { ACME_SEED, OTHER_SEED, generateOrganization } from '../sandbox/seed';
import { RequestRecorder, sandboxCredentials } from '../sandbox/types';
import {
  JiraTicketingConnector,
  modifiedAfterLiteral,
} from '../subgraphs/ticketing/providers/jira/connector';
import {
  drain,
  sandboxAccount,
  sandboxDeps,
  useSandboxServer,
} from './support/connectors';

const acme = generateOrganization(ACME_SEED);
const other = generateOrganization(OTHER_SEED);
const recorder = new RequestRecorder();

function connector(
  credentials: Record<string, string> = sandboxCredentials.jira('acme'),
  site = 'acme',
): JiraTicketingConnector {
  const account = sandboxAccount({
    id: 'la_ticketing',
    organizationId: 'org_acme',
    category: 'ticketing',
    provider: 'jira',
    baseUrl: `${server.origin}/jira/${site}`,
    credentials,
  });
  return new JiraTicketingConnector(account, sandboxDeps(account));
}

const sorted = (ids: string[]) => [...ids].sort();
const requests = (path?: string) =>
  recorder
    .of('jira')
    .filter((request) => path === undefined || request.path.endsWith(path));
const bodyOf = (index: number, path: string) =>
  requests(path)[index]?.body as Record<string, unknown>;

const server = useSandboxServer(() => ({
  '/jira': createJiraSandbox({
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

describe('listing tickets', () => {
  it('returns every seeded issue exactly once, newest first, across pages', async () => {
    const jira = connector();
    const tickets = await drain((cursor) =>
      jira.listTickets({ cursor, limit: 50 }),
    );
    expect(tickets).toHaveLength(acme.issues.length);
    expect(sorted(tickets.map((ticket) => ticket.remoteId))).toEqual(
      sorted(acme.issues.map((issue) => issue.id)),
    );
    const created = tickets.map((ticket) => ticket.createdAt?.getTime() ?? 0);
    expect(created).toEqual([...created].sort((a, b) => b - a));

    // Six pages of 50, all through the enhanced search, bounded and ordered.
    const searches = requests('/rest/api/3/search/jql');
    expect(searches).toHaveLength(6);
    for (const search of searches) {
      expect(search.method).toBe('POST');
      expect(search.body).toMatchObject({
        maxResults: 50,
        jql: 'created >= "1970/01/01 00:00" ORDER BY created DESC, key DESC',
      });
    }
    expect(bodyOf(0, '/search/jql').nextPageToken).toBeUndefined();
    expect(bodyOf(1, '/search/jql').nextPageToken).toEqual(expect.any(String));
  });

  it('maps seeded issues faithfully, converting Jira offsets to UTC', async () => {
    const jira = connector();
    const tickets = await drain((cursor) =>
      jira.listTickets({ cursor, limit: 100 }),
    );
    const seed = acme.issues[0]!;
    const ticket = tickets.find((candidate) => candidate.remoteId === seed.id);
    const assignee = acme.employees.find(
      (employee) => employee.workEmail === seed.assigneeEmail,
    )!;
    expect(ticket).toMatchObject({
      name: seed.summary,
      description: seed.description,
      statusRaw: seed.status,
      priorityRaw: seed.priority,
      ticketType: seed.issueType,
      tags: seed.labels,
      dueDate: seed.dueDate,
      assigneeRemoteIds: [jiraAccountId(assignee.id)],
      collectionRemoteIds: [seed.projectId],
      ticketUrl: `${server.origin}/jira/acme/browse/${seed.key}`,
    });
    expect(ticket?.createdAt?.toISOString()).toBe(seed.createdAt);
    expect(ticket?.modifiedAt?.toISOString()).toBe(seed.modifiedAt);
  });

  it('clamps large limits to 100 issues per page', async () => {
    const jira = connector();
    await drain((cursor) => jira.listTickets({ cursor, limit: 500 }));
    const searches = requests('/search/jql');
    expect(searches).toHaveLength(3);
    expect(
      searches.map(
        (search) => (search.body as { maxResults: number }).maxResults,
      ),
    ).toEqual([100, 100, 100]);
  });

  it('starts at the same issue when a cursor is reused with another limit', async () => {
    const jira = connector();
    const first = await jira.listTickets({ cursor: null, limit: 10 });
    const small = await jira.listTickets({
      cursor: first.nextCursor,
      limit: 5,
    });
    const large = await jira.listTickets({
      cursor: first.nextCursor,
      limit: 20,
    });
    expect(large.items.slice(0, 5).map((ticket) => ticket.remoteId)).toEqual(
      small.items.map((ticket) => ticket.remoteId),
    );
  });

  it('pushes the project filter down into JQL', async () => {
    const jira = connector();
    const tickets = await drain((cursor) =>
      jira.listTickets({ cursor, limit: 100, collectionRemoteId: '10001' }),
    );
    expect(sorted(tickets.map((ticket) => ticket.remoteId))).toEqual(
      sorted(
        acme.issues
          .filter((issue) => issue.projectId === '10001')
          .map((issue) => issue.id),
      ),
    );
    expect(bodyOf(0, '/search/jql').jql).toBe(
      'project = 10001 ORDER BY created DESC, key DESC',
    );
  });

  it('pushes ON_HOLD down as not-done status categories, a superset to filter', async () => {
    const jira = connector();
    const tickets = await drain((cursor) =>
      jira.listTickets({ cursor, limit: 100, status: 'ON_HOLD' }),
    );
    expect(bodyOf(0, '/search/jql').jql).toBe(
      'statusCategory in ("To Do", "In Progress") ORDER BY created DESC, key DESC',
    );
    expect(tickets.every((ticket) => ticket.status !== 'CLOSED')).toBe(true);
    await jira.listTickets({ cursor: null, limit: 3, status: 'OPEN' });
    // Coarse pushdown: full pages, since the caller drops part of each.
    expect(requests('/search/jql').at(-1)?.body).toMatchObject({
      maxResults: 100,
      jql: 'statusCategory in ("To Do") ORDER BY created DESC, key DESC',
    });
    expect(
      sorted(
        tickets
          .filter((ticket) => ticket.status === 'ON_HOLD')
          .map((ticket) => ticket.remoteId),
      ),
    ).toEqual(
      sorted(
        acme.issues
          .filter((issue) => issue.status === 'Blocked')
          .map((issue) => issue.id),
      ),
    );
  });

  it('writes modifiedAfter in the Jira user time zone and never misses an issue', async () => {
    const jira = connector();
    const after = new Date('2026-10-15T03:30:45.000Z');
    const tickets = await drain((cursor) =>
      jira.listTickets({ cursor, limit: 100, modifiedAfter: after }),
    );
    // 03:30 UTC is 23:30 the day before in New York (EDT, UTC-4).
    expect(bodyOf(0, '/search/jql').jql).toBe(
      'updated >= "2026/10/14 23:30" ORDER BY created DESC, key DESC',
    );
    const expected = acme.issues
      .filter((issue) => Date.parse(issue.modifiedAt) >= after.getTime())
      .map((issue) => issue.id);
    const returned = tickets.map((ticket) => ticket.remoteId);
    expect(returned).toEqual(expect.arrayContaining(expected));
    expect(
      tickets.every(
        (ticket) =>
          (ticket.modifiedAt?.getTime() ?? 0) >= after.getTime() - 60_000,
      ),
    ).toBe(true);
    // The user's time zone is asked once per connector.
    await jira.listTickets({ cursor: null, limit: 1, modifiedAfter: after });
    expect(requests('/rest/api/3/myself')).toHaveLength(1);
  });

  it('widens the JQL date near daylight-saving changes and without a zone', () => {
    const instant = new Date('2026-11-01T05:30:00.000Z');
    expect(modifiedAfterLiteral(instant, 'America/New_York')).toBe(
      '2026/11/01 00:30',
    );
    expect(modifiedAfterLiteral(instant, null)).toBe('2026/10/31 15:30');
    expect(
      modifiedAfterLiteral(new Date('2026-07-01T12:00:59.000Z'), 'UTC'),
    ).toBe('2026/07/01 12:00');
  });
});

describe('bulk lookups', () => {
  it('fetches tickets by id in key order with nulls, in one call', async () => {
    const jira = connector();
    const ids = [acme.issues[5]!.id, '99999', acme.issues[1]!.id];
    const tickets = await jira.getTicketsByIds(ids);
    expect(tickets.map((ticket) => ticket?.remoteId ?? null)).toEqual([
      acme.issues[5]!.id,
      null,
      acme.issues[1]!.id,
    ]);
    expect(requests('/rest/api/3/issue/bulkfetch')).toHaveLength(1);
    expect(bodyOf(0, '/issue/bulkfetch').issueIdsOrKeys).toEqual(ids);
  });

  it('splits ticket ids into chunks of 100', async () => {
    const jira = connector();
    const ids = acme.issues.slice(0, 150).map((issue) => issue.id);
    const tickets = await jira.getTicketsByIds(ids);
    expect(tickets.every((ticket) => ticket !== null)).toBe(true);
    expect(
      requests('/issue/bulkfetch').map(
        (request) =>
          (request.body as { issueIdsOrKeys: string[] }).issueIdsOrKeys.length,
      ),
    ).toEqual([100, 50]);
  });

  it('fetches users by account id in key order with nulls, in one call', async () => {
    const jira = connector();
    const ids = [
      jiraAccountId(acme.employees[3]!.id),
      'unknown-account',
      jiraAccountId(acme.employees[0]!.id),
    ];
    const users = await jira.getUsersByIds(ids);
    expect(users.map((user) => user?.email ?? null)).toEqual([
      acme.employees[3]!.workEmail,
      null,
      acme.employees[0]!.workEmail,
    ]);
    const calls = requests('/rest/api/3/user/bulk');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.query).toMatchObject({ accountId: ids, maxResults: '50' });
  });

  it('finds users by email case-insensitively from one user directory read', async () => {
    const jira = connector();
    const employee = acme.employees[2]!;
    const users = await jira.getUsersByEmails([
      employee.workEmail.toUpperCase(),
      'nobody@acme.example',
      employee.workEmail,
    ]);
    expect(users.map((user) => user?.remoteId ?? null)).toEqual([
      jiraAccountId(employee.id),
      null,
      jiraAccountId(employee.id),
    ]);
    expect(requests('/rest/api/3/users/search')).toHaveLength(1);
    expect(requests('/rest/api/3/users/search')[0]?.query).toMatchObject({
      startAt: '0',
      maxResults: '1000',
    });
  });
});

describe('tickets by assignee email', () => {
  it('answers many employees with one search followed to its last page', async () => {
    const jira = connector();
    const employees = acme.employees
      .filter((employee) => employee.status === 'Active')
      .slice(0, 40);
    const emails = [...employees.map((e) => e.workEmail), 'ghost@acme.example'];
    const lists = await jira.getTicketsByAssigneeEmails(emails, {});

    emails.forEach((email, index) => {
      expect(sorted(lists[index]!.map((ticket) => ticket.remoteId))).toEqual(
        sorted(
          acme.issues
            .filter((issue) => issue.assigneeEmail === email)
            .map((issue) => issue.id),
        ),
      );
    });
    expect(lists[emails.length - 1]).toEqual([]);

    const searches = requests('/search/jql');
    expect(
      new Set(searches.map((search) => (search.body as { jql: string }).jql))
        .size,
    ).toBe(1);
    expect(bodyOf(0, '/search/jql').jql).toMatch(
      /^assignee in \("712020:[^"]+"(, "712020:[^"]+"){39}\) ORDER BY created DESC, key DESC$/,
    );
    const total = lists.reduce((sum, list) => sum + list.length, 0);
    expect(searches).toHaveLength(Math.ceil(total / 100));
    expect(requests('/users/search')).toHaveLength(1);
  });

  it('adds the status categories to the shared search', async () => {
    const jira = connector();
    const email = acme.employees[1]!.workEmail;
    const [tickets] = await jira.getTicketsByAssigneeEmails([email], {
      status: 'CLOSED',
    });
    expect(bodyOf(0, '/search/jql').jql).toContain(
      'AND statusCategory in ("Done")',
    );
    expect(tickets?.every((ticket) => ticket.status === 'CLOSED')).toBe(true);
  });
});

describe('comments and collections', () => {
  it('lists every comment of an issue, oldest first', async () => {
    const jira = connector();
    const issue = acme.issues.find(
      (candidate) =>
        acme.comments.filter((comment) => comment.issueId === candidate.id)
          .length === 2,
    )!;
    const comments = await drain((cursor) =>
      jira.listComments(issue.id, { cursor, limit: 1 }),
    );
    const seeded = acme.comments.filter(
      (comment) => comment.issueId === issue.id,
    );
    expect(sorted(comments.map((comment) => comment.remoteId))).toEqual(
      sorted(seeded.map((comment) => comment.id)),
    );
    expect(comments[0]?.body).toBe(
      seeded.find((comment) => comment.id === comments[0]?.remoteId)?.body,
    );
    expect(requests('/comment')[0]?.query).toMatchObject({
      startAt: '0',
      maxResults: '1',
      orderBy: 'created',
    });
  });

  it('answers the first comment page of many tickets with one bulk fetch', async () => {
    const jira = connector();
    const ids = [acme.issues[0]!.id, '99999', acme.issues[1]!.id];
    const pages = await jira.getFirstCommentPages(ids);
    ids.forEach((id, index) => {
      const seeded = acme.comments
        .filter((comment) => comment.issueId === id)
        .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
      expect(pages[index]?.items.map((comment) => comment.remoteId)).toEqual(
        seeded.map((comment) => comment.id),
      );
      expect(pages[index]?.nextCursor).toBeNull();
    });
    expect(requests('/issue/bulkfetch')).toHaveLength(1);
    expect(bodyOf(0, '/issue/bulkfetch').fields).toEqual(['comment']);
  });

  it('fetches comments by id in key order with nulls', async () => {
    const jira = connector();
    const [a, b] = [acme.comments[4]!, acme.comments[0]!];
    const comments = await jira.getCommentsByIds([a.id, '123456789', b.id]);
    expect(comments.map((comment) => comment?.remoteId ?? null)).toEqual([
      a.id,
      null,
      b.id,
    ]);
    expect(comments[0]?.ticketRemoteId).toBe(a.issueId);
    expect(requests('/rest/api/3/comment/list')).toHaveLength(1);
  });

  it('lists projects as collections and fetches them by id', async () => {
    const jira = connector();
    const collections = await drain((cursor) =>
      jira.listCollections({ cursor, limit: 2 }),
    );
    expect(collections.map((collection) => collection.name)).toEqual([
      'Engineering',
      'Operations',
      'Support',
    ]);
    expect(collections[0]?.description).toBe('Product engineering work.');
    const byId = await jira.getCollectionsByIds(['10002', '42', '10000']);
    expect(byId.map((collection) => collection?.name ?? null)).toEqual([
      'Operations',
      null,
      'Engineering',
    ]);
  });
});

describe('authentication and tenancy', () => {
  it('turns rejected credentials into RELINK_NEEDED', async () => {
    const jira = connector({
      ...sandboxCredentials.jira('acme'),
      apiToken: 'wrong',
    });
    const failure = await jira
      .listTickets({ cursor: null, limit: 10 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({
      code: ErrorCode.RELINK_NEEDED,
      status: 401,
    });
  });

  it('refuses one site credentials on another site', async () => {
    const jira = connector(sandboxCredentials.jira('acme'), 'other');
    await expect(
      jira.getTicketsByIds([acme.issues[0]!.id]),
    ).rejects.toMatchObject({ code: ErrorCode.RELINK_NEEDED });
  });

  it('requires email and apiToken when the connector is built', () => {
    expect(() =>
      connector({ site: 'acme', email: 'bot@acme.example' }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.RELINK_NEEDED }));
  });

  it('serves each site its own seed', async () => {
    const jira = connector(sandboxCredentials.jira('other'), 'other');
    const [ticket] = await jira.getTicketsByIds([other.issues[0]!.id]);
    expect(ticket?.name).toBe(other.issues[0]!.summary);
  });
});
