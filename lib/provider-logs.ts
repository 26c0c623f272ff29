import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Counter } from 'prom-client';
import type { Category } from './categories';
import type { ProviderCallRecord } from './http';
import type { Logger } from './logger';
import { registry } from './metrics';
import type { Database } from './store/schema';

/** The request-log table (migration 0007), as Kysely sees it. */
export interface ProviderRequestLogTable {
  id: string;
  /** ISO 8601 UTC: when the call's first attempt started. */
  started_at: string;
  tenant_id: string;
  organization_id: string;
  linked_account_id: string;
  provider: string;
  category: string;
  method: string;
  /** Path template, never a concrete path with ids or emails. */
  route: string;
  status: number | null;
  status_class: StatusClass;
  error_code: string | null;
  duration_ms: number;
  attempts: number;
  request_id: string | null;
}

export type LogDatabase = Database & {
  provider_request_logs: ProviderRequestLogTable;
};

/** A call's outcome by HTTP status class; `NO_RESPONSE` when none came. */
export type StatusClass =
  'SUCCESS' | 'REDIRECT' | 'CLIENT_ERROR' | 'SERVER_ERROR' | 'NO_RESPONSE';

export function statusClass(status: number | undefined): StatusClass {
  if (status === undefined) return 'NO_RESPONSE';
  if (status < 300) return 'SUCCESS';
  if (status < 400) return 'REDIRECT';
  if (status < 500) return 'CLIENT_ERROR';
  return 'SERVER_ERROR';
}

/** Who a call was made for: added to the client's record before storing. */
export interface ProviderCallOwner {
  tenantId: string;
  organizationId: string;
  linkedAccountId: string;
  category: Category;
  requestId: string | undefined;
}

export interface ProviderLogWriterOptions {
  db: Kysely<Database>;
  logger: Logger;
  /** Rows older than this are deleted, in days. Default 7. */
  retentionDays?: number;
  /** Entries waiting to be written at most; more are dropped. Default 10_000. */
  capacity?: number;
  /** Longest an entry waits before its batch is written, in ms. Default 200. */
  flushIntervalMs?: number;
}

const BATCH_ROWS = 200;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

const droppedLogs = new Counter({
  name: 'tributary_provider_logs_dropped_total',
  help: 'Provider request log entries dropped because the write queue was full or the store failed.',
  registers: [registry],
});

/**
 * Records provider calls in the store without slowing the request path:
 * `record` only appends to a bounded in-memory queue; batches are written
 * in the background every `flushIntervalMs`. When the store is slow or
 * down and the queue is full, new entries are dropped and counted in
 * `tributary_provider_logs_dropped_total` rather than held in memory.
 * Expired rows are deleted at start and hourly.
 */
export class ProviderLogWriter {
  private readonly db: Kysely<LogDatabase>;
  private readonly logger: Logger;
  private readonly retentionDays: number;
  private readonly capacity: number;
  private readonly flushIntervalMs: number;
  private queue: ProviderRequestLogTable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(options: ProviderLogWriterOptions) {
    this.db = options.db.withTables<{
      provider_request_logs: ProviderRequestLogTable;
    }>();
    this.logger = options.logger;
    this.retentionDays = options.retentionDays ?? 7;
    this.capacity = options.capacity ?? 10_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 200;
    void this.prune();
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  /** Queues one call for writing; never throws, never waits. */
  record(owner: ProviderCallOwner, call: ProviderCallRecord): void {
    if (this.queue.length >= this.capacity) {
      droppedLogs.inc();
      return;
    }
    this.queue.push({
      id: randomUUID(),
      started_at: call.startedAt.toISOString(),
      tenant_id: owner.tenantId,
      organization_id: owner.organizationId,
      linked_account_id: owner.linkedAccountId,
      provider: call.provider,
      category: owner.category,
      method: call.method,
      route: call.route,
      status: call.status ?? null,
      status_class: statusClass(call.status),
      error_code: call.errorCode ?? null,
      duration_ms: call.durationMs,
      attempts: call.attempts,
      request_id: owner.requestId ?? null,
    });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushIntervalMs);
  }

  /** Writes everything queued so far; resolves once it is in the store. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, BATCH_ROWS);
        try {
          await this.db
            .insertInto('provider_request_logs')
            .values(batch)
            .execute();
        } catch (error: unknown) {
          droppedLogs.inc(batch.length);
          this.logger.warn(
            { err: error, entries: batch.length },
            'could not write provider request logs',
          );
        }
      }
    });
    return this.flushing;
  }

  /** Deletes rows older than the retention. */
  async prune(now = Date.now()): Promise<void> {
    const before = new Date(
      now - this.retentionDays * 24 * 60 * 60 * 1000,
    ).toISOString();
    try {
      await this.db
        .deleteFrom('provider_request_logs')
        .where('started_at', '<', before)
        .execute();
    } catch (error: unknown) {
      this.logger.warn({ err: error }, 'could not prune provider request logs');
    }
  }

  /** Writes what is queued and stops the timers. */
  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.flush();
  }
}

/** What an admin searches request logs by; every field narrows. */
export interface ProviderLogFilter {
  tenantId: string;
  provider?: string | undefined;
  linkedAccountId?: string | undefined;
  statusClasses?: readonly StatusClass[] | undefined;
  /** Inclusive lower bound of `started_at`. */
  since?: Date | undefined;
  /** Exclusive upper bound of `started_at`. */
  until?: Date | undefined;
  requestId?: string | undefined;
}

/**
 * Request logs of one tenant, newest first (ties by id), `first` at most
 * 200, after the keyset `after` (`started_at` and id of the last row seen).
 * Fetches one row more than asked so callers know whether more exist.
 */
export async function searchProviderLogs(
  db: Kysely<Database>,
  filter: ProviderLogFilter,
  page: { first: number; after?: { startedAt: string; id: string } },
): Promise<{ rows: ProviderRequestLogTable[]; hasNextPage: boolean }> {
  let query = db
    .withTables<{ provider_request_logs: ProviderRequestLogTable }>()
    .selectFrom('provider_request_logs')
    .selectAll()
    .where('tenant_id', '=', filter.tenantId);
  if (filter.provider) query = query.where('provider', '=', filter.provider);
  if (filter.linkedAccountId) {
    query = query.where('linked_account_id', '=', filter.linkedAccountId);
  }
  if (filter.statusClasses && filter.statusClasses.length > 0) {
    query = query.where('status_class', 'in', [...filter.statusClasses]);
  }
  if (filter.since) {
    query = query.where('started_at', '>=', filter.since.toISOString());
  }
  if (filter.until) {
    query = query.where('started_at', '<', filter.until.toISOString());
  }
  if (filter.requestId) {
    query = query.where('request_id', '=', filter.requestId);
  }
  const after = page.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('started_at', '<', after.startedAt),
        eb.and([
          eb('started_at', '=', after.startedAt),
          eb('id', '<', after.id),
        ]),
      ]),
    );
  }
  const rows = await query
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.first + 1)
    .execute();
  return {
    rows: rows.slice(0, page.first),
    hasNextPage: rows.length > page.first,
  };
}
