import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Counter, Histogram } from 'prom-client';
import { registry } from './metrics';

export const graphqlOperations = new Counter({
  name: 'tributary_graphql_operations_total',
  help: 'GraphQL operations by server, operation name and outcome (success, partial, error).',
  labelNames: ['server', 'operation', 'outcome'] as const,
  registers: [registry],
});

export const graphqlOperationDuration = new Histogram({
  name: 'tributary_graphql_operation_duration_seconds',
  help: 'Duration of GraphQL operations, from request to response, by server, operation name and outcome.',
  labelNames: ['server', 'operation', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/**
 * Operation names come from clients: past this many distinct names, new
 * ones count as `other`, so a client cannot grow the metric without bound.
 */
const MAX_OPERATION_NAMES = 200;
const seenNames = new Set<string>();

function operationLabel(name: string | null | undefined): string {
  if (!name) {
    return 'anonymous';
  }
  const label = name.slice(0, 64);
  if (seenNames.has(label)) {
    return label;
  }
  if (seenNames.size >= MAX_OPERATION_NAMES) {
    return 'other';
  }
  seenNames.add(label);
  return label;
}

/**
 * Counts and times every GraphQL operation a server answers. Outcome:
 * `success` (no errors), `partial` (data with errors: a degraded provider)
 * or `error` (no data).
 */
export function operationMetricsPlugin(
  server: string,
): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ response, operationName }) {
          let outcome = 'success';
          if (response.body.kind === 'single') {
            const { errors, data } = response.body.singleResult;
            if (errors && errors.length > 0) {
              outcome = data ? 'partial' : 'error';
            }
          }
          const labels = {
            server,
            operation: operationLabel(operationName),
            outcome,
          };
          graphqlOperations.inc(labels);
          graphqlOperationDuration.observe(
            labels,
            (performance.now() - started) / 1000,
          );
        },
      };
    },
  };
}
