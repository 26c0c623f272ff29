/**
 * The cross-request cache: one keyv store per process, in memory by default
 * and on Redis (`@keyv/redis`) when `REDIS_URL` is set, split into one
 * namespace per use (provider data, query plans, persisted queries).
 *
 * Contract every caller relies on:
 * - No call ever fails or hangs because of the cache. Each store call is
 *   bounded by `timeoutMs`; a slow, dead or erroring store answers a read
 *   with a miss and ignores a write, and logs a warning (at most one per
 *   `WARN_INTERVAL_MS`, so a dead Redis does not flood the log).
 * - Keys are prefixed `<keyPrefix>:<namespace>:`; nothing here ever clears
 *   a whole store, let alone all of Redis.
 * - Provider data is keyed by tenant, linked account, provider, resource and
 *   a hash of the whole provider request (path, query and body: the
 *   requested fields and filters), so entries are never shared across
 *   tenants or linked accounts (see `AccountCache`).
 */
import { createHash } from 'node:crypto';
import { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { Counter } from 'prom-client';
import type { CacheConfig } from './config';
import { ErrorCode, ProviderError } from './errors';
import type { Logger } from './logger';
import { registry } from './metrics';

/** The uses of the store; each one is a key namespace of its own. */
export type CacheNamespace = 'data' | 'plans' | 'apq' | 'meta' | 'responses';

/**
 * The `meta` key of a linked account's generation: bumped by a write
 * through the account, it is part of every data key of that account (and
 * of the gateway's response keys), so a write invalidates them all.
 */
export function generationKey(
  tenantId: string,
  linkedAccountId: string,
): string {
  return `${tenantId}:${linkedAccountId}`;
}

export interface CacheStoreOptions {
  /** `redis://…`; unset keeps everything in this process's memory. */
  redisUrl?: string | undefined;
  /** First segment of every key, e.g. `tributary` (tests use their own). */
  keyPrefix?: string;
  /** Time bound of one store call, in ms. Default 150. */
  timeoutMs?: number;
  /** Entries the in-memory store keeps before dropping the oldest. */
  memoryMaxEntries?: number;
  logger: Logger;
}

const WARN_INTERVAL_MS = 10_000;

export const cacheRequests = new Counter({
  name: 'tributary_cache_requests_total',
  help: 'Provider data cache lookups by resource and result (hit, miss, stale, stale_if_error).',
  labelNames: ['resource', 'result'] as const,
  registers: [registry],
});

export const cacheErrors = new Counter({
  name: 'tributary_cache_errors_total',
  help: 'Cache store calls that failed or ran out of time (served as a miss).',
  labelNames: ['namespace', 'operation'] as const,
  registers: [registry],
});

/**
 * A Map with a bound on its size: the oldest insertion goes first. It is
 * keyv's in-memory store, so a long-running process cannot grow without
 * limit (keyv drops expired entries only when they are read).
 */
class BoundedMap<V> extends Map<string, V> {
  constructor(private readonly maxEntries: number) {
    super();
  }

  override set(key: string, value: V): this {
    if (!this.has(key) && this.size >= this.maxEntries) {
      const oldest = this.keys().next();
      if (!oldest.done) {
        this.delete(oldest.value);
      }
    }
    return super.set(key, value);
  }
}

class CacheTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`cache call took longer than ${timeoutMs} ms`);
  }
}

/**
 * Apollo's `KeyValueCache` shape (get/set with `ttl` in seconds/delete), so
 * Apollo Server's persisted queries and the gateway can use a namespace.
 */
export interface NamespacedCache<V = string> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean>;
}

/** The process's cache store. Create one with `CacheStore.create`. */
export class CacheStore {
  readonly kind: 'memory' | 'redis';
  private readonly keyv: Keyv;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private lastWarnAt = 0;
  /** Loads in flight per key: concurrent misses share one provider call. */
  readonly inFlight = new Map<string, Promise<unknown>>();

  private constructor(options: CacheStoreOptions) {
    this.logger = options.logger;
    this.prefix = options.keyPrefix ?? 'tributary';
    this.timeoutMs = options.timeoutMs ?? 150;
    if (options.redisUrl) {
      this.kind = 'redis';
      const store = new KeyvRedis(
        {
          url: options.redisUrl,
          // Commands fail at once while disconnected instead of queueing
          // behind a reconnect; the time bound covers what remains.
          disableOfflineQueue: true,
          socket: {
            connectTimeout: 1_000,
            reconnectStrategy: (retries: number) =>
              Math.min(100 * 2 ** retries, 2_000),
          },
        },
        { throwOnConnectError: false, connectionTimeout: 1_000 },
      );
      // No keyv namespace: keys are exactly `<keyPrefix>:<namespace>:…`.
      this.keyv = new Keyv({
        store,
        namespace: undefined,
        useKeyPrefix: false,
      });
    } else {
      this.kind = 'memory';
      this.keyv = new Keyv({
        store: new BoundedMap(options.memoryMaxEntries ?? 50_000),
        // In memory, values are kept as they are: parsing JSON back on every
        // hit was a tenth of a warm request's time. Callers treat cached
        // values as immutable.
        serialize: undefined,
        deserialize: undefined,
      });
    }
    // keyv re-emits store errors; unlistened, an `error` event would crash
    // the process.
    this.keyv.on('error', (error: unknown) =>
      this.warn('store', 'error', error),
    );
  }

