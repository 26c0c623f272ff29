import { createRequire } from 'node:module';
import { buildSubgraphSchema } from '@apollo/subgraph';
import DataLoader from 'dataloader';
import type * as GraphQLModule from 'graphql';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, ProviderError } from '../lib/errors';
import { connectionFromPages } from '../lib/pagination';
import type { Connection } from '../lib/pagination';
import type { LinkedAccount } from '../lib/store/store';
import type { GraphQLResolverMap, SubgraphContext } from '../lib/subgraph';
import { createBamboohrSandbox } from '../sandbox/providers/bamboohr';
import { ACME_SEED, OTHER_SEED, generateOrganization } from '../sandbox/seed';
import { RequestRecorder, sandboxCredentials } from '../sandbox/types';
import type { HrisConnector } from '../subgraphs/hris/connector';
import type { Employee } from '../subgraphs/hris/models';
import { BamboohrConnector } from '../subgraphs/hris/providers/bamboohr/connector';
import { hrisSubgraph } from '../subgraphs/hris/subgraph';
import {
  rejection,
  sandboxAccount,
  sandboxDeps,
  serveSandboxes,
  silentLogger as logger,
  useSandboxServer,
} from './support/connectors';

// @apollo/subgraph builds its schema with the CommonJS build of graphql;
// executing that schema needs the same build.
const { graphql } = createRequire(import.meta.url)(
  'graphql',
) as typeof GraphQLModule;

const acme = generateOrganization(ACME_SEED);
const other = generateOrganization(OTHER_SEED);
const recorder = new RequestRecorder();

const server = useSandboxServer(() => ({
  '/bamboohr': createBamboohrSandbox({
    organizations: [
      { key: 'acme', data: acme },
      { key: 'other', data: other },
    ],
    recorder,
  }),
}));

beforeEach(() => {
  recorder.clear();
});

function account(
  credentials: Record<string, string> = sandboxCredentials.bamboohr('acme'),
): LinkedAccount {
  return sandboxAccount({
    category: 'hris',
    provider: 'bamboohr',
    baseUrl: `${server.origin}/bamboohr`,
    credentials,
  });
}

function connect(credentials?: Record<string, string>): BamboohrConnector {
  const linked = account(credentials);
  return new BamboohrConnector(linked, sandboxDeps(linked));
}

/** Requests the sandbox saw, as `path?query` of interest. */
function seen(): Array<{ path: string; query: Record<string, unknown> }> {
  return recorder.of('bamboohr').map(({ path, query }) => ({
    path: path.replace('/api/gateway.php/acme/v1', ''),
    query,
  }));
}

