import { beforeEach, describe, expect, it } from 'vitest';

import { ErrorCode, ProviderError } from '../lib/errors';
import {
  LinearThrottle,
  createLinearSandbox,
  linearId,
} from '../sandbox/providers/linear';
import {
  ACME_SEED,
  OTHER_SEED,
  SEED_NOW,
  generateOrganization,
} from '../sandbox/seed';
import { RequestRecorder, sandboxCredentials } from '../sandbox/types';
import type { Ticket } from '../subgraphs/ticketing/models';
import { LinearTicketingConnector } from '../subgraphs/ticketing/providers/linear/connector';
import {
  drain,
  sandboxAccount,
  sandboxDeps,
  useSandboxServer,
} from './support/connectors';

const acme = generateOrganization(ACME_SEED);
const other = generateOrganization(OTHER_SEED);
const recorder = new RequestRecorder();
const throttle = new LinearThrottle();

function connector(
  credentials: Record<string, string> = sandboxCredentials.linear('acme'),
): LinearTicketingConnector {
  const linked = sandboxAccount({
    id: 'la_ticketing',
    organizationId: 'org_acme',
    category: 'ticketing',
    provider: 'linear',
    baseUrl: `${server.origin}/linear`,
    credentials,
  });
  return new LinearTicketingConnector(linked, sandboxDeps(linked));
}

interface GraphQLBody {
  query: string;
  variables: Record<string, unknown>;
}
const calls = () =>
  recorder.of('linear').map((request) => request.body as GraphQLBody);
const issueIdOf = (seedId: string) => linearId('issue', seedId);
const userIdOf = (seedId: string) => linearId('user', seedId);
const sorted = (ids: string[]) => [...ids].sort();

