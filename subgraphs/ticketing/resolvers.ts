/**
 * Resolvers of schema/ticketing.graphql. Ids are global ids over remote
 * ids; lists are Relay connections over the connector's native pages; every
 * lookup by id or email goes through a per-request loader, so N parents
 * cost one batched provider call, whatever the provider. Users a provider
 * embeds in a ticket or comment prime the user loader, so they cost none.
 */
import type { GraphQLResolveInfo } from 'graphql';

import { connectionFromArray, connectionFromPages } from '../../lib/pagination';
import type { Connection, Page } from '../../lib/pagination';
import { fromGlobalId, toGlobalId } from '../../lib/ids';
import { scalarResolvers } from '../../lib/scalars';
import {
  selectedFields,
  selectedNodeFields,
  selectionCacheKey,
  unionOfFields,
} from '../../lib/selection';
import type { FieldSelection } from '../../lib/selection';
import type { GraphQLResolverMap, SubgraphContext } from '../../lib/subgraph';
import type { TicketFilters, TicketingConnector } from './connector';
import type {
  Ticket,
  TicketCollection,
  TicketComment,
  TicketStatus,
  TicketingUser,
} from './models';

type Context = SubgraphContext<TicketingConnector>;

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

interface TicketArgs extends PageArgs {
  status?: TicketStatus | null;
  collectionId?: string | null;
  modifiedAfter?: Date | null;
}

/** An Employee as the gateway sends it: its key and the required email. */
interface EmployeeReference {
  id: string;
  workEmail?: string | null;
}

/** A ticket by remote id. */
interface TicketKey extends FieldSelection {
  remoteId: string;
}

/** An assignee's tickets: a lower-cased email and a status filter. */
interface AssigneeKey extends FieldSelection {
  email: string;
  status: TicketStatus | null;
}

/** Keyed lookups shared by all resolvers of one request. */
const loaders = {
  /** Tickets by remote id; one call for the batch, whatever each selects. */
  tickets: (ctx: Context) =>
    ctx.loader<TicketKey, Ticket | null, string>(
      'ticketing.ticketsById',
      (keys) =>
        ctx.connector().getTicketsByIds(
          keys.map((key) => key.remoteId),
          { fields: unionOfFields(keys) },
        ),
      { cacheKeyFn: selectionCacheKey },
    ),
  comments: (ctx: Context) =>
    ctx.loader<string, TicketComment | null>('ticketing.commentsById', (ids) =>
      ctx.connector().getCommentsByIds(ids),
    ),
  users: (ctx: Context) =>
    ctx.loader<string, TicketingUser | null>('ticketing.usersById', (ids) =>
      ctx.connector().getUsersByIds(ids),
    ),
  collections: (ctx: Context) =>
    ctx.loader<string, TicketCollection | null>(
      'ticketing.collectionsById',
      (ids) => ctx.connector().getCollectionsByIds(ids),
    ),
  firstCommentPages: (ctx: Context) =>
    ctx.loader<string, Page<TicketComment>>(
      'ticketing.firstCommentPages',
      (ids) => ctx.connector().getFirstCommentPages(ids),
    ),
  /**
   * One batch holds every parent's email; the connector answers each
   * status filter with one shared lookup, asking for the fields the batch
   * selects together.
   */
  ticketsByAssigneeEmail: (ctx: Context) =>
    ctx.loader<AssigneeKey, Ticket[], string>(
      'ticketing.ticketsByAssigneeEmail',
      async (keys) => {
        const byStatus = new Map<TicketStatus | null, Map<string, Ticket[]>>();
        for (const status of new Set(keys.map((key) => key.status))) {
          const group = keys.filter((key) => key.status === status);
          const emails = [...new Set(group.map((key) => key.email))];
          const lists = await ctx
            .connector()
            .getTicketsByAssigneeEmails(emails, {
              status,
              fields: unionOfFields(group),
            });
          byStatus.set(
            status,
            new Map(emails.map((email, index) => [email, lists[index] ?? []])),
          );
        }
        return keys.map(
          (key) => byStatus.get(key.status)?.get(key.email) ?? [],
        );
      },
      { cacheKeyFn: selectionCacheKey },
    ),
};

/** Remembers users a payload embedded, so loading them costs no call. */
function primeUsers(ctx: Context, users: readonly TicketingUser[]): void {
  const loader = loaders.users(ctx);
  for (const user of users) {
    loader.prime(user.remoteId, user);
  }
}

async function loadUsers(
  ctx: Context,
  embedded: readonly TicketingUser[],
  remoteIds: readonly string[],
): Promise<TicketingUser[]> {
  primeUsers(ctx, embedded);
  const users = await Promise.all(
    remoteIds.map((id) => loaders.users(ctx).load(id)),
  );
  return users.filter((user): user is TicketingUser => user !== null);
}

/**
 * The ticket filters, applied again after fetching: connectors push what
 * they can down (sometimes only coarsely, see `capabilities`), and this
 * makes the answer exact either way.
 */
