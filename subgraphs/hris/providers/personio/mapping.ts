/**
 * Personio payloads → the HRIS common model. Pure functions: no I/O, no
 * clock. Schemas are loose: unknown attributes pass into `remoteData`.
 *
 * Documentation followed (developer.personio.de, Personnel Data API v1):
 * - List Employees, `GET /v1/company/employees`: `{ success, metadata:
 *   { total_elements, current_page, total_pages }, offset, limit, data }`;
 *   each employee is `{ type: "Employee", attributes }` and each attribute
 *   an object `{ label, value, type, universal_id }` keyed by its name
 *   (`first_name`, `email`, `status`, `dynamic_153804`…). Only attributes
 *   whitelisted for the API credentials (and named in `attributes[]`) are
 *   sent: a missing attribute is null here, never an error.
 * - Relations are nested objects: `department`, `office` and `team` values
 *   are `{ type, attributes: { id, name } }`; `supervisor` is an Employee
 *   whose attributes are again attribute objects.
 * - `status` is `active`, `inactive`, `onboarding` or `leave`;
 *   `employment_type` is `internal` or `external`; `fix_salary_interval`
 *   is `monthly` or `yearly`.
 * - Dates (`hire_date`, `termination_date`) come as midnight with the
 *   company's offset (`2021-04-01T00:00:00+02:00`): the calendar date is the
 *   part before `T`, never the UTC conversion (which would be the day
 *   before). Instants (`created_at`, `last_modified_at`) are converted to
 *   UTC.
 */
import { z } from 'zod';
import { providerFieldsFor } from '../../../../lib/selection';
import type { ProviderFieldTable } from '../../../../lib/selection';
import { mapGender } from '../../gender';
import type {
  Employee,
  EmploymentStatus,
  Employment,
  EmploymentType,
  Location,
  PayPeriod,
  Team,
} from '../../models';

const attributeSchema = z.looseObject({
  label: z.string().nullish(),
  value: z.unknown(),
  type: z.string().nullish(),
  universal_id: z.string().nullish(),
});
export type PersonioAttribute = z.infer<typeof attributeSchema>;

export const personioEmployeeSchema = z.looseObject({
  type: z.string().nullish(),
  attributes: z.record(z.string(), attributeSchema),
});
export type PersonioEmployee = z.infer<typeof personioEmployeeSchema>;

export const listEmployeesResponseSchema = z.looseObject({
  success: z.literal(true),
  metadata: z
    .looseObject({
      total_elements: z.number().nullish(),
      current_page: z.number().nullish(),
      total_pages: z.number().nullish(),
    })
    .nullish(),
  offset: z.union([z.number(), z.string()]).nullish(),
  limit: z.union([z.number(), z.string()]).nullish(),
  data: z.array(personioEmployeeSchema),
});

export const getEmployeeResponseSchema = z.looseObject({
  success: z.literal(true),
  data: personioEmployeeSchema,
});

/**
 * The attributes `mapPersonioEmployment` reads: an employment is the
 * employee record's current job and pay (v1 keeps no history).
 */
const EMPLOYMENT_ATTRIBUTES = [
  'position',
  'employment_type',
  'weekly_working_hours',
  'hire_date',
  'fix_salary',
  'fix_salary_interval',
  'hourly_salary',
  'currency',
  'last_modified_at',
];

/**
 * The `attributes[]` each `Employee` field (GraphQL name) is mapped from.
 * `id` is always asked for (see `personioAttributesFor`): `id`,
 * `remoteId` and `employeeNumber` come from it. `employments` names the
 * employment attributes, so an employee read for a query that also reads
 * its employments serves both. Not listed: what the mapping leaves null
 * (`personalEmail`, `mobilePhone`, `dateOfBirth`, `maritalStatus`,
 * `company`). `manager`, `team` and `workLocation` need only the related
 * id.
 */
const PERSONIO_ATTRIBUTES_BY_EMPLOYEE_FIELD: ProviderFieldTable = {
  firstName: 'first_name',
  lastName: 'last_name',
  displayName: ['preferred_name', 'first_name', 'last_name'],
  workEmail: 'email',
  employmentStatus: 'status',
  employmentStatusRaw: 'status',
  jobTitle: 'position',
  manager: 'supervisor',
  team: 'department',
  workLocation: 'office',
  startDate: 'hire_date',
  terminationDate: 'termination_date',
  gender: 'gender',
  genderRaw: 'gender',
  createdAt: 'created_at',
  modifiedAt: 'last_modified_at',
  employments: EMPLOYMENT_ATTRIBUTES,
};

/**
 * Every attribute the model maps: what `remoteData` holds, and what is
 * asked for when the selection is unknown.
 */