const server = useSandboxServer(() => ({
  '/linear': createLinearSandbox({
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

describe('listing issues', () => {
  it('follows first/after to the last page and returns every issue once', async () => {
    const linear = connector();
    const tickets = await drain((cursor) =>
      linear.listTickets({ cursor, limit: 100 }),
    );
    expect(sorted(tickets.map((ticket) => ticket.remoteId))).toEqual(
      sorted(acme.issues.map((issue) => issueIdOf(issue.id))),
    );
    const bodies = calls();
    expect(bodies).toHaveLength(3);
    expect(bodies.map((body) => body.variables.first)).toEqual([100, 100, 100]);
    expect(bodies[0]?.variables.after).toBeNull();
    expect(bodies[1]?.variables.after).toEqual(expect.any(String));
    expect(bodies[0]?.variables.filter).toBeNull();
  });

  it('sends the personal API key bare in Authorization', async () => {
    const linear = connector();
    const page = await linear.listTickets({ cursor: null, limit: 1 });
    expect(page.items).toHaveLength(1);
    // The same key with a Bearer prefix is refused, as Linear does.
    const refused = await fetch(`${server.origin}/linear/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${sandboxCredentials.linear('acme').apiKey}`,
      },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      errors: [{ extensions: { code: 'AUTHENTICATION_ERROR' } }],
    });
  });

  it('clamps first to the documented 250', async () => {
    const linear = connector();
    await drain((cursor) => linear.listTickets({ cursor, limit: 1_000 }));
    expect(calls().map((body) => body.variables.first)).toEqual([250, 250]);
  });

  it('maps identifiers, workflow state types, priorities and collections', async () => {
    const linear = connector();
    const tickets = await drain((cursor) =>
      linear.listTickets({ cursor, limit: 250 }),
    );
    const byId = new Map(tickets.map((ticket) => [ticket.remoteId, ticket]));
    const priorities = {
      Highest: ['URGENT', '1'],
      High: ['HIGH', '2'],
      Medium: ['NORMAL', '3'],
      Low: ['LOW', '4'],
      Lowest: [null, '0'],
    } as const;
    const statuses = {
      'To Do': ['OPEN'],
      'In Progress': ['IN_PROGRESS'],
      'In Review': ['IN_PROGRESS'],
      Blocked: ['IN_PROGRESS'],
      Done: ['CLOSED'],
    } as const;
    for (const issue of acme.issues) {
      const ticket = byId.get(issueIdOf(issue.id));
      const assignee = acme.employees.find(
        (employee) => employee.workEmail === issue.assigneeEmail,
      );
      expect(ticket).toMatchObject({
        name: issue.summary,
        status: statuses[issue.status][0],
        priority: priorities[issue.priority][0],
        priorityRaw: priorities[issue.priority][1],
        assigneeRemoteIds: [userIdOf(assignee?.id ?? '')],
        dueDate: issue.dueDate,
      });
      expect(ticket?.collectionRemoteIds[0]).toBe(
        linearId('team', issue.projectId),
      );
      expect(ticket?.ticketUrl).toBe(
        `https://linear.app/acme/issue/${issue.key}`,
      );
      expect(ticket?.modifiedAt?.toISOString()).toBe(issue.modifiedAt);
    }
    const raws = new Set(tickets.map((ticket) => ticket.statusRaw));
    expect(raws).toEqual(
      new Set([
        'Triage',
        'Backlog',
        'Todo',
        'In Progress',
        'In Review',
        'Blocked',
        'Done',
        'Canceled',
      ]),
    );
  });

  it('pushes status, collection and modifiedAfter down as one Linear filter', async () => {
    const linear = connector();
    const team = linearId('team', '10001');
    const after = new Date(SEED_NOW - 90 * 86_400_000);
    const tickets = await drain((cursor) =>
      linear.listTickets({
        cursor,
        limit: 50,
        status: 'CLOSED',
        collectionRemoteId: team,
        modifiedAfter: after,
      }),
    );
    expect(calls()[0]?.variables.filter).toEqual({
      and: [
        { state: { type: { in: ['completed', 'canceled'] } } },
        {
          or: [
            { team: { id: { eq: team } } },
            { project: { id: { eq: team } } },
          ],
        },
        { updatedAt: { gte: after.toISOString() } },
      ],
    });
    expect(sorted(tickets.map((ticket) => ticket.remoteId))).toEqual(
      sorted(
        acme.issues
          .filter(
            (issue) =>
              issue.status === 'Done' &&
              issue.projectId === '10001' &&
              Date.parse(issue.modifiedAt) >= after.getTime(),
          )
          .map((issue) => issueIdOf(issue.id)),
      ),
    );
  });

  it('selects only what the requested fields need', async () => {
    const linear = connector();
    await linear.listTickets({
      cursor: null,
      limit: 5,
      fields: new Set(['name', 'status', 'assignees']),
    });
    await linear.listTickets({
      cursor: null,
      limit: 5,
      fields: new Set(['name', 'tags']),
      collectionRemoteId: linearId('team', '10000'),
    });
    await linear.listTickets({ cursor: null, limit: 5 });
    const [narrow, filtered, full] = calls().map((body) => body.query);
    expect(narrow).toContain('assignee {');
    for (const selection of ['description', 'creator', 'team {', 'labels']) {
      expect(narrow).not.toContain(selection);
      expect(full).toContain(selection);
    }
    // The collection filter is checked again after fetching.
    expect(filtered).toContain('team {');
    expect(filtered).toContain('labels');
    expect(filtered).not.toContain('description');
  });

  it('answers ON_HOLD with no issues and no call: Linear has no hold state', async () => {
    const linear = connector();
    const page = await linear.listTickets({
      cursor: null,
      limit: 10,
      status: 'ON_HOLD',
    });
    expect(page).toEqual({ items: [], nextCursor: null });
    expect(calls()).toHaveLength(0);
  });
});

describe('bulk lookups', () => {
  it('fetches issues by id in key order with nulls, 100 ids per query', async () => {
    const linear = connector();
    const ids = [
      ...acme.issues.slice(0, 150).map((issue) => issueIdOf(issue.id)),
      'ffffffff-ffff-4fff-8fff-ffffffffffff',
    ];
    const tickets = await linear.getTicketsByIds(ids);
    expect(tickets.map((ticket) => ticket?.remoteId ?? null)).toEqual([
      ...ids.slice(0, 150),
      null,
    ]);
    expect(
      calls().map(
        (body) =>
          (body.variables.filter as { id: { in: string[] } }).id.in.length,
      ),
    ).toEqual([100, 51]);
  });

  it('fetches issues by id selecting only what the requested fields need', async () => {
    const linear = connector();
    const ids = [
      ...acme.issues.slice(0, 5).map((issue) => issueIdOf(issue.id)),
      'ffffffff-ffff-4fff-8fff-ffffffffffff',
    ];
    const narrow = await linear.getTicketsByIds(ids, {
      fields: new Set(['name', 'tags']),
    });
    const full = await linear.getTicketsByIds(ids);
    const [narrowQuery, fullQuery] = calls().map((body) => body.query);
    expect(narrowQuery).toContain('labels');
    for (const selection of ['description', 'creator', 'team {']) {
      expect(narrowQuery).not.toContain(selection);
      expect(fullQuery).toContain(selection);
    }
    expect(fullQuery).toContain('labels');
    const summary = (tickets: typeof full) =>
      tickets.map((ticket) => ticket && [ticket.remoteId, ticket.name]);
    expect(summary(narrow)).toEqual(summary(full));
    expect(narrow[5]).toBeNull();
  });

  it('fetches users by id and by email with `in` filters', async () => {
    const linear = connector();
    const employees = acme.employees.slice(0, 3);
    const byId = await linear.getUsersByIds([
      userIdOf(employees[0]!.id),
      'unknown',
      userIdOf(employees[2]!.id),
    ]);
    expect(byId.map((user) => user?.email ?? null)).toEqual([
      employees[0]!.workEmail,
      null,
      employees[2]!.workEmail,
    ]);
    const byEmail = await linear.getUsersByEmails([
      employees[1]!.workEmail.toUpperCase(),
      'nobody@acme.example',
    ]);
    expect(byEmail.map((user) => user?.remoteId ?? null)).toEqual([
      userIdOf(employees[1]!.id),
      null,
    ]);
    expect(calls()[1]?.variables.filter).toEqual({
      email: {
        in: [employees[1]!.workEmail.toLowerCase(), 'nobody@acme.example'],
      },
    });
  });

  it('answers the assignee join with one query followed to its last page', async () => {
    const linear = connector();
    const employees = acme.employees
      .filter((employee) => employee.status === 'Active')
      .slice(0, 60);
    const lists = await linear.getTicketsByAssigneeEmails(
      employees.map((employee) => employee.workEmail),
      { status: null },
    );
    employees.forEach((employee, index) => {
      expect(sorted((lists[index] ?? []).map((t) => t.remoteId))).toEqual(
        sorted(
          acme.issues
            .filter((issue) => issue.assigneeEmail === employee.workEmail)
            .map((issue) => issueIdOf(issue.id)),
        ),
      );
    });
    // 180+ issues at 250 per page: one query, possibly two pages.
    const bodies = calls();
    expect(bodies.length).toBeGreaterThanOrEqual(1);
    for (const body of bodies) {
      expect(body.variables.filter).toEqual({
        and: [
          {
            assignee: {
              email: {
                in: employees.map((employee) =>
                  employee.workEmail.toLowerCase(),
                ),
              },
            },
          },
        ],
      });
    }
  });
  it('selects only what the requested fields need in the assignee join', async () => {
    const linear = connector();
    const emails = acme.employees
      .filter((employee) => employee.status === 'Active')
      .slice(0, 10)
      .map((employee) => employee.workEmail);
    const narrow = await linear.getTicketsByAssigneeEmails(emails, {
      status: 'OPEN',
      fields: new Set(['name', 'description']),
    });
    const full = await linear.getTicketsByAssigneeEmails(emails, {
      status: 'OPEN',
    });
    const [narrowQuery, fullQuery] = calls().map((body) => body.query);
    // The assignee groups the results per email; the state is re-applied.
    expect(narrowQuery).toContain('assignee {');
    expect(narrowQuery).toContain('state {');
    expect(narrowQuery).toContain('description');
    for (const selection of ['creator', 'team {', 'labels']) {
      expect(narrowQuery).not.toContain(selection);
      expect(fullQuery).toContain(selection);
    }
    const ids = (lists: Ticket[][]) =>
      lists.map((tickets) => tickets.map((ticket) => ticket.remoteId));
    expect(ids(narrow)).toEqual(ids(full));
    expect(narrow.flat().length).toBeGreaterThan(0);
  });
});

describe('comments and collections', () => {
  it('reads first comment pages in bulk and pages one issue’s comments', async () => {
    const linear = connector();
    const issue = acme.issues.find(
      (candidate) =>
        acme.comments.filter((comment) => comment.issueId === candidate.id)
          .length === 2,
    )!;
    const [page] = await linear.getFirstCommentPages([issueIdOf(issue.id)]);
    expect(page?.items.map((comment) => comment.body)).toEqual(
      acme.comments
        .filter((comment) => comment.issueId === issue.id)
        .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
        .map((comment) => comment.body),
    );
    const paged = await drain((cursor) =>
      linear.listComments(issueIdOf(issue.id), { cursor, limit: 1 }),
    );
    expect(paged.map((comment) => comment.remoteId)).toEqual(
      page?.items.map((comment) => comment.remoteId),
    );
    const byId = await linear.getCommentsByIds([paged[1]!.remoteId, 'unknown']);
    expect(byId.map((comment) => comment?.ticketRemoteId ?? null)).toEqual([
      issueIdOf(issue.id),
      null,
    ]);
  });

  it('lists teams then projects as collections and fetches both by id', async () => {
    const linear = connector();
    const collections = await drain((cursor) =>
      linear.listCollections({ cursor, limit: 2 }),
    );
    expect(
      collections.map((collection) => [
        collection.collectionType,
        collection.name,
      ]),
    ).toEqual([
      ...acme.projects.map((project) => ['TEAM', project.name]),
      ['PROJECT', 'Customer requests'],
      ['PROJECT', 'Security hardening'],
    ]);
    const byId = await linear.getCollectionsByIds([
      collections[4]!.remoteId,
      'unknown',
      collections[0]!.remoteId,
    ]);
    expect(byId.map((collection) => collection?.name ?? null)).toEqual([
      'Security hardening',
      null,
      'Engineering',
    ]);
  });
});

describe('failures', () => {
  it('turns AUTHENTICATION_ERROR into RELINK_NEEDED', async () => {
    const linear = connector({ apiKey: 'lin_api_wrong' });
    const failure = await linear
      .listTickets({ cursor: null, limit: 10 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({
      code: ErrorCode.RELINK_NEEDED,
      status: 400,
    });
  });

  it('sends OAuth tokens as Bearer', async () => {
    const linear = connector({ accessToken: 'lin_oauth_sandbox_acme' });
    const page = await linear.listTickets({ cursor: null, limit: 1 });
    expect(page.items).toHaveLength(1);
  });

  it('requires an apiKey or accessToken when the connector is built', () => {
    expect(() => connector({})).toThrow(
      expect.objectContaining({ code: ErrorCode.RELINK_NEEDED }),
    );
  });

  it('waits for X-RateLimit-Requests-Reset after RATELIMITED and retries', async () => {
    const linear = connector();
    throttle.remaining = 1;
    throttle.resetInMs = 300;
    const page = await linear.listTickets({ cursor: null, limit: 5 });
    expect(page.items).toHaveLength(5);
    const requests = recorder.of('linear');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(250);
  });

  it('gives up with UPSTREAM_RATE_LIMITED when RATELIMITED persists', async () => {
    const linear = connector();
    throttle.remaining = 10;
    throttle.resetInMs = 0;
    await expect(
      linear.listTickets({ cursor: null, limit: 5 }),
    ).rejects.toMatchObject({ code: ErrorCode.UPSTREAM_RATE_LIMITED });
    expect(recorder.of('linear')).toHaveLength(3);
  });

  it('serves each workspace its own seed', async () => {
    const linear = connector(sandboxCredentials.linear('other'));
    const [ticket] = await linear.getTicketsByIds([
      issueIdOf(other.issues[0]!.id),
    ]);
    expect(ticket?.name).toBe(other.issues[0]!.summary);
  });
});
