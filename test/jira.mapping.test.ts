import { describe, expect, it } from 'vitest';

import { adfToText } from '../subgraphs/ticketing/providers/jira/adf';
import {
  ALL_ISSUE_FIELDS,
  commentIssueId,
  issueFieldsFor,
  jiraCommentSchema,
  jiraIssueSchema,
  mapComment,
  mapIssue,
  mapPriority,
  mapProject,
  mapStatus,
  mapUser,
  parseJiraDateTime,
  statusCategoriesFor,
} from '../subgraphs/ticketing/providers/jira/mapping';

const SITE = 'https://acme.atlassian.net';

/**
 * Shaped like the `IssueBean` examples of "Search for issues using JQL
 * enhanced search" and "Get issue", with our own values.
 */
const issuePayload = {
  expand: 'renderedFields,names,schema,operations,editmeta,changelog',
  id: '10002',
  self: `${SITE}/rest/api/3/issue/10002`,
  key: 'ED-1',
  fields: {
    summary: 'Main order flow broken',
    description: {
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Checkout fails for ' },
            { type: 'text', text: 'EU', marks: [{ type: 'strong' }] },
            { type: 'text', text: ' customers.' },
          ],
        },
        {
          type: 'bulletList',
          content: [
            {
              type: 'listItem',
              content: [
                {
                  type: 'paragraph',
                  content: [{ type: 'text', text: 'Seen on staging' }],
                },
              ],
            },
          ],
        },
      ],
    },
    status: {
      self: `${SITE}/rest/api/3/status/10000`,
      name: 'In Progress',
      id: '3',
      statusCategory: {
        id: 4,
        key: 'indeterminate',
        colorName: 'yellow',
        name: 'In Progress',
      },
    },
    priority: { id: '2', name: 'High' },
    issuetype: { id: '10004', name: 'Bug', subtask: false },
    assignee: {
      accountId: '5b10a2844c20165700ede21g',
      accountType: 'atlassian',
      active: true,
      displayName: 'Mia Krystof',
      emailAddress: 'mia@example.com',
      timeZone: 'Australia/Sydney',
    },
    reporter: {
      accountId: '5b10ac8d82e05b22cc7d4ef5',
      active: true,
      displayName: 'Emma Richards',
    },
    project: {
      id: '10000',
      key: 'ED',
      name: 'Edison Project',
      self: `${SITE}/rest/api/3/project/ED`,
    },
    duedate: '2026-11-20',
    resolutiondate: null,
    created: '2026-10-01T12:00:00.000+0000',
    updated: '2026-10-02T09:30:15.250+1000',
    labels: ['customer', 'checkout'],
  },
};

describe('Jira issue mapping', () => {
  it('maps an issue payload shaped like the documentation to a ticket', () => {
    const ticket = mapIssue(jiraIssueSchema.parse(issuePayload), SITE);
    expect(ticket).toMatchObject({
      remoteId: '10002',
      name: 'Main order flow broken',
      description: 'Checkout fails for EU customers.\n- Seen on staging',
      status: 'IN_PROGRESS',
      statusRaw: 'In Progress',
      priority: 'HIGH',
      priorityRaw: 'High',
      ticketType: 'Bug',
      assigneeRemoteIds: ['5b10a2844c20165700ede21g'],
      creatorRemoteId: '5b10ac8d82e05b22cc7d4ef5',
      collectionRemoteIds: ['10000'],
      tags: ['customer', 'checkout'],
      dueDate: '2026-11-20',
      completedAt: null,
      ticketUrl: `${SITE}/browse/ED-1`,
    });
    expect(ticket.createdAt?.toISOString()).toBe('2026-10-01T12:00:00.000Z');
    expect(ticket.modifiedAt?.toISOString()).toBe('2026-10-01T23:30:15.250Z');
    expect(ticket.remoteData).toEqual(issuePayload);
  });

  it('keeps embedded users, with a hidden email address as null', () => {
    const ticket = mapIssue(jiraIssueSchema.parse(issuePayload), SITE);
    expect(ticket.embeddedUsers).toEqual([
      expect.objectContaining({
        remoteId: '5b10a2844c20165700ede21g',
        name: 'Mia Krystof',
        email: 'mia@example.com',
        isActive: true,
      }),
      expect.objectContaining({
        remoteId: '5b10ac8d82e05b22cc7d4ef5',
        name: 'Emma Richards',
        email: null,
      }),
    ]);
  });

  it('prefers the creator over the reporter when both are present', () => {
    const payload = {
      ...issuePayload,
      fields: {
        ...issuePayload.fields,
        creator: { accountId: 'creator-1', displayName: 'C' },
      },
    };
    expect(mapIssue(jiraIssueSchema.parse(payload), SITE).creatorRemoteId).toBe(
      'creator-1',
    );
  });

  it('maps an unassigned issue without fields it did not request', () => {
    const ticket = mapIssue(
      jiraIssueSchema.parse({ id: '1', key: 'OPS-1' }),
      SITE,
    );
    expect(ticket).toMatchObject({
      name: null,
      description: null,
      status: null,
      assigneeRemoteIds: [],
      creatorRemoteId: null,
      collectionRemoteIds: [],
      tags: [],
      ticketUrl: `${SITE}/browse/OPS-1`,
    });
  });
});

