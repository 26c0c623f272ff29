/**
 * A BambooHR stand-in that serves the seeded organizations the way the real
 * API does, so the connector talks to it exactly as it would to
 * `https://api.bamboohr.com`.
 *
 * Documentation followed (documentation.bamboohr.com and the OpenAPI
 * description behind BambooHR's official SDKs, BambooHR/bhr-api-python and
 * BambooHR/bhr-api-php `specs/public.yaml`):
 * - Getting Started: base URL `/api/gateway.php/{companyDomain}/v1/…`, HTTP
 *   Basic with the API key as username and any password, XML unless the
 *   request sends `Accept: application/json`, errors as a status code plus an
 *   `X-BambooHR-Error-Message` header, throttling as `503` + `Retry-After`.
 *   The OpenAPI names the same operations `{companyDomain}.bamboohr.com/api/v1/…`;
 *   the gateway path maps onto it one to one.
 * - List Employees (`list-employees`), `GET /v1/employees`: cursor pages,
 *   `page[limit]` (default 250, maximum 2500), `page[after]`/`page[before]`,
 *   `filter[ids]` (comma-separated or `filter[ids][]`), `filter[status]`
 *   (`active`/`inactive`), `filter[firstName|lastName|jobTitleName]`
 *   (contains, case-insensitive), `sort`, `fields`; envelope `data`,
 *   `meta.total`, `meta.page.{limit,nextCursor,prevCursor}`, `_links`;
 *   400 `{ error: { code: BadRequest | BadPage } }`.
 * - Get Employee (`get-employee`), `GET /v1/employees/{id}?fields=…`: only
 *   `id` unless fields are named; `0` is the API user's own record.
 * - Get Changed Employee IDs, `GET /v1/employees/changed?since=…`:
 *   `{ latest, employees: { [id]: { id, action, lastChanged } } }`.
 * - Get Employee Table Data, `GET /v1/employees/{id}/tables/{table}`, with
 *   the id `all` for every employee: `jobInfo`, `employmentStatus`,
 *   `compensation` rows; empty dates are `0000-00-00`.
 * - Get details for list fields, `GET /v1/meta/lists`.
 * - Get Company Information, `GET /v1/company_information`.
 *
 * Sandbox conventions the documentation leaves open: the default sort is
 * `employeeId` ascending; an unknown company domain answers 404; the
 * sandbox answers JSON only (406 otherwise); the throttle is a leaky bucket
 * per company (burst 200, 50 requests/s); histories are derived from the
 * seed (a raise one year in for anyone hired over two years ago).
 */
import express from 'express';
import type { Request, Response, Router } from 'express';
import { SEED_NOW } from '../seed';
import type { SeedEmployee, SeedOrganization } from '../seed';
import { sandboxCredentials } from '../types';
import type { SandboxProviderOptions } from '../types';

const PROVIDER = 'bamboohr';

/** List Employees: `page[limit]` default and maximum. */
export const BAMBOOHR_DEFAULT_PAGE_SIZE = 250;
export const BAMBOOHR_MAX_PAGE_SIZE = 2500;

/**
 * The sandbox's throttle per company, a leaky bucket: `burst` requests at
 * once, draining at `perSecond`. BambooHR documents no numbers; these are
 * generous enough never to trip in normal use.
 */
export interface BamboohrThrottle {
  burst: number;
  perSecond: number;
}

const DEFAULT_THROTTLE: BamboohrThrottle = { burst: 200, perSecond: 50 };

const DAY_MS = 86_400_000;
const EMPTY_DATE = '0000-00-00';

/** Sortable fields of List Employees, mapped to the record value. */
const SORTABLE = [
  'employeeId',
  'firstName',
  'lastName',
  'preferredName',
  'jobTitleName',
  'status',
] as const;
type SortField = (typeof SORTABLE)[number];

/** One list field (`/v1/meta/lists`) option. */
interface ListOption {
  id: number;
  name: string;
}

