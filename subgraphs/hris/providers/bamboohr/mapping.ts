/**
 * BambooHR payloads → the HRIS common model. Pure functions: no I/O, no
 * clock. The zod schemas describe the payloads as documented; they are loose
 * (unknown fields pass through into `remoteData`) and tolerant of the nulls
 * and empty strings BambooHR uses for "no value".
 *
 * Documentation followed (documentation.bamboohr.com; field names confirmed
 * against the OpenAPI description behind BambooHR's official SDKs):
 * - List Employees (`list-employees`): record fields `employeeId`,
 *   `firstName`, `lastName`, `preferredName`, `photoUrl`, `jobTitleName`,
 *   `status` always, and the optional `fields` named in the request such
 *   as `workEmail`, `homeEmail`, `birthDate`, `departmentId`, `divisionId`,
 *   `locationId`, `reportsToId` (see `employeeFieldsFor`).
 * - Get Employee Table Data: `jobInfo`, `employmentStatus` and
 *   `compensation` rows; compensation `rate` is `{ currency, value }` in
 *   JSON (the employee field `payRate` is the string `"65000.00 USD"`).
 * - Get Changed Employee IDs: `lastChanged` timestamps with an offset.
 * - Get details for list fields (`/v1/meta/lists`): `department`,
 *   `division` and `location` options.
 * - Get Company Information (`/v1/company_information`).
 */
import { z } from 'zod';
import { providerFieldsFor } from '../../../../lib/selection';
import type { ProviderFieldTable } from '../../../../lib/selection';
import { mapGender } from '../../gender';
import type {
  Company,
  Employee,
  Employment,
  EmploymentStatus,
  EmploymentType,
  Location,
  PayPeriod,
  Team,
} from '../../models';

// ---------------------------------------------------------------------------
// Payload schemas.

/** Ids are documented as strings; numbers are accepted and normalized. */
const id = z.union([z.string(), z.number()]).transform(String);
const text = z.string().nullish();

export const listEmployeeSchema = z.looseObject({
  employeeId: id,
  firstName: text,
  lastName: text,
  preferredName: text,
  jobTitleName: text,
  status: text,
  workEmail: text,
  homeEmail: text,
  mobilePhone: text,
  employeeNumber: text,
  hireDate: text,
  terminationDate: text,
  birthDate: text,
  gender: text,
  maritalStatus: text,
  departmentId: id.nullish(),
  departmentName: text,
  divisionId: id.nullish(),
  divisionName: text,
  locationId: id.nullish(),
  locationName: text,
  reportsToId: id.nullish(),
});
export type BambooListEmployee = z.infer<typeof listEmployeeSchema>;

export const listEmployeesResponseSchema = z.looseObject({
  data: z.array(listEmployeeSchema),
  meta: z.looseObject({
    total: z.number().nullish(),
    page: z.looseObject({
      limit: z.number().nullish(),
      nextCursor: z.string().nullish(),
      prevCursor: z.string().nullish(),
    }),
  }),
});

/**
 * The optional List Employees `fields` each `Employee` field (GraphQL name)
 * is mapped from. Not listed, because they need no `fields` entry:
 * - `id`, `remoteId`, `firstName`, `lastName`, `displayName`, `jobTitle`,
 *   `employmentStatus` and `employmentStatusRaw`, mapped from the fields
 *   List Employees always returns (`employeeId`, `firstName`, `lastName`,
 *   `preferredName`, `jobTitleName`, `status`);
 * - `company` (the company domain) and `createdAt` (BambooHR has none);
 * - `modifiedAt` (Get Changed Employee IDs) and `employments` (the
 *   employee tables), read by calls of their own.
 * `manager`, `team` and `workLocation` need only the related record's id;
 * its own fields are fetched by the lookup that resolves it.
 */
const BAMBOOHR_FIELDS_BY_EMPLOYEE_FIELD: ProviderFieldTable = {
  employeeNumber: 'employeeNumber',
  workEmail: 'workEmail',
  personalEmail: 'homeEmail',
  mobilePhone: 'mobilePhone',
  manager: 'reportsToId',
  team: 'departmentId',
  workLocation: 'locationId',
  startDate: 'hireDate',
  terminationDate: 'terminationDate',
  dateOfBirth: 'birthDate',
  gender: 'gender',
  genderRaw: 'gender',
  maritalStatus: 'maritalStatus',
};

/**
 * Every optional field an employee is built from, and the division (a
 * department's parent team): what `remoteData` holds, and what is asked
 * for when the selection is unknown.
 */
export const ALL_EMPLOYEE_FIELDS: readonly string[] = [
  ...new Set(Object.values(BAMBOOHR_FIELDS_BY_EMPLOYEE_FIELD).flat()),
  'divisionId',
];

