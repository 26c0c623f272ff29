/**
 * A Jira Cloud platform REST API v3 stand-in, rendered from the seed.
 *
 * Follows these developer.atlassian.com pages (Jira Cloud platform, REST v3):
 * - Issue search | "Search for issues using JQL enhanced search" (`GET` and
 *   `POST /rest/api/3/search/jql`): `jql` must be bounded ("a query with a
 *   search restriction"; `order by key desc` alone is refused), `maxResults`
 *   default 50 (at most 5000, fewer when many fields are asked for),
 *   `fields` default `id`, `nextPageToken` absent on the last page, `isLast`.
 *   The old `/rest/api/3/search` (startAt/total) is removed: 410 here.
 * - Issues | "Bulk fetch issues" (`POST /rest/api/3/issue/bulkfetch`): up to
 *   100 `issueIdsOrKeys`, issues in ascending id order, `issueErrors` for the
 *   ones that cannot be fetched.
 * - Issue comments | "Get comments" (`GET /rest/api/3/issue/{issueIdOrKey}/
 *   comment`: `startAt`, `maxResults` default 100, `orderBy` `created` /
 *   `-created`; `PageOfComments` { comments, startAt, maxResults, total }) and
 *   "Get comments by IDs" (`POST /rest/api/3/comment/list`, `PageBeanComment`).
 * - Users | "Bulk get users" (`GET /rest/api/3/user/bulk?accountId=…`:
 *   `startAt`, `maxResults` default 10, `PageBeanUser`), User search | "Find
 *   users" (`GET /rest/api/3/user/search?query=`: prefix match on
 *   `displayName` and `emailAddress`, active users only, a bare array,
 *   `maxResults` default 50), "Get all users" (`GET /rest/api/3/users/search`:
 *   active and inactive users, a bare array, `startAt`, `maxResults` default
 *   50 and at most 1000), Myself | "Get current user" (`timeZone`).
 * - Projects | "Get projects paginated" (`GET /rest/api/3/project/search`:
 *   `startAt`, `maxResults` default 50, `id` (up to 50), `orderBy` default
 *   `key`, `expand=description`; `PageBeanProject`).
 * - Error bodies are Jira's `ErrorCollection` ({ errorMessages, errors });
 *   a request without valid Basic credentials (email + API token) gets 401
 *   with the plain-text body Jira Cloud sends.
 *
 * Each organization is a Jira site, served under `/<key>/rest/api/3/...`.
 * Jira users are the seed's employees; their account ids are derived from
 * employee ids in a fixed format, and `emailAddress` is the work email (real
 * sites may hide it under profile visibility settings). Date-times are
 * rendered in the calling user's time zone, as Jira does, and JQL dates are
 * read in that zone too, so clients must convert explicitly. Rate limiting
 * (429 with `Retry-After` and `X-RateLimit-*`) is not simulated.
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
import { sandboxCredentials } from '../types';
import type { SandboxProviderOptions } from '../types';

const PROVIDER = 'jira';

const SEARCH_DEFAULT_MAX_RESULTS = 50;
/** Documented ceiling when only `id`/`key` are requested. */
const SEARCH_MAX_RESULTS_IDS_ONLY = 5_000;
/**
 * Jira "may return fewer items per page where a large number of fields are
 * requested"; the sandbox does so above 100 to keep clients honest.
 */
const SEARCH_MAX_RESULTS_WITH_FIELDS = 100;
const BULK_FETCH_MAX = 100;
const COMMENTS_DEFAULT_MAX_RESULTS = 100;
const COMMENTS_MAX_RESULTS = 5_000;
const COMMENT_LIST_DEFAULT_MAX_RESULTS = 50;
const COMMENT_LIST_MAX_IDS = 1_000;
const USER_BULK_DEFAULT_MAX_RESULTS = 10;
/** "Get all users": `maxResults` default 50, limited to 1000. */
const USERS_SEARCH_DEFAULT_MAX_RESULTS = 50;
const USERS_SEARCH_MAX_RESULTS = 1_000;
const USER_SEARCH_DEFAULT_MAX_RESULTS = 50;
const PAGE_MAX_RESULTS = 100;
const PROJECT_SEARCH_DEFAULT_MAX_RESULTS = 50;
const PROJECT_SEARCH_MAX_IDS = 50;

/** The time zone of the API token's user; JQL dates are read in it. */
export const JIRA_SANDBOX_TIME_ZONE = 'America/New_York';

/**
 * Account ids look like real Atlassian ones (`712020:` + a UUID) and are
 * derived from the employee id, so they are stable across runs.
 */
export function jiraAccountId(employeeId: string): string {
  return `712020:00000000-0000-4000-8000-${employeeId.padStart(12, '0')}`;
}

const BOT_ACCOUNT_ID = '712020:00000000-0000-4000-8000-00000000b07b';

type StatusCategoryKey = 'new' | 'indeterminate' | 'done';

const STATUS_CATEGORIES: Record<
  StatusCategoryKey,
  { id: number; name: string; colorName: string }
> = {
  new: { id: 2, name: 'To Do', colorName: 'blue-gray' },
  indeterminate: { id: 4, name: 'In Progress', colorName: 'yellow' },
  done: { id: 3, name: 'Done', colorName: 'green' },
};

const STATUSES: Record<
  SeedIssue['status'],
  { id: string; category: StatusCategoryKey }
> = {
  'To Do': { id: '10000', category: 'new' },
  'In Progress': { id: '3', category: 'indeterminate' },
  Blocked: { id: '10002', category: 'indeterminate' },
  'In Review': { id: '10003', category: 'indeterminate' },
  Done: { id: '10001', category: 'done' },
};

const PRIORITIES: Record<SeedIssue['priority'], string> = {
  Highest: '1',
  High: '2',
  Medium: '3',
  Low: '4',
  Lowest: '5',
};