describe('Jira fields for a selection', () => {
  it('asks for the Jira fields of the selected Ticket fields only', () => {
    expect(
      issueFieldsFor(new Set(['id', 'name', 'status', 'statusRaw', 'tags'])),
    ).toEqual(['summary', 'status', 'labels']);
    expect(
      issueFieldsFor(
        new Set(['creator', 'collections', 'completedAt', 'ticketUrl']),
      ),
    ).toEqual(['creator', 'project', 'resolutiondate']);
  });

  it('asks for id alone when no selected field needs a Jira field', () => {
    expect(issueFieldsFor(new Set(['id', 'remoteId', 'comments']))).toEqual([
      'id',
    ]);
  });

  it('asks for every field without a selection or with remoteData', () => {
    expect(issueFieldsFor()).toEqual([...ALL_ISSUE_FIELDS]);
    expect(issueFieldsFor(new Set(['id', 'remoteData']))).toEqual([
      ...ALL_ISSUE_FIELDS,
    ]);
    expect(ALL_ISSUE_FIELDS).toEqual(
      expect.arrayContaining(['summary', 'assignee', 'creator', 'reporter']),
    );
  });
});

describe('Jira status and priority mapping', () => {
  it('maps status categories and keeps the raw status name', () => {
    expect(mapStatus('To Do', 'new')).toEqual({
      status: 'OPEN',
      statusRaw: 'To Do',
    });
    expect(mapStatus('In Review', 'indeterminate')).toEqual({
      status: 'IN_PROGRESS',
      statusRaw: 'In Review',
    });
    expect(mapStatus('Done', 'done')).toEqual({
      status: 'CLOSED',
      statusRaw: 'Done',
    });
  });

  it('maps waiting statuses to ON_HOLD unless they are done', () => {
    expect(mapStatus('Blocked', 'indeterminate').status).toBe('ON_HOLD');
    expect(mapStatus('Waiting for customer', 'new').status).toBe('ON_HOLD');
    expect(mapStatus('On Hold', 'indeterminate').status).toBe('ON_HOLD');
    expect(mapStatus('Closed - on hold', 'done').status).toBe('CLOSED');
    expect(mapStatus('Holding pattern', 'new').status).toBe('OPEN');
  });

  it('leaves a status without a known category unmapped but keeps its name', () => {
    expect(mapStatus('Triage', 'undefined')).toEqual({
      status: null,
      statusRaw: 'Triage',
    });
  });

  it('pushes ON_HOLD down to both not-done categories', () => {
    expect(statusCategoriesFor('ON_HOLD')).toEqual(['To Do', 'In Progress']);
    expect(statusCategoriesFor('CLOSED')).toEqual(['Done']);
  });

  it('maps the default priority scheme and keeps unknown priorities raw', () => {
    expect(mapPriority('Highest').priority).toBe('URGENT');
    expect(mapPriority('High').priority).toBe('HIGH');
    expect(mapPriority('Medium').priority).toBe('NORMAL');
    expect(mapPriority('Low').priority).toBe('LOW');
    expect(mapPriority('Lowest').priority).toBe('LOW');
    expect(mapPriority('Critical').priority).toBe('URGENT');
    expect(mapPriority('P0 - Sev1')).toEqual({
      priority: null,
      priorityRaw: 'P0 - Sev1',
    });
    expect(mapPriority(null)).toEqual({ priority: null, priorityRaw: null });
  });
});

