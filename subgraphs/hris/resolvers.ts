/**
 * Resolvers of schema/hris.graphql. Ids are global ids over remote ids;
 * lists are Relay connections over the connector's native pages; every
 * lookup by id or email goes through a per-request loader, so N parents
 * cost one batched connector call (which chunks to the provider's limits).
 *
 * Employees are fetched with the fields the query selects and may read
 * (`employeeFields`): loaders key on them, a batch asks for the union of
 * its keys' fields, and a listed employee answers a later lookup only when
 * it was fetched with every field that lookup selects.
 */
import type { GraphQLResolveInfo } from 'graphql';

import { grantedFields } from '../../lib/authorization';
import { connectionFromPages } from '../../lib/pagination';
import type { Connection } from '../../lib/pagination';
import { fromGlobalId, toGlobalId } from '../../lib/ids';
import { scalarResolvers } from '../../lib/scalars';
import {
  coversFields,
  selectedFields,
  selectedNodeFields,
  selectionCacheKey,
  unionOfFields,
} from '../../lib/selection';
import type { FieldSelection } from '../../lib/selection';
import type { GraphQLResolverMap, SubgraphContext } from '../../lib/subgraph';
import type {
  EmployeeFilters,
  EmployeeSelection,
  HrisConnector,
} from './connector';
import type {
  Company,
  Employee,
  EmploymentStatus,
  Employment,
  Location,
  Team,
} from './models';
import { hrisPermissions } from './permissions';

type Context = SubgraphContext<HrisConnector>;

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

interface EmployeesArgs extends PageArgs {
  employmentStatus?: EmploymentStatus | null;
  workEmail?: string | null;
  /** Parsed by the DateTime scalar. */
  modifiedAfter?: Date | null;
}

/** A user of another category, as the gateway hands it over for a join. */
interface JoinedUser {
  id: string;
  email?: string | null;
}

/** An employee by one value: a remote id, or a lower-cased work email. */
interface EmployeeKey extends FieldSelection {
  value: string;
}

/**
 * A loader of employees by one value whose batch asks the connector, with
 * `fetch`, for the fields its keys select together.
 */
function employeeLoader(
  ctx: Context,
  name: string,
  fetch: (
    values: string[],
    selection: EmployeeSelection,
  ) => Promise<(Employee | null)[]>,
) {
  return ctx.loader<EmployeeKey, Employee | null, string>(
    name,
    (keys) =>
      fetch(
        keys.map((key) => key.value),
        { fields: unionOfFields(keys) },
      ),
    { cacheKeyFn: selectionCacheKey },
  );
}

/**
 * Per-request loaders: every lookup by id or email goes through one, so N
 * parents cost one batched connector call (which chunks to the provider's
 * limits). Batch functions return one value per key, in key order. The
 * employee loaders ask for the fields their batch selects together.
 */
const loaders = {
  employeesById: (ctx: Context) =>
    employeeLoader(ctx, 'employeesById', (ids, selection) =>
      ctx.connector().fetchEmployeesByIds(ids, selection),
    ),
  employeesByWorkEmail: (ctx: Context) =>
    employeeLoader(ctx, 'employeesByWorkEmail', (emails, selection) =>
      ctx.connector().fetchEmployeesByWorkEmails(emails, selection),
    ),
  employeeModifiedAt: (ctx: Context) =>
    ctx.loader<string, string | null>('employeeModifiedAt', (ids) =>
      ctx.connector().fetchEmployeeModifiedAt(ids),
    ),
  employmentsByEmployee: (ctx: Context) =>
    ctx.loader<string, Employment[]>('employmentsByEmployee', (ids) =>
      ctx.connector().fetchEmploymentsByEmployeeIds(ids),
    ),
  employmentsById: (ctx: Context) =>
    ctx.loader<string, Employment | null>('employmentsById', (ids) =>
      ctx.connector().fetchEmploymentsByIds(ids),
    ),
  teamsById: (ctx: Context) =>
    ctx.loader<string, Team | null>('teamsById', (ids) =>
      ctx.connector().fetchTeamsByIds(ids),
    ),
  parentTeamIds: (ctx: Context) =>
    ctx.loader<string, string | null>('parentTeamIds', (ids) =>
      ctx.connector().fetchParentTeamIds(ids),
    ),
  locationsById: (ctx: Context) =>
    ctx.loader<string, Location | null>('locationsById', (ids) =>
      ctx.connector().fetchLocationsByIds(ids),
    ),
  company: (ctx: Context) =>
    ctx.loader<string, Company | null>('company', async (ids) => {
      const company = await ctx.connector().fetchCompany();
      return ids.map((id) => (id === company?.remoteId ? company : null));
    }),
};

