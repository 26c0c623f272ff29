/**
 * The BambooHR connector: the HRIS contract over BambooHR's REST API.
 *
 * Documentation followed (documentation.bamboohr.com; operations as named in
 * the OpenAPI description behind BambooHR's official SDKs):
 * - Getting Started: `{baseUrl}/api/gateway.php/{companyDomain}/v1/…`,
 *   HTTP Basic with the API key as username and any password (`x`),
 *   `Accept: application/json` (XML otherwise), errors as a status plus an
 *   `X-BambooHR-Error-Message` header, throttling as 503 + `Retry-After`
 *   (retried by the shared client).
 * - List Employees (`list-employees`), `GET /v1/employees`. Chosen as the
 *   listing endpoint because it is the one documented employee listing with
 *   pagination: cursor pages (`page[limit]` up to 2500, `page[after]`),
 *   `filter[status]`, `filter[ids]` for batch reads by id, and optional
 *   `fields` covering everything the model needs. The alternatives read
 *   everything at once (custom reports) or can be switched off by the
 *   company and skip inactive employees (`/v1/employees/directory`).
 *   It has no modified-since filter and no email filter.
 * - Get Changed Employee IDs, `GET /v1/employees/changed?since=…`: the
 *   modified-since pushdown (changed ids, then List Employees by id) and
 *   the source of `modifiedAt`, which employee records do not carry.
 * - Get Employee Table Data, `GET /v1/employees/{id|all}/tables/{table}`
 *   for `jobInfo`, `employmentStatus` and `compensation`: employments.
 * - Get details for list fields, `GET /v1/meta/lists`: teams (departments
 *   and divisions) and locations.
 * - Get Company Information, `GET /v1/company_information`: the company.
 *
 * Field selection: every List Employees call names in `fields` only the
 * optional fields of the `Employee` fields the query reads (the table in
 * mapping.ts, `employeeFieldsFor`), plus what the connector reads itself:
 * `workEmail` to match emails, the filters' fields, `departmentId` and
 * `divisionId` to infer team parents. Personal data a query does not ask
 * for (birth date, gender, home email…) is never fetched, nor cached.
 */
import { z } from 'zod';
import { chunk, clampLimit } from '../../../../lib/batching';
import { ErrorCode, ProviderError } from '../../../../lib/errors';
import type { ProviderClient } from '../../../../lib/http';
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
import { byRemoteIds, offsetCursor, offsetOf } from '../paging';
import { ReadsByFields } from '../reads';
import {
  changedEmployeesResponseSchema,
  changedEntries,
  companyInformationSchema,
  compensationRowSchema,
  employeeFieldsFor,
  employmentStatusRowSchema,
  jobInfoRowSchema,
  listEmployeesResponseSchema,
  mapCompany,
  mapEmployee,
  mapEmployments,
  mapLocations,
  mapTeams,
  metaListsResponseSchema,
  parseTeamRemoteId,
  teamRemoteId,
} from './mapping';
import type {
  BambooCompensationRow,
  BambooEmploymentStatusRow,
  BambooJobInfoRow,
  BambooListEmployee,
  BambooMetaList,
  EmployeeTables,
} from './mapping';

const PROVIDER = 'bamboohr';

/** List Employees: documented maximum of `page[limit]`. */
export const BAMBOOHR_MAX_PAGE_SIZE = 2500;

/**
 * Ids per `filter[ids]` call. BambooHR documents no maximum; 100 keeps the
 * query string far below common URL limits.
 */
export const BAMBOOHR_MAX_IDS_PER_CALL = 100;

/** What the team hierarchy reads of every employee (`fetchParentTeamIds`). */
const TEAM_FIELDS = ['departmentId', 'divisionId'];

/** The instant before any change: `since` for "every employee". */
const EPOCH = '1970-01-01T00:00:00Z';

const credentialsSchema = z.object({
  companyDomain: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'a BambooHR company domain'),
  apiKey: z.string().min(1),
});

interface MutableTables extends EmployeeTables {
  jobInfo: BambooJobInfoRow[];
  employmentStatus: BambooEmploymentStatusRow[];
  compensation: BambooCompensationRow[];
}

/**
 * A page over a list already in memory: the cursor is an offset. Unlike
 * `pageInMemory`, the limit is not capped: team and location lists are
 * short, and a page takes what the caller asked for.
 */
