import { expect } from 'vitest';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { startSystem, type RunningSystem } from '../../scripts/system';

export type { RunningSystem };

/**
 * The whole system on port 0: sandbox providers, the three subgraphs and
 * the gateway, on an in-memory SQLite store unless `env` says otherwise.
 */
export async function startTestSystem(
  env: Record<string, string> = {},
): Promise<RunningSystem & { config: Config }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    TRIBUTARY_DB_PATH: ':memory:',
    // Suites count provider calls per query; the cross-request cache is
    // tested on its own (test/cache.test.ts) and turned on there.
    CACHE_TTL_SECONDS: '0',
    ...env,
  });
  const system = await startSystem({
    config,
    logger: createLogger({
      name: 'test',
      level: process.env.LOG_LEVEL ?? 'silent',
    }),
    anyPorts: true,
  });
  return { ...system, config };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{
    message: string;
    path?: Array<string | number>;
    extensions?: Record<string, unknown>;
  }>;
}

/** Posts a GraphQL operation the way a client of the gateway would. */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  options: {
    apiKey?: string;
    accountToken?: string;
    variables?: Record<string, unknown>;
    headers?: Record<string, string>;
  } = {},
): Promise<GraphQLResponse<T>> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...options.headers,
  };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  if (options.accountToken) headers['x-account-token'] = options.accountToken;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

export const SANDBOX = { apiKey: 'sk_sandbox_demo', accountToken: 'acct_acme' };

/**
 * Pages a root connection of the gateway to its end, `first` at a time,
 * and returns every node seen, in order. Each page must answer without
 * errors; a listing that has not ended after `maxPages` fails the test.
 */
export async function pageToEnd<TNode>(
  url: string,
  options: {
    field: string;
    /** Selection of each node, e.g. `remoteId status`. */
    nodeFields: string;
    first: number;
    apiKey?: string;
    accountToken?: string;
    maxPages?: number;
  },
): Promise<TNode[]> {
  interface Listing {
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ node: TNode }>;
  }
  const { field, maxPages = 20 } = options;
  const nodes: TNode[] = [];
  let after: string | null = null;
  for (let page = 0; page < maxPages; page += 1) {
    const response: GraphQLResponse<Record<string, Listing | null>> =
      await graphql(
        url,
        `query Page($after: String) {
          ${field}(first: ${options.first}, after: $after) {
            pageInfo { hasNextPage endCursor }
            edges { node { ${options.nodeFields} } }
          }
        }`,
        {
          apiKey: options.apiKey,
          accountToken: options.accountToken,
          variables: { after },
        },
      );
    expect(response.errors, `${field} page ${page}`).toBeUndefined();
    const connection = response.data![field]!;
    nodes.push(...connection.edges.map((edge) => edge.node));
    if (!connection.pageInfo.hasNextPage) return nodes;
    after = connection.pageInfo.endCursor;
  }
  throw new Error(`${field} did not end within ${maxPages} pages`);
}
