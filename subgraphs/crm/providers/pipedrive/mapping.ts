/**
 * Pipedrive records → the CRM common model. Shapes follow the Pipedrive API
 * reference: v2 Persons, Organizations, Deals and Stages (RFC 3339 times),
 * v1 Leads (ISO 8601 times), Notes and Users (`YYYY-MM-DD HH:MM:SS`, UTC).
 * `remoteData` is the record as Pipedrive sent it.
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

export type PipedriveRecord = Record<string, unknown>;

function str(record: PipedriveRecord, field: string): string | null {
  const value = record[field];
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') return String(value);
  return null;
}

/** Ids of linked records: a number, or (v1) an object with `value`. */
function ref(record: PipedriveRecord, field: string): string | null {
  const value = record[field];
  if (typeof value === 'number' || typeof value === 'string') {
    return String(value);
  }
  if (typeof value === 'object' && value !== null && 'value' in value) {
    const inner = (value as { value: unknown }).value;
    return inner === null || inner === undefined ? null : String(inner);
  }
  return null;
}

/**
 * Pipedrive times: RFC 3339 (v2), ISO 8601 (v1 leads) or
 * `YYYY-MM-DD HH:MM:SS` in UTC (other v1 endpoints).
 */
export function parseTime(value: unknown): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value)
    ? `${value.replace(' ', 'T')}Z`
    : value;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : new Date(at);
}

/** The primary entry of a v2 `emails`/`phones` list, else the first. */
function primary(record: PipedriveRecord, field: string): string | null {
  const list = record[field];
  if (!Array.isArray(list)) return null;
  const entries = list.filter(
    (entry): entry is { value: unknown; primary?: unknown } =>
      typeof entry === 'object' && entry !== null && 'value' in entry,
  );
  const chosen = entries.find((entry) => entry.primary === true) ?? entries[0];
  return typeof chosen?.value === 'string' && chosen.value !== ''
    ? chosen.value
    : null;
}

export function mapOrganization(record: PipedriveRecord): CrmAccount {
  return {
    remoteId: String(record.id),
    name: str(record, 'name'),
    description: null,
    industry: null,
    website: null,
    numberOfEmployees: null,
    ownerRemoteId: ref(record, 'owner_id'),
    createdAt: parseTime(record.add_time),
    modifiedAt: parseTime(record.update_time),
    remoteData: record,
  };
}

export function mapPerson(record: PipedriveRecord): CrmContact {
  return {
    remoteId: String(record.id),
    firstName: str(record, 'first_name'),
    lastName: str(record, 'last_name'),
    email: primary(record, 'emails'),
    phone: primary(record, 'phones'),
    title: str(record, 'job_title'),
    accountRemoteId: ref(record, 'org_id'),
    ownerRemoteId: ref(record, 'owner_id'),
    createdAt: parseTime(record.add_time),
    modifiedAt: parseTime(record.update_time),
    remoteData: record,
  };
}

/**
 * A lead names no person fields of its own; the person it links to is
 * read with it (`person`), when the caller fetched it.
 */
export function mapLead(
  record: PipedriveRecord,
  person: PipedriveRecord | null,
): Lead {
  return {
    remoteId: String(record.id),
    firstName: person ? str(person, 'first_name') : null,
    lastName: person ? str(person, 'last_name') : null,
    email: person ? primary(person, 'emails') : null,
    phone: person ? primary(person, 'phones') : null,
    title: person ? str(person, 'job_title') : null,
    company: null,
    leadSource: str(record, 'source_name'),
    ownerRemoteId: ref(record, 'owner_id'),
    convertedAt: null,
    createdAt: parseTime(record.add_time),
    modifiedAt: parseTime(record.update_time),
    remoteData: record,
  };
}

/**
 * Deal status (Deals API): `open`, `won`, `lost` map to OPEN, WON, LOST;
 * `deleted` and anything unknown leave the status null with the raw value
 * kept.
 */
export function dealStatus(raw: string | null): OpportunityStatus | null {
  switch (raw) {
    case 'open':
      return 'OPEN';
    case 'won':
      return 'WON';
    case 'lost':
      return 'LOST';
    default:
      return null;
  }
}

export function mapDeal(
  record: PipedriveRecord,
  stageNames: ReadonlyMap<string, string>,
): Opportunity {
  const raw = str(record, 'status');
  const stageId = ref(record, 'stage_id');
  const closeDate = str(record, 'expected_close_date');
  const value = record.value;
  return {
    remoteId: String(record.id),
    name: str(record, 'title'),
    description: null,
    amount: typeof value === 'number' ? value : null,
    status: dealStatus(raw),
    statusRaw: raw,
    stage: stageId === null ? null : (stageNames.get(stageId) ?? null),
    closeDate:
      closeDate && /^\d{4}-\d{2}-\d{2}$/.test(closeDate) ? closeDate : null,
    ownerRemoteId: ref(record, 'owner_id'),
    accountRemoteId: ref(record, 'org_id'),
    createdAt: parseTime(record.add_time),
    modifiedAt: parseTime(record.update_time),
    remoteData: record,
  };
}

export function mapUser(record: PipedriveRecord): CrmUser {
  const active = record.active_flag;
  return {
    remoteId: String(record.id),
    name: str(record, 'name'),
    email: str(record, 'email'),
    isActive: typeof active === 'boolean' ? active : null,
    createdAt: parseTime(record.created),
    modifiedAt: parseTime(record.modified),
    remoteData: record,
  };
}

export function mapNote(record: PipedriveRecord): CrmNote {
  return {
    remoteId: String(record.id),
    content: str(record, 'content'),
    ownerRemoteId: ref(record, 'user_id'),
    accountRemoteId: ref(record, 'org_id'),
    contactRemoteId: ref(record, 'person_id'),
    opportunityRemoteId: ref(record, 'deal_id'),
    createdAt: parseTime(record.add_time),
    modifiedAt: parseTime(record.update_time),
    remoteData: record,
  };
}
