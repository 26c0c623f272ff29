/**
 * The ticketing connector for Jira Cloud (REST API v3).
 *
 * Follows developer.atlassian.com, Jira Cloud platform REST API v3:
 * - "Basic auth for REST APIs": email + API token as HTTP Basic.
 * - Issue search | "Search for issues using JQL enhanced search"
 *   (`POST /rest/api/3/search/jql`): bounded JQL only, `maxResults`
 *   default 50 (fewer may come back when many fields are requested),
 *   `fields` default `id`, `nextPageToken` (absent on the last page) and
 *   `isLast`. The removed offset search (`/rest/api/3/search`) is not used.
 * - Issues | "Bulk fetch issues" (`POST /rest/api/3/issue/bulkfetch`, up to
 *   100 ids or keys per call; unknown ones reported in `issueErrors`).
 * - Issue comments | "Get comments" (`startAt`, `maxResults` default 100,
 *   `orderBy=created`) and "Get comments by IDs" (`POST
 *   /rest/api/3/comment/list`, up to 1000 ids, paginated).
 * - Users | "Bulk get users" (`GET /rest/api/3/user/bulk`, repeated
 *   `accountId`, paginated `PageBeanUser`, `maxResults` default 10) and
 *   Users | "Get all users" (`GET /rest/api/3/users/search`: active and
 *   inactive users as a bare array, `startAt`, `maxResults` limited to
 *   1000). Jira has no bulk email lookup, and JQL user clauses answer 400
 *   for an unknown user, so emails are resolved against the site's user
 *   directory, read once (1000 users per call) and cached, instead of one
 *   "Find users" search per email.
 * - Myself | "Get current user" (`timeZone`): JQL date literals are read in
 *   the calling user's time zone ("Advanced search reference - JQL fields",
 *   Created / Updated), so `modifiedAfter` is written in that zone.
 * - Projects | "Get projects paginated" (`GET /rest/api/3/project/search`,
 *   `id` up to 50, `expand=description`).
 * - "Rate limiting": 429 with `Retry-After` is retried by the shared client.
 *
 * Field selection: searches and bulk fetches name in `fields` only the
 * Jira fields of the `Ticket` fields the GraphQL query reads (the table in
 * mapping.ts, `issueFieldsFor`) and those the connector reads itself.
 */
import { z } from 'zod';

import { chunk, clampLimit, mapConcurrently } from '../../../../lib/batching';
import { ErrorCode, ProviderError } from '../../../../lib/errors';
import type { ProviderClient } from '../../../../lib/http';
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
  issueFieldsFor,
  jiraCommentSchema,
  jiraIssueSchema,
  jiraProjectSchema,
  jiraUserSchema,
  mapComment,
  mapIssue,
  mapProject,
  mapUser,
  statusCategoriesFor,
} from './mapping';

const PROVIDER = 'jira';

/** Page size we ask for: Jira caps lower when many fields are requested. */
const SEARCH_PAGE_MAX = 100;
/** "Bulk fetch issues": up to 100 issues per call. */
const BULK_FETCH_MAX = 100;
/** "Get comments": no documented maximum; we keep pages modest. */
const COMMENTS_PAGE_MAX = 100;
/** "Get comments by IDs": up to 1000 ids per call. */
const COMMENT_LIST_MAX_IDS = 1_000;
const COMMENT_LIST_PAGE = 100;
/**
 * "Bulk get users" documents no maximum of `accountId` values; 50 keeps the
 * query string far below URL length limits.
 */
const USER_BULK_CHUNK = 50;
/** "Get projects paginated": up to 50 `id` values. */
const PROJECT_IDS_MAX = 50;
const PROJECT_PAGE_MAX = 100;
/**
 * Account ids per `assignee in (…)` search. Pages of one search are
 * dependent round-trips (each needs the previous `nextPageToken`); separate
 * searches are not. At a few open issues per person, 25 assignees usually
 * fit one 100-issue page, so a join of 50 employees costs two searches sent
 * together rather than one search read page after page. Smaller chunks
 * would spend more calls on pages far from full.
 */
const ASSIGNEES_PER_SEARCH = 25;
/**
 * Assignee searches in flight at once: a join of 100 employees goes out in
 * one wave, and a bigger one never becomes a burst Jira's rate limit
 * answers with 429.
 */
