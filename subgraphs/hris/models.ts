/**
 * The HRIS common model, as connectors hand it to resolvers. Field names
 * follow `schema/hris.graphql`; relations are remote ids the resolvers turn
 * into entities through batched loaders. Enums keep the provider's own value
 * alongside (`…Raw`): an unmapped value leaves the enum null, never guessed.
 */

export const EMPLOYMENT_STATUSES = ['ACTIVE', 'PENDING', 'INACTIVE'] as const;
export type EmploymentStatus = (typeof EMPLOYMENT_STATUSES)[number];

export const EMPLOYMENT_TYPES = [
  'FULL_TIME',
  'PART_TIME',
  'INTERN',
  'CONTRACTOR',
  'FREELANCE',
] as const;
export type EmploymentType = (typeof EMPLOYMENT_TYPES)[number];

export const PAY_PERIODS = [
  'HOUR',
  'DAY',
  'WEEK',
  'EVERY_TWO_WEEKS',
  'SEMIMONTHLY',
  'MONTH',
  'QUARTER',
  'EVERY_SIX_MONTHS',
  'YEAR',
] as const;
export type PayPeriod = (typeof PAY_PERIODS)[number];

export type LocationType = 'HOME' | 'WORK';

export const GENDERS = [
  'MALE',
  'FEMALE',
  'NON_BINARY',
  'OTHER',
  'PREFER_NOT_TO_DISCLOSE',
] as const;
export type Gender = (typeof GENDERS)[number];

/** Dates are `yyyy-mm-dd`; instants are ISO 8601 strings in UTC. */
export interface Employee {
  remoteId: string;
  employeeNumber: string | null;
  firstName: string | null;
  lastName: string | null;
  /** Preferred first name when there is one, else first name; then last. */
  displayName: string | null;
  workEmail: string | null;
  personalEmail: string | null;
  mobilePhone: string | null;
  employmentStatus: EmploymentStatus | null;
  employmentStatusRaw: string | null;
  jobTitle: string | null;
  managerRemoteId: string | null;
  teamRemoteId: string | null;
  workLocationRemoteId: string | null;
  companyRemoteId: string | null;
  startDate: string | null;
  terminationDate: string | null;
  dateOfBirth: string | null;
  gender: Gender | null;
  genderRaw: string | null;
  /** The provider's own value: providers let customers define the list. */
  maritalStatus: string | null;
  createdAt: string | null;
  /**
   * Null when the provider's record does not carry it; resolvers then ask
   * `HrisConnector.fetchEmployeeModifiedAt`.
   */
  modifiedAt: string | null;
  remoteData: unknown;
}

export interface Employment {
  remoteId: string;
  employeeRemoteId: string;
  jobTitle: string | null;
  payRate: number | null;
  /** ISO 4217. */
  payCurrency: string | null;
  payPeriod: PayPeriod | null;
  payPeriodRaw: string | null;
  employmentType: EmploymentType | null;
  employmentTypeRaw: string | null;
  effectiveDate: string | null;
  createdAt: string | null;
  modifiedAt: string | null;
  remoteData: unknown;
}

export interface Team {
  remoteId: string;
  name: string | null;
  createdAt: string | null;
  modifiedAt: string | null;
  remoteData: unknown;
}

export interface Location {
  remoteId: string;
  name: string | null;
  street1: string | null;
  city: string | null;
  state: string | null;
  zipCode: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string | null;
  locationType: LocationType | null;
  createdAt: string | null;
  modifiedAt: string | null;
  remoteData: unknown;
}

export interface Company {
  remoteId: string;
  legalName: string | null;
  displayName: string | null;
  eins: string[];
  createdAt: string | null;
  modifiedAt: string | null;
  remoteData: unknown;
}