/**
 * The optional List Employees `fields` to ask for so that the `Employee`
 * fields in `selected` (GraphQL names) are mapped; the others come back
 * null. Absent, or with `remoteData` selected: `ALL_EMPLOYEE_FIELDS`. Empty
 * when the fields List Employees always returns are enough.
 */
export function employeeFieldsFor(selected?: ReadonlySet<string>): string[] {
  return providerFieldsFor(BAMBOOHR_FIELDS_BY_EMPLOYEE_FIELD, selected, {
    all: ALL_EMPLOYEE_FIELDS,
  });
}

/**
 * Get Changed Employee IDs. PHP encodes an empty map as `[]`, so
 * `employees` is `[]` when nothing changed: `changedEmployees()` reads both.
 */
const changedEntrySchema = z.looseObject({
  id,
  action: text,
  lastChanged: text,
});
export const changedEmployeesResponseSchema = z.looseObject({
  latest: text,
  employees: z.union([
    z.record(z.string(), changedEntrySchema),
    z.array(changedEntrySchema),
  ]),
});
export type BambooChangedEntry = z.infer<typeof changedEntrySchema>;

/** The changed employees as a list, whichever JSON shape carried them. */
export function changedEntries(
  response: z.infer<typeof changedEmployeesResponseSchema>,
): BambooChangedEntry[] {
  return Array.isArray(response.employees)
    ? response.employees
    : Object.values(response.employees);
}

export const jobInfoRowSchema = z.looseObject({
  id,
  employeeId: id,
  date: text,
  location: text,
  department: text,
  division: text,
  jobTitle: text,
  reportsTo: text,
});
export type BambooJobInfoRow = z.infer<typeof jobInfoRowSchema>;

export const employmentStatusRowSchema = z.looseObject({
  id,
  employeeId: id,
  date: text,
  employmentStatus: text,
});
export type BambooEmploymentStatusRow = z.infer<
  typeof employmentStatusRowSchema
>;

const moneySchema = z.union([
  z.looseObject({
    value: z.union([z.string(), z.number()]).nullish(),
    currency: text,
  }),
  z.string(),
]);

export const compensationRowSchema = z.looseObject({
  id,
  employeeId: id,
  startDate: text,
  rate: moneySchema.nullish(),
  type: text,
  paidPer: text,
});
export type BambooCompensationRow = z.infer<typeof compensationRowSchema>;

const listOptionSchema = z.looseObject({
  id,
  name: text,
  archived: text,
  createdDate: text,
  archivedDate: text,
});

export const metaListsResponseSchema = z.array(
  z.looseObject({
    fieldId: id,
    alias: text,
    name: text,
    options: z.array(listOptionSchema).nullish(),
  }),
);
export type BambooMetaList = z.infer<typeof metaListsResponseSchema>[number];
export type BambooListOption = z.infer<typeof listOptionSchema>;

export const companyInformationSchema = z.looseObject({
  legalName: text,
  displayName: text,
});
export type BambooCompanyInformation = z.infer<typeof companyInformationSchema>;

// ---------------------------------------------------------------------------
// Scalars.

/** Empty string → null; everything else as sent. */
function nonEmpty(value: string | null | undefined): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * A BambooHR date as `yyyy-mm-dd`. BambooHR sends `0000-00-00` (and
 * sometimes an empty string) for "no date".
 */
export function bambooDate(value: string | null | undefined): string | null {
  const date = nonEmpty(value);
  if (date === null || date.startsWith('0000-00-00')) {
    return null;
  }
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(date);
  return match?.[1] ?? null;
}

