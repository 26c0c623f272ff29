import {
  listIntegrationIssues,
  type IntegrationIssue,
} from '../../lib/integration-issues';
import type { LinkedAccountStatus } from '../../lib/store/store';
import type { AdminContext } from './context';

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

  type AdminLinkedAccount {
    id: ID!
    organizationId: ID!
    category: String!
    provider: String!
    status: LinkedAccountStatus!
    openIssues: [IntegrationIssue!]!
  }

  extend type Query {
    "Linked accounts of your tenant, optionally of one status."
    linkedAccounts(status: LinkedAccountStatus): [AdminLinkedAccount!]!
    linkedAccount(id: ID!): AdminLinkedAccount
    "Integration issues of your tenant, newest first (at most 500)."
    integrationIssues(linkedAccountId: ID, open: Boolean): [IntegrationIssue!]!
  }
`;

interface AccountRow {
  id: string;
  organization_id: string;
  category: string;
  provider: string;
  status: string;
}

function toAccount(row: AccountRow) {
  return {
    id: row.id,
    organizationId: row.organization_id,
    category: row.category,
    provider: row.provider,
    status: row.status as LinkedAccountStatus,
  };
}

function accounts(context: AdminContext) {
  return context.store.db
    .selectFrom('linked_accounts')
    .innerJoin(
      'organizations',
      'organizations.id',
      'linked_accounts.organization_id',
    )
    .select([
      'linked_accounts.id',
      'linked_accounts.organization_id',
      'linked_accounts.category',
      'linked_accounts.provider',
      'linked_accounts.status',
    ])
    .where('organizations.tenant_id', '=', context.tenantId);
}

export const integrationIssuesResolvers = {
  Query: {
    async linkedAccounts(
      _parent: unknown,
      args: { status?: LinkedAccountStatus | null },
      context: AdminContext,
    ) {
      let query = accounts(context);
      if (args.status) {
        query = query.where('linked_accounts.status', '=', args.status);
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
      return listIntegrationIssues(context.store.db, {
        tenantId: context.tenantId,
        linkedAccountId: args.linkedAccountId ?? undefined,
        open: args.open ?? undefined,
      });
    },
  },
  AdminLinkedAccount: {
    openIssues(
      account: { id: string },
      _args: unknown,
      context: AdminContext,
    ): Promise<IntegrationIssue[]> {
      return listIntegrationIssues(context.store.db, {
        tenantId: context.tenantId,
        linkedAccountId: account.id,
        open: true,
      });
    },
  },
};
