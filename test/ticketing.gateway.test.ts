import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sandboxCredentials, sandboxLinks } from '../lib/sandbox';
import { linearId } from '../sandbox/providers/linear';
import { zendeskTicketId } from '../sandbox/providers/zendesk';
import { ACME_SEED, generateOrganization } from '../sandbox/seed';
import type { SeedIssue } from '../sandbox/seed';
import { SANDBOX, graphql, pageToEnd, startTestSystem } from './support/system';

const FLAGSHIP = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
);
const acme = generateOrganization(ACME_SEED);

interface FlagshipData {
  employees: {
    edges: Array<{
      node: {
        workEmail: string;
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
      };
    }>;
  };
}

interface TicketNode {
  remoteId: string;
  name: string;
  assignees: Array<{
    email: string | null;
    employee: { workEmail: string } | null;
  }>;
}

let system: Awaited<ReturnType<typeof startTestSystem>>;

/** Credentials of an organization whose ticketing is `ticketing`. */
async function organizationWith(ticketing: {
  provider: string;
  baseUrl: string;
  credentials: Record<string, string>;
}): Promise<{ apiKey: string; accountToken: string }> {
  const tenant = await system.store.createTenant({
    name: `ticketing-${ticketing.provider}`,
  });
  const key = await system.store.createApiKey({
    tenantId: tenant.id,
    name: 'test',
    scopes: ['hris:read', 'crm:read', 'ticketing:read'],
  });
  const organization = await system.store.createOrganization({
    tenantId: tenant.id,
    name: `uses ${ticketing.provider}`,
  });
  for (const link of sandboxLinks(system.sandboxUrl!, 'acme')) {
    await system.store.linkAccount({
      organizationId: organization.id,
      ...link,
      ...(link.category === 'ticketing' ? ticketing : {}),
    });
  }
  return { apiKey: key.secret, accountToken: organization.accountToken };
}

/** What each provider's sandbox renders for a seeded issue. */
const PROVIDERS = {
  zendesk: {
    link: () => ({
      provider: 'zendesk',
      baseUrl: `${system.sandboxUrl!}/zendesk/acme`,
      credentials: sandboxCredentials.zendesk('acme'),
    }),
    remoteId: (issue: SeedIssue) => String(zendeskTicketId(issue.id)),
    status: (issue: SeedIssue) =>
      ({
        'To Do': 'OPEN',
        'In Progress': 'OPEN',
        Blocked: 'ON_HOLD',
        'In Review': 'ON_HOLD',
        Done: 'CLOSED',
      })[issue.status],
  },
  linear: {
    link: () => ({
      provider: 'linear',
      baseUrl: `${system.sandboxUrl!}/linear`,
      credentials: sandboxCredentials.linear('acme'),
    }),
    remoteId: (issue: SeedIssue) => linearId('issue', issue.id),
    status: (issue: SeedIssue) =>
      ({
        'To Do': 'OPEN',
        'In Progress': 'IN_PROGRESS',
        Blocked: 'IN_PROGRESS',
        'In Review': 'IN_PROGRESS',
        Done: 'CLOSED',
      })[issue.status],
  },
} as const;

const PRIORITIES: Record<SeedIssue['priority'], string | null> = {
  Highest: 'URGENT',
  High: 'HIGH',
  Medium: 'NORMAL',
  Low: 'LOW',
  Lowest: null,
};

function remoteIdOf(globalId: string): string {
  return Buffer.from(globalId, 'base64url')
    .toString('utf8')
    .slice('Ticket:'.length);
}

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

