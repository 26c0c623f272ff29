/**
 * A Zendesk Support API (v2) stand-in, rendered from the seed.
 *
 * Follows developer.zendesk.com, Ticketing API reference:
 * - "Security and authentication": API token as HTTP Basic,
 *   `{email_address}/token:{api_token}`; otherwise 401
 *   `{"error":"Couldn't authenticate you"}`.
 * - "Pagination" (cursor pagination): `page[size]` (at most 100 here, as
 *   for most endpoints), `page[after]`; answers carry
 *   `meta { has_more, after_cursor, before_cursor }` and
 *   `links { next, prev }`.
 * - Tickets | "List Tickets" (`GET /api/v2/tickets`, ordered by id), "Show
 *   Multiple Tickets" (`GET /api/v2/tickets/show_many?ids=1,2`, up to 100),
 *   Ticket Comments | "List Comments" (`GET /api/v2/tickets/{id}/comments`,
 *   oldest first), "List assigned tickets"
 *   (`GET /api/v2/users/{user_id}/tickets/assigned`).
 * - Users | "Show Many Users" (`GET /api/v2/users/show_many?ids=`, up to
 *   100) and "Search Users" (`GET /api/v2/users/search?query=`, offset
 *   pagination, `email:` matches the primary email exactly).
 * - Groups | "List Groups" (`GET /api/v2/groups`), "Show Group".
 * - Incremental Exports | "Incremental Ticket Export, Cursor Based"
 *   (`GET /api/v2/incremental/tickets/cursor?start_time=` then `cursor=`;
 *   `per_page` up to 1000; `after_cursor`, `after_url`, `end_of_stream`;
 *   a `start_time` within the last minute is refused with 400).
 * - "Rate limits": every answer carries `x-rate-limit`,
 *   `x-rate-limit-remaining` and the `ratelimit-limit`, `ratelimit-remaining`,
 *   `ratelimit-reset` headers; over the limit, 429 with `Retry-After`.
 * - Errors: `{"error": "...", "description": "..."}`.
 *
 * Each organization is a Zendesk account served under `/<key>`, standing in
 * for `https://<subdomain>.zendesk.com`. Agents are the seed's employees;
 * tickets are the seed's issues; groups are its projects. Ids are Zendesk
 * style integers derived from the seed's, so they are stable across runs.
 */
import express from 'express';
import type { Request, Response } from 'express';

import type {
  SeedComment,
  SeedEmployee,
  SeedIssue,
  SeedOrganization,
  SeedProject,
} from '../seed';
import { SEED_NOW } from '../seed';
import { sandboxCredentials } from '../types';
import type { SandboxProviderOptions } from '../types';

const PROVIDER = 'zendesk';
const PAGE_SIZE_MAX = 100;
const SHOW_MANY_MAX = 100;
const SEARCH_PER_PAGE = 100;
const INCREMENTAL_PER_PAGE_MAX = 1_000;
const RATE_LIMIT = 700;

/** Agent user id of an employee. */
export function zendeskUserId(employeeId: string): number {
  return 360_000_000 + Number(employeeId);
}

/** Ticket id of a seeded issue: Zendesk numbers tickets from 1. */
export function zendeskTicketId(issueId: string): number {
  return Number(issueId) - 19_999;
}

/** Group id of a seeded project. */
export function zendeskGroupId(projectId: string): number {
  return 114_000_000 + Number(projectId);
}

function zendeskCommentId(commentId: string): number {
  return 9_000_000_000 + Number(commentId);
}

