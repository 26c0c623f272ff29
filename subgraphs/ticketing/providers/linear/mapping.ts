/**
 * Linear GraphQL payloads and their mapping to the ticketing model.
 *
 * Follows Linear's GraphQL schema (linear.app/developers, "GraphQL API"):
 * - `Issue` { id (UUID), identifier (`ENG-12`), title, description
 *   (Markdown), priority (0 none, 1 urgent, 2 high, 3 medium, 4 low),
 *   priorityLabel, url, dueDate (`TimelessDate`, yyyy-mm-dd), completedAt,
 *   canceledAt, createdAt, updatedAt (ISO 8601, UTC), state
 *   (`WorkflowState` { name, type }), assignee, creator (`User`), team,
 *   project, labels }.
 * - `WorkflowState.type`: `triage`, `backlog`, `unstarted`, `started`,
 *   `completed`, `canceled`.
 * - `User` { id, name, displayName, email, active }, `Team` { id, key, name,
 *   description }, `Project` { id, name, description }, `Comment` { id,
 *   body, user, issue, createdAt, updatedAt }.
 *
 * Teams and projects are both collections (`TEAM`, `PROJECT`): every issue
 * belongs to one team and at most one project.
 */
import { z } from 'zod';

import type {
  Ticket,
  TicketCollection,
  TicketComment,
  TicketPriority,
  TicketStatus,
  TicketingUser,
} from '../../models';
import { parseTime } from '../helpers';

const nullableString = z.string().nullish();

export const linearUserSchema = z.looseObject({
  id: z.string(),
  name: nullableString,
  displayName: nullableString,
  email: nullableString,
  active: z.boolean().nullish(),
});
export type LinearUser = z.infer<typeof linearUserSchema>;

export const linearTeamSchema = z.looseObject({
  id: z.string(),
  key: nullableString,
  name: nullableString,
  description: nullableString,
});
export type LinearTeam = z.infer<typeof linearTeamSchema>;

export const linearProjectSchema = z.looseObject({
  id: z.string(),
  name: nullableString,
  description: nullableString,
});
export type LinearProject = z.infer<typeof linearProjectSchema>;

export const linearIssueSchema = z.looseObject({
  id: z.string(),
  identifier: nullableString,
  title: nullableString,
  description: nullableString,
  priority: z.number().nullish(),
  priorityLabel: nullableString,
  url: nullableString,
  dueDate: nullableString,
  completedAt: nullableString,
  canceledAt: nullableString,
  createdAt: nullableString,
  updatedAt: nullableString,
  state: z
    .looseObject({ name: nullableString, type: nullableString })
    .nullish(),
  assignee: linearUserSchema.nullish(),
  creator: linearUserSchema.nullish(),
  team: linearTeamSchema.nullish(),
  project: linearProjectSchema.nullish(),
  labels: z
    .looseObject({ nodes: z.array(z.looseObject({ name: z.string() })) })
    .nullish(),
});
export type LinearIssue = z.infer<typeof linearIssueSchema>;

export const linearCommentSchema = z.looseObject({
  id: z.string(),
  body: nullableString,
  user: linearUserSchema.nullish(),
  issue: z.looseObject({ id: z.string() }).nullish(),
  createdAt: nullableString,
  updatedAt: nullableString,
});
export type LinearComment = z.infer<typeof linearCommentSchema>;

/**
 * Status by workflow state type (the name is kept as `statusRaw`):
 * `triage` (new issues not yet accepted into a team's workflow), `backlog`
 * and `unstarted` are OPEN: nobody works on them yet; `started` is
 * IN_PROGRESS; `completed` and `canceled` are CLOSED. Linear has no hold
 * type (blocking is a relation between issues), so ON_HOLD is never
 * produced. An unknown type is unmapped.
 */
export function mapState(
  name: string | null | undefined,
  type: string | null | undefined,
): { status: TicketStatus | null; statusRaw: string | null } {
  let status: TicketStatus | null;
  switch (type) {
    case 'triage':
    case 'backlog':
    case 'unstarted':
      status = 'OPEN';
      break;
    case 'started':
      status = 'IN_PROGRESS';
      break;
    case 'completed':
    case 'canceled':
      status = 'CLOSED';
      break;
    default:
      status = null;
  }
  return { status, statusRaw: name ?? type ?? null };
}

