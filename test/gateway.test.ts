import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER, signIdentity } from '../lib/identity';
import { sandboxLinks } from '../lib/sandbox';
import { ACME_SEED, generateOrganization } from '../sandbox/seed';
import { SANDBOX, graphql, pageToEnd, startTestSystem } from './support/system';

const FLAGSHIP = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
);
const acme = generateOrganization(ACME_SEED);

interface FlagshipData {
  employees: {
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{
      node: {
        id: string;
        remoteId: string;
        firstName: string;
        lastName: string;
        workEmail: string;
        employmentStatus: string;
        assignedTickets: {
          edges: Array<{
            node: {
              id: string;
              name: string;
              status: string;
              priority: string;
            };
          }>;
        } | null;
        ownedOpportunities: {
          edges: Array<{
            node: { id: string; name: string; amount: number; status: string };
          }>;
        } | null;
      };
    }>;
  };
}

let system: Awaited<ReturnType<typeof startTestSystem>>;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

describe('the flagship query through the gateway', () => {
  it('returns 5 employees with their tickets and opportunities from the seeded data', async () => {
    const response = await graphql<FlagshipData>(
      system.gatewayUrl,
      FLAGSHIP,
      SANDBOX,
    );
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    const { edges, pageInfo } = response.data!.employees;
    expect(edges).toHaveLength(5);
    expect(pageInfo.hasNextPage).toBe(true);

    for (const { node } of edges) {
      const seeded = acme.employees.find(
        (employee) => employee.id === node.remoteId,
      );
      expect(seeded, `employee ${node.remoteId} is seeded`).toBeDefined();
      expect(node).toMatchObject({
        firstName: seeded!.firstName,
        lastName: seeded!.lastName,
        workEmail: seeded!.workEmail,
        employmentStatus: seeded!.status === 'Active' ? 'ACTIVE' : 'INACTIVE',
      });
      expect(node.id).not.toBe(node.remoteId);

      const issues = acme.issues.filter(
        (issue) => issue.assigneeEmail === seeded!.workEmail,
      );
      const tickets = node.assignedTickets!.edges.map((edge) => edge.node);
      expect(tickets).toHaveLength(Math.min(3, issues.length));
      for (const ticket of tickets) {
        expect(issues.map((issue) => issue.summary)).toContain(ticket.name);
        expect(['OPEN', 'IN_PROGRESS', 'ON_HOLD', 'CLOSED']).toContain(
          ticket.status,
        );
        expect(['URGENT', 'HIGH', 'NORMAL', 'LOW']).toContain(ticket.priority);
      }

      const deals = acme.deals.filter(
        (deal) => deal.ownerEmail === seeded!.workEmail,
      );
      const opportunities = node.ownedOpportunities!.edges.map(
        (edge) => edge.node,
      );
      expect(opportunities).toHaveLength(Math.min(3, deals.length));
      for (const opportunity of opportunities) {
        // Deal names can repeat; name, amount and status together must
        // match one of this owner's seeded deals.
        const status = (stage: string) =>
          stage === 'closedwon'
            ? 'WON'
            : stage === 'closedlost'
              ? 'LOST'
              : 'OPEN';
        expect(
          deals.some(
            (deal) =>
              deal.name === opportunity.name &&
              deal.amount === opportunity.amount &&
              status(deal.stage) === opportunity.status,
          ),
          `deal ${opportunity.name} is one of the owner's seeded deals`,
        ).toBe(true);
      }
    }
    // The seeded data gives the first employees work to show.
    expect(
      edges.some(({ node }) => node.assignedTickets!.edges.length > 0),
    ).toBe(true);
    expect(
      edges.some(({ node }) => node.ownedOpportunities!.edges.length > 0),
    ).toBe(true);
  });

  it('pages employees to the end and returns every seeded employee once', async () => {
    const seen = (
      await pageToEnd<{ remoteId: string }>(system.gatewayUrl, {
        field: 'employees',
        nodeFields: 'remoteId',
        first: 37,
        maxPages: 50,
        ...SANDBOX,
      })
    ).map((node) => node.remoteId);
    expect(seen).toHaveLength(acme.employees.length);
    expect(new Set(seen)).toEqual(
      new Set(acme.employees.map((employee) => employee.id)),
    );
  });

  it('joins back from tickets and opportunities to employees by work email', async () => {
    const response = await graphql<{
      tickets: {
        edges: Array<{
          node: {
            assignees: Array<{
              email: string;
              employee: { remoteId: string; workEmail: string } | null;
            }>;
          };
        }>;
      };
      opportunities: {
        edges: Array<{
          node: {
            owner: {
              email: string;
              employee: { remoteId: string; workEmail: string } | null;
            } | null;
          };
        }>;
      };
    }>(
      system.gatewayUrl,
      `
        {
          tickets(first: 10) {
            edges {
              node {
                assignees {
                  email
                  employee {
                    remoteId
                    workEmail
                  }
                }
              }
            }
          }
          opportunities(first: 10) {
            edges {
              node {
                owner {
                  email
                  employee {
                    remoteId
                    workEmail
                  }
                }
              }
            }
          }
        }
      `,
      SANDBOX,
    );
    expect(response.errors).toBeUndefined();
    const assignees = response.data!.tickets.edges.flatMap(
      (edge) => edge.node.assignees,
    );
    expect(assignees.length).toBeGreaterThan(0);
    for (const assignee of assignees) {
      expect(assignee.employee?.workEmail).toBe(assignee.email);
    }
    const owners = response.data!.opportunities.edges.map(
      (edge) => edge.node.owner!,
    );
    for (const owner of owners) {
      expect(owner.employee?.workEmail).toBe(owner.email);
    }
  });
});

