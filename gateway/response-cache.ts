import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import { Counter } from 'prom-client';
import { generationKey, type CacheStore } from '../lib/cache';
import { registry } from '../lib/metrics';
import type { Category, Scope } from '../lib/categories';
import type { Principal } from '../lib/store/store';

export const responseCacheRequests = new Counter({
  name: 'tributary_response_cache_requests_total',
  help: 'Gateway whole-response cache lookups of queries, by result (hit, miss).',
  labelNames: ['result'] as const,
  registers: [registry],
});

interface ResponseCacheContext {
  principal: Principal;
  /**
   * The request's audit collector (gateway/audit.ts). A cached answer
   * carries the categories and restricted fields its first computation
   * returned, so serving it again is audited the same way.
   */
  audit?: { categories: Set<Category>; fields: Map<string, Scope> };
}

/** What one cache entry holds: the data and what it discloses. */
interface CachedResponse {
  data: FormattedExecutionResult['data'];
  audit?: { categories: Category[]; fields: Array<[string, Scope]> };
}

/** The organization's mutation generation, bumped by every mutation. */
function organizationKey(principal: Principal): string {
  return `org:${principal.tenantId}:${principal.organizationId}`;
}

/**
 * Whole responses of queries, for `ttlMs`: an identical query of the same
 * API key and organization is answered without planning or calling a
 * subgraph. The key holds the tenant, API key (so scopes), organization,
 * its linked accounts and their generations (bumped by any write through
 * them), the organization's mutation generation (bumped here by any
 * mutation), the query's hash, operation name and variables. Only answers
 * without errors and without stale provider data are stored; mutations
 * are never cached. `ttlMs` should not exceed the provider data TTLs, so a
 * cached response is never older than the data it was built from may be.
 */
export function responseCachePlugin<TContext extends ResponseCacheContext>(
  store: CacheStore,
  ttlMs: number,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      let key: string | undefined;
      let served = false;
      return {
        async responseForOperation({
          operation,
          contextValue,
          queryHash,
          operationName,
          request,
        }) {
          if (ttlMs <= 0 || !contextValue.principal) {
            return null;
          }
          const principal = contextValue.principal;
          if (operation.operation !== 'query') {
            if (operation.operation === 'mutation') {
              await store.set(
                'meta',
                organizationKey(principal),
                `${Date.now()}${Math.random()}`,
                86_400_000,
              );
            }
            return null;
          }
          const generations = await Promise.all([
            store.get<string>('meta', organizationKey(principal)),
            ...principal.linkedAccounts.map((account) =>
              store.get<string>(
                'meta',
                generationKey(principal.tenantId, account.id),
              ),
            ),
          ]);
          key = createHash('sha256')
            .update(
              JSON.stringify([
                principal.tenantId,
                principal.apiKeyId,
                principal.scopes,
                principal.organizationId,
                principal.linkedAccounts.map((account) => account.id),
                generations,
                queryHash,
                operationName,
                request.variables ?? null,
              ]),
            )
            .digest('base64url');
          const cached = await store.get<CachedResponse>(
            'responses',
            `${principal.tenantId}:${key}`,
          );
          responseCacheRequests.inc({ result: cached ? 'hit' : 'miss' });
          if (!cached) {
            return null;
          }
          served = true;
          for (const category of cached.audit?.categories ?? []) {
            contextValue.audit?.categories.add(category);
          }
          for (const [coordinate, scope] of cached.audit?.fields ?? []) {
            contextValue.audit?.fields.set(coordinate, scope);
          }
          return {
            http: { status: undefined, headers: new HeaderMap() },
            // A new result: plugins may add extensions to the one they send.
            body: { kind: 'single', singleResult: { data: cached.data } },
          };
        },
        async willSendResponse({ response, contextValue }) {
          if (served || key === undefined || response.body.kind !== 'single') {
            return;
          }
          const { data, errors, extensions } = response.body.singleResult;
          if (!data || (errors && errors.length > 0) || extensions?.stale) {
            return;
          }
          const audit = contextValue.audit;
          const entry: CachedResponse = {
            data,
            ...(audit
              ? {
                  audit: {
                    categories: [...audit.categories],
                    fields: [...audit.fields],
                  },
                }
              : {}),
          };
          await store.set(
            'responses',
            `${contextValue.principal.tenantId}:${key}`,
            entry,
            ttlMs,
          );
        },
      };
    },
  };
}
