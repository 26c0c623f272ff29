import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  connectionFromArray,
  connectionFromPages,
  type Connection,
  type Page,
} from '../lib/pagination';

/**
 * A provider with offset cursors and a maximum page size, recording the
 * limits it was asked for.
 */
function offsetProvider(total: number, maxPageSize: number) {
  const items = Array.from({ length: total }, (_, index) => index);
  const calls: Array<{ cursor: string | null; limit: number }> = [];
  return {
    calls,
    fetchPage: async (cursor: string | null, limit: number) => {
      calls.push({ cursor, limit });
      const start = cursor === null ? 0 : Number(cursor);
      const size = Math.min(limit, maxPageSize);
      const end = Math.min(start + size, total);
      return {
        items: items.slice(start, end),
        nextCursor: end < total ? String(end) : null,
      } satisfies Page<number>;
    },
  };
}

async function pageToEnd(
  fetchPage: (cursor: string | null, limit: number) => Promise<Page<number>>,
  first: number,
  filter?: (item: number) => boolean,
): Promise<number[]> {
  const seen: number[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 1_000; guard += 1) {
    const connection: Connection<number> = await connectionFromPages({
      first,
      after,
      fetchPage,
      ...(filter ? { filter } : {}),
    });
    seen.push(...connection.edges.map((edge) => edge.node));
    if (!connection.pageInfo.hasNextPage) {
      return seen;
    }
    after = connection.pageInfo.endCursor;
  }
  throw new Error('pagination did not end');
}

describe('connectionFromPages', () => {
  it.each([
    [1, 7],
    [5, 7],
    [7, 7],
    [50, 7],
    [100, 250],
    [3, 100],
  ])(
    'returns every item exactly once paging by %i over pages of at most %i',
    async (first, maxPageSize) => {
      const provider = offsetProvider(160, maxPageSize);
      const seen = await pageToEnd(provider.fetchPage, first);
      expect(seen).toEqual(Array.from({ length: 160 }, (_, index) => index));
    },
  );

  it('reports hasNextPage exactly, without an extra call, on the last page', async () => {
    const provider = offsetProvider(10, 100);
    const connection: Connection<number> = await connectionFromPages({
      first: 10,
      after: null,
      fetchPage: provider.fetchPage,
    });
    expect(connection.edges).toHaveLength(10);
    expect(connection.pageInfo.hasNextPage).toBe(false);
    expect(provider.calls).toEqual([{ cursor: null, limit: 11 }]);
  });

  it('makes one provider call for a page smaller than the provider maximum', async () => {
    const provider = offsetProvider(160, 100);
    const connection: Connection<number> = await connectionFromPages({
      first: 5,
      after: null,
      fetchPage: provider.fetchPage,
    });
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(provider.calls).toHaveLength(1);
  });

  it('applies a filter after fetching and still reaches the last match', async () => {
    const provider = offsetProvider(160, 9);
    const seen = await pageToEnd(provider.fetchPage, 4, (n) => n % 3 === 0);
    expect(seen).toEqual(
      Array.from({ length: 160 }, (_, index) => index).filter(
        (n) => n % 3 === 0,
      ),
    );
  });

  it('rejects a cursor it did not issue with BAD_USER_INPUT', async () => {
    const provider = offsetProvider(10, 10);
    const error = await connectionFromPages({
      first: 5,
      after: 'bm90LWEtY3Vyc29y',
      fetchPage: provider.fetchPage,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    expect(provider.calls).toHaveLength(0);
  });

  it('rejects first above 100 with BAD_USER_INPUT', async () => {
    const provider = offsetProvider(10, 10);
    await expect(
      connectionFromPages({ first: 101, after: null, ...provider }),
    ).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('connectionFromArray', () => {
  it('slices with offset cursors to the end', () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const first = connectionFromArray(items, { first: 2, after: null });
    const second = connectionFromArray(items, {
      first: 2,
      after: first.pageInfo.endCursor,
    });
    const third = connectionFromArray(items, {
      first: 2,
      after: second.pageInfo.endCursor,
    });
    expect(
      [first, second, third].flatMap((c) => c.edges.map((e) => e.node)),
    ).toEqual(items);
    expect(third.pageInfo.hasNextPage).toBe(false);
    expect(second.pageInfo.hasNextPage).toBe(true);
  });
});