describe.each(Object.entries(PROVIDERS))(
  'an organization whose ticketing is linked to %s',
  (_name, provider) => {
    it('answers the flagship query with each employee’s seeded tickets', async () => {
      const credentials = await organizationWith(provider.link());
      const response = await graphql<FlagshipData>(
        system.gatewayUrl,
        FLAGSHIP,
        credentials,
      );
      expect(response.errors).toBeUndefined();
      const issuesByRemoteId = new Map(
        acme.issues.map((issue) => [provider.remoteId(issue), issue]),
      );
      const edges = response.data!.employees.edges;
      expect(edges).toHaveLength(5);
      for (const { node } of edges) {
        const seeded = acme.issues.filter(
          (issue) => issue.assigneeEmail === node.workEmail,
        );
        const tickets = node.assignedTickets!.edges.map((edge) => edge.node);
        expect(tickets).toHaveLength(Math.min(3, seeded.length));
        for (const ticket of tickets) {
          const issue = issuesByRemoteId.get(remoteIdOf(ticket.id));
          expect(issue?.assigneeEmail).toBe(node.workEmail);
          expect(ticket).toEqual({
            id: ticket.id,
            name: issue!.summary,
            status: provider.status(issue!),
            priority: PRIORITIES[issue!.priority],
          });
        }
      }
    });

    it('pages tickets to the end, each assignee joined back to its employee', async () => {
      const credentials = await organizationWith(provider.link());
      const nodes = await pageToEnd<TicketNode>(system.gatewayUrl, {
        field: 'tickets',
        nodeFields: 'remoteId name assignees { email employee { workEmail } }',
        first: 100,
        maxPages: 10,
        ...credentials,
      });
      const seen: string[] = [];
      for (const node of nodes) {
        seen.push(node.remoteId);
        expect(node.assignees).toHaveLength(1);
        expect(node.assignees[0]?.employee?.workEmail).toBe(
          node.assignees[0]?.email,
        );
      }
      expect(seen).toHaveLength(acme.issues.length);
      expect(new Set(seen)).toEqual(
        new Set(acme.issues.map((issue) => provider.remoteId(issue))),
      );
    });
  },
);

describe('field selection through the gateway', () => {
  it('asks Jira once per batch for the fields every alias reads together', async () => {
    system.recorder!.clear();
    const response = await graphql<{
      employees: {
        edges: Array<{
          node: {
            workEmail: string;
            named: { edges: Array<{ node: { name: string } }> };
            tagged: {
              edges: Array<{ node: { priority: string; tags: string[] } }>;
            };
          };
        }>;
      };
    }>(
      system.gatewayUrl,
      `
        {
          employees(first: 30) {
            edges {
              node {
                workEmail
                named: assignedTickets(first: 2) {
                  edges {
                    node {
                      name
                    }
                  }
                }
                tagged: assignedTickets(first: 2) {
                  edges {
                    node {
                      priority
                      tags
                    }
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
    const searches = system
      .recorder!.of('jira')
      .filter((request) => request.path.endsWith('/search/jql'));
    expect(searches).toHaveLength(2);
    for (const search of searches) {
      expect((search.body as { fields: unknown }).fields).toEqual([
        'summary',
        'priority',
        'assignee',
        'labels',
      ]);
    }
    for (const { node } of response.data!.employees.edges) {
      const seeded = new Map(
        acme.issues
          .filter((issue) => issue.assigneeEmail === node.workEmail)
          .map((issue) => [issue.summary, issue]),
      );
      for (const edge of node.named.edges) {
        expect(seeded.has(edge.node.name)).toBe(true);
      }
      const labels = node.tagged.edges.map((edge) => edge.node.tags);
      for (const tags of labels) {
        expect(
          [...seeded.values()].map((issue) => issue.labels),
        ).toContainEqual(tags);
      }
    }
  });

  it('asks Jira for the fields a ticket looked up by id reads', async () => {
    const issue = acme.issues[7]!;
    const id = Buffer.from(`Ticket:${issue.id}`).toString('base64url');
    system.recorder!.clear();
    const response = await graphql<{ ticket: { name: string } }>(
      system.gatewayUrl,
      `{ ticket(id: "${id}") { name } }`,
      SANDBOX,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.ticket.name).toBe(issue.summary);
    const fetches = system
      .recorder!.of('jira')
      .filter((request) => request.path.endsWith('/issue/bulkfetch'));
    expect(fetches.map((request) => request.body)).toEqual([
      expect.objectContaining({ fields: ['summary'] }),
    ]);
  });

  it('asks Linear only for what the query reads', async () => {
    const credentials = await organizationWith(PROVIDERS.linear.link());
    system.recorder!.clear();
    const response = await graphql<{
      tickets: {
        edges: Array<{ node: { name: string; description: string } }>;
      };
    }>(
      system.gatewayUrl,
      '{ tickets(first: 3) { edges { node { ... on Ticket { name description } } } } }',
      credentials,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.tickets.edges).toHaveLength(3);
    expect(response.data!.tickets.edges[0]?.node.description).toEqual(
      expect.any(String),
    );
    const queries = system
      .recorder!.of('linear')
      .map((request) => (request.body as { query: string }).query);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toContain('description');
    expect(queries[0]).not.toContain('labels');
    expect(queries[0]).not.toContain('creator');
  });
});
