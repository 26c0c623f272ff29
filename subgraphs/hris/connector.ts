import type { Page } from '../../lib/pagination';
import type {
  Company,
  Employee,
  EmploymentStatus,
  Employment,
  Location,
  Team,
} from './models';

/**
 * What an HRIS connector can push down to its provider. Resolvers read it to
 * decide what to filter after fetching and how to batch; tests read it to
 * know what to expect from the recorder. Every connector also says, in its
 * header comment, which provider documentation each of these follows.
 */
export interface HrisCapabilities {
  /**
   * `fetchEmployeesByIds` fetches many ids per provider call (a bulk
   * endpoint or an id filter); false when the provider reads one record per
   * call, and the connector then bounds how many calls it makes.
   */
  bulkById: boolean;
  /** Most ids one provider call takes; larger batches are chunked. */
  maxIdsPerCall: number;
  /** Largest native page `listEmployees` asks the provider for. */
  maxPageSize: number;
  /** Which `EmployeeFilters` the provider applies itself. */
  pushdown: {
    employmentStatus: boolean;
    workEmail: boolean;
    modifiedAfter: boolean;
  };
  /**
   * The provider returns only the fields the connector names (BambooHR
   * `fields`, HiBob `fields`, Personio `attributes[]`), and the connector
   * names only those of the `Employee` fields a caller selects
   * (`EmployeeSelection`), so records carry what the query reads and
   * little else.
   */
  fieldSelection: boolean;
  /** The connector can create or update records at the provider. */
  writes: boolean;
}

export interface EmployeeFilters {
  employmentStatus?: EmploymentStatus | null;
  workEmail?: string | null;
  /** Only employees modified at or after this instant. */
  modifiedAfter?: Date | null;
}

/**
 * The `Employee` fields (GraphQL names) a caller reads; absent: all. A
 * connector with `capabilities.fieldSelection` may leave the others
 * unfetched (null, or a partial `remoteData`); it always fetches what it
 * reads itself: remote ids and cursors, the work email it matches emails
 * on, and what the filters need (see `filterFields`).
 */
export interface EmployeeSelection {
  fields?: ReadonlySet<string>;
}

/**
 * The `Employee` fields the filters in `filters` are checked against: a
 * caller re-applies the filters a connector does not push down, and a
 * connector that filters in memory reads them too.
 */
export function filterFields(filters: EmployeeFilters): string[] {
  return [
    ...(filters.employmentStatus ? ['employmentStatus'] : []),
    ...(filters.workEmail ? ['workEmail'] : []),
    ...(filters.modifiedAfter ? ['modifiedAt'] : []),
  ];
}

/**
 * `selected` with the fields of `needed` added; absent (all fields) stays
 * absent.
 */
export function withFields(
  selected: ReadonlySet<string> | undefined,
  needed: readonly string[],
): ReadonlySet<string> | undefined {
  return selected && new Set([...selected, ...needed]);
}

export interface PageArgs {
  /** The provider's cursor from a previous page; null for the first page. */
  cursor: string | null;
  /** Items wanted; connectors clamp it to the provider's maximum. */
  limit: number;
}

/**
 * One linked HRIS account, seen through the common model: `subgraph.ts`
 * picks the implementation by the linked account's provider. Created once
 * per request, so a connector may memoize provider answers for the request's
 * lifetime (never longer: data must not leak across requests).
 *
 * Errors: every method rejects with a `ProviderError` whose code says what
 * went wrong (`RELINK_NEEDED` for rejected credentials, `UPSTREAM_*` for
 * provider failures). "Not found" is never an error for a batch: the slot is
 * null.
 */
export interface HrisConnector {
  readonly provider: string;
  readonly capabilities: HrisCapabilities;

  /**
   * One native page of employees in a stable order that a cursor can
   * resume. The cursor hides the provider's own pagination (a cursor, an
   * offset, or none at all when the provider answers everything at once and
   * the connector pages in memory); callers only pass back `nextCursor`
   * until it is null, which is the last page. Filters in `capabilities.pushdown` are applied by the provider;
   * the others are not, and the caller filters after fetching. A page may
   * hold more items than `limit` (a connector may read ahead when it knows
   * the caller will filter) or fewer (the provider's maximum).
   */
  listEmployees(
    args: PageArgs & EmployeeFilters & EmployeeSelection,
  ): Promise<Page<Employee>>;

  /**
   * Employees by remote id, in key order, null for an unknown id. Chunked to
   * `capabilities.maxIdsPerCall` ids per provider call. `fields` as in
   * `EmployeeSelection`.
   */
  fetchEmployeesByIds(
    ids: readonly string[],
    selection?: EmployeeSelection,
  ): Promise<(Employee | null)[]>;

  /**
   * Employees by work email, matched case-insensitively, in key order, null
   * for an email no employee has. All emails of a batch cost the same
   * provider calls as one. `fields` as in `EmployeeSelection`.
   */
  fetchEmployeesByWorkEmails(
    emails: readonly string[],
    selection?: EmployeeSelection,
  ): Promise<(Employee | null)[]>;

  /**
   * Last modification instant of each employee, in key order, null when
   * unknown: for providers whose employee records do not carry it.
   */
  fetchEmployeeModifiedAt(ids: readonly string[]): Promise<(string | null)[]>;

  /** Employment history of each employee, newest first, in key order. */
  fetchEmploymentsByEmployeeIds(
    employeeIds: readonly string[],
  ): Promise<Employment[][]>;

  /** Employments by remote id, in key order, null for an unknown id. */
  fetchEmploymentsByIds(ids: readonly string[]): Promise<(Employment | null)[]>;

  /** One native page of teams, in a stable order. */
  listTeams(args: PageArgs): Promise<Page<Team>>;

  /** Teams by remote id, in key order, null for an unknown id. */
  fetchTeamsByIds(ids: readonly string[]): Promise<(Team | null)[]>;

  /**
   * Remote id of each team's parent team, in key order; null for a team
   * with no parent (or an unknown team). Separate from the team record
   * because some providers can only infer the hierarchy.
   */
  fetchParentTeamIds(ids: readonly string[]): Promise<(string | null)[]>;

  /** One native page of work locations, in a stable order. */
  listLocations(args: PageArgs): Promise<Page<Location>>;

  /** Locations by remote id, in key order, null for an unknown id. */
  fetchLocationsByIds(ids: readonly string[]): Promise<(Location | null)[]>;

  /**
   * The company the linked account belongs to; null when the provider's API
   * has no company record.
   */
  fetchCompany(): Promise<Company | null>;
}
