import type { ApolloServerPlugin } from '@apollo/server';
import {
  AUDIT_EXTENSION,
  type SubgraphAuditExtension,
} from '../lib/authorization';
import type { Category, Scope } from '../lib/categories';
import type { Logger } from '../lib/logger';
import {
  purgeAuditRecords,
  recordAudit,
  type AuditOutcome,
  type AuditSurface,
} from '../lib/store/audit';
import type { Principal, Store } from '../lib/store/store';

/**
 * The audit trail, gateway side.
 *
 * Who decides what was returned: the subgraphs. Each one knows which of
 * its restricted fields (personal or pay data) its resolvers returned
 * non-null after authorization, and says so in its response under
 * `extensions.tributaryAudit` (coordinates and the scope each needed, never
 * values). The gateway collects those per request, notes each category it
 * called, strips the extension so clients never see it, and writes one
 * record per operation when the response leaves. The gateway alone could
 * only guess from the query text (a selected field may be denied, null or
 * never reached); the subgraphs know. The record may over-report when the
 * gateway later nulls a parent (a non-null violation): for an audit trail
 * that errs on the right side.
 */

/** Which scope marks a restricted field as personal data vs. pay data. */
const PERSONAL: Scope = 'hris.pii:read';
const COMPENSATION: Scope = 'hris.compensation:read';

/** What one gateway request collects for its audit record. */
export class AuditCollector {
  readonly startedAt = performance.now();
  readonly categories = new Set<Category>();
  readonly fields = new Map<string, Scope>();

  /** Notes that a subgraph of `category` was called. */
  called(category: Category): void {
    this.categories.add(category);
  }

  /**
   * Takes the audit extension out of a subgraph response (so the client
   * never sees it) and keeps its field coordinates.
   */
  received<T extends { extensions?: Record<string, unknown> }>(response: T): T {
    const extension = response.extensions?.[AUDIT_EXTENSION] as
      SubgraphAuditExtension | undefined;
    if (!response.extensions || !extension) return response;
    for (const [coordinate, scope] of Object.entries(extension.fields)) {
      this.fields.set(coordinate, scope);
    }
    const { [AUDIT_EXTENSION]: _taken, ...rest } = response.extensions;
    return {
      ...response,
      extensions: Object.keys(rest).length > 0 ? rest : undefined,
    };
  }

  personalFields(): string[] {
    return [...this.fields].flatMap(([coordinate, scope]) =>
      scope === PERSONAL ? [coordinate] : [],
    );
  }

  compensationFields(): string[] {
    return [...this.fields].flatMap(([coordinate, scope]) =>
      scope === COMPENSATION ? [coordinate] : [],
    );
  }
}

/** What the plugin needs of a request context. */
export interface AuditedContext {
  requestId: string;
  principal: Pick<Principal, 'tenantId' | 'apiKeyId'> & {
    organizationId: string | null;
  };
  audit: AuditCollector;
}

/**
 * Writes one audit record per operation of an authenticated client, when
 * its response is sent. A failed write is logged as an error and does not
 * fail the response (availability over a missing row; the log line names
 * the request id).
 */
export function auditPlugin<TContext extends AuditedContext>(options: {
  store: Store;
  logger: Logger;
  surface: AuditSurface;
}): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse(requestContext) {
          const { contextValue, response } = requestContext;
          const { principal, audit, requestId } = contextValue;
          if (!principal || !audit) return;
          const result =
            response.body.kind === 'single'
              ? response.body.singleResult
              : undefined;
          const errors = result?.errors ?? [];
          const data = result?.data;
          const outcome: AuditOutcome =
            data === undefined || data === null
              ? 'FAILED'
              : errors.length > 0
                ? 'PARTIAL'
                : 'OK';
          const errorCodes = new Set(
            errors.flatMap((error) => {
              const code = error.extensions?.code;
              return typeof code === 'string' ? [code] : [];
            }),
          );
          try {
            await recordAudit(options.store.db, {
              tenantId: principal.tenantId,
              apiKeyId: principal.apiKeyId,
              surface: options.surface,
              organizationId: principal.organizationId,
              requestId,
              operationName:
                requestContext.operationName ??
                requestContext.request.operationName ??
                null,
              operationType: requestContext.operation?.operation ?? null,
              operationHash: requestContext.queryHash ?? null,
              categories: [...audit.categories],
              personalFields: audit.personalFields(),
              compensationFields: audit.compensationFields(),
              outcome,
              errorCodes: [...errorCodes],
              durationMs: performance.now() - audit.startedAt,
            });
          } catch (error: unknown) {
            options.logger.error(
              { err: error, requestId },
              'could not write the audit record',
            );
          }
        },
      };
    },
  };
}

/**
 * Deletes audit records older than `retentionDays`, now and then every
 * `intervalMs` (default one hour). Safe to run in several gateways at once.
 * Returns a function that stops it.
 */
export function startAuditRetention(options: {
  store: Store;
  logger: Logger;
  retentionDays: number;
  intervalMs?: number;
}): () => void {
  const purge = async () => {
    const before = new Date(Date.now() - options.retentionDays * 86_400_000);
    try {
      const deleted = await purgeAuditRecords(options.store.db, before);
      if (deleted > 0) {
        options.logger.info({ deleted }, 'purged expired audit records');
      }
    } catch (error: unknown) {
      options.logger.warn({ err: error }, 'audit purge failed; will retry');
    }
  };
  void purge();
  const timer = setInterval(
    () => void purge(),
    options.intervalMs ?? 3_600_000,
  );
  timer.unref();
  return () => clearInterval(timer);
}
