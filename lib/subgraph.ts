import { randomUUID } from 'node:crypto';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap';
import DataLoader from 'dataloader';
import express, { type Express } from 'express';
import {
  GraphQLError,
  type DocumentNode,
  type GraphQLFormattedError,
} from 'graphql';
import type { Category } from './categories';
import { loadConfig, type Config } from './config';
import {
  applyPermissions,
  auditExtensionPlugin,
  type SubgraphPermissions,
} from './authorization';
import { maskFormattedError } from './error-masking';
import { ErrorCode, ProviderError, tributaryError } from './errors';
import {
  ProviderClient,
  type ProviderAuth,
  type ProviderClientOptions,
  type RateLimitDelay,
} from './http';
import { IDENTITY_HEADER, verifyIdentity, type Identity } from './identity';
import { createLogger, type Logger } from './logger';
import { readinessHandler } from './health';
import { registry } from './metrics';
import {
  BUDGET_HEADER,
  ProviderResilience,
  requestDeadline,
  type ResilienceConfig,
} from './resilience';
import type { LinkedAccountWriter } from './oauth';
import { ensureSandboxTenants } from './sandbox';
import { listen, type Listening } from './serve';
import { Store, type LinkedAccount } from './store/store';
import {
  AccountCache,
  CacheStore,
  createCacheStore,
  type StaleNotice,
} from './cache';
import { loaderBatchSize } from './loader-metrics';
import { operationMetricsPlugin } from './operation-metrics';
import { staleExtensionsPlugin } from './stale-extensions';

export type { GraphQLResolverMap };

/** What a connector factory receives besides its linked account. */
export interface ConnectorDeps {
  logger: Logger;
  /**
   * Epoch ms by which this GraphQL request's provider calls must be done;
   * clients from `createClient` already respect it. Absent outside a
   * request (connector tests).
   */
  deadline?: number;
  /**
   * The shared provider HTTP client for this linked account: base URL and
   * provider name default to the account's, the timeout to configuration.
   */
  createClient(options: {
    auth: ProviderAuth;
    baseUrl?: string;
    timeoutMs?: number;
    rateLimitDelayMs?: RateLimitDelay;
    classifyError?: ProviderClientOptions['classifyError'];
    /** `false` sends every read to the provider (default: cached). */
    cache?: false;
  }): ProviderClient;
  /**
   * Writes this linked account back to the store: refreshed OAuth
   * credentials, or RELINK_NEEDED when the provider refused them for good.
   * Absent where nothing persists; OAuth connectors require it.
   */
  linkedAccount?: LinkedAccountWriter;
  /**
   * This linked account's cross-request cache (lib/cache.ts), for values a
   * connector derives from several calls. Clients from `createClient`
   * already cache their reads through it.
   */
  cache?: AccountCache | undefined;
}

/** The per-request context every subgraph resolver receives. */
export interface SubgraphContext<TConnector> {
  requestId: string;
  identity: Identity;
  category: Category;
  logger: Logger;
  /** Epoch ms by which provider calls of this request must be done. */
  deadline?: number;
  /** Cached entries served past their TTL because a provider failed. */
  stale?: StaleNotice[];
  /**
   * This category's connector for the organization's linked account.
   * Throws `NOT_LINKED` when the organization has none, `RELINK_NEEDED`
   * when its credentials were rejected.
   */
  connector(): TConnector;
  /**
   * A DataLoader memoized per request under `name`: resolvers of many
   * parents asking for the same kind of lookup share one batch. The batch
   * function must return one value or Error per key, in key order.
   */
  loader<K, V, C = K>(
    name: string,
    batch: DataLoader.BatchLoadFn<K, V>,
    options?: DataLoader.Options<K, V, C>,
  ): DataLoader<K, V, C>;
}

/** One category's subgraph: its schema, resolvers and connector factory. */
export interface SubgraphDefinition<TConnector> {
  category: Category;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<SubgraphContext<TConnector>>;
  /** Field-level authorization (graphql-shield); undeclared fields are denied. */
  permissions: SubgraphPermissions;
  /** Builds the connector of one linked account, once per request. */
  createConnector(account: LinkedAccount, deps: ConnectorDeps): TConnector;
}

export interface SubgraphDeps {
  store: Store;
  config: Pick<Config, 'identitySecret' | 'nodeEnv' | 'providerTimeoutMs'> &
    ResilienceConfig &
    Partial<Pick<Config, 'cache'>>;
  logger: Logger;
  /** The process's cache store; default: one in memory of its own. */
  cache?: CacheStore;
}

export interface SubgraphApp {
  app: Express;
  stop(): Promise<void>;
}

function unauthenticated(message: string): object {
  return {
    errors: [{ message, extensions: { code: ErrorCode.UNAUTHENTICATED } }],
  };
}