/** One organization, with everything derived from its seed once. */
interface Company {
  key: string;
  data: SeedOrganization;
  apiKey: string;
  employees: SeedEmployee[];
  byId: Map<string, SeedEmployee>;
  departments: ListOption[];
  divisions: ListOption[];
  locations: ListOption[];
  statuses: ListOption[];
  /** Leaky-bucket throttle state. */
  bucket: { level: number; at: number };
}

function options(names: Iterable<string>, firstId: number): ListOption[] {
  return [...new Set(names)]
    .sort((a, b) => a.localeCompare(b))
    .map((name, index) => ({ id: firstId + index, name }));
}

function buildCompany(key: string, data: SeedOrganization): Company {
  const employees = [...data.employees].sort(
    (a, b) => Number(a.id) - Number(b.id),
  );
  return {
    key,
    data,
    apiKey: sandboxCredentials.bamboohr(key).apiKey,
    employees,
    byId: new Map(employees.map((employee) => [employee.id, employee])),
    departments: options(
      employees.map((e) => e.department),
      18_001,
    ),
    divisions: options(
      employees.map((e) => e.division),
      18_101,
    ),
    locations: options(
      employees.map((e) => e.location),
      18_201,
    ),
    statuses: options(
      [...employees.map((e) => e.employmentType), 'Terminated'],
      18_301,
    ),
    bucket: { level: 0, at: 0 },
  };
}

function optionId(list: ListOption[], name: string): string | null {
  const option = list.find((candidate) => candidate.name === name);
  return option ? String(option.id) : null;
}

function fullName(employee: SeedEmployee): string {
  return `${employee.firstName} ${employee.lastName}`;
}

function displayName(employee: SeedEmployee): string {
  return `${employee.preferredName ?? employee.firstName} ${employee.lastName}`;
}

/** BambooHR writes timestamps as ISO 8601 with an explicit offset. */
function bambooTimestamp(iso: string): string {
  return `${iso.slice(0, 19)}+00:00`;
}

function money(amount: number): string {
  return amount.toFixed(2);
}

function employeeNumber(employee: SeedEmployee): string {
  return String(Number(employee.id) - 100);
}

function employmentStatusName(employee: SeedEmployee): string {
  return employee.status === 'Inactive'
    ? 'Terminated'
    : employee.employmentType;
}

// ---------------------------------------------------------------------------
// Tables: deterministic histories derived from the seed. Employees hired more
// than two years before the seed clock got a raise one year in.

interface CompensationStep {
  startDate: string;
  rate: number;
}

function compensationSteps(employee: SeedEmployee): CompensationStep[] {
  const hired = Date.parse(`${employee.hireDate}T00:00:00Z`);
  if (SEED_NOW - hired < 730 * DAY_MS) {
    return [{ startDate: employee.hireDate, rate: employee.payRate }];
  }
  const hourly = employee.payPeriod === 'Hour';
  const earlier = hourly
    ? Math.max(1, employee.payRate - 5)
    : Math.round((employee.payRate * 0.9) / 1000) * 1000;
  return [
    { startDate: employee.hireDate, rate: earlier },
    {
      startDate: new Date(hired + 365 * DAY_MS).toISOString().slice(0, 10),
      rate: employee.payRate,
    },
  ];
}

/** The day before `date` (yyyy-mm-dd), or undefined without a date. */
function dayBefore(date: string | undefined): string | undefined {
  return date === undefined
    ? undefined
    : new Date(Date.parse(`${date}T00:00:00Z`) - DAY_MS)
        .toISOString()
        .slice(0, 10);
}

function rowBase(employee: SeedEmployee, n: number) {
  return {
    id: String(Number(employee.id) * 10 + n),
    employeeId: employee.id,
  };
}

function jobInfoRows(company: Company, employee: SeedEmployee) {
  const supervisor = employee.supervisorId
    ? company.byId.get(employee.supervisorId)
    : undefined;
  return [
    {
      ...rowBase(employee, 1),
      date: employee.hireDate,
      location: employee.location,
      department: employee.department,
      division: employee.division,
      jobTitle: employee.jobTitle,
      reportsTo: supervisor ? fullName(supervisor) : '',
    },
  ];
}

