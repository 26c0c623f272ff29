import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { Config } from '../lib/config';
import { maskFormattedError } from '../lib/error-masking';
import { ErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { formatPersistedQueryError } from './persisted-queries';
import { formatQueryLimitError } from './query-limits';

export interface GatewayErrorHandling<TContext extends { requestId: string }> {
  formatError(formatted: GraphQLFormattedError): GraphQLFormattedError;
  plugin: ApolloServerPlugin<TContext>;
}

/**
 * How the gateway's errors reach clients. Query-limit rejections get their
 * public code; in production every error is masked to a public code and a
 * short message (lib/error-masking.ts). Every error a client sees carries
 * `extensions.requestId`, as does the `X-Request-Id` response header, and
 * unexpected errors are logged in full under that id: the logs hold the
 * details the response leaves out.
 */
export function gatewayErrorHandling<
  TContext extends { requestId: string },
>(options: {
  config: Pick<Config, 'nodeEnv'>;
  logger: Logger;
}): GatewayErrorHandling<TContext> {
  const production = options.config.nodeEnv === 'production';
  return {
    formatError(formatted) {
      const coded = formatPersistedQueryError(formatQueryLimitError(formatted));
      return production ? maskFormattedError(coded) : coded;
    },
    plugin: {
      async requestDidStart() {
        return {
          async didEncounterErrors({ errors, contextValue }) {
            for (const error of errors) {
              const code = error.extensions?.code;
              const unexpected =
                typeof code !== 'string' ||
                code === ErrorCode.INTERNAL_SERVER_ERROR;
              options.logger[unexpected ? 'error' : 'debug'](
                {
                  err: error.originalError ?? error,
                  requestId: contextValue.requestId,
                  code,
                  path: error.path,
                  serviceName: error.extensions?.serviceName,
                },
                'operation error',
              );
            }
          },
          async willSendResponse({ response, contextValue }) {
            const { requestId } = contextValue;
            response.http.headers.set('x-request-id', requestId);
            if (response.body.kind === 'single') {
              const { singleResult } = response.body;
              if (singleResult.errors) {
                singleResult.errors = singleResult.errors.map((error) => ({
                  ...error,
                  extensions: { ...error.extensions, requestId },
                }));
              }
            }
          },
        };
      },
    },
  };
}