describe('listing employees', () => {
  it('pages to the very last page and returns every seeded employee exactly once', async () => {
    const connector = connect();
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await connector.listEmployees({ cursor, limit: 50 });
      ids.push(...page.items.map((employee) => employee.remoteId));
      cursor = page.nextCursor;
    } while (cursor !== null);

    expect(ids).toEqual(acme.employees.map((employee) => employee.id));
    const calls = seen();
    const pages = Math.ceil(acme.employees.length / 50);
    expect(pages).toBeGreaterThan(1);
    expect(calls.map((call) => call.path)).toEqual(
      Array(pages).fill('/employees'),
    );
    expect(calls.map((call) => call.query['page[limit]'])).toEqual(
      Array(pages).fill('50'),
    );
    expect(calls[0]?.query['page[after]']).toBeUndefined();
    expect(calls[1]?.query['page[after]']).toEqual(expect.any(String));
  });

  it('walks every page through a Relay connection without losing or repeating anyone', async () => {
    const connector = connect();
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const connection: Connection<Employee> = await connectionFromPages({
        first: 45,
        after,
        fetchPage: (cursor, limit) =>
          connector.listEmployees({ cursor, limit }),
      });
      ids.push(...connection.edges.map((edge) => edge.node.remoteId));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(ids).toEqual(acme.employees.map((employee) => employee.id));
  });

  it('clamps a page size above BambooHR’s maximum of 2500', async () => {
    await connect().listEmployees({ cursor: null, limit: 10_000 });
    expect(seen()[0]?.query['page[limit]']).toBe('2500');
  });

  it('pushes the employment status down as filter[status]', async () => {
    const page = await connect().listEmployees({
      cursor: null,
      limit: 100,
      employmentStatus: 'INACTIVE',
    });
    const inactive = acme.employees.filter((e) => e.status === 'Inactive');
    expect(page.items.map((employee) => employee.remoteId)).toEqual(
      inactive.map((employee) => employee.id),
    );
    expect(
      page.items.every((employee) => employee.employmentStatus === 'INACTIVE'),
    ).toBe(true);
    expect(seen()[0]?.query['filter[status]']).toBe('inactive');
  });

  it('answers PENDING with nothing, without a call: BambooHR has no such status', async () => {
    const page = await connect().listEmployees({
      cursor: null,
      limit: 10,
      employmentStatus: 'PENDING',
    });
    expect(page).toEqual({ items: [], nextCursor: null });
    expect(seen()).toEqual([]);
  });

  it('pushes modifiedAfter down through the changed-employees endpoint and filter[ids]', async () => {
    const since = new Date('2026-10-15T00:00:00Z');
    const expected = acme.employees
      .filter((employee) => Date.parse(employee.modifiedAt) >= since.getTime())
      .map((employee) => employee.id);
    expect(expected.length).toBeGreaterThan(10);

    const connector = connect();
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await connector.listEmployees({
        cursor,
        limit: 10,
        modifiedAfter: since,
      });
      for (const employee of page.items) {
        ids.push(employee.remoteId);
        expect(Date.parse(employee.modifiedAt ?? '')).toBeGreaterThanOrEqual(
          since.getTime(),
        );
      }
      cursor = page.nextCursor;
    } while (cursor !== null);

    expect(ids).toEqual(expected);
    const calls = seen();
    expect(calls[0]).toEqual({
      path: '/employees/changed',
      query: { since: since.toISOString() },
    });
    expect(calls[1]?.query['filter[ids]']).toBe(
      expected.slice(0, 10).join(','),
    );
  });

  it('reads ahead at the maximum page size when the caller filters by work email', async () => {
    const target = acme.employees[120]!;
    const connection = await connectionFromPages({
      first: 10,
      after: null,
      fetchPage: (cursor, limit) =>
        connect().listEmployees({ cursor, limit, workEmail: target.workEmail }),
      filter: (employee) => employee.workEmail === target.workEmail,
    });
    expect(connection.edges.map((edge) => edge.node.remoteId)).toEqual([
      target.id,
    ]);
    expect(seen().map((call) => call.query['page[limit]'])).toEqual(['2500']);
  });
});