function employmentStatusRows(employee: SeedEmployee) {
  const rows: Array<Record<string, string | null>> = [
    {
      ...rowBase(employee, 3),
      date: employee.hireDate,
      employmentStatus: employee.employmentType,
      comment: '',
      terminationReasonId: null,
      terminationTypeId: null,
      terminationRehireId: null,
      terminationRegrettableId: null,
    },
  ];
  if (employee.terminationDate) {
    rows.push({
      ...rowBase(employee, 4),
      date: employee.terminationDate,
      employmentStatus: 'Terminated',
      comment: '',
      terminationReasonId: null,
      terminationTypeId: null,
      terminationRehireId: null,
      terminationRegrettableId: null,
    });
  }
  return rows;
}

function compensationRows(employee: SeedEmployee) {
  const hourly = employee.payPeriod === 'Hour';
  const steps = compensationSteps(employee);
  return steps.map((step, index) => ({
    ...rowBase(employee, 5 + index),
    startDate: step.startDate,
    endDate: dayBefore(steps[index + 1]?.startDate) ?? EMPTY_DATE,
    rate: { currency: employee.payCurrency, value: money(step.rate) },
    type: hourly ? 'Hourly' : 'Salary',
    exempt: hourly ? 'Non-exempt' : 'Exempt',
    reason: index === 0 ? '' : 'Performance',
    comment: '',
    paidPer: employee.payPeriod,
    paySchedule: 'Twice a month',
  }));
}

const TABLES: Record<
  string,
  (company: Company, employee: SeedEmployee) => object[]
> = {
  jobInfo: jobInfoRows,
  employmentStatus: (_company, employee) => employmentStatusRows(employee),
  compensation: (_company, employee) => compensationRows(employee),
};

// ---------------------------------------------------------------------------
// Records.

/** A List Employees record with the optional `fields` the caller named. */
/** A field one of the record shapes below can carry, read off an employee. */
type FieldOf = (
  employee: SeedEmployee,
  company: Company,
  supervisor: SeedEmployee | undefined,
) => unknown;

/**
 * The optional fields of a List Employees record, by name. One table for
 * the module, not closures per employee: a directory page of 280 made 7,000
 * of them, and naming each one cost most of the answer's time under tsx.
 */
const LIST_FIELDS: Readonly<Record<string, FieldOf>> = {
  workEmail: (employee) => employee.workEmail,
  homeEmail: (employee) => employee.personalEmail,
  bestEmail: (employee) => employee.workEmail,
  mobilePhone: (employee) => employee.mobilePhone,
  employeeNumber: (employee) => employeeNumber(employee),
  displayName: (employee) => displayName(employee),
  hireDate: (employee) => employee.hireDate,
  originalHireDate: (employee) => employee.hireDate,
  terminationDate: (employee) => employee.terminationDate,
  birthDate: (employee) => employee.dateOfBirth,
  gender: (employee) => employee.gender,
  maritalStatus: (employee) => employee.maritalStatus,
  departmentId: (employee, company) =>
    optionId(company.departments, employee.department),
  departmentName: (employee) => employee.department,
  divisionId: (employee, company) =>
    optionId(company.divisions, employee.division),
  divisionName: (employee) => employee.division,
  locationId: (employee, company) =>
    optionId(company.locations, employee.location),
  locationName: (employee) => employee.location,
  reportsToId: (employee) => employee.supervisorId,
  reportsToName: (_employee, _company, supervisor) =>
    supervisor ? fullName(supervisor) : null,
  isManager: (employee, company) =>
    company.employees.some((other) => other.supervisorId === employee.id),
  employmentStatusName: (employee) => employmentStatusName(employee),
  employmentStatusEffectiveDate: (employee) =>
    employee.terminationDate ?? employee.hireDate,
  jobInformationEffectiveDate: (employee) => employee.hireDate,
  payRate: (employee) => ({
    amount: money(employee.payRate),
    currency: employee.payCurrency,
  }),
  paidPer: (employee) => employee.payPeriod,
  payType: (employee) => (employee.payPeriod === 'Hour' ? 'Hourly' : 'Salary'),
  compensationEffectiveDate: (employee) =>
    compensationSteps(employee).at(-1)?.startDate ?? null,
};

