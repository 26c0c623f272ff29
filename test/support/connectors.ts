import express, { type RequestHandler } from 'express';
import { afterAll, beforeAll } from 'vitest';

import { ProviderClient } from '../../lib/http';
import { createLogger, type Logger } from '../../lib/logger';
import type { Page } from '../../lib/pagination';
import { listen, type Listening } from '../../lib/serve';
import type { LinkedAccount } from '../../lib/store/store';
import type { ConnectorDeps } from '../../lib/subgraph';

/** Connector tests log nothing: assertions read the request recorder. */
export const silentLogger: Logger = createLogger({
  name: 'test',
  level: 'silent',
});

/**
 * Serves sandbox provider routers, each under its mount path
 * (`{ '/hubspot': createHubspotSandbox(…) }`), on a free port of
 * 127.0.0.1. The caller closes the returned server in `afterAll`.
 */
export function serveSandboxes(
  mounts: Record<string, RequestHandler>,
): Promise<Listening> {
  const app = express();
  for (const [path, router] of Object.entries(mounts)) {
    app.use(path, router);
  }
  return listen(app, { port: 0, host: '127.0.0.1' });
}

/**
 * The sandbox server of one test file: `serveSandboxes(mounts())` started
 * in `beforeAll` and closed in `afterAll`. Call it at the top level of the
 * file; `origin` is readable once the server is up and throws before.
 */
export function useSandboxServer(
  mounts: () => Record<string, RequestHandler>,
): { readonly origin: string } {
  let listening: Listening | undefined;
  beforeAll(async () => {
    listening = await serveSandboxes(mounts());
  });
  afterAll(async () => {
    await listening?.close();
  });
  return {
    get origin(): string {
      if (!listening) {
        throw new Error('the sandbox server starts in beforeAll');
      }
      return listening.origin;
    },
  };
}

/**
 * An ACTIVE linked account of tenant `tenant_test` pointing at a sandbox.
 * `id` and `organizationId` default to `la_test` and `org_test`; nothing in
 * a connector test reads them beyond passing them along.
 */
export function sandboxAccount(
  account: Pick<
    LinkedAccount,
    'category' | 'provider' | 'baseUrl' | 'credentials'
  > &
    Partial<Pick<LinkedAccount, 'id' | 'organizationId'>>,
): LinkedAccount {
  return {
    id: account.id ?? 'la_test',
    tenantId: 'tenant_test',
    organizationId: account.organizationId ?? 'org_test',
    category: account.category,
    provider: account.provider,
    baseUrl: account.baseUrl,
    credentials: account.credentials,
    status: 'ACTIVE',
  };
}

/**
 * The dependencies a connector gets outside a GraphQL request: a plain
 * `ProviderClient` per `createClient` call (no cache, circuit or deadline),
 * defaulting to the account's base URL and forwarding the connector's own
 * rate-limit reading and error classification, as the subgraph does.
 * `maxAttempts` bounds retries (client default 3); `linkedAccount` receives
 * refreshed credentials where a test keeps a store.
 */
export function sandboxDeps(
  account: LinkedAccount,
  options: {
    logger?: Logger;
    maxAttempts?: number;
    linkedAccount?: ConnectorDeps['linkedAccount'];
  } = {},
): ConnectorDeps {
  const logger = options.logger ?? silentLogger;
  return {
    logger,
    createClient: (client) =>
      new ProviderClient({
        provider: account.provider,
        baseUrl: client.baseUrl ?? account.baseUrl,
        auth: client.auth,
        logger,
        ...(options.maxAttempts === undefined
          ? {}
          : { maxAttempts: options.maxAttempts }),
        ...(client.rateLimitDelayMs
          ? { rateLimitDelayMs: client.rateLimitDelayMs }
          : {}),
        ...(client.classifyError
          ? { classifyError: client.classifyError }
          : {}),
      }),
    ...(options.linkedAccount ? { linkedAccount: options.linkedAccount } : {}),
  };
}

/**
 * Follows native pages to the end, the way connectionFromPages does, and
 * counts the pages fetched. Throws when a listing has not ended after
 * 1_000 pages, which means a cursor that never runs out.
 */
export async function drainPages<T>(
  fetchPage: (cursor: string | null) => Promise<Page<T>>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let pages = 1; pages <= 1_000; pages += 1) {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    if (page.nextCursor === null) {
      return { items, pages };
    }
    cursor = page.nextCursor;
  }
  throw new Error('listing did not end');
}

/** Every item of a paged listing, in provider order (see `drainPages`). */
export async function drain<T>(
  fetchPage: (cursor: string | null) => Promise<Page<T>>,
): Promise<T[]> {
  return (await drainPages(fetchPage)).items;
}

/** What `promise` rejects with; throws when it resolves instead. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected a rejection');
}