/** Zendesk prints date-times in UTC without milliseconds. */
function zendeskTime(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const STATUS_CLOSED_AFTER_MS = 28 * 86_400_000;

/** The seed's workflow status as a Zendesk ticket status. */
function ticketStatus(issue: SeedIssue): string {
  switch (issue.status) {
    case 'To Do':
      return 'new';
    case 'In Progress':
      return 'open';
    case 'Blocked':
      return 'hold';
    case 'In Review':
      return 'pending';
    case 'Done':
      // Solved tickets close automatically after some days.
      return SEED_NOW - Date.parse(issue.modifiedAt) > STATUS_CLOSED_AFTER_MS
        ? 'closed'
        : 'solved';
  }
}

/** Zendesk has four priorities and "none" (null). */
const PRIORITIES: Record<SeedIssue['priority'], string | null> = {
  Highest: 'urgent',
  High: 'high',
  Medium: 'normal',
  Low: 'low',
  Lowest: null,
};

const TYPES: Record<SeedIssue['issueType'], string> = {
  Bug: 'problem',
  Task: 'task',
  Story: 'question',
};

interface Account {
  key: string;
  data: SeedOrganization;
  tickets: SeedIssue[];
  ticketsById: Map<number, SeedIssue>;
  employeesById: Map<number, SeedEmployee>;
  employeesByEmail: Map<string, SeedEmployee>;
  groups: SeedProject[];
  groupsById: Map<number, SeedProject>;
  commentsByTicket: Map<number, SeedComment[]>;
}

function indexAccount(key: string, data: SeedOrganization): Account {
  const commentsByTicket = new Map<number, SeedComment[]>();
  for (const comment of [...data.comments].sort(
    (a, b) =>
      Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
      Number(a.id) - Number(b.id),
  )) {
    const id = zendeskTicketId(comment.issueId);
    commentsByTicket.set(id, [...(commentsByTicket.get(id) ?? []), comment]);
  }
  const tickets = [...data.issues].sort(
    (a, b) => zendeskTicketId(a.id) - zendeskTicketId(b.id),
  );
  return {
    key,
    data,
    tickets,
    ticketsById: new Map(tickets.map((t) => [zendeskTicketId(t.id), t])),
    employeesById: new Map(data.employees.map((e) => [zendeskUserId(e.id), e])),
    employeesByEmail: new Map(
      data.employees.map((e) => [e.workEmail.toLowerCase(), e]),
    ),
    groups: [...data.projects].sort(
      (a, b) => zendeskGroupId(a.id) - zendeskGroupId(b.id),
    ),
    groupsById: new Map(data.projects.map((p) => [zendeskGroupId(p.id), p])),
    commentsByTicket,
  };
}

interface Ctx {
  account: Account;
  /** `http://host/zendesk/<key>`, standing in for the account's URL. */
  base: string;
}

function userIdOf(ctx: Ctx, email: string): number | null {
  const employee = ctx.account.employeesByEmail.get(email.toLowerCase());
  return employee ? zendeskUserId(employee.id) : null;
}

function renderTicket(ctx: Ctx, issue: SeedIssue): Record<string, unknown> {
  const id = zendeskTicketId(issue.id);
  const type = TYPES[issue.issueType];
  const requesterId = userIdOf(ctx, issue.reporterEmail);
  const updatedAt = zendeskTime(issue.modifiedAt);
  return {
    url: `${ctx.base}/api/v2/tickets/${id}.json`,
    id,
    external_id: null,
    via: { channel: 'web', source: { from: {}, to: {}, rel: null } },
    created_at: zendeskTime(issue.createdAt),
    updated_at: updatedAt,
    generated_timestamp: Math.floor(Date.parse(issue.modifiedAt) / 1000),
    type,
    subject: issue.summary,
    raw_subject: issue.summary,
    description: issue.description,
    priority: PRIORITIES[issue.priority],
    status: ticketStatus(issue),
    recipient: null,
    requester_id: requesterId,
    submitter_id: requesterId,
    assignee_id: userIdOf(ctx, issue.assigneeEmail),
    organization_id: null,
    group_id: zendeskGroupId(issue.projectId),
    collaborator_ids: [],
    follower_ids: [],
    email_cc_ids: [],
    forum_topic_id: null,
    problem_id: null,
    has_incidents: false,
    is_public: true,
    // Zendesk keeps a due date on tasks only.
    due_at:
      type === 'task' && issue.dueDate ? `${issue.dueDate}T00:00:00Z` : null,
    tags: issue.labels,
    custom_fields: [],
    satisfaction_rating: null,
    sharing_agreement_ids: [],
    custom_status_id: null,
    fields: [],
    followup_ids: [],
    brand_id: 360_000_001,
    allow_channelback: false,
    allow_attachments: true,
    from_messaging_channel: false,
  };
}

function renderUser(ctx: Ctx, employee: SeedEmployee): Record<string, unknown> {
  const id = zendeskUserId(employee.id);
  return {
    id,
    url: `${ctx.base}/api/v2/users/${id}.json`,
    name: `${employee.preferredName ?? employee.firstName} ${employee.lastName}`,
    email: employee.workEmail,
    created_at: zendeskTime(employee.createdAt),
    updated_at: zendeskTime(employee.modifiedAt),
    time_zone: 'UTC',
    iana_time_zone: 'Etc/UTC',
    phone: null,
    shared_phone_number: null,
    photo: null,
    locale_id: 1,
    locale: 'en-US',
    organization_id: null,
    role: 'agent',
    verified: true,
    external_id: null,
    tags: [],
    alias: '',
    // `active: false` means deleted in Zendesk; leavers are suspended.
    active: true,
    shared: false,
    shared_agent: false,
    last_login_at: null,
    two_factor_auth_enabled: null,
    signature: null,
    details: '',
    notes: '',
    role_type: null,
    custom_role_id: null,
    moderator: false,
    ticket_restriction: null,
    only_private_comments: false,
    restricted_agent: false,
    suspended: employee.status !== 'Active',
    default_group_id: null,
    report_csv: false,
    user_fields: {},
  };
}

function renderComment(ctx: Ctx, comment: SeedComment): unknown {
  return {
    id: zendeskCommentId(comment.id),
    type: 'Comment',
    author_id: userIdOf(ctx, comment.authorEmail),
    body: comment.body,
    html_body: `<div class="zd-comment"><p>${comment.body}</p></div>`,
    plain_body: comment.body,
    public: true,
    attachments: [],
    audit_id: zendeskCommentId(comment.id) + 1,
    via: { channel: 'web', source: { from: {}, to: {}, rel: null } },
    created_at: zendeskTime(comment.createdAt),
    metadata: { system: {}, custom: {} },
  };
}

function renderGroup(ctx: Ctx, project: SeedProject): unknown {
  const id = zendeskGroupId(project.id);
  return {
    url: `${ctx.base}/api/v2/groups/${id}.json`,
    id,
    name: project.name,
    description: project.description,
    default: false,
    deleted: false,
    is_public: true,
    created_at: '2024-01-15T09:00:00Z',
    updated_at: '2024-01-15T09:00:00Z',
  };
}

class ZendeskError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString(
    'base64url',
  );
}

