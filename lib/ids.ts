import { ErrorCode, tributaryError } from './errors';

/**
 * Opaque, stable ids: the typename and the provider's remote id, base64url
 * encoded. Stable because they are derived, not stored; opaque so clients
 * never build them by hand. A remote id is unique within one linked account,
 * and an id is only ever resolved within the caller's own linked account.
 */
export function toGlobalId(typename: string, remoteId: string): string {
  return Buffer.from(`${typename}:${remoteId}`, 'utf8').toString('base64url');
}

/**
 * The remote id inside `id`. Throws `BAD_USER_INPUT` for a malformed id or
 * for an id of another type (an Employee id passed to `ticket(id)`).
 */
export function fromGlobalId(id: string, typename: string): string {
  const decoded = Buffer.from(id, 'base64url').toString('utf8');
  const separator = decoded.indexOf(':');
  const type = separator > 0 ? decoded.slice(0, separator) : '';
  const remoteId = separator > 0 ? decoded.slice(separator + 1) : '';
  if (type !== typename || remoteId === '') {
    throw tributaryError(
      ErrorCode.BAD_USER_INPUT,
      `Expected a ${typename} id, received "${id}".`,
    );
  }
  return remoteId;
}