describe('batch reads', () => {
  it('fetches employees by id in key order, with null for unknown ids, in one call', async () => {
    const employees = await connect().fetchEmployeesByIds([
      '150',
      '999',
      '101',
      'not-an-id',
      '150',
    ]);
    expect(employees.map((employee) => employee?.remoteId ?? null)).toEqual([
      '150',
      null,
      '101',
      null,
      '150',
    ]);
    expect(employees[0]?.workEmail).toBe(acme.employees[49]?.workEmail);
    const calls = seen();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.query['filter[ids]']).toBe('150,999,101');
  });

  it('chunks large batches to 100 ids per call', async () => {
    // Every seeded id (they start at 101) and 20 unknown ones after them.
    const ids = Array.from({ length: acme.employees.length + 20 }, (_, index) =>
      String(101 + index),
    );
    const employees = await connect().fetchEmployeesByIds(ids);
    expect(employees.filter((employee) => employee !== null)).toHaveLength(
      acme.employees.length,
    );
    expect(
      seen().map((call) => String(call.query['filter[ids]']).split(',').length),
    ).toEqual([100, 100, 100]);
  });

  it('finds employees by work email case-insensitively, reading the roster once per request', async () => {
    const connector = connect();
    const [first, second] = [acme.employees[3]!, acme.employees[77]!];
    const found = await connector.fetchEmployeesByWorkEmails([
      second.workEmail.toUpperCase(),
      'nobody@acme.example',
      first.workEmail,
    ]);
    expect(found.map((employee) => employee?.remoteId ?? null)).toEqual([
      second.id,
      null,
      first.id,
    ]);
    await connector.fetchEmployeesByWorkEmails([first.workEmail]);
    const calls = seen();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.query['page[limit]']).toBe('2500');
  });

  it('reads modification instants of many employees with one changed-since-epoch call', async () => {
    const connector = connect();
    const instants = await connector.fetchEmployeeModifiedAt([
      '101',
      '102',
      '999',
    ]);
    expect(instants).toEqual([
      acme.employees[0]?.modifiedAt,
      acme.employees[1]?.modifiedAt,
      null,
    ]);
    expect(seen()).toEqual([
      {
        path: '/employees/changed',
        query: { since: '1970-01-01T00:00:00Z' },
      },
    ]);
  });
});

describe('field selection', () => {
  /** The optional fields a call named, sorted; [] when it named none. */
  function fieldsOf(call: { query: Record<string, unknown> } | undefined) {
    const fields = call?.query.fields;
    return typeof fields === 'string' ? fields.split(',').sort() : [];
  }

  it('names in fields only what the selected Employee fields map from', async () => {
    const page = await connect().listEmployees({
      cursor: null,
      limit: 5,
      fields: new Set(['firstName', 'startDate', 'team', 'manager']),
    });
    expect(fieldsOf(seen()[0])).toEqual([
      'departmentId',
      'hireDate',
      'reportsToId',
    ]);
    const seed = acme.employees[1]!;
    expect(page.items[1]).toMatchObject({
      firstName: seed.firstName,
      startDate: seed.hireDate,
      teamRemoteId: expect.stringMatching(/^department:\d+$/),
      // Not selected: BambooHR was not asked, the sandbox did not send it.
      workEmail: null,
      dateOfBirth: null,
    });
    expect(page.items[1]?.remoteData).not.toHaveProperty('birthDate');
  });

  it('sends no fields at all when what List Employees always returns is enough', async () => {
    const page = await connect().listEmployees({
      cursor: null,
      limit: 3,
      fields: new Set(['id', 'displayName', 'jobTitle', 'employmentStatus']),
    });
    expect(seen()[0]?.query).not.toHaveProperty('fields');
    expect(Object.keys(page.items[0]?.remoteData as object).sort()).toEqual([
      'employeeId',
      'firstName',
      'jobTitleName',
      'lastName',
      'photoUrl',
      'preferredName',
      'status',
    ]);
    expect(page.items[0]).toMatchObject({
      displayName: expect.any(String),
      jobTitle: acme.employees[0]!.jobTitle,
      employmentStatus: 'ACTIVE',
    });
  });

  it('asks for every field when the selection is unknown or reads remoteData', async () => {
    const connector = connect();
    await connector.listEmployees({ cursor: null, limit: 1 });
    await connector.listEmployees({
      cursor: null,
      limit: 1,
      fields: new Set(['remoteData']),
    });
    const all = [
      'birthDate',
      'departmentId',
      'divisionId',
      'employeeNumber',
      'gender',
      'hireDate',
      'homeEmail',
      'locationId',
      'maritalStatus',
      'mobilePhone',
      'reportsToId',
      'terminationDate',
      'workEmail',
    ];
    expect(seen().map(fieldsOf)).toEqual([all, all]);
  });

  it('adds the work email a work email filter is checked against', async () => {
    const target = acme.employees[30]!;
    const page = await connect().listEmployees({
      cursor: null,
      limit: 10,
      workEmail: target.workEmail,
      fields: new Set(['firstName']),
    });
    expect(fieldsOf(seen()[0])).toEqual(['workEmail']);
    expect(
      page.items.find((employee) => employee.workEmail === target.workEmail)
        ?.remoteId,
    ).toBe(target.id);
  });

  it('reads employees by id with the selected fields only', async () => {
    const [employee] = await connect().fetchEmployeesByIds(['105'], {
      fields: new Set(['dateOfBirth', 'gender']),
    });
    expect(fieldsOf(seen()[0])).toEqual(['birthDate', 'gender']);
    expect(employee).toMatchObject({
      dateOfBirth: acme.employees[4]!.dateOfBirth,
      workEmail: null,
    });
  });

  it('matches emails on a roster with the selected fields and the work email, once per field set', async () => {
    const connector = connect();
    const seed = acme.employees[8]!;
    const [named] = await connector.fetchEmployeesByWorkEmails(
      [seed.workEmail],
      { fields: new Set(['firstName']) },
    );
    const [dated] = await connector.fetchEmployeesByWorkEmails(
      [seed.workEmail],
      { fields: new Set(['startDate']) },
    );
    // Narrower than the second roster: served by it, no third read.
    await connector.fetchEmployeesByWorkEmails([seed.workEmail], {
      fields: new Set(['id']),
    });
    expect(named).toMatchObject({ remoteId: seed.id, startDate: null });
    expect(dated?.startDate).toBe(seed.hireDate);
    expect(seen().map(fieldsOf)).toEqual([
      ['workEmail'],
      ['hireDate', 'workEmail'],
    ]);
  });

  it('infers team parents from a roster of department and division ids alone', async () => {
    await connect().fetchParentTeamIds(['department:1']);
    expect(seen().map(fieldsOf)).toEqual([['departmentId', 'divisionId']]);
  });
});

