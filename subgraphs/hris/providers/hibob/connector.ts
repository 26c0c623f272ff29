/**
 * The HiBob connector: the HRIS contract over Bob's public API.
 *
 * Documentation followed (apidocs.hibob.com):
 * - API Service Users: HTTP Basic with the service user id as user name and
 *   its token as password, on `https://api.hibob.com/v1/…`.
 * - Search for employees, `POST /v1/people/search`, and the People read API
 *   contract: `fields` (field paths such as `/root/email`, `/work/title`),
 *   at most one `filters` entry (`root.id` or `root.email` with `equals` and
 *   a `values` array), `showInactive` (false by default: active employees
 *   only), `humanReadable` (`APPEND` adds display values). There is **no
 *   pagination**: one call answers every matching employee.
 * - Rate limiting: `v1/people/search` allows 50 requests a minute; over it
 *   Bob answers 429 with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
 *   `X-RateLimit-Reset` (Unix epoch seconds). The shared client waits until
 *   the reset (or a `Retry-After`, if one comes) and retries.
 *
 * What goes to Bob and what is done here:
 * - Listing: one search with `showInactive: true` per request and field
 *   set, memoized (`ReadsByFields`);
 *   Tributary's cursor is an offset into that answer, ordered by id. No
 *   filter is pushed down: Bob's search filters only by id or email, so
 *   `employmentStatus` and `workEmail` are applied after fetching. The
 *   people API has no modification instant: `modifiedAt` stays null and
 *   `modifiedAfter` is refused with BAD_USER_INPUT rather than guessed.
 * - By id and by email: the `root.id` / `root.email` filter, 100 values per
 *   call (Bob documents no maximum; 100 keeps the body small and the calls
 *   few against the 50-a-minute limit). A request that already read the
 *   roster with the fields needed answers from it.
 * - Field selection: `fields` names only the paths of the `Employee`
 *   fields the query reads (the table in mapping.ts, `hibobFieldsFor`),
 *   plus what is read here: `/root/email` to match emails, the filters'
 *   fields, departments and sites for teams and locations.
 * - Teams and locations: the departments and sites of the roster (list item
 *   ids, names from `humanReadable`).
 * - Employments and the company are not read: they need Bob's Employee
 *   Tables and company endpoints.
 *   TODO(issue 3): employments from the Employee Tables bulk reads.
 */
import { z } from 'zod';
import { chunk } from '../../../../lib/batching';
import {
  ErrorCode,
  ProviderError,
  tributaryError,
} from '../../../../lib/errors';
import type { ProviderClient, RateLimitDelay } from '../../../../lib/http';
import type { Logger } from '../../../../lib/logger';
import type { Page } from '../../../../lib/pagination';
import type { LinkedAccount } from '../../../../lib/store/store';
import type { ConnectorDeps } from '../../../../lib/subgraph';
import { filterFields, withFields } from '../../connector';
import type {
  EmployeeFilters,
  EmployeeSelection,
  HrisCapabilities,
  HrisConnector,
  PageArgs,
} from '../../connector';
import type {
  Company,
  Employee,
  Employment,
  Location,
  Team,
} from '../../models';
import { byRemoteIds, pageInMemory } from '../paging';
import { ReadsByFields } from '../reads';
import {
  compareIds,
  hibobFieldsFor,
  hibobLocations,
  hibobTeams,
  mapHibobEmployee,
  peopleSearchResponseSchema,
} from './mapping';
import type { HibobEmployee } from './mapping';

const PROVIDER = 'hibob';

/** Values per `root.id` / `root.email` filter: our bound, see above. */
export const HIBOB_MAX_IDS_PER_CALL = 100;

/** Largest page Tributary cuts from the one-call roster. */
export const HIBOB_MAX_PAGE_SIZE = 100;

/** What teams and locations read of every employee. */
const TEAM_FIELDS = ['/root/id', '/work/department'];
const LOCATION_FIELDS = ['/root/id', '/work/siteId', '/work/site'];

const credentialsSchema = z.object({
  serviceUserId: z.string().min(1),
  token: z.string().min(1),
});

/**
 * How long Bob's 429 asks us to wait: until `X-RateLimit-Reset`, in Unix
 * epoch seconds.
 */
