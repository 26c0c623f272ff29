/**
 * A Linear GraphQL API stand-in, rendered from the seed: the subset of
 * Linear's schema the connector uses, built with graphql-js `buildSchema`
 * and answered by resolvers over the seed data.
 *
 * Follows linear.app/developers:
 * - "GraphQL API": one endpoint, `POST /graphql` (api.linear.app).
 * - Authentication: a personal API key as `Authorization: <API_KEY>` (no
 *   `Bearer`), an OAuth access token as `Authorization: Bearer <token>`.
 *   Otherwise HTTP 400 with a GraphQL error whose `extensions.code` is
 *   `AUTHENTICATION_ERROR`.
 * - "Pagination": Relay connections, `first`/`after` (50 by default, at most
 *   250 here), `nodes` and `pageInfo { hasNextPage endCursor }`; ordered by
 *   `createdAt` unless `orderBy: updatedAt`; archived records hidden.
 * - "Filtering": `filter` with comparators (`eq`, `neq`, `in`, `nin`,
 *   `eqIgnoreCase`, `gt`, `gte`, `lt`, `lte`) on fields and relations,
 *   combined with `and` / `or`.
 * - "Rate limiting": every answer carries `X-RateLimit-Requests-Limit`,
 *   `-Remaining` and `-Reset` (UTC epoch milliseconds); over the limit, HTTP
 *   400 with `extensions.code: RATELIMITED`.
 *
 * Users are the seed's employees, teams its projects (ENG, SUP, OPS), issues
 * its issues with their identifiers (`ENG-12`); ids are UUIDs derived from
 * the seed's ids, stable across runs. The workspace is the API key's.
 */
import { createHash } from 'node:crypto';

import express from 'express';
import {
  GraphQLError,
  buildSchema,
  graphql,
  type ExecutionResult,
} from 'graphql';

import type { SeedEmployee, SeedIssue, SeedOrganization } from '../seed';
import { sandboxCredentials } from '../types';
import type { SandboxProviderOptions } from '../types';

const PROVIDER = 'linear';
const DEFAULT_FIRST = 50;
const MAX_FIRST = 250;
const REQUEST_LIMIT = 5_000;

const SDL = /* GraphQL */ `
  scalar DateTime
  scalar TimelessDate

  enum PaginationOrderBy {
    createdAt
    updatedAt
  }

  type PageInfo {
    hasPreviousPage: Boolean!
    hasNextPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type User {
    id: ID!
    name: String!
    displayName: String!
    email: String!
    active: Boolean!
    admin: Boolean!
    createdAt: DateTime!
    updatedAt: DateTime!
  }
  type UserConnection {
    nodes: [User!]!
    pageInfo: PageInfo!
  }

  type Team {
    id: ID!
    key: String!
    name: String!
    description: String
    createdAt: DateTime!
    updatedAt: DateTime!
  }
  type TeamConnection {
    nodes: [Team!]!
    pageInfo: PageInfo!
  }

  type Project {
    id: ID!
    name: String!
    description: String!
    url: String!
    createdAt: DateTime!
    updatedAt: DateTime!
  }
  type ProjectConnection {
    nodes: [Project!]!
    pageInfo: PageInfo!
  }

  type WorkflowState {
    id: ID!
    name: String!
    type: String!
    color: String!
  }

  type IssueLabel {
    id: ID!
    name: String!
  }
  type IssueLabelConnection {
    nodes: [IssueLabel!]!
    pageInfo: PageInfo!
  }

  type Comment {
    id: ID!
    body: String!
    user: User
    issue: Issue
    url: String!
    createdAt: DateTime!
    updatedAt: DateTime!
  }
  type CommentConnection {
    nodes: [Comment!]!
    pageInfo: PageInfo!
  }

  type Issue {
    id: ID!
    identifier: String!
    number: Float!
    title: String!
    description: String
    priority: Float!
    priorityLabel: String!
    url: String!
    dueDate: TimelessDate
    completedAt: DateTime
    canceledAt: DateTime
    createdAt: DateTime!
    updatedAt: DateTime!
    state: WorkflowState!
    assignee: User
    creator: User
    team: Team!
    project: Project
    labels(first: Int, after: String): IssueLabelConnection!
    comments(first: Int, after: String): CommentConnection!
  }
  type IssueConnection {
    nodes: [Issue!]!
    pageInfo: PageInfo!
  }

  input IDComparator {
    eq: ID
    neq: ID
    in: [ID!]
    nin: [ID!]
  }
  input StringComparator {
    eq: String
    neq: String
    in: [String!]
    nin: [String!]
    eqIgnoreCase: String
  }
  input DateComparator {
    eq: DateTime
    gt: DateTime
    gte: DateTime
    lt: DateTime
    lte: DateTime
  }
  input UserFilter {
    id: IDComparator
    email: StringComparator
    and: [UserFilter!]
    or: [UserFilter!]
  }
  input NullableUserFilter {
    id: IDComparator
    email: StringComparator
    null: Boolean
  }
  input TeamFilter {
    id: IDComparator
    key: StringComparator
    and: [TeamFilter!]
    or: [TeamFilter!]
  }
  input NullableProjectFilter {
    id: IDComparator
    null: Boolean
  }
  input ProjectFilter {
    id: IDComparator
  }
  input WorkflowStateFilter {
    type: StringComparator
    name: StringComparator
  }
  input CommentFilter {
    id: IDComparator
  }
  input IssueFilter {
    id: IDComparator
    createdAt: DateComparator
    updatedAt: DateComparator
    state: WorkflowStateFilter
    team: TeamFilter
    project: NullableProjectFilter
    assignee: NullableUserFilter
    and: [IssueFilter!]
    or: [IssueFilter!]
  }

  type Query {
    viewer: User!
    issues(
      first: Int
      after: String
      filter: IssueFilter
      orderBy: PaginationOrderBy
      includeArchived: Boolean
    ): IssueConnection!
    users(
      first: Int
      after: String
      filter: UserFilter
      includeDisabled: Boolean
      includeArchived: Boolean
    ): UserConnection!
    teams(first: Int, after: String, filter: TeamFilter): TeamConnection!
    projects(
      first: Int
      after: String
      filter: ProjectFilter
    ): ProjectConnection!
    comments(
      first: Int
      after: String
      filter: CommentFilter
    ): CommentConnection!
  }
`;

