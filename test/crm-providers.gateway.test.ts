import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxLinks } from '../lib/sandbox';
import { ACME_SEED, generateOrganization } from '../sandbox/seed';
import { sandboxCredentials } from '../sandbox/types';
import { graphql, pageToEnd, startTestSystem } from './support/system';

const acme = generateOrganization(ACME_SEED);
let system: Awaited<ReturnType<typeof startTestSystem>>;
let apiKey: string;
let tenantId: string;

/** An organization of the test tenant: BambooHR HRIS + a CRM. */
async function organization(
  salesforce: Record<string, string> = sandboxCredentials.salesforce('acme'),
  crmProvider: 'salesforce' | 'pipedrive' = 'salesforce',
) {
  const sandboxUrl = system.sandboxUrl!;
  const org = await system.store.createOrganization({
    tenantId,
    name: 'Salesforce customer',
  });
  const hris = sandboxLinks(sandboxUrl, 'acme').find(
    (link) => link.category === 'hris',
  )!;
  await system.store.linkAccount({ organizationId: org.id, ...hris });
  const crm = await system.store.linkAccount({
    organizationId: org.id,
    category: 'crm',
    provider: crmProvider,
    baseUrl: `${sandboxUrl}/${crmProvider}`,
    credentials: salesforce,
  });
  return { accountToken: org.accountToken, organizationId: org.id, crm };
}

beforeAll(async () => {
  system = await startTestSystem();
  tenantId = (await system.store.createTenant({ name: 'Salesforce tenant' }))
    .id;
  apiKey = (
    await system.store.createApiKey({
      tenantId,
      name: 'test',
      scopes: ['hris:read', 'crm:read'],
    })
  ).secret;
});

afterAll(async () => {
  await system?.stop();
});

describe('an organization linked to Salesforce, through the gateway', () => {
  it('pages opportunities to the end and returns every seeded deal once', async () => {
    const { accountToken } = await organization();
    system.recorder!.clear();
    const seen = (
      await pageToEnd<{ remoteId: string }>(system.gatewayUrl, {
        field: 'opportunities',
        nodeFields: 'id remoteId status',
        first: 30,
        apiKey,
        accountToken,
      })
    ).map((node) => node.remoteId);
    expect(seen).toHaveLength(acme.deals.length);
    expect(new Set(seen).size).toBe(acme.deals.length);
    expect(seen.every((id) => id.startsWith('006'))).toBe(true);
    // The SELECT list holds what the query read, nothing more.
    const soql = system
      .recorder!.of('salesforce')
      .map((request) => request.query.q)
      .filter(Boolean);
    expect([...new Set(soql)]).toEqual([
      'SELECT Id, IsClosed, IsWon, StageName FROM Opportunity ORDER BY Id',
    ]);
  });

  it('answers the flagship join: employees with the Salesforce opportunities they own', async () => {
    const { accountToken } = await organization();
    const response = await graphql<{
      employees: {
        edges: Array<{
          node: {
            workEmail: string;
            ownedOpportunities: {
              edges: Array<{
                node: { name: string; amount: number; status: string };
              }>;
            } | null;
          };
        }>;
      };
    }>(
      system.gatewayUrl,
      `
        {
          employees(first: 5) {
            edges {
              node {
                workEmail
                ownedOpportunities(first: 3) {
                  edges {
                    node {
                      name
                      amount
                      status
                    }
                  }
                }
              }
            }
          }
        }
      `,
      { apiKey, accountToken },
    );
    expect(response.errors).toBeUndefined();
    const edges = response.data!.employees.edges;
    expect(edges).toHaveLength(5);
    for (const { node } of edges) {
      const deals = acme.deals.filter(
        (deal) => deal.ownerEmail === node.workEmail,
      );
      const owned = node.ownedOpportunities!.edges.map((edge) => edge.node);
      expect(owned).toHaveLength(Math.min(3, deals.length));
      for (const opportunity of owned) {
        expect(
          deals.some(
            (deal) =>
              deal.name === opportunity.name &&
              deal.amount === opportunity.amount,
          ),
        ).toBe(true);
      }
    }
    expect(
      edges.some(({ node }) => node.ownedOpportunities!.edges.length > 0),
    ).toBe(true);
  });

  it('makes one refresh call for 10 concurrent gateway requests of a new link', async () => {
    const { accountToken } = await organization();
    system.recorder!.clear();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        graphql(
          system.gatewayUrl,
          '{ crmAccounts(first: 3) { edges { node { id name } } } }',
          { apiKey, accountToken },
        ),
      ),
    );
    expect(responses.every((response) => !response.errors)).toBe(true);
    expect(
      system
        .recorder!.of('salesforce')
        .filter((request) => request.path === '/services/oauth2/token'),
    ).toHaveLength(1);
  });

  it('answers RELINK_NEEDED on CRM fields when the refresh token is refused, and keeps HRIS data', async () => {
    const { accountToken, crm, organizationId } = await organization({
      ...sandboxCredentials.salesforce('acme'),
      refreshToken: 'revoked',
    });
    const query = `{
      employees(first: 2) { edges { node { workEmail } } }
      opportunities(first: 5) { edges { node { id } } }
    }`;
    const response = await graphql<{
      employees: { edges: unknown[] } | null;
      opportunities: unknown;
    }>(system.gatewayUrl, query, { apiKey, accountToken });
    expect(response.data?.employees?.edges).toHaveLength(2);
    expect(response.data?.opportunities).toBeNull();
    expect(response.errors).toEqual([
      expect.objectContaining({
        path: ['opportunities'],
        extensions: expect.objectContaining({
          code: 'RELINK_NEEDED',
          provider: 'salesforce',
          category: 'crm',
        }),
      }),
    ]);
    const account = await system.store.getLinkedAccount(crm.id, {
      tenantId,
      organizationId,
    });
    expect(account?.status).toBe('RELINK_NEEDED');

    // Later requests answer RELINK_NEEDED without calling Salesforce.
    const again = await graphql(system.gatewayUrl, query, {
      apiKey,
      accountToken,
    });
    expect(again.errors?.[0]?.extensions?.code).toBe('RELINK_NEEDED');
  });
});

describe('an organization linked to Pipedrive, through the gateway', () => {
  it('pages opportunities to the end and answers the flagship join', async () => {
    const { accountToken } = await organization(
      sandboxCredentials.pipedrive('acme'),
      'pipedrive',
    );
    const count = (
      await pageToEnd(system.gatewayUrl, {
        field: 'opportunities',
        nodeFields: 'id remoteId status',
        first: 40,
        apiKey,
        accountToken,
      })
    ).length;
    expect(count).toBe(acme.deals.length);

    const flagship = await graphql<{
      employees: {
        edges: Array<{
          node: {
            workEmail: string;
            ownedOpportunities: { edges: Array<{ node: { name: string } }> };
          };
        }>;
      };
    }>(
      system.gatewayUrl,
      `
        {
          employees(first: 5) {
            edges {
              node {
                workEmail
                ownedOpportunities(first: 3) {
                  edges {
                    node {
                      name
                    }
                  }
                }
              }
            }
          }
        }
      `,
      { apiKey, accountToken },
    );
    expect(flagship.errors).toBeUndefined();
    for (const { node } of flagship.data!.employees.edges) {
      const deals = acme.deals.filter(
        (deal) => deal.ownerEmail === node.workEmail,
      );
      expect(node.ownedOpportunities.edges).toHaveLength(
        Math.min(3, deals.length),
      );
    }
  });
});
