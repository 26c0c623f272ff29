import { describe, expect, it } from 'vitest';

import { classifyLinearError } from '../subgraphs/ticketing/providers/linear/connector';
import {
  linearCommentSchema,
  linearIssueSchema,
  mapComment,
  mapIssue,
  mapPriority,
  mapProject,
  mapState,
  mapTeam,
  stateTypesFor,
} from '../subgraphs/ticketing/providers/linear/mapping';

const user = {
  id: 'a1b2c3d4-0000-4000-8000-000000000001',
  name: 'Jane Doe',
  displayName: 'jane',
  email: 'jane@acme.example',
  active: true,
};

/** Two pages of an `issues` query answer, shaped as Linear returns them. */
const pages = [
  {
    data: {
      issues: {
        nodes: [
          {
            id: '9cfb482a-81e3-4154-b5b9-2c805e70a02d',
            identifier: 'ENG-12',
            title: 'Fix login redirect',
            description: 'Users land on **404** after login.',
            priority: 1,
            priorityLabel: 'Urgent',
            url: 'https://linear.app/acme/issue/ENG-12/fix-login-redirect',
            dueDate: '2026-11-20',
            completedAt: null,
            canceledAt: null,
            createdAt: '2026-10-01T08:00:00.000Z',
            updatedAt: '2026-10-03T09:15:00.000Z',
            state: { name: 'In Progress', type: 'started' },
            assignee: user,
            creator: { ...user, id: 'a1b2c3d4-0000-4000-8000-000000000002' },
            team: { id: 'team-uuid', key: 'ENG', name: 'Engineering' },
            project: { id: 'project-uuid', name: 'Auth revamp' },
            labels: { nodes: [{ name: 'Bug' }, { name: 'customer' }] },
          },
        ],
        pageInfo: { hasNextPage: true, endCursor: 'cursor-1' },
      },
    },
  },
  {
    data: {
      issues: {
        nodes: [
          {
            id: '1f0e0f2c-0000-4000-8000-000000000003',
            identifier: 'ENG-13',
            title: 'Old idea',
            description: null,
            priority: 0,
            priorityLabel: 'No priority',
            url: 'https://linear.app/acme/issue/ENG-13/old-idea',
            dueDate: null,
            completedAt: null,
            canceledAt: '2026-10-05T10:00:00.000Z',
            createdAt: '2026-09-01T08:00:00.000Z',
            updatedAt: '2026-10-05T10:00:00.000Z',
            state: { name: 'Canceled', type: 'canceled' },
            assignee: null,
            creator: null,
            team: { id: 'team-uuid', key: 'ENG', name: 'Engineering' },
            project: null,
            labels: { nodes: [] },
          },
        ],
        pageInfo: { hasNextPage: false, endCursor: 'cursor-2' },
      },
    },
  },
];

