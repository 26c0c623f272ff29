/**
 * The Personio connector: the HRIS contract over Personio's Personnel Data
 * API.
 *
 * Documentation followed (developer.personio.de):
 * - Authentication v2, `POST /v2/auth/token` (the current token endpoint;
 *   `POST /v1/auth` with credentials in the query string is deprecated):
 *   `application/x-www-form-urlencoded` `grant_type=client_credentials`,
 *   `client_id`, `client_secret`; the answer is an OAuth 2.0 token response
 *   (`access_token`, `token_type`, `expires_in` in seconds: 86400). The
 *   token is stable for its lifetime, usable in parallel and valid for every
 *   Personnel Data endpoint, v1 included. Invalid credentials answer 400
 *   (`invalid_client`) or 401: the linked account needs relinking.
 * - List Employees, `GET /v1/company/employees`: offset pagination,
 *   `limit` at most 100 (default 50) and `offset` (the position of the
 *   first record), `metadata.total_elements`; `attributes[]` selects the
 *   attributes returned; `email` filters by work email; `updated_since`
 *   (ISO 8601 without offset, `2022-12-24T08:15:30`) selects employees
 *   updated since then and makes Personio ignore `email`, `limit` and
 *   `offset` (all matches in one answer).
 * - Get Employee, `GET /v1/company/employees/{employee_id}`; no bulk read by
 *   id exists.
 * - Errors: `{ success: false, error: { code, message } }` with the HTTP
 *   status; 401 for a rejected token. Rate limits: List Employees 300 a
 *   minute (bursts of 15 a second), answered with 429; Personio asks for a
 *   retry after at least one second, which the shared client waits when no
 *   `Retry-After` says otherwise.
 *
 * The token: reused until a minute before expiry, then refreshed; one token
 * request at a time per linked account (concurrent requests wait for it);
 * a 401 on a data call drops the token and retries once with a new one
 * (Personio may revoke a token early, `POST /v2/auth/revoke`).
 *
 * What goes to Personio and what is done here:
 * - `modifiedAfter` → `updated_since`, in UTC (Tributary's instants are
 *   UTC; Personio's documented format carries no offset). That answer is
 *   unpaged, so it is read once per request and paged here.
 * - `workEmail` → `email` (applied here on the `updated_since` path, where
 *   Personio ignores it).
 * - Field selection: `attributes[]` names only the attributes of the
 *   `Employee` fields the query reads (the table in mapping.ts,
 *   `personioAttributesFor`), plus what is read here: `email` to match
 *   emails, the filters' attributes, the employment attributes for
 *   employments, departments and offices for teams and locations. Reads
 *   are memoized per request by attribute set (`ReadsByFields`).
 * - `employmentStatus` is filtered after fetching (v1 has no status filter).
 * - By id: Get Employee per id, four at a time; by email: `email` per
 *   address, four at a time; beyond 25 keys the roster is read instead
 *   (100 per call), which is cheaper.
 * - Teams and locations: the departments and offices of the roster.
 *   Employments: the current one, from the employee record (v1 keeps no
 *   history). The company: none (v1 has no company record).
 */
import { z } from 'zod';
import { clampLimit, mapConcurrently } from '../../../../lib/batching';
import { ErrorCode, ProviderError } from '../../../../lib/errors';
import type {
  ProviderClient,
  ProviderRequest,
  RateLimitDelay,
} from '../../../../lib/http';
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
import { byRemoteIds, offsetCursor, offsetOf, pageInMemory } from '../paging';
import { ReadsByFields } from '../reads';
import {
  getEmployeeResponseSchema,
  listEmployeesResponseSchema,
  mapPersonioEmployee,
  mapPersonioEmployment,
  personioAttributesFor,
  personioEmployeeId,
  personioLocations,
  personioTeams,
  tokenResponseSchema,
} from './mapping';
import type { PersonioEmployee } from './mapping';
import { AccessTokenCache, tokenKey } from './token';