function pageOf<T>(items: readonly T[], args: PageArgs): Page<T> {
  const offset = offsetOf(args.cursor);
  const end = Math.min(items.length, offset + Math.max(1, args.limit));
  return {
    items: items.slice(offset, end),
    nextCursor: end < items.length ? offsetCursor(end) : null,
  };
}

/**
 * The List Employees `fields` parameter: absent when no optional field is
 * needed (BambooHR then returns only the fields it always returns).
 */
function fieldsParam(fields: readonly string[]): string | undefined {
  return fields.length > 0 ? fields.join(',') : undefined;
}

function isNotFound(error: unknown): boolean {
  return error instanceof ProviderError && error.code === ErrorCode.NOT_FOUND;
}

export class BamboohrConnector implements HrisConnector {
  readonly provider = PROVIDER;

  readonly capabilities: HrisCapabilities = {
    bulkById: true,
    maxIdsPerCall: BAMBOOHR_MAX_IDS_PER_CALL,
    maxPageSize: BAMBOOHR_MAX_PAGE_SIZE,
    pushdown: {
      employmentStatus: true,
      workEmail: false,
      modifiedAfter: true,
    },
    fieldSelection: true,
    writes: false,
  };

  private readonly client: ProviderClient;
  private readonly logger: Logger;
  private readonly companyDomain: string;
  private readonly basePath: string;

  // Provider answers memoized for this request (the connector lives for
  // one request): several resolvers need the same company-wide reads.
  private metaLists: Promise<BambooMetaList[]> | undefined;
  private readonly rosters = new ReadsByFields<BambooListEmployee[]>();
  private lastChanged: Promise<Map<string, string | null>> | undefined;
  private allTables: Promise<Map<string, EmployeeTables>> | undefined;
  private company: Promise<Company> | undefined;

  /**
   * Throws `RELINK_NEEDED` when the linked account's credentials are not a
   * company domain and an API key: no call could succeed with them.
   */
  constructor(account: LinkedAccount, deps: ConnectorDeps) {
    const credentials = credentialsSchema.safeParse(account.credentials);
    if (!credentials.success) {
      throw new ProviderError(
        'The linked BambooHR account needs a company domain and an API key.',
        { code: ErrorCode.RELINK_NEEDED, provider: PROVIDER },
      );
    }
    this.companyDomain = credentials.data.companyDomain;
    this.basePath = `/api/gateway.php/${encodeURIComponent(
      this.companyDomain,
    )}/v1`;
    this.logger = deps.logger;
    this.client = deps.createClient({
      auth: {
        type: 'basic',
        username: credentials.data.apiKey,
        // BambooHR ignores the password; any string will do.
        password: 'x',
      },
    });
  }

  /**
   * Employees in `employeeId` order (BambooHR's order when no `sort` is
   * given). `employmentStatus` becomes `filter[status]`; `modifiedAfter`
   * goes through Get Changed Employee IDs (see `listChangedEmployees`).
   * `workEmail` is not filterable at BambooHR: the caller filters, and the
   * connector reads ahead at the maximum page size so that costs one call
   * per 2500 employees. Cursors are BambooHR's `page[after]` cursors.
   * `fields` names the selected fields and the filters' (see above).
   */
  async listEmployees(
    args: PageArgs & EmployeeFilters & EmployeeSelection,
  ): Promise<Page<Employee>> {
    // BambooHR statuses are Active and Inactive only: nothing is pending.
    if (args.employmentStatus === 'PENDING') {
      return { items: [], nextCursor: null };
    }
    const status =
      args.employmentStatus === 'ACTIVE'
        ? 'active'
        : args.employmentStatus === 'INACTIVE'
          ? 'inactive'
          : undefined;
    const fields = employeeFieldsFor(
      withFields(args.fields, filterFields(args)),
    );
    if (args.modifiedAfter) {
      return this.listChangedEmployees(args, {
        since: args.modifiedAfter,
        status,
        readAhead: Boolean(args.workEmail),
        fields,
      });
    }
    const limit = args.workEmail
      ? BAMBOOHR_MAX_PAGE_SIZE
      : clampLimit(args.limit, BAMBOOHR_MAX_PAGE_SIZE);
    const body = await this.get(listEmployeesResponseSchema, {
      path: '/employees',
      route: '/v1/employees',
      query: {
        'page[limit]': limit,
        'page[after]': args.cursor ?? undefined,
        'filter[status]': status,
        fields: fieldsParam(fields),
      },
    });
    return {
      items: body.data.map((record) => this.toEmployee(record)),
      nextCursor: body.meta.page.nextCursor ?? null,
    };
  }

