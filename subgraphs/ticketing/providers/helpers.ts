/**
 * Small building blocks the ticketing connectors share: the by-email
 * assignee join, reading a provider answer through a zod schema, and
 * reading its ISO 8601 timestamps. Chunking and bounded concurrency are
 * category-neutral: lib/batching.ts.
 */
import type { z } from 'zod';

import { ErrorCode, ProviderError } from '../../../lib/errors';
import type { TicketingUser } from '../models';

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
