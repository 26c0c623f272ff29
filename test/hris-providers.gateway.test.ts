import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxCredentials } from '../lib/sandbox';
import { hibobEmployeeId } from '../sandbox/providers/hibob';
import {
  personioEmployeeId,
  personioStatus,
} from '../sandbox/providers/personio';
import { ACME_SEED, generateOrganization } from '../sandbox/seed';
import type { SeedEmployee } from '../sandbox/seed';
import type { RecordedRequest } from '../sandbox/types';
import { graphql, pageToEnd, startTestSystem } from './support/system';

const FLAGSHIP = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
);
const acme = generateOrganization(ACME_SEED);

interface FlagshipNode {
  id: string;
  remoteId: string;
  firstName: string;
  lastName: string;
  workEmail: string;
  employmentStatus: string | null;
  assignedTickets: { edges: Array<{ node: { name: string } }> } | null;
  ownedOpportunities: { edges: Array<{ node: { name: string } }> } | null;
}

interface FlagshipData {
  employees: {
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ node: FlagshipNode }>;
  };
}

interface Provider {
  name: 'hibob' | 'personio';
  credentials: Record<string, string>;
  remoteId: (seed: SeedEmployee) => string;
  status: (seed: SeedEmployee) => string;
  /** The fields a request for employees named, sorted; undefined for others. */
  fieldsAsked: (request: RecordedRequest) => string[] | undefined;
  /** What the flagship's employee fields need from the provider. */
  flagshipFields: string[];
}

const PROVIDERS: Provider[] = [
  {
    name: 'hibob',
    credentials: sandboxCredentials.hibob('acme'),
    remoteId: (seed) => hibobEmployeeId(seed.id),
    status: (seed) => (seed.status === 'Active' ? 'ACTIVE' : 'INACTIVE'),
    fieldsAsked: (request) =>
      request.path === '/v1/people/search'
        ? [...(request.body as { fields: string[] }).fields].sort()
        : undefined,
    flagshipFields: [
      '/internal/lifecycleStatus',
      '/internal/status',
      '/root/email',
      '/root/firstName',
      '/root/id',
      '/root/surname',
    ],
  },
  {
    name: 'personio',
    credentials: sandboxCredentials.personio('acme'),
    remoteId: (seed) => String(personioEmployeeId(seed.id)),
    status: (seed) =>
      ({
        active: 'ACTIVE',
        leave: 'ACTIVE',
        onboarding: 'PENDING',
        inactive: 'INACTIVE',
      })[personioStatus(seed)],
    fieldsAsked: (request) =>
      request.path === '/v1/company/employees'
        ? [request.query['attributes[]'] ?? []].flat().map(String).sort()
        : undefined,
    flagshipFields: ['email', 'first_name', 'id', 'last_name', 'status'],
  },
];

let system: Awaited<ReturnType<typeof startTestSystem>>;
const credentials = new Map<string, { apiKey: string; accountToken: string }>();

beforeAll(async () => {
  system = await startTestSystem();
  const sandboxUrl = system.sandboxUrl!;
  const { store } = system;
  const tenant = await store.createTenant({ name: 'HRIS providers test' });
  const key = await store.createApiKey({
    tenantId: tenant.id,
    name: 'test',
    scopes: ['hris:read', 'crm:read', 'ticketing:read'],
  });
  for (const provider of PROVIDERS) {
    const organization = await store.createOrganization({
      tenantId: tenant.id,
      name: `Acme on ${provider.name}`,
    });
    await store.linkAccount({
      organizationId: organization.id,
      category: 'hris',
      provider: provider.name,
      baseUrl: `${sandboxUrl}/${provider.name}`,
      credentials: provider.credentials,
    });
    // The same people in Jira and HubSpot: joins go by work email.
    await store.linkAccount({
      organizationId: organization.id,
      category: 'ticketing',
      provider: 'jira',
      baseUrl: `${sandboxUrl}/jira/acme`,
      credentials: sandboxCredentials.jira('acme'),
    });
    await store.linkAccount({
      organizationId: organization.id,
      category: 'crm',
      provider: 'hubspot',
      baseUrl: `${sandboxUrl}/hubspot`,
      credentials: sandboxCredentials.hubspot('acme'),
    });
    credentials.set(provider.name, {
      apiKey: key.secret,
      accountToken: organization.accountToken,
    });
  }
});