export const hibobRateLimitDelay: RateLimitDelay = (headers, now) => {
  const reset = Number(headers['x-ratelimit-reset']);
  return Number.isFinite(reset) && reset > 0
    ? Math.max(0, reset * 1000 - now)
    : undefined;
};

type SearchFilter = { fieldPath: 'root.id' | 'root.email'; values: string[] };

export class HibobConnector implements HrisConnector {
  readonly provider = PROVIDER;

  readonly capabilities: HrisCapabilities = {
    bulkById: true,
    maxIdsPerCall: HIBOB_MAX_IDS_PER_CALL,
    maxPageSize: HIBOB_MAX_PAGE_SIZE,
    pushdown: {
      employmentStatus: false,
      workEmail: false,
      modifiedAfter: false,
    },
    fieldSelection: true,
    writes: false,
  };

  private readonly client: ProviderClient;
  private readonly logger: Logger;
  // Whole rosters read this request (the connector lives for one), by the
  // field paths they asked for.
  private readonly rosters = new ReadsByFields<HibobEmployee[]>();

  /**
   * Throws `RELINK_NEEDED` when the credentials are not a service user id
   * and token: no call could succeed with them.
   */
  constructor(account: LinkedAccount, deps: ConnectorDeps) {
    const credentials = credentialsSchema.safeParse(account.credentials);
    if (!credentials.success) {
      throw new ProviderError(
        'The linked HiBob account needs a service user id and token.',
        { code: ErrorCode.RELINK_NEEDED, provider: PROVIDER },
      );
    }
    this.logger = deps.logger;
    this.client = deps.createClient({
      auth: {
        type: 'basic',
        username: credentials.data.serviceUserId,
        password: credentials.data.token,
      },
      rateLimitDelayMs: hibobRateLimitDelay,
    });
  }

  /**
   * Pages of the one-call roster, by id; filters apply after fetching.
   * `modifiedAfter` is refused with BAD_USER_INPUT: Bob's people API says
   * nothing about when a record changed, so any answer would be a guess.
   */
  async listEmployees(
    args: PageArgs & EmployeeFilters & EmployeeSelection,
  ): Promise<Page<Employee>> {
    if (args.modifiedAfter) {
      throw tributaryError(
        ErrorCode.BAD_USER_INPUT,
        'HiBob does not tell when an employee was modified: "modifiedAfter" is not available for this linked account.',
        { provider: PROVIDER, argument: 'modifiedAfter' },
      );
    }
    const roster = await this.roster(
      hibobFieldsFor(withFields(args.fields, filterFields(args))),
    );
    // The caller filters after fetching: hand it everything from the
    // cursor on, already in memory, rather than a page at a time.
    const filtered = Boolean(args.employmentStatus || args.workEmail);
    const page = filtered
      ? pageInMemory(
          roster,
          { cursor: args.cursor, limit: roster.length },
          roster.length || 1,
        )
      : pageInMemory(roster, args, HIBOB_MAX_PAGE_SIZE);
    return {
      items: page.items.map(mapHibobEmployee),
      nextCursor: page.nextCursor,
    };
  }

  async fetchEmployeesByIds(
    ids: readonly string[],
    selection: EmployeeSelection = {},
  ): Promise<(Employee | null)[]> {
    const found = await this.lookup(
      'root.id',
      ids,
      (record) => record.id,
      hibobFieldsFor(selection.fields),
    );
    return ids.map((id) => {
      const record = found.get(id);
      return record ? mapHibobEmployee(record) : null;
    });
  }

  /** The `root.email` filter, matched case-insensitively here. */
  async fetchEmployeesByWorkEmails(
    emails: readonly string[],
    selection: EmployeeSelection = {},
  ): Promise<(Employee | null)[]> {
    const found = await this.lookup(
      'root.email',
      emails.map((email) => email.trim()),
      (record) => record.email?.trim().toLowerCase() ?? null,
      hibobFieldsFor(withFields(selection.fields, ['workEmail'])),
    );
    return emails.map((email) => {
      const record = found.get(email.trim().toLowerCase());
      return record ? mapHibobEmployee(record) : null;
    });
  }

  /** Bob's people API has no modification instant. */
  async fetchEmployeeModifiedAt(
    ids: readonly string[],
  ): Promise<(string | null)[]> {
    return ids.map(() => null);
  }

