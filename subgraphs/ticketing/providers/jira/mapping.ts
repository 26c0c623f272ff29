/**
 * Jira Cloud payloads (REST v3) and their mapping to the ticketing model.
 *
 * Follows developer.atlassian.com, Jira Cloud platform REST API v3:
 * - Issues | "Get issue" / Issue search | "Search for issues using JQL
 *   enhanced search": `IssueBean` { id, key, self, fields } with the system
 *   fields summary, description (ADF), status (`StatusDetails` with
 *   `statusCategory.key` new / indeterminate / done), priority, issuetype,
 *   assignee / reporter / creator (`UserDetails`), project, duedate
 *   (`yyyy-mm-dd`), resolutiondate / created / updated
 *   (`2026-10-01T12:00:00.000+0000`), labels.
 * - Users: `User` { accountId, displayName, emailAddress, active }.
 *   `emailAddress` may be absent: Atlassian's profile visibility settings
 *   let people hide it ("Privacy controls are applied to the response").
 * - Issue comments: `Comment` { id, self, author, body (ADF), created,
 *   updated }.
 * - Projects: `Project` { id, key, name, description }.
 *
 * The zod schemas check only what the mapping reads and keep everything
 * else (`looseObject`), so `remoteData` is the payload as it came. Every
 * issue field is optional: a search asks only for the fields the GraphQL
 * query reads (`issueFieldsFor`), and the ticket's other fields stay null
 * or empty.
 */
import { z } from 'zod';

import { providerFieldsFor } from '../../../../lib/selection';
import type { ProviderFieldTable } from '../../../../lib/selection';
import type {
  Ticket,
  TicketCollection,
  TicketComment,
  TicketPriority,
  TicketStatus,
  TicketingUser,
} from '../../models';
import { adfToText } from './adf';

const nullableString = z.string().nullish();

export const jiraUserSchema = z.looseObject({
  accountId: z.string(),
  displayName: nullableString,
  emailAddress: nullableString,
  active: z.boolean().nullish(),
});
export type JiraUser = z.infer<typeof jiraUserSchema>;

export const jiraProjectSchema = z.looseObject({
  id: z.string(),
  key: nullableString,
  name: nullableString,
  description: nullableString,
});
export type JiraProject = z.infer<typeof jiraProjectSchema>;

const namedSchema = z.looseObject({ name: nullableString }).nullish();

export const jiraIssueSchema = z.looseObject({
  id: z.string(),
  key: z.string(),
  fields: z
    .looseObject({
      summary: nullableString,
      description: z.unknown().optional(),
      status: z
        .looseObject({
          name: nullableString,
          statusCategory: z.looseObject({ key: nullableString }).nullish(),
        })
        .nullish(),
      priority: namedSchema,
      issuetype: namedSchema,
      assignee: jiraUserSchema.nullish(),
      reporter: jiraUserSchema.nullish(),
      creator: jiraUserSchema.nullish(),
      project: jiraProjectSchema.nullish(),
      duedate: nullableString,
      resolutiondate: nullableString,
      created: nullableString,
      updated: nullableString,
      labels: z.array(z.string()).nullish(),
    })
    .optional(),
});
export type JiraIssue = z.infer<typeof jiraIssueSchema>;

/**
 * The Jira fields each `Ticket` field (GraphQL name) is mapped from by
 * `mapIssue`: the one table a search's or bulk fetch's `fields` list is
 * built from ("Search for issues using JQL enhanced search" and "Bulk fetch
 * issues", `fields`). Not listed: `id`, `remoteId` and `ticketUrl` come
 * from the issue's `id` and `key`, which Jira returns whatever `fields`
 * says; `comments` are read by their own calls. `statusRaw` and
 * `priorityRaw` share their enum's field. `creator` asks for `creator`
 * only: `reporter` is the mapping's fallback when a payload lacks it.
 */
