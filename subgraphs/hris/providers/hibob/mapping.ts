/**
 * HiBob (Bob) payloads → the HRIS common model. Pure functions: no I/O, no
 * clock. Schemas are loose: unknown fields pass through into `remoteData`.
 *
 * Documentation followed (apidocs.hibob.com):
 * - Search for employees, `POST /v1/people/search`, and the People read API
 *   contract: the answer is `{ employees: [...] }`, each employee in the
 *   machine format (nested by category: `id`, `firstName`, `surname`,
 *   `email`, `work.{title, reportsTo, department, site, siteId, startDate}`,
 *   `internal.{status, lifecycleStatus, terminationDate}`,
 *   `home.{privateEmail, mobilePhone}`, `personal.birthDate`); list fields
 *   (`work.department`) hold the list item id. Only fields the service user
 *   may read are returned: a missing field is null here, never an error.
 * - How to work with lists: `humanReadable: "APPEND"` adds a `humanReadable`
 *   node with the same structure holding display values (the department's
 *   name), which names the teams.
 * - Dates are `yyyy-mm-dd`; `creationDateTime` carries no offset and is
 *   read as UTC.
 */
import { z } from 'zod';
import { providerFieldsFor } from '../../../../lib/selection';
import type { ProviderFieldTable } from '../../../../lib/selection';
import type { Employee, EmploymentStatus, Location, Team } from '../../models';

const text = z.string().nullish();
const id = z.union([z.string(), z.number()]).transform(String);

const reportsToSchema = z.looseObject({
  id: id.nullish(),
  email: text,
  displayName: text,
});

const workSchema = z.looseObject({
  title: text,
  reportsTo: reportsToSchema.nullish(),
  department: id.nullish(),
  site: text,
  siteId: id.nullish(),
  startDate: text,
  employeeIdInCompany: id.nullish(),
});

export const hibobEmployeeSchema = z.looseObject({
  id,
  firstName: text,
  surname: text,
  displayName: text,
  email: text,
  creationDateTime: text,
  work: workSchema.nullish(),
  internal: z
    .looseObject({
      status: text,
      lifecycleStatus: text,
      terminationDate: text,
    })
    .nullish(),
  home: z.looseObject({ privateEmail: text, mobilePhone: text }).nullish(),
  personal: z.looseObject({ birthDate: text }).nullish(),
  humanReadable: z
    .looseObject({
      work: z.looseObject({ department: text, site: text }).nullish(),
    })
    .nullish(),
});
export type HibobEmployee = z.infer<typeof hibobEmployeeSchema>;

export const peopleSearchResponseSchema = z.looseObject({
  employees: z.array(hibobEmployeeSchema),
});

/**
 * The field paths (People read API contract field ids) each `Employee`
 * field (GraphQL name) is mapped from. `/root/id` is always asked for (see
 * `hibobFieldsFor`). Not listed: `company`, `gender`, `genderRaw`,
 * `maritalStatus`, `modifiedAt` and `employments`, which this connector
 * does not read from Bob. `manager`, `team` and `workLocation` need only
 * the related id; `/work/site` (a site's name) is read for locations.
 */
const HIBOB_FIELDS_BY_EMPLOYEE_FIELD: ProviderFieldTable = {
  employeeNumber: '/work/employeeIdInCompany',
  firstName: '/root/firstName',
  lastName: '/root/surname',
  displayName: ['/root/displayName', '/root/firstName', '/root/surname'],
  workEmail: '/root/email',
  personalEmail: '/home/privateEmail',
  mobilePhone: '/home/mobilePhone',
  employmentStatus: ['/internal/status', '/internal/lifecycleStatus'],
  employmentStatusRaw: ['/internal/status', '/internal/lifecycleStatus'],
  jobTitle: '/work/title',
  manager: '/work/reportsTo',
  team: '/work/department',
  workLocation: '/work/siteId',
  startDate: '/work/startDate',
  terminationDate: '/internal/terminationDate',
  dateOfBirth: '/personal/birthDate',
  createdAt: '/root/creationDateTime',
};

/**
 * Every field path the model maps, and a site's name: what `remoteData`
 * holds, and what is asked for when the selection is unknown.
 */
export const HIBOB_FIELDS: readonly string[] = [
  '/root/id',
  ...new Set(Object.values(HIBOB_FIELDS_BY_EMPLOYEE_FIELD).flat()),
  '/work/site',
];

/**
 * The `fields` to ask Bob for so that the `Employee` fields in `selected`
 * (GraphQL names) are mapped; the others come back null. Absent, or with
 * `remoteData` selected: `HIBOB_FIELDS`. Always `/root/id`.
 */
export function hibobFieldsFor(selected?: ReadonlySet<string>): string[] {
  return providerFieldsFor(HIBOB_FIELDS_BY_EMPLOYEE_FIELD, selected, {
    all: HIBOB_FIELDS,
    always: ['/root/id'],
  });
}

function nonEmpty(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** A HiBob date (`yyyy-mm-dd`, sometimes with a time) as `yyyy-mm-dd`. */
export function hibobDate(value: string | null | undefined): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(value ?? '');
  return match?.[1] ?? null;
}