describe('employments', () => {
  it('reads one employee’s history from its three tables, newest first', async () => {
    const veteran = acme.employees.find(
      (employee) => employee.hireDate < '2024-01-01',
    )!;
    const [employments] = await connect().fetchEmploymentsByEmployeeIds([
      veteran.id,
    ]);
    expect(employments?.length).toBe(2);
    expect(employments?.[0]).toMatchObject({
      employeeRemoteId: veteran.id,
      payRate: veteran.payRate,
      payCurrency: veteran.payCurrency,
      payPeriod: veteran.payPeriod === 'Year' ? 'YEAR' : 'HOUR',
      payPeriodRaw: veteran.payPeriod,
      employmentTypeRaw: veteran.employmentType,
      jobTitle: veteran.jobTitle,
    });
    expect(employments?.[0]?.effectiveDate).not.toBe(veteran.hireDate);
    expect(employments?.[1]?.effectiveDate).toBe(veteran.hireDate);
    expect(
      seen()
        .map((call) => call.path)
        .sort(),
    ).toEqual([
      `/employees/${veteran.id}/tables/compensation`,
      `/employees/${veteran.id}/tables/employmentStatus`,
      `/employees/${veteran.id}/tables/jobInfo`,
    ]);
  });

  it('reads many employees’ histories with three calls through the id "all"', async () => {
    const histories = await connect().fetchEmploymentsByEmployeeIds([
      '101',
      '102',
      '999',
    ]);
    expect(histories.map((history) => history.length > 0)).toEqual([
      true,
      true,
      false,
    ]);
    expect(
      seen()
        .map((call) => call.path)
        .sort(),
    ).toEqual([
      '/employees/all/tables/compensation',
      '/employees/all/tables/employmentStatus',
      '/employees/all/tables/jobInfo',
    ]);
  });
});