afterAll(async () => {
  await system?.stop();
});

describe.each(PROVIDERS)('the flagship query on $name', (provider) => {
  it('answers with the seeded employees, their Jira tickets and HubSpot deals', async () => {
    const response = await graphql<FlagshipData>(
      system.gatewayUrl,
      FLAGSHIP,
      credentials.get(provider.name),
    );
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    const { edges, pageInfo } = response.data!.employees;
    expect(edges).toHaveLength(5);
    expect(pageInfo.hasNextPage).toBe(true);

    edges.forEach(({ node }, index) => {
      const seed = acme.employees[index]!;
      expect(node).toMatchObject({
        remoteId: provider.remoteId(seed),
        firstName: seed.firstName,
        lastName: seed.lastName,
        workEmail: seed.workEmail,
        employmentStatus: provider.status(seed),
      });
      const issues = acme.issues.filter(
        (issue) => issue.assigneeEmail === seed.workEmail,
      );
      const tickets = node.assignedTickets!.edges.map((edge) => edge.node);
      expect(tickets).toHaveLength(Math.min(3, issues.length));
      for (const ticket of tickets) {
        expect(issues.map((issue) => issue.summary)).toContain(ticket.name);
      }
      const deals = acme.deals.filter(
        (deal) => deal.ownerEmail === seed.workEmail,
      );
      expect(node.ownedOpportunities!.edges).toHaveLength(
        Math.min(3, deals.length),
      );
    });
    expect(
      edges.some(({ node }) => node.assignedTickets!.edges.length > 0),
    ).toBe(true);
  });

  it('asks the provider only for what the flagship’s employee fields map from', async () => {
    system.recorder!.clear();
    const response = await graphql(
      system.gatewayUrl,
      FLAGSHIP,
      credentials.get(provider.name),
    );
    expect(response.errors).toBeUndefined();
    const asked = system
      .recorder!.of(provider.name)
      .map(provider.fieldsAsked)
      .filter((fields) => fields !== undefined);
    expect(asked).toEqual([provider.flagshipFields]);
  });

  it('pages employees to the end: exactly the seeded employees, once each', async () => {
    const seen = (
      await pageToEnd<{ remoteId: string }>(system.gatewayUrl, {
        field: 'employees',
        nodeFields: 'remoteId',
        first: 100,
        ...credentials.get(provider.name),
      })
    ).map((node) => node.remoteId);
    expect(seen).toEqual(acme.employees.map(provider.remoteId));
  });
});

describe('modifiedAfter through the gateway', () => {
  it('reaches Personio as updated_since and returns exactly the employees changed since', async () => {
    system.recorder!.clear();
    const since = '2026-10-20T06:30:00Z';
    const response = await graphql<FlagshipData>(
      system.gatewayUrl,
      `
        query Changed($since: DateTime) {
          employees(first: 100, modifiedAfter: $since) {
            pageInfo {
              hasNextPage
              endCursor
            }
            edges {
              node {
                remoteId
              }
            }
          }
        }
      `,
      { ...credentials.get('personio'), variables: { since } },
    );
    expect(response.errors).toBeUndefined();
    const expected = acme.employees
      .filter((e) => Date.parse(e.modifiedAt) >= Date.parse(since))
      .map((e) => String(personioEmployeeId(e.id)));
    expect(
      response.data!.employees.edges.map(({ node }) => node.remoteId),
    ).toEqual(expected.slice(0, 100));
    const listings = system
      .recorder!.of('personio')
      .filter((request) => request.path === '/v1/company/employees');
    expect(listings.map((request) => request.query.updated_since)).toEqual([
      '2026-10-20T06:30:00',
    ]);
  });
});
