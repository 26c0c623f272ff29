import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../lib/categories';
import { IDENTITY_HEADER, signIdentity } from '../lib/identity';
import { SANDBOX_TENANTS } from '../lib/sandbox';
import { ACME_SEED, generateOrganization } from '../sandbox/seed';
import {
  graphql,
  startTestSystem,
  type GraphQLResponse,
} from './support/system';

const acme = generateOrganization(ACME_SEED);

let system: Awaited<ReturnType<typeof startTestSystem>>;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

/** Scopes of a sandbox key, as `lib/sandbox.ts` declares them. */
function scopesOf(secret: string): readonly Scope[] {
  for (const tenant of SANDBOX_TENANTS) {
    const key = tenant.keys.find((candidate) => candidate.secret === secret);
    if (key) return key.scopes;
  }
  throw new Error(`no sandbox key ${secret}`);
}

/** Every value at `path` (`*` walks a list) inside `data`. */
function valuesAt(data: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [data];
  const [head, ...rest] = path;
  if (data === null || data === undefined) return [data];
  if (head === '*') {
    return (data as unknown[]).flatMap((item) => valuesAt(item, rest));
  }
  return valuesAt((data as Record<string, unknown>)[head!], rest);
}

interface MatrixCase {
  field: string;
  query: string;
  /** Where the checked field's values are; `*` walks a list. */
  path: string[];
  /** Every scope the field needs, along its whole path. */
  needs: Scope[];
}

const CASES: MatrixCase[] = [
  {
    field: 'Employee.firstName',
    query: '{ employees(first: 5) { edges { node { firstName } } } }',
    path: ['employees', 'edges', '*', 'node', 'firstName'],
    needs: ['hris:read'],
  },
  {
    field: 'Employee.dateOfBirth',
    query:
      '{ employees(first: 5) { edges { node { firstName dateOfBirth } } } }',
    path: ['employees', 'edges', '*', 'node', 'dateOfBirth'],
    needs: ['hris:read', 'hris.pii:read'],
  },
  {
    field: 'Employee.personalEmail',
    query:
      '{ employees(first: 5) { edges { node { firstName personalEmail } } } }',
    path: ['employees', 'edges', '*', 'node', 'personalEmail'],
    needs: ['hris:read', 'hris.pii:read'],
  },
  {
    field: 'Employee.gender and maritalStatus',
    query:
      '{ employees(first: 5) { edges { node { firstName gender genderRaw maritalStatus } } } }',
    path: ['employees', 'edges', '*', 'node', 'maritalStatus'],
    needs: ['hris:read', 'hris.pii:read'],
  },
  {
    field: 'Employee.remoteData',
    query:
      '{ employees(first: 2) { edges { node { firstName remoteData } } } }',
    path: ['employees', 'edges', '*', 'node', 'remoteData'],
    needs: ['hris:read', 'hris.pii:read'],
  },
  {
    field: 'Employment.payRate',
    query:
      '{ employees(first: 3) { edges { node { employments { jobTitle payRate payCurrency payPeriod } } } } }',
    path: ['employees', 'edges', '*', 'node', 'employments', '*', 'payRate'],
    needs: ['hris:read', 'hris.compensation:read'],
  },
  {
    field: 'Ticket.name',
    query: '{ tickets(first: 5) { edges { node { name } } } }',
    path: ['tickets', 'edges', '*', 'node', 'name'],
    needs: ['ticketing:read'],
  },
  {
    field: 'Opportunity.name',
    query: '{ opportunities(first: 5) { edges { node { name } } } }',
    path: ['opportunities', 'edges', '*', 'node', 'name'],
    needs: ['crm:read'],
  },
  {
    field: 'Employee.assignedTickets (ticketing, through _entities)',
    query:
      '{ employees(first: 5) { edges { node { firstName assignedTickets(first: 2) { edges { node { id } } } } } } }',
    path: ['employees', 'edges', '*', 'node', 'assignedTickets'],
    needs: ['hris:read', 'ticketing:read'],
  },
  {
    field: 'Employee.dateOfBirth through Ticket.assignees (_entities)',
    query:
      '{ tickets(first: 10) { edges { node { name assignees { email employee { firstName dateOfBirth } } } } } }',
    path: [
      'tickets',
      'edges',
      '*',
      'node',
      'assignees',
      '*',
      'employee',
      'dateOfBirth',
    ],
    needs: ['ticketing:read', 'hris:read', 'hris.pii:read'],
  },
];