describe('teams, locations and the company', () => {
  it('lists departments and divisions from one list-fields call', async () => {
    const connector = connect();
    const page = await connector.listTeams({ cursor: null, limit: 100 });
    const departments = new Set(acme.employees.map((e) => e.department));
    const divisions = new Set(acme.employees.map((e) => e.division));
    expect(page.items).toHaveLength(departments.size + divisions.size);
    expect(page.nextCursor).toBeNull();
    await connector.fetchTeamsByIds(['department:18001']);
    await connector.listLocations({ cursor: null, limit: 100 });
    expect(seen().map((call) => call.path)).toEqual(['/meta/lists']);
  });

  it('infers a department’s parent as the division its employees share', async () => {
    const connector = connect();
    const teams = (await connector.listTeams({ cursor: null, limit: 100 }))
      .items;
    const engineering = teams.find((team) => team.name === 'Engineering')!;
    const product = teams.find(
      (team) =>
        team.name === 'Product' && team.remoteId.startsWith('division:'),
    )!;
    expect(
      await connector.fetchParentTeamIds([
        engineering.remoteId,
        product.remoteId,
      ]),
    ).toEqual([product.remoteId, null]);
  });

  it('reads the company from Get Company Information, keyed by the company domain', async () => {
    const company = await connect().fetchCompany();
    expect(company).toMatchObject({
      remoteId: 'acme',
      legalName: acme.legalName,
      displayName: acme.companyName,
    });
  });

  it('serves each company domain its own employees', async () => {
    const [employee] = await connect(
      sandboxCredentials.bamboohr('other'),
    ).fetchEmployeesByIds(['101']);
    expect(employee?.workEmail).toBe(other.employees[0]?.workEmail);
    expect(employee?.companyRemoteId).toBe('other');
  });
});

describe('failures', () => {
  it('turns a rejected API key into RELINK_NEEDED', async () => {
    const error = await rejection(
      connect({ companyDomain: 'acme', apiKey: 'wrong' }).listEmployees({
        cursor: null,
        limit: 10,
      }),
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe(ErrorCode.RELINK_NEEDED);
    expect((error as ProviderError).status).toBe(401);
  });

  it('refuses credentials without a company domain as RELINK_NEEDED', () => {
    expect(() => connect({ apiKey: 'x' })).toThrow(
      expect.objectContaining({ code: ErrorCode.RELINK_NEEDED }),
    );
  });

  it('answers a throttled burst with 503, Retry-After and the error header', async () => {
    // A bucket that never drains makes the burst limit exact whatever the
    // machine's load: three requests pass, the fourth is throttled.
    const throttled = await serveSandboxes({
      '/bamboohr': createBamboohrSandbox(
        { organizations: [{ key: 'other', data: other }], recorder },
        { burst: 3, perSecond: 0 },
      ),
    });
    try {
      const url = `${throttled.origin}/bamboohr/api/gateway.php/other/v1/meta/lists`;
      const headers = {
        accept: 'application/json',
        authorization: `Basic ${Buffer.from(
          `${sandboxCredentials.bamboohr('other').apiKey}:x`,
        ).toString('base64')}`,
      };
      const statuses: number[] = [];
      let last: globalThis.Response | undefined;
      for (let index = 0; index < 4; index += 1) {
        last = await fetch(url, { headers });
        statuses.push(last.status);
        await last.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200, 503]);
      expect(last?.headers.get('retry-after')).toBe('1');
      expect(last?.headers.get('x-bamboohr-error-message')).toMatch(
        /rate limit/i,
      );
    } finally {
      await throttled.close();
    }
  });
});

