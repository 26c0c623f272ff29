/**
 * A HiBob (Bob) stand-in serving the seeded organizations the way Bob's
 * public API does, so the connector talks to it exactly as it would to
 * `https://api.hibob.com`.
 *
 * Documentation followed (apidocs.hibob.com):
 * - API Service Users: HTTP Basic, service user id as user name, its token
 *   as password; 401 otherwise.
 * - Search for employees, `POST /v1/people/search`, and the People read API
 *   contract: body `fields` (field paths like `/root/email`,
 *   `/work/department`; at most 400; unknown or unreadable ones silently
 *   omitted; none named gives a default set), `filters` (at most one:
 *   `root.id` or `root.email`, operator `equals`, a `values` array; anything
 *   else is 400), `showInactive` (default false: active employees only),
 *   `humanReadable` (`APPEND` adds a `humanReadable` node of display values,
 *   `REPLACE` puts display values in place). No pagination: the answer is
 *   `{ employees: [...] }` with every match.
 * - Read company employee fields by employee ID,
 *   `POST /v1/people/{identifier}`: one employee by id or email, 404 when
 *   there is none.
 * - Rate limiting: `v1/people/search` allows 50 requests a minute; over it,
 *   429. Every answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining`
 *   and `X-RateLimit-Reset` (Unix epoch seconds).
 *
 * Sandbox conventions the documentation leaves open: the limit is a fixed
 * window per service user (its size is an option, for tests); error bodies
 * are `{ "error": "<message>" }`; employee ids are 19-digit strings derived
 * from the seed ids, department and site ids small integers; lifecycle
 * status is `employed`, `leave` (every active employee whose seed id is a
 * multiple of 37) or `terminated`.
 */
import express from 'express';
import type { Request, Response, Router } from 'express';
import type { SeedEmployee, SeedOrganization } from '../seed';
import { sandboxCredentials } from '../types';
import type { SandboxProviderOptions } from '../types';

const PROVIDER = 'hibob';

export interface HibobSandboxLimits {
  /** People search requests per window, per service user. Default 50. */
  searchesPerWindow?: number;
  /** Window length in ms. Default 60_000. */
  windowMs?: number;
}

/** The HiBob employee id of a seed employee. */
export function hibobEmployeeId(seedId: string): string {
  return `3332883884017${seedId.padStart(6, '0')}`;
}

/** Bob's lifecycle status of a seed employee (see the header). */
export function hibobLifecycleStatus(employee: SeedEmployee): string {
  if (employee.status === 'Inactive') {
    return 'terminated';
  }
  return Number(employee.id) % 37 === 0 ? 'leave' : 'employed';
}

const DEFAULT_FIELDS = [
  '/root/id',
  '/root/firstName',
  '/root/surname',
  '/root/displayName',
  '/root/fullName',
  '/root/email',
  '/root/creationDateTime',
  '/work/title',
  '/work/department',
  '/work/site',
  '/work/startDate',
  '/work/reportsTo',
];

interface Company {
  key: string;
  serviceUserId: string;
  token: string;
  employees: SeedEmployee[];
  byId: Map<string, SeedEmployee>;
  departments: Map<string, number>;
  sites: Map<string, number>;
  window: { start: number; count: number };
}

function numbered(names: Iterable<string>, first: number): Map<string, number> {
  return new Map(
    [...new Set(names)]
      .sort((a, b) => a.localeCompare(b))
      .map((name, index) => [name, first + index]),
  );
}

function buildCompany(key: string, data: SeedOrganization): Company {
  const credentials = sandboxCredentials.hibob(key);
  const employees = [...data.employees].sort(
    (a, b) => Number(a.id) - Number(b.id),
  );
  return {
    key,
    ...credentials,
    employees,
    byId: new Map(employees.map((e) => [hibobEmployeeId(e.id), e])),
    departments: numbered(
      employees.map((e) => e.department),
      209_192_001,
    ),
    sites: numbered(
      employees.map((e) => e.location),
      1_001,
    ),
    window: { start: 0, count: 0 },
  };
}

/** Bob's `creationDateTime`: no offset, microseconds. */
function creationDateTime(iso: string): string {
  return `${iso.slice(0, 23)}000`;
}

type Tree = Record<string, Record<string, unknown>>;

