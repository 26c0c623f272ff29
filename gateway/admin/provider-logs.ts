import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../lib/errors';
import {
  searchProviderLogs,
  type ProviderRequestLogTable,
  type StatusClass,
} from '../../lib/provider-logs';
import { scalarResolvers } from '../../lib/scalars';
import type { Store } from '../../lib/store/store';

/**
 * Admin search of provider request logs: every provider call of the
 * admin's tenant, newest first, narrowed by provider, linked account,
 * status class, time range and request id.
 */
export const providerLogsTypeDefs = /* GraphQL */ `
  scalar DateTime

  "The outcome class of a provider call: its HTTP status class, or none."
  enum ProviderStatusClass {
    SUCCESS
    REDIRECT
    CLIENT_ERROR
    SERVER_ERROR
    "No HTTP answer: network failure, timeout, open circuit."
    NO_RESPONSE
  }

  input ProviderRequestLogFilter {
    provider: String
    linkedAccountId: ID
    "Any of these classes."
    statusClass: [ProviderStatusClass!]
    "Calls started at or after this instant."
    since: DateTime
    "Calls started before this instant."
    until: DateTime
    "The gateway request id (X-Request-Id) the calls were made for."
    requestId: String
  }

  "One provider call, after its last attempt. Holds no URL, query, body or header."
  type ProviderRequestLog {
    id: ID!
    startedAt: DateTime!
    linkedAccountId: ID!
    organizationId: ID!
    provider: String!
    category: String!
    method: String!
    "The path template, e.g. /crm/v3/objects/deals/{id}."
    route: String!
    "HTTP status of the last attempt; null when none answered."
    status: Int
    statusClass: ProviderStatusClass!
    "Public error code the call failed with; null on success."
    errorCode: String
    durationMs: Int!
    attempts: Int!
    requestId: String
  }

  type ProviderRequestLogEdge {
    cursor: String!
    node: ProviderRequestLog!
  }

  type ProviderRequestLogConnection {
    edges: [ProviderRequestLogEdge!]!
    pageInfo: PageInfo!
  }

  extend type Query {
    "Provider calls of your tenant, newest first. first: 1-200, default 50."
    providerRequestLogs(
      filter: ProviderRequestLogFilter
      first: Int = 50
      after: String
    ): ProviderRequestLogConnection!
  }
`;

interface FilterInput {
  provider?: string | null;
  linkedAccountId?: string | null;
  statusClass?: StatusClass[] | null;
  since?: Date | null;
  until?: Date | null;
  requestId?: string | null;
}

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT },
  });
}

function encodeCursor(row: ProviderRequestLogTable): string {
  return Buffer.from(JSON.stringify([row.started_at, row.id])).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string): { startedAt: string; id: string } {
  try {
    const value: unknown = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    );
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string'
    ) {
      return { startedAt: value[0], id: value[1] };
    }
  } catch {
    // Falls through to the coded error below.
  }
  throw badInput('after: not a cursor of providerRequestLogs.');
}

/** Resolvers of `providerLogsTypeDefs`, over the store's request logs. */
export const providerLogsResolvers = (store: Store) => ({
  DateTime: scalarResolvers.DateTime,
  Query: {
    async providerRequestLogs(
      _parent: unknown,
      args: {
        filter?: FilterInput | null;
        first: number;
        after?: string | null;
      },
      context: { tenantId: string },
    ) {
      if (args.first < 1 || args.first > 200) {
        throw badInput(`first must be 1 to 200, received ${args.first}.`);
      }
      const filter = args.filter ?? {};
      const { rows, hasNextPage } = await searchProviderLogs(
        store.db,
        {
          tenantId: context.tenantId,
          provider: filter.provider ?? undefined,
          linkedAccountId: filter.linkedAccountId ?? undefined,
          statusClasses: filter.statusClass ?? undefined,
          since: filter.since ?? undefined,
          until: filter.until ?? undefined,
          requestId: filter.requestId ?? undefined,
        },
        {
          first: args.first,
          ...(args.after ? { after: decodeCursor(args.after) } : {}),
        },
      );
      const edges = rows.map((row) => ({
        cursor: encodeCursor(row),
        node: {
          id: row.id,
          startedAt: new Date(row.started_at),
          linkedAccountId: row.linked_account_id,
          organizationId: row.organization_id,
          provider: row.provider,
          category: row.category,
          method: row.method,
          route: row.route,
          status: row.status,
          statusClass: row.status_class,
          errorCode: row.error_code,
          durationMs: row.duration_ms,
          attempts: row.attempts,
          requestId: row.request_id,
        },
      }));
      return {
        edges,
        pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
      };
    },
  },
});
