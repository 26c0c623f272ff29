import { clampLimit } from '../../../lib/batching';
import { ErrorCode, tributaryError } from '../../../lib/errors';
import type { Page } from '../../../lib/pagination';

/**
 * Paging helpers shared by HRIS connectors whose provider answers a whole
 * list at once (HiBob people search, Personio `updated_since`) or pages by
 * offset (Personio): the connector's cursor is then `offset:<n>`, the index
 * of the next item. The same lists answer lookups by remote id.
 */

const OFFSET_CURSOR = /^offset:(\d+)$/;

/**
 * The offset a cursor names; 0 for the first page. A cursor of another
 * shape is a client error (`BAD_USER_INPUT`), never a provider call.
 */
export function offsetOf(cursor: string | null): number {
  if (cursor === null) {
    return 0;
  }
  const match = OFFSET_CURSOR.exec(cursor);
  if (!match) {
    throw tributaryError(
      ErrorCode.BAD_USER_INPUT,
      '"after" belongs to another listing.',
    );
  }
  return Number(match[1]);
}

export function offsetCursor(offset: number): string {
  return `offset:${offset}`;
}

/**
 * One page of a list already in memory: `limit` items (at most `max`) from
 * the cursor's offset; `nextCursor` is null on the last page.
 */
export function pageInMemory<T>(
  items: readonly T[],
  args: { cursor: string | null; limit: number },
  max: number,
): Page<T> {
  const offset = offsetOf(args.cursor);
  const end = Math.min(items.length, offset + clampLimit(args.limit, max));
  return {
    items: items.slice(offset, end),
    nextCursor: end < items.length ? offsetCursor(end) : null,
  };
}

/**
 * Entities of a list already in memory by remote id, in the order of
 * `ids`: null for an id the list does not hold, as the loaders expect.
 */
export function byRemoteIds<T extends { remoteId: string }>(
  items: readonly T[],
  ids: readonly string[],
): (T | null)[] {
  const byId = new Map(items.map((item) => [item.remoteId, item]));
  return ids.map((id) => byId.get(id) ?? null);
}
