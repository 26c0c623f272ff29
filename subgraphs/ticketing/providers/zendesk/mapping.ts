/**
 * Zendesk Support payloads (API v2) and their mapping to the ticketing
 * model.
 *
 * Follows developer.zendesk.com, Ticketing API reference:
 * - Tickets | JSON format: `id` (integer), `subject`, `description`,
 *   `status` (`new`, `open`, `pending`, `hold`, `solved`, `closed`; the
 *   incremental export also shows `deleted`), `priority` (`urgent`, `high`,
 *   `normal`, `low` or null), `type` (`problem`, `incident`, `question`,
 *   `task` or null), `assignee_id`, `requester_id`, `submitter_id`,
 *   `group_id`, `tags`, `due_at` (tasks only), `created_at`, `updated_at`
 *   (ISO 8601, UTC).
 * - Users | JSON format: `id`, `name`, `email` (primary), `active` (false
 *   once deleted), `suspended`.
 * - Groups | JSON format: `id`, `name`, `description`, `deleted`.
 * - Ticket Comments | JSON format: `id`, `author_id`, `body`, `plain_body`,
 *   `created_at` (comments are not edited, so there is no `updated_at`).
 *
 * Groups are the ticket collections: a ticket belongs to one group, the
 * team of agents that works it, as a Jira issue belongs to a project.
 * Organizations group the requesters' companies (closer to a CRM account)
 * and brands are storefronts, so neither is a collection here.
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
const id = z.number().int();

export const zendeskUserSchema = z.looseObject({
  id,
  name: nullableString,
  email: nullableString,
  active: z.boolean().nullish(),
  suspended: z.boolean().nullish(),
});
export type ZendeskUser = z.infer<typeof zendeskUserSchema>;

export const zendeskGroupSchema = z.looseObject({
  id,
  name: nullableString,
  description: nullableString,
});
export type ZendeskGroup = z.infer<typeof zendeskGroupSchema>;

export const zendeskTicketSchema = z.looseObject({
  id,
  subject: nullableString,
  description: nullableString,
  status: nullableString,
  priority: nullableString,
  type: nullableString,
  assignee_id: id.nullish(),
  requester_id: id.nullish(),
  submitter_id: id.nullish(),
  group_id: id.nullish(),
  tags: z.array(z.string()).nullish(),
  due_at: nullableString,
  created_at: nullableString,
  updated_at: nullableString,
});
export type ZendeskTicket = z.infer<typeof zendeskTicketSchema>;

export const zendeskCommentSchema = z.looseObject({
  id,
  author_id: id.nullish(),
  body: nullableString,
  plain_body: nullableString,
  created_at: nullableString,
});
export type ZendeskComment = z.infer<typeof zendeskCommentSchema>;

/**
 * Zendesk's six statuses, after Merge's ticketing status model:
 * `new` and `open` both wait for an agent (OPEN; Zendesk has no separate
 * "being worked on" state, so IN_PROGRESS is never produced); `pending`
 * waits for the requester and `hold` for a third party (ON_HOLD: the agent
 * cannot move it); `solved` and `closed` are done (CLOSED). Anything else
 * (`deleted`, a future status) is unmapped; the raw value is always kept.
 */
export function mapStatus(raw: string | null | undefined): {
  status: TicketStatus | null;
  statusRaw: string | null;
} {
  const statusRaw = raw ?? null;
  let status: TicketStatus | null;
  switch (statusRaw) {
    case 'new':
    case 'open':
      status = 'OPEN';
      break;
    case 'pending':
    case 'hold':
      status = 'ON_HOLD';
      break;
    case 'solved':
    case 'closed':
      status = 'CLOSED';
      break;
    default:
      status = null;
  }
  return { status, statusRaw };
}

const PRIORITIES: Record<string, TicketPriority> = {
  urgent: 'URGENT',
  high: 'HIGH',
  normal: 'NORMAL',
  low: 'LOW',
};

/** Zendesk's four priorities; null (no priority) and unknowns unmapped. */
export function mapPriority(raw: string | null | undefined): {
  priority: TicketPriority | null;
  priorityRaw: string | null;
} {
  const priorityRaw = raw ?? null;
  return {
    priority: priorityRaw === null ? null : (PRIORITIES[priorityRaw] ?? null),
    priorityRaw,
  };
}

export function mapUser(user: ZendeskUser): TicketingUser {
  return {
    remoteId: String(user.id),
    name: user.name ?? null,
    email: user.email || null,
    // Zendesk's `active` is false once a user is deleted; a suspended user
    // cannot sign in either.
    isActive:
      user.active === null || user.active === undefined
        ? null
        : user.active && user.suspended !== true,
    remoteData: user,
  };
}

export function mapGroup(group: ZendeskGroup): TicketCollection {
  return {
    remoteId: String(group.id),
    name: group.name ?? null,
    description: group.description || null,
    collectionType: 'GROUP',
    remoteData: group,
  };
}

/**
 * A ticket. `accountUrl` is the account's base URL without a trailing
 * slash (`https://acme.zendesk.com`); the ticket's link is the agent view,
 * `{accountUrl}/agent/tickets/{id}`. Zendesk's ticket object carries no
 * solved time (it lives in Ticket Metrics), so `completedAt` stays null.
 */
export function mapTicket(ticket: ZendeskTicket, accountUrl: string): Ticket {
  const { status, statusRaw } = mapStatus(ticket.status);
  const { priority, priorityRaw } = mapPriority(ticket.priority);
  const creator = ticket.submitter_id ?? ticket.requester_id ?? null;
  return {
    remoteId: String(ticket.id),
    name: ticket.subject ?? null,
    description: ticket.description ?? null,
    status,
    statusRaw,
    priority,
    priorityRaw,
    ticketType: ticket.type ?? null,
    assigneeRemoteIds:
      ticket.assignee_id === null || ticket.assignee_id === undefined
        ? []
        : [String(ticket.assignee_id)],
    creatorRemoteId: creator === null ? null : String(creator),
    collectionRemoteIds:
      ticket.group_id === null || ticket.group_id === undefined
        ? []
        : [String(ticket.group_id)],
    tags: ticket.tags ?? [],
    dueDate: parseTime(ticket.due_at)?.toISOString().slice(0, 10) ?? null,
    completedAt: null,
    ticketUrl: `${accountUrl}/agent/tickets/${ticket.id}`,
    createdAt: parseTime(ticket.created_at),
    modifiedAt: parseTime(ticket.updated_at),
    embeddedUsers: [],
    remoteData: ticket,
  };
}

export function mapComment(
  comment: ZendeskComment,
  ticketRemoteId: string,
): TicketComment {
  const createdAt = parseTime(comment.created_at);
  return {
    remoteId: String(comment.id),
    ticketRemoteId,
    body: comment.plain_body ?? comment.body ?? null,
    authorRemoteId:
      comment.author_id === null || comment.author_id === undefined
        ? null
        : String(comment.author_id),
    createdAt,
    modifiedAt: createdAt,
    embeddedUsers: [],
    remoteData: comment,
  };
}
