import type { Kysely } from 'kysely';
import type { Category } from '../categories';
import { ErrorCode, tributaryError } from '../errors';
import type { Database } from './schema';
import type { LinkedAccountStatus } from './store';

/** A linked account as admins see it: never its credentials. */
export interface LinkedAccountSummary {
  id: string;
  organizationId: string;
  category: Category;
  provider: string;
  baseUrl: string;
  status: LinkedAccountStatus;
  createdAt: string;
  updatedAt: string;
}

export interface OrganizationSummary {
  id: string;
  name: string;
  createdAt: string;
  linkedAccounts: LinkedAccountSummary[];
}

/** A tenant's organizations with their linked accounts, oldest first. */
export async function listOrganizations(
  db: Kysely<Database>,
  tenantId: string,
): Promise<OrganizationSummary[]> {
  const organizations = await db
    .selectFrom('organizations')
    .select(['id', 'name', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const accounts = await db
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
      'linked_accounts.base_url',
      'linked_accounts.status',
      'linked_accounts.created_at',
      'linked_accounts.updated_at',
    ])
    .where('organizations.tenant_id', '=', tenantId)
    .orderBy('linked_accounts.category')
    .execute();
  return organizations.map((organization) => ({
    id: organization.id,
    name: organization.name,
    createdAt: organization.created_at,
    linkedAccounts: accounts
      .filter((account) => account.organization_id === organization.id)
      .map((account) => ({
        id: account.id,
        organizationId: account.organization_id,
        category: account.category as Category,
        provider: account.provider,
        baseUrl: account.base_url,
        status: account.status === 'RELINK_NEEDED' ? 'RELINK_NEEDED' : 'ACTIVE',
        createdAt: account.created_at,
        updatedAt: account.updated_at,
      })),
  }));
}

/** One of a tenant's organizations; `NOT_FOUND` for another tenant's. */
export async function getOrganization(
  db: Kysely<Database>,
  tenantId: string,
  organizationId: string,
): Promise<OrganizationSummary> {
  const found = (await listOrganizations(db, tenantId)).find(
    (organization) => organization.id === organizationId,
  );
  if (!found) {
    throw tributaryError(
      ErrorCode.NOT_FOUND,
      `No organization ${organizationId}.`,
    );
  }
  return found;
}
