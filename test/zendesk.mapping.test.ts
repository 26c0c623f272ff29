import { describe, expect, it } from 'vitest';

import { classifyZendeskError } from '../subgraphs/ticketing/providers/zendesk/connector';
import {
  mapComment,
  mapGroup,
  mapPriority,
  mapStatus,
  mapTicket,
  mapUser,
  zendeskCommentSchema,
  zendeskGroupSchema,
  zendeskTicketSchema,
  zendeskUserSchema,
} from '../subgraphs/ticketing/providers/zendesk/mapping';

const ACCOUNT = 'https://company.zendesk.com';

/**
 * Two pages of "List Tickets" with cursor pagination, shaped like the
 * Tickets JSON format example and the Pagination guide, with our values.
 */
const pages = [
  {
    tickets: [
      {
        assignee_id: 235323,
        collaborator_ids: [35334, 234],
        created_at: '2009-07-20T22:55:29Z',
        custom_fields: [{ id: 27642, value: '745' }],
        description: 'The fire is very colorful.',
        due_at: null,
        external_id: 'ahg35h3jh',
        follower_ids: [35334, 234],
        group_id: 98738,
        has_incidents: false,
        id: 35436,
        organization_id: 509974,
        priority: 'high',
        problem_id: 9873764,
        raw_subject: '{{dc.printer_on_fire}}',
        recipient: 'support@company.com',
        requester_id: 20978392,
        satisfaction_rating: null,
        sharing_agreement_ids: [84432],
        status: 'open',
        subject: 'Help, my printer is on fire!',
        submitter_id: 76872,
        tags: ['enterprise', 'other_tag'],
        type: 'incident',
        updated_at: '2011-05-05T10:38:52Z',
        url: `${ACCOUNT}/api/v2/tickets/35436.json`,
        via: { channel: 'web' },
      },
    ],
    meta: { has_more: true, after_cursor: 'xxx', before_cursor: 'yyy' },
    links: {
      next: `${ACCOUNT}/api/v2/tickets.json?page[size]=1&page[after]=xxx`,
      prev: null,
    },
  },
  {
    tickets: [
      {
        assignee_id: null,
        created_at: '2026-10-01T08:00:00Z',
        description: 'Please send the invoice again.',
        due_at: '2026-10-10T00:00:00Z',
        group_id: null,
        id: 35437,
        priority: null,
        requester_id: 20978392,
        status: 'hold',
        subject: 'Invoice copy',
        submitter_id: null,
        tags: [],
        type: 'task',
        updated_at: '2026-10-02T09:30:00Z',
        url: `${ACCOUNT}/api/v2/tickets/35437.json`,
      },
    ],
    meta: { has_more: false, after_cursor: 'zzz', before_cursor: 'www' },
    links: { next: null, prev: `${ACCOUNT}/api/v2/tickets.json?page[size]=1` },
  },
];

