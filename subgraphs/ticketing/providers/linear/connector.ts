/**
 * The ticketing connector for Linear (GraphQL API).
 *
 * Follows linear.app/developers:
 * - "GraphQL API": `POST /graphql` on `https://api.linear.app`.
 * - Authentication: a personal API key is sent as `Authorization: <key>`
 *   (no `Bearer`), an OAuth 2.0 access token as `Bearer <token>`.
 * - "Pagination": Relay connections with `first`/`after` (at most 250),
 *   `pageInfo { hasNextPage endCursor }`, followed while `hasNextPage`;
 *   ordered by `createdAt` by default.
 * - "Filtering": `IssueFilter` comparators (`in`, `eq`, `gte`) on `id`,
 *   `updatedAt`, `state.type`, `team.id`, `project.id`, `assignee.email`;
 *   `UserFilter` on `id` and `email`; combined with `and` / `or`.
 * - "Rate limiting": over a limit Linear answers with a GraphQL error whose
 *   `extensions.code` is `RATELIMITED` (HTTP 400, or 429), and
 *   `X-RateLimit-Requests-Reset` (UTC epoch ms) says when to try again;
 *   the shared client waits for it and retries. `AUTHENTICATION_ERROR` and
 *   `FORBIDDEN` mean the key or token no longer works: RELINK_NEEDED.
 *
 * Pushdown: `status` (exactly, as state types), `collectionRemoteId` (team
 * or project id), `modifiedAfter` (`updatedAt: { gte }`, UTC), tickets by
 * assignee email (`assignee: { email: { in } }`). Field selection: every
 * query's selection set names only the fields the mapping reads, and
 * listings, fetches by id and the assignee join leave out description,
 * creator, collections and labels when the GraphQL query does not read
 * them.
 */
import { z } from 'zod';

import { chunk, clampLimit } from '../../../../lib/batching';
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
import { parseAnswer } from '../helpers';
import {
  linearCommentSchema,
  linearIssueSchema,
  linearProjectSchema,
  linearTeamSchema,
  linearUserSchema,
  mapComment,
  mapIssue,
  mapProject,
  mapTeam,
  mapUser,
  stateTypesFor,
} from './mapping';

const PROVIDER = 'linear';

/** Linear's largest `first`. */
const PAGE_MAX = 250;
/** Ids or emails per `in` comparator, to bound query size and complexity. */
const KEYS_PER_QUERY = 100;
/** Issues per first-comments query: each costs a nested connection. */
const COMMENT_ISSUES_PER_QUERY = 20;
const FIRST_COMMENTS = 50;
/** Pages one assignee join follows before giving up (25,000 issues). */
const MAX_JOIN_PAGES = 100;

const credentialsSchema = z.union([
  z.object({ apiKey: z.string().min(1) }),
  z.object({ accessToken: z.string().min(1) }),
]);

const USER_FIELDS = 'id name displayName email active';
/**
 * Scalars and relations every issue selection carries: what the mapping
 * needs for ids, status, priority, dates, the assignee join and the
 * filters re-applied after fetching. Cheap: no connections, one user.
 */
const BASE_ISSUE_FIELDS = `
  id identifier title priority priorityLabel url dueDate completedAt
  canceledAt createdAt updatedAt
  state { name type }
  assignee { ${USER_FIELDS} }`;
/**
 * Selections fetched only when the GraphQL query reads the `Ticket` field
 * that needs them: long text, a second user, the collections, and the
 * labels connection (which costs Linear complexity per issue).
 */
const OPTIONAL_ISSUE_FIELDS: Record<string, string> = {
  description: 'description',
  creator: `creator { ${USER_FIELDS} }`,
  collections: 'team { id key name } project { id name }',
  tags: 'labels { nodes { name } }',
};
const ALL_ISSUE_FIELDS = [
  BASE_ISSUE_FIELDS,
  ...Object.values(OPTIONAL_ISSUE_FIELDS),
].join('\n  ');
const COMMENT_FIELDS = `id body createdAt updatedAt user { ${USER_FIELDS} } issue { id }`;
const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

/**
 * The selection set for `fields` (`Ticket` field names; absent: all) and
 * the `Ticket` fields the connector or its caller reads itself (`needed`:
 * the assignee a join groups by, the filters re-applied after fetching).
 * `remoteData` asks for the whole record as the connector knows it.
 */