const ASSIGNEE_SEARCH_CONCURRENCY = 4;
/** "Get all users": `maxResults` is limited to 1000. */
const USERS_PAGE_MAX = 1_000;
/** Directory pages read at most (100,000 users), a bound on a runaway. */
const MAX_DIRECTORY_PAGES = 100;
/**
 * Pages one assignee search follows before giving up: a bound so a runaway
 * result cannot hold a request forever (10,000 issues at 100 per page).
 */
const MAX_JOIN_PAGES = 100;

/**
 * Stable order for every search: newest first, the key breaking ties, so
 * pages never overlap and a listing followed to its end sees each issue
 * once.
 */
const ORDER_BY = 'ORDER BY created DESC, key DESC';

/**
 * A restriction that excludes nothing: the enhanced search refuses
 * unbounded JQL ("a query with a search restriction" is required).
 */
const MATCH_ALL = 'created >= "1970/01/01 00:00"';

/**
 * The Jira fields to fetch for the `Ticket` fields a caller selected
 * (absent: all) and those the connector or the caller reads itself: the
 * assignee join groups by `assignees`, and callers re-apply each filter
 * after fetching (`status`, `collections`, `modifiedAt`).
 */
function fieldsToFetch(
  selected: ReadonlySet<string> | undefined,
  needed: readonly string[],
): string[] {
  return issueFieldsFor(selected && new Set([...selected, ...needed]));
}

/** The `Ticket` fields re-applying `filters` after fetching reads. */
function filterFields(filters: TicketFilters): string[] {
  return [
    ...(filters.status ? ['status'] : []),
    ...(filters.collectionRemoteId ? ['collections'] : []),
    ...(filters.modifiedAfter ? ['modifiedAt'] : []),
  ];
}

/** One JQL search: the query and the issue fields to return. */
interface Search {
  jql: string;
  fields: readonly string[];
}

const credentialsSchema = z.object({
  email: z.string().min(1),
  apiToken: z.string().min(1),
  /** The site name; informational, the base URL already names the site. */
  site: z.string().optional(),
});

const searchResponseSchema = z.looseObject({
  issues: z.array(jiraIssueSchema).default([]),
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
});

const bulkFetchResponseSchema = z.looseObject({
  issues: z.array(jiraIssueSchema).default([]),
  issueErrors: z.array(z.unknown()).nullish(),
});

const bulkFetchCommentsSchema = z.looseObject({
  issues: z
    .array(
      z.looseObject({
        id: z.string(),
        fields: z
          .looseObject({
            comment: z
              .looseObject({
                comments: z.array(jiraCommentSchema).default([]),
                startAt: z.number().int().nonnegative().optional(),
                total: z.number().int().nonnegative().optional(),
              })
              .nullish(),
          })
          .optional(),
      }),
    )
    .default([]),
});

const pageOfCommentsSchema = z.looseObject({
  comments: z.array(jiraCommentSchema).default([]),
  startAt: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
});

function pageBeanSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    values: z.array(item).default([]),
    startAt: z.number().int().nonnegative().optional(),
    total: z.number().int().nonnegative().optional(),
    isLast: z.boolean().optional(),
  });
}

const pageBeanUserSchema = pageBeanSchema(jiraUserSchema);
const pageBeanCommentSchema = pageBeanSchema(jiraCommentSchema);
const pageBeanProjectSchema = pageBeanSchema(jiraProjectSchema);
const myselfSchema = z.looseObject({ timeZone: z.string().nullish() });

