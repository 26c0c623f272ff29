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

/** `limit` as an integer from 1 to `max`. */
export function clampLimit(limit: number, max: number): number {
  return Math.min(Math.max(1, Math.floor(limit)), max);
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

/** `items` in consecutive chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    result.push(items.slice(start, start + size));
  }
  return result;
}

/**
 * `task` over every item with at most `concurrency` running at once,
 * results in item order: for providers that read one record per call, so a
 * batch of ids never becomes a burst the provider's rate limit answers
 * with 429.
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, worker),
  );
  return results;
}
