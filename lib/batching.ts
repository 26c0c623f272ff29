/**
 * Building blocks for calling a provider about many keys: chunks of its
 * documented maximum, a page size within its bounds, and bounded
 * concurrency where it has no bulk endpoint. Every category's connectors
 * use these rather than keeping copies.
 */

/** `items` in consecutive chunks of at most `size`, in order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}

/** `limit` as an integer from 1 to `max`. */
export function clampLimit(limit: number, max: number): number {
  return Math.min(Math.max(1, Math.floor(limit)), max);
}

/**
 * `task` over every item with at most `concurrency` running at once,
 * results in item order: for providers that read one record per call, so a
 * batch of ids never becomes a burst the provider's rate limit answers
 * with 429. The first rejection rejects the whole call.
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
