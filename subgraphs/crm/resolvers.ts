/**
 * Resolvers of schema/crm.graphql. Ids are global ids over remote ids;
 * lists are Relay connections over the connector's native pages; every
 * lookup by id or email goes through a per-request loader, so N parents
 * cost one batched provider call, whatever the provider.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { connectionFromPages } from '../../lib/pagination';
import type { Connection, Page } from '../../lib/pagination';
import { fromGlobalId, toGlobalId } from '../../lib/ids';
import { scalarResolvers } from '../../lib/scalars';
import { connectionNodeFields } from '../../lib/selection';
import type { GraphQLResolverMap, SubgraphContext } from '../../lib/subgraph';
import type { CrmConnector } from './connector';
import type {
  CrmAccount,
  CrmContact,
  CrmNote,
  CrmUser,
  Lead,
  Opportunity,
  OpportunityStatus,
} from './models';

type Context = SubgraphContext<CrmConnector>;

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

interface ModifiedArgs extends PageArgs {
  modifiedAfter?: Date | null;
}

interface OpportunityArgs extends ModifiedArgs {
  status?: OpportunityStatus | null;
}

/** An Employee as the gateway sends it: its key and the required email. */
interface EmployeeReference {
  id: string;
  workEmail?: string | null;
}

/**
 * Keyed lookups shared by all resolvers of one request. Batch functions are
 * async so that `ctx.connector()` throwing NOT_LINKED rejects the loads with
 * that error: DataLoader turns a synchronous throw into a TypeError.
 */
const loaders = {
  accounts: (ctx: Context) =>
    ctx.loader<string, CrmAccount | null>('crm.accountsById', async (ids) =>
      ctx.connector().getAccountsByIds(ids),
    ),
  contacts: (ctx: Context) =>
    ctx.loader<string, CrmContact | null>('crm.contactsById', async (ids) =>
      ctx.connector().getContactsByIds(ids),
    ),
  leads: (ctx: Context) =>
    ctx.loader<string, Lead | null>('crm.leadsById', async (ids) =>
      ctx.connector().getLeadsByIds(ids),
    ),
  opportunities: (ctx: Context) =>
    ctx.loader<string, Opportunity | null>(
      'crm.opportunitiesById',
      async (ids) => ctx.connector().getOpportunitiesByIds(ids),
    ),
  users: (ctx: Context) =>
    ctx.loader<string, CrmUser | null>('crm.usersById', async (ids) =>
      ctx.connector().getUsersByIds(ids),
    ),
  /** Keys are lower-cased emails. */
  usersByEmail: (ctx: Context) =>
    ctx.loader<string, CrmUser | null>('crm.usersByEmail', async (emails) =>
      ctx.connector().getUsersByEmails(emails),
    ),
  notes: (ctx: Context) =>
    ctx.loader<string, CrmNote | null>('crm.notesById', async (ids) =>
      ctx.connector().getNotesByIds(ids),
    ),
};

function load<T>(
  loader: (ctx: Context) => { load(key: string): Promise<T | null> },
  ctx: Context,
  remoteId: string | null,
): Promise<T | null> | null {
  return remoteId === null ? null : loader(ctx).load(remoteId);
}

/**
 * The loader of one page (`cursor`, `limit`) of a nested connection, keyed
 * by parent remote id: every parent asking for the same page joins one
 * batch, answered by one connector call.
 */
function pageOfParent<T>(
  ctx: Context,
  name: string,
  cursor: string | null,
  limit: number,
  batch: (parentIds: readonly string[]) => Promise<Page<T>[]>,
) {
  return ctx.loader<string, Page<T>>(`${name}:${cursor ?? ''}:${limit}`, batch);
}

const emptyConnection = <T>(): Connection<T> => ({
  edges: [],
  pageInfo: { hasNextPage: false, endCursor: null },
});