const PROVIDER = 'personio';

/** List Employees: documented maximum of `limit`. */
export const PERSONIO_MAX_PAGE_SIZE = 100;

/** Get Employee calls in flight at once for one batch. */
export const PERSONIO_CONCURRENCY = 4;

/** Above this many ids or emails, reading the roster costs fewer calls. */
export const PERSONIO_ROSTER_THRESHOLD = 25;

/** What employments, teams and locations read of an employee. */
const EMPLOYMENT_ATTRIBUTES = personioAttributesFor(new Set(['employments']));
const TEAM_ATTRIBUTES = ['id', 'department'];
const LOCATION_ATTRIBUTES = ['id', 'office'];

/** Tokens of every Personio linked account of this process. */
export const personioTokens = new AccessTokenCache({ refreshBeforeMs: 60_000 });

/** Personio asks for at least a second between a 429 and the retry. */
export const personioRateLimitDelay: RateLimitDelay = () => 1_000;

const credentialsSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});

export interface PersonioConnectorOptions {
  /** Where tokens are kept; default the process-wide `personioTokens`. */
  tokens?: AccessTokenCache;
}

/** `updated_since`: UTC, seconds, no offset, as Personio documents it. */
export function updatedSince(instant: Date): string {
  return instant.toISOString().slice(0, 19);
}

function isNotFound(error: unknown): boolean {
  return error instanceof ProviderError && error.code === ErrorCode.NOT_FOUND;
}

export class PersonioConnector implements HrisConnector {
  readonly provider = PROVIDER;

  readonly capabilities: HrisCapabilities = {
    bulkById: false,
    maxIdsPerCall: 1,
    maxPageSize: PERSONIO_MAX_PAGE_SIZE,
    pushdown: {
      employmentStatus: false,
      workEmail: true,
      modifiedAfter: true,
    },
    fieldSelection: true,
    writes: false,
  };

  private readonly client: ProviderClient;
  private readonly logger: Logger;
  private readonly tokens: AccessTokenCache;
  private readonly tokenKey: string;
  private readonly credentials: z.infer<typeof credentialsSchema>;

  // Provider answers memoized for this request (the connector lives for
  // one), by the attributes they asked for.
  private readonly rosters = new ReadsByFields<PersonioEmployee[]>();
  private readonly changed = new Map<string, Promise<PersonioEmployee[]>>();
  private readonly byId = new Map<
    string,
    ReadsByFields<PersonioEmployee | null>
  >();

  /**
   * Throws `RELINK_NEEDED` when the credentials are not a client id and
   * secret: no call could succeed with them.
   */
  constructor(
    account: LinkedAccount,
    deps: ConnectorDeps,
    options: PersonioConnectorOptions = {},
  ) {
    const credentials = credentialsSchema.safeParse(account.credentials);
    if (!credentials.success) {
      throw new ProviderError(
        'The linked Personio account needs a client id and secret.',
        { code: ErrorCode.RELINK_NEEDED, provider: PROVIDER },
      );
    }
    this.credentials = credentials.data;
    this.logger = deps.logger;
    this.tokens = options.tokens ?? personioTokens;
    this.tokenKey = tokenKey(
      account.id,
      credentials.data.clientId,
      credentials.data.clientSecret,
    );
    // The bearer token changes over time: each request carries its own.
    this.client = deps.createClient({
      auth: { type: 'none' },
      rateLimitDelayMs: personioRateLimitDelay,
    });
  }

