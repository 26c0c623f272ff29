import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from './errors';

const PUBLIC_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Extension keys a client may see in production; all else is internal. */
const PUBLIC_EXTENSIONS: ReadonlySet<string> = new Set([
  'code',
  'provider',
  'category',
  'providerStatus',
  'limit',
  'retryAfterSeconds',
  'requestId',
]);

/**
 * The production shape of an error a client sees: a public code and a
 * short message, nothing else. Stack traces, subgraph names, exception
 * details and any extension outside the public contract are dropped; an
 * error without a public code (a bug, a library's own error, a subgraph
 * that could not be reached) becomes `INTERNAL_SERVER_ERROR` with a fixed
 * message. Callers log the original under the request id first.
 */
export function maskFormattedError(
  formatted: GraphQLFormattedError,
): GraphQLFormattedError {
  const extensions = formatted.extensions ?? {};
  const code = extensions.code;
  const known =
    typeof code === 'string' &&
    PUBLIC_CODES.has(code) &&
    code !== ErrorCode.INTERNAL_SERVER_ERROR;
  const kept = Object.fromEntries(
    Object.entries(extensions).filter(([key]) => PUBLIC_EXTENSIONS.has(key)),
  );
  return {
    message: known ? formatted.message : 'Internal error.',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: {
      ...kept,
      code: known ? code : ErrorCode.INTERNAL_SERVER_ERROR,
    },
  };
}
