import type { Page } from '../../lib/pagination';
import type {
  CrmAccount,
  CrmContact,
  CrmNote,
  CrmUser,
  Lead,
  Opportunity,
  OpportunityStatus,
} from './models';

/**
 * Arguments of every list method. `cursor` is the provider's own cursor of
 * the page to fetch (null: the first page) and always points at a position,
 * so the same cursor with another `limit` starts at the same record.
 * `limit` may exceed the provider's maximum page size: the connector clamps
 * it and returns fewer records with a `nextCursor`.
 */
export interface ListArgs {
  cursor: string | null;
  limit: number;
  /**
   * Common-model fields the client selected (`name`, `amount`, `owner`…),
   * when the resolver knows them. A connector with `fieldSelection` asks
   * the provider only for what those need (and what joins need); absent,
   * every field is fetched. Fields not fetched map to null.
   */
  fields?: readonly string[] | undefined;
}

/** List arguments for records that carry a last-modified instant. */
export interface ModifiedListArgs extends ListArgs {
  /** Only records modified at or after this instant. */
  modifiedAfter?: Date | null;
}

export interface OpportunityListArgs extends ModifiedListArgs {
  status?: OpportunityStatus | null;
}

/**
 * What a connector can do natively; the rest happens after fetching.
 * Resolvers and the coverage docs read these; callers never branch on the
 * provider's name.
 */
export interface CrmCapabilities {
  /** Fetches many records by remote id in one call per chunk. */
  bulkById: boolean;
  /** Largest chunk of ids one bulk call takes. */
  bulkByIdMax: number;
  /** `modifiedAfter` is filtered by the provider, not after fetching. */
  modifiedAfterPushdown: boolean;
  /** `status` of opportunities is filtered by the provider. */
  opportunityStatusPushdown: boolean;
  /** Opportunities of many owners are found in one query. */
  opportunitiesByOwnersPushdown: boolean;
  /** The provider is asked only for the fields in `ListArgs.fields`. */
  fieldSelection: boolean;
  /** Creates and updates records (none of the connectors does yet). */
  writes: boolean;
}

/**
 * The CRM category's connector contract. One instance serves one linked
 * account; every method may reject with a `ProviderError` (RELINK_NEEDED
 * when the provider refuses the credentials, UPSTREAM_* when it fails),
 * which resolvers turn into coded GraphQL errors.
 *
 * Ordering: list methods return records in the provider's stable order
 * (ascending remote id unless documented otherwise by the implementation);
 * a listing followed to its last page returns every record exactly once.
 *
 * Bulk methods (`…ByIds`, `…ByEmails`) return one entry per key, in key
 * order, `null` for a key the provider does not know; they split the keys
 * into chunks of the provider's documented maximum themselves.
 *
 * Pages of many parents (`get…PagesOf…`): nested connections of N parents
 * (an account's contacts, an owner's opportunities) are fetched together,
 * one page per parent key, in key order, every page starting at the same
 * `cursor` (a record position valid for every parent), so N parents asking
 * for the same page cost shared provider calls rather than N.
 */
export interface CrmConnector {
  readonly provider: string;
  readonly capabilities: CrmCapabilities;

  listAccounts(args: ModifiedListArgs): Promise<Page<CrmAccount>>;
  getAccountsByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmAccount | null)[]>;

  listContacts(args: ModifiedListArgs): Promise<Page<CrmContact>>;
  getContactsByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmContact | null)[]>;
  /**
   * One page of contacts per account, in key order, all starting at the
   * same `cursor` (see "Pages of many parents" above).
   */
  getContactPagesOfAccounts(
    accountRemoteIds: readonly string[],
    args: ListArgs,
  ): Promise<Page<CrmContact>[]>;

  listLeads(args: ModifiedListArgs): Promise<Page<Lead>>;
  /** Leads by remote id; null for an id that is not (or no longer) a lead. */
  getLeadsByIds(remoteIds: readonly string[]): Promise<(Lead | null)[]>;

  listOpportunities(args: OpportunityListArgs): Promise<Page<Opportunity>>;
  getOpportunitiesByIds(
    remoteIds: readonly string[],
  ): Promise<(Opportunity | null)[]>;
  /** One page of opportunities per account (see "Pages of many parents"). */
  getOpportunityPagesOfAccounts(
    accountRemoteIds: readonly string[],
    args: ListArgs,
  ): Promise<Page<Opportunity>[]>;
  /**
   * One page of opportunities per owner (see "Pages of many parents"); the
   * cross-category join `Employee.ownedOpportunities` uses it. `status` is
   * applied, `modifiedAfter` ignored.
   */
  getOpportunityPagesOfOwners(
    ownerRemoteIds: readonly string[],
    args: OpportunityListArgs,
  ): Promise<Page<Opportunity>[]>;

  /** Active users; deactivated ones are still found by id and email. */
  listUsers(args: ListArgs): Promise<Page<CrmUser>>;
  getUsersByIds(remoteIds: readonly string[]): Promise<(CrmUser | null)[]>;
  /** Users by email, matched case-insensitively; key order, null if none. */
  getUsersByEmails(emails: readonly string[]): Promise<(CrmUser | null)[]>;

  listNotes(args: ModifiedListArgs): Promise<Page<CrmNote>>;
  getNotesByIds(remoteIds: readonly string[]): Promise<(CrmNote | null)[]>;
}
