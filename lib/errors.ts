import { GraphQLError } from 'graphql';

/**
 * The public error contract: every error a client can see carries one of
 * these in `extensions.code`. Clients branch on them, so they only grow.
 */
export const ErrorCode = {
  /** Missing or wrong API key or account token. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Authenticated, but not allowed to read or write this field. */
  FORBIDDEN: 'FORBIDDEN',
  /** An argument is malformed: an id of the wrong type, a bad cursor. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The provider has no record with that id. */
  NOT_FOUND: 'NOT_FOUND',
  /** The organization has no linked account in this category. */
  NOT_LINKED: 'NOT_LINKED',
  /** The provider rejected the linked account's credentials. */
  RELINK_NEEDED: 'RELINK_NEEDED',
  /** The provider failed: 5xx, a reset connection, a malformed answer. */
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  /** The provider did not answer in time. */
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  /** The provider kept answering 429 after the retries we allow. */
  UPSTREAM_RATE_LIMITED: 'UPSTREAM_RATE_LIMITED',
  /** A bug of ours; details are in the logs under the request id. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** Too many requests for this API key; retry after `Retry-After` (HTTP 429). */
  RATE_LIMITED: 'RATE_LIMITED',
  /**
   * The operation exceeds a query limit (depth, aliases, directives, tokens
   * or cost); `extensions.limit` names which. Refused before any provider
   * is called.
   */
  QUERY_LIMIT_EXCEEDED: 'QUERY_LIMIT_EXCEEDED',
  /** The request body is larger than the gateway accepts (HTTP 413). */
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  /** A batched request holds more operations than allowed (HTTP 400). */
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  /** Malformed HTTP request: bad JSON, wrong content type (Apollo's code). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The operation does not parse (Apollo's code). */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** The operation does not validate against the schema (Apollo's code). */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** An automatic persisted query's hash is unknown: send it with its query. */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** Safelist mode: the operation is not in the persisted query manifest. */
  PERSISTED_QUERY_NOT_IN_LIST: 'PERSISTED_QUERY_NOT_IN_LIST',
  /** The gateway could not plan the operation over the subgraphs (Apollo's code). */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Builds the GraphQL error a client sees, with its code. */
export function tributaryError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export interface ProviderErrorOptions {
  code: ErrorCode;
  provider: string;
  /** HTTP status the provider answered, when it answered. */
  status?: number;
  /** How long the provider asked us to wait (429, 503), in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A failed provider call, already classified. Connectors let it propagate;
 * resolvers turn it into a coded GraphQL error for the fields it affects.
 * The message never holds a provider response body (it may carry personal
 * data): only the provider, the status and a short reason.
 */
export class ProviderError extends Error {
  readonly code: ErrorCode;
  readonly provider: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ProviderErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.code = options.code;
    this.provider = options.provider;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Normalizes anything thrown inside a resolver into a client-facing
 * GraphQLError. GraphQL errors pass through; provider errors keep their code
 * and name the provider; anything else is an internal error whose message is
 * not shown to clients (the caller logs it).
 */
export function toGraphQLError(
  error: unknown,
  context: { category?: string } = {},
): GraphQLError {
  if (error instanceof GraphQLError) {
    return error;
  }
  if (error instanceof ProviderError) {
    return tributaryError(error.code, error.message, {
      provider: error.provider,
      ...(context.category ? { category: context.category } : {}),
      ...(error.status !== undefined ? { providerStatus: error.status } : {}),
    });
  }
  return tributaryError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal error.');
}

/** Exhaustiveness check for switches over unions. */
export function assertNever(value: never, what: string): never {
  throw new TypeError(`Unexpected ${what}: ${String(value)}`);
}
