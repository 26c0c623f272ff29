import { GraphQLError } from 'graphql';
import { ErrorCode } from '../lib/errors';
import type { ReadinessCheck } from '../lib/health';
import type { Logger } from '../lib/logger';

/**
 * Routing URLs of the supergraph's subgraphs by name, with overrides
 * applied: what the gateway actually calls.
 */
export function subgraphRoutingUrls(
  supergraphSdl: string,
  overrides: Partial<Record<string, string>>,
): Record<string, string> {
  const urls: Record<string, string> = {};
  const joinGraph =
    /@join__graph\(\s*name:\s*"([^"]+)"\s*,\s*url:\s*"([^"]*)"/g;
  for (const match of supergraphSdl.matchAll(joinGraph)) {
    const [, name, url] = match;
    if (name !== undefined && url !== undefined) {
      urls[name] = overrides[name] ?? url;
    }
  }
  return urls;
}

/**
 * One readiness check per subgraph: its `GET /health` (next to its
 * `/graphql`) answers 2xx within 2 s.
 */
export function subgraphReadinessChecks(
  urls: Record<string, string>,
): Record<string, ReadinessCheck> {
  return Object.fromEntries(
    Object.entries(urls).map(([name, url]) => [
      `subgraph:${name}`,
      async () => {
        const health = new URL('health', url.replace(/\/graphql\/?$/, '/'));
        const response = await fetch(health, {
          signal: AbortSignal.timeout(2_000),
        });
        await response.body?.cancel();
        return response.ok;
      },
    ]),
  );
}

/**
 * The error a client sees for the fields of a subgraph that could not be
 * reached or answered with an HTTP error: `UPSTREAM_UNAVAILABLE` naming
 * the category, without the subgraph's internal URL (which the gateway's
 * default error carries). The other subgraphs' fields are unaffected.
 */
export function subgraphUnavailable(
  subgraph: string,
  error: unknown,
  logger: Logger,
): GraphQLError {
  if (error instanceof GraphQLError && error.extensions.code !== undefined) {
    const status = (
      error.extensions.response as { status?: number } | undefined
    )?.status;
    if (status === undefined) {
      return error;
    }
  }
  logger.warn({ err: error, subgraph }, 'subgraph unavailable');
  return new GraphQLError(`The ${subgraph} service is unavailable.`, {
    extensions: {
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
      category: subgraph,
    },
  });
}