const schema = buildSchema(SDL);

/** A stable UUID (version 4 layout) for a seed record of one kind. */
export function linearId(kind: string, seedId: string): string {
  const hex = createHash('sha256').update(`${kind}:${seedId}`).digest('hex');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `4${hex.slice(13, 16)}`,
    `8${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}

type StateType =
  'triage' | 'backlog' | 'unstarted' | 'started' | 'completed' | 'canceled';

const STATES: Array<{ name: string; type: StateType; color: string }> = [
  { name: 'Triage', type: 'triage', color: '#FC7840' },
  { name: 'Backlog', type: 'backlog', color: '#bec2c8' },
  { name: 'Todo', type: 'unstarted', color: '#e2e2e2' },
  { name: 'In Progress', type: 'started', color: '#f2c94c' },
  { name: 'In Review', type: 'started', color: '#0f783c' },
  { name: 'Blocked', type: 'started', color: '#eb5757' },
  { name: 'Done', type: 'completed', color: '#5e6ad2' },
  { name: 'Canceled', type: 'canceled', color: '#95a2b3' },
];

/** The seed's Jira-style status as a Linear workflow state name. */
function stateName(issue: SeedIssue, number: number): string {
  switch (issue.status) {
    case 'To Do':
      return number % 7 === 0
        ? 'Triage'
        : number % 2 === 0
          ? 'Backlog'
          : 'Todo';
    case 'In Progress':
    case 'In Review':
    case 'Blocked':
      return issue.status;
    case 'Done':
      return number % 5 === 0 ? 'Canceled' : 'Done';
  }
}

/** Linear priorities: 0 none, 1 urgent, 2 high, 3 medium, 4 low. */
const PRIORITIES: Record<SeedIssue['priority'], number> = {
  Highest: 1,
  High: 2,
  Medium: 3,
  Low: 4,
  Lowest: 0,
};
const PRIORITY_LABELS = ['No priority', 'Urgent', 'High', 'Medium', 'Low'];

const PROJECTS = [
  { label: 'customer', name: 'Customer requests' },
  { label: 'security', name: 'Security hardening' },
];

type Row = Record<string, unknown>;

interface Workspace {
  key: string;
  users: Row[];
  usersByEmail: Map<string, Row>;
  viewer: Row;
  teams: Row[];
  projects: Row[];
  issues: Row[];
  comments: Row[];
}

function renderUser(employee: SeedEmployee): Row {
  return {
    id: linearId('user', employee.id),
    name: `${employee.preferredName ?? employee.firstName} ${employee.lastName}`,
    displayName: employee.workEmail.split('@')[0],
    email: employee.workEmail,
    active: employee.status === 'Active',
    admin: false,
    createdAt: employee.createdAt,
    updatedAt: employee.modifiedAt,
  };
}

function buildWorkspace(key: string, data: SeedOrganization): Workspace {
  const users = data.employees.map(renderUser);
  const usersByEmail = new Map(
    users.map((user) => [String(user.email).toLowerCase(), user]),
  );
  const teams = data.projects.map((project) => ({
    id: linearId('team', project.id),
    key: project.key,
    name: project.name,
    description: project.description,
    createdAt: '2024-01-15T09:00:00.000Z',
    updatedAt: '2024-01-15T09:00:00.000Z',
  }));
  const teamsBySeedId = new Map(
    data.projects.map((project, index) => [project.id, teams[index] as Row]),
  );
  const states = new Map<string, Row>();
  for (const team of teams) {
    for (const state of STATES) {
      states.set(`${team.key}:${state.name}`, {
        id: linearId('state', `${team.key}:${state.name}`),
        ...state,
      });
    }
  }
  const projects = PROJECTS.map((project) => ({
    id: linearId('project', project.label),
    name: project.name,
    description: `Issues labelled ${project.label}.`,
    url: `https://linear.app/${key}/project/${project.label}`,
    createdAt: '2024-02-01T09:00:00.000Z',
    updatedAt: '2024-02-01T09:00:00.000Z',
    label: project.label,
  }));
  const issues: Row[] = [];
  const issuesBySeedId = new Map<string, Row>();
  for (const issue of data.issues) {
    const team = teamsBySeedId.get(issue.projectId) as Row;
    const number = Number(issue.key.split('-')[1]);
    const state = states.get(
      `${String(team.key)}:${stateName(issue, number)}`,
    ) as Row;
    const priority = PRIORITIES[issue.priority];
    const labels = [
      ...(issue.issueType === 'Bug'
        ? ['Bug']
        : issue.issueType === 'Story'
          ? ['Feature']
          : []),
      ...issue.labels,
    ];
    const project = projects.find((candidate) =>
      issue.labels.includes(candidate.label),
    );
    const row: Row = {
      id: linearId('issue', issue.id),
      identifier: issue.key,
      number,
      title: issue.summary,
      description: issue.description,
      priority,
      priorityLabel: PRIORITY_LABELS[priority],
      url: `https://linear.app/${key}/issue/${issue.key}`,
      dueDate: issue.dueDate,
      completedAt: state.type === 'completed' ? issue.resolutionDate : null,
      canceledAt: state.type === 'canceled' ? issue.resolutionDate : null,
      createdAt: issue.createdAt,
      updatedAt: issue.modifiedAt,
      state,
      assignee: usersByEmail.get(issue.assigneeEmail.toLowerCase()) ?? null,
      creator: usersByEmail.get(issue.reporterEmail.toLowerCase()) ?? null,
      team,
      project: project ?? null,
      labelNames: labels,
    };
    issues.push(row);
    issuesBySeedId.set(issue.id, row);
  }
  const comments = data.comments.map((comment) => {
    const issue = issuesBySeedId.get(comment.issueId) as Row;
    const id = linearId('comment', comment.id);
    return {
      id,
      body: comment.body,
      user: usersByEmail.get(comment.authorEmail.toLowerCase()) ?? null,
      issue,
      url: `${String(issue.url)}#comment-${id.slice(0, 8)}`,
      createdAt: comment.createdAt,
      updatedAt: comment.modifiedAt,
    };
  });
  return {
    key,
    users,
    usersByEmail,
    viewer: {
      id: linearId('user', `bot:${key}`),
      name: 'Tributary Sandbox',
      displayName: 'tributary',
      email: `sandbox-bot@${key}.example`,
      active: true,
      admin: false,
      createdAt: '2024-01-15T09:00:00.000Z',
      updatedAt: '2024-01-15T09:00:00.000Z',
    },
    teams,
    projects,
    issues,
    comments,
  };
}

