/**
 * A Personio stand-in serving the seeded organizations the way Personio's
 * Personnel Data API does, so the connector talks to it exactly as it would
 * to `https://api.personio.de`.
 *
 * Documentation followed (developer.personio.de):
 * - Authentication v2: `POST /v2/auth/token`, form-encoded
 *   `grant_type=client_credentials`, `client_id`, `client_secret`; an OAuth
 *   2.0 token response (`access_token`, `token_type: "Bearer"`,
 *   `expires_in: 86400`, `scope`); the same token for every call in its
 *   lifetime. `POST /v2/auth/revoke` (form `token`) invalidates a token.
 * - List Employees, `GET /v1/company/employees`: `limit` (default 50, at
 *   most 100), `offset` (position of the first record), `email`,
 *   `updated_since` (`2022-12-24T08:15:30`; ignores `email`, `limit` and
 *   `offset`), `attributes[]` (projection); answer `{ success: true,
 *   metadata: { total_elements, current_page, total_pages }, offset, limit,
 *   data: [{ type: "Employee", attributes: { <name>: { label, value, type,
 *   universal_id } } }] }`.
 * - Get Employee, `GET /v1/company/employees/{employee_id}`:
 *   `{ success: true, data: <employee> }`.
 * - Errors: `{ success: false, error: { code, message } }`; 401 for a
 *   missing, expired or revoked token; 404 for an unknown employee. Rate
 *   limit of List Employees: 300 a minute with bursts of 15 a second, over
 *   which 429 (Personio asks clients to wait at least a second; it
 *   documents no `Retry-After`).
 *
 * Sandbox conventions the documentation leaves open: `updated_since` is read
 * as UTC; token errors answer 400 `{ error: "invalid_client" |
 * "unsupported_grant_type" | "invalid_request" }` as OAuth 2.0 does; the
 * rate limit is a token bucket per company (sizes are options, for tests);
 * employee ids are `420000 + seed id`; the company's offset is +01:00; the
 * status is `inactive` for inactive seed employees, else `leave` when the
 * seed id is a multiple of 37, `onboarding` when a multiple of 41, else
 * `active`; Berlin employees are paid monthly, everyone else yearly or
 * hourly.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import type { Request, Response, Router } from 'express';
import type { SeedEmployee, SeedOrganization } from '../seed';
import { sandboxCredentials } from '../types';
import type { SandboxProviderOptions } from '../types';

const PROVIDER = 'personio';

export const PERSONIO_DEFAULT_LIMIT = 50;
export const PERSONIO_MAX_LIMIT = 100;

export interface PersonioSandboxLimits {
  /** Token lifetime in seconds. Default 86_400. */
  tokenTtlSeconds?: number;
  /** List Employees burst. Default 15. */
  burst?: number;
  /** List Employees sustained rate per second. Default 5 (300 a minute). */
  perSecond?: number;
}

/** The Personio employee id of a seed employee. */
export function personioEmployeeId(seedId: string): number {
  return 420_000 + Number(seedId);
}

/** Personio's `status` of a seed employee (see the header). */
export function personioStatus(
  employee: SeedEmployee,
): 'active' | 'inactive' | 'onboarding' | 'leave' {
  const id = Number(employee.id);
  if (employee.status === 'Inactive') {
    return 'inactive';
  }
  if (id % 37 === 0) {
    return 'leave';
  }
  return id % 41 === 0 ? 'onboarding' : 'active';
}

interface Company {
  key: string;
  clientId: string;
  clientSecret: string;
  employees: SeedEmployee[];
  bySeedId: Map<string, SeedEmployee>;
  departments: Map<string, number>;
  offices: Map<string, number>;
  bucket: { level: number; at: number };
}

function numbered(names: Iterable<string>, first: number): Map<string, number> {
  return new Map(
    [...new Set(names)]
      .sort((a, b) => a.localeCompare(b))
      .map((name, index) => [name, first + index]),
  );
}