  /**
   * Offset pages of List Employees (`offset:<n>` cursors), or with
   * `modifiedAfter` the one `updated_since` answer paged here.
   */
  async listEmployees(
    args: PageArgs & EmployeeFilters & EmployeeSelection,
  ): Promise<Page<Employee>> {
    const attributes = personioAttributesFor(
      withFields(args.fields, filterFields(args)),
    );
    if (args.modifiedAfter) {
      let records = await this.changedSince(args.modifiedAfter, attributes);
      if (args.workEmail) {
        const email = args.workEmail.trim().toLowerCase();
        records = records.filter(
          (record) =>
            mapPersonioEmployee(record)?.workEmail?.toLowerCase() === email,
        );
      }
      const page = pageInMemory(records, args, PERSONIO_MAX_PAGE_SIZE);
      return { items: this.employees(page.items), nextCursor: page.nextCursor };
    }
    const offset = offsetOf(args.cursor);
    const limit = args.employmentStatus
      ? PERSONIO_MAX_PAGE_SIZE
      : clampLimit(args.limit, PERSONIO_MAX_PAGE_SIZE);
    const body = await this.listPage({
      offset,
      limit,
      email: args.workEmail?.trim() || undefined,
      attributes,
    });
    const end = offset + body.data.length;
    const total = body.metadata?.total_elements;
    const more =
      typeof total === 'number' ? end < total : body.data.length === limit;
    return {
      items: this.employees(body.data),
      nextCursor: more && body.data.length > 0 ? offsetCursor(end) : null,
    };
  }

  async fetchEmployeesByIds(
    ids: readonly string[],
    selection: EmployeeSelection = {},
  ): Promise<(Employee | null)[]> {
    const records = await this.recordsByIds(
      ids,
      personioAttributesFor(selection.fields),
    );
    return records.map((record) =>
      record ? mapPersonioEmployee(record) : null,
    );
  }

  /** Matched case-insensitively. */
  async fetchEmployeesByWorkEmails(
    emails: readonly string[],
    selection: EmployeeSelection = {},
  ): Promise<(Employee | null)[]> {
    const wanted = [
      ...new Set(emails.map((email) => email.trim().toLowerCase())),
    ].filter((email) => email !== '');
    const attributes = personioAttributesFor(
      withFields(selection.fields, ['workEmail']),
    );
    let records: PersonioEmployee[];
    const roster = this.rosters.find(attributes);
    if (roster || wanted.length > PERSONIO_ROSTER_THRESHOLD) {
      records = await (roster ?? this.roster(attributes));
    } else {
      records = (
        await mapConcurrently(wanted, PERSONIO_CONCURRENCY, (email) =>
          this.listPage({ offset: 0, limit: 1, email, attributes }).then(
            (body) => body.data,
          ),
        )
      ).flat();
    }
    const byEmail = new Map<string, Employee>();
    for (const employee of this.employees(records)) {
      const email = employee.workEmail?.toLowerCase();
      if (email && !byEmail.has(email)) {
        byEmail.set(email, employee);
      }
    }
    return emails.map(
      (email) => byEmail.get(email.trim().toLowerCase()) ?? null,
    );
  }

  /** Employee records carry `last_modified_at`. */
  async fetchEmployeeModifiedAt(
    ids: readonly string[],
  ): Promise<(string | null)[]> {
    const employees = await this.fetchEmployeesByIds(ids, {
      fields: new Set(['modifiedAt']),
    });
    return employees.map((employee) => employee?.modifiedAt ?? null);
  }

  async fetchEmploymentsByEmployeeIds(
    employeeIds: readonly string[],
  ): Promise<Employment[][]> {
    const records = await this.recordsByIds(employeeIds, EMPLOYMENT_ATTRIBUTES);
    return records.map((record) => {
      const employment = record ? mapPersonioEmployment(record) : null;
      return employment ? [employment] : [];
    });
  }

  async fetchEmploymentsByIds(
    ids: readonly string[],
  ): Promise<(Employment | null)[]> {
    const records = await this.recordsByIds(ids, EMPLOYMENT_ATTRIBUTES);
    return records.map((record) =>
      record ? mapPersonioEmployment(record) : null,
    );
  }

