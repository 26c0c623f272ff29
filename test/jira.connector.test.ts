import express, { type RequestHandler } from 'express';
import { beforeEach, describe, expect, it } from 'vitest';

import { ErrorCode, ProviderError } from '../lib/errors';
import { latency } from '../sandbox/latency';
import { createJiraSandbox, jiraAccountId } from '../sandbox/providers/jira';
import { ACME_SEED, OTHER_SEED, generateOrganization } from '../sandbox/seed';
import { RequestRecorder, sandboxCredentials } from '../sandbox/types';
import type { Ticket } from '../subgraphs/ticketing/models';
import {
  JiraTicketingConnector,
  modifiedAfterLiteral,
} from '../subgraphs/ticketing/providers/jira/connector';
import { ALL_ISSUE_FIELDS } from '../subgraphs/ticketing/providers/jira/mapping';
import {
  drain,
  sandboxAccount,
  sandboxDeps,
  useSandboxServer,
} from './support/connectors';

const acme = generateOrganization(ACME_SEED);
const other = generateOrganization(OTHER_SEED);
/** A site whose busiest assignees hold several pages of issues. */
const busy = generateOrganization({ ...ACME_SEED, issueCount: 1_000 });
const recorder = new RequestRecorder();

/** Searches the slow sandbox is answering at once, and the most seen. */
const searchesInFlight = { now: 0, most: 0 };
const countSearchesInFlight: RequestHandler = (req, res, next) => {
  if (req.path.endsWith('/search/jql')) {
    searchesInFlight.now += 1;
    searchesInFlight.most = Math.max(
      searchesInFlight.most,
      searchesInFlight.now,
    );
    res.on('close', () => {
      searchesInFlight.now -= 1;
    });
  }
  next();
};

function connector(
  credentials: Record<string, string> = sandboxCredentials.jira('acme'),
  site = 'acme',
): JiraTicketingConnector {
  return connectorAt(`${server.origin}/jira/${site}`, credentials);
}

/** A connector to `site` on the sandbox that answers 20 ms late. */
function slowConnector(site = 'acme'): JiraTicketingConnector {
  return connectorAt(
    `${server.origin}/slow-jira/${site}`,
    sandboxCredentials.jira(site),
  );
}

function connectorAt(
  baseUrl: string,
  credentials: Record<string, string>,
): JiraTicketingConnector {
  const account = sandboxAccount({
    id: 'la_ticketing',
    organizationId: 'org_acme',
    category: 'ticketing',
    provider: 'jira',
    baseUrl,
    credentials,
  });
  return new JiraTicketingConnector(account, sandboxDeps(account));
}

/**
 * Each email's tickets as one search of the whole site followed page after
 * page returns them: the listing, in its order (`created DESC, key DESC`),
 * kept to the issues assigned to that email's employee.
 */
async function expectedPerAssignee(
  site: string,
  data: typeof acme,
  emails: readonly string[],
): Promise<string[][]> {
  const jira = connector(sandboxCredentials.jira(site), site);
  const listing = await drain((cursor) =>
    jira.listTickets({ cursor, limit: 100 }),
  );
  return emails.map((email) => {
    const employee = data.employees.find(
      (candidate) => candidate.workEmail === email,
    );
    const accountId = employee ? jiraAccountId(employee.id) : null;
    return listing
      .filter((ticket) => ticket.assigneeRemoteIds[0] === accountId)
      .map((ticket) => ticket.remoteId);
  });
}

const remoteIds = (lists: Ticket[][]) =>
  lists.map((list) => list.map((ticket) => ticket.remoteId));
const accountIdsIn = (jql: string) => jql.match(/"712020:[^"]+"/g) ?? [];

const sorted = (ids: string[]) => [...ids].sort();
const requests = (path?: string) =>
  recorder
    .of('jira')
    .filter((request) => path === undefined || request.path.endsWith(path));
const bodyOf = (index: number, path: string) =>
  requests(path)[index]?.body as Record<string, unknown>;

const server = useSandboxServer(() => {
  const jira = createJiraSandbox({
    organizations: [
      { key: 'acme', data: acme },
      { key: 'other', data: other },
      { key: 'busy', data: busy },
    ],
    recorder,
  });
  return {
    '/jira': jira,
    // The same sites, each answer 20 ms late, so requests sent together
    // are in flight together.
    '/slow-jira': express
      .Router()
      .use(countSearchesInFlight, latency(20), jira),
  };
});

