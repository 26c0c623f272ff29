import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import type { Category } from '../lib/categories';
import type { Config } from '../lib/config';
import { ErrorCode } from '../lib/errors';
import { IDENTITY_HEADER, signIdentity } from '../lib/identity';
import type { Logger } from '../lib/logger';
import { registry } from '../lib/metrics';
import type { Principal, Store } from '../lib/store/store';
import type { CacheStore, StaleNotice } from '../lib/cache';
import { operationMetricsPlugin } from '../lib/operation-metrics';
import { staleExtensionsPlugin } from '../lib/stale-extensions';
import { readinessHandler } from '../lib/health';
import { BUDGET_HEADER } from '../lib/resilience';
import { createAdminApi } from './admin/server';
import { AuditCollector, auditPlugin, startAuditRetention } from './audit';
import { authenticate, authenticationMessage } from './auth';
import { createQueryPlanCache } from './query-plan-cache';
import { responseCachePlugin } from './response-cache';
import { createSubgraphFetcher } from './subgraph-fetcher';
import { corsMiddleware } from './cors';
import { gatewayErrorHandling } from './error-handling';
import { productionLandingPage } from './landing-page';
import { persistedQuerySetup } from './persisted-queries';
import { queryLimitSetup } from './query-limits';
import { createRateLimit } from './rate-limit';
import { requestLimits } from './request-limits';
import {
  subgraphReadinessChecks,
  subgraphRoutingUrls,
  subgraphUnavailable,
} from './subgraph-health';

/** Per-request context of the gateway. */
export interface GatewayContext {
  requestId: string;
  principal: Principal;
  /** The signed identity forwarded to every subgraph of this request. */
  identityToken: Promise<string>;
  /** Stale cache entries the subgraphs reported serving. */
  stale: StaleNotice[];
  /** What this request's audit record will say (see gateway/audit.ts). */
  audit: AuditCollector;
  /**
   * Epoch ms by which the request's provider calls must be done; its rest
   * is sent to each subgraph as `x-tributary-budget-ms`.
   */
  deadline?: number;
}

export interface GatewayOptions {
  config: Pick<
    Config,
    | 'identitySecret'
    | 'identityTtlSeconds'
    | 'nodeEnv'
    | 'sandboxEnabled'
    | 'auditRetentionDays'
    | 'redisUrl'
    | 'persistedQueries'
    | 'corsOrigins'
    | 'queryLimits'
    | 'requestLimits'
    | 'rateLimit'
  > &
    Partial<Pick<Config, 'cache' | 'requestBudgetMs'>>;
  store: Store;
  logger: Logger;
  /** The composed supergraph SDL (schema/supergraph.graphql). */
  supergraphSdl: string;
  /** Routing URL overrides by subgraph name; others keep the supergraph's. */
  subgraphUrls?: Partial<Record<Category, string>>;
  /** The process's cache store, for query plans (lib/cache.ts). */
  cache?: CacheStore;
  /** Redis key prefix of the rate limiter; tests give their own. */
  rateLimitKeyPrefix?: string;
}

export interface Gateway {
  app: Express;
  stop(): Promise<void>;
}

const FLAGSHIP = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
);

/** Forwards the signed identity, and nothing else of the client's, to subgraphs. */
class IdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /** The subgraph's category, for the audit trail. */
  readonly category: Category;
  private readonly gatewayLogger: Logger;

  constructor(options: {
    url: string | undefined;
    category: Category;
    fetcher: NonNullable<
      ConstructorParameters<typeof RemoteGraphQLDataSource>[0]
    >['fetcher'];
    logger: Logger;
  }) {
    super({
      ...(options.url === undefined ? {} : { url: options.url }),
      fetcher: options.fetcher,
    });
    this.category = options.category;
    this.gatewayLogger = options.logger;
  }

  override didEncounterError(error: Error): never {
    throw subgraphUnavailable(this.category, error, this.gatewayLogger);
  }

  override async willSendRequest({
    request,
    context,
  }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    if ('identityToken' in context && context.identityToken) {
      request.http?.headers.set(IDENTITY_HEADER, await context.identityToken);
      request.http?.headers.set('x-request-id', context.requestId);
    }
    if ('deadline' in context && context.deadline !== undefined) {
      request.http?.headers.set(
        BUDGET_HEADER,
        String(Math.max(0, context.deadline - Date.now())),
      );
    }
    if ('audit' in context) context.audit.called(this.category);
  }

  override didReceiveResponse({
    response,
    context,
  }: Parameters<
    NonNullable<RemoteGraphQLDataSource<GatewayContext>['didReceiveResponse']>
  >[0]) {
    // Stale-cache notices and audit field lists travel in the subgraph
    // response's extensions; the audit collector strips its own.
    const stale = response.extensions?.stale;
    if (Array.isArray(stale) && 'stale' in context) {
      context.stale.push(...(stale as StaleNotice[]));
    }
    return 'audit' in context ? context.audit.received(response) : response;
  }
}