describe('authentication', () => {
  it('answers 401 UNAUTHENTICATED without an API key', async () => {
    const response = await graphql(system.gatewayUrl, FLAGSHIP, {
      accountToken: 'acct_acme',
    });
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.data).toBeUndefined();
  });

  it('answers 401 for an unknown API key or account token', async () => {
    for (const credentials of [
      { apiKey: 'sk_made_up', accountToken: 'acct_acme' },
      { apiKey: 'sk_sandbox_demo', accountToken: 'acct_made_up' },
      { apiKey: 'sk_sandbox_demo' },
    ]) {
      const response = await graphql(
        system.gatewayUrl,
        '{ __typename }',
        credentials,
      );
      expect(response.status).toBe(401);
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('answers 401 for an API key of one tenant with another tenant\u2019s account token', async () => {
    const response = await graphql(system.gatewayUrl, FLAGSHIP, {
      apiKey: 'sk_sandbox_other',
      accountToken: 'acct_acme',
    });
    expect(response.status).toBe(401);
  });

  it('refuses sandbox credentials when the sandbox is off', async () => {
    const off = await startTestSystem({ TRIBUTARY_SANDBOX: '0' });
    try {
      // With the sandbox off nothing creates the sandbox tenant; create it
      // the way a stale database would still hold it.
      const { ensureSandboxTenants } = await import('../lib/sandbox');
      const { createLogger } = await import('../lib/logger');
      await ensureSandboxTenants(off.store, {
        sandboxUrl: 'http://127.0.0.1:9',
        logger: createLogger({ name: 'test', level: 'silent' }),
      });
      const response = await graphql(off.gatewayUrl, '{ __typename }', SANDBOX);
      expect(response.status).toBe(401);
      expect(response.errors?.[0]?.message).toMatch(/sandbox/i);
    } finally {
      await off.stop();
    }
  });
});

describe('an organization without a linked account in a category', () => {
  it('answers that category\u2019s fields with null and NOT_LINKED, and the rest in full', async () => {
    const tenant = await system.store.createTenant({ name: 'hris-only' });
    const key = await system.store.createApiKey({
      tenantId: tenant.id,
      name: 'test',
      scopes: ['hris:read', 'crm:read', 'ticketing:read'],
    });
    const organization = await system.store.createOrganization({
      tenantId: tenant.id,
      name: 'hris only',
    });
    const hris = sandboxLinks(system.sandboxUrl!, 'acme').find(
      (link) => link.category === 'hris',
    )!;
    await system.store.linkAccount({
      organizationId: organization.id,
      ...hris,
    });

    const response = await graphql<FlagshipData>(system.gatewayUrl, FLAGSHIP, {
      apiKey: key.secret,
      accountToken: organization.accountToken,
    });
    expect(response.status).toBe(200);
    const edges = response.data!.employees.edges;
    expect(edges).toHaveLength(5);
    for (const { node } of edges) {
      expect(node.workEmail).toMatch(/@acme\.example$/);
      expect(node.assignedTickets).toBeNull();
      expect(node.ownedOpportunities).toBeNull();
    }
    const codes = new Set(
      response.errors?.map((error) => error.extensions?.code),
    );
    expect(codes).toEqual(new Set(['NOT_LINKED']));
    const paths = response.errors!.map((error) => error.path?.join('.'));
    expect(paths).toContain('employees.edges.0.node.assignedTickets');
    expect(paths).toContain('employees.edges.0.node.ownedOpportunities');

    const tickets = await graphql<{ tickets: unknown }>(
      system.gatewayUrl,
      '{ tickets(first: 1) { edges { node { id } } } }',
      { apiKey: key.secret, accountToken: organization.accountToken },
    );
    expect(tickets.data?.tickets).toBeNull();
    expect(tickets.errors?.[0]?.extensions).toMatchObject({
      code: 'NOT_LINKED',
      category: 'ticketing',
    });
  });
});

describe('subgraphs called directly', () => {
  const query = JSON.stringify({
    query: '{ employees(first: 1) { edges { node { id } } } }',
  });

  async function post(headers: Record<string, string>) {
    return fetch(system.subgraphUrls.hris, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: query,
    });
  }

  it('answer 401 without an identity', async () => {
    const response = await post({});
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      errors: [{ extensions: { code: 'UNAUTHENTICATED' } }],
    });
  });

  it('answer 401 to an identity signed with another secret', async () => {
    const forged = await signIdentity(
      {
        tenantId: 'tenant_sandbox',
        apiKeyId: 'k',
        scopes: ['hris:read'],
        organizationId: 'org_sandbox_acme',
        linkedAccounts: [],
        requestId: 'r',
      },
      { secret: 'an-attacker-guess-of-the-secret-value!!', ttlSeconds: 60 },
    );
    expect((await post({ [IDENTITY_HEADER]: forged })).status).toBe(401);
  });

  it('answer 401 to an expired identity', async () => {
    const expired = await new SignJWT({
      tenantId: 'tenant_sandbox',
      apiKeyId: 'k',
      scopes: [],
      organizationId: 'org_sandbox_acme',
      linkedAccounts: [],
      requestId: 'r',
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('tributary-gateway')
      .setAudience('tributary-subgraph')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(system.config.identitySecret));
    expect((await post({ [IDENTITY_HEADER]: expired })).status).toBe(401);
  });
});

describe('HTTP endpoints', () => {
  it('GET /health answers 200 when the gateway can serve', async () => {
    const response = await fetch(
      system.gatewayUrl.replace(/\/graphql$/, '/health'),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('serves the Apollo Sandbox landing page to a browser in development', async () => {
    const response = await fetch(system.gatewayUrl, {
      headers: { accept: 'text/html' },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/apollo/i);
  });
});
