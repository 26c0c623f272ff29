/**
 * Salesforce sObject records → the CRM common model. Field names follow the
 * Salesforce Object Reference (Account, Contact, Lead, Opportunity, User,
 * Note). A field the query did not select maps to null. `remoteData` is the
 * record as Salesforce sent it.
 */
import type {
  CrmAccount,
  CrmContact,
  CrmNote,
  CrmUser,
  Lead,
  Opportunity,
  OpportunityStatus,
} from '../../models';

/** One record of a query or sObject Collections answer. */
export type SObjectRecord = Record<string, unknown> & {
  attributes?: { type?: string; url?: string };
};

export type SObjectName =
  'Account' | 'Contact' | 'Lead' | 'Opportunity' | 'User' | 'Note';

/** Key prefixes of standard objects (the first 3 characters of an id). */
export const KEY_PREFIXES = {
  Account: '001',
  Contact: '003',
  Lead: '00Q',
  Opportunity: '006',
  User: '005',
  Note: '002',
} as const satisfies Record<SObjectName, string>;

function text(record: SObjectRecord, field: string): string | null {
  const value = record[field];
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return null;
}

function number(record: SObjectRecord, field: string): number | null {
  const value = record[field];
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

function bool(record: SObjectRecord, field: string): boolean | null {
  const value = record[field];
  return typeof value === 'boolean' ? value : null;
}

/**
 * Salesforce writes dateTime fields as `2026-11-01T12:00:00.000+0000`
 * (always UTC in the REST API); the offset gains its colon for Date.parse.
 */
export function parseDateTime(value: unknown): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const iso = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : new Date(at);
}

/** A date field (`2026-11-01`), as the instant it starts, UTC. */
function parseDate(value: unknown): Date | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return null;
  }
  return new Date(`${value}T00:00:00.000Z`);
}

function id(record: SObjectRecord): string {
  return String(record.Id);
}

export function mapAccount(record: SObjectRecord): CrmAccount {
  return {
    remoteId: id(record),
    name: text(record, 'Name'),
    description: text(record, 'Description'),
    industry: text(record, 'Industry'),
    website: text(record, 'Website'),
    numberOfEmployees: number(record, 'NumberOfEmployees'),
    ownerRemoteId: text(record, 'OwnerId'),
    createdAt: parseDateTime(record.CreatedDate),
    modifiedAt: parseDateTime(record.LastModifiedDate),
    remoteData: record,
  };
}

export function mapContact(record: SObjectRecord): CrmContact {
  return {
    remoteId: id(record),
    firstName: text(record, 'FirstName'),
    lastName: text(record, 'LastName'),
    email: text(record, 'Email'),
    phone: text(record, 'Phone'),
    title: text(record, 'Title'),
    accountRemoteId: text(record, 'AccountId'),
    ownerRemoteId: text(record, 'OwnerId'),
    createdAt: parseDateTime(record.CreatedDate),
    modifiedAt: parseDateTime(record.LastModifiedDate),
    remoteData: record,
  };
}

export function mapLead(record: SObjectRecord): Lead {
  return {
    remoteId: id(record),
    firstName: text(record, 'FirstName'),
    lastName: text(record, 'LastName'),
    email: text(record, 'Email'),
    phone: text(record, 'Phone'),
    title: text(record, 'Title'),
    company: text(record, 'Company'),
    leadSource: text(record, 'LeadSource'),
    ownerRemoteId: text(record, 'OwnerId'),
    convertedAt:
      bool(record, 'IsConverted') === true
        ? parseDate(record.ConvertedDate)
        : null,
    createdAt: parseDateTime(record.CreatedDate),
    modifiedAt: parseDateTime(record.LastModifiedDate),
    remoteData: record,
  };
}

/**
 * Opportunity status from `IsClosed` and `IsWon` (Object Reference,
 * Opportunity): open while not closed; closed and won is WON; closed and
 * not won is LOST. Stage names are org-defined, so they are never read for
 * the status; without both flags the status is null (the stage stays in
 * `statusRaw`).
 */
export function opportunityStatus(
  isClosed: boolean | null,
  isWon: boolean | null,
): OpportunityStatus | null {
  if (isClosed === false) return 'OPEN';
  if (isClosed === true && isWon === true) return 'WON';
  if (isClosed === true && isWon === false) return 'LOST';
  return null;
}

export function mapOpportunity(record: SObjectRecord): Opportunity {
  const closeDate = text(record, 'CloseDate');
  return {
    remoteId: id(record),
    name: text(record, 'Name'),
    description: text(record, 'Description'),
    amount: number(record, 'Amount'),
    status: opportunityStatus(bool(record, 'IsClosed'), bool(record, 'IsWon')),
    statusRaw: text(record, 'StageName'),
    stage: text(record, 'StageName'),
    closeDate:
      closeDate && /^\d{4}-\d{2}-\d{2}$/.test(closeDate) ? closeDate : null,
    ownerRemoteId: text(record, 'OwnerId'),
    accountRemoteId: text(record, 'AccountId'),
    createdAt: parseDateTime(record.CreatedDate),
    modifiedAt: parseDateTime(record.LastModifiedDate),
    remoteData: record,
  };
}

