import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Router } from 'express';
import { ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { scalarResolvers } from '../../lib/scalars';
import type { Store } from '../../lib/store/store';
import { authenticateAdmin, type AdminContext } from './context';
import {
  integrationIssuesResolvers,
  integrationIssuesTypeDefs,
} from './integration-issues';
import { providerLogsResolvers, providerLogsTypeDefs } from './provider-logs';

export interface AdminApp {
  router: Router;
  stop(): Promise<void>;
}

/**
 * The admin GraphQL API of provider request logs and integration issues,
 * served at `/admin/graphql` (mount the router at `/admin`). Requests need
 * an API key with the `admin` scope (401 without one, 403 for a key
 * without the scope) and see only their own tenant.
 */
export async function createAdminApp(options: {
  store: Store;
  logger: Logger;
  sandboxEnabled: boolean;
  introspection: boolean;
}): Promise<AdminApp> {
  const { store, logger } = options;
  const server = new ApolloServer<AdminContext>({
    typeDefs: [
      'scalar DateTime',
      providerLogsTypeDefs,
      integrationIssuesTypeDefs,
    ],
    resolvers: [
      { DateTime: scalarResolvers.DateTime },
      providerLogsResolvers,
      integrationIssuesResolvers,
    ],
    plugins: [ApolloServerPluginLandingPageDisabled()],
    includeStacktraceInErrorResponses: false,
    introspection: options.introspection,
    logger: {
      debug: (message) => logger.debug(message),
      info: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
  });
  await server.start();

  const router = express.Router();
  router.use('/graphql', async (request, response, next) => {
    const result = await authenticateAdmin(store, request, options).catch(
      (error: unknown) => {
        logger.error({ err: error }, 'admin authentication failed');
        return null;
      },
    );
    if (result === null) {
      response.status(503).json({
        errors: [
          {
            message: 'The admin API cannot authenticate requests right now.',
            extensions: { code: ErrorCode.UPSTREAM_UNAVAILABLE },
          },
        ],
      });
      return;
    }
    if (!result.ok) {
      response.status(result.status).json({
        errors: [
          {
            message: result.message,
            extensions: {
              code:
                result.status === 401
                  ? ErrorCode.UNAUTHENTICATED
                  : ErrorCode.FORBIDDEN,
            },
          },
        ],
      });
      return;
    }
    response.locals.admin = result;
    next();
  });
  router.use(
    '/graphql',
    express.json({ limit: '100kb' }),
    expressMiddleware(server, {
      context: async ({ res }) => {
        const admin = res.locals.admin as {
          tenantId: string;
          apiKeyId: string;
        };
        return { tenantId: admin.tenantId, apiKeyId: admin.apiKeyId, store };
      },
    }),
  );
  return { router, stop: () => server.stop() };
}