/**
 * `Employee.ownedOpportunities`: the employee's work email → a CRM user (one
 * loader batch for all parents), then that user's opportunities. The pages
 * of all parents that ask for the same page (same status, cursor and size)
 * share one loader batch, which the connector answers with shared queries.
 */
async function ownedOpportunities(
  employee: EmployeeReference,
  args: OpportunityArgs,
  ctx: Context,
  info: GraphQLResolveInfo,
): Promise<Connection<Opportunity>> {
  const email = employee.workEmail?.trim().toLowerCase();
  if (!email) {
    return emptyConnection();
  }
  const user = await loaders.usersByEmail(ctx).load(email);
  if (!user) {
    return emptyConnection();
  }
  const status = args.status ?? null;
  // Parents asking for other fields must not share a batch; the fields
  // also tell the connector whether accounts (a call of their own) are read.
  const fields = connectionNodeFields(info);
  return connectionFromPages({
    first: args.first,
    after: args.after,
    fetchPage: (cursor, limit) =>
      pageOfParent(
        ctx,
        `crm.opportunityPagesOfOwners:${status ?? '*'}:${fields.join(',')}`,
        cursor,
        limit,
        async (ownerIds) =>
          ctx.connector().getOpportunityPagesOfOwners(ownerIds, {
            cursor,
            limit,
            status,
            fields,
          }),
      ).load(user.remoteId),
  });
}