/**
 * The gateway: authenticates API key and account token (401 otherwise),
 * plans each operation over the committed supergraph (no introspection of
 * subgraphs at run time) and forwards a short-lived signed identity to the
 * subgraphs it calls.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, store, logger } = options;
  const overrides = options.subgraphUrls ?? {};
  const subgraphHttp = createSubgraphFetcher();
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) =>
      new IdentityDataSource({
        url: overrides[name as Category] ?? url,
        fetcher: subgraphHttp.fetcher,
        category: name as Category,
        logger,
      }),
    queryPlannerConfig: {
      cache: createQueryPlanCache(options.cache, options.supergraphSdl),
    },
    logger: {
      debug: (message) => logger.debug(message),
      info: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
  });

  const landingPage =
    config.nodeEnv === 'production'
      ? productionLandingPage<GatewayContext>()
      : ApolloServerPluginLandingPageLocalDefault({
          embed: config.sandboxEnabled
            ? {
                initialState: {
                  sharedHeaders: {
                    Authorization: 'Bearer sk_sandbox_demo',
                    'X-Account-Token': 'acct_acme',
                  },
                },
              }
            : true,
          document: FLAGSHIP,
        });

  const persisted = await persistedQuerySetup<GatewayContext>({
    config,
    logger,
  });
  const limits = queryLimitSetup(config);
  const errors = gatewayErrorHandling<GatewayContext>({ config, logger });
  const rateLimit = await createRateLimit({
    config,
    logger,
    ...(options.rateLimitKeyPrefix
      ? { keyPrefix: options.rateLimitKeyPrefix }
      : {}),
  });

  const server = new ApolloServer<GatewayContext>({
    gateway,
    plugins: [
      landingPage,
      auditPlugin<GatewayContext>({ store, logger, surface: 'graphql' }),
      operationMetricsPlugin('gateway'),
      staleExtensionsPlugin(),
      ...(options.cache && config.cache?.responseTtlSeconds
        ? [
            responseCachePlugin<GatewayContext>(
              options.cache,
              config.cache.responseTtlSeconds * 1000,
            ),
          ]
        : []),
      ...persisted.plugins,
      ...(limits.plugins as ApolloServerPlugin<GatewayContext>[]),
      errors.plugin,
    ],
    persistedQueries: persisted.persistedQueries,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    formatError: errors.formatError,
    // Batches are allowed, bounded by REQUEST_MAX_BATCH (request-limits.ts).
    allowBatchedHttpRequests: true,
    // Apollo's default, kept explicit: GETs and simple POSTs need a
    // preflight-forcing header, so a browser cannot be made to send one.
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    introspection: config.nodeEnv !== 'production',
    logger: {
      debug: (message) => logger.debug(message),
      info: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
  });
  await server.start();

  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers are POSTed and never revalidated: hashing each one for an
  // ETag is work for nothing.
  app.set('etag', false);
  // Liveness: the process answers. Readiness: it can serve, so the store
  // and every subgraph answer.
  app.get('/health', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get(
    '/ready',
    readinessHandler({
      store: () => store.ping(),
      ...subgraphReadinessChecks(
        subgraphRoutingUrls(options.supergraphSdl, overrides),
      ),
    }),
  );
  app.get('/metrics', async (_request, response) => {
    response.type(registry.contentType).send(await registry.metrics());
  });
  app.get('/', (_request, response) => {
    response.redirect('/graphql');
  });
  app.use('/graphql', corsMiddleware(config));

  const admin = await createAdminApi({ store, logger, config });
  app.use('/admin', admin.router);
  const stopRetention = startAuditRetention({
    store,
    logger,
    retentionDays: config.auditRetentionDays,
  });

  // Authentication comes before GraphQL: a request without valid
  // credentials never reaches planning or a subgraph. The landing page (a
  // browser GET asking for HTML) is the one thing served without them.
  app.use('/graphql', async (request, response, next) => {
    if (
      request.method === 'GET' &&
      request.accepts(['json', 'html']) === 'html'
    ) {
      next();
      return;
    }
    const result = await authenticate(store, request).catch(
      (error: unknown) => {
        logger.error({ err: error }, 'authentication failed');
        return null;
      },
    );
    if (result === null) {
      response.status(503).json({
        errors: [
          {
            message: 'The gateway cannot authenticate requests right now.',
            extensions: { code: ErrorCode.UPSTREAM_UNAVAILABLE },
          },
        ],
      });
      return;
    }
    if (!result.ok) {
      response
        .status(401)
        .set('WWW-Authenticate', 'Bearer')
        .json({
          errors: [
            {
              message: authenticationMessage(result),
              extensions: { code: ErrorCode.UNAUTHENTICATED },
            },
          ],
        });
      return;
    }
    response.locals.principal = result.principal;
    next();
  });

  app.use(
    '/graphql',
    ...requestLimits(config),
    rateLimit.middleware,
    expressMiddleware(server, {
      context: async ({ req, res }) => {
        const principal = res.locals.principal as Principal;
        // A client's own request id is kept for correlation when it is a
        // plain token; anything else gets a fresh one.
        const offered = req.header('x-request-id');
        const requestId =
          offered && /^[\w.-]{1,64}$/.test(offered) ? offered : randomUUID();
        // Echoed so a client can find its calls in the admin log search.
        res.setHeader('x-request-id', requestId);
        const identityToken = signIdentity(
          { ...principal, requestId },
          {
            secret: config.identitySecret,
            ttlSeconds: config.identityTtlSeconds,
          },
        );
        return {
          requestId,
          principal,
          identityToken,
          stale: [],
          audit: new AuditCollector(),
          ...(config.requestBudgetMs !== undefined
            ? { deadline: Date.now() + config.requestBudgetMs }
            : {}),
        };
      },
    }),
  );

  return {
    app,
    async stop() {
      stopRetention();
      await admin.stop();
      await server.stop();
      await subgraphHttp.close();
      await persisted.stop();
      await rateLimit.stop();
    },
  };
}