function listRecord(
  company: Company,
  employee: SeedEmployee,
  fields: ReadonlySet<string>,
): Record<string, unknown> {
  const supervisor = employee.supervisorId
    ? company.byId.get(employee.supervisorId)
    : undefined;
  const record: Record<string, unknown> = {
    employeeId: employee.id,
    firstName: employee.firstName,
    lastName: employee.lastName,
    preferredName: employee.preferredName,
    photoUrl: `https://images.bamboohr.example/${company.key}/photos/${employee.id}.jpg`,
    jobTitleName: employee.jobTitle,
    status: employee.status,
  };
  for (const field of fields) {
    const value = LIST_FIELDS[field];
    if (value) {
      record[field] = value(employee, company, supervisor);
    }
  }
  return record;
}

/** A Get Employee record: `id` plus the named fields it knows. */
/** The fields of a Get Employee record, by name. */
const LEGACY_FIELDS: Readonly<Record<string, FieldOf>> = {
  firstName: (employee) => employee.firstName,
  lastName: (employee) => employee.lastName,
  preferredName: (employee) => employee.preferredName,
  displayName: (employee) => displayName(employee),
  workEmail: (employee) => employee.workEmail,
  homeEmail: (employee) => employee.personalEmail,
  mobilePhone: (employee) => employee.mobilePhone,
  employeeNumber: (employee) => employeeNumber(employee),
  jobTitle: (employee) => employee.jobTitle,
  department: (employee) => employee.department,
  division: (employee) => employee.division,
  location: (employee) => employee.location,
  supervisor: (_employee, _company, supervisor) =>
    supervisor ? fullName(supervisor) : '',
  supervisorEId: (employee) => employee.supervisorId,
  supervisorId: (_employee, _company, supervisor) =>
    supervisor ? employeeNumber(supervisor) : null,
  status: (employee) => employee.status,
  hireDate: (employee) => employee.hireDate,
  terminationDate: (employee) => employee.terminationDate ?? EMPTY_DATE,
  dateOfBirth: (employee) => employee.dateOfBirth,
  gender: (employee) => employee.gender,
  maritalStatus: (employee) => employee.maritalStatus,
  employmentHistoryStatus: (employee) => employmentStatusName(employee),
  payRate: (employee) => `${money(employee.payRate)} ${employee.payCurrency}`,
  payPer: (employee) => employee.payPeriod,
  payType: (employee) => (employee.payPeriod === 'Hour' ? 'Hourly' : 'Salary'),
  lastChanged: (employee) => bambooTimestamp(employee.modifiedAt),
};

function legacyRecord(
  company: Company,
  employee: SeedEmployee,
  fields: readonly string[],
): Record<string, unknown> {
  const supervisor = employee.supervisorId
    ? company.byId.get(employee.supervisorId)
    : undefined;
  const record: Record<string, unknown> = { id: employee.id };
  for (const field of fields) {
    const value = LEGACY_FIELDS[field];
    if (value) {
      record[field] = value(employee, company, supervisor);
    }
  }
  return record;
}

// ---------------------------------------------------------------------------
// HTTP plumbing.

/** Query parameters from the raw URL, whatever parser the host app uses. */
function rawQuery(req: Request): URLSearchParams {
  return new URL(req.originalUrl, 'http://sandbox.invalid').searchParams;
}

function flatQuery(params: URLSearchParams): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? values[0] : values;
  }
  return query;
}

/** BambooHR's error answer: a status and `X-BambooHR-Error-Message`. */
function fail(
  res: Response,
  status: number,
  message: string,
  body?: unknown,
): void {
  res.status(status).set('X-BambooHR-Error-Message', message);
  if (body === undefined) {
    res.end();
  } else {
    res.json(body);
  }
}