/** State types a status filter is pushed down to (exact). */
export function stateTypesFor(status: TicketStatus): string[] {
  switch (status) {
    case 'OPEN':
      return ['triage', 'backlog', 'unstarted'];
    case 'IN_PROGRESS':
      return ['started'];
    case 'ON_HOLD':
      return [];
    case 'CLOSED':
      return ['completed', 'canceled'];
  }
}

const PRIORITIES: Record<number, TicketPriority> = {
  1: 'URGENT',
  2: 'HIGH',
  3: 'NORMAL',
  4: 'LOW',
};

/**
 * Linear's integer priority: 1 urgent, 2 high, 3 medium (NORMAL), 4 low;
 * 0 means "no priority" and any other value is unknown, both null. The raw
 * value is the integer as a string (`"0"`…`"4"`).
 */
export function mapPriority(value: number | null | undefined): {
  priority: TicketPriority | null;
  priorityRaw: string | null;
} {
  if (value === null || value === undefined) {
    return { priority: null, priorityRaw: null };
  }
  return { priority: PRIORITIES[value] ?? null, priorityRaw: String(value) };
}

export function mapUser(user: LinearUser): TicketingUser {
  return {
    remoteId: user.id,
    name: user.name ?? user.displayName ?? null,
    email: user.email || null,
    isActive: user.active ?? null,
    remoteData: user,
  };
}

export function mapTeam(team: LinearTeam): TicketCollection {
  return {
    remoteId: team.id,
    name: team.name ?? null,
    description: team.description || null,
    collectionType: 'TEAM',
    remoteData: team,
  };
}

export function mapProject(project: LinearProject): TicketCollection {
  return {
    remoteId: project.id,
    name: project.name ?? null,
    description: project.description || null,
    collectionType: 'PROJECT',
    remoteData: project,
  };
}

/**
 * An issue as a ticket. Linear has no issue types (labels play that part),
 * so `ticketType` is null and labels are tags; `completedAt` is when it was
 * completed or canceled.
 */
export function mapIssue(issue: LinearIssue): Ticket {
  const { status, statusRaw } = mapState(issue.state?.name, issue.state?.type);
  const { priority, priorityRaw } = mapPriority(issue.priority);
  const embedded = [issue.assignee, issue.creator].filter(
    (user): user is LinearUser => user !== null && user !== undefined,
  );
  return {
    remoteId: issue.id,
    name: issue.title ?? null,
    description: issue.description ?? null,
    status,
    statusRaw,
    priority,
    priorityRaw,
    ticketType: null,
    assigneeRemoteIds: issue.assignee ? [issue.assignee.id] : [],
    creatorRemoteId: issue.creator?.id ?? null,
    collectionRemoteIds: [issue.team?.id, issue.project?.id].filter(
      (id): id is string => typeof id === 'string',
    ),
    tags: issue.labels?.nodes.map((label) => label.name) ?? [],
    dueDate: issue.dueDate ?? null,
    completedAt: parseTime(issue.completedAt ?? issue.canceledAt),
    ticketUrl: issue.url ?? null,
    createdAt: parseTime(issue.createdAt),
    modifiedAt: parseTime(issue.updatedAt),
    embeddedUsers: embedded.map(mapUser),
    remoteData: issue,
  };
}

export function mapComment(
  comment: LinearComment,
  issueId: string | null,
): TicketComment {
  return {
    remoteId: comment.id,
    ticketRemoteId: issueId ?? comment.issue?.id ?? null,
    body: comment.body ?? null,
    authorRemoteId: comment.user?.id ?? null,
    createdAt: parseTime(comment.createdAt),
    modifiedAt: parseTime(comment.updatedAt),
    embeddedUsers: comment.user ? [mapUser(comment.user)] : [],
    remoteData: comment,
  };
}
