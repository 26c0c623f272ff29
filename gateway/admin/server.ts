import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Router } from 'express';
import { GraphQLError } from 'graphql';
import { PROVIDERS, isCategory } from '../../lib/categories';
import type { Config } from '../../lib/config';
import { ErrorCode, tributaryError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import {
  authenticateApiKey,
  getApiKey,
  listApiKeys,
  parseScopes,
  revokeApiKey,
  rotateApiKey,
} from '../../lib/store/api-keys';
import {
  auditCursor,
  listAuditRecords,
  type AuditSurface,
} from '../../lib/store/audit';
import {
  getOrganization,
  listOrganizations,
} from '../../lib/store/organizations';
import type { Store } from '../../lib/store/store';
import { AuditCollector, auditPlugin, type AuditedContext } from '../audit';
import {
  integrationIssuesResolvers,
  integrationIssuesTypeDefs,
} from './integration-issues';
import { providerLogsResolvers, providerLogsTypeDefs } from './provider-logs';

const typeDefs = readFileSync(
  new URL('./schema.graphql', import.meta.url),
  'utf8',
);

/** Per-request context of the admin API: the admin key and its tenant. */
export interface AdminContext extends AuditedContext {
  tenantId: string;
}

export interface AdminOptions {
  store: Store;
  logger: Logger;
  config: Pick<Config, 'nodeEnv' | 'sandboxEnabled'>;
}

export interface AdminApi {
  /** Mount at `/admin`: serves `POST /admin/graphql`. */
  router: Router;
  stop(): Promise<void>;
}

/** By-id lookups answer null for an unknown id; other failures propagate. */
function nullWhenNotFound(error: unknown): null {
  if (
    error instanceof GraphQLError &&
    error.extensions.code === ErrorCode.NOT_FOUND
  ) {
    return null;
  }
  throw error;
}

function errorBody(code: string, message: string): object {
  return { errors: [{ message, extensions: { code } }] };
}

/**
 * The admin API: API keys (create, list, rotate, revoke), organizations and
 * their linked accounts (list, create, link, unlink) and the audit trail of
 * one tenant, for API keys with the `admin` scope. A small Apollo Server of
 * its own, separate from the federated graph: its data is Tributary's own
 * store, not a provider's. Its operations are audited too (surface
 * `admin`).
 */
export async function createAdminApi(options: AdminOptions): Promise<AdminApi> {
  const { store, logger } = options;
  const db = store.db;

  const resolvers = {
    Query: {
      apiKeys: (_: unknown, __: unknown, context: AdminContext) =>
        listApiKeys(db, context.tenantId),
      apiKey: (_: unknown, args: { id: string }, context: AdminContext) =>
        getApiKey(db, context.tenantId, args.id).catch(nullWhenNotFound),
      organizations: (_: unknown, __: unknown, context: AdminContext) =>
        listOrganizations(db, context.tenantId),
      organization: (_: unknown, args: { id: string }, context: AdminContext) =>
        getOrganization(db, context.tenantId, args.id).catch(nullWhenNotFound),
      auditRecords: async (
        _: unknown,
        args: {
          first: number;
          after?: string | null;
          apiKeyId?: string | null;
          organizationId?: string | null;
          surface?: AuditSurface | null;
          since?: string | null;
          until?: string | null;
          sensitiveOnly?: boolean | null;
        },
        context: AdminContext,
      ) => {
        for (const [name, value] of [
          ['since', args.since],
          ['until', args.until],
        ] as const) {
          if (value && Number.isNaN(Date.parse(value))) {
            throw tributaryError(
              ErrorCode.BAD_USER_INPUT,
              `${name} must be an ISO 8601 instant, received "${value}".`,
            );
          }
        }
        const page = await listAuditRecords(db, {
          ...args,
          since: args.since ? new Date(args.since).toISOString() : null,
          until: args.until ? new Date(args.until).toISOString() : null,
          tenantId: context.tenantId,
        });
        return {
          edges: page.records.map((record) => ({
            cursor: auditCursor({
              occurred_at: record.occurredAt,
              id: record.id,
            }),
            node: record,
          })),
          pageInfo: {
            hasNextPage: page.hasNextPage,
            endCursor: page.endCursor,
          },
        };
      },
    },
    Mutation: {
      createApiKey: async (
        _: unknown,
        args: { name: string; scopes: string[] },
        context: AdminContext,
      ) => {
        const scopes = parseScopes(args.scopes);
        if (!args.name.trim()) {
          throw tributaryError(ErrorCode.BAD_USER_INPUT, 'name is empty.');
        }
        const created = await store.createApiKey({
          tenantId: context.tenantId,
          name: args.name.trim(),
          scopes,
        });
        logger.info(
          { tenantId: context.tenantId, apiKeyId: created.id },
          'API key created',
        );
        return {
          apiKey: await getApiKey(db, context.tenantId, created.id),
          secret: created.secret,
        };
      },
      rotateApiKey: async (
        _: unknown,
        args: { id: string },
        context: AdminContext,
      ) => {
        const issued = await rotateApiKey(db, context.tenantId, args.id);
        logger.info(
          { tenantId: context.tenantId, apiKeyId: args.id },
          'API key rotated',
        );
        return issued;
      },
      revokeApiKey: async (
        _: unknown,
        args: { id: string },
        context: AdminContext,
      ) => {
        const revoked = await revokeApiKey(db, context.tenantId, args.id);
        logger.info(
          { tenantId: context.tenantId, apiKeyId: args.id },
          'API key revoked',
        );
        return revoked;
      },
      createOrganization: async (
        _: unknown,
        args: { name: string },
        context: AdminContext,
      ) => {
        if (!args.name.trim()) {
          throw tributaryError(ErrorCode.BAD_USER_INPUT, 'name is empty.');
        }
        const created = await store.createOrganization({
          tenantId: context.tenantId,
          name: args.name.trim(),
        });
        return {
          organization: await getOrganization(db, context.tenantId, created.id),
          accountToken: created.accountToken,
        };
      },
      linkAccount: async (
        _: unknown,
        args: {
          organizationId: string;
          provider: string;
          baseUrl: string;
          credentials: Array<{ field: string; value: string }>;
        },
        context: AdminContext,
      ) => {
        // Ownership first: another tenant's organization reads as unknown.
        await getOrganization(db, context.tenantId, args.organizationId);
        const provider = PROVIDERS[args.provider];
        if (!provider) {
          throw tributaryError(
            ErrorCode.BAD_USER_INPUT,
            `Unknown provider "${args.provider}"; expected one of ${Object.keys(PROVIDERS).join(', ')}.`,
          );
        }
        if (!URL.canParse(args.baseUrl)) {
          throw tributaryError(
            ErrorCode.BAD_USER_INPUT,
            `baseUrl must be an absolute URL such as ${provider.example}.`,
          );
        }
        const credentials = Object.fromEntries(
          args.credentials.map((credential) => [
            credential.field,
            credential.value,
          ]),
        );
        const missing = provider.credentials.filter(
          (field) => !credentials[field],
        );
        if (missing.length > 0) {
          throw tributaryError(
            ErrorCode.BAD_USER_INPUT,
            `${args.provider} needs credentials for: ${missing.join(', ')}.`,
          );
        }
        const linked = await store.linkAccount({
          organizationId: args.organizationId,
          category: provider.category,
          provider: args.provider,
          baseUrl: args.baseUrl,
          credentials,
        });
        const organization = await getOrganization(
          db,
          context.tenantId,
          args.organizationId,
        );
        return organization.linkedAccounts.find(
          (account) => account.id === linked.id,
        );
      },
      unlinkAccount: async (
        _: unknown,
        args: { organizationId: string; category: string },
        context: AdminContext,
      ) => {
        await getOrganization(db, context.tenantId, args.organizationId);
        if (!isCategory(args.category)) {
          throw tributaryError(
            ErrorCode.BAD_USER_INPUT,
            `category must be hris, crm or ticketing, received "${args.category}".`,
          );
        }
        await store.unlinkAccount(args.organizationId, args.category);
        return getOrganization(db, context.tenantId, args.organizationId);
      },
    },
  };

  const server = new ApolloServer<AdminContext>({
    typeDefs: [typeDefs, providerLogsTypeDefs, integrationIssuesTypeDefs],
    resolvers: [
      resolvers,
      providerLogsResolvers(store),
      integrationIssuesResolvers(store),
    ],
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      auditPlugin<AdminContext>({ store, logger, surface: 'admin' }),
    ],
    includeStacktraceInErrorResponses: false,
    introspection: options.config.nodeEnv !== 'production',
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
    const header = request.header('authorization');
    const secret = header
      ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
      : undefined;
    const result = await authenticateApiKey(db, secret, {
      sandboxEnabled: options.config.sandboxEnabled,
    }).catch((failure: unknown) => {
      logger.error({ err: failure }, 'admin authentication failed');
      return null;
    });
    if (result === null) {
      response
        .status(503)
        .json(
          errorBody(
            ErrorCode.UPSTREAM_UNAVAILABLE,
            'The gateway cannot authenticate requests right now.',
          ),
        );
      return;
    }
    if (!result.ok) {
      response
        .status(401)
        .set('WWW-Authenticate', 'Bearer')
        .json(
          errorBody(
            ErrorCode.UNAUTHENTICATED,
            result.reason === 'sandbox-off'
              ? 'Sandbox API keys work only while the sandbox is on.'
              : 'Send an API key with the admin scope as "Authorization: Bearer <api key>".',
          ),
        );
      return;
    }
    if (!result.scopes.includes('admin')) {
      response
        .status(403)
        .json(
          errorBody(
            ErrorCode.FORBIDDEN,
            'The admin API needs an API key with the admin scope.',
          ),
        );
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
          apiKeyId: string;
          tenantId: string;
        };
        return {
          requestId: randomUUID(),
          tenantId: admin.tenantId,
          principal: {
            tenantId: admin.tenantId,
            apiKeyId: admin.apiKeyId,
            organizationId: null,
          },
          audit: new AuditCollector(),
        };
      },
    }),
  );

  return { router, stop: () => server.stop() };
}