  /**
   * The modified-since listing: Get Changed Employee IDs names the
   * employees changed at or after `since` (deleted ones left out), in
   * employee id order; each page reads the next ids through List Employees
   * `filter[ids]` (all 100 a call allows when the caller filters after
   * fetching). The cursor is an offset into that id list.
   */
  private async listChangedEmployees(
    args: PageArgs,
    {
      since,
      status,
      readAhead,
      fields,
    }: {
      since: Date;
      status: 'active' | 'inactive' | undefined;
      readAhead: boolean;
      fields: readonly string[];
    },
  ): Promise<Page<Employee>> {
    const changed = await this.changedSince(since.toISOString());
    const sinceMs = since.getTime();
    const ids = changed
      .filter(
        (entry) =>
          entry.action !== 'Deleted' &&
          entry.lastChanged !== null &&
          Date.parse(entry.lastChanged) >= sinceMs,
      )
      .map((entry) => entry.id)
      .sort((a, b) => Number(a) - Number(b));
    const lastChanged = new Map(
      changed.map((entry) => [entry.id, entry.lastChanged]),
    );
    const offset = offsetOf(args.cursor);
    const limit = readAhead
      ? BAMBOOHR_MAX_IDS_PER_CALL
      : clampLimit(args.limit, BAMBOOHR_MAX_IDS_PER_CALL);
    const slice = ids.slice(offset, offset + limit);
    const records =
      slice.length === 0 ? [] : await this.recordsByIds(slice, fields, status);
    const end = offset + slice.length;
    return {
      items: records.map((record) =>
        this.toEmployee(record, lastChanged.get(record.employeeId)),
      ),
      nextCursor: end < ids.length ? `offset:${end}` : null,
    };
  }

  /**
   * List Employees with `filter[ids]`, `BAMBOOHR_MAX_IDS_PER_CALL` ids per
   * call (calls run in parallel), asking for the selected fields. Non-
   * numeric ids are skipped: BambooHR employee ids are integers and would
   * answer 400.
   */
  async fetchEmployeesByIds(
    ids: readonly string[],
    selection: EmployeeSelection = {},
  ): Promise<(Employee | null)[]> {
    const wanted = [...new Set(ids)].filter((id) => /^\d+$/.test(id));
    const fields = employeeFieldsFor(selection.fields);
    const batches = await Promise.all(
      chunk(wanted, BAMBOOHR_MAX_IDS_PER_CALL).map((part) =>
        this.recordsByIds(part, fields),
      ),
    );
    const byId = new Map(
      batches.flat().map((record) => [record.employeeId, record]),
    );
    this.logger.debug(
      { provider: PROVIDER, ids: ids.length, found: byId.size },
      'employees by id',
    );
    return ids.map((id) => {
      const record = byId.get(id);
      return record ? this.toEmployee(record) : null;
    });
  }

  /**
   * BambooHR has no search by email: the whole roster is read (List
   * Employees at 2500 per page, with the selected fields and `workEmail`)
   * and indexed by lower-cased work email, whatever the number of emails
   * asked for. Once per request and field set (see `ReadsByFields`).
   */
  async fetchEmployeesByWorkEmails(
    emails: readonly string[],
    selection: EmployeeSelection = {},
  ): Promise<(Employee | null)[]> {
    const roster = await this.roster(
      employeeFieldsFor(withFields(selection.fields, ['workEmail'])),
    );
    const byEmail = new Map<string, BambooListEmployee>();
    for (const record of roster) {
      const email = record.workEmail?.trim().toLowerCase();
      if (email && !byEmail.has(email)) {
        byEmail.set(email, record);
      }
    }
    return emails.map((email) => {
      const record = byEmail.get(email.trim().toLowerCase());
      return record ? this.toEmployee(record) : null;
    });
  }

  /** One Get Changed Employee IDs call since the epoch, per request. */
  async fetchEmployeeModifiedAt(
    ids: readonly string[],
  ): Promise<(string | null)[]> {
    this.lastChanged ??= this.changedSince(EPOCH).then(
      (entries) =>
        new Map(entries.map((entry) => [entry.id, entry.lastChanged])),
    );
    const lastChanged = await this.lastChanged;
    return ids.map((id) => {
      const value = lastChanged.get(id);
      return value ? new Date(value).toISOString() : null;
    });
  }