  static create(options: CacheStoreOptions): CacheStore {
    return new CacheStore(options);
  }

  /** Reads `key` of `namespace`; a miss on any store failure or timeout. */
  async get<V>(namespace: CacheNamespace, key: string): Promise<V | undefined> {
    try {
      return (await this.bounded(
        this.keyv.get<V>(this.fullKey(namespace, key)),
      )) as V | undefined;
    } catch (error: unknown) {
      this.warn(namespace, 'get', error);
      return undefined;
    }
  }

  /** Writes `key`; `ttlMs` bounds its life. Failures are logged, not thrown. */
  async set(
    namespace: CacheNamespace,
    key: string,
    value: unknown,
    ttlMs: number,
  ): Promise<void> {
    try {
      await this.bounded(
        this.keyv.set(this.fullKey(namespace, key), value, ttlMs),
      );
    } catch (error: unknown) {
      this.warn(namespace, 'set', error);
    }
  }

  /** Deletes `key`; false when nothing was deleted or the store failed. */
  async delete(namespace: CacheNamespace, key: string): Promise<boolean> {
    try {
      return await this.bounded(this.keyv.delete(this.fullKey(namespace, key)));
    } catch (error: unknown) {
      this.warn(namespace, 'delete', error);
      return false;
    }
  }

  /**
   * One namespace in Apollo's `KeyValueCache` shape (`ttl` in seconds). The
   * gateway's automatic persisted queries use `namespace('apq')`.
   */
  namespace<V = string>(namespace: CacheNamespace): NamespacedCache<V> {
    return {
      get: (key) => this.get<V>(namespace, key),
      set: (key, value, options) =>
        this.set(
          namespace,
          key,
          value,
          options?.ttl ? options.ttl * 1000 : 24 * 3_600_000,
        ),
      delete: (key) => this.delete(namespace, key),
    };
  }

  /**
   * Empties the in-memory store (benchmarks measure cold requests with it).
   * Refused on Redis: a shared store is never cleared wholesale.
   */
  async clearMemory(): Promise<void> {
    if (this.kind !== 'memory') {
      throw new Error('Only an in-memory cache store can be cleared.');
    }
    await this.keyv.clear();
  }

  /** Closes the Redis connection, if any; bounded like every call. */
  async close(): Promise<void> {
    try {
      await this.bounded(this.keyv.disconnect(), 1_000);
    } catch (error: unknown) {
      this.logger.debug({ err: error }, 'cache store closed uncleanly');
    }
  }

  private fullKey(namespace: CacheNamespace, key: string): string {
    return `${this.prefix}:${namespace}:${key}`;
  }

  private bounded<T>(call: Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CacheTimeout(timeoutMs)), timeoutMs);
    });
    // A call that settles after its time bound must not reject unhandled.
    call.catch(() => undefined);
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }

  private warn(namespace: string, operation: string, error: unknown): void {
    cacheErrors.inc({ namespace, operation });
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_INTERVAL_MS) {
      return;
    }
    this.lastWarnAt = now;
    this.logger.warn(
      {
        kind: this.kind,
        namespace,
        operation,
        reason: error instanceof Error ? error.message : String(error),
      },
      'cache unavailable; serving as a miss',
    );
  }
}

/** Freshness rules of provider data, per resource. */
export interface CachePolicy {
  /**
   * Default time an entry is fresh, in seconds; 0 turns the data cache off
   * altogether (per-resource TTLs included).
   */
  ttlSeconds: number;
  /** Fresh time by resource (`<provider>:<route>`), in seconds. */
  ttlByResource: Record<string, number>;
  /**
   * After its TTL an entry is still served for this long, in seconds, while
   * one background call refreshes it (stale-while-revalidate).
   */
  staleWhileRevalidateSeconds: number;
  /**
   * How long, in seconds, an entry is kept past its TTL to be served when
   * the provider fails (stale-if-error).
   */
  staleIfErrorSeconds: number;
}

/** An entry served past its TTL because the provider failed. */
export interface StaleNotice {
  provider: string;
  resource: string;
  /** Seconds since the entry was fetched from the provider. */
  ageSeconds: number;
  /** The subgraph's category, added by the subgraph that served it. */
  category?: string;
}

interface Entry<V> {
  value: V;
  fetchedAt: number;
  freshUntil: number;
}

/** What identifies one provider read inside a linked account. */
export interface CacheKeyParts {
  provider: string;
  /** A path template or a connector-chosen name, never a record value. */
  resource: string;
  /** Everything that shapes the answer: path, query, body, fields. */
  request: unknown;
}

/** Failures of the provider's availability, which old data may cover. */
function servesStale(error: unknown): boolean {
  return (
    error instanceof ProviderError &&
    (error.code === ErrorCode.UPSTREAM_UNAVAILABLE ||
      error.code === ErrorCode.UPSTREAM_TIMEOUT ||
      error.code === ErrorCode.UPSTREAM_RATE_LIMITED)
  );
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}

