import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Category } from '../categories';
import { ErrorCode, tributaryError } from '../errors';
import type { Database } from './schema';

/**
 * How an operation ended: `OK` without errors, `PARTIAL` with data and
 * errors (a FORBIDDEN field, a failing provider), `FAILED` without data.
 */
export type AuditOutcome = 'OK' | 'PARTIAL' | 'FAILED';

/** Which API an operation came through. */
export type AuditSurface = 'graphql' | 'admin';

/**
 * One gateway operation, as the audit trail keeps it: who (tenant, API key,
 * organization), what (operation name, type and hash, categories touched,
 * the personal and pay field coordinates returned) and how it ended. Never
 * the values returned, never the account token.
 */
export interface AuditRecord {
  id: string;
  /** ISO 8601, UTC. */
  occurredAt: string;
  tenantId: string;
  apiKeyId: string;
  surface: AuditSurface;
  /** Null on the admin API, which takes no account token. */
  organizationId: string | null;
  requestId: string;
  operationName: string | null;
  operationType: string | null;
  /** SHA-256 of the operation text, hex. */
  operationHash: string | null;
  categories: Category[];
  /** Coordinates such as `Employee.dateOfBirth`, sorted. */
  personalFields: string[];
  /** Coordinates such as `Employment.payRate`, sorted. */
  compensationFields: string[];
  outcome: AuditOutcome;
  /** Distinct `extensions.code` values of the response's errors, sorted. */
  errorCodes: string[];
  durationMs: number;
}

export type NewAuditRecord = Omit<AuditRecord, 'id' | 'occurredAt'> & {
  occurredAt?: string;
};

/** Writes one audit record; returns its id. */
export async function recordAudit(
  db: Kysely<Database>,
  record: NewAuditRecord,
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('audit_records')
    .values({
      id,
      occurred_at: record.occurredAt ?? new Date().toISOString(),
      tenant_id: record.tenantId,
      api_key_id: record.apiKeyId,
      surface: record.surface,
      organization_id: record.organizationId,
      request_id: record.requestId,
      operation_name: record.operationName,
      operation_type: record.operationType,
      operation_hash: record.operationHash,
      categories: JSON.stringify([...record.categories].sort()),
      personal_fields: JSON.stringify([...record.personalFields].sort()),
      compensation_fields: JSON.stringify(
        [...record.compensationFields].sort(),
      ),
      outcome: record.outcome,
      error_codes: JSON.stringify([...record.errorCodes].sort()),
      duration_ms: Math.round(record.durationMs),
    })
    .execute();
  return id;
}

export interface AuditFilter {
  tenantId: string;
  /** Page size, 1 to 100. */
  first: number;
  /** `endCursor` of the previous page. */
  after?: string | null | undefined;
  apiKeyId?: string | null | undefined;
  surface?: AuditSurface | null | undefined;
  organizationId?: string | null | undefined;
  /** Only records at or after this instant (ISO 8601). */
  since?: string | null | undefined;
  /** Only records before this instant (ISO 8601). */
  until?: string | null | undefined;
  /** Only records that returned at least one personal or pay field. */
  sensitiveOnly?: boolean | null | undefined;
}

export interface AuditPage {
  records: AuditRecord[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** The cursor of a record, for `after`. */
export function auditCursor(record: {
  occurred_at: string;
  id: string;
}): string {
  return Buffer.from(`${record.occurred_at}|${record.id}`, 'utf8').toString(
    'base64url',
  );
}

function parseCursor(cursor: string): { at: string; id: string } {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const [at, id] = decoded.split('|');
  if (!at || !id || Number.isNaN(Date.parse(at))) {
    throw tributaryError(
      ErrorCode.BAD_USER_INPUT,
      `Expected an audit cursor from a previous page, received "${cursor}".`,
    );
  }
  return { at, id };
}

/**
 * A tenant's audit records, newest first (then by id, so pages never skip
 * or repeat a record written in the same millisecond).
 */
export async function listAuditRecords(
  db: Kysely<Database>,
  filter: AuditFilter,
): Promise<AuditPage> {
  if (
    !Number.isInteger(filter.first) ||
    filter.first < 1 ||
    filter.first > 100
  ) {
    throw tributaryError(
      ErrorCode.BAD_USER_INPUT,
      `first must be 1 to 100, received ${filter.first}.`,
    );
  }
  let query = db
    .selectFrom('audit_records')
    .selectAll()
    .where('tenant_id', '=', filter.tenantId);
  if (filter.apiKeyId) query = query.where('api_key_id', '=', filter.apiKeyId);
  if (filter.surface) query = query.where('surface', '=', filter.surface);
  if (filter.organizationId) {
    query = query.where('organization_id', '=', filter.organizationId);
  }
  if (filter.since) query = query.where('occurred_at', '>=', filter.since);
  if (filter.until) query = query.where('occurred_at', '<', filter.until);
  if (filter.sensitiveOnly) {
    query = query.where((eb) =>
      eb.or([
        eb('personal_fields', '!=', '[]'),
        eb('compensation_fields', '!=', '[]'),
      ]),
    );
  }
  if (filter.after) {
    const { at, id } = parseCursor(filter.after);
    query = query.where((eb) =>
      eb.or([
        eb('occurred_at', '<', at),
        eb.and([eb('occurred_at', '=', at), eb('id', '<', id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.first + 1)
    .execute();
  const page = rows.slice(0, filter.first);
  const last = page.at(-1);
  return {
    records: page.map((row) => ({
      id: row.id,
      occurredAt: row.occurred_at,
      tenantId: row.tenant_id,
      apiKeyId: row.api_key_id,
      surface: row.surface as AuditSurface,
      organizationId: row.organization_id,
      requestId: row.request_id,
      operationName: row.operation_name,
      operationType: row.operation_type,
      operationHash: row.operation_hash,
      categories: JSON.parse(row.categories) as Category[],
      personalFields: JSON.parse(row.personal_fields) as string[],
      compensationFields: JSON.parse(row.compensation_fields) as string[],
      outcome: row.outcome as AuditOutcome,
      errorCodes: JSON.parse(row.error_codes) as string[],
      durationMs: row.duration_ms,
    })),
    hasNextPage: rows.length > filter.first,
    endCursor: last ? auditCursor(last) : null,
  };
}

/** Deletes every record older than `before`; returns how many. */
export async function purgeAuditRecords(
  db: Kysely<Database>,
  before: Date,
): Promise<number> {
  const result = await db
    .deleteFrom('audit_records')
    .where('occurred_at', '<', before.toISOString())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