/**
 * Client-facing shape of every error a subgraph returns: provider failures
 * keep their code and name provider and category; unexpected errors are
 * logged under the request id and masked.
 */
function errorFormatter(category: Category, logger: Logger, nodeEnv: string) {
  return (formatted: ReturnType<GraphQLError['toJSON']>, error: unknown) => {
    const original = unwrapResolverError(error);
    if (original instanceof ProviderError) {
      return {
        ...formatted,
        message: original.message,
        extensions: {
          code: original.code,
          provider: original.provider,
          category,
          ...(original.status !== undefined
            ? { providerStatus: original.status }
            : {}),
        },
      };
    }
    const code = formatted.extensions?.code;
    if (
      original instanceof GraphQLError ||
      (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR')
    ) {
      const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...extensions, category } };
    }
    logger.error({ err: original, path: formatted.path }, 'resolver failed');
    return {
      message:
        nodeEnv === 'development' && original instanceof Error
          ? `Internal error: ${original.message}`
          : 'Internal error.',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, category },
    };
  };
}

/** In production, a subgraph's errors keep only their public parts too. */
function maskedInProduction(
  format: ReturnType<typeof errorFormatter>,
  nodeEnv: string,
) {
  return nodeEnv === 'production'
    ? (formatted: GraphQLFormattedError, error: unknown) =>
        maskFormattedError(format(formatted, error))
    : format;
}

/**
 * Builds a subgraph's HTTP app: `POST /graphql` (requires the gateway's
 * signed identity; 401 without a valid, unexpired one, so calling a
 * subgraph directly bypasses nothing), `GET /health`, `GET /metrics`.
 */
export async function createSubgraphApp<TConnector>(
  definition: SubgraphDefinition<TConnector>,
  deps: SubgraphDeps,
): Promise<SubgraphApp> {
  const { category } = definition;
  const logger = deps.logger;
  deps = {
    ...deps,
    cache: deps.cache ?? CacheStore.create({ logger }),
  };
  const schema = applyPermissions(
    buildSubgraphSchema({
      typeDefs: definition.typeDefs,
      resolvers: definition.resolvers as GraphQLResolverMap<unknown>,
    }),
    definition.permissions,
  );
  const plugins: ApolloServerPlugin<SubgraphContext<TConnector>>[] = [
    ApolloServerPluginLandingPageDisabled(),
    // Inline traces feed Apollo's hosted studio, which we do not use.
    ApolloServerPluginInlineTraceDisabled(),
    // Cache hints are Apollo's HTTP caching, which we do not use (lib/cache.ts
    // caches provider data); left on, it wraps every field resolver.
    ApolloServerPluginCacheControlDisabled(),
    operationMetricsPlugin(category),
    staleExtensionsPlugin(),
    auditExtensionPlugin(),
  ];
  const server = new ApolloServer<SubgraphContext<TConnector>>({
    schema,
    plugins,
    includeStacktraceInErrorResponses: false,
    formatError: maskedInProduction(
      errorFormatter(category, logger, deps.config.nodeEnv),
      deps.config.nodeEnv,
    ),
    logger: {
      debug: (message) => logger.debug(message),
      info: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
  });
  await server.start();
  const resilience = new ProviderResilience({
    db: deps.store.db,
    logger,
    config: deps.config,
  });

  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers are POSTed and never revalidated: hashing each one for an
  // ETag is work for nothing.
  app.set('etag', false);
  app.get('/health', (_request, response) => {
    response.json({ status: 'ok', category });
  });
  app.get('/ready', readinessHandler({ store: () => deps.store.ping() }));
  app.get('/metrics', async (_request, response) => {
    response.type(registry.contentType).send(await registry.metrics());
  });

  // The identity check runs before GraphQL sees the request.
  app.use('/graphql', async (request, response, next) => {
    const token = request.header(IDENTITY_HEADER);
    if (!token) {
      response.status(401).json(unauthenticated('Missing identity.'));
      return;
    }
    try {
      response.locals.identity = await verifyIdentity(token, {
        secret: deps.config.identitySecret,
      });
      next();
    } catch (error: unknown) {
      logger.warn({ err: error }, 'rejected a subgraph request identity');
      response.status(401).json(unauthenticated('Invalid identity.'));
    }
  });

  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(server, {
      context: async ({ req, res }) => {
        const identity = res.locals.identity as Identity;
        const deadline = requestDeadline(
          resilience.requestBudgetMs,
          req.header(BUDGET_HEADER),
        );
        return createContext(definition, deps, identity, resilience, deadline);
      },
    }),
  );

  return {
    app,
    stop: async () => {
      await server.stop();
      await resilience.close();
    },
  };
}