export function mapUser(record: SObjectRecord): CrmUser {
  const name =
    text(record, 'Name') ??
    ([text(record, 'FirstName'), text(record, 'LastName')]
      .filter(Boolean)
      .join(' ') ||
      null);
  return {
    remoteId: id(record),
    name,
    email: text(record, 'Email'),
    isActive: bool(record, 'IsActive'),
    createdAt: parseDateTime(record.CreatedDate),
    modifiedAt: parseDateTime(record.LastModifiedDate),
    remoteData: record,
  };
}

/** A Note's parent is any record; its key prefix says which kind. */
export function mapNote(record: SObjectRecord): CrmNote {
  const parent = text(record, 'ParentId');
  const parentIs = (prefix: string) =>
    parent !== null && parent.startsWith(prefix) ? parent : null;
  const title = text(record, 'Title');
  const body = text(record, 'Body');
  return {
    remoteId: id(record),
    content: body ?? title,
    ownerRemoteId: text(record, 'OwnerId'),
    accountRemoteId: parentIs(KEY_PREFIXES.Account),
    contactRemoteId: parentIs(KEY_PREFIXES.Contact),
    opportunityRemoteId: parentIs(KEY_PREFIXES.Opportunity),
    createdAt: parseDateTime(record.CreatedDate),
    modifiedAt: parseDateTime(record.LastModifiedDate),
    remoteData: record,
  };
}

/**
 * The columns each common-model field needs, per object: the SOQL `SELECT`
 * list is built from the fields a query asked for. `Id` is always selected.
 */
export const COLUMNS: Record<SObjectName, Record<string, readonly string[]>> = {
  Account: {
    name: ['Name'],
    description: ['Description'],
    industry: ['Industry'],
    website: ['Website'],
    numberOfEmployees: ['NumberOfEmployees'],
    owner: ['OwnerId'],
    createdAt: ['CreatedDate'],
    modifiedAt: ['LastModifiedDate'],
  },
  Contact: {
    firstName: ['FirstName'],
    lastName: ['LastName'],
    email: ['Email'],
    phone: ['Phone'],
    title: ['Title'],
    account: ['AccountId'],
    owner: ['OwnerId'],
    createdAt: ['CreatedDate'],
    modifiedAt: ['LastModifiedDate'],
  },
  Lead: {
    firstName: ['FirstName'],
    lastName: ['LastName'],
    email: ['Email'],
    phone: ['Phone'],
    title: ['Title'],
    company: ['Company'],
    leadSource: ['LeadSource'],
    owner: ['OwnerId'],
    convertedAt: ['IsConverted', 'ConvertedDate'],
    createdAt: ['CreatedDate'],
    modifiedAt: ['LastModifiedDate'],
  },
  Opportunity: {
    name: ['Name'],
    description: ['Description'],
    amount: ['Amount'],
    status: ['IsClosed', 'IsWon', 'StageName'],
    statusRaw: ['StageName'],
    stage: ['StageName'],
    closeDate: ['CloseDate'],
    owner: ['OwnerId'],
    account: ['AccountId'],
    createdAt: ['CreatedDate'],
    modifiedAt: ['LastModifiedDate'],
  },
  User: {
    name: ['Name', 'FirstName', 'LastName'],
    email: ['Email'],
    isActive: ['IsActive'],
    createdAt: ['CreatedDate'],
    modifiedAt: ['LastModifiedDate'],
  },
  Note: {
    content: ['Title', 'Body'],
    owner: ['OwnerId'],
    account: ['ParentId'],
    contact: ['ParentId'],
    opportunity: ['ParentId'],
    createdAt: ['CreatedDate'],
    modifiedAt: ['LastModifiedDate'],
  },
};

/**
 * The SELECT list for `fields` (common-model names); every mapped column
 * when `fields` is absent or asks for `remoteData`. Unknown names are
 * ignored (`id`, `remoteId` and `__typename` need only `Id`).
 */
export function selectColumns(
  object: SObjectName,
  fields: readonly string[] | undefined,
): string[] {
  const columns = COLUMNS[object];
  const wanted =
    fields === undefined || fields.includes('remoteData')
      ? Object.keys(columns)
      : fields;
  const selected = new Set<string>(['Id']);
  for (const field of wanted) {
    for (const column of columns[field] ?? []) {
      selected.add(column);
    }
  }
  return [...selected];
}