// ---------------------------------------------------------------------------
// Filtering and pagination.

type Comparator = Record<string, unknown>;

function compare(value: unknown, comparator: Comparator): boolean {
  for (const [operator, operand] of Object.entries(comparator)) {
    if (operand === undefined || operand === null) continue;
    const ok = (() => {
      switch (operator) {
        case 'eq':
          return isDate(operand)
            ? time(value) === time(operand)
            : value === operand;
        case 'neq':
          return value !== operand;
        case 'in':
          return (operand as unknown[]).includes(value);
        case 'nin':
          return !(operand as unknown[]).includes(value);
        case 'eqIgnoreCase':
          return (
            typeof value === 'string' &&
            value.toLowerCase() === String(operand).toLowerCase()
          );
        case 'gt':
          return time(value) > time(operand);
        case 'gte':
          return time(value) >= time(operand);
        case 'lt':
          return time(value) < time(operand);
        case 'lte':
          return time(value) <= time(operand);
        default:
          return true;
      }
    })();
    if (!ok) return false;
  }
  return true;
}

function isDate(value: unknown): boolean {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value);
}

function time(value: unknown): number {
  return Date.parse(String(value));
}

/**
 * Whether `row` matches a Linear filter: each key is a field comparator, a
 * relation's nested filter, or `and`/`or`; `null: true` matches a missing
 * relation.
 */
