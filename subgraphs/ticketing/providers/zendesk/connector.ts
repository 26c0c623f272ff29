/**
 * The ticketing connector for Zendesk Support (API v2).
 *
 * Follows developer.zendesk.com, Ticketing API reference and guides:
 * - "Security and authentication": API token as HTTP Basic,
 *   `{email}/token:{api_token}`.
 * - "Pagination" (cursor pagination, which Zendesk recommends): `page[size]`
 *   (at most 100), `page[after]`, followed while `meta.has_more` is true.
 * - Tickets | "List Tickets" (ordered by id), "Show Multiple Tickets"
 *   (`show_many?ids=`, up to 100), "List assigned tickets" per user.
 * - Users | "Show Many Users" (`show_many?ids=`, up to 100) and "Search
 *   Users" (`query=email:…`, one search per email: Zendesk has no bulk
 *   lookup by email).
 * - Ticket Comments | "List Comments" (oldest first). Zendesk has no way to
 *   read a comment without its ticket, so `getCommentsByIds` answers null.
 * - Groups | "List Groups", "Show Group" (no bulk endpoint).
 * - Incremental Exports | "Incremental Ticket Export, Cursor Based" for
 *   `modifiedAfter`: the documented way to read tickets changed since a
 *   time (`start_time` in Unix seconds, UTC; `per_page` up to 1000;
 *   `exclude_deleted=true`; `after_cursor` until `end_of_stream`). It
 *   compares with `generated_timestamp`, which moves with `updated_at` and
 *   sometimes without it, so it returns a superset the caller narrows. The
 *   Search API was not chosen: it is eventually consistent and stops at
 *   1000 results.
 * - "Rate limits": 429 with `Retry-After` is retried by the shared client;
 *   without `Retry-After`, `ratelimit-reset` (seconds) says how long.
 *
 * Pushdown: `modifiedAfter` (incremental export). Not pushed down, applied
 * by the resolvers after fetching: `status` and `collectionRemoteId`
 * (List Tickets has no filters; the Search API could, with the caveats
 * above). Field selection: none, Zendesk returns whole records.
 */
import { z } from 'zod';

import { chunk, clampLimit, mapConcurrently } from '../../../../lib/batching';
import { ErrorCode, ProviderError } from '../../../../lib/errors';
import type {
  ProviderClient,
  ProviderFailure,
  ProviderFailureClass,
} from '../../../../lib/http';
import type { Logger } from '../../../../lib/logger';
import type { Page } from '../../../../lib/pagination';
import type { LinkedAccount } from '../../../../lib/store/store';
import type { ConnectorDeps } from '../../../../lib/subgraph';
import type {
  ListArgs,
  TicketFilters,
  TicketListArgs,
  TicketingCapabilities,
  TicketingConnector,
} from '../../connector';
import type {
  Ticket,
  TicketCollection,
  TicketComment,
  TicketingUser,
} from '../../models';
import { foundUserIds, parseAnswer, perEmail } from '../helpers';
import {
  mapComment,
  mapGroup,
  mapTicket,
  mapUser,
  zendeskCommentSchema,
  zendeskGroupSchema,
  zendeskTicketSchema,
  zendeskUserSchema,
} from './mapping';

const PROVIDER = 'zendesk';

/** Cursor pagination: "most endpoints limit this to a maximum of 100". */
const PAGE_SIZE_MAX = 100;
/** "Show Multiple Tickets" / "Show Many Users": up to 100 ids. */
const SHOW_MANY_MAX = 100;
/** Incremental cursor export: up to 1000 per page. */
const INCREMENTAL_PER_PAGE_MAX = 1_000;
/** Concurrent calls where Zendesk has no bulk endpoint. */
const CONCURRENCY = 8;
/** Pages one user's assigned tickets are followed before giving up. */
const MAX_JOIN_PAGES = 100;
/**
 * The incremental export refuses a `start_time` within the last minute
 * (and never returns changes of that minute anyway).
 */
const INCREMENTAL_MIN_AGE_S = 61;

const credentialsSchema = z.object({
  email: z.string().min(1),
  apiToken: z.string().min(1),
  subdomain: z.string().optional(),
});

const cursorMetaSchema = z.looseObject({
  has_more: z.boolean(),
  after_cursor: z.string().nullish(),
});

