import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACME_SEED,
  GLOBEX_SEED,
  INITECH_SEED,
  generateOrganization,
  type SeedOptions,
} from '../sandbox/seed';
import { graphql, pageToEnd, startTestSystem } from './support/system';

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

/** Pages a root connection to its end and returns the remote ids seen. */
async function remoteIdsToEnd(
  field: 'employees' | 'opportunities' | 'tickets',
  accountToken: string,
): Promise<string[]> {
  const nodes = await pageToEnd<{ remoteId: string }>(system.gatewayUrl, {
    field,
    nodeFields: 'remoteId',
    first: 100,
    apiKey: 'sk_sandbox_demo',
    accountToken,
  });
  return nodes.map((node) => node.remoteId);
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
        remoteIdsToEnd('employees', accountToken),
        remoteIdsToEnd('opportunities', accountToken),
        remoteIdsToEnd('tickets', accountToken),
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