  async listTeams(args: PageArgs): Promise<Page<Team>> {
    return pageInMemory(
      personioTeams(await this.roster(TEAM_ATTRIBUTES)),
      args,
      PERSONIO_MAX_PAGE_SIZE,
    );
  }

  async fetchTeamsByIds(ids: readonly string[]): Promise<(Team | null)[]> {
    return byRemoteIds(personioTeams(await this.roster(TEAM_ATTRIBUTES)), ids);
  }

  /** Personio departments are flat. */
  async fetchParentTeamIds(ids: readonly string[]): Promise<(string | null)[]> {
    return ids.map(() => null);
  }

  async listLocations(args: PageArgs): Promise<Page<Location>> {
    return pageInMemory(
      personioLocations(await this.roster(LOCATION_ATTRIBUTES)),
      args,
      PERSONIO_MAX_PAGE_SIZE,
    );
  }

  async fetchLocationsByIds(
    ids: readonly string[],
  ): Promise<(Location | null)[]> {
    return byRemoteIds(
      personioLocations(await this.roster(LOCATION_ATTRIBUTES)),
      ids,
    );
  }

  async fetchCompany(): Promise<Company | null> {
    return null;
  }

  // -------------------------------------------------------------------------

  private employees(records: readonly PersonioEmployee[]): Employee[] {
    return records
      .map(mapPersonioEmployee)
      .filter((employee): employee is Employee => employee !== null);
  }

