import type { ApolloServerPlugin } from '@apollo/server';
import type { StaleNotice } from './cache';

/** Where a request collects the stale entries it was served. */
export interface StaleCollector {
  stale?: StaleNotice[] | undefined;
}

/**
 * A provider failed and a cached entry older than its TTL was served
 * instead: the response says so in `extensions.stale`, one notice per
 * entry (`provider`, `resource`, `ageSeconds`, and `category` in subgraph
 * answers). Subgraphs add it; the gateway gathers the subgraphs' notices
 * and adds them to the client's response.
 */
export function staleExtensionsPlugin<
  TContext extends StaleCollector,
>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (
            response.body.kind !== 'single' ||
            !contextValue.stale ||
            contextValue.stale.length === 0
          ) {
            return;
          }
          const result = response.body.singleResult;
          result.extensions = {
            ...result.extensions,
            stale: contextValue.stale,
          };
        },
      };
    },
  };
}