  async fetchEmploymentsByEmployeeIds(
    employeeIds: readonly string[],
  ): Promise<Employment[][]> {
    return employeeIds.map(() => []);
  }

  async fetchEmploymentsByIds(
    ids: readonly string[],
  ): Promise<(Employment | null)[]> {
    return ids.map(() => null);
  }

  async listTeams(args: PageArgs): Promise<Page<Team>> {
    return pageInMemory(
      hibobTeams(await this.roster(TEAM_FIELDS)),
      args,
      HIBOB_MAX_PAGE_SIZE,
    );
  }

  async fetchTeamsByIds(ids: readonly string[]): Promise<(Team | null)[]> {
    return byRemoteIds(hibobTeams(await this.roster(TEAM_FIELDS)), ids);
  }

  /** Bob's department list is flat as the people API shows it. */
  async fetchParentTeamIds(ids: readonly string[]): Promise<(string | null)[]> {
    return ids.map(() => null);
  }

  async listLocations(args: PageArgs): Promise<Page<Location>> {
    return pageInMemory(
      hibobLocations(await this.roster(LOCATION_FIELDS)),
      args,
      HIBOB_MAX_PAGE_SIZE,
    );
  }

  async fetchLocationsByIds(
    ids: readonly string[],
  ): Promise<(Location | null)[]> {
    return byRemoteIds(hibobLocations(await this.roster(LOCATION_FIELDS)), ids);
  }

  async fetchCompany(): Promise<Company | null> {
    return null;
  }

  // -------------------------------------------------------------------------

  /**
   * Every employee, active and not, in id order, with at least `fields`:
   * one search per request and field set.
   */
  private roster(fields: readonly string[]): Promise<HibobEmployee[]> {
    return this.rosters.get(fields, () =>
      this.search(undefined, fields).then((records) => {
        this.logger.debug(
          { provider: PROVIDER, employees: records.length },
          'read the roster',
        );
        return records.sort((a, b) => compareIds(a.id, b.id));
      }),
    );
  }

  /**
   * Records whose `key` is among `values`, with at least `fields`: from a
   * roster this request has read with them, else through the search
   * filter, in chunks.
   */
  private async lookup(
    fieldPath: SearchFilter['fieldPath'],
    values: readonly string[],
    key: (record: HibobEmployee) => string | null,
    fields: readonly string[],
  ): Promise<Map<string, HibobEmployee>> {
    const wanted = [...new Set(values.filter((value) => value !== ''))];
    const roster = this.rosters.find(fields);
    const records = roster
      ? await roster
      : (
          await Promise.all(
            chunk(wanted, HIBOB_MAX_IDS_PER_CALL).map((part) =>
              this.search({ fieldPath, values: part }, fields),
            ),
          )
        ).flat();
    const byKey = new Map<string, HibobEmployee>();
    for (const record of records) {
      const value = key(record);
      if (value !== null && !byKey.has(value)) {
        byKey.set(value, record);
      }
    }
    return byKey;
  }

  /**
   * One people search for the field paths `fields`; a body of another
   * shape is a provider failure.
   */
  private async search(
    filter: SearchFilter | undefined,
    fields: readonly string[],
  ) {
    const body = await this.client.json<unknown>({
      method: 'POST',
      path: '/v1/people/search',
      route: '/v1/people/search',
      idempotent: true,
      body: {
        fields,
        filters: filter
          ? [
              {
                fieldPath: filter.fieldPath,
                operator: 'equals',
                values: filter.values,
              },
            ]
          : [],
        showInactive: true,
        humanReadable: 'APPEND',
      },
    });
    const parsed = peopleSearchResponseSchema.safeParse(body);
    if (!parsed.success) {
      this.logger.warn(
        {
          provider: PROVIDER,
          route: '/v1/people/search',
          issues: parsed.error.issues.length,
        },
        'provider answered an unexpected shape',
      );
      throw new ProviderError(
        `${PROVIDER} sent an unexpected response on POST /v1/people/search.`,
        { code: ErrorCode.UPSTREAM_UNAVAILABLE, provider: PROVIDER },
      );
    }
    return parsed.data.employees;
  }
}
