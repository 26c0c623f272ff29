import { ErrorCode, tributaryError } from './errors';

/**
 * One page as a provider returns it. `nextCursor` is the provider's own way
 * to the next page (an `after` token, an offset, a `nextPageToken`) as a
 * string, or null on the last page.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Fetches the native page that starts at `cursor` (null: the first page).
 * A cursor points at a position, so the same cursor with another `limit`
 * starts at the same item. `limit` may exceed the provider's maximum page
 * size; the connector clamps it, and the pager simply asks again.
 */
export type FetchPage<T> = (
  cursor: string | null,
  limit: number,
) => Promise<Page<T>>;

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Largest `first` a client may ask for. */
export const MAX_FIRST = 100;

/**
 * Pages scanned per request when a filter runs after fetching, so that a
 * filter matching nothing cannot walk a provider's whole dataset in one
 * request. The connection then reports `hasNextPage` and resumes later.
 */
export const MAX_SCANNED_PAGES = 20;

/**
 * Our cursors carry the provider's cursor of the page an item came from and
 * the item's offset within it: `[nativeCursor, skip]`, base64url JSON.
 */
type CursorState = [native: string | null, skip: number];

function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): CursorState {
  try {
    const state: unknown = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    );
    if (
      Array.isArray(state) &&
      state.length === 2 &&
      (state[0] === null || typeof state[0] === 'string') &&
      Number.isInteger(state[1]) &&
      (state[1] as number) >= 0
    ) {
      return [state[0] as string | null, state[1] as number];
    }
  } catch {
    // Falls through to the coded error below.
  }
  throw tributaryError(
    ErrorCode.BAD_USER_INPUT,
    `"after" is not a cursor this API returned: "${cursor}".`,
  );
}

function checkFirst(first: number | null | undefined): number {
  const value = first ?? 50;
  if (!Number.isInteger(value) || value < 0 || value > MAX_FIRST) {
    throw tributaryError(
      ErrorCode.BAD_USER_INPUT,
      `"first" must be an integer from 0 to ${MAX_FIRST}, received ${value}.`,
    );
  }
  return value;
}

export interface ConnectionOptions<T> {
  first: number | null | undefined;
  after: string | null | undefined;
  fetchPage: FetchPage<T>;
  /** Applied after fetching, for filters the provider cannot push down. */
  filter?: (item: T) => boolean;
}

/**
 * Turns a provider's native pagination into a Relay connection. Asks for one
 * item more than needed so `hasNextPage` is exact without an extra call, and
 * follows native pages until `first` items are found or the provider has no
 * more: a page cut short by the provider's maximum never ends the listing.
 */
export async function connectionFromPages<T>(
  options: ConnectionOptions<T>,
): Promise<Connection<T>> {
  const first = checkFirst(options.first);
  let [native, skip] = options.after
    ? decodeCursor(options.after)
    : ([null, 0] as CursorState);
  const edges: Edge<T>[] = [];
  let hasNextPage = false;

  for (let scanned = 0; ; scanned += 1) {
    const wanted = first - edges.length;
    const page = await options.fetchPage(native, skip + wanted + 1);
    let index = skip;

    // Take matching items until `first` are found; one more match means
    // there is a next page.
    for (; index < page.items.length; index += 1) {
      const item = page.items[index] as T;
      if (options.filter && !options.filter(item)) {
        continue;
      }
      if (edges.length === first) {
        hasNextPage = true;
        break;
      }
      const atPageEnd = index + 1 === page.items.length;
      edges.push({
        node: item,
        cursor: encodeCursor(
          atPageEnd && page.nextCursor !== null
            ? [page.nextCursor, 0]
            : [native, index + 1],
        ),
      });
    }
    if (hasNextPage || page.nextCursor === null) {
      break;
    }
    if (edges.length === first || scanned + 1 >= MAX_SCANNED_PAGES) {
      // More native pages exist; they may or may not hold matches.
      hasNextPage = true;
      break;
    }
    native = page.nextCursor;
    skip = 0;
  }

  return {
    edges,
    pageInfo: {
      hasNextPage,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** A Relay connection over a list already in memory (offset cursors). */
export function connectionFromArray<T>(
  items: readonly T[],
  args: { first: number | null | undefined; after: string | null | undefined },
): Connection<T> {
  const first = checkFirst(args.first);
  const start = args.after ? decodeCursor(args.after)[1] : 0;
  const slice = items.slice(start, start + first);
  const edges = slice.map((node, index) => ({
    node,
    cursor: encodeCursor([null, start + index + 1]),
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: start + first < items.length,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