const JIRA_FIELDS_BY_TICKET_FIELD: ProviderFieldTable = {
  name: 'summary',
  description: 'description',
  status: 'status',
  statusRaw: 'status',
  priority: 'priority',
  priorityRaw: 'priority',
  ticketType: 'issuetype',
  assignees: 'assignee',
  creator: 'creator',
  collections: 'project',
  tags: 'labels',
  dueDate: 'duedate',
  completedAt: 'resolutiondate',
  createdAt: 'created',
  modifiedAt: 'updated',
};

/**
 * Every field a ticket is built from, and the reporter: what `remoteData`
 * holds, and what is asked for when the selection is unknown.
 */
export const ALL_ISSUE_FIELDS: readonly string[] = [
  ...new Set(Object.values(JIRA_FIELDS_BY_TICKET_FIELD).flat()),
  'reporter',
];

/**
 * The `fields` to ask Jira for so that the `Ticket` fields in `selected`
 * (GraphQL names) are mapped; the others come back null or empty. Absent,
 * or with `remoteData` selected: every field (`ALL_ISSUE_FIELDS`). A
 * selection that needs no field asks for `id` alone, Jira's default.
 */
export function issueFieldsFor(selected?: ReadonlySet<string>): string[] {
  const fields = providerFieldsFor(JIRA_FIELDS_BY_TICKET_FIELD, selected, {
    all: ALL_ISSUE_FIELDS,
  });
  return fields.length > 0 ? fields : ['id'];
}

export const jiraCommentSchema = z.looseObject({
  id: z.string(),
  self: nullableString,
  author: jiraUserSchema.nullish(),
  body: z.unknown().optional(),
  created: nullableString,
  updated: nullableString,
});
export type JiraComment = z.infer<typeof jiraCommentSchema>;

/**
 * Jira date-times carry a `±hhmm` offset (`2026-10-01T12:00:00.000+0000`,
 * rendered in the caller's time zone), which `Date.parse` does not accept
 * in every engine; this normalizes the offset to `±hh:mm` first. Null for
 * a missing or unreadable value.
 */
