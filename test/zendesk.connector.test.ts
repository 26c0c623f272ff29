import { beforeEach, describe, expect, it } from 'vitest';

import { ErrorCode, ProviderError } from '../lib/errors';
import {
  ZendeskThrottle,
  createZendeskSandbox,
  zendeskGroupId,
  zendeskTicketId,
  zendeskUserId,
} from '../sandbox/providers/zendesk';
import {
  ACME_SEED,
  OTHER_SEED,
  SEED_NOW,
  generateOrganization,
} from '../sandbox/seed';
import { RequestRecorder, sandboxCredentials } from '../sandbox/types';
import { ZendeskTicketingConnector } from '../subgraphs/ticketing/providers/zendesk/connector';
import {
  drain,
  sandboxAccount,
  sandboxDeps,
  useSandboxServer,
} from './support/connectors';

const acme = generateOrganization(ACME_SEED);
const other = generateOrganization(OTHER_SEED);
const recorder = new RequestRecorder();
const throttle = new ZendeskThrottle();

function connector(
  credentials: Record<string, string> = sandboxCredentials.zendesk('acme'),
  account = 'acme',
): ZendeskTicketingConnector {
  const linked = sandboxAccount({
    id: 'la_ticketing',
    organizationId: 'org_acme',
    category: 'ticketing',
    provider: 'zendesk',
    baseUrl: `${server.origin}/zendesk/${account}`,
    credentials,
  });
  return new ZendeskTicketingConnector(linked, sandboxDeps(linked));
}

const requests = (path?: string) =>
  recorder
    .of('zendesk')
    .filter((request) => path === undefined || request.path.endsWith(path));
const ticketIdOf = (issueId: string) => String(zendeskTicketId(issueId));
const sorted = (ids: string[]) => [...ids].sort();

const server = useSandboxServer(() => ({
  '/zendesk': createZendeskSandbox({
    organizations: [
      { key: 'acme', data: acme },
      { key: 'other', data: other },
    ],
    recorder,
    throttle,
  }),
}));

beforeEach(() => {
  recorder.clear();
  throttle.remaining = 0;
});