function buildCompany(key: string, data: SeedOrganization): Company {
  const employees = [...data.employees].sort(
    (a, b) => Number(a.id) - Number(b.id),
  );
  return {
    key,
    ...sandboxCredentials.personio(key),
    employees,
    bySeedId: new Map(employees.map((e) => [e.id, e])),
    departments: numbered(
      employees.map((e) => e.department),
      81_001,
    ),
    offices: numbered(
      employees.map((e) => e.location),
      61_001,
    ),
    bucket: { level: 0, at: 0 },
  };
}

/** An instant in the company's offset (+01:00), as Personio writes it. */
function localTime(iso: string): string {
  const shifted = new Date(Date.parse(iso) + 3_600_000).toISOString();
  return `${shifted.slice(0, 19)}+01:00`;
}

/** A calendar date as Personio writes it: local midnight with offset. */
function localDate(date: string | null): string | null {
  return date === null ? null : `${date}T00:00:00+01:00`;
}

function attribute(
  name: string,
  label: string,
  value: unknown,
  type = 'standard',
  universal = true,
) {
  return { label, value, type, universal_id: universal ? name : null };
}

function salary(employee: SeedEmployee) {
  if (employee.payPeriod === 'Hour') {
    return { fix: 0, interval: 'monthly', hourly: employee.payRate };
  }
  return employee.location.includes('Berlin')
    ? { fix: Math.round(employee.payRate / 12), interval: 'monthly', hourly: 0 }
    : { fix: employee.payRate, interval: 'yearly', hourly: 0 };
}

/** Every attribute of one employee, keyed by name. */
function allAttributes(
  company: Company,
  employee: SeedEmployee,
): Record<string, ReturnType<typeof attribute>> {
  const supervisor = employee.supervisorId
    ? company.bySeedId.get(employee.supervisorId)
    : undefined;
  const pay = salary(employee);
  const relation = (type: string, id: number | undefined, name: string) => ({
    type,
    attributes: { id, name },
  });
  return {
    id: attribute('id', 'ID', personioEmployeeId(employee.id), 'integer'),
    first_name: attribute('first_name', 'First name', employee.firstName),
    last_name: attribute('last_name', 'Last name', employee.lastName),
    preferred_name: attribute(
      'preferred_name',
      'Preferred name',
      employee.preferredName ?? '',
    ),
    email: attribute('email', 'Email', employee.workEmail),
    gender: attribute('gender', 'Gender', employee.gender.toLowerCase()),
    status: attribute('status', 'Status', personioStatus(employee)),
    position: attribute('position', 'Position', employee.jobTitle),
    supervisor: attribute(
      'supervisor',
      'Supervisor',
      supervisor
        ? {
            type: 'Employee',
            attributes: {
              id: attribute(
                'id',
                'ID',
                personioEmployeeId(supervisor.id),
                'integer',
              ),
              first_name: attribute(
                'first_name',
                'First name',
                supervisor.firstName,
              ),
              last_name: attribute(
                'last_name',
                'Last name',
                supervisor.lastName,
              ),
              email: attribute('email', 'Email', supervisor.workEmail),
            },
          }
        : null,
      'standard',
    ),
    employment_type: attribute(
      'employment_type',
      'Employment type',
      employee.employmentType === 'Contractor' ? 'external' : 'internal',
    ),
    weekly_working_hours: attribute(
      'weekly_working_hours',
      'Weekly hours',
      employee.employmentType === 'Part-Time' ? '20' : '40',
    ),
    hire_date: attribute(
      'hire_date',
      'Hire date',
      localDate(employee.hireDate),
      'date',
    ),
    termination_date: attribute(
      'termination_date',
      'Termination date',
      localDate(employee.terminationDate),
      'date',
    ),
    department: attribute(
      'department',
      'Department',
      relation(
        'Department',
        company.departments.get(employee.department),
        employee.department,
      ),
    ),
    office: attribute(
      'office',
      'Office',
      relation(
        'Office',
        company.offices.get(employee.location),
        employee.location,
      ),
    ),
    fix_salary: attribute('fix_salary', 'Fix salary', pay.fix, 'decimal'),
    fix_salary_interval: attribute(
      'fix_salary_interval',
      'Salary interval',
      pay.interval,
    ),
    hourly_salary: attribute(
      'hourly_salary',
      'Hourly salary',
      pay.hourly,
      'decimal',
    ),
    currency: attribute('currency', 'Currency', employee.payCurrency),
    created_at: attribute(
      'created_at',
      'Created at',
      localTime(employee.createdAt),
      'date',
    ),
    last_modified_at: attribute(
      'last_modified_at',
      'Last modified',
      localTime(employee.modifiedAt),
      'date',
    ),
    dynamic_1000001: attribute(
      'dynamic_1000001',
      'Private email',
      employee.personalEmail,
      'standard',
      false,
    ),
  };
}