async function createContext<TConnector>(
  definition: SubgraphDefinition<TConnector>,
  deps: SubgraphDeps,
  identity: Identity,
  resilience: ProviderResilience,
  deadline: number,
): Promise<SubgraphContext<TConnector>> {
  const { category } = definition;
  const requestId = identity.requestId || randomUUID();
  const link = identity.linkedAccounts.find(
    (account) => account.category === category,
  );
  const logger = deps.logger.child({
    requestId,
    tenantId: identity.tenantId,
    linkedAccountId: link?.id,
  });
  const account = link
    ? await deps.store.getLinkedAccount(link.id, identity)
    : undefined;

  let connector: TConnector | undefined;
  const loaders = new Map<string, unknown>();
  const stale: StaleNotice[] = [];
  const cacheConfig = deps.config.cache;
  const cache =
    account && deps.cache && cacheConfig
      ? new AccountCache(
          deps.cache,
          cacheConfig,
          { tenantId: identity.tenantId, linkedAccountId: account.id },
          (notice) => {
            logger.warn(
              { provider: notice.provider, resource: notice.resource },
              'provider failed; served a stale cache entry',
            );
            stale.push({ ...notice, category });
          },
          logger,
        )
      : undefined;

  return {
    requestId,
    identity,
    category,
    logger,
    deadline,
    stale,
    connector() {
      if (!account) {
        throw tributaryError(
          ErrorCode.NOT_LINKED,
          `This organization has no linked ${category} account.`,
          { category },
        );
      }
      // An account marked RELINK_NEEDED is still tried now and then, so
      // that it recovers by itself once the provider accepts it again.
      if (
        account.status === 'RELINK_NEEDED' &&
        !resilience.monitor.mayProbe(account.id)
      ) {
        throw tributaryError(
          ErrorCode.RELINK_NEEDED,
          `The linked ${category} account must be linked again.`,
          { category, provider: account.provider },
        );
      }
      connector ??= definition.createConnector(account, {
        logger,
        deadline,
        cache,
        createClient: (options) =>
          new ProviderClient({
            provider: account.provider,
            baseUrl: options.baseUrl ?? account.baseUrl,
            auth: options.auth,
            logger,
            timeoutMs: options.timeoutMs ?? deps.config.providerTimeoutMs,
            ...(options.rateLimitDelayMs
              ? { rateLimitDelayMs: options.rateLimitDelayMs }
              : {}),
            ...(options.classifyError
              ? { classifyError: options.classifyError }
              : {}),
            ...resilience.clientOptions({ account, requestId, deadline }),
            ...(cache && options.cache !== false ? { cache } : {}),
          }),
        linkedAccount: {
          updateCredentials: (credentials) =>
            deps.store.updateCredentials(account.id, credentials),
          markRelinkNeeded: () =>
            deps.store.setLinkedAccountStatus(account.id, 'RELINK_NEEDED'),
        },
      });
      return connector;
    },
    loader<K, V, C = K>(
      name: string,
      batch: DataLoader.BatchLoadFn<K, V>,
      options?: DataLoader.Options<K, V, C>,
    ): DataLoader<K, V, C> {
      let loader = loaders.get(name) as DataLoader<K, V, C> | undefined;
      if (!loader) {
        // A batch function that throws synchronously (`connector()` with no
        // linked account) would otherwise surface as DataLoader's TypeError
        // instead of the coded error it threw.
        const safeBatch: DataLoader.BatchLoadFn<K, V> = async (keys) => {
          loaderBatchSize.observe(
            { loader: name.split(':')[0] ?? name },
            keys.length,
          );
          return batch(keys);
        };
        loader = new DataLoader<K, V, C>(safeBatch, options);
        loaders.set(name, loader);
      }
      return loader;
    },
  };
}

/**
 * Runs one subgraph as its own process, as production does: reads the
 * environment, opens the store and listens on the category's port.
 */
export async function runSubgraph<TConnector>(
  definition: SubgraphDefinition<TConnector>,
  config: Config = loadConfig(),
): Promise<Listening> {
  const logger = createLogger({
    name: definition.category,
    ...(config.logLevel ? { level: config.logLevel } : {}),
  });
  const store = await Store.open({
    databaseUrl: config.databaseUrl,
    sqlitePath: config.sqlitePath,
    sandboxEnabled: config.sandboxEnabled,
    encryptionKeys: config.encryptionKeys,
    logger,
  });
  const cache = createCacheStore(config, logger);
  if (config.sandboxEnabled) {
    await ensureSandboxTenants(store, {
      sandboxUrl: config.sandboxUrl,
      logger,
    });
  }
  const subgraph = await createSubgraphApp(definition, {
    store,
    config,
    logger,
    cache,
  });
  const listening = await listen(subgraph.app, {
    port: config.subgraphPorts[definition.category],
    host: config.host,
  });
  logger.info(
    { url: `${listening.origin}/graphql` },
    `${definition.category} subgraph ready`,
  );
  const shutdown = async () => {
    await listening.close();
    await subgraph.stop();
    await store.close();
    await cache.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  return listening;
}