/** Every field of one employee, machine format, by category. */
function machineRecord(company: Company, employee: SeedEmployee): Tree {
  const manager = employee.supervisorId
    ? company.employees.find((e) => e.id === employee.supervisorId)
    : undefined;
  const displayName = `${employee.preferredName ?? employee.firstName} ${employee.lastName}`;
  return {
    root: {
      id: hibobEmployeeId(employee.id),
      firstName: employee.firstName,
      surname: employee.lastName,
      displayName,
      fullName: `${employee.firstName} ${employee.lastName}`,
      email: employee.workEmail,
      creationDateTime: creationDateTime(employee.createdAt),
    },
    work: {
      title: employee.jobTitle,
      reportsTo: manager
        ? {
            id: hibobEmployeeId(manager.id),
            email: manager.workEmail,
            firstName: manager.firstName,
            surname: manager.lastName,
            displayName: `${manager.preferredName ?? manager.firstName} ${manager.lastName}`,
          }
        : null,
      department: String(company.departments.get(employee.department)),
      site: employee.location,
      siteId: company.sites.get(employee.location),
      startDate: employee.hireDate,
      employeeIdInCompany: Number(employee.id) - 100,
    },
    internal: {
      status: employee.status,
      lifecycleStatus: hibobLifecycleStatus(employee),
      terminationDate: employee.terminationDate,
    },
    home: {
      privateEmail: employee.personalEmail,
      mobilePhone: employee.mobilePhone,
    },
    personal: { birthDate: employee.dateOfBirth },
  };
}

/** Display values where the machine format has list item ids. */
function humanValues(employee: SeedEmployee, tree: Tree): Tree {
  const manager = tree.work?.reportsTo as { displayName?: string } | null;
  return {
    ...tree,
    work: {
      ...tree.work,
      department: employee.department,
      reportsTo: manager?.displayName ?? null,
    },
  };
}

/**
 * The selected paths of a record: `/root/x` at the top level, `/work/x`
 * under `work`. Unknown paths are silently left out, as Bob does.
 */
function pick(tree: Tree, fields: readonly string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const field of fields) {
    const match = /^\/([A-Za-z]+)\/([A-Za-z]+)$/.exec(field);
    const [, category, name] = match ?? [];
    if (!category || !name) {
      continue;
    }
    const source = tree[category];
    if (!source || !(name in source)) {
      continue;
    }
    if (category === 'root') {
      result[name] = source[name];
    } else {
      const target = (result[category] ?? {}) as Record<string, unknown>;
      target[name] = source[name];
      result[category] = target;
    }
  }
  return result;
}

interface ReadOptions {
  fields: readonly string[];
  humanReadable: 'APPEND' | 'REPLACE' | null;
}

function render(
  company: Company,
  employee: SeedEmployee,
  options: ReadOptions,
): Record<string, unknown> {
  const machine = machineRecord(company, employee);
  const human = humanValues(employee, machine);
  const fields = new Set([...options.fields, '/root/id']);
  if (options.humanReadable === 'REPLACE') {
    return pick(human, [...fields]);
  }
  const record = pick(machine, [...fields]);
  if (options.humanReadable === 'APPEND') {
    const { id: _id, ...rest } = pick(human, [...fields]);
    record.humanReadable = rest;
  }
  return record;
}

function fail(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message });
}

function basicCredentials(
  header: string | undefined,
): { user: string; password: string } | null {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) {
    return null;
  }
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  return separator > 0
    ? {
        user: decoded.slice(0, separator),
        password: decoded.slice(separator + 1),
      }
    : null;
}

/** Reads `fields` and `humanReadable`; a message when they are malformed. */
function readOptions(body: Record<string, unknown>): ReadOptions | string {
  const fields = body.fields ?? [];
  if (
    !Array.isArray(fields) ||
    fields.some((field) => typeof field !== 'string')
  ) {
    return 'fields must be an array of field ids.';
  }
  if (fields.length > 400) {
    return 'fields may name at most 400 field ids.';
  }
  const humanReadable = body.humanReadable ?? null;
  if (
    humanReadable !== null &&
    humanReadable !== '' &&
    humanReadable !== 'APPEND' &&
    humanReadable !== 'REPLACE'
  ) {
    return 'humanReadable must be APPEND or REPLACE.';
  }
  return {
    fields: fields.length === 0 ? DEFAULT_FIELDS : (fields as string[]),
    humanReadable: humanReadable === '' ? null : humanReadable,
  };
}