describe('through the subgraph schema', () => {
  const schema = buildSubgraphSchema({
    typeDefs: hrisSubgraph.typeDefs,
    resolvers: hrisSubgraph.resolvers as GraphQLResolverMap<unknown>,
  });

  /** A request context as `lib/subgraph` builds it, around one connector. */
  function context(): SubgraphContext<HrisConnector> {
    const connector = connect();
    const loaders = new Map<string, unknown>();
    return {
      requestId: 'req_test',
      identity: {
        requestId: 'req_test',
        tenantId: 'tenant_test',
        apiKeyId: 'key_test',
        scopes: ['hris:read'],
        organizationId: 'org_test',
        linkedAccounts: [],
      },
      category: 'hris',
      logger,
      connector: () => connector,
      loader<K, V, C = K>(
        name: string,
        batch: DataLoader.BatchLoadFn<K, V>,
        options?: DataLoader.Options<K, V, C>,
      ) {
        let loader = loaders.get(name) as DataLoader<K, V, C> | undefined;
        if (!loader) {
          loader = new DataLoader<K, V, C>(batch, options);
          loaders.set(name, loader);
        }
        return loader;
      },
    };
  }

  async function run(source: string, variables?: Record<string, unknown>) {
    const result = await graphql({
      schema,
      source,
      contextValue: context(),
      ...(variables ? { variableValues: variables } : {}),
    });
    expect(result.errors).toBeUndefined();
    return result.data as Record<string, unknown>;
  }

  it('resolves a page of employees with managers, teams and modification times in a handful of calls', async () => {
    const data = await run(`{
      employees(first: 40) {
        edges { node {
          id displayName modifiedAt
          manager { displayName }
          team { name parentTeam { name } }
          workLocation { name }
          company { legalName }
        } }
        pageInfo { hasNextPage }
      }
    }`);
    const employees = data.employees as {
      edges: Array<{ node: Record<string, unknown> }>;
      pageInfo: { hasNextPage: boolean };
    };
    expect(employees.edges).toHaveLength(40);
    expect(employees.pageInfo.hasNextPage).toBe(true);
    expect(employees.edges[1]?.node).toMatchObject({
      manager: { displayName: expect.any(String) },
      team: {
        name: expect.any(String),
        parentTeam: { name: expect.any(String) },
      },
      company: { legalName: acme.legalName },
    });
    // One page, one changed-since call, one list-fields call, one roster
    // scan for team parents, one company call: no per-employee calls.
    expect(
      seen()
        .map((call) => call.path)
        .sort(),
    ).toEqual([
      '/company_information',
      '/employees',
      '/employees',
      '/employees/changed',
      '/meta/lists',
    ]);
  });

  it('joins ticketing and CRM users to employees with one roster read for all emails', async () => {
    const [a, b] = [acme.employees[5]!, acme.employees[60]!];
    const data = await run(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) {
          ... on TicketingUser { employee { remoteId } }
          ... on CrmUser { employee { remoteId } }
        }
      }`,
      {
        representations: [
          { __typename: 'TicketingUser', id: 't1', email: a.workEmail },
          { __typename: 'CrmUser', id: 'c1', email: b.workEmail.toUpperCase() },
          { __typename: 'TicketingUser', id: 't2', email: 'x@nowhere.example' },
          { __typename: 'CrmUser', id: 'c2', email: null },
        ],
      },
    );
    expect(data._entities).toEqual([
      { employee: { remoteId: a.id } },
      { employee: { remoteId: b.id } },
      { employee: null },
      { employee: null },
    ]);
    expect(seen().map((call) => call.path)).toEqual(['/employees']);
  });

  it('filters by work email and modifiedAfter, and resolves employments', async () => {
    const target = acme.employees[42]!;
    const data = await run(
      `query ($email: String, $since: DateTime) {
        employees(first: 5, workEmail: $email, modifiedAfter: $since) {
          edges { node { remoteId employments { payRate payPeriod } } }
        }
      }`,
      { email: target.workEmail, since: '2000-01-01T00:00:00Z' },
    );
    expect(data.employees).toEqual({
      edges: [
        {
          node: {
            remoteId: target.id,
            employments: expect.arrayContaining([
              { payRate: target.payRate, payPeriod: expect.any(String) },
            ]),
          },
        },
      ],
    });
  });
});