/**
 * The provider data cache of one tenant's linked account. Every key carries
 * the tenant id, the linked account id and its generation (bumped by any
 * write through the account, so a write is never followed by a stale read
 * of ours), then provider, resource and a hash of the request.
 */
export class AccountCache {
  private generation: Promise<string> | undefined;

  constructor(
    private readonly store: CacheStore,
    private readonly policy: CachePolicy,
    private readonly scope: { tenantId: string; linkedAccountId: string },
    private readonly onStale: (notice: StaleNotice) => void,
    private readonly logger: Logger,
  ) {}

  /** Fresh time of `resource`, in ms. */
  ttlMs(resource: string): number {
    return (
      (this.policy.ttlByResource[resource] ?? this.policy.ttlSeconds) * 1000
    );
  }

  /**
   * The cached value for `parts`, or `load()`'s, stored for next time.
   * Fresh: served without a call. Past its TTL but within the
   * stale-while-revalidate window: served, and refreshed in the background.
   * Older: loaded; if the provider is unavailable, times out or keeps
   * rate limiting and an entry is still kept (stale-if-error), that entry
   * is served and reported through `onStale`. Other failures (rejected
   * credentials, not found) are never hidden behind old data.
   * `load` rejections propagate when there is nothing to fall back on.
   */
  async fetch<V>(parts: CacheKeyParts, load: () => Promise<V>): Promise<V> {
    const resourceLabel = `${parts.provider}:${parts.resource}`;
    const ttlMs = this.ttlMs(resourceLabel);
    // A default TTL of 0 turns the whole cache off, per-resource TTLs too.
    if (ttlMs <= 0 || this.policy.ttlSeconds <= 0) {
      return load();
    }
    const key = await this.key(parts);
    const entry = await this.store.get<Entry<V>>('data', key);
    const now = Date.now();
    if (entry && now < entry.freshUntil) {
      cacheRequests.inc({ resource: resourceLabel, result: 'hit' });
      return entry.value;
    }
    const swrMs = this.policy.staleWhileRevalidateSeconds * 1000;
    if (entry && now < entry.freshUntil + swrMs) {
      cacheRequests.inc({ resource: resourceLabel, result: 'stale' });
      void this.refresh(key, ttlMs, load).catch((error: unknown) => {
        this.logger.warn(
          { resource: resourceLabel, reason: (error as Error).message },
          'background refresh failed; keeping the stale entry',
        );
      });
      return entry.value;
    }
    cacheRequests.inc({ resource: resourceLabel, result: 'miss' });
    try {
      return await this.refresh(key, ttlMs, load);
    } catch (error: unknown) {
      if (!entry || !servesStale(error)) {
        throw error;
      }
      cacheRequests.inc({ resource: resourceLabel, result: 'stale_if_error' });
      this.onStale({
        provider: parts.provider,
        resource: parts.resource,
        ageSeconds: Math.round((now - entry.fetchedAt) / 1000),
      });
      return entry.value;
    }
  }

  /**
   * Forgets everything cached for this linked account, in every process
   * sharing the store: the generation in every key changes.
   */
  async invalidate(): Promise<void> {
    const generation = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    this.generation = Promise.resolve(generation);
    await this.store.set(
      'meta',
      this.generationKey(),
      generation,
      // Outlives every data entry it guards.
      (this.policy.staleIfErrorSeconds + 86_400) * 1000,
    );
  }

  private async refresh<V>(
    key: string,
    ttlMs: number,
    load: () => Promise<V>,
  ): Promise<V> {
    const inFlight = this.store.inFlight;
    const running = inFlight.get(key) as Promise<V> | undefined;
    if (running) {
      return running;
    }
    const loading = (async () => {
      const value = await load();
      const fetchedAt = Date.now();
      const keepMs =
        ttlMs +
        Math.max(
          this.policy.staleWhileRevalidateSeconds,
          this.policy.staleIfErrorSeconds,
        ) *
          1000;
      await this.store.set(
        'data',
        key,
        { value, fetchedAt, freshUntil: fetchedAt + ttlMs } satisfies Entry<V>,
        keepMs,
      );
      return value;
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, loading);
    return loading;
  }

  private generationKey(): string {
    return generationKey(this.scope.tenantId, this.scope.linkedAccountId);
  }

  private async key(parts: CacheKeyParts): Promise<string> {
    this.generation ??= this.store
      .get<string>('meta', this.generationKey())
      .then((value) => value ?? '0');
    const generation = await this.generation;
    return [
      this.scope.tenantId,
      this.scope.linkedAccountId,
      generation,
      parts.provider,
      parts.resource,
      digest(parts.request),
    ].join(':');
  }
}

/** The process's cache store as configuration describes it. */
export function createCacheStore(
  config: { cache: CacheConfig },
  logger: Logger,
): CacheStore {
  return CacheStore.create({
    redisUrl: config.cache.redisUrl,
    keyPrefix: config.cache.keyPrefix,
    timeoutMs: config.cache.timeoutMs,
    logger,
  });
}