function badRequest(
  res: Response,
  code: 'BadRequest' | 'BadPage',
  message: string,
): void {
  fail(res, 400, message, { error: { code, message } });
}

function basicApiKey(header: string | undefined): string | null {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) {
    return null;
  }
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  return separator > 0 ? decoded.slice(0, separator) : null;
}

/** Drains the bucket, then admits the request if it has room. */
function admit(
  company: Company,
  now: number,
  throttle: BamboohrThrottle,
): boolean {
  const { bucket } = company;
  const drained = ((now - bucket.at) / 1000) * throttle.perSecond;
  bucket.level = Math.max(0, bucket.level - drained);
  bucket.at = now;
  if (bucket.level + 1 > throttle.burst) {
    return false;
  }
  bucket.level += 1;
  return true;
}

function listParam(params: URLSearchParams, name: string): string[] {
  return [...params.getAll(name), ...params.getAll(`${name}[]`)]
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

function encodeCursor(employeeId: string): string {
  return Buffer.from(`employee:${employeeId}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string | null {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^employee:\d+$/.test(decoded) ? decoded.slice(9) : null;
}

function sortValue(employee: SeedEmployee, field: SortField): string | number {
  switch (field) {
    case 'employeeId':
      return Number(employee.id);
    case 'firstName':
      return employee.firstName;
    case 'lastName':
      return employee.lastName;
    case 'preferredName':
      return employee.preferredName ?? '';
    case 'jobTitleName':
      return employee.jobTitle;
    case 'status':
      return employee.status;
  }
}

function compare(a: string | number, b: string | number): number {
  return typeof a === 'number' && typeof b === 'number'
    ? a - b
    : String(a).localeCompare(String(b));
}

// ---------------------------------------------------------------------------
// Handlers.

function listEmployees(company: Company, req: Request, res: Response): void {
  const params = rawQuery(req);

  // Page size: default 250, at most 2500.
  const limitText = params.get('page[limit]');
  const limit =
    limitText === null ? BAMBOOHR_DEFAULT_PAGE_SIZE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > BAMBOOHR_MAX_PAGE_SIZE) {
    badRequest(
      res,
      'BadRequest',
      `page[limit] must be an integer from 1 to ${BAMBOOHR_MAX_PAGE_SIZE}.`,
    );
    return;
  }
  const after = params.get('page[after]');
  const before = params.get('page[before]');
  if (after !== null && before !== null) {
    badRequest(res, 'BadPage', 'page[after] and page[before] are exclusive.');
    return;
  }

  // Filters, combined with AND.
  const status = params.get('filter[status]');
  if (status !== null && status !== 'active' && status !== 'inactive') {
    badRequest(res, 'BadRequest', 'filter[status] must be active or inactive.');
    return;
  }
  const ids = listParam(params, 'filter[ids]');
  if (ids.some((id) => !/^\d+$/.test(id))) {
    badRequest(res, 'BadRequest', 'filter[ids] must hold employee ids.');
    return;
  }
  const contains: Array<[string | null, (e: SeedEmployee) => string]> = [
    [params.get('filter[firstName]'), (e) => e.firstName],
    [params.get('filter[lastName]'), (e) => e.lastName],
    [params.get('filter[jobTitleName]'), (e) => e.jobTitle],
  ];
  const idSet = new Set(ids);
  let matching = company.employees.filter(
    (employee) =>
      (status === null || employee.status.toLowerCase() === status) &&
      (ids.length === 0 || idSet.has(employee.id)) &&
      contains.every(
        ([needle, value]) =>
          needle === null ||
          value(employee).toLowerCase().includes(needle.toLowerCase()),
      ),
  );

  // Sort: comma-separated fields, `-` for descending, employeeId as the
  // final tie-breaker so cursors are stable.
  const sortSpec = (params.get('sort') ?? 'employeeId')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const keys: Array<{ field: SortField; direction: number }> = [];
  for (const part of sortSpec) {
    const field = part.replace(/^-/, '');
    if (!(SORTABLE as readonly string[]).includes(field)) {
      badRequest(res, 'BadRequest', `Invalid sort field: ${field}.`);
      return;
    }
    keys.push({
      field: field as SortField,
      direction: part.startsWith('-') ? -1 : 1,
    });
  }
  keys.push({ field: 'employeeId', direction: 1 });
  matching = [...matching].sort((a, b) => {
    for (const key of keys) {
      const order = compare(sortValue(a, key.field), sortValue(b, key.field));
      if (order !== 0) {
        return order * key.direction;
      }
    }
    return 0;
  });

  // Cursor: the boundary employee, who must still be in the result set.
  let start = 0;
  let end = Math.min(limit, matching.length);
  const boundaryCursor = after ?? before;
  if (boundaryCursor !== null) {
    const boundaryId = decodeCursor(boundaryCursor);
    const boundary = matching.findIndex((e) => e.id === boundaryId);
    if (boundaryId === null || boundary === -1) {
      badRequest(
        res,
        'BadPage',
        'The page cursor is malformed or its employee no longer matches.',
      );
      return;
    }
    if (after !== null) {
      start = boundary + 1;
      end = Math.min(start + limit, matching.length);
    } else {
      end = boundary;
      start = Math.max(0, end - limit);
    }
  }
  const page = matching.slice(start, end);
  const last = page.at(-1);
  const firstOnPage = page.at(0);
  const nextCursor =
    end < matching.length && last ? encodeCursor(last.id) : null;
  const prevCursor =
    start > 0 && firstOnPage ? encodeCursor(firstOnPage.id) : null;

  // Links: the request URL with the cursor swapped.
  const self = new URL(
    req.originalUrl,
    `${req.protocol}://${req.get('host') ?? 'localhost'}`,
  );
  const link = (name: 'page[after]' | 'page[before]', cursor: string) => {
    const url = new URL(self);
    url.searchParams.delete('page[after]');
    url.searchParams.delete('page[before]');
    url.searchParams.set(name, cursor);
    return { href: url.toString() };
  };
  const fields = new Set(listParam(params, 'fields'));
  res.json({
    data: page.map((employee) => listRecord(company, employee, fields)),
    meta: { total: matching.length, page: { limit, nextCursor, prevCursor } },
    _links: {
      self: { href: self.toString() },
      ...(nextCursor ? { next: link('page[after]', nextCursor) } : {}),
      ...(prevCursor ? { prev: link('page[before]', prevCursor) } : {}),
    },
  });
}

function changedEmployees(company: Company, req: Request, res: Response): void {
  const params = rawQuery(req);
  const since = params.get('since');
  const sinceMs = since === null ? Number.NaN : Date.parse(since);
  if (Number.isNaN(sinceMs)) {
    fail(res, 400, 'The since parameter must be an ISO 8601 timestamp.');
    return;
  }
  const type = params.get('type');
  const employees: Record<string, unknown> = {};
  let latest: string | null = null;
  for (const employee of company.employees) {
    const action =
      employee.modifiedAt > employee.createdAt ? 'Updated' : 'Inserted';
    if (Date.parse(employee.modifiedAt) < sinceMs) {
      continue;
    }
    if (type !== null && type.toLowerCase() !== action.toLowerCase()) {
      continue;
    }
    const lastChanged = bambooTimestamp(employee.modifiedAt);
    employees[employee.id] = { id: employee.id, action, lastChanged };
    if (latest === null || lastChanged > latest) {
      latest = lastChanged;
    }
  }
  res.json({ latest, employees });
}

function getEmployee(
  company: Company,
  req: Request,
  res: Response,
  id: string,
): void {
  if (id === '0') {
    // The sandbox API key belongs to an integration user with no record.
    res.json({ id: '0' });
    return;
  }
  const employee = company.byId.get(id);
  if (!employee) {
    fail(res, 404, 'Employee not found.');
    return;
  }
  const fields = listParam(rawQuery(req), 'fields');
  res.json(legacyRecord(company, employee, fields));
}

function tableRows(
  company: Company,
  res: Response,
  id: string,
  table: string,
): void {
  const rows = TABLES[table];
  if (!rows) {
    fail(res, 404, `Unknown table: ${table}.`);
    return;
  }
  if (id === 'all') {
    res.json(company.employees.flatMap((e) => rows(company, e)));
    return;
  }
  const employee = company.byId.get(id);
  if (!employee) {
    fail(res, 404, 'Employee not found.');
    return;
  }
  res.json(rows(company, employee));
}

function metaLists(company: Company, res: Response): void {
  const created = bambooTimestamp(
    new Date(SEED_NOW - 3_650 * DAY_MS).toISOString(),
  );
  const list = (
    fieldId: number,
    alias: string,
    name: string,
    values: ListOption[],
  ) => ({
    fieldId,
    alias,
    manageable: 'yes',
    multiple: 'no',
    name,
    options: values.map((option) => ({
      id: option.id,
      archived: 'no',
      createdDate: created,
      archivedDate: null,
      name: option.name,
    })),
  });
  res.json([
    list(4, 'department', 'Department', company.departments),
    list(5, 'division', 'Division', company.divisions),
    list(6, 'location', 'Location', company.locations),
    list(16, 'employmentHistoryStatus', 'Employment Status', company.statuses),
  ]);
}

/**
 * The BambooHR sandbox. Mount it at `/bamboohr`; a linked account's base
 * URL is then `http://host:port/bamboohr`, and each organization is the
 * company domain `key` with the API key `sandboxCredentials.bamboohr(key)`.
 */
export function createBamboohrSandbox(
  options: SandboxProviderOptions,
  throttle: BamboohrThrottle = DEFAULT_THROTTLE,
): Router {
  const companies = new Map(
    options.organizations.map((organization) => [
      organization.key,
      buildCompany(organization.key, organization.data),
    ]),
  );
  const router = express.Router();
  router.use(express.json());

  router.use((req, _res, next) => {
    options.recorder.record({
      provider: PROVIDER,
      method: req.method,
      path: req.path,
      query: flatQuery(rawQuery(req)),
      body: req.body === undefined ? null : (req.body as unknown),
      at: Date.now(),
    });
    next();
  });

  // Tenant selection, authentication, content negotiation and throttling,
  // in the order BambooHR applies them.
  router.use('/api/gateway.php/:companyDomain/v1', (req, res, next) => {
    const domain = req.params.companyDomain ?? '';
    const company = companies.get(domain);
    if (!company) {
      fail(res, 404, 'Company not found.');
      return;
    }
    if (basicApiKey(req.get('authorization')) !== company.apiKey) {
      fail(res, 401, 'API key missing or invalid.');
      return;
    }
    if (!(req.get('accept') ?? '').includes('application/json')) {
      fail(
        res,
        406,
        'The sandbox answers JSON only: send Accept: application/json.',
      );
      return;
    }
    if (!admit(company, Date.now(), throttle)) {
      res.set('Retry-After', '1');
      fail(res, 503, 'Rate limit exceeded. Retry later.');
      return;
    }
    res.locals.company = company;
    next();
  });

  const company = (res: Response): Company => res.locals.company as Company;
  const base = '/api/gateway.php/:companyDomain/v1';

  router.get(`${base}/employees`, (req, res) => {
    listEmployees(company(res), req, res);
  });
  router.get(`${base}/employees/changed`, (req, res) => {
    changedEmployees(company(res), req, res);
  });
  router.get(`${base}/employees/:id/tables/:table`, (req, res) => {
    tableRows(company(res), res, req.params.id, req.params.table);
  });
  router.get(`${base}/employees/:id`, (req, res) => {
    getEmployee(company(res), req, res, req.params.id);
  });
  router.get(`${base}/meta/lists`, (_req, res) => {
    metaLists(company(res), res);
  });
  router.get(`${base}/company_information`, (_req, res) => {
    const { data } = company(res);
    res.json({ legalName: data.legalName, displayName: data.companyName });
  });
  router.use(base, (_req, res) => {
    fail(res, 404, 'Not found.');
  });

  return router;
}