  /**
   * One employee: its three tables (three calls). Several: the tables of
   * every employee via the id `all` (three calls whatever the count).
   */
  async fetchEmploymentsByEmployeeIds(
    employeeIds: readonly string[],
  ): Promise<Employment[][]> {
    const [id] = employeeIds;
    if (employeeIds.length === 1 && id !== undefined && !this.allTables) {
      const tables = /^\d+$/.test(id) ? await this.tablesOf(id) : undefined;
      return [tables ? mapEmployments(id, tables) : []];
    }
    const all = await this.tablesOfAll();
    return employeeIds.map((id) => {
      const tables = all.get(id);
      return tables ? mapEmployments(id, tables) : [];
    });
  }

  /** Reads every employee's tables (three calls) and picks the rows. */
  async fetchEmploymentsByIds(
    ids: readonly string[],
  ): Promise<(Employment | null)[]> {
    const all = await this.tablesOfAll();
    const byId = new Map<string, Employment>();
    for (const [employeeId, tables] of all) {
      for (const employment of mapEmployments(employeeId, tables)) {
        byId.set(employment.remoteId, employment);
      }
    }
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Departments then divisions, from one `/v1/meta/lists` call. */
  async listTeams(args: PageArgs): Promise<Page<Team>> {
    return pageOf(mapTeams(await this.lists()), args);
  }

  async fetchTeamsByIds(ids: readonly string[]): Promise<(Team | null)[]> {
    return byRemoteIds(mapTeams(await this.lists()), ids);
  }

  /**
   * BambooHR does not relate departments to divisions: each employee has
   * one of each. A department's parent is the division all its employees
   * share (read from a roster with both ids, once per request); null when
   * they differ or it has none. Divisions are top-level.
   */
  async fetchParentTeamIds(ids: readonly string[]): Promise<(string | null)[]> {
    const departments = ids.filter(
      (id) => parseTeamRemoteId(id)?.list === 'department',
    );
    if (departments.length === 0) {
      return ids.map(() => null);
    }
    const divisions = new Map<string, Set<string>>();
    for (const record of await this.roster(TEAM_FIELDS)) {
      if (record.departmentId && record.divisionId) {
        const seen = divisions.get(record.departmentId) ?? new Set<string>();
        seen.add(record.divisionId);
        divisions.set(record.departmentId, seen);
      }
    }
    return ids.map((id) => {
      const parsed = parseTeamRemoteId(id);
      const seen =
        parsed?.list === 'department'
          ? divisions.get(parsed.optionId)
          : undefined;
      const [division] = seen ?? [];
      return seen?.size === 1 && division !== undefined
        ? teamRemoteId.division(division)
        : null;
    });
  }

  /** Location options, from one `/v1/meta/lists` call. */
  async listLocations(args: PageArgs): Promise<Page<Location>> {
    return pageOf(mapLocations(await this.lists()), args);
  }

  async fetchLocationsByIds(
    ids: readonly string[],
  ): Promise<(Location | null)[]> {
    return byRemoteIds(mapLocations(await this.lists()), ids);
  }

  /** Get Company Information; the remote id is the company domain. */
  fetchCompany(): Promise<Company> {
    this.company ??= this.get(companyInformationSchema, {
      path: '/company_information',
      route: '/v1/company_information',
    }).then((info) => mapCompany(info, this.companyDomain));
    return this.company;
  }

  // -------------------------------------------------------------------------

  private toEmployee(
    record: BambooListEmployee,
    lastChanged?: string | null,
  ): Employee {
    return mapEmployee(record, {
      companyDomain: this.companyDomain,
      lastChanged: lastChanged ?? null,
    });
  }

  /**
   * One List Employees call for at most `page[limit]` ids, with the
   * optional `fields` given.
   */
  private async recordsByIds(
    ids: readonly string[],
    fields: readonly string[],
    status?: 'active' | 'inactive',
  ): Promise<BambooListEmployee[]> {
    const body = await this.get(listEmployeesResponseSchema, {
      path: '/employees',
      route: '/v1/employees',
      query: {
        'filter[ids]': ids.join(','),
        'filter[status]': status,
        'page[limit]': ids.length,
        fields: fieldsParam(fields),
      },
    });
    return body.data;
  }

  /**
   * Every employee, active and inactive, with at least the optional
   * `fields` given: once per request and field set (`ReadsByFields`).
   */
  private roster(fields: readonly string[]): Promise<BambooListEmployee[]> {
    return this.rosters.get(fields, async () => {
      const records: BambooListEmployee[] = [];
      let cursor: string | null = null;
      do {
        const body: z.infer<typeof listEmployeesResponseSchema> =
          await this.get(listEmployeesResponseSchema, {
            path: '/employees',
            route: '/v1/employees',
            query: {
              'page[limit]': BAMBOOHR_MAX_PAGE_SIZE,
              'page[after]': cursor ?? undefined,
              fields: fieldsParam(fields),
            },
          });
        records.push(...body.data);
        cursor = body.meta.page.nextCursor ?? null;
      } while (cursor !== null);
      this.logger.debug(
        {
          provider: PROVIDER,
          employees: records.length,
          fields: fields.length,
        },
        'read the roster',
      );
      return records;
    });
  }

  private async changedSince(since: string) {
    const body = await this.get(changedEmployeesResponseSchema, {
      path: '/employees/changed',
      route: '/v1/employees/changed',
      query: { since },
    });
    return changedEntries(body).map((entry) => ({
      id: entry.id,
      action: entry.action ?? null,
      lastChanged: entry.lastChanged ?? null,
    }));
  }

  private lists(): Promise<BambooMetaList[]> {
    this.metaLists ??= this.get(metaListsResponseSchema, {
      path: '/meta/lists',
      route: '/v1/meta/lists',
    });
    return this.metaLists;
  }

  /** One employee's tables; undefined when BambooHR has no such employee. */
  private async tablesOf(id: string): Promise<EmployeeTables | undefined> {
    const route = (table: string) => `/v1/employees/{id}/tables/${table}`;
    const path = (table: string) => `/employees/${id}/tables/${table}`;
    try {
      const [jobInfo, employmentStatus, compensation] = await Promise.all([
        this.get(z.array(jobInfoRowSchema), {
          path: path('jobInfo'),
          route: route('jobInfo'),
        }),
        this.get(z.array(employmentStatusRowSchema), {
          path: path('employmentStatus'),
          route: route('employmentStatus'),
        }),
        this.get(z.array(compensationRowSchema), {
          path: path('compensation'),
          route: route('compensation'),
        }),
      ]);
      return { jobInfo, employmentStatus, compensation };
    } catch (error: unknown) {
      if (isNotFound(error)) {
        return undefined;
      }
      throw error;
    }
  }

  /** Every employee's tables through the id `all`, grouped by employee. */
  private tablesOfAll(): Promise<Map<string, EmployeeTables>> {
    this.allTables ??= (async () => {
      const route = (table: string) => `/v1/employees/all/tables/${table}`;
      const path = (table: string) => `/employees/all/tables/${table}`;
      const [jobInfo, employmentStatus, compensation] = await Promise.all([
        this.get(z.array(jobInfoRowSchema), {
          path: path('jobInfo'),
          route: route('jobInfo'),
        }),
        this.get(z.array(employmentStatusRowSchema), {
          path: path('employmentStatus'),
          route: route('employmentStatus'),
        }),
        this.get(z.array(compensationRowSchema), {
          path: path('compensation'),
          route: route('compensation'),
        }),
      ]);
      const byEmployee = new Map<string, MutableTables>();
      const tablesOf = (employeeId: string): MutableTables => {
        let tables = byEmployee.get(employeeId);
        if (!tables) {
          tables = { jobInfo: [], employmentStatus: [], compensation: [] };
          byEmployee.set(employeeId, tables);
        }
        return tables;
      };
      for (const row of jobInfo) {
        tablesOf(row.employeeId).jobInfo.push(row);
      }
      for (const row of employmentStatus) {
        tablesOf(row.employeeId).employmentStatus.push(row);
      }
      for (const row of compensation) {
        tablesOf(row.employeeId).compensation.push(row);
      }
      return byEmployee;
    })();
    return this.allTables;
  }

  /**
   * GET under the company's base path, validated against `schema`. A body
   * of another shape is a provider failure (`UPSTREAM_UNAVAILABLE`); the
   * log line names the route and the number of issues, never the payload.
   */
  private async get<S extends z.ZodType>(
    schema: S,
    request: {
      path: string;
      route: string;
      query?: Record<string, string | number | undefined>;
    },
  ): Promise<z.infer<S>> {
    const body = await this.client.json<unknown>({
      method: 'GET',
      path: `${this.basePath}${request.path}`,
      route: request.route,
      ...(request.query ? { query: request.query } : {}),
    });
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
        `${PROVIDER} sent an unexpected response on GET ${request.route}.`,
        { code: ErrorCode.UPSTREAM_UNAVAILABLE, provider: PROVIDER },
      );
    }
    return parsed.data;
  }
}