export function issueSelection(
  fields?: ReadonlySet<string>,
  needed: readonly string[] = [],
): string {
  if (!fields || fields.has('remoteData')) {
    return ALL_ISSUE_FIELDS;
  }
  const read = new Set([...fields, ...needed]);
  return [
    BASE_ISSUE_FIELDS,
    ...Object.entries(OPTIONAL_ISSUE_FIELDS)
      .filter(([field]) => read.has(field))
      .map(([, selection]) => selection),
  ].join('\n  ');
}

function issuesQuery(selection: string): string {
  return `query TributaryIssues($first: Int!, $after: String, $filter: IssueFilter) {
  issues(first: $first, after: $after, filter: $filter) {
    nodes { ${selection} }
    ${PAGE_INFO}
  }
}`;
}
const USERS_QUERY = `query TributaryUsers($first: Int!, $filter: UserFilter) {
  users(first: $first, filter: $filter, includeDisabled: true) {
    nodes { ${USER_FIELDS} }
    ${PAGE_INFO}
  }
}`;
const FIRST_COMMENTS_QUERY = `query TributaryFirstComments($first: Int!, $ids: [ID!]) {
  issues(first: $first, filter: { id: { in: $ids } }) {
    nodes {
      id
      comments(first: ${FIRST_COMMENTS}) { nodes { ${COMMENT_FIELDS} } ${PAGE_INFO} }
    }
  }
}`;
const COMMENTS_QUERY = `query TributaryComments($id: ID!, $first: Int!, $after: String) {
  issues(first: 1, filter: { id: { eq: $id } }) {
    nodes { comments(first: $first, after: $after) { nodes { ${COMMENT_FIELDS} } ${PAGE_INFO} } }
  }
}`;
const COMMENTS_BY_ID_QUERY = `query TributaryCommentsById($first: Int!, $ids: [ID!]) {
  comments(first: $first, filter: { id: { in: $ids } }) { nodes { ${COMMENT_FIELDS} } }
}`;
const TEAMS_QUERY = `query TributaryTeams($first: Int!, $after: String) {
  teams(first: $first, after: $after) { nodes { id key name description } ${PAGE_INFO} }
}`;
const PROJECTS_QUERY = `query TributaryProjects($first: Int!, $after: String) {
  projects(first: $first, after: $after) { nodes { id name description } ${PAGE_INFO} }
}`;
const COLLECTIONS_BY_ID_QUERY = `query TributaryCollections($first: Int!, $ids: [ID!]) {
  teams(first: $first, filter: { id: { in: $ids } }) { nodes { id key name description } }
  projects(first: $first, filter: { id: { in: $ids } }) { nodes { id name description } }
}`;

const pageInfoSchema = z.looseObject({
  hasNextPage: z.boolean(),
  endCursor: z.string().nullish(),
});
function connectionSchema<T extends z.ZodType>(node: T) {
  return z.looseObject({ nodes: z.array(node), pageInfo: pageInfoSchema });
}
const graphqlErrorSchema = z.looseObject({
  message: z.string().optional(),
  extensions: z.looseObject({ code: z.string().optional() }).optional(),
});
const responseSchema = z.looseObject({
  data: z.unknown().optional(),
  errors: z.array(graphqlErrorSchema).optional(),
});

const issuesDataSchema = z.looseObject({
  issues: connectionSchema(linearIssueSchema),
});
const usersDataSchema = z.looseObject({
  users: connectionSchema(linearUserSchema),
});
const commentConnection = connectionSchema(linearCommentSchema);
const firstCommentsDataSchema = z.looseObject({
  issues: z.looseObject({
    nodes: z.array(
      z.looseObject({ id: z.string(), comments: commentConnection }),
    ),
  }),
});
const commentsDataSchema = z.looseObject({
  issues: z.looseObject({
    nodes: z.array(z.looseObject({ comments: commentConnection })),
  }),
});
const commentsByIdDataSchema = z.looseObject({
  comments: z.looseObject({ nodes: z.array(linearCommentSchema) }),
});
const teamsDataSchema = z.looseObject({
  teams: connectionSchema(linearTeamSchema),
});
const projectsDataSchema = z.looseObject({
  projects: connectionSchema(linearProjectSchema),
});
const collectionsDataSchema = z.looseObject({
  teams: z.looseObject({ nodes: z.array(linearTeamSchema) }),
  projects: z.looseObject({ nodes: z.array(linearProjectSchema) }),
});

/** Linear error codes that mean the credentials no longer work. */
const RELINK_CODES = new Set(['AUTHENTICATION_ERROR', 'FORBIDDEN']);

function errorCodes(body: unknown): string[] {
  const parsed = responseSchema.safeParse(body);
  return parsed.success
    ? (parsed.data.errors ?? []).flatMap((error) =>
        error.extensions?.code ? [error.extensions.code] : [],
      )
    : [];
}