const ISSUE_TYPES: Record<SeedIssue['issueType'], string> = {
  Task: '10001',
  Story: '10002',
  Bug: '10004',
};

// ---------------------------------------------------------------------------
// Time: Jira renders `2026-10-01T08:00:00.000-0400`, in the user's zone.

/**
 * Formatters are costly to build, and the seeded instants repeat: keep one
 * formatter per zone and one offset per zone and quarter hour.
 */
const zoneFormatters = new Map<string, Intl.DateTimeFormat>();
const zoneOffsets = new Map<string, number>();

function zoneOffsetMinutes(ms: number, timeZone: string): number {
  // Offsets only change at instants on a quarter-hour boundary of UTC (every
  // zone's offset is a whole number of quarter hours), so one lookup per
  // zone and quarter hour is exact.
  const key = `${timeZone}:${Math.floor(ms / 900_000)}`;
  const known = zoneOffsets.get(key);
  if (known !== undefined) {
    return known;
  }
  let formatter = zoneFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      timeZoneName: 'longOffset',
    });
    zoneFormatters.set(timeZone, formatter);
  }
  const name = formatter
    .formatToParts(new Date(ms))
    .find((part) => part.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  const minutes = match ? Number(match[2]) * 60 + Number(match[3]) : 0;
  const offset = match?.[1] === '-' ? -minutes : minutes;
  zoneOffsets.set(key, offset);
  return offset;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** An ISO instant as Jira prints it in `timeZone`. */
export function jiraDateTime(iso: string, timeZone: string): string {
  const ms = Date.parse(iso);
  const offset = zoneOffsetMinutes(ms, timeZone);
  const local = new Date(ms + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-` +
    `${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:` +
    `${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.` +
    `${pad(local.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

/** A wall-clock time in `timeZone` as epoch milliseconds. */
function wallTimeToMs(
  parts: [number, number, number, number, number],
  timeZone: string,
): number {
  const [year, month, day, hour, minute] = parts;
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  let ms = guess - zoneOffsetMinutes(guess, timeZone) * 60_000;
  ms = guess - zoneOffsetMinutes(ms, timeZone) * 60_000;
  return ms;
}

// ---------------------------------------------------------------------------
// Errors, as Jira's ErrorCollection.

class JqlError extends Error {}

function sendErrors(
  res: Response,
  status: number,
  errorMessages: string[],
): void {
  res.status(status).json({ errorMessages, errors: {} });
}

// ---------------------------------------------------------------------------
// One site: the seed organization, indexed.

interface Site {
  key: string;
  data: SeedOrganization;
  employeesByEmail: Map<string, SeedEmployee>;
  employeesByAccountId: Map<string, SeedEmployee>;
  projectsById: Map<string, SeedProject>;
  projectsByKey: Map<string, SeedProject>;
  issuesById: Map<string, SeedIssue>;
  issuesByKey: Map<string, SeedIssue>;
  commentsByIssueId: Map<string, SeedComment[]>;
  commentsById: Map<string, SeedComment>;
}

function indexSite(key: string, data: SeedOrganization): Site {
  const commentsByIssueId = new Map<string, SeedComment[]>();
  for (const comment of data.comments) {
    const list = commentsByIssueId.get(comment.issueId) ?? [];
    list.push(comment);
    commentsByIssueId.set(comment.issueId, list);
  }
  return {
    key,
    data,
    employeesByEmail: new Map(
      data.employees.map((employee) => [
        employee.workEmail.toLowerCase(),
        employee,
      ]),
    ),
    employeesByAccountId: new Map(
      data.employees.map((employee) => [jiraAccountId(employee.id), employee]),
    ),
    projectsById: new Map(
      data.projects.map((project) => [project.id, project]),
    ),
    projectsByKey: new Map(
      data.projects.map((project) => [project.key, project]),
    ),
    issuesById: new Map(data.issues.map((issue) => [issue.id, issue])),
    issuesByKey: new Map(data.issues.map((issue) => [issue.key, issue])),
    commentsByIssueId,
    commentsById: new Map(
      data.comments.map((comment) => [comment.id, comment]),
    ),
  };
}

/** What a handler needs to render payloads for the calling site. */
interface Ctx {
  site: Site;
  /** `http://host/jira/<site>`: the site's base URL, as in `self` links. */
  base: string;
}

function paragraphDoc(text: string): unknown {
  return {
    type: 'doc',
    version: 1,
    content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
  };
}

function avatarUrls(accountId: string): Record<string, string> {
  const initials = accountId.slice(-4);
  return Object.fromEntries(
    [16, 24, 32, 48].map((size) => [
      `${size}x${size}`,
      `https://avatar-management--avatars.example/initials/${initials}.png?size=${size}`,
    ]),
  );
}

function renderUser(ctx: Ctx, employee: SeedEmployee): unknown {
  const accountId = jiraAccountId(employee.id);
  return {
    self: `${ctx.base}/rest/api/3/user?accountId=${accountId}`,
    accountId,
    accountType: 'atlassian',
    emailAddress: employee.workEmail,
    avatarUrls: avatarUrls(accountId),
    displayName: `${employee.preferredName ?? employee.firstName} ${employee.lastName}`,
    active: employee.status === 'Active',
    timeZone: 'UTC',
    locale: 'en_US',
  };
}

function userByEmail(ctx: Ctx, email: string): unknown {
  const employee = ctx.site.employeesByEmail.get(email.toLowerCase());
  return employee ? renderUser(ctx, employee) : null;
}

function renderProject(
  ctx: Ctx,
  project: SeedProject,
  withDescription: boolean,
): Record<string, unknown> {
  return {
    self: `${ctx.base}/rest/api/3/project/${project.id}`,
    id: project.id,
    key: project.key,
    name: project.name,
    ...(withDescription ? { description: project.description } : {}),
    avatarUrls: Object.fromEntries(
      [16, 24, 32, 48].map((size) => [
        `${size}x${size}`,
        `${ctx.base}/secure/projectavatar?size=${size}&pid=${project.id}`,
      ]),
    ),
    projectTypeKey: 'software',
    simplified: false,
    style: 'classic',
    isPrivate: false,
  };
}

function sortedComments(site: Site, issueId: string): SeedComment[] {
  return [...(site.commentsByIssueId.get(issueId) ?? [])].sort(
    (a, b) =>
      Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
      Number(a.id) - Number(b.id),
  );
}

function renderComment(ctx: Ctx, comment: SeedComment): unknown {
  const author = userByEmail(ctx, comment.authorEmail);
  return {
    self: `${ctx.base}/rest/api/3/issue/${comment.issueId}/comment/${comment.id}`,
    id: comment.id,
    author,
    body: paragraphDoc(comment.body),
    updateAuthor: author,
    created: jiraDateTime(comment.createdAt, JIRA_SANDBOX_TIME_ZONE),
    updated: jiraDateTime(comment.modifiedAt, JIRA_SANDBOX_TIME_ZONE),
    jsdPublic: true,
  };
}

/** Every field the sandbox can render, by Jira field id. */
function renderField(ctx: Ctx, issue: SeedIssue, field: string): unknown {
  const tz = JIRA_SANDBOX_TIME_ZONE;
  switch (field) {
    case 'summary':
      return issue.summary;
    case 'description':
      return paragraphDoc(issue.description);
    case 'status': {
      const status = STATUSES[issue.status];
      const category = STATUS_CATEGORIES[status.category];
      return {
        self: `${ctx.base}/rest/api/3/status/${status.id}`,
        description: '',
        iconUrl: `${ctx.base}/images/icons/statuses/generic.png`,
        name: issue.status,
        id: status.id,
        statusCategory: {
          self: `${ctx.base}/rest/api/3/statuscategory/${category.id}`,
          id: category.id,
          key: status.category,
          colorName: category.colorName,
          name: category.name,
        },
      };
    }
    case 'priority':
      return {
        self: `${ctx.base}/rest/api/3/priority/${PRIORITIES[issue.priority]}`,
        iconUrl: `${ctx.base}/images/icons/priorities/${issue.priority.toLowerCase()}.svg`,
        name: issue.priority,
        id: PRIORITIES[issue.priority],
      };
    case 'issuetype':
      return {
        self: `${ctx.base}/rest/api/3/issuetype/${ISSUE_TYPES[issue.issueType]}`,
        id: ISSUE_TYPES[issue.issueType],
        description: '',
        iconUrl: `${ctx.base}/images/icons/issuetypes/${issue.issueType.toLowerCase()}.png`,
        name: issue.issueType,
        subtask: false,
        hierarchyLevel: 0,
      };
    case 'assignee':
      return userByEmail(ctx, issue.assigneeEmail);
    case 'reporter':
    case 'creator':
      return userByEmail(ctx, issue.reporterEmail);
    case 'project': {
      const project = ctx.site.projectsById.get(issue.projectId);
      return project ? renderProject(ctx, project, false) : null;
    }
    case 'duedate':
      return issue.dueDate;
    case 'resolutiondate':
      return issue.resolutionDate
        ? jiraDateTime(issue.resolutionDate, tz)
        : null;
    case 'resolution':
      return issue.resolutionDate
        ? {
            self: `${ctx.base}/rest/api/3/resolution/10000`,
            id: '10000',
            name: 'Done',
          }
        : null;
    case 'created':
      return jiraDateTime(issue.createdAt, tz);
    case 'updated':
      return jiraDateTime(issue.modifiedAt, tz);
    case 'labels':
      return issue.labels;
    case 'comment': {
      // Oldest first, as "Get comments" orders them by default.
      const comments = sortedComments(ctx.site, issue.id);
      return {
        comments: comments.map((comment) => renderComment(ctx, comment)),
        self: `${ctx.base}/rest/api/3/issue/${issue.id}/comment`,
        maxResults: comments.length,
        total: comments.length,
        startAt: 0,
      };
    }
    default:
      return undefined;
  }
}

const ALL_FIELDS = [
  'summary',
  'description',
  'status',
  'priority',
  'issuetype',
  'assignee',
  'reporter',
  'creator',
  'project',
  'duedate',
  'resolutiondate',
  'resolution',
  'created',
  'updated',
  'labels',
  'comment',
];

/**
 * Resolves a `fields` request (`*all`, `*navigable`, `-name` exclusions,
 * plain names) to the field ids to render. `null` means ids only.
 */
function resolveFields(requested: string[], fallback: 'id' | 'navigable') {
  const names = requested
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (names.length === 0) {
    return fallback === 'id' ? null : ALL_FIELDS;
  }
  const included = new Set<string>();
  const excluded = new Set<string>();
  for (const name of names) {
    if (name === '*all' || name === '*navigable') {
      ALL_FIELDS.forEach((field) => included.add(field));
    } else if (name.startsWith('-')) {
      excluded.add(name.slice(1));
    } else if (name !== 'id' && name !== 'key') {
      included.add(name);
    }
  }
  if (included.size === 0 && excluded.size > 0) {
    ALL_FIELDS.forEach((field) => included.add(field));
  }
  return [...included].filter((field) => !excluded.has(field));
}

function renderIssue(
  ctx: Ctx,
  issue: SeedIssue,
  fields: string[] | null,
): unknown {
  const rendered: Record<string, unknown> = {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog',
    id: issue.id,
    self: `${ctx.base}/rest/api/3/issue/${issue.id}`,
    key: issue.key,
  };
  if (fields !== null) {
    const values: Record<string, unknown> = {};
    for (const field of fields) {
      const value = renderField(ctx, issue, field);
      if (value !== undefined) {
        values[field] = value;
      }
    }
    rendered.fields = values;
  }
  return rendered;
}

// ---------------------------------------------------------------------------
// JQL: the subset clients of this sandbox use, parsed strictly. Clauses are
// joined by AND; anything else is refused the way Jira refuses bad JQL.

type Token =
  | { kind: 'word'; value: string }
  | { kind: 'string'; value: string }
  | { kind: 'op'; value: string }
  | { kind: 'punct'; value: '(' | ')' | ',' };

function tokenize(jql: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < jql.length) {
    const char = jql.charAt(index);
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '"' || char === "'") {
      let value = '';
      index += 1;
      while (index < jql.length && jql[index] !== char) {
        if (jql[index] === '\\' && index + 1 < jql.length) {
          index += 1;
        }
        value += jql[index];
        index += 1;
      }
      if (index >= jql.length) {
        throw new JqlError(
          'Error in the JQL Query: The quoted string has not been completed.',
        );
      }
      index += 1;
      tokens.push({ kind: 'string', value });
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: 'punct', value: char });
      index += 1;
    } else if ('=!<>~'.includes(char)) {
      const two = jql.slice(index, index + 2);
      const op = ['>=', '<=', '!=', '!~'].includes(two) ? two : char;
      tokens.push({ kind: 'op', value: op });
      index += op.length;
    } else {
      const value = /^[^\s"'(),=!<>~]+/.exec(jql.slice(index))?.[0] ?? char;
      tokens.push({ kind: 'word', value });
      index += value.length;
    }
  }
  return tokens;
}

interface Clause {
  field: string;
  operator: '=' | '!=' | 'in' | 'not in' | '>=' | '>' | '<=' | '<';
  values: string[];
}

interface OrderBy {
  field: string;
  descending: boolean;
}

interface ParsedJql {
  clauses: Clause[];
  orderBy: OrderBy[];
}

const FIELD_ALIASES: Record<string, string> = {
  project: 'project',
  statuscategory: 'statusCategory',
  status: 'status',
  assignee: 'assignee',
  reporter: 'reporter',
  creator: 'creator',
  created: 'created',
  createddate: 'created',
  updated: 'updated',
  updateddate: 'updated',
  key: 'key',
  issuekey: 'key',
  id: 'key',
  issue: 'key',
  labels: 'labels',
};

function parseJql(jql: string): ParsedJql {
  const tokens = tokenize(jql);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const isWord = (token: Token | undefined, word: string): boolean =>
    token?.kind === 'word' && token.value.toLowerCase() === word;
  const expectValue = (): string => {
    const token = tokens[position];
    if (token?.kind !== 'word' && token?.kind !== 'string') {
      throw new JqlError(
        'Error in the JQL Query: Expecting either a value, list or function.',
      );
    }
    position += 1;
    return token.value;
  };

  const clauses: Clause[] = [];
  const orderBy: OrderBy[] = [];
  while (position < tokens.length) {
    if (isWord(peek(), 'order')) {
      position += 1;
      if (!isWord(peek(), 'by')) {
        throw new JqlError("Error in the JQL Query: Expecting 'by'.");
      }
      position += 1;
      for (;;) {
        const field = expectValue();
        const canonical = FIELD_ALIASES[field.toLowerCase()];
        if (!canonical) {
          throw new JqlError(
            `Field '${field}' does not exist or you do not have permission to view it.`,
          );
        }
        let descending = false;
        if (isWord(peek(), 'desc') || isWord(peek(), 'asc')) {
          descending = isWord(peek(), 'desc');
          position += 1;
        }
        orderBy.push({ field: canonical, descending });
        if (peek()?.kind === 'punct' && peek()?.value === ',') {
          position += 1;
          continue;
        }
        break;
      }
      if (position < tokens.length) {
        throw new JqlError(
          'Error in the JQL Query: Expecting end of query after ORDER BY.',
        );
      }
      break;
    }
    if (clauses.length > 0) {
      if (isWord(peek(), 'or')) {
        throw new JqlError(
          'The Jira sandbox supports clauses joined by AND only.',
        );
      }
      if (!isWord(peek(), 'and')) {
        throw new JqlError(
          "Error in the JQL Query: Expecting operator 'AND' or 'ORDER BY'.",
        );
      }
      position += 1;
    }
    const fieldName = expectValue();
    const field = FIELD_ALIASES[fieldName.toLowerCase()];
    if (!field) {
      throw new JqlError(
        `Field '${fieldName}' does not exist or you do not have permission to view it.`,
      );
    }
    const token = peek();
    let operator: Clause['operator'];
    if (token?.kind === 'op') {
      if (!['=', '!=', '>=', '>', '<=', '<'].includes(token.value)) {
        throw new JqlError(
          `The operator '${token.value}' is not supported by the '${fieldName}' field.`,
        );
      }
      operator = token.value as Clause['operator'];
      position += 1;
    } else if (isWord(token, 'in')) {
      operator = 'in';
      position += 1;
    } else if (isWord(token, 'not') && isWord(tokens[position + 1], 'in')) {
      operator = 'not in';
      position += 2;
    } else {
      throw new JqlError(
        `Error in the JQL Query: Expecting operator after '${fieldName}'.`,
      );
    }
    const values: string[] = [];
    if (operator === 'in' || operator === 'not in') {
      if (peek()?.kind !== 'punct' || peek()?.value !== '(') {
        throw new JqlError("Error in the JQL Query: Expecting '('.");
      }
      position += 1;
      for (;;) {
        values.push(expectValue());
        const next = peek();
        if (next?.kind === 'punct' && next.value === ',') {
          position += 1;
        } else if (next?.kind === 'punct' && next.value === ')') {
          position += 1;
          break;
        } else {
          throw new JqlError("Error in the JQL Query: Expecting ')'.");
        }
      }
    } else {
      values.push(expectValue());
    }
    clauses.push({ field, operator, values });
  }
  return { clauses, orderBy };
}

/** A JQL date value read in the user's time zone, as Jira reads it. */
function jqlDate(value: string): number {
  const match =
    /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(
      value.trim(),
    );
  if (!match) {
    throw new JqlError(
      `Date value '${value}' for field is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'.`,
    );
  }
  return wallTimeToMs(
    [
      Number(match[1]),
      Number(match[2]),
      Number(match[3]),
      Number(match[4] ?? 0),
      Number(match[5] ?? 0),
    ],
    JIRA_SANDBOX_TIME_ZONE,
  );
}

function statusCategoryOf(issue: SeedIssue): StatusCategoryKey {
  return STATUSES[issue.status].category;
}

/** Whether `value` names the category: by name, key or id, as JQL allows. */
function namesCategory(value: string, key: StatusCategoryKey): boolean {
  const category = STATUS_CATEGORIES[key];
  const normalized = value.trim().toLowerCase();
  return (
    normalized === key ||
    normalized === category.name.toLowerCase() ||
    normalized === String(category.id)
  );
}

function compileClause(
  site: Site,
  clause: Clause,
): (issue: SeedIssue) => boolean {
  const negate = clause.operator === '!=' || clause.operator === 'not in';
  const test = (predicate: (issue: SeedIssue) => boolean) =>
    negate ? (issue: SeedIssue) => !predicate(issue) : predicate;
  const accountIdOf = (email: string): string | undefined => {
    const employee = site.employeesByEmail.get(email.toLowerCase());
    return employee ? jiraAccountId(employee.id) : undefined;
  };
  const ordered = ['>=', '>', '<=', '<'].includes(clause.operator);

  switch (clause.field) {
    case 'project': {
      if (ordered) break;
      const ids = new Set<string>();
      for (const value of clause.values) {
        const project =
          site.projectsById.get(value) ?? site.projectsByKey.get(value);
        if (!project) {
          throw new JqlError(
            `The value '${value}' does not exist for the field 'project'.`,
          );
        }
        ids.add(project.id);
      }
      return test((issue) => ids.has(issue.projectId));
    }
    case 'statusCategory': {
      if (ordered) break;
      const keys = clause.values.map((value) => {
        const key = (
          Object.keys(STATUS_CATEGORIES) as StatusCategoryKey[]
        ).find((candidate) => namesCategory(value, candidate));
        if (!key) {
          throw new JqlError(
            `The value '${value}' does not exist for the field 'statusCategory'.`,
          );
        }
        return key;
      });
      return test((issue) => keys.includes(statusCategoryOf(issue)));
    }
    case 'status': {
      if (ordered) break;
      const names = clause.values.map((value) => value.toLowerCase());
      return test((issue) => names.includes(issue.status.toLowerCase()));
    }
    case 'assignee':
    case 'reporter':
    case 'creator': {
      if (ordered) break;
      for (const value of clause.values) {
        if (!site.employeesByAccountId.has(value)) {
          throw new JqlError(
            `The value '${value}' does not exist for the field '${clause.field}'.`,
          );
        }
      }
      const accountIds = new Set(clause.values);
      return test((issue) => {
        const email =
          clause.field === 'assignee'
            ? issue.assigneeEmail
            : issue.reporterEmail;
        const accountId = accountIdOf(email);
        return accountId !== undefined && accountIds.has(accountId);
      });
    }
    case 'key': {
      if (ordered) break;
      const ids = new Set(
        clause.values.map((value) => site.issuesByKey.get(value)?.id ?? value),
      );
      return test((issue) => ids.has(issue.id));
    }
    case 'labels': {
      if (ordered) break;
      const labels = new Set(clause.values);
      return test((issue) => issue.labels.some((label) => labels.has(label)));
    }
    case 'created':
    case 'updated': {
      if (!ordered && clause.operator !== '=') break;
      const bound = jqlDate(clause.values[0] ?? '');
      const at = (issue: SeedIssue): number =>
        Date.parse(
          clause.field === 'created' ? issue.createdAt : issue.modifiedAt,
        );
      switch (clause.operator) {
        case '>=':
          return (issue) => at(issue) >= bound;
        case '>':
          return (issue) => at(issue) > bound;
        case '<=':
          return (issue) => at(issue) <= bound;
        case '<':
          return (issue) => at(issue) < bound;
        default:
          return (issue) => at(issue) === bound;
      }
    }
  }
  throw new JqlError(
    `The operator '${clause.operator}' is not supported by the '${clause.field}' field.`,
  );
}

function issueKeyParts(issue: SeedIssue): [string, number] {
  const [project, number] = issue.key.split('-');
  return [project ?? '', Number(number)];
}

function compareBy(field: string, a: SeedIssue, b: SeedIssue): number {
  switch (field) {
    case 'created':
      return Date.parse(a.createdAt) - Date.parse(b.createdAt);
    case 'updated':
      return Date.parse(a.modifiedAt) - Date.parse(b.modifiedAt);
    case 'key': {
      const [projectA, numberA] = issueKeyParts(a);
      const [projectB, numberB] = issueKeyParts(b);
      return projectA === projectB
        ? numberA - numberB
        : projectA < projectB
          ? -1
          : 1;
    }
    default:
      return Number(a.id) - Number(b.id);
  }
}

/** Runs a JQL query: matching issues in the requested, stable order. */
function runJql(site: Site, jql: string): SeedIssue[] {
  const parsed = parseJql(jql);
  if (parsed.clauses.length === 0) {
    throw new JqlError(
      'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
    );
  }
  if (parsed.orderBy.length > 7) {
    throw new JqlError('The ORDER BY clause can contain at most 7 fields.');
  }
  const predicates = parsed.clauses.map((clause) =>
    compileClause(site, clause),
  );
  const orderBy: OrderBy[] = [
    ...parsed.orderBy,
    // A total order, so pages never overlap.
    { field: 'id', descending: parsed.orderBy[0]?.descending ?? true },
  ];
  return site.data.issues
    .filter((issue) => predicates.every((predicate) => predicate(issue)))
    .sort((a, b) => {
      for (const order of orderBy) {
        const result = compareBy(order.field, a, b);
        if (result !== 0) {
          return order.descending ? -result : result;
        }
      }
      return 0;
    });
}

/** FNV-1a, to bind a page token to the query it came from. */
function hashJql(jql: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < jql.length; index += 1) {
    hash ^= jql.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16);
}

function encodePageToken(jql: string, offset: number): string {
  return Buffer.from(
    JSON.stringify({ q: hashJql(jql), o: offset }),
    'utf8',
  ).toString('base64url');
}

function decodePageToken(jql: string, token: string): number {
  try {
    const state: unknown = JSON.parse(
      Buffer.from(token, 'base64url').toString('utf8'),
    );
    if (
      typeof state === 'object' &&
      state !== null &&
      'q' in state &&
      'o' in state &&
      state.q === hashJql(jql) &&
      Number.isInteger(state.o) &&
      (state.o as number) >= 0
    ) {
      return state.o as number;
    }
  } catch {
    // Falls through to the error below.
  }
  throw new JqlError('The provided next page token is invalid or expired.');
}

// ---------------------------------------------------------------------------
// Request helpers.

function listParam(value: unknown): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item) => listParam(item));
  }
  return [String(value)];
}