function render(
  company: Company,
  employee: SeedEmployee,
  names: readonly string[],
) {
  const attributes = allAttributes(company, employee);
  if (names.length === 0) {
    return { type: 'Employee', attributes };
  }
  const selected: Record<string, unknown> = { id: attributes.id };
  for (const name of names) {
    const value = attributes[name];
    if (value) {
      selected[name] = value;
    }
  }
  return { type: 'Employee', attributes: selected };
}

function fail(res: Response, status: number, message: string): void {
  res.status(status).json({ success: false, error: { code: 0, message } });
}

function attributeNames(req: Request): string[] {
  const params = new URL(req.originalUrl, 'http://sandbox.invalid')
    .searchParams;
  return [...params.getAll('attributes[]'), ...params.getAll('attributes')];
}

function flatQuery(req: Request): Record<string, unknown> {
  const params = new URL(req.originalUrl, 'http://sandbox.invalid')
    .searchParams;
  const query: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? values[0] : values;
  }
  return query;
}

function integerParam(value: unknown, fallback: number): number | null {
  if (value === undefined) {
    return fallback;
  }
  const number = Number(value);
  return Number.isInteger(number) && number >= 0 ? number : null;
}

function listEmployees(company: Company, req: Request, res: Response): void {
  const query = flatQuery(req);
  const names = attributeNames(req);
  const updatedSince = query.updated_since;
  if (updatedSince !== undefined) {
    const sinceMs = Date.parse(`${String(updatedSince)}Z`);
    if (
      typeof updatedSince !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(updatedSince) ||
      Number.isNaN(sinceMs)
    ) {
      fail(res, 400, 'updated_since must look like 2022-12-24T08:15:30.');
      return;
    }
    // `email`, `limit` and `offset` are ignored with `updated_since`.
    const changed = company.employees.filter(
      (employee) => Date.parse(employee.modifiedAt) >= sinceMs,
    );
    res.json({
      success: true,
      metadata: {
        total_elements: changed.length,
        current_page: 0,
        total_pages: 1,
      },
      offset: 0,
      limit: changed.length,
      data: changed.map((employee) => render(company, employee, names)),
    });
    return;
  }
  const limit = integerParam(query.limit, PERSONIO_DEFAULT_LIMIT);
  const offset = integerParam(query.offset, 0);
  if (limit === null || limit < 1 || limit > PERSONIO_MAX_LIMIT) {
    fail(res, 400, `limit must be an integer from 1 to ${PERSONIO_MAX_LIMIT}.`);
    return;
  }
  if (offset === null) {
    fail(res, 400, 'offset must be a non-negative integer.');
    return;
  }
  const email =
    typeof query.email === 'string' ? query.email.toLowerCase() : null;
  const matching =
    email === null
      ? company.employees
      : company.employees.filter((e) => e.workEmail.toLowerCase() === email);
  res.json({
    success: true,
    metadata: {
      total_elements: matching.length,
      current_page: Math.floor(offset / limit),
      total_pages: Math.ceil(matching.length / limit),
    },
    offset,
    limit,
    data: matching
      .slice(offset, offset + limit)
      .map((employee) => render(company, employee, names)),
  });
}