/**
 * Linear's failures are GraphQL errors, mostly on HTTP 400: the
 * `extensions.code` says what happened, `X-RateLimit-Requests-Reset` when
 * a rate limit lifts.
 */
export function classifyLinearError(
  failure: ProviderFailure,
): ProviderFailureClass | undefined {
  const codes = errorCodes(failure.body);
  if (codes.includes('RATELIMITED') || failure.status === 429) {
    const reset = Number(failure.headers['x-ratelimit-requests-reset']);
    return {
      code: ErrorCode.UPSTREAM_RATE_LIMITED,
      ...(Number.isFinite(reset) && reset > 0
        ? { retryAfterMs: Math.max(0, reset - Date.now()) }
        : {}),
    };
  }
  if (codes.some((code) => RELINK_CODES.has(code))) {
    return { code: ErrorCode.RELINK_NEEDED };
  }
  return undefined;
}

type Filter = Record<string, unknown>;

/**
 * Linear as a ticketing connector: issues are tickets, teams and projects
 * collections, workspace members users; remote ids are Linear's UUIDs.
 */
export class LinearTicketingConnector implements TicketingConnector {
  readonly provider = PROVIDER;
  readonly capabilities: TicketingCapabilities = {
    bulkById: true,
    bulkByIdMax: KEYS_PER_QUERY,
    statusPushdown: 'exact',
    collectionPushdown: true,
    modifiedAfterPushdown: true,
    ticketsByAssigneesPushdown: true,
    fieldSelection: true,
    writes: false,
  };

  private readonly client: ProviderClient;
  private readonly logger: Logger;
  private readonly authorization: string;

  constructor(account: LinkedAccount, deps: ConnectorDeps) {
    const credentials = credentialsSchema.safeParse(account.credentials);
    if (!credentials.success) {
      throw new ProviderError(
        'The linked linear account needs an `apiKey` or `accessToken` credential.',
        { code: ErrorCode.RELINK_NEEDED, provider: PROVIDER },
      );
    }
    // Personal API keys go bare in Authorization; OAuth tokens as Bearer.
    this.authorization =
      'apiKey' in credentials.data
        ? credentials.data.apiKey
        : `Bearer ${credentials.data.accessToken}`;
    this.logger = deps.logger;
    this.client = deps.createClient({ auth: { type: 'none' } });
  }

  /**
   * Issues in Linear's default order (`createdAt`); `cursor` is Linear's
   * `endCursor`. Every filter is pushed down exactly; ON_HOLD matches no
   * Linear state type, so it answers an empty page without a call. The
   * selection set holds only what `fields` needs (see `issueSelection`).
   */
  async listTickets(args: TicketListArgs): Promise<Page<Ticket>> {
    const clauses: Filter[] = [];
    if (args.status) {
      const types = stateTypesFor(args.status);
      if (types.length === 0) {
        return { items: [], nextCursor: null };
      }
      clauses.push({ state: { type: { in: types } } });
    }
    if (args.collectionRemoteId) {
      const id = { id: { eq: args.collectionRemoteId } };
      clauses.push({ or: [{ team: id }, { project: id }] });
    }
    if (args.modifiedAfter) {
      clauses.push({
        updatedAt: { gte: args.modifiedAfter.toISOString() },
      });
    }
    // The collection filter is re-applied after fetching: it needs them.
    return this.issuesPage(
      clauses.length === 0 ? null : { and: clauses },
      args.cursor,
      clampLimit(args.limit, PAGE_MAX),
      issueSelection(
        args.fields,
        args.collectionRemoteId ? ['collections'] : [],
      ),
    );
  }