/** A JQL string literal (JQL escapes `"` and `\` with a backslash). */
export function jqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `instant` as a JQL date literal (`yyyy/MM/dd HH:mm`) in `timeZone`. */
export function jqlDateTime(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}/${parts.month}/${parts.day} ${parts.hour}:${parts.minute}`;
}

function offsetMinutes(instant: number, timeZone: string): string {
  return (
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(new Date(instant))
      .find((part) => part.type === 'timeZoneName')?.value ?? ''
  );
}

/**
 * The lower bound to write for "modified at or after `instant`". JQL has
 * minute precision and reads wall-clock times in the user's zone, so the
 * bound is rounded down (the caller filters exactly after fetching), moved
 * an hour earlier near a daylight-saving change (a repeated wall-clock hour
 * is ambiguous), and, when the zone is unknown, written in UTC fourteen
 * hours early (no zone is further ahead). Every choice errs wider.
 */
export function modifiedAfterLiteral(
  instant: Date,
  timeZone: string | null,
): string {
  const HOUR = 3_600_000;
  if (timeZone === null) {
    return jqlDateTime(new Date(instant.getTime() - 14 * HOUR), 'UTC');
  }
  const at = instant.getTime();
  const nearTransition =
    offsetMinutes(at - 3 * HOUR, timeZone) !==
    offsetMinutes(at + 3 * HOUR, timeZone);
  return jqlDateTime(new Date(nearTransition ? at - HOUR : at), timeZone);
}

/**
 * Jira Cloud as a ticketing connector: issues are tickets, projects are
 * collections (`PROJECT`), Atlassian accounts are users, remote ids are
 * Jira's numeric issue ids, account ids and project ids.
 */
export class JiraTicketingConnector implements TicketingConnector {
  readonly provider = PROVIDER;
  readonly capabilities: TicketingCapabilities = {
    bulkById: true,
    bulkByIdMax: BULK_FETCH_MAX,
    statusPushdown: 'coarse',
    collectionPushdown: true,
    modifiedAfterPushdown: true,
    ticketsByAssigneesPushdown: true,
    fieldSelection: true,
    writes: false,
  };

  private readonly client: ProviderClient;
  private readonly logger: Logger;
  private readonly siteUrl: string;
  private timeZone: Promise<string | null> | undefined;
  private directory: Promise<Map<string, TicketingUser>> | undefined;

  constructor(account: LinkedAccount, deps: ConnectorDeps) {
    const credentials = credentialsSchema.safeParse(account.credentials);
    if (!credentials.success) {
      // Missing fields cannot fix themselves: the account must be relinked.
      throw new ProviderError(
        'The linked jira account needs `email` and `apiToken` credentials.',
        { code: ErrorCode.RELINK_NEEDED, provider: PROVIDER },
      );
    }
    this.siteUrl = account.baseUrl.replace(/\/+$/, '');
    this.logger = deps.logger;
    this.client = deps.createClient({
      auth: {
        type: 'basic',
        username: credentials.data.email,
        password: credentials.data.apiToken,
      },
    });
  }

  /**
   * Tickets newest first (`created DESC, key DESC`). `collectionRemoteId`
   * is pushed down exactly (`project = …`); `status` coarsely, as status
   * categories; `modifiedAfter` at minute precision in the user's time
   * zone. Callers filter all three exactly after fetching. `limit` is
   * clamped to 100 (and raised to 100 with a status filter); `cursor` is
   * Jira's `nextPageToken`. `fields` asks only for the Jira fields the
   * selected `Ticket` fields and the filters need (`issueFieldsFor`).
   */
  async listTickets(args: TicketListArgs): Promise<Page<Ticket>> {
    const jql = await this.ticketJql(args);
    // A status is pushed down as categories only: ask for full pages, as
    // the caller drops part of each.
    const maxResults = args.status
      ? SEARCH_PAGE_MAX
      : clampLimit(args.limit, SEARCH_PAGE_MAX);
    return this.searchPage(
      { jql, fields: fieldsToFetch(args.fields, filterFields(args)) },
      args.cursor,
      maxResults,
    );
  }

  /**
   * Bulk fetch, 100 ids per call, asking only for the Jira fields of the
   * selected `fields`; key order, null for unknown ids.
   */
  async getTicketsByIds(
    remoteIds: readonly string[],
    selection: Pick<TicketListArgs, 'fields'> = {},
  ): Promise<(Ticket | null)[]> {
    const route = '/rest/api/3/issue/bulkfetch';
    const fields = fieldsToFetch(selection.fields, []);
    const found = new Map<string, Ticket>();
    const unique = [...new Set(remoteIds)];
    for (const ids of chunk(unique, BULK_FETCH_MAX)) {
      const body = await this.client.json<unknown>({
        method: 'POST',
        path: route,
        route,
        idempotent: true,
        body: { issueIdsOrKeys: ids, fields },
      });
      for (const issue of parseAnswer(
        PROVIDER,
        bulkFetchResponseSchema,
        body,
        route,
      ).issues) {
        found.set(issue.id, mapIssue(issue, this.siteUrl));
      }
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  /**
   * Resolves the emails to account ids (the user directory, see
   * `getUsersByEmails`), then runs one `assignee in (…)` search per 25
   * accounts, up to 4 at once, each followed to its last page. An issue has
   * one assignee, so each account's tickets come from one search, in its
   * order (`created DESC, key DESC`). `fields` as in `listTickets`, plus
   * the assignee the tickets are grouped by.
   */
  async getTicketsByAssigneeEmails(
    emails: readonly string[],
    filters: Pick<TicketListArgs, 'status' | 'fields'>,
  ): Promise<Ticket[][]> {
    const users = await this.getUsersByEmails(emails);
    const fields = fieldsToFetch(filters.fields, [
      'assignees',
      ...filterFields(filters),
    ]);
    const found = await mapConcurrently(
      chunk(foundUserIds(users), ASSIGNEES_PER_SEARCH),
      ASSIGNEE_SEARCH_CONCURRENCY,
      (ids) => {
        const clauses = [`assignee in (${ids.map(jqlString).join(', ')})`];
        if (filters.status) {
          clauses.push(this.statusClause(filters.status));
        }
        return this.searchToEnd({
          jql: `${clauses.join(' AND ')} ${ORDER_BY}`,
          fields,
        });
      },
    );
    const byAssignee = new Map<string, Ticket[]>();
    for (const ticket of found.flat()) {
      for (const assignee of ticket.assigneeRemoteIds) {
        const list = byAssignee.get(assignee) ?? [];
        list.push(ticket);
        byAssignee.set(assignee, list);
      }
    }
    return perEmail(users, byAssignee);
  }

  /**
   * The `comment` field of up to 100 issues per "Bulk fetch issues" call:
   * Jira embeds each issue's comments oldest first with their `total`, so
   * the next page, if any, starts at `startAt` = the embedded count.
   */
  async getFirstCommentPages(
    ticketRemoteIds: readonly string[],
  ): Promise<Page<TicketComment>[]> {
    const route = '/rest/api/3/issue/bulkfetch';
    const pages = new Map<string, Page<TicketComment>>();
    for (const ids of chunk([...new Set(ticketRemoteIds)], BULK_FETCH_MAX)) {
      const body = await this.client.json<unknown>({
        method: 'POST',
        path: route,
        route,
        idempotent: true,
        body: { issueIdsOrKeys: ids, fields: ['comment'] },
      });
      for (const issue of parseAnswer(
        PROVIDER,
        bulkFetchCommentsSchema,
        body,
        route,
      ).issues) {
        const embedded = issue.fields?.comment;
        const comments = embedded?.comments ?? [];
        const end = (embedded?.startAt ?? 0) + comments.length;
        pages.set(issue.id, {
          items: comments.map((comment) => mapComment(comment, issue.id)),
          nextCursor:
            comments.length > 0 && end < (embedded?.total ?? 0)
              ? String(end)
              : null,
        });
      }
    }
    return ticketRemoteIds.map(
      (id) => pages.get(id) ?? { items: [], nextCursor: null },
    );
  }

  /** Comments oldest first; `cursor` is Jira's `startAt`. */
  async listComments(
    ticketRemoteId: string,
    args: ListArgs,
  ): Promise<Page<TicketComment>> {
    const route = '/rest/api/3/issue/{issueIdOrKey}/comment';
    const startAt = args.cursor === null ? 0 : Number(args.cursor);
    const body = await this.client.json<unknown>({
      path: `/rest/api/3/issue/${encodeURIComponent(ticketRemoteId)}/comment`,
      route,
      query: {
        startAt,
        maxResults: clampLimit(args.limit, COMMENTS_PAGE_MAX),
        orderBy: 'created',
      },
    });
    const page = parseAnswer(PROVIDER, pageOfCommentsSchema, body, route);
    const end = page.startAt + page.comments.length;
    return {
      items: page.comments.map((comment) =>
        mapComment(comment, ticketRemoteId),
      ),
      nextCursor:
        page.comments.length > 0 && end < page.total ? String(end) : null,
    };
  }

  /** "Get comments by IDs", 1000 ids per call; key order, null if unknown. */
  async getCommentsByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketComment | null)[]> {
    const route = '/rest/api/3/comment/list';
    // Comment ids are integers; anything else cannot exist.
    const ids = [...new Set(remoteIds)].filter((id) => /^\d+$/.test(id));
    const found = new Map<string, TicketComment>();
    for (const idChunk of chunk(ids, COMMENT_LIST_MAX_IDS)) {
      let startAt = 0;
      for (;;) {
        const body = await this.client.json<unknown>({
          method: 'POST',
          path: route,
          route,
          idempotent: true,
          query: { startAt, maxResults: COMMENT_LIST_PAGE },
          body: { ids: idChunk.map(Number) },
        });
        const page = parseAnswer(PROVIDER, pageBeanCommentSchema, body, route);
        for (const comment of page.values) {
          found.set(comment.id, mapComment(comment, null));
        }
        startAt += page.values.length;
        if (page.isLast !== false || page.values.length === 0) {
          break;
        }
      }
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  /** "Bulk get users", 50 account ids per call; key order, null if unknown. */
  async getUsersByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketingUser | null)[]> {
    const route = '/rest/api/3/user/bulk';
    const found = new Map<string, TicketingUser>();
    for (const ids of chunk([...new Set(remoteIds)], USER_BULK_CHUNK)) {
      let startAt = 0;
      for (;;) {
        const body = await this.client.json<unknown>({
          path: route,
          route,
          query: { accountId: ids, startAt, maxResults: USER_BULK_CHUNK },
        });
        const page = parseAnswer(PROVIDER, pageBeanUserSchema, body, route);
        for (const user of page.values) {
          found.set(user.accountId, mapUser(user));
        }
        startAt += page.values.length;
        if (page.isLast !== false || page.values.length === 0) {
          break;
        }
      }
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  /**
   * Users by email, matched exactly and case-insensitively against
   * `emailAddress` in the site's user directory (see `userDirectory`): one
   * "Get all users" call per 1000 users, whatever the number of emails. A
   * person who hides their email address is not found; an inactive account
   * is (its tickets stay assigned to it), an active one winning when two
   * accounts share an address.
   */
  async getUsersByEmails(
    emails: readonly string[],
  ): Promise<(TicketingUser | null)[]> {
    if (emails.length === 0) {
      return [];
    }
    const directory = await this.userDirectory();
    return emails.map((email) => directory.get(email.toLowerCase()) ?? null);
  }

  /** Projects by key; `cursor` is Jira's `startAt`. */
  async listCollections(args: ListArgs): Promise<Page<TicketCollection>> {
    const route = '/rest/api/3/project/search';
    const startAt = args.cursor === null ? 0 : Number(args.cursor);
    const body = await this.client.json<unknown>({
      path: route,
      route,
      query: {
        startAt,
        maxResults: clampLimit(args.limit, PROJECT_PAGE_MAX),
        orderBy: 'key',
        expand: 'description',
      },
    });
    const page = parseAnswer(PROVIDER, pageBeanProjectSchema, body, route);
    const end = (page.startAt ?? startAt) + page.values.length;
    return {
      items: page.values.map(mapProject),
      nextCursor:
        page.isLast === false && page.values.length > 0 ? String(end) : null,
    };
  }

  /** Projects by id, 50 per call; key order, null if unknown. */
  async getCollectionsByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketCollection | null)[]> {
    const route = '/rest/api/3/project/search';
    const ids = [...new Set(remoteIds)].filter((id) => /^\d+$/.test(id));
    const found = new Map<string, TicketCollection>();
    for (const idChunk of chunk(ids, PROJECT_IDS_MAX)) {
      const body = await this.client.json<unknown>({
        path: route,
        route,
        query: {
          id: idChunk,
          maxResults: PROJECT_IDS_MAX,
          expand: 'description',
        },
      });
      for (const project of parseAnswer(
        PROVIDER,
        pageBeanProjectSchema,
        body,
        route,
      ).values) {
        found.set(project.id, mapProject(project));
      }
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  /**
   * Every issue `search` finds, its pages read one after the other (each
   * needs the previous `nextPageToken`) up to `MAX_JOIN_PAGES`.
   */
  private async searchToEnd(search: Search): Promise<Ticket[]> {
    const tickets: Ticket[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page<Ticket> = await this.searchPage(
        search,
        cursor,
        SEARCH_PAGE_MAX,
      );
      tickets.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < MAX_JOIN_PAGES);
    if (cursor !== null) {
      this.logger.warn(
        { provider: PROVIDER, pages, issues: tickets.length },
        'assignee join stopped at its page bound',
      );
    }
    return tickets;
  }

  private async searchPage(
    search: Search,
    cursor: string | null,
    maxResults: number,
  ): Promise<Page<Ticket>> {
    const route = '/rest/api/3/search/jql';
    // POST keeps long JQL (many assignees) out of the URL.
    const body = await this.client.json<unknown>({
      method: 'POST',
      path: route,
      route,
      idempotent: true,
      body: {
        jql: search.jql,
        fields: search.fields,
        maxResults,
        ...(cursor === null ? {} : { nextPageToken: cursor }),
      },
    });
    const page = parseAnswer(PROVIDER, searchResponseSchema, body, route);
    return {
      items: page.issues.map((issue) => mapIssue(issue, this.siteUrl)),
      nextCursor:
        page.isLast === true || !page.nextPageToken ? null : page.nextPageToken,
    };
  }

  /**
   * The site's users by lower-cased email, read once per connector (one
   * request) by "Get all users" pages of 1000 until a shorter page; the
   * shared client caches each page across requests.
   */
  private userDirectory(): Promise<Map<string, TicketingUser>> {
    this.directory ??= (async () => {
      const route = '/rest/api/3/users/search';
      const byEmail = new Map<
        string,
        { user: TicketingUser; active: boolean }
      >();
      let startAt = 0;
      let pages = 0;
      for (;;) {
        const body = await this.client.json<unknown>({
          path: route,
          route,
          query: { startAt, maxResults: USERS_PAGE_MAX },
        });
        const users = parseAnswer(
          PROVIDER,
          z.array(jiraUserSchema),
          body,
          route,
        );
        for (const user of users) {
          const email = user.emailAddress?.toLowerCase();
          const active = user.active !== false;
          if (email && (active || !byEmail.get(email)?.active)) {
            byEmail.set(email, { user: mapUser(user), active });
          }
        }
        startAt += users.length;
        pages += 1;
        if (users.length < USERS_PAGE_MAX) {
          break;
        }
        if (pages >= MAX_DIRECTORY_PAGES) {
          this.logger.warn(
            { provider: PROVIDER, pages },
            'user directory stopped at its page bound',
          );
          break;
        }
      }
      return new Map([...byEmail].map(([email, entry]) => [email, entry.user]));
    })().catch((error: unknown) => {
      // A failed read is retried by the next lookup, not remembered.
      this.directory = undefined;
      throw error;
    });
    return this.directory;
  }

  private statusClause(status: NonNullable<TicketFilters['status']>): string {
    const categories = statusCategoriesFor(status).map(jqlString);
    return `statusCategory in (${categories.join(', ')})`;
  }

  private async ticketJql(filters: TicketFilters): Promise<string> {
    const clauses: string[] = [];
    if (filters.collectionRemoteId) {
      const project = filters.collectionRemoteId;
      clauses.push(
        `project = ${/^\d+$/.test(project) ? project : jqlString(project)}`,
      );
    }
    if (filters.status) {
      clauses.push(this.statusClause(filters.status));
    }
    if (filters.modifiedAfter) {
      const timeZone = await this.userTimeZone();
      clauses.push(
        `updated >= ${jqlString(modifiedAfterLiteral(filters.modifiedAfter, timeZone))}`,
      );
    }
    return `${clauses.length > 0 ? clauses.join(' AND ') : MATCH_ALL} ${ORDER_BY}`;
  }

  /** The API token user's time zone, asked once per connector. */
  private userTimeZone(): Promise<string | null> {
    this.timeZone ??= (async () => {
      const route = '/rest/api/3/myself';
      const body = await this.client.json<unknown>({ path: route, route });
      const timeZone =
        parseAnswer(PROVIDER, myselfSchema, body, route).timeZone ?? null;
      if (timeZone === null) {
        this.logger.warn(
          { provider: PROVIDER },
          'jira user has no time zone; widening date filters',
        );
      }
      return timeZone;
    })().catch((error: unknown) => {
      // A failed lookup is retried by the next listing, not remembered.
      this.timeZone = undefined;
      throw error;
    });
    return this.timeZone;
  }
}