describe('Linear issues', () => {
  it('maps issues from both pages of an issues query', () => {
    const tickets = pages.flatMap((page) =>
      page.data.issues.nodes.map((node) =>
        mapIssue(linearIssueSchema.parse(node)),
      ),
    );
    expect(tickets[0]).toMatchObject({
      remoteId: '9cfb482a-81e3-4154-b5b9-2c805e70a02d',
      name: 'Fix login redirect',
      description: 'Users land on **404** after login.',
      status: 'IN_PROGRESS',
      statusRaw: 'In Progress',
      priority: 'URGENT',
      priorityRaw: '1',
      ticketType: null,
      assigneeRemoteIds: [user.id],
      creatorRemoteId: 'a1b2c3d4-0000-4000-8000-000000000002',
      collectionRemoteIds: ['team-uuid', 'project-uuid'],
      tags: ['Bug', 'customer'],
      dueDate: '2026-11-20',
      completedAt: null,
      ticketUrl: 'https://linear.app/acme/issue/ENG-12/fix-login-redirect',
    });
    expect(tickets[0]?.embeddedUsers.map((u) => u.email)).toEqual([
      'jane@acme.example',
      'jane@acme.example',
    ]);
    expect(tickets[1]).toMatchObject({
      status: 'CLOSED',
      statusRaw: 'Canceled',
      priority: null,
      priorityRaw: '0',
      assigneeRemoteIds: [],
      creatorRemoteId: null,
      collectionRemoteIds: ['team-uuid'],
      tags: [],
    });
    expect(tickets[1]?.completedAt?.toISOString()).toBe(
      '2026-10-05T10:00:00.000Z',
    );
  });

  it('maps every workflow state type and leaves an unknown one unmapped', () => {
    expect(
      [
        'triage',
        'backlog',
        'unstarted',
        'started',
        'completed',
        'canceled',
        'paused',
      ].map((type) => mapState(`Name of ${type}`, type).status),
    ).toEqual([
      'OPEN',
      'OPEN',
      'OPEN',
      'IN_PROGRESS',
      'CLOSED',
      'CLOSED',
      null,
    ]);
    expect(mapState('Paused', 'paused').statusRaw).toBe('Paused');
    expect(stateTypesFor('OPEN')).toEqual(['triage', 'backlog', 'unstarted']);
    expect(stateTypesFor('ON_HOLD')).toEqual([]);
  });

  it('maps priorities 0 to 4, 0 and unknown values to null with the raw kept', () => {
    expect([0, 1, 2, 3, 4, 7, null].map((value) => mapPriority(value))).toEqual(
      [
        { priority: null, priorityRaw: '0' },
        { priority: 'URGENT', priorityRaw: '1' },
        { priority: 'HIGH', priorityRaw: '2' },
        { priority: 'NORMAL', priorityRaw: '3' },
        { priority: 'LOW', priorityRaw: '4' },
        { priority: null, priorityRaw: '7' },
        { priority: null, priorityRaw: null },
      ],
    );
  });
});

describe('Linear collections and comments', () => {
  it('maps teams and projects to typed collections', () => {
    expect(
      mapTeam({ id: 't', key: 'ENG', name: 'Engineering', description: '' }),
    ).toMatchObject({ collectionType: 'TEAM', description: null });
    expect(
      mapProject({ id: 'p', name: 'Auth revamp', description: 'Q4' }),
    ).toMatchObject({ collectionType: 'PROJECT', description: 'Q4' });
  });

  it('maps comments with their issue and author', () => {
    const comment = mapComment(
      linearCommentSchema.parse({
        id: 'c1',
        body: 'Reproduced on staging.',
        createdAt: '2026-10-02T08:00:00.000Z',
        updatedAt: '2026-10-02T09:00:00.000Z',
        user,
        issue: { id: 'issue-1' },
      }),
      null,
    );
    expect(comment).toMatchObject({
      ticketRemoteId: 'issue-1',
      authorRemoteId: user.id,
      body: 'Reproduced on staging.',
    });
  });
});

describe('Linear errors', () => {
  it('reads RATELIMITED and the reset header, and AUTHENTICATION_ERROR', () => {
    const reset = Date.now() + 5_000;
    const limited = classifyLinearError({
      status: 400,
      headers: { 'x-ratelimit-requests-reset': String(reset) },
      body: { errors: [{ message: 'x', extensions: { code: 'RATELIMITED' } }] },
    });
    expect(limited?.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(limited?.retryAfterMs).toBeGreaterThan(4_000);
    expect(
      classifyLinearError({
        status: 400,
        headers: {},
        body: {
          errors: [
            { message: 'x', extensions: { code: 'AUTHENTICATION_ERROR' } },
          ],
        },
      }),
    ).toEqual({ code: 'RELINK_NEEDED' });
    expect(
      classifyLinearError({
        status: 400,
        headers: {},
        body: {
          errors: [{ message: 'x', extensions: { code: 'INVALID_INPUT' } }],
        },
      }),
    ).toBeUndefined();
  });
});