export const resolvers: GraphQLResolverMap<Context> = {
  ...scalarResolvers,

  Query: {
    crmAccounts: (
      _: unknown,
      args: ModifiedArgs,
      ctx: Context,
      info: GraphQLResolveInfo,
    ) =>
      connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          ctx.connector().listAccounts({
            cursor,
            limit,
            modifiedAfter: args.modifiedAfter ?? null,
            fields: connectionNodeFields(info),
          }),
      }),
    crmAccount: (_: unknown, args: { id: string }, ctx: Context) =>
      loaders.accounts(ctx).load(fromGlobalId(args.id, 'CrmAccount')),
    crmContacts: (
      _: unknown,
      args: ModifiedArgs,
      ctx: Context,
      info: GraphQLResolveInfo,
    ) =>
      connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          ctx.connector().listContacts({
            cursor,
            limit,
            modifiedAfter: args.modifiedAfter ?? null,
            fields: connectionNodeFields(info),
          }),
      }),
    crmContact: (_: unknown, args: { id: string }, ctx: Context) =>
      loaders.contacts(ctx).load(fromGlobalId(args.id, 'CrmContact')),
    leads: (
      _: unknown,
      args: ModifiedArgs,
      ctx: Context,
      info: GraphQLResolveInfo,
    ) =>
      connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          ctx.connector().listLeads({
            cursor,
            limit,
            modifiedAfter: args.modifiedAfter ?? null,
            fields: connectionNodeFields(info),
          }),
      }),
    opportunities: (
      _: unknown,
      args: OpportunityArgs,
      ctx: Context,
      info: GraphQLResolveInfo,
    ) =>
      connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          ctx.connector().listOpportunities({
            cursor,
            limit,
            status: args.status ?? null,
            modifiedAfter: args.modifiedAfter ?? null,
            fields: connectionNodeFields(info),
          }),
      }),
    opportunity: (_: unknown, args: { id: string }, ctx: Context) =>
      loaders.opportunities(ctx).load(fromGlobalId(args.id, 'Opportunity')),
    crmUsers: (_: unknown, args: PageArgs, ctx: Context) =>
      connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          ctx.connector().listUsers({ cursor, limit }),
      }),
    crmNotes: (
      _: unknown,
      args: ModifiedArgs,
      ctx: Context,
      info: GraphQLResolveInfo,
    ) =>
      connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          ctx.connector().listNotes({
            cursor,
            limit,
            modifiedAfter: args.modifiedAfter ?? null,
            fields: connectionNodeFields(info),
          }),
      }),
  },

  CrmAccount: {
    __resolveReference: (ref: { id: string }, ctx: Context) =>
      loaders.accounts(ctx).load(fromGlobalId(ref.id, 'CrmAccount')),
    id: (account: CrmAccount) => toGlobalId('CrmAccount', account.remoteId),
    owner: (account: CrmAccount, _: unknown, ctx: Context) =>
      load(loaders.users, ctx, account.ownerRemoteId),
    contacts: (account: CrmAccount, args: PageArgs, ctx: Context) =>
      connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          pageOfParent(
            ctx,
            'crm.contactPagesOfAccounts',
            cursor,
            limit,
            async (ids) =>
              ctx.connector().getContactPagesOfAccounts(ids, { cursor, limit }),
          ).load(account.remoteId),
      }),
    opportunities: (account: CrmAccount, args: PageArgs, ctx: Context) =>
      connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          pageOfParent(
            ctx,
            'crm.opportunityPagesOfAccounts',
            cursor,
            limit,
            async (ids) =>
              ctx
                .connector()
                .getOpportunityPagesOfAccounts(ids, { cursor, limit }),
          ).load(account.remoteId),
      }),
  },

  CrmContact: {
    __resolveReference: (ref: { id: string }, ctx: Context) =>
      loaders.contacts(ctx).load(fromGlobalId(ref.id, 'CrmContact')),
    id: (contact: CrmContact) => toGlobalId('CrmContact', contact.remoteId),
    account: (contact: CrmContact, _: unknown, ctx: Context) =>
      load(loaders.accounts, ctx, contact.accountRemoteId),
    owner: (contact: CrmContact, _: unknown, ctx: Context) =>
      load(loaders.users, ctx, contact.ownerRemoteId),
  },

  Lead: {
    __resolveReference: (ref: { id: string }, ctx: Context) =>
      loaders.leads(ctx).load(fromGlobalId(ref.id, 'Lead')),
    id: (lead: Lead) => toGlobalId('Lead', lead.remoteId),
    owner: (lead: Lead, _: unknown, ctx: Context) =>
      load(loaders.users, ctx, lead.ownerRemoteId),
  },

  Opportunity: {
    __resolveReference: (ref: { id: string }, ctx: Context) =>
      loaders.opportunities(ctx).load(fromGlobalId(ref.id, 'Opportunity')),
    id: (opportunity: Opportunity) =>
      toGlobalId('Opportunity', opportunity.remoteId),
    owner: (opportunity: Opportunity, _: unknown, ctx: Context) =>
      load(loaders.users, ctx, opportunity.ownerRemoteId),
    account: (opportunity: Opportunity, _: unknown, ctx: Context) =>
      load(loaders.accounts, ctx, opportunity.accountRemoteId),
  },

  CrmUser: {
    __resolveReference: (ref: { id: string }, ctx: Context) =>
      loaders.users(ctx).load(fromGlobalId(ref.id, 'CrmUser')),
    id: (user: CrmUser) => toGlobalId('CrmUser', user.remoteId),
  },

  CrmNote: {
    __resolveReference: (ref: { id: string }, ctx: Context) =>
      loaders.notes(ctx).load(fromGlobalId(ref.id, 'CrmNote')),
    id: (note: CrmNote) => toGlobalId('CrmNote', note.remoteId),
    owner: (note: CrmNote, _: unknown, ctx: Context) =>
      load(loaders.users, ctx, note.ownerRemoteId),
    account: (note: CrmNote, _: unknown, ctx: Context) =>
      load(loaders.accounts, ctx, note.accountRemoteId),
    contact: (note: CrmNote, _: unknown, ctx: Context) =>
      load(loaders.contacts, ctx, note.contactRemoteId),
    opportunity: (note: CrmNote, _: unknown, ctx: Context) =>
      load(loaders.opportunities, ctx, note.opportunityRemoteId),
  },

  Employee: {
    // The HRIS subgraph owns employees; this one only adds a join field.
    __resolveReference: (ref: EmployeeReference) => ref,
    ownedOpportunities,
  },
};