describe('listing tickets', () => {
  it('follows cursor pages to the last one and returns every ticket once, by id', async () => {
    const zendesk = connector();
    const tickets = await drain((cursor) =>
      zendesk.listTickets({ cursor, limit: 50 }),
    );
    expect(tickets.map((ticket) => ticket.remoteId)).toEqual(
      acme.issues
        .map((issue) => zendeskTicketId(issue.id))
        .sort((a, b) => a - b)
        .map(String),
    );
    const calls = requests('/api/v2/tickets');
    expect(calls).toHaveLength(acme.issues.length / 50);
    expect(calls[0]?.query).toMatchObject({ 'page[size]': '50' });
    expect(calls[0]?.query['page[after]']).toBeUndefined();
    expect(calls[1]?.query['page[after]']).toEqual(expect.any(String));
  });

  it('clamps page[size] to the documented 100', async () => {
    const zendesk = connector();
    await drain((cursor) => zendesk.listTickets({ cursor, limit: 500 }));
    expect(
      requests('/api/v2/tickets').map((call) => call.query['page[size]']),
    ).toEqual(['100', '100', '100']);
  });

  it('maps seeded tickets with their status, priority, group and assignee', async () => {
    const zendesk = connector();
    const tickets = await drain((cursor) =>
      zendesk.listTickets({ cursor, limit: 100 }),
    );
    const byId = new Map(tickets.map((ticket) => [ticket.remoteId, ticket]));
    for (const issue of acme.issues) {
      const ticket = byId.get(ticketIdOf(issue.id));
      const assignee = acme.employees.find(
        (employee) => employee.workEmail === issue.assigneeEmail,
      );
      expect(ticket).toMatchObject({
        name: issue.summary,
        description: issue.description,
        assigneeRemoteIds: [String(zendeskUserId(assignee?.id ?? ''))],
        collectionRemoteIds: [String(zendeskGroupId(issue.projectId))],
        tags: issue.labels,
      });
      const expectedStatus = {
        'To Do': ['OPEN', 'new'],
        'In Progress': ['OPEN', 'open'],
        Blocked: ['ON_HOLD', 'hold'],
        'In Review': ['ON_HOLD', 'pending'],
        Done: ['CLOSED', null],
      }[issue.status];
      expect(ticket?.status).toBe(expectedStatus[0]);
      if (expectedStatus[1] !== null) {
        expect(ticket?.statusRaw).toBe(expectedStatus[1]);
      } else {
        expect(['solved', 'closed']).toContain(ticket?.statusRaw);
      }
      const expectedPriority = {
        Highest: 'URGENT',
        High: 'HIGH',
        Medium: 'NORMAL',
        Low: 'LOW',
        Lowest: null,
      }[issue.priority];
      expect(ticket?.priority).toBe(expectedPriority);
      // Zendesk prints seconds; the seed has milliseconds.
      expect(ticket?.modifiedAt?.getTime()).toBe(
        Math.floor(Date.parse(issue.modifiedAt) / 1000) * 1000,
      );
    }
    expect(byId.get('1')?.ticketUrl).toBe(
      `${server.origin}/zendesk/acme/agent/tickets/1`,
    );
  });

  it('sends modifiedAfter to the incremental export as Unix seconds and follows it to the end', async () => {
    const zendesk = connector();
    // A bound 150 tickets back, plus half a second: two pages of 100.
    const bound = acme.issues
      .map((issue) => Date.parse(issue.modifiedAt))
      .sort((a, b) => b - a)[149]!;
    const after = new Date(Math.min(bound + 500, SEED_NOW));
    const tickets = await drain((cursor) =>
      zendesk.listTickets({ cursor, limit: 100, modifiedAfter: after }),
    );
    const calls = requests('/api/v2/incremental/tickets/cursor');
    expect(calls[0]?.query).toMatchObject({
      start_time: String(Math.floor(after.getTime() / 1000)),
      exclude_deleted: 'true',
      per_page: '100',
    });
    expect(calls.length).toBeGreaterThan(1);
    expect(calls[1]?.query.cursor).toEqual(expect.any(String));
    expect(calls[1]?.query.start_time).toBeUndefined();
    // A superset at second precision; the resolvers narrow it exactly.
    const expected = acme.issues
      .filter((issue) => Date.parse(issue.modifiedAt) >= after.getTime())
      .map((issue) => ticketIdOf(issue.id));
    const exact = tickets
      .filter(
        (ticket) => (ticket.modifiedAt?.getTime() ?? 0) >= after.getTime(),
      )
      .map((ticket) => ticket.remoteId);
    expect(sorted(tickets.map((ticket) => ticket.remoteId))).toEqual(
      expect.arrayContaining(sorted(expected)),
    );
    expect(exact.length).toBeLessThanOrEqual(expected.length);
    expect(tickets.length).toBeLessThan(acme.issues.length);
  });
});

describe('bulk lookups', () => {
  it('fetches tickets by id in key order with nulls, chunked to 100 per show_many', async () => {
    const zendesk = connector();
    const ids = [
      ...acme.issues.slice(0, 150).map((issue) => ticketIdOf(issue.id)),
      '999999',
      'not-a-number',
    ];
    const tickets = await zendesk.getTicketsByIds(ids);
    expect(tickets.map((ticket) => ticket?.remoteId ?? null)).toEqual([
      ...ids.slice(0, 150),
      null,
      null,
    ]);
    expect(
      requests('/api/v2/tickets/show_many').map(
        (call) => String(call.query.ids).split(',').length,
      ),
    ).toEqual([100, 51]);
  });

  it('fetches users by id with show_many, chunked to 100', async () => {
    const zendesk = connector();
    const ids = acme.employees
      .slice(0, 120)
      .map((employee) => String(zendeskUserId(employee.id)));
    const users = await zendesk.getUsersByIds([...ids, '1']);
    expect(users.slice(0, 120).map((user) => user?.email)).toEqual(
      acme.employees.slice(0, 120).map((employee) => employee.workEmail),
    );
    expect(users.at(-1)).toBeNull();
    expect(requests('/api/v2/users/show_many')).toHaveLength(2);
  });

  it('finds users by email with one exact search per distinct email', async () => {
    const zendesk = connector();
    const employee = acme.employees[4]!;
    const users = await zendesk.getUsersByEmails([
      employee.workEmail.toUpperCase(),
      'nobody@acme.example',
      employee.workEmail,
    ]);
    expect(users.map((user) => user?.remoteId ?? null)).toEqual([
      String(zendeskUserId(employee.id)),
      null,
      String(zendeskUserId(employee.id)),
    ]);
    const calls = requests('/api/v2/users/search');
    expect(calls.map((call) => call.query.query)).toEqual([
      `email:"${employee.workEmail.toLowerCase()}"`,
      'email:"nobody@acme.example"',
    ]);
  });

  it('answers the assignee join with each user’s assigned tickets to the last page', async () => {
    const zendesk = connector();
    const employees = acme.employees.slice(0, 5);
    const lists = await zendesk.getTicketsByAssigneeEmails(
      [...employees.map((employee) => employee.workEmail), 'x@acme.example'],
      {},
    );
    employees.forEach((employee, index) => {
      expect(sorted((lists[index] ?? []).map((t) => t.remoteId))).toEqual(
        sorted(
          acme.issues
            .filter((issue) => issue.assigneeEmail === employee.workEmail)
            .map((issue) => ticketIdOf(issue.id)),
        ),
      );
    });
    expect(lists.at(-1)).toEqual([]);
    expect(requests('/tickets/assigned')).toHaveLength(employees.length);
  });
});

