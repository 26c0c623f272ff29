import { readFileSync } from 'node:fs';
import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import KeyvRedis from '@keyv/redis';
import { stripIgnoredCharacters, type GraphQLFormattedError } from 'graphql';
import { Keyv } from 'keyv';
import type { Config } from '../lib/config';
import { ErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';

/** Keyv namespace of the persisted query cache, shared by gateway replicas. */
export const PERSISTED_QUERY_NAMESPACE = 'tributary:pq';

/** Time bound of one cache call: a stalled Redis must not stall requests. */
const CACHE_TIMEOUT_MS = 1_000;

/** How often a failing store may log, at most. */
const STORE_ERROR_LOG_INTERVAL_MS = 60_000;

/** A keyv store and how to let go of it. */
export interface PersistedQueryStore {
  keyv: Keyv<string>;
  /**
   * False while Redis is not connected: callers skip the store instead of
   * waiting for it. Always true in memory.
   */
  available(): boolean;
  /**
   * Resolves once Redis is connected, or after `CONNECT_WAIT_MS` at most:
   * start-up waits that long for a shared store, never longer.
   */
  ready: Promise<void>;
  /** Closes the Redis connection without waiting for pending commands. */
  close(): Promise<void>;
}

/**
 * The keyv store behind automatic persisted queries: Redis when `redisUrl`
 * is set, so every replica sharing it knows a registered hash; memory
 * otherwise. Errors are logged (at most once a minute, since the Redis
 * client reports every reconnection attempt), never thrown.
 *
 * TODO(issue 6 merge): share one keyv store factory with lib/cache.ts once
 * it lands, keeping the `tributary:pq` namespace.
 */
export function createPersistedQueryStore(options: {
  redisUrl: string | undefined;
  logger: Logger;
  namespace?: string;
}): PersistedQueryStore {
  const namespace = options.namespace ?? PERSISTED_QUERY_NAMESPACE;
  const redis = options.redisUrl
    ? new KeyvRedis(options.redisUrl, { throwOnConnectError: false })
    : undefined;
  const keyv = redis
    ? new Keyv<string>({
        // Two declarations of Keyv (ESM and CJS type files) make the store
        // type unassignable although it is the same class at run time.
        store: redis as unknown as Map<string, unknown>,
        namespace,
        useKeyPrefix: false,
      })
    : new Keyv<string>({ namespace });
  // Connect now rather than on first use: until connected the store is
  // skipped, so a lazy connection would never be made.
  const ready = redis
    ? boundedWait(redis.getClient().then(() => {}))
    : Promise.resolve();
  let loggedAt = -Infinity;
  keyv.on('error', (error: unknown) => {
    const now = Date.now();
    if (now - loggedAt >= STORE_ERROR_LOG_INTERVAL_MS) {
      loggedAt = now;
      options.logger.warn({ err: error }, 'persisted query store error');
    }
  });
  return {
    keyv,
    ready,
    available: () =>
      !redis || (redis.client as { isReady?: boolean }).isReady === true,
    close: async () => {
      await redis?.disconnect(true);
    },
  };
}

/** How long start-up waits for Redis before going on without it. */
export const CONNECT_WAIT_MS = 2_000;

/** Waits for `connecting` at most `CONNECT_WAIT_MS`; never rejects. */
export function boundedWait(connecting: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    connecting.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CONNECT_WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

function withTimeout<T>(promise: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((resolve) => {
      timer = setTimeout(() => resolve(fallback), CACHE_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Apollo Server's KeyValueCache over a persisted query store. A store that
 * is down, failing or slow reads as a miss and drops writes (logged as
 * `warn`): the client then resends the query, so a Redis fault costs a
 * round trip, never a failed request.
 */
export class KeyvQueryCache implements KeyValueCache<string> {
  private readonly keyv: Keyv<string>;

  constructor(
    private readonly store: PersistedQueryStore,
    private readonly logger: Logger,
  ) {
    this.keyv = store.keyv;
  }

  async get(key: string): Promise<string | undefined> {
    if (!this.store.available()) return undefined;
    try {
      return await withTimeout(this.keyv.get(key), undefined);
    } catch (error: unknown) {
      this.logger.warn({ err: error }, 'persisted query read failed');
      return undefined;
    }
  }

  /** `ttl` is in seconds, as Apollo Server passes it. */
  async set(
    key: string,
    value: string,
    options?: { ttl?: number | null },
  ): Promise<void> {
    if (!this.store.available()) return;
    try {
      const ttlMs = options?.ttl ? options.ttl * 1000 : undefined;
      await withTimeout(this.keyv.set(key, value, ttlMs), false);
    } catch (error: unknown) {
      this.logger.warn({ err: error }, 'persisted query write failed');
    }
  }

  async delete(key: string): Promise<boolean> {
    if (!this.store.available()) return false;
    try {
      return await withTimeout(this.keyv.delete(key), false);
    } catch (error: unknown) {
      this.logger.warn({ err: error }, 'persisted query delete failed');
      return false;
    }
  }
}

/** One operation of an Apollo persisted query manifest. */
export interface PersistedOperation {
  /** SHA-256 of `body` (hex), as clients send it in `persistedQuery`. */
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

/** The safelist: operations by id and by normalized body. */
export interface PersistedQueryList {
  byId: ReadonlyMap<string, PersistedOperation>;
  /** Bodies with ignored characters (whitespace, commas, comments) removed. */
  bodies: ReadonlySet<string>;
}

/**
 * Reads an Apollo persisted query manifest (`format:
 * apollo-persisted-query-manifest`, `version: 1`). Throws an Error naming
 * the file and what is wrong with it, so a bad manifest stops start-up.
 */
export function loadPersistedQueryManifest(path: string): PersistedQueryList {
  const problem = (what: string) =>
    new Error(
      `PERSISTED_QUERY_MANIFEST: ${path} ${what}; build it with \`npm run persisted:manifest\``,
    );
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error: unknown) {
    throw problem(
      `cannot be read as JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const { format, version, operations } = (manifest ?? {}) as Record<
    string,
    unknown
  >;
  if (format !== 'apollo-persisted-query-manifest' || version !== 1) {
    throw problem(
      `is not an Apollo persisted query manifest (expected format "apollo-persisted-query-manifest", version 1; received ${JSON.stringify(format)}, ${JSON.stringify(version)})`,
    );
  }
  if (!Array.isArray(operations)) {
    throw problem('has no operations array');
  }
  const byId = new Map<string, PersistedOperation>();
  const bodies = new Set<string>();
  for (const [index, operation] of operations.entries()) {
    const { id, name, type, body } = (operation ?? {}) as Record<
      string,
      unknown
    >;
    if (
      typeof id !== 'string' ||
      typeof name !== 'string' ||
      typeof body !== 'string' ||
      (type !== 'query' && type !== 'mutation' && type !== 'subscription')
    ) {
      throw problem(
        `operation ${index} lacks a string id, name and body or a type query, mutation or subscription`,
      );
    }
    byId.set(id, { id, name, type, body });
    bodies.add(normalize(body));
  }
  return { byId, bodies };
}

function normalize(body: string): string {
  try {
    return stripIgnoredCharacters(body);
  } catch {
    // Not a document: only an exact match could list it.
    return body;
  }
}

/** A persisted query id no manifest holds: Apollo Server's lookup misses. */
const REFUSED_ID = 'not-in-list';

/** Apollo Server prefixes persisted query cache keys with this. */
const APQ_PREFIX = 'apq:';

/**
 * Safelist enforcement. It runs when a request starts, before Apollo
 * Server reads the query or the persisted query extension. A listed id
 * without a body gets its body from the list (the read-only cache below);
 * a body must be in the list (compared with whitespace, commas and
 * comments ignored). Anything else is refused with
 * `PERSISTED_QUERY_NOT_IN_LIST` and HTTP 400, before parsing: the request
 * is pointed at an id no list holds, so Apollo Server stops it at the
 * lookup, and the answer is rewritten here. (An error thrown from this
 * hook would reach the client as an unexpected 500.)
 */
function safelistPlugin<TContext extends object>(
  list: PersistedQueryList,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ request }) {
      const hash = (
        request.extensions?.persistedQuery as { sha256Hash?: unknown }
      )?.sha256Hash;
      const listed =
        request.query === undefined || request.query === ''
          ? typeof hash === 'string' && list.byId.has(hash)
          : list.bodies.has(normalize(request.query));
      if (listed) {
        return;
      }
      request.query = undefined;
      request.extensions = {
        ...request.extensions,
        persistedQuery: { version: 1, sha256Hash: REFUSED_ID },
      };
      return {
        async willSendResponse({ response }) {
          response.http.status = 400;
          if (response.body.kind === 'single') {
            response.body.singleResult.errors = [
              {
                message:
                  'This gateway runs only operations of its persisted query list.',
                extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_IN_LIST },
              },
            ];
          }
        },
      };
    },
  };
}

/** A read-only Apollo cache answering listed ids with their bodies. */
class ManifestCache implements KeyValueCache<string> {
  constructor(private readonly list: PersistedQueryList) {}
  async get(key: string): Promise<string | undefined> {
    const id = key.startsWith(APQ_PREFIX) ? key.slice(APQ_PREFIX.length) : key;
    return this.list.byId.get(id)?.body;
  }
  async set(): Promise<void> {
    // Safelist mode registers nothing: the list is the manifest.
  }
  async delete(): Promise<boolean> {
    return false;
  }
}

export interface PersistedQuerySetup<TContext extends object> {
  persistedQueries: NonNullable<
    ApolloServerOptions<TContext>['persistedQueries']
  >;
  plugins: ApolloServerPlugin<TContext>[];
  stop(): Promise<void>;
}

/**
 * Apollo Server options for the configured persisted query mode.
 *
 * - `apq`: automatic persisted queries over POST and GET, cached in keyv
 *   with `ttlSeconds`; Apollo Server checks that a registered hash is the
 *   SHA-256 of its query before storing it.
 * - `safelist`: only the manifest's operations run, by id or by body.
 */
export async function persistedQuerySetup<TContext extends object>(options: {
  config: Pick<Config, 'persistedQueries' | 'redisUrl'>;
  logger: Logger;
}): Promise<PersistedQuerySetup<TContext>> {
  const { persistedQueries, redisUrl } = options.config;
  if (persistedQueries.mode === 'safelist') {
    const list = loadPersistedQueryManifest(persistedQueries.manifestPath);
    options.logger.info(
      { operations: list.byId.size },
      'persisted query safelist loaded',
    );
    return {
      persistedQueries: { cache: new ManifestCache(list), ttl: null },
      plugins: [safelistPlugin<TContext>(list)],
      stop: async () => {},
    };
  }
  const store = createPersistedQueryStore({ redisUrl, logger: options.logger });
  await store.ready;
  return {
    persistedQueries: {
      cache: new KeyvQueryCache(store, options.logger),
      ttl: persistedQueries.ttlSeconds,
    },
    plugins: [],
    stop: () => store.close(),
  };
}

/**
 * Gives Apollo Server's hash check a public code: it refuses a hash that
 * is not the SHA-256 of its query (hash hijacking) with HTTP 400 but no
 * code, which would read as an internal error.
 */
export function formatPersistedQueryError(
  formatted: GraphQLFormattedError,
): GraphQLFormattedError {
  if (formatted.message !== 'provided sha does not match query') {
    return formatted;
  }
  return {
    ...formatted,
    message: 'The persisted query hash is not the SHA-256 of its query.',
    extensions: { ...formatted.extensions, code: ErrorCode.BAD_REQUEST },
  };
}