/**
 * The `Employee` fields among those a query selects that this request's
 * API key may read: a field the key lacks the scope of is denied whatever
 * the connector returns, so it is not fetched either (personal data stays
 * at the provider).
 */
function employeeFields(ctx: Context, selected: Set<string>): Set<string> {
  return grantedFields(hrisPermissions, ctx.identity, 'Employee', selected);
}

/** Employees a listing returned this request, with the fields fetched. */
const listedEmployees = new WeakMap<
  Context,
  Map<string, { employee: Employee; fields: ReadonlySet<string> | undefined }>
>();

/**
 * An employee by remote id with at least `fields`: a listed employee when
 * it was fetched with all of them (a page's managers cost nothing), else
 * through the loader.
 */
function employeeById(
  ctx: Context,
  remoteId: string,
  fields: ReadonlySet<string>,
): Promise<Employee | null> {
  const listed = listedEmployees.get(ctx)?.get(remoteId);
  return listed && coversFields(listed.fields, fields)
    ? Promise.resolve(listed.employee)
    : loaders.employeesById(ctx).load({ value: remoteId, fields });
}

/** Filters the connector did not push down, applied after fetching. */
function postFilter(
  connector: HrisConnector,
  filters: EmployeeFilters,
): ((employee: Employee) => boolean) | undefined {
  const { pushdown } = connector.capabilities;
  const checks: Array<(employee: Employee) => boolean> = [];
  if (filters.employmentStatus && !pushdown.employmentStatus) {
    const status = filters.employmentStatus;
    checks.push((employee) => employee.employmentStatus === status);
  }
  if (filters.workEmail && !pushdown.workEmail) {
    const email = filters.workEmail.trim().toLowerCase();
    checks.push(
      (employee) => employee.workEmail?.trim().toLowerCase() === email,
    );
  }
  if (filters.modifiedAfter && !pushdown.modifiedAfter) {
    const since = filters.modifiedAfter.getTime();
    checks.push(
      (employee) =>
        employee.modifiedAt !== null &&
        Date.parse(employee.modifiedAt) >= since,
    );
  }
  return checks.length === 0
    ? undefined
    : (employee) => checks.every((check) => check(employee));
}

/** The remote id in a reference's id; BAD_USER_INPUT if malformed. */
function remoteIdOf(reference: { id?: unknown }, typename: string): string {
  return fromGlobalId(String(reference.id ?? ''), typename);
}

/**
 * A ticketing or CRM user as this subgraph resolves it: the reference the
 * gateway sent, and the employee with its work email, with the fields the
 * query selects.
 */
const joinedUserResolvers = {
  __resolveReference: (reference: JoinedUser) => reference,
  employee(
    user: JoinedUser,
    _args: unknown,
    ctx: Context,
    info: GraphQLResolveInfo,
  ): Promise<Employee | null> | null {
    const email = user.email?.trim().toLowerCase();
    return email
      ? loaders.employeesByWorkEmail(ctx).load({
          value: email,
          fields: employeeFields(ctx, selectedFields(info)),
        })
      : null;
  },
};