function search(company: Company, req: Request, res: Response): void {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const options = readOptions(body);
  if (typeof options === 'string') {
    fail(res, 400, options);
    return;
  }
  const filters = body.filters ?? [];
  if (!Array.isArray(filters) || filters.length > 1) {
    fail(res, 400, 'filters must be an array of at most one filter.');
    return;
  }
  let matching = company.employees;
  const [filter] = filters as unknown[];
  if (filter !== undefined) {
    const { fieldPath, operator, values } = (filter ?? {}) as Record<
      string,
      unknown
    >;
    const path = String(fieldPath).replace(/^\//, '').replace('/', '.');
    if (
      (path !== 'root.id' && path !== 'root.email') ||
      operator !== 'equals' ||
      !Array.isArray(values) ||
      values.some((value) => typeof value !== 'string')
    ) {
      fail(
        res,
        400,
        'A filter is root.id or root.email, operator equals, with values.',
      );
      return;
    }
    const wanted = new Set(
      (values as string[]).map((value) => value.toLowerCase()),
    );
    matching = matching.filter((employee) =>
      wanted.has(
        path === 'root.id'
          ? hibobEmployeeId(employee.id)
          : employee.workEmail.toLowerCase(),
      ),
    );
  }
  if (body.showInactive !== true) {
    matching = matching.filter((employee) => employee.status === 'Active');
  }
  res.json({
    employees: matching.map((employee) => render(company, employee, options)),
  });
}

function readOne(
  company: Company,
  req: Request,
  res: Response,
  identifier: string,
): void {
  const options = readOptions((req.body ?? {}) as Record<string, unknown>);
  if (typeof options === 'string') {
    fail(res, 400, options);
    return;
  }
  const employee =
    company.byId.get(identifier) ??
    company.employees.find(
      (e) => e.workEmail.toLowerCase() === identifier.toLowerCase(),
    );
  if (!employee) {
    fail(res, 404, 'Employee not found.');
    return;
  }
  res.json(render(company, employee, options));
}

/**
 * The HiBob sandbox. Mount it at `/hibob`; a linked account's base URL is
 * then `http://host:port/hibob`, and each organization is the service user
 * `sandboxCredentials.hibob(key)`.
 */
export function createHibobSandbox(
  options: SandboxProviderOptions,
  limits: HibobSandboxLimits = {},
): Router {
  const perWindow = limits.searchesPerWindow ?? 50;
  const windowMs = limits.windowMs ?? 60_000;
  const companies = options.organizations.map((organization) =>
    buildCompany(organization.key, organization.data),
  );
  const router = express.Router();
  router.use(express.json());

  router.use((req, _res, next) => {
    options.recorder.record({
      provider: PROVIDER,
      method: req.method,
      path: req.path,
      query: { ...req.query },
      body: req.body === undefined ? null : (req.body as unknown),
      at: Date.now(),
    });
    next();
  });

  // Authentication: the service user names the company.
  router.use('/v1', (req, res, next) => {
    const credentials = basicCredentials(req.get('authorization'));
    const company = companies.find(
      (candidate) =>
        candidate.serviceUserId === credentials?.user &&
        candidate.token === credentials.password,
    );
    if (!company) {
      fail(res, 401, 'Unauthorized.');
      return;
    }
    res.locals.company = company;
    next();
  });

  const company = (res: Response): Company => res.locals.company as Company;

  router.post('/v1/people/search', (req, res) => {
    const current = company(res);
    const now = Date.now();
    const { window } = current;
    if (now - window.start >= windowMs) {
      window.start = now;
      window.count = 0;
    }
    window.count += 1;
    res.set({
      'X-RateLimit-Limit': String(perWindow),
      'X-RateLimit-Remaining': String(Math.max(0, perWindow - window.count)),
      'X-RateLimit-Reset': String(Math.ceil((window.start + windowMs) / 1000)),
    });
    if (window.count > perWindow) {
      fail(res, 429, 'Too many requests.');
      return;
    }
    search(current, req, res);
  });
  router.post('/v1/people/:identifier', (req, res) => {
    readOne(company(res), req, res, req.params.identifier);
  });
  router.use('/v1', (_req, res) => {
    fail(res, 404, 'Not found.');
  });
  return router;
}
