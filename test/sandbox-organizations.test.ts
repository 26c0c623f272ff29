import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACME_SEED,
  GLOBEX_SEED,
  INITECH_SEED,
  generateOrganization,
  type SeedOptions,
} from '../sandbox/seed';
import {
  graphql,
  startTestSystem,
  type GraphQLResponse,
} from './support/system';

const FLAGSHIP = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
);

let system: Awaited<ReturnType<typeof startTestSystem>>;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

interface Listing {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: Array<{ node: { remoteId: string } }>;
}

/** Pages a root connection to its end and returns the remote ids seen. */
async function pageToEnd(
  field: 'employees' | 'opportunities' | 'tickets',
  accountToken: string,
): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 20; page += 1) {
    const response: GraphQLResponse<Record<string, Listing>> = await graphql(
      system.gatewayUrl,
      `query Page($after: String) {
        ${field}(first: 100, after: $after) {
          pageInfo { hasNextPage endCursor }
          edges { node { remoteId } }
        }
      }`,
      { apiKey: 'sk_sandbox_demo', accountToken, variables: { after } },
    );
    expect(response.errors, `${field} page ${page}`).toBeUndefined();
    const connection = response.data![field]!;
    seen.push(...connection.edges.map((edge) => edge.node.remoteId));
    if (!connection.pageInfo.hasNextPage) return seen;
    after = connection.pageInfo.endCursor;
  }
  throw new Error(`${field} did not end`);
}

describe.each([
  ['acct_acme', ACME_SEED, 'BambooHR, HubSpot, Jira'],
  ['acct_globex', GLOBEX_SEED, 'HiBob, Salesforce, Zendesk'],
  ['acct_initech', INITECH_SEED, 'Personio, Pipedrive, Linear'],
] as Array<[string, SeedOptions, string]>)(
  'sandbox organization %s (%s)',
  (accountToken, seed) => {
    const data = generateOrganization(seed);

    it('answers the flagship query with its own people, tickets and deals', async () => {
      const response = await graphql<{
        employees: {
          edges: Array<{
            node: {
              workEmail: string;
              assignedTickets: { edges: unknown[] } | null;
              ownedOpportunities: { edges: unknown[] } | null;
            };
          }>;
        };
      }>(system.gatewayUrl, FLAGSHIP, {
        apiKey: 'sk_sandbox_demo',
        accountToken,
      });
      expect(response.errors).toBeUndefined();
      const edges = response.data!.employees.edges;
      expect(edges).toHaveLength(5);
      const emails = new Set(data.employees.map((e) => e.workEmail));
      for (const { node } of edges) {
        expect(emails.has(node.workEmail)).toBe(true);
      }
      expect(
        edges.some(({ node }) => node.assignedTickets!.edges.length > 0),
      ).toBe(true);
      expect(
        edges.some(({ node }) => node.ownedOpportunities!.edges.length > 0),
      ).toBe(true);
    });

    it('pages employees, opportunities and tickets to exactly what it holds', async () => {
      const [employees, opportunities, tickets] = await Promise.all([
        pageToEnd('employees', accountToken),
        pageToEnd('opportunities', accountToken),
        pageToEnd('tickets', accountToken),
      ]);
      expect(employees).toHaveLength(data.employees.length);
      expect(new Set(employees).size).toBe(data.employees.length);
      expect(opportunities).toHaveLength(data.deals.length);
      expect(new Set(opportunities).size).toBe(data.deals.length);
      expect(tickets).toHaveLength(data.issues.length);
      expect(new Set(tickets).size).toBe(data.issues.length);
    });
  },
);
