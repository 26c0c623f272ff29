import { connectionFromPages } from '../../lib/pagination';
import type { Connection } from '../../lib/pagination';
import { fromGlobalId, toGlobalId } from '../../lib/ids';
import { scalarResolvers } from '../../lib/scalars';
import type { GraphQLResolverMap, SubgraphContext } from '../../lib/subgraph';
import type { EmployeeFilters, HrisConnector } from './connector';
import type {
  Company,
  Employee,
  EmploymentStatus,
  Employment,
  Location,
  Team,
} from './models';

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

/**
 * Per-request loaders: every lookup by id or email goes through one, so N
 * parents cost one batched connector call (which chunks to the provider's
 * limits). Batch functions return one value per key, in key order.
 */
const loaders = {
  employeesById: (ctx: Context) =>
    ctx.loader<string, Employee | null>('employeesById', (ids) =>
      ctx.connector().fetchEmployeesByIds(ids),
    ),
  employeesByWorkEmail: (ctx: Context) =>
    ctx.loader<string, Employee | null>(
      'employeesByWorkEmail',
      (emails) => ctx.connector().fetchEmployeesByWorkEmails(emails),
      { cacheKeyFn: (email) => email.trim().toLowerCase() },
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

async function employeeOf(
  user: JoinedUser,
  ctx: Context,
): Promise<Employee | null> {
  const email = user.email?.trim();
  return email ? loaders.employeesByWorkEmail(ctx).load(email) : null;
}

export const resolvers: GraphQLResolverMap<Context> = {
  ...scalarResolvers,

  Query: {
    async employees(
      _root: unknown,
      args: EmployeesArgs,
      ctx: Context,
    ): Promise<Connection<Employee>> {
      const connector = ctx.connector();
      const filters: EmployeeFilters = {
        employmentStatus: args.employmentStatus ?? null,
        workEmail: args.workEmail ?? null,
        modifiedAfter: args.modifiedAfter ?? null,
      };
      const filter = postFilter(connector, filters);
      const connection = await connectionFromPages({
        first: args.first,
        after: args.after,
        fetchPage: (cursor, limit) =>
          connector.listEmployees({ cursor, limit, ...filters }),
        ...(filter ? { filter } : {}),
      });

      // Managers listed on this page need no second fetch.
      const byId = loaders.employeesById(ctx);
      for (const edge of connection.edges) {
        byId.prime(edge.node.remoteId, edge.node);
      }
      return connection;
    },

    employee(_root: unknown, args: { id: string }, ctx: Context) {
      return loaders.employeesById(ctx).load(fromGlobalId(args.id, 'Employee'));
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
    __resolveReference(reference: { id?: unknown }, ctx: Context) {
      return loaders.employeesById(ctx).load(remoteIdOf(reference, 'Employee'));
    },
    id: (employee: Employee) => toGlobalId('Employee', employee.remoteId),
    manager(employee: Employee, _args: unknown, ctx: Context) {
      return employee.managerRemoteId
        ? loaders.employeesById(ctx).load(employee.managerRemoteId)
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
    employee(employment: Employment, _args: unknown, ctx: Context) {
      return loaders.employeesById(ctx).load(employment.employeeRemoteId);
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
  TicketingUser: {
    __resolveReference: (reference: JoinedUser) => reference,
    employee: (user: JoinedUser, _args: unknown, ctx: Context) =>
      employeeOf(user, ctx),
  },

  CrmUser: {
    __resolveReference: (reference: JoinedUser) => reference,
    employee: (user: JoinedUser, _args: unknown, ctx: Context) =>
      employeeOf(user, ctx),
  },
};