  /**
   * Records by id in key order with at least `attributes`, null when
   * unknown: from a roster this request read with them or, for a large
   * batch, a new one; else Get Employee per id.
   */
  private async recordsByIds(
    ids: readonly string[],
    attributes: readonly string[],
  ): Promise<(PersonioEmployee | null)[]> {
    const numeric = [...new Set(ids)].filter((id) => /^\d+$/.test(id));
    const roster = this.rosters.find(attributes);
    if (roster || numeric.length > PERSONIO_ROSTER_THRESHOLD) {
      const byId = new Map(
        (await (roster ?? this.roster(attributes))).map((record) => [
          personioEmployeeId(record),
          record,
        ]),
      );
      return ids.map((id) => byId.get(id) ?? null);
    }
    const records = await mapConcurrently(numeric, PERSONIO_CONCURRENCY, (id) =>
      this.recordById(id, attributes),
    );
    const byId = new Map(numeric.map((id, index) => [id, records[index]]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Get Employee, once per request and attribute set for each id. */
  private recordById(
    id: string,
    attributes: readonly string[],
  ): Promise<PersonioEmployee | null> {
    let reads = this.byId.get(id);
    if (!reads) {
      reads = new ReadsByFields();
      this.byId.set(id, reads);
    }
    return reads.get(attributes, () =>
      this.call(getEmployeeResponseSchema, {
        path: `/v1/company/employees/${id}`,
        route: '/v1/company/employees/{employee_id}',
        query: { 'attributes[]': attributes },
      }).then(
        (body) => body.data,
        (error: unknown) => {
          if (isNotFound(error)) {
            return null;
          }
          throw error;
        },
      ),
    );
  }

  private listPage(args: {
    offset: number;
    limit: number;
    email?: string | undefined;
    attributes: readonly string[];
  }) {
    return this.call(listEmployeesResponseSchema, {
      path: '/v1/company/employees',
      route: '/v1/company/employees',
      query: {
        limit: args.limit,
        offset: args.offset,
        email: args.email,
        'attributes[]': args.attributes,
      },
    });
  }

  /**
   * Every employee, in Personio's order, 100 a call, with at least
   * `attributes`: once per request and attribute set.
   */
  private roster(attributes: readonly string[]): Promise<PersonioEmployee[]> {
    return this.rosters.get(attributes, async () => {
      const records: PersonioEmployee[] = [];
      for (;;) {
        const body = await this.listPage({
          offset: records.length,
          limit: PERSONIO_MAX_PAGE_SIZE,
          attributes,
        });
        records.push(...body.data);
        const total = body.metadata?.total_elements;
        const done =
          body.data.length === 0 ||
          (typeof total === 'number'
            ? records.length >= total
            : body.data.length < PERSONIO_MAX_PAGE_SIZE);
        if (done) {
          break;
        }
      }
      this.logger.debug(
        { provider: PROVIDER, employees: records.length },
        'read the roster',
      );
      return records;
    });
  }

  /** The `updated_since` answer, once per request, instant and attributes. */
  private changedSince(
    since: Date,
    attributes: readonly string[],
  ): Promise<PersonioEmployee[]> {
    const instant = updatedSince(since);
    const key = `${instant} ${attributes.join(',')}`;
    let pending = this.changed.get(key);
    if (!pending) {
      pending = this.call(listEmployeesResponseSchema, {
        path: '/v1/company/employees',
        route: '/v1/company/employees',
        query: { updated_since: instant, 'attributes[]': attributes },
      }).then((body) => body.data);
      this.changed.set(key, pending);
    }
    return pending;
  }

  /**
   * A GET with the linked account's token, validated against `schema`. A
   * 401 drops the token and retries once with a fresh one; a second 401 is
   * `RELINK_NEEDED`.
   */
  private async call<S extends z.ZodType>(
    schema: S,
    request: Omit<ProviderRequest, 'headers' | 'method'>,
  ): Promise<z.infer<S>> {
    let token = await this.token();
    let body: unknown;
    try {
      body = await this.client.json<unknown>({
        ...request,
        headers: { authorization: `Bearer ${token}` },
      });
    } catch (error: unknown) {
      if (!(error instanceof ProviderError) || error.status !== 401) {
        throw error;
      }
      this.tokens.invalidate(this.tokenKey, token);
      token = await this.token();
      body = await this.client.json<unknown>({
        ...request,
        headers: { authorization: `Bearer ${token}` },
      });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      this.logger.warn(
        {
          provider: PROVIDER,
          route: request.route,
          issues: parsed.error.issues.length,
        },
        'provider answered an unexpected shape',
      );
      throw new ProviderError(
        `${PROVIDER} sent an unexpected response on GET ${request.route ?? ''}.`,
        { code: ErrorCode.UPSTREAM_UNAVAILABLE, provider: PROVIDER },
      );
    }
    return parsed.data;
  }

  /** The linked account's access token (see `AccessTokenCache`). */
  private token(): Promise<string> {
    return this.tokens.get(this.tokenKey, async () => {
      let body: unknown;
      try {
        body = await this.client.json<unknown>({
          method: 'POST',
          path: '/v2/auth/token',
          route: '/v2/auth/token',
          // Asking for a token twice is harmless: retries are safe.
          idempotent: true,
          form: {
            grant_type: 'client_credentials',
            client_id: this.credentials.clientId,
            client_secret: this.credentials.clientSecret,
          },
        });
      } catch (error: unknown) {
        // Personio answers rejected client credentials with 400
        // (`invalid_client`) or 401.
        if (
          error instanceof ProviderError &&
          (error.status === 400 || error.status === 401 || error.status === 403)
        ) {
          throw new ProviderError(
            'Personio rejected the linked account’s client credentials.',
            {
              code: ErrorCode.RELINK_NEEDED,
              provider: PROVIDER,
              status: error.status,
              cause: error,
            },
          );
        }
        throw error;
      }
      const parsed = tokenResponseSchema.safeParse(body);
      if (!parsed.success) {
        throw new ProviderError(
          `${PROVIDER} sent an unexpected response on POST /v2/auth/token.`,
          { code: ErrorCode.UPSTREAM_UNAVAILABLE, provider: PROVIDER },
        );
      }
      this.logger.debug({ provider: PROVIDER }, 'issued an access token');
      return {
        token: parsed.data.access_token,
        expiresInMs: parsed.data.expires_in * 1000,
      };
    });
  }
}