const ticketPageSchema = z.looseObject({
  tickets: z.array(zendeskTicketSchema),
  meta: cursorMetaSchema,
});
const commentPageSchema = z.looseObject({
  comments: z.array(zendeskCommentSchema),
  meta: cursorMetaSchema,
});
const groupPageSchema = z.looseObject({
  groups: z.array(zendeskGroupSchema),
  meta: cursorMetaSchema,
});
const ticketsSchema = z.looseObject({ tickets: z.array(zendeskTicketSchema) });
const usersSchema = z.looseObject({ users: z.array(zendeskUserSchema) });
const groupSchema = z.looseObject({ group: zendeskGroupSchema });
const incrementalSchema = z.looseObject({
  tickets: z.array(zendeskTicketSchema),
  after_cursor: z.string().nullish(),
  end_of_stream: z.boolean(),
});

/**
 * A 429 without `Retry-After` still says when the window resets, in
 * `ratelimit-reset` (seconds).
 */
export function classifyZendeskError(
  failure: ProviderFailure,
): ProviderFailureClass | undefined {
  if (failure.status !== 429 || failure.headers['retry-after'] !== undefined) {
    return undefined;
  }
  const reset = Number(failure.headers['ratelimit-reset']);
  return {
    code: ErrorCode.UPSTREAM_RATE_LIMITED,
    ...(Number.isFinite(reset) && reset >= 0
      ? { retryAfterMs: reset * 1000 }
      : {}),
  };
}

/**
 * Zendesk Support as a ticketing connector: tickets, agents and end users
 * as users, groups as collections (`GROUP`); remote ids are Zendesk's
 * integer ids as strings.
 */
export class ZendeskTicketingConnector implements TicketingConnector {
  readonly provider = PROVIDER;
  readonly capabilities: TicketingCapabilities = {
    bulkById: true,
    bulkByIdMax: SHOW_MANY_MAX,
    statusPushdown: 'none',
    collectionPushdown: false,
    modifiedAfterPushdown: true,
    ticketsByAssigneesPushdown: false,
    fieldSelection: false,
    writes: false,
  };

  private readonly client: ProviderClient;
  private readonly logger: Logger;
  private readonly accountUrl: string;

  constructor(account: LinkedAccount, deps: ConnectorDeps) {
    const credentials = credentialsSchema.safeParse(account.credentials);
    if (!credentials.success) {
      throw new ProviderError(
        'The linked zendesk account needs `email` and `apiToken` credentials.',
        { code: ErrorCode.RELINK_NEEDED, provider: PROVIDER },
      );
    }
    this.accountUrl = account.baseUrl.replace(/\/+$/, '');
    this.logger = deps.logger;
    this.client = deps.createClient({
      auth: {
        type: 'basic',
        username: `${credentials.data.email}/token`,
        password: credentials.data.apiToken,
      },
    });
  }

  /**
   * Without `modifiedAfter`: "List Tickets", by id ascending, `cursor` is
   * Zendesk's `after_cursor`. With it: the incremental export, by
   * `generated_timestamp` ascending, `cursor` is its `after_cursor`. Asks
   * for full pages when a filter runs after fetching.
   */
  async listTickets(args: TicketListArgs): Promise<Page<Ticket>> {
    const filteredAfter = Boolean(args.status || args.collectionRemoteId);
    if (args.modifiedAfter) {
      return this.incrementalPage(args.modifiedAfter, args.cursor, args.limit);
    }
    const route = '/api/v2/tickets';
    const body = await this.get(route, route, {
      'page[size]': filteredAfter
        ? PAGE_SIZE_MAX
        : clampLimit(args.limit, PAGE_SIZE_MAX),
      'page[after]': args.cursor,
    });
    const page = parseAnswer(PROVIDER, ticketPageSchema, body, route);
    return {
      items: page.tickets.map((ticket) => mapTicket(ticket, this.accountUrl)),
      nextCursor: nextCursor(page.meta),
    };
  }

