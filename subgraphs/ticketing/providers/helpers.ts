/**
 * Small building blocks the ticketing connectors share: chunking keys to a
 * provider's documented maximum, bounded concurrency for providers without
 * a bulk endpoint, reading a provider answer through a zod schema, and
 * reading its ISO 8601 timestamps.
 */
import type { z } from 'zod';

import { ErrorCode, ProviderError } from '../../../lib/errors';
import type { TicketingUser } from '../models';

/** `items` in consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) {
    chunks.push(items.slice(index, index + size));
  }
  return chunks;
}

/** `limit` as an integer from 1 to `max`. */
export function clamp(limit: number, max: number): number {
  return Math.min(Math.max(Math.floor(limit), 1), max);
}

/**
 * `task` over every item, at most `concurrency` at once; results in item
 * order. The first rejection rejects the whole call.
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

/**
 * The distinct remote ids of the users an email lookup found, in the order
 * first found: the assignees whose tickets a by-email join then reads.
 */
export function foundUserIds(
  users: readonly (TicketingUser | null)[],
): string[] {
  return [
    ...new Set(
      users
        .filter((user): user is TicketingUser => user !== null)
        .map((user) => user.remoteId),
    ),
  ];
}

/**
 * A by-email join's answer, one list per email in email order: what
 * `byUser` holds for that email's user; empty for an email no user has and
 * for a user with nothing.
 */
export function perEmail<T>(
  users: readonly (TicketingUser | null)[],
  byUser: ReadonlyMap<string, T[] | undefined>,
): T[][] {
  return users.map((user) => (user ? (byUser.get(user.remoteId) ?? []) : []));
}

/**
 * An ISO 8601 timestamp as the provider sent it (Linear, Zendesk); null
 * for a missing or unreadable value. Jira's `+0000` offsets need
 * `parseJiraDateTime` instead.
 */
export function parseTime(value: string | null | undefined): Date | null {
  if (!value) {
    return null;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/**
 * Parses a provider answer; a shape we cannot read is the provider's fault
 * (UPSTREAM_UNAVAILABLE), and the message never carries the payload.
 */
export function parseAnswer<T extends z.ZodType>(
  provider: string,
  schema: T,
  body: unknown,
  route: string,
): z.infer<T> {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new ProviderError(
      `${provider} sent an unexpected response on ${route}.`,
      {
        code: ErrorCode.UPSTREAM_UNAVAILABLE,
        provider,
        cause: result.error,
      },
    );
  }
  return result.data;
}