describe('comments and groups', () => {
  it('lists a ticket’s comments oldest first and their first pages in bulk', async () => {
    const zendesk = connector();
    const issue = acme.issues.find(
      (candidate) =>
        acme.comments.filter((comment) => comment.issueId === candidate.id)
          .length === 2,
    )!;
    const comments = await drain((cursor) =>
      zendesk.listComments(ticketIdOf(issue.id), { cursor, limit: 1 }),
    );
    expect(comments.map((comment) => comment.body)).toEqual(
      acme.comments
        .filter((comment) => comment.issueId === issue.id)
        .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
        .map((comment) => comment.body),
    );
    const [page, unknown] = await zendesk.getFirstCommentPages([
      ticketIdOf(issue.id),
      '999999',
    ]);
    expect(page?.items).toHaveLength(2);
    expect(unknown).toEqual({ items: [], nextCursor: null });
  });

  it('lists groups as collections and fetches them by id', async () => {
    const zendesk = connector();
    const groups = await drain((cursor) =>
      zendesk.listCollections({ cursor, limit: 2 }),
    );
    expect(groups.map((group) => group.name)).toEqual(
      acme.projects.map((project) => project.name),
    );
    expect(groups[0]?.collectionType).toBe('GROUP');
    const byId = await zendesk.getCollectionsByIds([
      String(zendeskGroupId('10002')),
      '42',
    ]);
    expect(byId.map((group) => group?.name ?? null)).toEqual([
      'Operations',
      null,
    ]);
  });
});

describe('failures', () => {
  it('turns rejected API tokens into RELINK_NEEDED', async () => {
    const zendesk = connector({
      ...sandboxCredentials.zendesk('acme'),
      apiToken: 'wrong',
    });
    const failure = await zendesk
      .listTickets({ cursor: null, limit: 10 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({
      code: ErrorCode.RELINK_NEEDED,
      status: 401,
    });
  });

  it('refuses one account’s token on another account', async () => {
    const zendesk = connector(sandboxCredentials.zendesk('acme'), 'other');
    await expect(zendesk.getTicketsByIds(['1'])).rejects.toMatchObject({
      code: ErrorCode.RELINK_NEEDED,
    });
  });

  it('requires email and apiToken when the connector is built', () => {
    expect(() => connector({ email: 'agent@acme.example' })).toThrow(
      expect.objectContaining({ code: ErrorCode.RELINK_NEEDED }),
    );
  });

  it('waits for Retry-After on 429 and retries', async () => {
    const zendesk = connector();
    throttle.remaining = 1;
    throttle.retryAfterSeconds = 1;
    const [ticket] = await zendesk.getTicketsByIds(['1']);
    expect(ticket?.remoteId).toBe('1');
    const calls = requests('/api/v2/tickets/show_many');
    expect(calls).toHaveLength(2);
    // The retry came after the second Zendesk asked for.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('gives up with UPSTREAM_RATE_LIMITED when 429 persists', async () => {
    const zendesk = connector();
    throttle.remaining = 10;
    throttle.retryAfterSeconds = 0;
    await expect(zendesk.getTicketsByIds(['1'])).rejects.toMatchObject({
      code: ErrorCode.UPSTREAM_RATE_LIMITED,
      status: 429,
    });
    expect(requests('/api/v2/tickets/show_many')).toHaveLength(3);
  });
});
