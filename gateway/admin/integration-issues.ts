import {
  listIntegrationIssues,
  type IntegrationIssue,
} from '../../lib/integration-issues';
import type { LinkedAccountStatus, Store } from '../../lib/store/store';

interface AdminContext {
  tenantId: string;
}

/**
 * Admin view of linked accounts' health: each account's status and the
 * integration issues opened (and resolved) on it.
 */
export const integrationIssuesTypeDefs = /* GraphQL */ `
  enum LinkedAccountStatus {
    ACTIVE
    "The provider keeps failing or rate-limiting this account."
    DEGRADED
    "The provider rejects the account's credentials or permissions."
    RELINK_NEEDED
  }

  enum IntegrationIssueKind {
    "Repeated HTTP 401: credentials expired or revoked."
    CREDENTIALS_REJECTED
    "Repeated HTTP 403: the credentials lack a permission."
    PERMISSION_DENIED
    "Sustained HTTP 429."
    RATE_LIMITED
    "Repeated 5xx, timeouts, resets or unreadable answers."
    PROVIDER_OUTAGE
  }

  type IntegrationIssue {
    id: ID!
    linkedAccountId: ID!
    kind: IntegrationIssueKind!
    message: String!
    openedAt: DateTime!
    lastSeenAt: DateTime!
    "Null while the issue is open; set when calls succeed again."
    resolvedAt: DateTime
  }

  extend type LinkedAccount {
    "Integration issues open on this account; empty while it is healthy."
    openIssues: [IntegrationIssue!]!
  }

  extend type Query {
    "Linked accounts of your tenant, of one status or organization if asked."
    linkedAccounts(
      status: LinkedAccountStatus
      organizationId: ID
    ): [LinkedAccount!]!
    linkedAccount(id: ID!): LinkedAccount
    "Integration issues of your tenant, newest first (at most 500)."
    integrationIssues(linkedAccountId: ID, open: Boolean): [IntegrationIssue!]!
  }
`;

interface AccountRow {
  id: string;
  category: string;
  provider: string;
  base_url: string;
  status: string;
  created_at: string;
  updated_at: string;
}

/** The admin schema's `LinkedAccount` (gateway/admin/schema.graphql). */
function toAccount(row: AccountRow) {
  return {
    id: row.id,
    category: row.category,
    provider: row.provider,
    baseUrl: row.base_url,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Resolvers of `integrationIssuesTypeDefs`: linked accounts' status and
 * issues, only ever of the admin's own tenant.
 */
export const integrationIssuesResolvers = (store: Store) => {
  const accounts = (context: AdminContext) =>
    store.db
      .selectFrom('linked_accounts')
      .innerJoin(
        'organizations',
        'organizations.id',
        'linked_accounts.organization_id',
      )
      .select([
        'linked_accounts.id',
        'linked_accounts.category',
        'linked_accounts.provider',
        'linked_accounts.base_url',
        'linked_accounts.status',
        'linked_accounts.created_at',
        'linked_accounts.updated_at',
      ])
      .where('organizations.tenant_id', '=', context.tenantId);

  return {
    Query: {
      async linkedAccounts(
        _parent: unknown,
        args: {
          status?: LinkedAccountStatus | null;
          organizationId?: string | null;
        },
        context: AdminContext,
      ) {
        let query = accounts(context);
        if (args.status) {
          query = query.where('linked_accounts.status', '=', args.status);
        }
        if (args.organizationId) {
          query = query.where(
            'linked_accounts.organization_id',
            '=',
            args.organizationId,
          );
        }
        const rows = await query
          .orderBy('linked_accounts.organization_id')
          .orderBy('linked_accounts.category')
          .execute();
        return rows.map(toAccount);
      },
      async linkedAccount(
        _parent: unknown,
        args: { id: string },
        context: AdminContext,
      ) {
        const row = await accounts(context)
          .where('linked_accounts.id', '=', args.id)
          .executeTakeFirst();
        return row ? toAccount(row) : null;
      },
      integrationIssues(
        _parent: unknown,
        args: { linkedAccountId?: string | null; open?: boolean | null },
        context: AdminContext,
      ): Promise<IntegrationIssue[]> {
        return listIntegrationIssues(store.db, {
          tenantId: context.tenantId,
          linkedAccountId: args.linkedAccountId ?? undefined,
          open: args.open ?? undefined,
        });
      },
    },
    LinkedAccount: {
      openIssues(
        account: { id: string },
        _args: unknown,
        context: AdminContext,
      ): Promise<IntegrationIssue[]> {
        return listIntegrationIssues(store.db, {
          tenantId: context.tenantId,
          linkedAccountId: account.id,
          open: true,
        });
      },
    },
  };
};