export const resolvers: GraphQLResolverMap<Context> = {
  ...scalarResolvers,

  Query: {
    async employees(
      _root: unknown,
      args: EmployeesArgs,
      ctx: Context,
      info: GraphQLResolveInfo,
    ): Promise<Connection<Employee>> {
      const connector = ctx.connector();
      const filters: EmployeeFilters = {
        employmentStatus: args.employmentStatus ?? null,
        workEmail: args.workEmail ?? null,
        modifiedAfter: args.modifiedAfter ?? null,
      };
      // The connector adds what the filters re-applied here read.
      const fields = employeeFields(ctx, selectedNodeFields(info));
      const filter = postFilter(connector, filters);
      const connection = await connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          connector.listEmployees({ cursor, limit, ...filters, fields }),
        ...(filter ? { filter } : {}),
      });

      // Managers listed on this page need no second fetch when they
      // select no field the page did not.
      const listed = listedEmployees.get(ctx) ?? new Map();
      listedEmployees.set(ctx, listed);
      for (const edge of connection.edges) {
        listed.set(edge.node.remoteId, { employee: edge.node, fields });
      }
      return connection;
    },

    employee(
      _root: unknown,
      args: { id: string },
      ctx: Context,
      info: GraphQLResolveInfo,
    ) {
      return employeeById(
        ctx,
        fromGlobalId(args.id, 'Employee'),
        employeeFields(ctx, selectedFields(info)),
      );
    },

    teams(_root: unknown, args: PageArgs, ctx: Context) {
      const connector = ctx.connector();
      return connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) => connector.listTeams({ cursor, limit }),
      });
    },

    locations(_root: unknown, args: PageArgs, ctx: Context) {
      const connector = ctx.connector();
      return connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          connector.listLocations({ cursor, limit }),
      });
    },

    company(_root: unknown, _args: unknown, ctx: Context) {
      return ctx.connector().fetchCompany();
    },
  },

  Employee: {
    // @apollo/subgraph calls this with (reference, context, info), though
    // its resolver map types it as a field resolver, so `info` is typed by
    // hand. It is the `_entities` field's: its selection (every entity
    // type's fields) holds at least what this employee's answer reads.
    __resolveReference(
      reference: { id?: unknown },
      ctx: Context,
      info: unknown,
    ) {
      return employeeById(
        ctx,
        remoteIdOf(reference, 'Employee'),
        employeeFields(ctx, selectedFields(info as GraphQLResolveInfo)),
      );
    },
    id: (employee: Employee) => toGlobalId('Employee', employee.remoteId),
    manager(
      employee: Employee,
      _args: unknown,
      ctx: Context,
      info: GraphQLResolveInfo,
    ) {
      return employee.managerRemoteId
        ? employeeById(
            ctx,
            employee.managerRemoteId,
            employeeFields(ctx, selectedFields(info)),
          )
        : null;
    },
    team(employee: Employee, _args: unknown, ctx: Context) {
      return employee.teamRemoteId
        ? loaders.teamsById(ctx).load(employee.teamRemoteId)
        : null;
    },
    workLocation(employee: Employee, _args: unknown, ctx: Context) {
      return employee.workLocationRemoteId
        ? loaders.locationsById(ctx).load(employee.workLocationRemoteId)
        : null;
    },
    company(employee: Employee, _args: unknown, ctx: Context) {
      return employee.companyRemoteId
        ? loaders.company(ctx).load(employee.companyRemoteId)
        : null;
    },
    employments(employee: Employee, _args: unknown, ctx: Context) {
      return loaders.employmentsByEmployee(ctx).load(employee.remoteId);
    },
    modifiedAt(employee: Employee, _args: unknown, ctx: Context) {
      return (
        employee.modifiedAt ??
        loaders.employeeModifiedAt(ctx).load(employee.remoteId)
      );
    },
  },

  Employment: {
    __resolveReference(reference: { id?: unknown }, ctx: Context) {
      return loaders
        .employmentsById(ctx)
        .load(remoteIdOf(reference, 'Employment'));
    },
    id: (employment: Employment) =>
      toGlobalId('Employment', employment.remoteId),
    employee(
      employment: Employment,
      _args: unknown,
      ctx: Context,
      info: GraphQLResolveInfo,
    ) {
      return employeeById(
        ctx,
        employment.employeeRemoteId,
        employeeFields(ctx, selectedFields(info)),
      );
    },
  },

  Team: {
    __resolveReference(reference: { id?: unknown }, ctx: Context) {
      return loaders.teamsById(ctx).load(remoteIdOf(reference, 'Team'));
    },
    id: (team: Team) => toGlobalId('Team', team.remoteId),
    async parentTeam(team: Team, _args: unknown, ctx: Context) {
      const parentId = await loaders.parentTeamIds(ctx).load(team.remoteId);
      return parentId ? loaders.teamsById(ctx).load(parentId) : null;
    },
  },

  Location: {
    __resolveReference(reference: { id?: unknown }, ctx: Context) {
      return loaders.locationsById(ctx).load(remoteIdOf(reference, 'Location'));
    },
    id: (location: Location) => toGlobalId('Location', location.remoteId),
  },

  Company: {
    __resolveReference(reference: { id?: unknown }, ctx: Context) {
      return loaders.company(ctx).load(remoteIdOf(reference, 'Company'));
    },
    id: (company: Company) => toGlobalId('Company', company.remoteId),
  },

  // Cross-category joins: the gateway sends each user's email (`@requires`),
  // and all emails of a request resolve in one loader batch.
  TicketingUser: joinedUserResolvers,
  CrmUser: joinedUserResolvers,
};