describe('Zendesk tickets', () => {
  it('maps tickets from both pages of a documented listing', () => {
    const tickets = pages.flatMap((page) =>
      page.tickets.map((payload) =>
        mapTicket(zendeskTicketSchema.parse(payload), ACCOUNT),
      ),
    );
    expect(tickets[0]).toMatchObject({
      remoteId: '35436',
      name: 'Help, my printer is on fire!',
      description: 'The fire is very colorful.',
      status: 'OPEN',
      statusRaw: 'open',
      priority: 'HIGH',
      priorityRaw: 'high',
      ticketType: 'incident',
      assigneeRemoteIds: ['235323'],
      creatorRemoteId: '76872',
      collectionRemoteIds: ['98738'],
      tags: ['enterprise', 'other_tag'],
      dueDate: null,
      completedAt: null,
      ticketUrl: `${ACCOUNT}/agent/tickets/35436`,
      embeddedUsers: [],
    });
    expect(tickets[0]?.createdAt?.toISOString()).toBe(
      '2009-07-20T22:55:29.000Z',
    );
    expect(tickets[0]?.remoteData).toEqual(pages[0]?.tickets[0]);
    expect(tickets[1]).toMatchObject({
      remoteId: '35437',
      status: 'ON_HOLD',
      priority: null,
      priorityRaw: null,
      assigneeRemoteIds: [],
      creatorRemoteId: '20978392',
      collectionRemoteIds: [],
      dueDate: '2026-10-10',
    });
  });

  it('maps every Zendesk status and keeps an unknown one raw', () => {
    expect(
      [
        'new',
        'open',
        'pending',
        'hold',
        'solved',
        'closed',
        'deleted',
        null,
      ].map((raw) => mapStatus(raw)),
    ).toEqual([
      { status: 'OPEN', statusRaw: 'new' },
      { status: 'OPEN', statusRaw: 'open' },
      { status: 'ON_HOLD', statusRaw: 'pending' },
      { status: 'ON_HOLD', statusRaw: 'hold' },
      { status: 'CLOSED', statusRaw: 'solved' },
      { status: 'CLOSED', statusRaw: 'closed' },
      { status: null, statusRaw: 'deleted' },
      { status: null, statusRaw: null },
    ]);
  });

  it('maps every Zendesk priority and keeps an unknown one raw', () => {
    expect(
      ['urgent', 'high', 'normal', 'low', 'critical', null].map((raw) =>
        mapPriority(raw),
      ),
    ).toEqual([
      { priority: 'URGENT', priorityRaw: 'urgent' },
      { priority: 'HIGH', priorityRaw: 'high' },
      { priority: 'NORMAL', priorityRaw: 'normal' },
      { priority: 'LOW', priorityRaw: 'low' },
      { priority: null, priorityRaw: 'critical' },
      { priority: null, priorityRaw: null },
    ]);
  });

  it('refuses a ticket without an integer id', () => {
    expect(zendeskTicketSchema.safeParse({ id: 'abc' }).success).toBe(false);
  });
});

describe('Zendesk users, groups and comments', () => {
  it('maps users, treating suspended or deleted users as inactive', () => {
    const base = {
      id: 35436,
      url: `${ACCOUNT}/api/v2/users/35436.json`,
      name: 'Johnny Agent',
      email: 'johnny@example.com',
      role: 'agent',
      active: true,
      suspended: false,
      created_at: '2009-07-20T22:55:29Z',
    };
    expect(mapUser(zendeskUserSchema.parse(base))).toMatchObject({
      remoteId: '35436',
      name: 'Johnny Agent',
      email: 'johnny@example.com',
      isActive: true,
    });
    expect(
      mapUser(zendeskUserSchema.parse({ ...base, suspended: true })).isActive,
    ).toBe(false);
    expect(
      mapUser(zendeskUserSchema.parse({ ...base, active: false })).isActive,
    ).toBe(false);
  });

  it('maps groups as GROUP collections', () => {
    expect(
      mapGroup(
        zendeskGroupSchema.parse({
          id: 211,
          name: 'DJs',
          description: 'Peeps who DJ',
          default: true,
          deleted: false,
          created_at: '2009-05-13T00:07:08Z',
        }),
      ),
    ).toMatchObject({
      remoteId: '211',
      name: 'DJs',
      description: 'Peeps who DJ',
      collectionType: 'GROUP',
    });
  });

  it('maps comments with their plain body and author', () => {
    const comment = mapComment(
      zendeskCommentSchema.parse({
        id: 1274,
        type: 'Comment',
        author_id: 123123,
        body: 'Thanks for your help!',
        html_body: '<p>Thanks for your help!</p>',
        plain_body: 'Thanks for your help!',
        public: true,
        created_at: '2009-07-20T22:55:29Z',
      }),
      '35436',
    );
    expect(comment).toMatchObject({
      remoteId: '1274',
      ticketRemoteId: '35436',
      body: 'Thanks for your help!',
      authorRemoteId: '123123',
    });
    expect(comment.modifiedAt).toEqual(comment.createdAt);
  });
});

describe('Zendesk rate limits', () => {
  it('reads ratelimit-reset when a 429 has no Retry-After', () => {
    expect(
      classifyZendeskError({
        status: 429,
        headers: { 'ratelimit-reset': '12' },
        body: { error: 'APIRateLimitExceeded' },
      }),
    ).toEqual({ code: 'UPSTREAM_RATE_LIMITED', retryAfterMs: 12_000 });
    expect(
      classifyZendeskError({
        status: 429,
        headers: { 'retry-after': '3' },
        body: null,
      }),
    ).toBeUndefined();
  });
});