/** A BambooHR timestamp (`2026-10-25T18:21:59+00:00`) as ISO 8601 UTC. */
export function bambooTimestamp(
  value: string | null | undefined,
): string | null {
  const timestamp = nonEmpty(value);
  if (timestamp === null) {
    return null;
  }
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * A pay rate as the compensation table (`{ value: "65000.00", currency:
 * "USD" }`) or the `payRate` employee field (`"65000.00 USD"`) sends it.
 */
export function parsePayRate(
  rate: z.infer<typeof moneySchema> | null | undefined,
): {
  amount: number | null;
  currency: string | null;
} {
  if (rate === null || rate === undefined) {
    return { amount: null, currency: null };
  }
  let amountText: string | null;
  let currencyText: string | null;
  if (typeof rate === 'string') {
    const match = /^\s*([\d.,]+)\s*([A-Za-z]{3})?\s*$/.exec(rate);
    amountText = match?.[1] ?? null;
    currencyText = match?.[2] ?? null;
  } else {
    amountText =
      rate.value === null || rate.value === undefined
        ? null
        : String(rate.value);
    currencyText = nonEmpty(rate.currency);
  }
  const amount =
    amountText === null ? Number.NaN : Number(amountText.replace(/,/g, ''));
  return {
    amount: Number.isFinite(amount) ? amount : null,
    currency:
      currencyText !== null && /^[A-Za-z]{3}$/.test(currencyText)
        ? currencyText.toUpperCase()
        : null,
  };
}

/** Lower-cased, with spaces, hyphens and underscores removed. */
function enumKey(raw: string): string {
  return raw.toLowerCase().replace(/[\s_-]+/g, '');
}

/** The `status` field: `Active` or `Inactive`. */
export function mapEmploymentStatus(
  raw: string | null | undefined,
): EmploymentStatus | null {
  switch (enumKey(raw ?? '')) {
    case 'active':
      return 'ACTIVE';
    case 'inactive':
      return 'INACTIVE';
    default:
      return null;
  }
}

const EMPLOYMENT_TYPES: Record<string, EmploymentType> = {
  fulltime: 'FULL_TIME',
  parttime: 'PART_TIME',
  intern: 'INTERN',
  internship: 'INTERN',
  contractor: 'CONTRACTOR',
  contract: 'CONTRACTOR',
  freelance: 'FREELANCE',
  freelancer: 'FREELANCE',
};

/**
 * The `employmentStatus` table value (BambooHR's default list: Full-Time,
 * Part-Time, Contractor, Intern, Terminated…). Companies edit this list, so
 * anything else, `Terminated` included, stays unmapped.
 */
export function mapEmploymentType(
  raw: string | null | undefined,
): EmploymentType | null {
  return EMPLOYMENT_TYPES[enumKey(raw ?? '')] ?? null;
}

const PAY_PERIODS: Record<string, PayPeriod> = {
  hour: 'HOUR',
  day: 'DAY',
  week: 'WEEK',
  month: 'MONTH',
  quarter: 'QUARTER',
  year: 'YEAR',
};

/**
 * The compensation `paidPer` value (Hour, Day, Week, Month, Quarter, Year,
 * Pay Period, Piece). `Pay Period` depends on the pay schedule and `Piece`
 * is no period: both stay unmapped.
 */
export function mapPayPeriod(raw: string | null | undefined): PayPeriod | null {
  return PAY_PERIODS[enumKey(raw ?? '')] ?? null;
}

// ---------------------------------------------------------------------------
// Remote ids of the list-field entities.

/**
 * BambooHR keeps departments and divisions as two list fields whose option
 * ids are unique only within their list, so team remote ids name the list.
 */
export const teamRemoteId = {
  department: (optionId: string) => `department:${optionId}`,
  division: (optionId: string) => `division:${optionId}`,
};

export function parseTeamRemoteId(
  remoteId: string,
): { list: 'department' | 'division'; optionId: string } | null {
  const match = /^(department|division):(\d+)$/.exec(remoteId);
  const [, list, optionId] = match ?? [];
  return (list === 'department' || list === 'division') && optionId
    ? { list, optionId }
    : null;
}

// ---------------------------------------------------------------------------
// Entities.

export interface EmployeeContext {
  /** The company domain: the remote id of the account's one company. */
  companyDomain: string;
  /** From Get Changed Employee IDs when the caller has it. */
  lastChanged?: string | null;
}

/** A List Employees record → Employee. */
export function mapEmployee(
  record: BambooListEmployee,
  context: EmployeeContext,
): Employee {
  const firstName = nonEmpty(record.firstName);
  const lastName = nonEmpty(record.lastName);
  const preferred = nonEmpty(record.preferredName);
  const shownFirst = preferred ?? firstName;
  const displayName =
    [shownFirst, lastName].filter((part) => part !== null).join(' ') || null;
  const departmentId = record.departmentId ?? null;
  return {
    remoteId: record.employeeId,
    employeeNumber: nonEmpty(record.employeeNumber),
    firstName,
    lastName,
    displayName,
    workEmail: nonEmpty(record.workEmail),
    personalEmail: nonEmpty(record.homeEmail),
    mobilePhone: nonEmpty(record.mobilePhone),
    employmentStatus: mapEmploymentStatus(record.status),
    employmentStatusRaw: nonEmpty(record.status),
    jobTitle: nonEmpty(record.jobTitleName),
    managerRemoteId: nonEmpty(record.reportsToId),
    teamRemoteId:
      departmentId === null ? null : teamRemoteId.department(departmentId),
    workLocationRemoteId: nonEmpty(record.locationId),
    companyRemoteId: context.companyDomain,
    startDate: bambooDate(record.hireDate),
    terminationDate: bambooDate(record.terminationDate),
    dateOfBirth: bambooDate(record.birthDate),
    gender: mapGender(record.gender),
    genderRaw: nonEmpty(record.gender),
    maritalStatus: nonEmpty(record.maritalStatus),
    // BambooHR records carry no creation instant.
    createdAt: null,
    modifiedAt: bambooTimestamp(context.lastChanged),
    remoteData: record,
  };
}

/** The row in effect on `date`: the latest one that started by then. */
function rowOn<T extends { date?: string | null }>(
  rows: readonly T[],
  date: string | null,
): T | null {
  const dated = rows
    .map((row) => ({ row, date: bambooDate(row.date) }))
    .sort((a, b) => (a.date ?? '').localeCompare(b.date ?? ''));
  if (date === null) {
    return dated.at(-1)?.row ?? null;
  }
  const inEffect = dated.filter((entry) => (entry.date ?? '') <= date);
  // A job set up after the pay started still describes that pay best.
  return (inEffect.at(-1) ?? dated.at(0))?.row ?? null;
}

export interface EmployeeTables {
  jobInfo: readonly BambooJobInfoRow[];
  employmentStatus: readonly BambooEmploymentStatusRow[];
  compensation: readonly BambooCompensationRow[];
}

/**
 * An employee's history: one Employment per compensation row, with the job
 * title and employment status in effect on its start date. Newest first.
 */
export function mapEmployments(
  employeeId: string,
  tables: EmployeeTables,
): Employment[] {
  return tables.compensation
    .map((row): Employment => {
      const effectiveDate = bambooDate(row.startDate);
      const job = rowOn(tables.jobInfo, effectiveDate);
      const status = rowOn(tables.employmentStatus, effectiveDate);
      const { amount, currency } = parsePayRate(row.rate);
      const statusRaw = nonEmpty(status?.employmentStatus);
      return {
        remoteId: row.id,
        employeeRemoteId: employeeId,
        jobTitle: nonEmpty(job?.jobTitle),
        payRate: amount,
        payCurrency: currency,
        payPeriod: mapPayPeriod(row.paidPer),
        payPeriodRaw: nonEmpty(row.paidPer),
        employmentType: mapEmploymentType(statusRaw),
        employmentTypeRaw: statusRaw,
        effectiveDate,
        createdAt: null,
        modifiedAt: null,
        remoteData: {
          compensation: row,
          jobInfo: job,
          employmentStatus: status,
        },
      };
    })
    .sort(
      (a, b) =>
        (b.effectiveDate ?? '').localeCompare(a.effectiveDate ?? '') ||
        Number(b.remoteId) - Number(a.remoteId),
    );
}

function optionsOf(lists: readonly BambooMetaList[], alias: string) {
  const list = lists.find((candidate) => candidate.alias === alias);
  return [...(list?.options ?? [])].sort((a, b) => Number(a.id) - Number(b.id));
}

function teamFrom(remoteId: string, option: BambooListOption): Team {
  return {
    remoteId,
    name: nonEmpty(option.name),
    createdAt: bambooTimestamp(option.createdDate),
    modifiedAt: null,
    remoteData: option,
  };
}

/**
 * Teams are BambooHR's departments, then its divisions (the level above a
 * department in BambooHR's job information), each in option id order.
 */
export function mapTeams(lists: readonly BambooMetaList[]): Team[] {
  return [
    ...optionsOf(lists, 'department').map((option) =>
      teamFrom(teamRemoteId.department(option.id), option),
    ),
    ...optionsOf(lists, 'division').map((option) =>
      teamFrom(teamRemoteId.division(option.id), option),
    ),
  ];
}

/**
 * Work locations are the `location` list's options. The list holds names
 * only: address fields stay null (the address-bearing locations endpoint,
 * `/api/v1/hris/org/locations`, is OAuth-only).
 */
export function mapLocations(lists: readonly BambooMetaList[]): Location[] {
  return optionsOf(lists, 'location').map((option) => ({
    remoteId: option.id,
    name: nonEmpty(option.name),
    street1: null,
    city: null,
    state: null,
    zipCode: null,
    country: null,
    locationType: 'WORK',
    createdAt: bambooTimestamp(option.createdDate),
    modifiedAt: null,
    remoteData: option,
  }));
}

/**
 * One company per linked account, its remote id the company domain (the
 * tenant key BambooHR itself uses). Get Company Information has no EIN.
 */
export function mapCompany(
  info: BambooCompanyInformation,
  companyDomain: string,
): Company {
  return {
    remoteId: companyDomain,
    legalName: nonEmpty(info.legalName),
    displayName: nonEmpty(info.displayName),
    eins: [],
    createdAt: null,
    modifiedAt: null,
    remoteData: info,
  };
}