const KEYS = [
  'sk_sandbox_demo',
  'sk_sandbox_pii',
  'sk_sandbox_hris_only',
  'sk_sandbox_admin',
];

describe('the scope × field matrix through the gateway (acct_acme)', () => {
  for (const apiKey of KEYS) {
    for (const matrixCase of CASES) {
      const granted = matrixCase.needs.every((scope) =>
        scopesOf(apiKey).includes(scope),
      );
      it(`${apiKey} ${granted ? 'reads' : 'is refused'} ${matrixCase.field}`, async () => {
        const response = await graphql(system.gatewayUrl, matrixCase.query, {
          apiKey,
          accountToken: 'acct_acme',
        });
        expect(response.status).toBe(200);
        const values = valuesAt(response.data, matrixCase.path);
        const forbidden = (response.errors ?? []).filter(
          (error) => error.extensions?.code === 'FORBIDDEN',
        );
        if (granted) {
          expect(response.errors).toBeUndefined();
          expect(values.some((value) => value !== null)).toBe(true);
        } else {
          expect(
            values.every((value) => value === null || value === undefined),
          ).toBe(true);
          expect(forbidden.length).toBeGreaterThan(0);
          for (const error of forbidden) {
            expect(error.path, error.message).toBeDefined();
          }
        }
      });
    }
  }
});

