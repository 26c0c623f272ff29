import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import {
  GraphQLError,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Config } from '../lib/config';
import { ErrorCode } from '../lib/errors';

/** Which limit an operation exceeded, in `extensions.limit`. */
export type QueryLimit = 'depth' | 'aliases' | 'directives' | 'tokens' | 'cost';

export interface QueryLimitSetup {
  validationRules: ValidationRule[];
  /** graphql-js parse options: the token limit stops the parser itself. */
  parseOptions: { maxTokens: number };
  plugins: ApolloServerPlugin[];
}

function reject(limit: QueryLimit) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    context?.reportError(
      new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
        extensions: { code: ErrorCode.QUERY_LIMIT_EXCEEDED, limit },
      }),
    );
  };
}

/**
 * Query limits, all checked while the operation is parsed and validated,
 * so nothing over a limit reaches a subgraph or a provider: depth, aliases,
 * directives and cost by graphql-armor's validation rules, tokens by
 * graphql-js's parser (`maxTokens`), which stops reading a huge document
 * early instead of building its whole AST first. In production, armor also
 * removes "Did you mean…" suggestions, which would reveal the schema that
 * disabled introspection hides.
 */
export function queryLimitSetup(
  config: Pick<Config, 'queryLimits' | 'nodeEnv'>,
): QueryLimitSetup {
  const limits = config.queryLimits;
  const common = { propagateOnRejection: false, exposeLimits: true };
  const armor = new ApolloArmor({
    maxDepth: {
      ...common,
      n: limits.maxDepth,
      // Fragments count by the fields they hold, not as a level.
      flattenFragments: true,
      onReject: [reject('depth')],
    },
    maxAliases: {
      ...common,
      n: limits.maxAliases,
      onReject: [reject('aliases')],
    },
    maxDirectives: {
      ...common,
      n: limits.maxDirectives,
      onReject: [reject('directives')],
    },
    costLimit: {
      ...common,
      maxCost: limits.maxCost,
      onReject: [reject('cost')],
    },
    // graphql-js's own `maxTokens` replaces armor's token plugin, whose
    // rejection surfaces as an unexpected server error in Apollo Server 5.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: config.nodeEnv === 'production' },
  });
  const { plugins, validationRules } = armor.protect();
  return {
    // Two declarations of Apollo Server's types (armor's and ours) differ
    // only nominally.
    plugins: plugins as unknown as ApolloServerPlugin[],
    validationRules,
    parseOptions: { maxTokens: limits.maxTokens },
  };
}

// graphql-js 16 spells it "more that"; later versions may fix the typo.
const TOKENS = /^Syntax Error: Document contains more tha[nt] (\d+) tokens/;

/**
 * Gives limit rejections their public code. Apollo Server files every
 * validation error under `GRAPHQL_VALIDATION_FAILED` and every parse error
 * under `GRAPHQL_PARSE_FAILED`; ours are told apart by `extensions.limit`
 * and by graphql-js's token-limit message.
 */
export function formatQueryLimitError(
  formatted: GraphQLFormattedError,
): GraphQLFormattedError {
  const extensions = formatted.extensions ?? {};
  if (typeof extensions.limit === 'string') {
    return {
      ...formatted,
      extensions: { ...extensions, code: ErrorCode.QUERY_LIMIT_EXCEEDED },
    };
  }
  const tokens = TOKENS.exec(formatted.message);
  if (tokens && extensions.code === ErrorCode.GRAPHQL_PARSE_FAILED) {
    return {
      message: `Token limit of ${tokens[1]} exceeded.`,
      extensions: {
        ...extensions,
        code: ErrorCode.QUERY_LIMIT_EXCEEDED,
        limit: 'tokens' satisfies QueryLimit,
      },
    };
  }
  return formatted;
}