function intParam(value: unknown, fallback: number, name: string): number {
  if (value === undefined || value === '') {
    return fallback;
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new JqlError(
      `The '${name}' parameter must be a non-negative integer.`,
    );
  }
  return parsed;
}

/** `PageBean*` envelopes: startAt/maxResults/total/isLast/values. */
function pageBean<T>(
  self: string,
  items: T[],
  startAt: number,
  maxResults: number,
): Record<string, unknown> {
  const values = items.slice(startAt, startAt + maxResults);
  const isLast = startAt + values.length >= items.length;
  return {
    self,
    ...(isLast
      ? {}
      : {
          nextPage: self.replace(
            /startAt=\d+/,
            `startAt=${startAt + maxResults}`,
          ),
        }),
    maxResults,
    startAt,
    total: items.length,
    isLast,
    values,
  };
}

/**
 * Builds the Jira sandbox router: one site per organization, under
 * `/<key>/rest/api/3/...`, authenticated with Basic email + API token.
 */
export function createJiraSandbox(
  options: SandboxProviderOptions,
): express.Router {
  const sites = new Map(
    options.organizations.map((organization) => [
      organization.key,
      indexSite(organization.key, organization.data),
    ]),
  );
  const router = express.Router();
  router.use(express.json());

  // Record first, then authenticate: tests assert on what was attempted.
  router.use((req, _res, next) => {
    options.recorder.record({
      provider: PROVIDER,
      method: req.method,
      path: req.path,
      query: { ...req.query },
      body: req.body as unknown,
      at: Date.now(),
    });
    next();
  });

  const siteRouter = express.Router({ mergeParams: true });
  router.use(
    '/:site',
    (req: Request<{ site: string }>, res, next) => {
      const site = sites.get(req.params.site);
      if (!site) {
        sendErrors(res, 404, ['Site not found.']);
        return;
      }
      const expected = sandboxCredentials.jira(site.key);
      const header = req.get('authorization') ?? '';
      const [scheme, encoded] = header.split(' ');
      const decoded =
        scheme?.toLowerCase() === 'basic' && encoded
          ? Buffer.from(encoded, 'base64').toString('utf8')
          : '';
      if (decoded !== `${expected.email}:${expected.apiToken}`) {
        // Jira Cloud answers a missing or bad API token with a plain-text 401.
        res
          .status(401)
          .set('WWW-Authenticate', 'Basic realm="protected-area"')
          .type('text/plain')
          .send('Client must be authenticated to access this resource.');
        return;
      }
      res.locals.ctx = {
        site,
        base: `${req.protocol}://${req.get('host')}${req.baseUrl}`,
      } satisfies Ctx;
      next();
    },
    siteRouter,
  );

  const ctxOf = (res: Response): Ctx => res.locals.ctx as Ctx;

  /** Wraps a handler so JqlErrors become Jira's 400 ErrorCollection. */
  const handle =
    (handler: (req: Request, res: Response, ctx: Ctx) => void) =>
    (req: Request, res: Response): void => {
      try {
        handler(req, res, ctxOf(res));
      } catch (error: unknown) {
        if (error instanceof JqlError) {
          sendErrors(res, 400, [error.message]);
          return;
        }
        throw error;
      }
    };

  // Enhanced JQL search, GET (query string) and POST (JSON body).
  const search = (
    res: Response,
    ctx: Ctx,
    input: {
      jql: unknown;
      maxResults: unknown;
      nextPageToken: unknown;
      fields: unknown;
    },
  ): void => {
    const jql = typeof input.jql === 'string' ? input.jql : '';
    const fields = resolveFields(listParam(input.fields), 'id');
    const ceiling =
      fields === null || fields.length === 0
        ? SEARCH_MAX_RESULTS_IDS_ONLY
        : SEARCH_MAX_RESULTS_WITH_FIELDS;
    const maxResults = Math.min(
      Math.max(
        intParam(input.maxResults, SEARCH_DEFAULT_MAX_RESULTS, 'maxResults'),
        1,
      ),
      ceiling,
    );
    const matches = runJql(ctx.site, jql);
    const offset =
      typeof input.nextPageToken === 'string' && input.nextPageToken !== ''
        ? decodePageToken(jql, input.nextPageToken)
        : 0;
    const page = matches.slice(offset, offset + maxResults);
    const isLast = offset + page.length >= matches.length;
    res.json({
      issues: page.map((issue) => renderIssue(ctx, issue, fields)),
      ...(isLast
        ? {}
        : { nextPageToken: encodePageToken(jql, offset + page.length) }),
      isLast,
    });
  };
  siteRouter.get(
    '/rest/api/3/search/jql',
    handle((req, res, ctx) =>
      search(res, ctx, {
        jql: req.query.jql,
        maxResults: req.query.maxResults,
        nextPageToken: req.query.nextPageToken,
        fields: req.query.fields,
      }),
    ),
  );
  siteRouter.post(
    '/rest/api/3/search/jql',
    handle((req, res, ctx) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      search(res, ctx, {
        jql: body.jql,
        maxResults: body.maxResults,
        nextPageToken: body.nextPageToken,
        fields: body.fields,
      });
    }),
  );
  // CHANGE-2046: the offset-based search endpoints are gone.
  siteRouter.all('/rest/api/3/search', (_req, res) => {
    sendErrors(res, 410, [
      'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046',
    ]);
  });

  siteRouter.post(
    '/rest/api/3/issue/bulkfetch',
    handle((req, res, ctx) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const requested = listParam(body.issueIdsOrKeys);
      if (requested.length === 0 || requested.length > BULK_FETCH_MAX) {
        sendErrors(res, 400, [
          `Provide between 1 and ${BULK_FETCH_MAX} issue IDs or keys.`,
        ]);
        return;
      }
      const fields = resolveFields(listParam(body.fields), 'navigable');
      const found = new Map<string, SeedIssue>();
      const issueErrors: unknown[] = [];
      for (const idOrKey of requested) {
        const issue =
          ctx.site.issuesById.get(idOrKey) ??
          ctx.site.issuesByKey.get(idOrKey.toUpperCase());
        if (issue) {
          found.set(issue.id, issue);
        } else {
          issueErrors.push({
            issueIdOrKey: idOrKey,
            errorMessage:
              'Issue does not exist or you do not have permission to see it.',
            status: 404,
          });
        }
      }
      res.json({
        expand: 'schema,names',
        issues: [...found.values()]
          .sort((a, b) => Number(a.id) - Number(b.id))
          .map((issue) => renderIssue(ctx, issue, fields)),
        issueErrors,
      });
    }),
  );

  siteRouter.get(
    '/rest/api/3/issue/:issueIdOrKey/comment',
    handle((req, res, ctx) => {
      const idOrKey = String(req.params.issueIdOrKey);
      const issue =
        ctx.site.issuesById.get(idOrKey) ?? ctx.site.issuesByKey.get(idOrKey);
      if (!issue) {
        sendErrors(res, 404, [
          'Issue does not exist or you do not have permission to see it.',
        ]);
        return;
      }
      const orderBy = req.query.orderBy;
      if (
        orderBy !== undefined &&
        !['created', '+created', '-created'].includes(String(orderBy))
      ) {
        sendErrors(res, 400, ["Only 'created' is supported in orderBy."]);
        return;
      }
      const startAt = intParam(req.query.startAt, 0, 'startAt');
      const maxResults = Math.min(
        intParam(
          req.query.maxResults,
          COMMENTS_DEFAULT_MAX_RESULTS,
          'maxResults',
        ),
        COMMENTS_MAX_RESULTS,
      );
      const comments = sortedComments(ctx.site, issue.id);
      if (orderBy === '-created') {
        comments.reverse();
      }
      res.json({
        comments: comments
          .slice(startAt, startAt + maxResults)
          .map((comment) => renderComment(ctx, comment)),
        maxResults,
        total: comments.length,
        startAt,
      });
    }),
  );

  siteRouter.post(
    '/rest/api/3/comment/list',
    handle((req, res, ctx) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const ids = listParam(body.ids);
      if (ids.length === 0 || ids.length > COMMENT_LIST_MAX_IDS) {
        sendErrors(res, 400, [
          `Provide between 1 and ${COMMENT_LIST_MAX_IDS} comment IDs.`,
        ]);
        return;
      }
      const startAt = intParam(req.query.startAt, 0, 'startAt');
      const maxResults = Math.min(
        intParam(
          req.query.maxResults,
          COMMENT_LIST_DEFAULT_MAX_RESULTS,
          'maxResults',
        ),
        PAGE_MAX_RESULTS,
      );
      const comments = ids
        .map((id) => ctx.site.commentsById.get(id))
        .filter((comment): comment is SeedComment => comment !== undefined)
        .map((comment) => renderComment(ctx, comment));
      res.json(
        pageBean(
          `${ctx.base}/rest/api/3/comment/list?maxResults=${maxResults}&startAt=${startAt}`,
          comments,
          startAt,
          maxResults,
        ),
      );
    }),
  );

  siteRouter.get(
    '/rest/api/3/user/bulk',
    handle((req, res, ctx) => {
      const accountIds = listParam(req.query.accountId);
      if (accountIds.length === 0) {
        sendErrors(res, 400, ['The accountId parameter is required.']);
        return;
      }
      const startAt = intParam(req.query.startAt, 0, 'startAt');
      const maxResults = Math.min(
        intParam(
          req.query.maxResults,
          USER_BULK_DEFAULT_MAX_RESULTS,
          'maxResults',
        ),
        PAGE_MAX_RESULTS,
      );
      const users = accountIds
        .map((accountId) => ctx.site.employeesByAccountId.get(accountId))
        .filter((employee): employee is SeedEmployee => employee !== undefined)
        .map((employee) => renderUser(ctx, employee));
      res.json(
        pageBean(
          `${ctx.base}/rest/api/3/user/bulk?maxResults=${maxResults}&startAt=${startAt}`,
          users,
          startAt,
          maxResults,
        ),
      );
    }),
  );

  // Users | "Get all users": every user of the site, active or not, as a
  // bare array; `maxResults` default 50, at most 1000; `startAt` offset.
  // Listed in account order, the bot (the API token's user) first.
  siteRouter.get(
    '/rest/api/3/users/search',
    handle((req, res, ctx) => {
      const startAt = intParam(req.query.startAt, 0, 'startAt');
      const maxResults = Math.min(
        intParam(
          req.query.maxResults,
          USERS_SEARCH_DEFAULT_MAX_RESULTS,
          'maxResults',
        ),
        USERS_SEARCH_MAX_RESULTS,
      );
      const credentials = sandboxCredentials.jira(ctx.site.key);
      const users: unknown[] = [
        {
          self: `${ctx.base}/rest/api/3/user?accountId=${BOT_ACCOUNT_ID}`,
          accountId: BOT_ACCOUNT_ID,
          accountType: 'atlassian',
          emailAddress: credentials.email,
          avatarUrls: avatarUrls(BOT_ACCOUNT_ID),
          displayName: 'Tributary Sandbox',
          active: true,
          timeZone: JIRA_SANDBOX_TIME_ZONE,
          locale: 'en_US',
        },
        ...ctx.site.data.employees.map((employee) => renderUser(ctx, employee)),
      ];
      res.json(users.slice(startAt, startAt + maxResults));
    }),
  );

  siteRouter.get(
    '/rest/api/3/user/search',
    handle((req, res, ctx) => {
      const query = typeof req.query.query === 'string' ? req.query.query : '';
      const accountId =
        typeof req.query.accountId === 'string' ? req.query.accountId : '';
      if (query === '' && accountId === '') {
        sendErrors(res, 400, ['One of query or accountId is required.']);
        return;
      }
      const startAt = intParam(req.query.startAt, 0, 'startAt');
      const maxResults = Math.min(
        intParam(
          req.query.maxResults,
          USER_SEARCH_DEFAULT_MAX_RESULTS,
          'maxResults',
        ),
        1_000,
      );
      const needle = query.toLowerCase();
      const matches = ctx.site.data.employees.filter((employee) => {
        if (employee.status !== 'Active') {
          return false;
        }
        if (accountId !== '') {
          return jiraAccountId(employee.id) === accountId;
        }
        const displayName =
          `${employee.preferredName ?? employee.firstName} ${employee.lastName}`.toLowerCase();
        return (
          employee.workEmail.toLowerCase().startsWith(needle) ||
          displayName.split(' ').some((word) => word.startsWith(needle)) ||
          displayName.startsWith(needle)
        );
      });
      res.json(
        matches
          .slice(startAt, startAt + maxResults)
          .map((employee) => renderUser(ctx, employee)),
      );
    }),
  );

  siteRouter.get(
    '/rest/api/3/myself',
    handle((_req, res, ctx) => {
      const credentials = sandboxCredentials.jira(ctx.site.key);
      res.json({
        self: `${ctx.base}/rest/api/3/user?accountId=${BOT_ACCOUNT_ID}`,
        accountId: BOT_ACCOUNT_ID,
        accountType: 'atlassian',
        emailAddress: credentials.email,
        avatarUrls: avatarUrls(BOT_ACCOUNT_ID),
        displayName: 'Tributary Sandbox',
        active: true,
        timeZone: JIRA_SANDBOX_TIME_ZONE,
        locale: 'en_US',
      });
    }),
  );

  siteRouter.get(
    '/rest/api/3/project/search',
    handle((req, res, ctx) => {
      const ids = listParam(req.query.id);
      if (ids.length > PROJECT_SEARCH_MAX_IDS) {
        sendErrors(res, 400, [
          `Up to ${PROJECT_SEARCH_MAX_IDS} project IDs can be provided.`,
        ]);
        return;
      }
      const expand = listParam(req.query.expand).flatMap((value) =>
        value.split(','),
      );
      const orderBy = String(req.query.orderBy ?? 'key');
      const startAt = intParam(req.query.startAt, 0, 'startAt');
      const maxResults = Math.min(
        intParam(
          req.query.maxResults,
          PROJECT_SEARCH_DEFAULT_MAX_RESULTS,
          'maxResults',
        ),
        PAGE_MAX_RESULTS,
      );
      const descending = orderBy.startsWith('-');
      const sortField = orderBy.replace(/^[+-]/, '');
      if (sortField !== 'key' && sortField !== 'name') {
        sendErrors(res, 400, [
          `The orderBy value '${orderBy}' is not supported.`,
        ]);
        return;
      }
      const projects = ctx.site.data.projects
        .filter((project) => ids.length === 0 || ids.includes(project.id))
        .sort((a, b) => {
          const result =
            a[sortField] < b[sortField]
              ? -1
              : a[sortField] > b[sortField]
                ? 1
                : 0;
          return descending ? -result : result;
        })
        .map((project) =>
          renderProject(ctx, project, expand.includes('description')),
        );
      res.json(
        pageBean(
          `${ctx.base}/rest/api/3/project/search?maxResults=${maxResults}&startAt=${startAt}`,
          projects,
          startAt,
          maxResults,
        ),
      );
    }),
  );

  siteRouter.use((_req, res) => {
    sendErrors(res, 404, [
      'The requested resource does not exist in the Jira sandbox.',
    ]);
  });

  return router;
}