describe('Jira date-times', () => {
  it('parses offsets without a colon into UTC instants', () => {
    expect(
      parseJiraDateTime('2026-10-01T08:00:00.000-0400')?.toISOString(),
    ).toBe('2026-10-01T12:00:00.000Z');
    expect(
      parseJiraDateTime('2021-01-17T12:34:00.000+0000')?.toISOString(),
    ).toBe('2021-01-17T12:34:00.000Z');
  });

  it('returns null for missing or unreadable values', () => {
    expect(parseJiraDateTime(null)).toBeNull();
    expect(parseJiraDateTime('yesterday')).toBeNull();
  });
});

describe('Jira comments, users and projects', () => {
  /** Shaped like the `Comment` example of "Get comments". */
  const commentPayload = {
    author: {
      accountId: '5b10a2844c20165700ede21g',
      active: false,
      displayName: 'Mia Krystof',
      self: `${SITE}/rest/api/3/user?accountId=5b10a2844c20165700ede21g`,
    },
    body: {
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [{ type: 'text', text: 'Reproduced on staging.' }],
        },
      ],
    },
    created: '2021-01-17T12:34:00.000+0000',
    id: '10000',
    self: `${SITE}/rest/api/3/issue/10010/comment/10000`,
    updated: '2021-01-18T23:45:00.000+0000',
    visibility: { identifier: 'Administrators', type: 'role' },
  };

  it('maps a comment and reads its issue from the self link', () => {
    const comment = mapComment(jiraCommentSchema.parse(commentPayload), null);
    expect(comment).toMatchObject({
      remoteId: '10000',
      ticketRemoteId: '10010',
      body: 'Reproduced on staging.',
      authorRemoteId: '5b10a2844c20165700ede21g',
    });
    expect(comment.modifiedAt?.toISOString()).toBe('2021-01-18T23:45:00.000Z');
    expect(commentIssueId('not a link')).toBeNull();
  });

  it('maps an inactive user and a project as a PROJECT collection', () => {
    expect(
      mapUser({ accountId: 'a1', displayName: 'Ex Employee', active: false }),
    ).toMatchObject({ remoteId: 'a1', email: null, isActive: false });
    expect(
      mapProject({
        id: '10000',
        key: 'EX',
        name: 'Example',
        description: 'An example project',
      }),
    ).toMatchObject({
      remoteId: '10000',
      name: 'Example',
      description: 'An example project',
      collectionType: 'PROJECT',
    });
  });
});

describe('ADF flattening', () => {
  it('flattens headings, lists, mentions, breaks, code and tables', () => {
    const doc = {
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'heading',
          attrs: { level: 2 },
          content: [{ type: 'text', text: 'Steps' }],
        },
        {
          type: 'orderedList',
          attrs: { order: 1 },
          content: [
            {
              type: 'listItem',
              content: [
                {
                  type: 'paragraph',
                  content: [
                    { type: 'text', text: 'Ask ' },
                    {
                      type: 'mention',
                      attrs: { id: 'abc', text: '@Mia Krystof' },
                    },
                    { type: 'hardBreak' },
                    { type: 'text', text: 'then wait' },
                  ],
                },
              ],
            },
          ],
        },
        {
          type: 'codeBlock',
          attrs: { language: 'sh' },
          content: [{ type: 'text', text: 'npm test' }],
        },
        { type: 'rule' },
        {
          type: 'table',
          content: [
            {
              type: 'tableRow',
              content: [
                {
                  type: 'tableHeader',
                  content: [
                    {
                      type: 'paragraph',
                      content: [{ type: 'text', text: 'A' }],
                    },
                  ],
                },
                {
                  type: 'tableCell',
                  content: [
                    {
                      type: 'paragraph',
                      content: [{ type: 'text', text: 'B' }],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    expect(adfToText(doc)).toBe(
      'Steps\n1. Ask @Mia Krystof\nthen wait\nnpm test\n---\nA | B',
    );
  });

  it('passes plain strings through and returns null for empty documents', () => {
    expect(adfToText('Main order flow broken')).toBe('Main order flow broken');
    expect(adfToText({ type: 'doc', version: 1, content: [] })).toBeNull();
    expect(adfToText(null)).toBeNull();
  });
});