beforeEach(() => {
  recorder.clear();
  searchesInFlight.most = 0;
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

describe('field selection', () => {
  const fieldsOf = (index: number) => bodyOf(index, '/search/jql').fields;

  it('asks a listing only for the Jira fields of the selected Ticket fields', async () => {
    const page = await connector().listTickets({
      cursor: null,
      limit: 10,
      fields: new Set(['id', 'name', 'priority', 'ticketUrl']),
    });
    expect(fieldsOf(0)).toEqual(['summary', 'priority']);

    // The sandbox answers as Jira does: the requested fields, id and key.
    const ticket = page.items[0]!;
    const seed = acme.issues.find((issue) => issue.id === ticket.remoteId)!;
    expect(Object.keys(ticket.remoteData as object)).toEqual(
      expect.arrayContaining(['id', 'key', 'self', 'fields']),
    );
    expect(
      Object.keys((ticket.remoteData as { fields: object }).fields).sort(),
    ).toEqual(['priority', 'summary']);
    // Unselected fields stay null or empty.
    expect(ticket).toMatchObject({
      name: seed.summary,
      priorityRaw: seed.priority,
      ticketUrl: `${server.origin}/jira/acme/browse/${seed.key}`,
      description: null,
      status: null,
      assigneeRemoteIds: [],
      tags: [],
      createdAt: null,
    });
  });

  it('adds the fields its filters are re-applied on', async () => {
    await connector().listTickets({
      cursor: null,
      limit: 10,
      fields: new Set(['id', 'name']),
      status: 'OPEN',
      collectionRemoteId: '10001',
      modifiedAfter: new Date('2026-10-01T00:00:00.000Z'),
    });
    expect(fieldsOf(0)).toEqual(['summary', 'status', 'project', 'updated']);
  });

  it('asks for every field without a selection or when remoteData is read', async () => {
    const jira = connector();
    await jira.listTickets({ cursor: null, limit: 10 });
    await jira.listTickets({
      cursor: null,
      limit: 10,
      fields: new Set(['id', 'remoteData']),
    });
    expect(fieldsOf(0)).toEqual([...ALL_ISSUE_FIELDS]);
    expect(fieldsOf(1)).toEqual([...ALL_ISSUE_FIELDS]);
  });

  it('asks the assignee join for the selected fields and the assignee', async () => {
    const emails = acme.employees
      .filter((employee) => employee.status === 'Active')
      .slice(0, 30)
      .map((employee) => employee.workEmail);
    const lists = await connector().getTicketsByAssigneeEmails(emails, {
      fields: new Set(['id', 'name', 'status', 'priority']),
    });
    const searches = requests('/search/jql');
    expect(searches).toHaveLength(2);
    for (const search of searches) {
      expect((search.body as { fields: unknown }).fields).toEqual([
        'summary',
        'status',
        'priority',
        'assignee',
      ]);
    }
    expect(remoteIds(lists)).toEqual(
      await expectedPerAssignee('acme', acme, emails),
    );
    expect(lists.flat().every((ticket) => ticket.description === null)).toBe(
      true,
    );
  });

  it('asks the bulk fetch only for the selected fields', async () => {
    const [ticket] = await connector().getTicketsByIds([acme.issues[0]!.id], {
      fields: new Set(['id', 'name', 'creator']),
    });
    expect(bodyOf(0, '/issue/bulkfetch').fields).toEqual([
      'summary',
      'creator',
    ]);
    expect(ticket?.name).toBe(acme.issues[0]!.summary);
    expect(ticket?.creatorRemoteId).toEqual(expect.any(String));
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
  it('answers many employees with searches of 25 assignees sent together', async () => {
    const employees = acme.employees
      .filter((employee) => employee.status === 'Active')
      .slice(0, 40);
    const emails = [...employees.map((e) => e.workEmail), 'ghost@acme.example'];
    const expected = await expectedPerAssignee('acme', acme, emails);
    recorder.clear();

    const lists = await slowConnector().getTicketsByAssigneeEmails(emails, {});

    // The same tickets per assignee, in the order one search gives them.
    expect(remoteIds(lists)).toEqual(expected);
    expect(lists[emails.length - 1]).toEqual([]);
    const searches = requests('/search/jql');
    expect(
      searches.map(
        (search) => accountIdsIn((search.body as { jql: string }).jql).length,
      ),
    ).toEqual([25, 15]);
    expect(bodyOf(0, '/search/jql').jql).toMatch(
      /^assignee in \("712020:[^"]+"(, "712020:[^"]+"){24}\) ORDER BY created DESC, key DESC$/,
    );
    expect(searchesInFlight.most).toBe(2);
    expect(requests('/users/search')).toHaveLength(1);
  });

  it('keeps at most 4 assignee searches in flight', async () => {
    const emails = acme.employees
      .filter((employee) => employee.status === 'Active')
      .slice(0, 120)
      .map((employee) => employee.workEmail);
    const lists = await slowConnector().getTicketsByAssigneeEmails(emails, {});
    expect(requests('/search/jql')).toHaveLength(5);
    expect(searchesInFlight.most).toBe(4);
    expect(remoteIds(lists)).toEqual(
      await expectedPerAssignee('acme', acme, emails),
    );
  });

  it("completes every assignee's tickets when a search needs more than one page", async () => {
    // The busiest people first: their first 25 hold several pages.
    const count = (email: string) =>
      busy.issues.filter((issue) => issue.assigneeEmail === email).length;
    const emails = busy.employees
      .filter((employee) => employee.status === 'Active')
      .map((employee) => employee.workEmail)
      .sort((a, b) => count(b) - count(a))
      .slice(0, 30);
    const firstChunk = emails.slice(0, 25).reduce((n, e) => n + count(e), 0);
    expect(firstChunk).toBeGreaterThan(200);
    const expected = await expectedPerAssignee('busy', busy, emails);
    recorder.clear();

    const lists = await slowConnector('busy').getTicketsByAssigneeEmails(
      emails,
      {},
    );

    expect(remoteIds(lists)).toEqual(expected);
    const searches = requests('/search/jql').map(
      (search) => search.body as { jql: string; nextPageToken?: string },
    );
    const pagesOfFirst = searches.filter(
      (search) => accountIdsIn(search.jql).length === 25,
    );
    expect(pagesOfFirst.length).toBe(Math.ceil(firstChunk / 100));
    expect(
      pagesOfFirst.filter((search) => search.nextPageToken !== undefined),
    ).toHaveLength(pagesOfFirst.length - 1);
    // The small chunk was sent alongside the big one's first page.
    expect(searchesInFlight.most).toBe(2);
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