export const PERSONIO_ATTRIBUTES: readonly string[] = [
  'id',
  ...new Set(Object.values(PERSONIO_ATTRIBUTES_BY_EMPLOYEE_FIELD).flat()),
];

/**
 * The `attributes[]` to ask Personio for so that the `Employee` fields in
 * `selected` (GraphQL names) are mapped; the others come back null.
 * Absent, or with `remoteData` selected: `PERSONIO_ATTRIBUTES`. Always
 * `id`.
 */
export function personioAttributesFor(
  selected?: ReadonlySet<string>,
): string[] {
  return providerFieldsFor(PERSONIO_ATTRIBUTES_BY_EMPLOYEE_FIELD, selected, {
    all: PERSONIO_ATTRIBUTES,
    always: ['id'],
  });
}

/** `/v2/auth/token`: an OAuth 2.0 token response. */
export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().nullish(),
  /** Seconds. */
  expires_in: z.number().positive(),
});

// ---------------------------------------------------------------------------
// Attribute values.

function valueOf(employee: PersonioEmployee, name: string): unknown {
  return employee.attributes[name]?.value ?? null;
}

function textOf(employee: PersonioEmployee, name: string): string | null {
  const value = valueOf(employee, name);
  if (typeof value === 'number') {
    return String(value);
  }
  if (typeof value !== 'string') {
    return null;
  }
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function numberOf(employee: PersonioEmployee, name: string): number | null {
  const value = valueOf(employee, name);
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(number) ? number : null;
}

/** The `{ type, attributes: { id, name } }` of a relation attribute. */
function relationOf(
  employee: PersonioEmployee,
  name: string,
): { id: string; name: string | null } | null {
  const value = valueOf(employee, name);
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const attributes = (value as { attributes?: unknown }).attributes;
  if (typeof attributes !== 'object' || attributes === null) {
    return null;
  }
  const { id, name: label } = attributes as { id?: unknown; name?: unknown };
  // A supervisor's attributes are attribute objects: `{ id: { value } }`.
  const plainId =
    typeof id === 'object' && id !== null
      ? (id as { value?: unknown }).value
      : id;
  if (typeof plainId !== 'number' && typeof plainId !== 'string') {
    return null;
  }
  return {
    id: String(plainId),
    name: typeof label === 'string' ? label : null,
  };
}

/** A Personio date as the company's calendar date, `yyyy-mm-dd`. */
export function personioDate(value: unknown): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(
    typeof value === 'string' ? value : '',
  );
  return match?.[1] ?? null;
}