function decodeCursor(cursor: string): number {
  try {
    const state = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as { o?: unknown };
    if (typeof state.o === 'number' && Number.isInteger(state.o)) {
      return state.o;
    }
  } catch {
    // Falls through to the error below.
  }
  throw new ZendeskError(400, 'InvalidPaginationParameter', 'Invalid cursor');
}

/** `page[size]` and `page[after]`, however the query string was parsed. */
function pageParams(req: Request): { size: number; after: string | null } {
  const query = req.query as Record<string, unknown>;
  const nested = (query.page ?? {}) as Record<string, unknown>;
  const rawSize = query['page[size]'] ?? nested.size;
  const rawAfter = query['page[after]'] ?? nested.after;
  const size = rawSize === undefined ? PAGE_SIZE_MAX : Number(rawSize);
  if (!Number.isInteger(size) || size < 1 || size > PAGE_SIZE_MAX) {
    throw new ZendeskError(
      400,
      'InvalidPaginationParameter',
      `page[size] must be an integer from 1 to ${PAGE_SIZE_MAX}`,
    );
  }
  return { size, after: typeof rawAfter === 'string' ? rawAfter : null };
}

/** A cursor-paginated answer: `{ [name]: [...], meta, links }`. */
function cursorPage<T>(
  req: Request,
  ctx: Ctx,
  name: string,
  items: readonly T[],
  render: (item: T) => unknown,
): Record<string, unknown> {
  const { size, after } = pageParams(req);
  const start = after === null ? 0 : decodeCursor(after);
  const slice = items.slice(start, start + size);
  const end = start + slice.length;
  const hasMore = end < items.length;
  const path = `${ctx.base}${req.path}`;
  const link = (param: string, cursor: string) =>
    `${path}?page%5Bsize%5D=${size}&page%5B${param}%5D=${cursor}`;
  const afterCursor = encodeCursor(end);
  const beforeCursor = encodeCursor(Math.max(0, start - size));
  return {
    [name]: slice.map(render),
    meta: {
      has_more: hasMore,
      after_cursor: slice.length > 0 ? afterCursor : null,
      before_cursor: slice.length > 0 ? beforeCursor : null,
    },
    links: {
      next: hasMore ? link('after', afterCursor) : null,
      prev: start > 0 ? link('before', beforeCursor) : null,
    },
  };
}

function idsParam(req: Request, name: string): number[] {
  const raw = req.query[name];
  const text = Array.isArray(raw) ? raw.join(',') : String(raw ?? '');
  const ids = text
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (ids.length === 0) {
    throw new ZendeskError(400, 'InvalidValue', `${name} is required`);
  }
  if (ids.length > SHOW_MANY_MAX) {
    throw new ZendeskError(
      400,
      'TooManyValues',
      `You can pass up to ${SHOW_MANY_MAX} ${name}`,
    );
  }
  return ids.map(Number);
}

/**
 * Answers the next `count` requests of any account with 429, so tests can
 * see a connector wait and retry. Shared by the sandbox's accounts.
 */
export class ZendeskThrottle {
  remaining = 0;
  /** Seconds sent in `Retry-After`. */
  retryAfterSeconds = 1;
}