/**
 * The Personio sandbox. Mount it at `/personio`; a linked account's base URL
 * is then `http://host:port/personio`, and each organization is the client
 * `sandboxCredentials.personio(key)`.
 */
export function createPersonioSandbox(
  options: SandboxProviderOptions,
  limits: PersonioSandboxLimits = {},
): Router {
  const ttlSeconds = limits.tokenTtlSeconds ?? 86_400;
  const burst = limits.burst ?? 15;
  const perSecond = limits.perSecond ?? 5;
  const companies = options.organizations.map((organization) =>
    buildCompany(organization.key, organization.data),
  );
  const tokens = new Map<string, { company: Company; expiresAt: number }>();
  const router = express.Router();
  router.use(express.json());
  router.use(express.urlencoded({ extended: false }));

  router.use((req, _res, next) => {
    const body = (req.body ?? null) as Record<string, unknown> | null;
    options.recorder.record({
      provider: PROVIDER,
      method: req.method,
      path: req.path,
      query: flatQuery(req),
      // Never keep a client secret, even in the sandbox's memory.
      body:
        body && typeof body === 'object' && 'client_secret' in body
          ? { ...body, client_secret: '[redacted]' }
          : body,
      at: Date.now(),
    });
    next();
  });

  router.post('/v2/auth/token', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!req.is('application/x-www-form-urlencoded')) {
      res.status(400).json({ error: 'invalid_request' });
      return;
    }
    if (body.grant_type !== 'client_credentials') {
      res.status(400).json({ error: 'unsupported_grant_type' });
      return;
    }
    const company = companies.find(
      (candidate) =>
        candidate.clientId === body.client_id &&
        candidate.clientSecret === body.client_secret,
    );
    if (!company) {
      res.status(400).json({ error: 'invalid_client' });
      return;
    }
    // Personio hands out the same token for a client until it expires.
    const now = Date.now();
    const existing = [...tokens].find(
      ([, entry]) => entry.company === company && entry.expiresAt > now,
    );
    const token =
      existing?.[0] ?? `papi-${randomBytes(24).toString('base64url')}`;
    const expiresAt = existing?.[1].expiresAt ?? now + ttlSeconds * 1000;
    tokens.set(token, { company, expiresAt });
    res.json({
      access_token: token,
      token_type: 'Bearer',
      expires_in: Math.max(1, Math.round((expiresAt - now) / 1000)),
      scope: 'personio:persons:read',
    });
  });

  router.post('/v2/auth/revoke', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.token === 'string') {
      tokens.delete(body.token);
    }
    res.status(200).end();
  });

  router.use('/v1', (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const entry = match ? tokens.get(match[1] ?? '') : undefined;
    if (!entry || entry.expiresAt <= Date.now()) {
      fail(res, 401, 'The access token is missing, expired or revoked.');
      return;
    }
    res.locals.company = entry.company;
    next();
  });

  const company = (res: Response): Company => res.locals.company as Company;

  router.get('/v1/company/employees', (req, res) => {
    const current = company(res);
    // Token bucket: `burst` deep, refilled at `perSecond`.
    const now = Date.now();
    const { bucket } = current;
    bucket.level = Math.max(
      0,
      bucket.level - ((now - bucket.at) / 1000) * perSecond,
    );
    bucket.at = now;
    if (bucket.level + 1 > burst) {
      res.status(429).json({
        success: false,
        error: { code: 429, message: 'Too many requests.' },
      });
      return;
    }
    bucket.level += 1;
    listEmployees(current, req, res);
  });

  router.get('/v1/company/employees/:id', (req, res) => {
    const current = company(res);
    const employee = current.employees.find(
      (e) => String(personioEmployeeId(e.id)) === req.params.id,
    );
    if (!employee) {
      fail(res, 404, 'The employee was not found.');
      return;
    }
    res.json({
      success: true,
      data: render(current, employee, attributeNames(req)),
    });
  });

  router.use('/v1', (_req, res) => {
    fail(res, 404, 'Not found.');
  });
  return router;
}