/**
 * A HiBob timestamp as ISO 8601 UTC. `creationDateTime` has no offset
 * (`2022-09-16T07:47:44.938494`): it is read as UTC, not as the local time
 * of whichever server parses it.
 */
export function hibobTimestamp(
  value: string | null | undefined,
): string | null {
  const raw = nonEmpty(value);
  if (raw === null) {
    return null;
  }
  const explicit = /(?:Z|[+-]\d{2}:?\d{2})$/.test(raw) ? raw : `${raw}Z`;
  // JavaScript parses at most milliseconds; HiBob sends microseconds.
  const ms = Date.parse(explicit.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function enumKey(raw: string): string {
  return raw.toLowerCase().replace(/[\s_-]+/g, '');
}

/**
 * Employment status from `internal.lifecycleStatus` (employed, hired, on
 * leave, garden leave, terminated…) and, when that is absent, from
 * `internal.status` (Active, Inactive). Leave is still employment: ACTIVE.
 * Anything else stays unmapped, with its raw value kept.
 */
export function mapHibobEmploymentStatus(
  lifecycleStatus: string | null | undefined,
  status: string | null | undefined,
): { status: EmploymentStatus | null; raw: string | null } {
  const lifecycle = nonEmpty(lifecycleStatus);
  if (lifecycle !== null) {
    switch (enumKey(lifecycle)) {
      case 'employed':
      case 'leave':
      case 'onleave':
      case 'gardenleave':
        return { status: 'ACTIVE', raw: lifecycle };
      case 'hired':
      case 'onboarding':
      case 'preboarding':
        return { status: 'PENDING', raw: lifecycle };
      case 'terminated':
        return { status: 'INACTIVE', raw: lifecycle };
      default:
        return { status: null, raw: lifecycle };
    }
  }
  const plain = nonEmpty(status);
  switch (enumKey(plain ?? '')) {
    case 'active':
      return { status: 'ACTIVE', raw: plain };
    case 'inactive':
      return { status: 'INACTIVE', raw: plain };
    default:
      return { status: null, raw: plain };
  }
}

/** A people search record → Employee. */
export function mapHibobEmployee(record: HibobEmployee): Employee {
  const firstName = nonEmpty(record.firstName);
  const lastName = nonEmpty(record.surname);
  const work = record.work ?? {};
  const internal = record.internal ?? {};
  const { status, raw } = mapHibobEmploymentStatus(
    internal.lifecycleStatus,
    internal.status,
  );
  return {
    remoteId: record.id,
    employeeNumber: nonEmpty(work.employeeIdInCompany),
    firstName,
    lastName,
    displayName:
      nonEmpty(record.displayName) ??
      ([firstName, lastName].filter((part) => part !== null).join(' ') || null),
    workEmail: nonEmpty(record.email),
    personalEmail: nonEmpty(record.home?.privateEmail),
    mobilePhone: nonEmpty(record.home?.mobilePhone),
    employmentStatus: status,
    employmentStatusRaw: raw,
    jobTitle: nonEmpty(work.title),
    managerRemoteId: nonEmpty(work.reportsTo?.id),
    teamRemoteId: nonEmpty(work.department),
    workLocationRemoteId: nonEmpty(work.siteId),
    // Bob's people API has no company record.
    companyRemoteId: null,
    startDate: hibobDate(work.startDate),
    terminationDate: hibobDate(internal.terminationDate),
    dateOfBirth: hibobDate(record.personal?.birthDate),
    // Not requested from Bob: the connector asks for `/personal/birthDate`
    // only, so gender and marital status stay unknown here.
    gender: null,
    genderRaw: null,
    maritalStatus: null,
    createdAt: hibobTimestamp(record.creationDateTime),
    // The people API carries no modification instant.
    modifiedAt: null,
    remoteData: record,
  };
}

/**
 * Teams are the department list items employees belong to, named from the
 * `humanReadable` node, in list item id order.
 */
export function hibobTeams(records: readonly HibobEmployee[]): Team[] {
  const names = new Map<string, string | null>();
  for (const record of records) {
    const department = nonEmpty(record.work?.department);
    if (department !== null && !names.has(department)) {
      names.set(
        department,
        nonEmpty(record.humanReadable?.work?.department ?? null),
      );
    }
  }
  return [...names]
    .sort(([a], [b]) => compareIds(a, b))
    .map(([remoteId, name]) => ({
      remoteId,
      name,
      createdAt: null,
      modifiedAt: null,
      remoteData: { id: remoteId, name },
    }));
}

/** Work locations are the sites employees work at, in site id order. */
export function hibobLocations(records: readonly HibobEmployee[]): Location[] {
  const names = new Map<string, string | null>();
  for (const record of records) {
    const siteId = nonEmpty(record.work?.siteId);
    if (siteId !== null && !names.has(siteId)) {
      names.set(siteId, nonEmpty(record.work?.site));
    }
  }
  return [...names]
    .sort(([a], [b]) => compareIds(a, b))
    .map(([remoteId, name]) => ({
      remoteId,
      name,
      street1: null,
      city: null,
      state: null,
      zipCode: null,
      country: null,
      locationType: 'WORK',
      createdAt: null,
      modifiedAt: null,
      remoteData: { siteId: remoteId, site: name },
    }));
}

/** Numeric-string ids in numeric order (HiBob ids exceed 2^53). */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
