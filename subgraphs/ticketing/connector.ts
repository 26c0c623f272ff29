import type { Page } from '../../lib/pagination';
import type {
  Ticket,
  TicketCollection,
  TicketComment,
  TicketStatus,
  TicketingUser,
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
}

/**
 * Filters of the ticket listing. Each connector documents which it pushes
 * down to the provider and how precisely (see `capabilities`); instants are
 * UTC on the wire unless the provider's documentation says otherwise.
 */
export interface TicketFilters {
  status?: TicketStatus | null;
  collectionRemoteId?: string | null;
  /** Only tickets modified at or after this instant. */
  modifiedAfter?: Date | null;
}

export interface TicketListArgs extends ListArgs, TicketFilters {
  /**
   * The `Ticket` fields (GraphQL names) the caller reads; absent: all. A
   * connector with `capabilities.fieldSelection` may leave the others
   * unfetched (null or empty); it always fetches what the filters need.
   */
  fields?: ReadonlySet<string>;
}

/** What a connector can do natively; the rest happens after fetching. */
export interface TicketingCapabilities {
  /** Fetches many tickets by remote id in one call per chunk. */
  bulkById: boolean;
  /** Largest chunk of ticket ids one bulk call takes. */
  bulkByIdMax: number;
  /**
   * How much of a `status` filter the provider applies: `exact`, `coarse`
   * (a superset is returned; the caller filters after fetching) or `none`.
   */
  statusPushdown: 'exact' | 'coarse' | 'none';
  /** `collectionRemoteId` is filtered by the provider. */
  collectionPushdown: boolean;
  /**
   * `modifiedAfter` is filtered by the provider, possibly at a coarser
   * precision (a superset is returned; the caller filters after fetching).
   */
  modifiedAfterPushdown: boolean;
  /** Tickets of many assignees are found in one query. */
  ticketsByAssigneesPushdown: boolean;
  /**
   * The connector asks the provider only for the fields it maps (a
   * `fields` list, a selection set) rather than whole records.
   */
  fieldSelection: boolean;
  /** The connector can create and update tickets (none does yet). */
  writes: boolean;
}

/**
 * The ticketing category's connector contract. `subgraph.ts` picks the
 * implementation by the linked account's `provider` (`jira`, `zendesk`,
 * `linear`). One instance serves one linked account; every method may reject with a `ProviderError`
 * (RELINK_NEEDED when the provider refuses the credentials, UPSTREAM_* when
 * it fails), which resolvers turn into coded GraphQL errors.
 *
 * Ordering: list methods return records in a stable order the
 * implementation documents; a listing followed to its last page returns
 * every record exactly once.
 *
 * Filters: a list method may return records that do not match a filter it
 * could only push down coarsely (see `capabilities`); callers apply the
 * filter again after fetching, which is a no-op where pushdown was exact.
 *
 * Pagination: `cursor`/`nextCursor` carry the provider's native position
 * (a `nextPageToken`, an `after` cursor, an `endCursor`) behind one opaque
 * string; a listing ends exactly when `nextCursor` is null.
 *
 * Bulk methods (`…ByIds`, `…ByEmails`) return one entry per key, in key
 * order, `null` for a key the provider does not know; they split the keys
 * into chunks of the provider's documented maximum themselves, and use a
 * bulk endpoint where the provider has one (`capabilities.bulkById`).
 * Emails are matched case-insensitively.
 */
export interface TicketingConnector {
  readonly provider: string;
  readonly capabilities: TicketingCapabilities;

  /**
   * Tickets matching the filters (coarsely, see `capabilities`). When it
   * filters coarsely a connector may return more than `limit` records (up
   * to its page maximum), so fewer calls are spent on records the caller
   * will drop; cursors still point at positions.
   */
  listTickets(args: TicketListArgs): Promise<Page<Ticket>>;
  /** `fields` as in `TicketListArgs`: the `Ticket` fields read; absent: all. */
  getTicketsByIds(
    remoteIds: readonly string[],
    selection?: Pick<TicketListArgs, 'fields'>,
  ): Promise<(Ticket | null)[]>;
  /**
   * Every ticket assigned to each email's user, in key order (an empty list
   * for an email with no user), in the provider's listing order. Answered
   * with shared queries followed to their last page, not one per email.
   * Only the `status` filter applies, with the same pushdown as listings;
   * `fields` as in `TicketListArgs`.
   */
  getTicketsByAssigneeEmails(
    emails: readonly string[],
    filters: Pick<TicketListArgs, 'status' | 'fields'>,
  ): Promise<Ticket[][]>;

  /**
   * The first page of comments of many tickets at once, in key order (an
   * empty page for an unknown ticket). A page may hold more than one
   * `listComments` page would; its `nextCursor` continues with
   * `listComments`.
   */
  getFirstCommentPages(
    ticketRemoteIds: readonly string[],
  ): Promise<Page<TicketComment>[]>;
  /** Comments of one ticket, oldest first. */
  listComments(
    ticketRemoteId: string,
    args: ListArgs,
  ): Promise<Page<TicketComment>>;
  getCommentsByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketComment | null)[]>;

  getUsersByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketingUser | null)[]>;
  /** Users by email, matched case-insensitively; key order, null if none. */
  getUsersByEmails(
    emails: readonly string[],
  ): Promise<(TicketingUser | null)[]>;

  listCollections(args: ListArgs): Promise<Page<TicketCollection>>;
  getCollectionsByIds(
    remoteIds: readonly string[],
  ): Promise<(TicketCollection | null)[]>;
}