/** The Zendesk sandbox router; mount it at `/zendesk`. */
export function createZendeskSandbox(
  options: SandboxProviderOptions & { throttle?: ZendeskThrottle },
): express.Router {
  const accounts = new Map(
    options.organizations.map((organization) => [
      organization.key,
      indexAccount(organization.key, organization.data),
    ]),
  );
  const throttle = options.throttle ?? new ZendeskThrottle();
  const router = express.Router();
  const accountRouter = express.Router();
  let used = 0;

  router.use((req, res, next) => {
    options.recorder.record({
      provider: PROVIDER,
      method: req.method,
      path: req.path,
      query: { ...req.query },
      body: undefined,
      at: Date.now(),
    });
    used = (used + 1) % RATE_LIMIT;
    const remaining = String(RATE_LIMIT - used);
    res.set({
      'x-rate-limit': String(RATE_LIMIT),
      'x-rate-limit-remaining': remaining,
      'ratelimit-limit': String(RATE_LIMIT),
      'ratelimit-remaining': remaining,
      'ratelimit-reset': String(60 - new Date().getUTCSeconds()),
    });
    next();
  });

  router.use(
    '/:key',
    (req, res, next) => {
      const account = accounts.get(String(req.params.key));
      const expected = account
        ? sandboxCredentials.zendesk(account.key)
        : undefined;
      const header = req.get('authorization') ?? '';
      const decoded = header.startsWith('Basic ')
        ? Buffer.from(header.slice(6), 'base64').toString('utf8')
        : '';
      if (
        !account ||
        !expected ||
        decoded !== `${expected.email}/token:${expected.apiToken}`
      ) {
        res.status(401).json({ error: "Couldn't authenticate you" });
        return;
      }
      if (throttle.remaining > 0) {
        throttle.remaining -= 1;
        res
          .status(429)
          .set('retry-after', String(throttle.retryAfterSeconds))
          .json({
            error: 'APIRateLimitExceeded',
            description: 'Number of allowed API requests per minute exceeded',
          });
        return;
      }
      res.locals.ctx = {
        account,
        base: `${req.protocol}://${req.get('host')}${req.baseUrl}`,
      } satisfies Ctx;
      next();
    },
    accountRouter,
  );

  const handle =
    (handler: (req: Request, res: Response, ctx: Ctx) => void) =>
    (req: Request, res: Response): void => {
      try {
        handler(req, res, res.locals.ctx as Ctx);
      } catch (error: unknown) {
        if (error instanceof ZendeskError) {
          res
            .status(error.status)
            .json({ error: error.error, description: error.description });
          return;
        }
        throw error;
      }
    };

  /** Zendesk accepts every path with or without `.json`. */
  const paths = (path: string) => [path, `${path}.json`];

  /** The record, or Zendesk's 404 answer. */
  const found = <T>(record: T | undefined): T => {
    if (record === undefined) {
      throw new ZendeskError(404, 'RecordNotFound', 'Not found');
    }
    return record;
  };

  accountRouter.get(
    paths('/api/v2/tickets'),
    handle((req, res, ctx) => {
      res.json(
        cursorPage(req, ctx, 'tickets', ctx.account.tickets, (issue) =>
          renderTicket(ctx, issue),
        ),
      );
    }),
  );

  accountRouter.get(
    paths('/api/v2/tickets/show_many'),
    handle((req, res, ctx) => {
      const tickets = idsParam(req, 'ids')
        .map((id) => ctx.account.ticketsById.get(id))
        .filter((issue): issue is SeedIssue => issue !== undefined)
        .map((issue) => renderTicket(ctx, issue));
      res.json({ tickets, next_page: null, previous_page: null });
    }),
  );

  accountRouter.get(
    paths('/api/v2/tickets/:id/comments'),
    handle((req, res, ctx) => {
      const id = Number(req.params.id);
      found(ctx.account.ticketsById.get(id));
      res.json(
        cursorPage(
          req,
          ctx,
          'comments',
          ctx.account.commentsByTicket.get(id) ?? [],
          (comment) => renderComment(ctx, comment),
        ),
      );
    }),
  );

  accountRouter.get(
    paths('/api/v2/users/show_many'),
    handle((req, res, ctx) => {
      const users = idsParam(req, 'ids')
        .map((id) => ctx.account.employeesById.get(id))
        .filter((employee): employee is SeedEmployee => employee !== undefined)
        .map((employee) => renderUser(ctx, employee));
      res.json({ users, next_page: null, previous_page: null });
    }),
  );

  accountRouter.get(
    paths('/api/v2/users/search'),
    handle((req, res, ctx) => {
      const query = typeof req.query.query === 'string' ? req.query.query : '';
      if (query.trim() === '') {
        throw new ZendeskError(400, 'InvalidValue', 'query is required');
      }
      const email = /^email:"?([^"\s]+)"?$/i.exec(query.trim())?.[1];
      const needle = query.trim().toLowerCase();
      const matches = ctx.account.data.employees.filter((employee) =>
        email !== undefined
          ? employee.workEmail.toLowerCase() === email.toLowerCase()
          : employee.workEmail.toLowerCase().includes(needle) ||
            `${employee.firstName} ${employee.lastName}`
              .toLowerCase()
              .includes(needle),
      );
      const page = Number(req.query.page ?? 1);
      const start = (page - 1) * SEARCH_PER_PAGE;
      const slice = matches.slice(start, start + SEARCH_PER_PAGE);
      res.json({
        users: slice.map((employee) => renderUser(ctx, employee)),
        next_page:
          start + slice.length < matches.length
            ? `${ctx.base}/api/v2/users/search.json?page=${page + 1}`
            : null,
        previous_page: null,
        count: matches.length,
      });
    }),
  );

  accountRouter.get(
    paths('/api/v2/users/:id/tickets/assigned'),
    handle((req, res, ctx) => {
      const employee = found(
        ctx.account.employeesById.get(Number(req.params.id)),
      );
      const email = employee.workEmail.toLowerCase();
      const tickets = ctx.account.tickets.filter(
        (issue) => issue.assigneeEmail.toLowerCase() === email,
      );
      res.json(
        cursorPage(req, ctx, 'tickets', tickets, (issue) =>
          renderTicket(ctx, issue),
        ),
      );
    }),
  );

  accountRouter.get(
    paths('/api/v2/groups'),
    handle((req, res, ctx) => {
      res.json(
        cursorPage(req, ctx, 'groups', ctx.account.groups, (project) =>
          renderGroup(ctx, project),
        ),
      );
    }),
  );

  accountRouter.get(
    paths('/api/v2/groups/:id'),
    handle((req, res, ctx) => {
      const project = found(ctx.account.groupsById.get(Number(req.params.id)));
      res.json({ group: renderGroup(ctx, project) });
    }),
  );

  accountRouter.get(
    paths('/api/v2/incremental/tickets/cursor'),
    handle((req, res, ctx) => {
      const perPage = Math.min(
        Number(req.query.per_page ?? INCREMENTAL_PER_PAGE_MAX),
        INCREMENTAL_PER_PAGE_MAX,
      );
      let startTime: number;
      let offset = 0;
      if (typeof req.query.cursor === 'string') {
        const [time, position] = Buffer.from(req.query.cursor, 'base64url')
          .toString('utf8')
          .split(':')
          .map(Number);
        if (!Number.isInteger(time) || !Number.isInteger(position)) {
          throw new ZendeskError(400, 'InvalidValue', 'Invalid cursor');
        }
        startTime = time as number;
        offset = position as number;
      } else {
        startTime = Number(req.query.start_time);
        if (!Number.isInteger(startTime) || startTime < 0) {
          throw new ZendeskError(
            400,
            'InvalidValue',
            'start_time is required and must be a Unix epoch time in seconds',
          );
        }
        if (startTime > Date.now() / 1000 - 60) {
          throw new ZendeskError(
            400,
            'InvalidValue',
            'Too recent start_time. Use a start_time older than 1 minute',
          );
        }
      }
      // Ordered by generated_timestamp (updated_at here), then id.
      const matches = ctx.account.tickets
        .filter((issue) => Date.parse(issue.modifiedAt) / 1000 >= startTime)
        .sort(
          (a, b) =>
            Date.parse(a.modifiedAt) - Date.parse(b.modifiedAt) ||
            zendeskTicketId(a.id) - zendeskTicketId(b.id),
        );
      const slice = matches.slice(offset, offset + perPage);
      const end = offset + slice.length;
      const afterCursor = Buffer.from(`${startTime}:${end}`, 'utf8').toString(
        'base64url',
      );
      const path = `${ctx.base}/api/v2/incremental/tickets/cursor.json`;
      res.json({
        tickets: slice.map((issue) => renderTicket(ctx, issue)),
        after_url: `${path}?cursor=${afterCursor}`,
        after_cursor: afterCursor,
        before_url: null,
        before_cursor: null,
        end_of_stream: end >= matches.length,
      });
    }),
  );

  accountRouter.use((_req, res) => {
    res.status(404).json({
      error: 'InvalidEndpoint',
      description: 'Not found',
    });
  });

  return router;
}