  /** "Show Multiple Tickets", 100 ids per call; key order, null if unknown. */
  async getTicketsByIds(
    remoteIds: readonly string[],
  ): Promise<(Ticket | null)[]> {
    const route = '/api/v2/tickets/show_many';
    const found = new Map<string, Ticket>();
    for (const ids of chunk(numericIds(remoteIds), SHOW_MANY_MAX)) {
      const body = await this.get(route, route, { ids: ids.join(',') });
      for (const ticket of parseAnswer(PROVIDER, ticketsSchema, body, route)
        .tickets) {
        found.set(String(ticket.id), mapTicket(ticket, this.accountUrl));
      }
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  /**
   * Users by email ("Search Users"), then each user's "List assigned
   * tickets" followed to its last page, 8 users at a time: Zendesk has no
   * query for many assignees at once outside the eventually consistent
   * Search API. The status filter is applied by the caller.
   */
  async getTicketsByAssigneeEmails(
    emails: readonly string[],
    _filters: Pick<TicketFilters, 'status'>,
  ): Promise<Ticket[][]> {
    const users = await this.getUsersByEmails(emails);
    const userIds = foundUserIds(users);
    const lists = await mapConcurrently(userIds, CONCURRENCY, (userId) =>
      this.assignedTickets(userId),
    );
    const byUser = new Map(userIds.map((id, index) => [id, lists[index]]));
    return perEmail(users, byUser);
  }

  /** One "List Comments" call per ticket, 8 at a time (no bulk endpoint). */
  async getFirstCommentPages(
    ticketRemoteIds: readonly string[],
  ): Promise<Page<TicketComment>[]> {
    const unique = [...new Set(ticketRemoteIds)];
    const pages = await mapConcurrently(unique, CONCURRENCY, (id) =>
      this.listComments(id, { cursor: null, limit: PAGE_SIZE_MAX }).catch(
        (error: unknown) => {
          // An unknown ticket has no comments; other failures propagate.
          if (error instanceof ProviderError && error.status === 404) {
            return { items: [], nextCursor: null };
          }
          throw error;
        },
      ),
    );
    const byId = new Map(unique.map((id, index) => [id, pages[index]]));
    return ticketRemoteIds.map(
      (id) => byId.get(id) ?? { items: [], nextCursor: null },
    );
  }

  /** Comments oldest first; `cursor` is Zendesk's `after_cursor`. */
  async listComments(
    ticketRemoteId: string,
    args: ListArgs,
  ): Promise<Page<TicketComment>> {
    if (!/^\d+$/.test(ticketRemoteId)) {
      return { items: [], nextCursor: null };
    }
    const body = await this.get(
      `/api/v2/tickets/${ticketRemoteId}/comments`,
      '/api/v2/tickets/{id}/comments',
      {
        'page[size]': clampLimit(args.limit, PAGE_SIZE_MAX),
        'page[after]': args.cursor,
      },
    );
    const page = parseAnswer(
      PROVIDER,
      commentPageSchema,
      body,
      '/api/v2/tickets/{id}/comments',
    );
    return {
      items: page.comments.map((comment) =>
        mapComment(comment, ticketRemoteId),
      ),
      nextCursor: nextCursor(page.meta),
    };
  }

  /**
   * Always null: Zendesk reads comments only through their ticket ("List
   * Comments"), and a comment id does not name its ticket.
   */
  getCommentsByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketComment | null)[]> {
    return Promise.resolve(remoteIds.map(() => null));
  }

  /** "Show Many Users", 100 ids per call; key order, null if unknown. */
  async getUsersByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketingUser | null)[]> {
    const route = '/api/v2/users/show_many';
    const found = new Map<string, TicketingUser>();
    for (const ids of chunk(numericIds(remoteIds), SHOW_MANY_MAX)) {
      const body = await this.get(route, route, { ids: ids.join(',') });
      for (const user of parseAnswer(PROVIDER, usersSchema, body, route)
        .users) {
        found.set(String(user.id), mapUser(user));
      }
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  /**
   * "Search Users" with `email:"…"` per distinct email, 8 at a time, keeping
   * only an exact (case-insensitive) match of the primary email.
   */
  async getUsersByEmails(
    emails: readonly string[],
  ): Promise<(TicketingUser | null)[]> {
    const route = '/api/v2/users/search';
    const unique = [...new Set(emails.map((email) => email.toLowerCase()))];
    const matches = await mapConcurrently(
      unique,
      CONCURRENCY,
      async (email) => {
        const body = await this.get(route, route, {
          query: `email:"${email.replace(/"/g, '')}"`,
        });
        const user = parseAnswer(PROVIDER, usersSchema, body, route).users.find(
          (candidate) => candidate.email?.toLowerCase() === email,
        );
        return user ? mapUser(user) : null;
      },
    );
    const byEmail = new Map(
      unique.map((email, index) => [email, matches[index]]),
    );
    return emails.map((email) => byEmail.get(email.toLowerCase()) ?? null);
  }

  /** "List Groups"; `cursor` is Zendesk's `after_cursor`. */
  async listCollections(args: ListArgs): Promise<Page<TicketCollection>> {
    const route = '/api/v2/groups';
    const body = await this.get(route, route, {
      'page[size]': clampLimit(args.limit, PAGE_SIZE_MAX),
      'page[after]': args.cursor,
    });
    const page = parseAnswer(PROVIDER, groupPageSchema, body, route);
    return {
      items: page.groups.map(mapGroup),
      nextCursor: nextCursor(page.meta),
    };
  }

  /** "Show Group" per distinct id, 8 at a time; null if unknown. */
  async getCollectionsByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketCollection | null)[]> {
    const route = '/api/v2/groups/{id}';
    const ids = numericIds(remoteIds);
    const groups = await mapConcurrently(ids, CONCURRENCY, async (id) => {
      try {
        const body = await this.get(`/api/v2/groups/${id}`, route, {});
        return mapGroup(parseAnswer(PROVIDER, groupSchema, body, route).group);
      } catch (error: unknown) {
        if (error instanceof ProviderError && error.status === 404) {
          return null;
        }
        throw error;
      }
    });
    const byId = new Map(ids.map((id, index) => [id, groups[index]]));
    return remoteIds.map((id) => byId.get(id) ?? null);
  }

  private async assignedTickets(userId: string): Promise<Ticket[]> {
    const route = '/api/v2/users/{id}/tickets/assigned';
    const tickets: Ticket[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const body = await this.get(
        `/api/v2/users/${userId}/tickets/assigned`,
        route,
        { 'page[size]': PAGE_SIZE_MAX, 'page[after]': cursor },
      );
      const page = parseAnswer(PROVIDER, ticketPageSchema, body, route);
      tickets.push(
        ...page.tickets.map((ticket) => mapTicket(ticket, this.accountUrl)),
      );
      cursor = nextCursor(page.meta);
      pages += 1;
    } while (cursor !== null && pages < MAX_JOIN_PAGES);
    if (cursor !== null) {
      this.logger.warn(
        { provider: PROVIDER, pages },
        'assigned tickets stopped at their page bound',
      );
    }
    return tickets;
  }

  private async incrementalPage(
    modifiedAfter: Date,
    cursor: string | null,
    limit: number,
  ): Promise<Page<Ticket>> {
    const route = '/api/v2/incremental/tickets/cursor';
    // Ten calls a minute for this endpoint: never ask for small pages.
    const perPage = Math.max(
      clampLimit(limit, INCREMENTAL_PER_PAGE_MAX),
      PAGE_SIZE_MAX,
    );
    const startTime = Math.min(
      Math.floor(modifiedAfter.getTime() / 1000),
      Math.floor(Date.now() / 1000) - INCREMENTAL_MIN_AGE_S,
    );
    const body = await this.get(route, route, {
      ...(cursor === null
        ? { start_time: Math.max(0, startTime) }
        : { cursor }),
      per_page: perPage,
      exclude_deleted: true,
    });
    const page = parseAnswer(PROVIDER, incrementalSchema, body, route);
    return {
      items: page.tickets.map((ticket) => mapTicket(ticket, this.accountUrl)),
      nextCursor:
        page.end_of_stream || !page.after_cursor ? null : page.after_cursor,
    };
  }

  private get(
    path: string,
    route: string,
    query: Record<string, string | number | boolean | null>,
  ): Promise<unknown> {
    return this.client.json<unknown>({
      path,
      route,
      query,
      classifyError: classifyZendeskError,
    });
  }
}

function nextCursor(meta: z.infer<typeof cursorMetaSchema>): string | null {
  return meta.has_more && meta.after_cursor ? meta.after_cursor : null;
}

/** Distinct ids Zendesk could know (integers); others are simply unknown. */
function numericIds(remoteIds: readonly string[]): string[] {
  return [...new Set(remoteIds)].filter((id) => /^\d+$/.test(id));
}