describe('the issue’s acceptance checks', () => {
  type Employees = GraphQLResponse<{
    employees: {
      edges: Array<{
        node: { firstName: string; dateOfBirth: string | null };
      }>;
    };
  }>;
  const EMPLOYEES =
    '{ employees(first: 5) { edges { node { firstName dateOfBirth } } } }';

  it('answers employees { dateOfBirth } with null and FORBIDDEN per field for sk_sandbox_demo, and the rest in full', async () => {
    const response: Employees = await graphql(system.gatewayUrl, EMPLOYEES, {
      apiKey: 'sk_sandbox_demo',
      accountToken: 'acct_acme',
    });
    const edges = response.data!.employees.edges;
    expect(edges).toHaveLength(5);
    for (const { node } of edges) {
      expect(node.firstName).toEqual(expect.any(String));
      expect(node.dateOfBirth).toBeNull();
    }
    expect(response.errors).toHaveLength(5);
    expect(
      response.errors!.map((error) => error.path?.join('.')).sort(),
    ).toEqual(
      [0, 1, 2, 3, 4].map(
        (index) => `employees.edges.${index}.node.dateOfBirth`,
      ),
    );
    for (const error of response.errors!) {
      expect(error.extensions).toMatchObject({
        code: 'FORBIDDEN',
        category: 'hris',
      });
      expect(error.message).toMatch(/hris\.pii:read/);
      expect(error.extensions).not.toHaveProperty('stacktrace');
    }
  });

  it('answers employees { dateOfBirth } with the seeded dates for sk_sandbox_pii', async () => {
    const response: Employees = await graphql(
      system.gatewayUrl,
      `
        {
          employees(first: 5) {
            edges {
              node {
                remoteId
                dateOfBirth
                gender
                genderRaw
                maritalStatus
              }
            }
          }
        }
      `,
      { apiKey: 'sk_sandbox_pii', accountToken: 'acct_acme' },
    );
    expect(response.errors).toBeUndefined();
    for (const { node } of response.data!.employees.edges) {
      const seeded = acme.employees.find(
        (employee) =>
          employee.id === (node as unknown as { remoteId: string }).remoteId,
      );
      expect(node).toMatchObject({
        dateOfBirth: seeded!.dateOfBirth,
        gender:
          seeded!.gender === 'Nonbinary'
            ? 'NON_BINARY'
            : seeded!.gender.toUpperCase(),
        genderRaw: seeded!.gender,
        maritalStatus: seeded!.maritalStatus,
      });
    }
  });

  it('checks dateOfBirth reached through tickets { assignees { employee } } the same way', async () => {
    const query =
      '{ tickets(first: 10) { edges { node { assignees { email employee { workEmail dateOfBirth } } } } } }';
    type Tickets = GraphQLResponse<{
      tickets: {
        edges: Array<{
          node: {
            assignees: Array<{
              email: string;
              employee: { workEmail: string; dateOfBirth: string | null };
            }>;
          };
        }>;
      };
    }>;
    const demo: Tickets = await graphql(system.gatewayUrl, query, {
      apiKey: 'sk_sandbox_demo',
      accountToken: 'acct_acme',
    });
    const demoAssignees = demo.data!.tickets.edges.flatMap(
      (edge) => edge.node.assignees,
    );
    expect(demoAssignees.length).toBeGreaterThan(0);
    for (const assignee of demoAssignees) {
      expect(assignee.employee.workEmail).toBe(assignee.email);
      expect(assignee.employee.dateOfBirth).toBeNull();
    }
    expect(demo.errors!.length).toBe(demoAssignees.length);
    for (const error of demo.errors!) {
      expect(error.extensions?.code).toBe('FORBIDDEN');
      expect(error.path?.join('.')).toMatch(
        /^tickets\.edges\.\d+\.node\.assignees\.\d+\.employee\.dateOfBirth$/,
      );
    }

    const pii: Tickets = await graphql(system.gatewayUrl, query, {
      apiKey: 'sk_sandbox_pii',
      accountToken: 'acct_acme',
    });
    expect(pii.errors).toBeUndefined();
    for (const assignee of pii.data!.tickets.edges.flatMap(
      (edge) => edge.node.assignees,
    )) {
      const seeded = acme.employees.find(
        (employee) => employee.workEmail === assignee.email,
      );
      expect(assignee.employee.dateOfBirth).toBe(seeded!.dateOfBirth);
    }
  });

  it('gives sk_sandbox_hris_only employees but FORBIDDEN on tickets', async () => {
    const response = await graphql<{
      employees: { edges: unknown[] } | null;
      tickets: unknown;
    }>(
      system.gatewayUrl,
      '{ employees(first: 3) { edges { node { firstName } } } tickets(first: 3) { edges { node { name } } } }',
      { apiKey: 'sk_sandbox_hris_only', accountToken: 'acct_acme' },
    );
    expect(response.data!.employees!.edges).toHaveLength(3);
    expect(response.data!.tickets).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({
      path: ['tickets'],
      extensions: { code: 'FORBIDDEN', category: 'ticketing' },
    });
  });

  it('answers 401 to sk_sandbox_other with acct_acme', async () => {
    const response = await graphql(system.gatewayUrl, EMPLOYEES, {
      apiKey: 'sk_sandbox_other',
      accountToken: 'acct_acme',
    });
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('a subgraph called with a valid identity', () => {
  async function post(query: string, scopes: Scope[]) {
    const identity = await signIdentity(
      {
        tenantId: 'tenant_sandbox',
        apiKeyId: 'k',
        scopes,
        organizationId: 'org_sandbox_acme',
        linkedAccounts: [],
        requestId: 'r',
      },
      { secret: system.config.identitySecret, ttlSeconds: 60 },
    );
    const response = await fetch(system.subgraphUrls.hris, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [IDENTITY_HEADER]: identity,
      },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as GraphQLResponse;
  }

  it('serves _service { sdl } whatever the scopes: the schema is public, the data is not', async () => {
    const response = await post('{ _service { sdl } }', []);
    expect(response.errors).toBeUndefined();
    expect(JSON.stringify(response.data)).toMatch(/type Employee/);
  });

  it('still checks every field against the identity’s scopes', async () => {
    const response = await post(
      '{ employees(first: 1) { edges { node { id } } } }',
      ['crm:read'],
    );
    expect(response.data).toEqual({ employees: null });
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