function ticketMatches(filters: TicketFilters): (ticket: Ticket) => boolean {
  const after = filters.modifiedAfter?.getTime();
  return (ticket) =>
    (!filters.status || ticket.status === filters.status) &&
    (!filters.collectionRemoteId ||
      ticket.collectionRemoteIds.includes(filters.collectionRemoteId)) &&
    (after === undefined ||
      (ticket.modifiedAt !== null && ticket.modifiedAt.getTime() >= after));
}

/**
 * `Employee.assignedTickets`: every parent's work email goes into one
 * loader batch, answered by one search across all their users followed to
 * its last page; each employee's list is then sliced here.
 */
async function assignedTickets(
  employee: EmployeeReference,
  args: PageArgs & { status?: TicketStatus | null },
  ctx: Context,
  info: GraphQLResolveInfo,
): Promise<Connection<Ticket>> {
  const email = employee.workEmail?.trim().toLowerCase();
  const status = args.status ?? null;
  const tickets = email
    ? await loaders
        .ticketsByAssigneeEmail(ctx)
        .load({ email, status, fields: selectedNodeFields(info) })
    : [];
  return connectionFromArray(tickets.filter(ticketMatches({ status })), {
    first: args.first,
    after: args.after,
  });
}

export const resolvers: GraphQLResolverMap<Context> = {
  ...scalarResolvers,

  Query: {
    tickets: (
      _: unknown,
      args: TicketArgs,
      ctx: Context,
      info: GraphQLResolveInfo,
    ) => {
      const fields = selectedNodeFields(info);
      const filters: TicketFilters = {
        status: args.status ?? null,
        collectionRemoteId: args.collectionId
          ? fromGlobalId(args.collectionId, 'TicketCollection')
          : null,
        modifiedAfter: args.modifiedAfter ?? null,
      };
      return connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          ctx.connector().listTickets({ cursor, limit, ...filters, fields }),
        filter: ticketMatches(filters),
      });
    },
    ticket: (
      _: unknown,
      args: { id: string },
      ctx: Context,
      info: GraphQLResolveInfo,
    ) =>
      loaders.tickets(ctx).load({
        remoteId: fromGlobalId(args.id, 'Ticket'),
        fields: selectedFields(info),
      }),
    ticketCollections: (_: unknown, args: PageArgs, ctx: Context) =>
      connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          ctx.connector().listCollections({ cursor, limit }),
      }),
  },

  Ticket: {
    // No other subgraph refers to tickets; a reference is read whole.
    __resolveReference: (reference: { id: string }, ctx: Context) =>
      loaders.tickets(ctx).load({
        remoteId: fromGlobalId(reference.id, 'Ticket'),
      }),
    id: (ticket: Ticket) => toGlobalId('Ticket', ticket.remoteId),
    assignees: (ticket: Ticket, _: unknown, ctx: Context) =>
      loadUsers(ctx, ticket.embeddedUsers, ticket.assigneeRemoteIds),
    creator: async (ticket: Ticket, _: unknown, ctx: Context) =>
      ticket.creatorRemoteId === null
        ? null
        : ((
            await loadUsers(ctx, ticket.embeddedUsers, [ticket.creatorRemoteId])
          )[0] ?? null),
    collections: async (ticket: Ticket, _: unknown, ctx: Context) =>
      (
        await Promise.all(
          ticket.collectionRemoteIds.map((id) =>
            loaders.collections(ctx).load(id),
          ),
        )
      ).filter((collection) => collection !== null),
    comments: (ticket: Ticket, args: PageArgs, ctx: Context) =>
      connectionFromPages({
        first: args.first,
        after: args.after,
        // First pages of every parent ticket share one loader batch.
        fetchPage: (cursor, limit) =>
          cursor === null
            ? loaders.firstCommentPages(ctx).load(ticket.remoteId)
            : ctx.connector().listComments(ticket.remoteId, { cursor, limit }),
      }),
  },

  TicketComment: {
    __resolveReference: (reference: { id: string }, ctx: Context) =>
      loaders.comments(ctx).load(fromGlobalId(reference.id, 'TicketComment')),
    id: (comment: TicketComment) =>
      toGlobalId('TicketComment', comment.remoteId),
    author: async (comment: TicketComment, _: unknown, ctx: Context) =>
      comment.authorRemoteId === null
        ? null
        : ((
            await loadUsers(ctx, comment.embeddedUsers, [
              comment.authorRemoteId,
            ])
          )[0] ?? null),
  },

  TicketingUser: {
    __resolveReference: (reference: { id: string }, ctx: Context) =>
      loaders.users(ctx).load(fromGlobalId(reference.id, 'TicketingUser')),
    id: (user: TicketingUser) => toGlobalId('TicketingUser', user.remoteId),
  },

  TicketCollection: {
    __resolveReference: (reference: { id: string }, ctx: Context) =>
      loaders
        .collections(ctx)
        .load(fromGlobalId(reference.id, 'TicketCollection')),
    id: (collection: TicketCollection) =>
      toGlobalId('TicketCollection', collection.remoteId),
  },

  Employee: {
    assignedTickets: (
      employee: EmployeeReference,
      args: PageArgs & { status?: TicketStatus | null },
      ctx: Context,
      info: GraphQLResolveInfo,
    ) => assignedTickets(employee, args, ctx, info),
  },
};