export function parseJiraDateTime(
  value: string | null | undefined,
): Date | null {
  if (!value) {
    return null;
  }
  const match =
    /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})$/.exec(
      value,
    );
  if (!match) {
    return null;
  }
  const [, local, zone = 'Z'] = match;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${local}${offset}`);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/**
 * Status names that mean "waiting on something" in workflows people build
 * (Jira ships none of these in its default workflow, so they are a
 * heuristic over custom status names).
 */
const ON_HOLD_NAME =
  /\b(blocked|on[\s-]?hold|hold|waiting|paused|pending|suspended|deferred|parked)\b/i;

/**
 * Status by status category ("Status category" in Jira's workflow docs:
 * `new` is To Do, `indeterminate` In Progress, `done` Done), refined by
 * name: a not-done status named like "Blocked" or "Waiting for customer" is
 * ON_HOLD. A status in the `undefined` category ("No Category") is
 * unmapped. The status name is always kept as `statusRaw`.
 */
export function mapStatus(
  name: string | null | undefined,
  categoryKey: string | null | undefined,
): { status: TicketStatus | null; statusRaw: string | null } {
  const statusRaw = name ?? null;
  let status: TicketStatus | null;
  switch (categoryKey) {
    case 'new':
      status = 'OPEN';
      break;
    case 'indeterminate':
      status = 'IN_PROGRESS';
      break;
    case 'done':
      status = 'CLOSED';
      break;
    default:
      status = null;
  }
  if (
    status !== 'CLOSED' &&
    statusRaw !== null &&
    ON_HOLD_NAME.test(statusRaw)
  ) {
    status = 'ON_HOLD';
  }
  return { status, statusRaw };
}

/**
 * The status categories (by JQL name) a status filter can be pushed down
 * to. ON_HOLD spans the not-done categories because hold statuses are
 * recognised by name; callers filter exactly after fetching.
 */
export function statusCategoriesFor(status: TicketStatus): string[] {
  switch (status) {
    case 'OPEN':
      return ['To Do'];
    case 'IN_PROGRESS':
      return ['In Progress'];
    case 'ON_HOLD':
      return ['To Do', 'In Progress'];
    case 'CLOSED':
      return ['Done'];
  }
}

/**
 * Jira's default priority scheme (Highest, High, Medium, Low, Lowest) and
 * the older default names (Blocker, Critical, Major, Minor, Trivial).
 */
const PRIORITIES: Record<string, TicketPriority> = {
  highest: 'URGENT',
  blocker: 'URGENT',
  critical: 'URGENT',
  high: 'HIGH',
  major: 'HIGH',
  medium: 'NORMAL',
  low: 'LOW',
  minor: 'LOW',
  lowest: 'LOW',
  trivial: 'LOW',
};

export function mapPriority(name: string | null | undefined): {
  priority: TicketPriority | null;
  priorityRaw: string | null;
} {
  const priorityRaw = name ?? null;
  return {
    priority:
      priorityRaw === null
        ? null
        : (PRIORITIES[priorityRaw.toLowerCase()] ?? null),
    priorityRaw,
  };
}

export function mapUser(user: JiraUser): TicketingUser {
  return {
    remoteId: user.accountId,
    name: user.displayName ?? null,
    email: user.emailAddress || null,
    isActive: user.active ?? null,
    remoteData: user,
  };
}

export function mapProject(project: JiraProject): TicketCollection {
  return {
    remoteId: project.id,
    name: project.name ?? null,
    description: project.description || null,
    collectionType: 'PROJECT',
    remoteData: project,
  };
}

/**
 * An issue as a ticket. `siteUrl` is the site's base URL (no trailing
 * slash): the ticket's link is `{siteUrl}/browse/{key}`. The creator is
 * Jira's `creator`, or the `reporter` when `creator` was not requested.
 */
export function mapIssue(issue: JiraIssue, siteUrl: string): Ticket {
  const fields = issue.fields ?? {};
  const { status, statusRaw } = mapStatus(
    fields.status?.name,
    fields.status?.statusCategory?.key,
  );
  const { priority, priorityRaw } = mapPriority(fields.priority?.name);
  const creator = fields.creator ?? fields.reporter ?? null;
  const embedded = [fields.assignee, creator].filter(
    (user): user is JiraUser => user !== null && user !== undefined,
  );
  return {
    remoteId: issue.id,
    name: fields.summary ?? null,
    description: adfToText(fields.description),
    status,
    statusRaw,
    priority,
    priorityRaw,
    ticketType: fields.issuetype?.name ?? null,
    assigneeRemoteIds: fields.assignee ? [fields.assignee.accountId] : [],
    creatorRemoteId: creator?.accountId ?? null,
    collectionRemoteIds: fields.project ? [fields.project.id] : [],
    tags: fields.labels ?? [],
    dueDate: fields.duedate ?? null,
    completedAt: parseJiraDateTime(fields.resolutiondate),
    ticketUrl: `${siteUrl}/browse/${issue.key}`,
    createdAt: parseJiraDateTime(fields.created),
    modifiedAt: parseJiraDateTime(fields.updated),
    embeddedUsers: embedded.map(mapUser),
    remoteData: issue,
  };
}

/**
 * The issue id of a comment, read from its `self` link
 * (`…/rest/api/3/issue/{issueId}/comment/{id}`); "Get comments by IDs"
 * answers carry no other reference to the issue.
 */
export function commentIssueId(self: string | null | undefined): string | null {
  const match = /\/issue\/([^/]+)\/comment\/[^/]+$/.exec(self ?? '');
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

export function mapComment(
  comment: JiraComment,
  issueId: string | null,
): TicketComment {
  return {
    remoteId: comment.id,
    ticketRemoteId: issueId ?? commentIssueId(comment.self),
    body: adfToText(comment.body),
    authorRemoteId: comment.author?.accountId ?? null,
    createdAt: parseJiraDateTime(comment.created),
    modifiedAt: parseJiraDateTime(comment.updated),
    embeddedUsers: comment.author ? [mapUser(comment.author)] : [],
    remoteData: comment,
  };
}