function matches(row: Row | null, filter: Record<string, unknown>): boolean {
  for (const [field, condition] of Object.entries(filter)) {
    if (condition === undefined || condition === null) continue;
    if (field === 'and') {
      if (!(condition as Row[]).every((part) => matches(row, part))) {
        return false;
      }
      continue;
    }
    if (field === 'or') {
      if (!(condition as Row[]).some((part) => matches(row, part))) {
        return false;
      }
      continue;
    }
    if (field === 'null') {
      if ((row === null) !== condition) return false;
      continue;
    }
    if (row === null) return false;
    const value = row[field];
    const nested = condition as Record<string, unknown>;
    const isRelation =
      value !== null && typeof value === 'object' && !Array.isArray(value);
    if (isRelation || (value === null && isRelationFilter(nested))) {
      if (!matches(value as Row | null, nested)) return false;
    } else if (!compare(value, nested)) {
      return false;
    }
  }
  return true;
}

function isRelationFilter(filter: Record<string, unknown>): boolean {
  return ['id', 'email', 'null', 'key', 'type', 'name'].some(
    (key) => key in filter,
  );
}

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

function connection<T>(items: readonly T[], args: PageArgs) {
  const first = args.first ?? DEFAULT_FIRST;
  if (!Number.isInteger(first) || first < 0 || first > MAX_FIRST) {
    throw new GraphQLError(`first must be between 0 and ${MAX_FIRST}.`, {
      extensions: { code: 'INVALID_INPUT', userError: true },
    });
  }
  let start = 0;
  if (args.after) {
    start = Number(Buffer.from(args.after, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) {
      throw new GraphQLError('Invalid cursor.', {
        extensions: { code: 'INVALID_INPUT', userError: true },
      });
    }
  }
  const nodes = items.slice(start, start + first);
  const cursor = (offset: number) =>
    Buffer.from(String(offset), 'utf8').toString('base64url');
  return {
    nodes,
    pageInfo: {
      hasPreviousPage: start > 0,
      hasNextPage: start + nodes.length < items.length,
      startCursor: nodes.length > 0 ? cursor(start) : null,
      endCursor: nodes.length > 0 ? cursor(start + nodes.length) : null,
    },
  };
}

function ordered(rows: readonly Row[], orderBy: string | null | undefined) {
  const field = orderBy === 'updatedAt' ? 'updatedAt' : 'createdAt';
  return [...rows].sort(
    (a, b) =>
      time(b[field]) - time(a[field]) ||
      String(a.id).localeCompare(String(b.id)),
  );
}

/** Wraps an issue row with its argument-taking fields. */
function issueNode(workspace: Workspace, issue: Row): Row {
  return {
    ...issue,
    labels: (args: PageArgs) =>
      connection(
        (issue.labelNames as string[]).map((name) => ({
          id: linearId('label', `${workspace.key}:${name}`),
          name,
        })),
        args,
      ),
    comments: (args: PageArgs) =>
      connection(
        workspace.comments
          .filter((comment) => comment.issue === issue)
          .sort((a, b) => time(a.createdAt) - time(b.createdAt))
          .map((comment) => commentNode(workspace, comment)),
        args,
      ),
  };
}

function commentNode(workspace: Workspace, comment: Row): Row {
  return {
    ...comment,
    issue: () => issueNode(workspace, comment.issue as Row),
  };
}

type FilterArgs = PageArgs & {
  filter?: Record<string, unknown> | null;
  orderBy?: string | null;
  includeDisabled?: boolean | null;
};

function rootValue(workspace: Workspace): Row {
  return {
    viewer: () => workspace.viewer,
    issues: (args: FilterArgs) =>
      connection(
        ordered(workspace.issues, args.orderBy)
          .filter((issue) => matches(issue, args.filter ?? {}))
          .map((issue) => issueNode(workspace, issue)),
        args,
      ),
    users: (args: FilterArgs) =>
      connection(
        ordered(workspace.users, args.orderBy).filter(
          (user) =>
            (args.includeDisabled === true || user.active === true) &&
            matches(user, args.filter ?? {}),
        ),
        args,
      ),
    teams: (args: FilterArgs) =>
      connection(
        workspace.teams.filter((team) => matches(team, args.filter ?? {})),
        args,
      ),
    projects: (args: FilterArgs) =>
      connection(
        workspace.projects.filter((project) =>
          matches(project, args.filter ?? {}),
        ),
        args,
      ),
    comments: (args: FilterArgs) =>
      connection(
        ordered(workspace.comments, args.orderBy)
          .filter((comment) => matches(comment, args.filter ?? {}))
          .map((comment) => commentNode(workspace, comment)),
        args,
      ),
  };
}

/**
 * Answers the next `remaining` requests with Linear's rate-limit error, so
 * tests can see a connector wait for the reset and retry.
 */
export class LinearThrottle {
  remaining = 0;
  /** How far ahead `X-RateLimit-Requests-Reset` points, in ms. */
  resetInMs = 300;
}

function errorBody(message: string, code: string, statusCode: number) {
  return {
    errors: [
      {
        message,
        extensions: {
          type: code.toLowerCase().replace(/_/g, ' '),
          code,
          statusCode,
          userError: true,
          userPresentableMessage: message,
        },
      },
    ],
  };
}

/** The Linear sandbox router; mount it at `/linear`. */
export function createLinearSandbox(
  options: SandboxProviderOptions & { throttle?: LinearThrottle },
): express.Router {
  const workspaces = new Map(
    options.organizations.map((organization) => [
      organization.key,
      buildWorkspace(organization.key, organization.data),
    ]),
  );
  const throttle = options.throttle ?? new LinearThrottle();
  const router = express.Router();
  let used = 0;

  router.use(express.json({ limit: '1mb' }));
  router.use((req, res, next) => {
    options.recorder.record({
      provider: PROVIDER,
      method: req.method,
      path: req.path,
      query: { ...req.query },
      body: req.body as unknown,
      at: Date.now(),
    });
    used = (used + 1) % REQUEST_LIMIT;
    res.set({
      'x-ratelimit-requests-limit': String(REQUEST_LIMIT),
      'x-ratelimit-requests-remaining': String(REQUEST_LIMIT - used),
      'x-ratelimit-requests-reset': String(Date.now() + 3_600_000),
    });
    next();
  });

  const workspaceOf = (header: string): Workspace | undefined => {
    for (const workspace of workspaces.values()) {
      const { apiKey } = sandboxCredentials.linear(workspace.key);
      if (
        header === apiKey ||
        header === `Bearer lin_oauth_sandbox_${workspace.key}`
      ) {
        return workspace;
      }
    }
    return undefined;
  };

  router.post('/graphql', async (req, res) => {
    const workspace = workspaceOf(req.get('authorization') ?? '');
    if (!workspace) {
      res
        .status(400)
        .json(
          errorBody(
            'Authentication required, not authenticated',
            'AUTHENTICATION_ERROR',
            401,
          ),
        );
      return;
    }
    if (throttle.remaining > 0) {
      throttle.remaining -= 1;
      res
        .status(400)
        .set({
          'x-ratelimit-requests-remaining': '0',
          'x-ratelimit-requests-reset': String(Date.now() + throttle.resetInMs),
        })
        .json(errorBody('Rate limit exceeded', 'RATELIMITED', 429));
      return;
    }
    const body = (req.body ?? {}) as {
      query?: unknown;
      variables?: unknown;
      operationName?: unknown;
    };
    if (typeof body.query !== 'string') {
      res
        .status(400)
        .json(errorBody('Must provide query string.', 'INVALID_INPUT', 400));
      return;
    }
    const result: ExecutionResult = await graphql({
      schema,
      source: body.query,
      rootValue: rootValue(workspace),
      variableValues: (body.variables ?? null) as Record<string, unknown>,
      operationName:
        typeof body.operationName === 'string' ? body.operationName : null,
    });
    const validationFailed = result.data === undefined;
    res.status(validationFailed ? 400 : 200).json({
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(result.errors
        ? {
            errors: result.errors.map((error) => ({
              ...error.toJSON(),
              extensions: {
                code: validationFailed
                  ? 'GRAPHQL_VALIDATION_FAILED'
                  : 'INVALID_INPUT',
                ...error.extensions,
              },
            })),
          }
        : {}),
    });
  });

  router.use((_req, res) => {
    res.status(404).json(errorBody('Not found', 'NOT_FOUND', 404));
  });

  return router;
}
