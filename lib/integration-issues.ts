import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ErrorCode } from './errors';
import type { ProviderCallRecord } from './http';
import type { Logger } from './logger';
import type { Database } from './store/schema';
import type { LinkedAccount, LinkedAccountStatus } from './store/store';

/**
 * Why a linked account needs attention. Credential and permission issues
 * need the customer to link the account again; the others are the
 * provider's and pass by themselves.
 */
export type IntegrationIssueKind =
  | 'CREDENTIALS_REJECTED'
  | 'PERMISSION_DENIED'
  | 'RATE_LIMITED'
  | 'PROVIDER_OUTAGE';

/** The issues table (migration 0007), as Kysely sees it. */
export interface IntegrationIssueTable {
  id: string;
  tenant_id: string;
  linked_account_id: string;
  kind: IntegrationIssueKind;
  message: string;
  opened_at: string;
  last_seen_at: string;
  /** Null while the issue is open. */
  resolved_at: string | null;
}

export type IssueDatabase = Database & {
  integration_issues: IntegrationIssueTable;
};

const MESSAGES: Record<IntegrationIssueKind, string> = {
  CREDENTIALS_REJECTED:
    'The provider rejects the linked account’s credentials (HTTP 401): they expired or were revoked. Link the account again.',
  PERMISSION_DENIED:
    'The provider refuses the linked account access (HTTP 403): its credentials lack a permission. Link the account again with the permissions needed.',
  RATE_LIMITED:
    'The provider keeps rate-limiting the linked account (HTTP 429).',
  PROVIDER_OUTAGE:
    'The provider keeps failing for the linked account (5xx, timeouts or unreadable answers).',
};

/** The issue a failed call points to; undefined for a healthy answer. */
export function issueKindOf(
  call: ProviderCallRecord,
): IntegrationIssueKind | undefined {
  // By code first: a connector may classify a provider's own signal (a
  // Salesforce 403 that is a rate limit, a Linear 400 that is an expired
  // key) beyond what the status says.
  switch (call.errorCode) {
    case ErrorCode.RELINK_NEEDED:
      return call.status === 403 ? 'PERMISSION_DENIED' : 'CREDENTIALS_REJECTED';
    case ErrorCode.UPSTREAM_RATE_LIMITED:
      return 'RATE_LIMITED';
    case ErrorCode.UPSTREAM_UNAVAILABLE:
    case ErrorCode.UPSTREAM_TIMEOUT:
      return 'PROVIDER_OUTAGE';
    default:
      return undefined;
  }
}

/** A linked account's status given the kinds of its open issues. */
export function statusFor(
  open: ReadonlySet<IntegrationIssueKind>,
): LinkedAccountStatus {
  if (open.has('CREDENTIALS_REJECTED') || open.has('PERMISSION_DENIED')) {
    return 'RELINK_NEEDED';
  }
  return open.size > 0 ? 'DEGRADED' : 'ACTIVE';
}

export interface IntegrationMonitorOptions {
  db: Kysely<Database>;
  logger: Logger;
  /** Consecutive failed calls of one kind that open an issue. Default 3. */
  threshold?: number;
  /**
   * How often a call may still try a linked account marked
   * `RELINK_NEEDED`, so that it recovers once the provider accepts its
   * credentials again, in ms. Default 60_000.
   */
  probeIntervalMs?: number;
}

type Watched = Pick<LinkedAccount, 'id' | 'tenantId' | 'provider' | 'status'>;

/**
 * Watches the outcome of every provider call and keeps each linked
 * account's integration issues and status current: `threshold` consecutive
 * 401s, 403s, 429s or outages open an issue (once) and move the account to
 * `RELINK_NEEDED` or `DEGRADED`; the first healthy answer resolves every
 * open issue and makes it `ACTIVE` again. Counting is per process; writes
 * run in the background, one at a time, off the request path.
 */
export class IntegrationMonitor {
  private readonly db: Kysely<IssueDatabase>;
  private readonly logger: Logger;
  private readonly threshold: number;
  private readonly probeIntervalMs: number;
  private readonly streaks = new Map<
    string,
    { kind: IntegrationIssueKind; count: number }
  >();
  private readonly open = new Map<string, Set<IntegrationIssueKind>>();
  private readonly probes = new Map<string, number>();
  private writes: Promise<void> = Promise.resolve();

  constructor(options: IntegrationMonitorOptions) {
    this.db = options.db.withTables<{
      integration_issues: IntegrationIssueTable;
    }>();
    this.logger = options.logger;
    this.threshold = options.threshold ?? 3;
    this.probeIntervalMs = options.probeIntervalMs ?? 60_000;
  }