/** A Personio instant (with its offset) as ISO 8601 UTC. */
export function personioTimestamp(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') {
    return null;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------
// Enums.

function enumKey(raw: string): string {
  return raw.toLowerCase().replace(/[\s_-]+/g, '');
}

/**
 * `status`: active → ACTIVE, leave → ACTIVE (still employed; Personio's own
 * v2 `status=ACTIVE` filter counts leave and onboarding as active),
 * onboarding → PENDING (signed, not started), inactive → INACTIVE. Anything
 * else stays unmapped.
 */
export function mapPersonioEmploymentStatus(
  raw: string | null,
): EmploymentStatus | null {
  switch (enumKey(raw ?? '')) {
    case 'active':
    case 'leave':
      return 'ACTIVE';
    case 'onboarding':
      return 'PENDING';
    case 'inactive':
      return 'INACTIVE';
    default:
      return null;
  }
}

/** Weekly hours from which an internal employee counts as full time. */
export const FULL_TIME_WEEKLY_HOURS = 35;

/**
 * `employment_type`: external → CONTRACTOR; internal → FULL_TIME or
 * PART_TIME by `weekly_working_hours` (at least 35 is full time), null when
 * the hours are not sent. Anything else stays unmapped.
 */
export function mapPersonioEmploymentType(
  raw: string | null,
  weeklyHours: number | null,
): EmploymentType | null {
  switch (enumKey(raw ?? '')) {
    case 'external':
      return 'CONTRACTOR';
    case 'internal':
      return weeklyHours === null
        ? null
        : weeklyHours >= FULL_TIME_WEEKLY_HOURS
          ? 'FULL_TIME'
          : 'PART_TIME';
    default:
      return null;
  }
}

/** `fix_salary_interval`: monthly → MONTH, yearly → YEAR. */
export function mapPersonioPayPeriod(raw: string | null): PayPeriod | null {
  switch (enumKey(raw ?? '')) {
    case 'monthly':
      return 'MONTH';
    case 'yearly':
    case 'annually':
      return 'YEAR';
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------
// Entities.

export function personioEmployeeId(employee: PersonioEmployee): string | null {
  return textOf(employee, 'id');
}

/** An employee record → Employee; null without an id. */
export function mapPersonioEmployee(
  employee: PersonioEmployee,
): Employee | null {
  const remoteId = personioEmployeeId(employee);
  if (remoteId === null) {
    return null;
  }
  const firstName = textOf(employee, 'first_name');
  const lastName = textOf(employee, 'last_name');
  const preferred = textOf(employee, 'preferred_name');
  const statusRaw = textOf(employee, 'status');
  return {
    remoteId,
    employeeNumber: remoteId,
    firstName,
    lastName,
    displayName:
      [preferred ?? firstName, lastName]
        .filter((part) => part !== null)
        .join(' ') || null,
    workEmail: textOf(employee, 'email'),
    // Personal email and phones are company-defined `dynamic_…` attributes.
    personalEmail: null,
    mobilePhone: null,
    employmentStatus: mapPersonioEmploymentStatus(statusRaw),
    employmentStatusRaw: statusRaw,
    jobTitle: textOf(employee, 'position'),
    managerRemoteId: relationOf(employee, 'supervisor')?.id ?? null,
    teamRemoteId: relationOf(employee, 'department')?.id ?? null,
    workLocationRemoteId: relationOf(employee, 'office')?.id ?? null,
    companyRemoteId: null,
    startDate: personioDate(valueOf(employee, 'hire_date')),
    terminationDate: personioDate(valueOf(employee, 'termination_date')),
    dateOfBirth: null,
    gender: mapGender(textOf(employee, 'gender')),
    genderRaw: textOf(employee, 'gender'),
    // Marital status is no standard Personio attribute.
    maritalStatus: null,
    createdAt: personioTimestamp(valueOf(employee, 'created_at')),
    modifiedAt: personioTimestamp(valueOf(employee, 'last_modified_at')),
    remoteData: employee,
  };
}

/**
 * The current employment of an employee: the v1 record holds one (no
 * history), so its remote id is the employee's. Pay is `fix_salary` per
 * `fix_salary_interval`, or else `hourly_salary` per HOUR (raw value
 * `hourly_salary`, the attribute it came from).
 */
export function mapPersonioEmployment(
  employee: PersonioEmployee,
): Employment | null {
  const remoteId = personioEmployeeId(employee);
  if (remoteId === null) {
    return null;
  }
  const fixSalary = numberOf(employee, 'fix_salary');
  const hourly = numberOf(employee, 'hourly_salary');
  const intervalRaw = textOf(employee, 'fix_salary_interval');
  const salaried = fixSalary !== null && fixSalary > 0;
  const paidHourly = !salaried && hourly !== null && hourly > 0;
  const typeRaw = textOf(employee, 'employment_type');
  const currency = textOf(employee, 'currency');
  return {
    remoteId,
    employeeRemoteId: remoteId,
    jobTitle: textOf(employee, 'position'),
    payRate: salaried ? fixSalary : paidHourly ? hourly : null,
    payCurrency:
      currency !== null && /^[A-Za-z]{3}$/.test(currency)
        ? currency.toUpperCase()
        : null,
    payPeriod: salaried
      ? mapPersonioPayPeriod(intervalRaw)
      : paidHourly
        ? 'HOUR'
        : null,
    payPeriodRaw: salaried ? intervalRaw : paidHourly ? 'hourly_salary' : null,
    employmentType: mapPersonioEmploymentType(
      typeRaw,
      numberOf(employee, 'weekly_working_hours'),
    ),
    employmentTypeRaw: typeRaw,
    effectiveDate: personioDate(valueOf(employee, 'hire_date')),
    createdAt: null,
    modifiedAt: personioTimestamp(valueOf(employee, 'last_modified_at')),
    remoteData: employee,
  };
}

function distinctRelations(
  employees: readonly PersonioEmployee[],
  attribute: string,
): Array<{ id: string; name: string | null }> {
  const seen = new Map<string, string | null>();
  for (const employee of employees) {
    const relation = relationOf(employee, attribute);
    if (relation && !seen.has(relation.id)) {
      seen.set(relation.id, relation.name);
    }
  }
  return [...seen]
    .map(([id, name]) => ({ id, name }))
    .sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
}

/** Teams are the departments employees belong to, in id order. */
export function personioTeams(employees: readonly PersonioEmployee[]): Team[] {
  return distinctRelations(employees, 'department').map((department) => ({
    remoteId: department.id,
    name: department.name,
    createdAt: null,
    modifiedAt: null,
    remoteData: department,
  }));
}

/** Work locations are the offices employees work at, in id order. */
export function personioLocations(
  employees: readonly PersonioEmployee[],
): Location[] {
  return distinctRelations(employees, 'office').map((office) => ({
    remoteId: office.id,
    name: office.name,
    street1: null,
    city: null,
    state: null,
    zipCode: null,
    country: null,
    locationType: 'WORK',
    createdAt: null,
    modifiedAt: null,
    remoteData: office,
  }));
}