  /**
   * `issues(filter: { id: { in } })`, 100 ids per query, selecting only
   * what `fields` needs (see `issueSelection`).
   */
  async getTicketsByIds(
    remoteIds: readonly string[],
    selection: Pick<TicketListArgs, 'fields'> = {},
  ): Promise<(Ticket | null)[]> {
    const issueFields = issueSelection(selection.fields);
    const found = new Map<string, Ticket>();
    for (const ids of chunk([...new Set(remoteIds)], KEYS_PER_QUERY)) {
      const page = await this.issuesPage(
        { id: { in: ids } },
        null,
        KEYS_PER_QUERY,
        issueFields,
      );
      for (const ticket of page.items) {
        found.set(ticket.remoteId, ticket);
      }
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  /**
   * One `assignee: { email: { in } }` query per 100 emails, followed to its
   * last page, with the status pushed down as state types. Linear compares
   * emails exactly, so keys are lower-cased as Linear stores them. The
   * selection set holds what `fields` needs, the assignee the tickets are
   * grouped by and the status the caller re-applies.
   */
  async getTicketsByAssigneeEmails(
    emails: readonly string[],
    filters: Pick<TicketListArgs, 'status' | 'fields'>,
  ): Promise<Ticket[][]> {
    const issueFields = issueSelection(filters.fields, ['assignees', 'status']);
    const unique = [...new Set(emails.map((email) => email.toLowerCase()))];
    const byEmail = new Map<string, Ticket[]>();
    const types = filters.status ? stateTypesFor(filters.status) : null;
    if (types === null || types.length > 0) {
      for (const keys of chunk(unique, KEYS_PER_QUERY)) {
        const clauses: Filter[] = [{ assignee: { email: { in: keys } } }];
        if (types) {
          clauses.push({ state: { type: { in: types } } });
        }
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: Page<Ticket> = await this.issuesPage(
            { and: clauses },
            cursor,
            PAGE_MAX,
            issueFields,
          );
          for (const ticket of page.items) {
            const email = (
              ticket.remoteData as { assignee?: { email?: string } }
            ).assignee?.email?.toLowerCase();
            if (email) {
              byEmail.set(email, [...(byEmail.get(email) ?? []), ticket]);
            }
          }
          cursor = page.nextCursor;
          pages += 1;
        } while (cursor !== null && pages < MAX_JOIN_PAGES);
        if (cursor !== null) {
          this.logger.warn(
            { provider: PROVIDER, pages, assignees: keys.length },
            'assignee join stopped at its page bound',
          );
        }
      }
    }
    return emails.map((email) => byEmail.get(email.toLowerCase()) ?? []);
  }

  /** The first 50 comments of up to 20 issues per query, oldest first. */
  async getFirstCommentPages(
    ticketRemoteIds: readonly string[],
  ): Promise<Page<TicketComment>[]> {
    const pages = new Map<string, Page<TicketComment>>();
    for (const ids of chunk(
      [...new Set(ticketRemoteIds)],
      COMMENT_ISSUES_PER_QUERY,
    )) {
      const data = await this.query(
        FIRST_COMMENTS_QUERY,
        { first: ids.length, ids },
        firstCommentsDataSchema,
      );
      for (const issue of data.issues.nodes) {
        pages.set(issue.id, {
          items: issue.comments.nodes.map((comment) =>
            mapComment(comment, issue.id),
          ),
          nextCursor: nextCursor(issue.comments.pageInfo),
        });
      }
    }
    return ticketRemoteIds.map(
      (id) => pages.get(id) ?? { items: [], nextCursor: null },
    );
  }

  /** Comments of one issue, oldest first; `cursor` is Linear's `endCursor`. */
  async listComments(
    ticketRemoteId: string,
    args: ListArgs,
  ): Promise<Page<TicketComment>> {
    const data = await this.query(
      COMMENTS_QUERY,
      {
        id: ticketRemoteId,
        first: clampLimit(args.limit, PAGE_MAX),
        after: args.cursor,
      },
      commentsDataSchema,
    );
    const comments = data.issues.nodes[0]?.comments;
    return comments
      ? {
          items: comments.nodes.map((comment) =>
            mapComment(comment, ticketRemoteId),
          ),
          nextCursor: nextCursor(comments.pageInfo),
        }
      : { items: [], nextCursor: null };
  }

  /** `comments(filter: { id: { in } })`, 100 ids per query. */
  async getCommentsByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketComment | null)[]> {
    const found = new Map<string, TicketComment>();
    for (const ids of chunk([...new Set(remoteIds)], KEYS_PER_QUERY)) {
      const data = await this.query(
        COMMENTS_BY_ID_QUERY,
        { first: ids.length, ids },
        commentsByIdDataSchema,
      );
      for (const comment of data.comments.nodes) {
        found.set(comment.id, mapComment(comment, null));
      }
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  /** `users(filter: { id: { in } })`, disabled users included. */
  getUsersByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketingUser | null)[]> {
    return this.usersBy('id', remoteIds);
  }

  /** `users(filter: { email: { in } })`, lower-cased; key order. */
  getUsersByEmails(
    emails: readonly string[],
  ): Promise<(TicketingUser | null)[]> {
    return this.usersBy('email', emails);
  }

  /**
   * Teams, then projects. `cursor` is `team:<endCursor>` or
   * `project:<endCursor>` (empty: that listing's start).
   */
  async listCollections(args: ListArgs): Promise<Page<TicketCollection>> {
    const [kind, after] = splitCollectionCursor(args.cursor);
    const first = clampLimit(args.limit, PAGE_MAX);
    if (kind === 'team') {
      const data = await this.query(
        TEAMS_QUERY,
        { first, after },
        teamsDataSchema,
      );
      const next = nextCursor(data.teams.pageInfo);
      return {
        items: data.teams.nodes.map(mapTeam),
        nextCursor: next === null ? 'project:' : `team:${next}`,
      };
    }
    const data = await this.query(
      PROJECTS_QUERY,
      { first, after },
      projectsDataSchema,
    );
    const next = nextCursor(data.projects.pageInfo);
    return {
      items: data.projects.nodes.map(mapProject),
      nextCursor: next === null ? null : `project:${next}`,
    };
  }

  /** Teams and projects by id in one query per 100 ids. */
  async getCollectionsByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketCollection | null)[]> {
    const found = new Map<string, TicketCollection>();
    for (const ids of chunk([...new Set(remoteIds)], KEYS_PER_QUERY)) {
      const data = await this.query(
        COLLECTIONS_BY_ID_QUERY,
        { first: ids.length, ids },
        collectionsDataSchema,
      );
      for (const team of data.teams.nodes) {
        found.set(team.id, mapTeam(team));
      }
      for (const project of data.projects.nodes) {
        found.set(project.id, mapProject(project));
      }
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  private async usersBy(
    field: 'id' | 'email',
    keys: readonly string[],
  ): Promise<(TicketingUser | null)[]> {
    const normalize = (key: string) =>
      field === 'email' ? key.toLowerCase() : key;
    const found = new Map<string, TicketingUser>();
    for (const ids of chunk(
      [...new Set(keys.map(normalize))],
      KEYS_PER_QUERY,
    )) {
      const data = await this.query(
        USERS_QUERY,
        { first: ids.length, filter: { [field]: { in: ids } } },
        usersDataSchema,
      );
      for (const user of data.users.nodes) {
        const key = field === 'id' ? user.id : user.email?.toLowerCase();
        if (key) {
          found.set(key, mapUser(user));
        }
      }
    }
    return keys.map((key) => found.get(normalize(key)) ?? null);
  }

  private async issuesPage(
    filter: Filter | null,
    cursor: string | null,
    first: number,
    selection: string,
  ): Promise<Page<Ticket>> {
    const data = await this.query(
      issuesQuery(selection),
      { first, after: cursor, filter },
      issuesDataSchema,
    );
    return {
      items: data.issues.nodes.map(mapIssue),
      nextCursor: nextCursor(data.issues.pageInfo),
    };
  }

  /**
   * Sends one GraphQL operation. Errors on HTTP 200 (Linear answers partial
   * data that way) fail the call with the code their extension names.
   */
  private async query<T extends z.ZodType>(
    query: string,
    variables: Record<string, unknown>,
    dataSchema: T,
  ): Promise<z.infer<T>> {
    const route = '/graphql';
    const operation = /query (\w+)/.exec(query)?.[1] ?? 'unnamed';
    const body = await this.client.json<unknown>({
      method: 'POST',
      path: route,
      route: `${route} ${operation}`,
      // Queries only read: safe to retry.
      idempotent: true,
      headers: { authorization: this.authorization },
      body: { query, variables },
      classifyError: classifyLinearError,
    });
    const response = parseAnswer(PROVIDER, responseSchema, body, route);
    if (response.errors && response.errors.length > 0) {
      const codes = errorCodes(body);
      throw new ProviderError(
        `linear answered ${operation} with errors (${codes.join(', ') || 'no code'}).`,
        {
          code: codes.some((code) => RELINK_CODES.has(code))
            ? ErrorCode.RELINK_NEEDED
            : codes.includes('RATELIMITED')
              ? ErrorCode.UPSTREAM_RATE_LIMITED
              : ErrorCode.UPSTREAM_UNAVAILABLE,
          provider: PROVIDER,
        },
      );
    }
    return parseAnswer(PROVIDER, dataSchema, response.data, route);
  }
}

function nextCursor(pageInfo: z.infer<typeof pageInfoSchema>): string | null {
  return pageInfo.hasNextPage && pageInfo.endCursor ? pageInfo.endCursor : null;
}

function splitCollectionCursor(
  cursor: string | null,
): ['team' | 'project', string | null] {
  if (cursor === null) {
    return ['team', null];
  }
  const separator = cursor.indexOf(':');
  const kind = cursor.slice(0, separator);
  const after = cursor.slice(separator + 1) || null;
  return [kind === 'project' ? 'project' : 'team', after];
}