  /** Takes note of one finished call of `account`. Never throws. */
  observe(account: Watched, call: ProviderCallRecord): void {
    const kind = issueKindOf(call);
    if (kind === undefined) {
      // 2xx, but also 404 and 400: the provider answered and accepted
      // the credentials, so nothing is wrong with the integration.
      this.streaks.delete(account.id);
      if (call.status !== undefined && call.status < 500) {
        const known = this.open.get(account.id);
        if (account.status !== 'ACTIVE' || (known && known.size > 0)) {
          this.enqueue(() => this.resolve(account));
        }
      }
      return;
    }
    const streak = this.streaks.get(account.id);
    const count = streak?.kind === kind ? streak.count + 1 : 1;
    this.streaks.set(account.id, { kind, count });
    if (count >= this.threshold && !this.open.get(account.id)?.has(kind)) {
      this.enqueue(() => this.openIssue(account, kind));
    }
  }

  /**
   * Whether a request may call the provider of an account marked
   * `RELINK_NEEDED` anyway: once per `probeIntervalMs` per account, so
   * fixed credentials are noticed without a relink.
   */
  mayProbe(linkedAccountId: string, now = Date.now()): boolean {
    const last = this.probes.get(linkedAccountId);
    if (last !== undefined && now - last < this.probeIntervalMs) {
      return false;
    }
    this.probes.set(linkedAccountId, now);
    return true;
  }

  /** Resolves once every write noted so far is in the store. */
  settled(): Promise<void> {
    return this.writes;
  }

  private enqueue(write: () => Promise<void>): void {
    this.writes = this.writes.then(write).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not update integration issues');
    });
  }

  private async openKinds(
    linkedAccountId: string,
  ): Promise<Set<IntegrationIssueKind>> {
    const rows = await this.db
      .selectFrom('integration_issues')
      .select('kind')
      .where('linked_account_id', '=', linkedAccountId)
      .where('resolved_at', 'is', null)
      .execute();
    return new Set(rows.map((row) => row.kind));
  }

  private async openIssue(
    account: Watched,
    kind: IntegrationIssueKind,
  ): Promise<void> {
    const at = new Date().toISOString();
    const open = await this.openKinds(account.id);
    if (open.has(kind)) {
      await this.db
        .updateTable('integration_issues')
        .set({ last_seen_at: at })
        .where('linked_account_id', '=', account.id)
        .where('kind', '=', kind)
        .where('resolved_at', 'is', null)
        .execute();
    } else {
      await this.db
        .insertInto('integration_issues')
        .values({
          id: randomUUID(),
          tenant_id: account.tenantId,
          linked_account_id: account.id,
          kind,
          message: MESSAGES[kind],
          opened_at: at,
          last_seen_at: at,
          resolved_at: null,
        })
        .execute();
      open.add(kind);
      this.logger.warn(
        { linkedAccountId: account.id, provider: account.provider, kind },
        'integration issue opened',
      );
    }
    this.open.set(account.id, open);
    await this.setStatus(account.id, statusFor(open), at);
  }

  private async resolve(account: Watched): Promise<void> {
    const at = new Date().toISOString();
    const resolved = await this.db
      .updateTable('integration_issues')
      .set({ resolved_at: at })
      .where('linked_account_id', '=', account.id)
      .where('resolved_at', 'is', null)
      .executeTakeFirst();
    this.open.delete(account.id);
    this.probes.delete(account.id);
    await this.setStatus(account.id, 'ACTIVE', at);
    if (Number(resolved.numUpdatedRows) > 0) {
      this.logger.info(
        { linkedAccountId: account.id, provider: account.provider },
        'integration issues resolved',
      );
    }
  }

  private async setStatus(
    linkedAccountId: string,
    status: LinkedAccountStatus,
    at: string,
  ): Promise<void> {
    await this.db
      .updateTable('linked_accounts')
      .set((eb) => ({
        status,
        updated_at: at,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', linkedAccountId)
      .where('status', '!=', status)
      .execute();
  }
}

/** An integration issue as admins read it. */
export interface IntegrationIssue {
  id: string;
  linkedAccountId: string;
  kind: IntegrationIssueKind;
  message: string;
  openedAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
}

/**
 * Issues of one tenant, newest first; narrowed to one linked account and
 * to open (`open: true`) or resolved (`open: false`) ones when asked.
 */
export async function listIntegrationIssues(
  db: Kysely<Database>,
  filter: {
    tenantId: string;
    linkedAccountId?: string | undefined;
    open?: boolean | undefined;
  },
): Promise<IntegrationIssue[]> {
  let query = db
    .withTables<{ integration_issues: IntegrationIssueTable }>()
    .selectFrom('integration_issues')
    .selectAll()
    .where('tenant_id', '=', filter.tenantId);
  if (filter.linkedAccountId) {
    query = query.where('linked_account_id', '=', filter.linkedAccountId);
  }
  if (filter.open === true) query = query.where('resolved_at', 'is', null);
  if (filter.open === false) {
    query = query.where('resolved_at', 'is not', null);
  }
  const rows = await query.orderBy('opened_at', 'desc').limit(500).execute();
  return rows.map((row) => ({
    id: row.id,
    linkedAccountId: row.linked_account_id,
    kind: row.kind,
    message: row.message,
    openedAt: new Date(row.opened_at),
    lastSeenAt: new Date(row.last_seen_at),
    resolvedAt: row.resolved_at ? new Date(row.resolved_at) : null,
  }));
}
