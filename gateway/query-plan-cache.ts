import { createHash } from 'node:crypto';
import type { GatewayConfig } from '@apollo/gateway';
import type { CacheStore } from '../lib/cache';

/** The gateway's own cache type, from its configuration. */
type PlannerCache = NonNullable<
  NonNullable<GatewayConfig['queryPlannerConfig']>['cache']
>;
type QueryPlan = NonNullable<Awaited<ReturnType<PlannerCache['get']>>>;

/** The cache the gateway plans with (`queryPlannerConfig.cache`). */
export type QueryPlanCache = PlannerCache;

const PLAN_TTL_MS = 24 * 3_600_000;

/**
 * Query plans in two tiers: this process's memory (bounded, oldest out),
 * then the shared store's `plans` namespace when it is Redis, so a new
 * gateway process plans nothing another one already planned. Keys carry a
 * hash of the supergraph, so a changed supergraph never reads an old plan;
 * `clear()` (called by the gateway on a supergraph update) empties only
 * the memory tier.
 */
export function createQueryPlanCache(
  store: CacheStore | undefined,
  supergraphSdl: string,
  maxEntries = 2_000,
): QueryPlanCache {
  const memory = new Map<string, QueryPlan>();
  const shared = store?.kind === 'redis' ? store : undefined;
  const supergraph = createHash('sha256')
    .update(supergraphSdl)
    .digest('hex')
    .slice(0, 16);
  const sharedKey = (key: string) => `${supergraph}:${key}`;
  const remember = (key: string, plan: QueryPlan) => {
    if (!memory.has(key) && memory.size >= maxEntries) {
      const oldest = memory.keys().next();
      if (!oldest.done) memory.delete(oldest.value);
    }
    memory.set(key, plan);
  };
  return {
    async get(key) {
      const local = memory.get(key);
      if (local || !shared) {
        return local;
      }
      const plan = await shared.get<QueryPlan>('plans', sharedKey(key));
      if (plan) {
        remember(key, plan);
      }
      return plan;
    },
    async set(key, plan) {
      remember(key, plan);
      await shared?.set('plans', sharedKey(key), plan, PLAN_TTL_MS);
    },
    async delete(key) {
      memory.delete(key);
      await shared?.delete('plans', sharedKey(key));
    },
    clear() {
      memory.clear();
    },
  };
}
