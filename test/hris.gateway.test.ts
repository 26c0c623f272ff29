import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ACME_SEED, generateOrganization } from '../sandbox/seed';
import type { SeedEmployee } from '../sandbox/seed';
import { SANDBOX, graphql, startTestSystem } from './support/system';

const FLAGSHIP = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
);
const acme = generateOrganization(ACME_SEED);
const PII = { apiKey: 'sk_sandbox_pii', accountToken: 'acct_acme' };

let system: Awaited<ReturnType<typeof startTestSystem>>;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

/** The List Employees calls BambooHR received, oldest first. */
function listings() {
  return system
    .recorder!.of('bamboohr')
    .filter((request) => request.path.endsWith('/v1/employees'));
}

/** The optional `fields` a List Employees call named, sorted. */
function fieldsOf(request: { query: Record<string, unknown> }): string[] {
  const fields = request.query.fields;
  return typeof fields === 'string' ? fields.split(',').sort() : [];
}

function seedByEmail(email: string | null): SeedEmployee {
  const seed = acme.employees.find((employee) => employee.workEmail === email);
  if (!seed) {
    throw new Error(`no seeded employee has the email ${email}`);
  }
  return seed;
}

/** An answer of `tickets { edges { node { assignees { … } } } }`. */
interface Tickets<A> {
  tickets: { edges: Array<{ node: { assignees: A[] } }> };
}

/** Tickets with their assignees, each with `email` and `selection`. */
function assigneesQuery(selection: string): string {
  return `{
    tickets(first: 20) { edges { node { assignees { email ${selection} } } } }
  }`;
}

/** Every assignee of the answer; fails the test when there is none. */
function assigneesOf<A>(data: Tickets<A> | null | undefined): A[] {
  const assignees = data!.tickets.edges.flatMap((edge) => edge.node.assignees);
  expect(assignees.length).toBeGreaterThan(0);
  return assignees;
}

describe('BambooHR field selection through the gateway', () => {
  it('asks List Employees for the work email alone when the flagship reads it', async () => {
    system.recorder!.clear();
    const response = await graphql(system.gatewayUrl, FLAGSHIP, SANDBOX);
    expect(response.errors).toBeUndefined();
    expect(listings().map(fieldsOf)).toEqual([['workEmail']]);
  });

  it('answers the flagship with the same data as when every field is fetched', async () => {
    const narrow = await graphql(system.gatewayUrl, FLAGSHIP, SANDBOX);
    // `remoteData` asks BambooHR for every field (and needs the PII scope).
    const whole = await graphql<{
      employees: { edges: Array<{ node: Record<string, unknown> }> };
    }>(
      system.gatewayUrl,
      FLAGSHIP.replace('employmentStatus', 'employmentStatus\nremoteData'),
      PII,
    );
    expect(narrow.errors).toBeUndefined();
    expect(whole.errors).toBeUndefined();
    for (const { node } of whole.data!.employees.edges) {
      expect(node.remoteData).toHaveProperty('birthDate');
      delete node.remoteData;
    }
    expect(narrow.data).toEqual(whole.data);
  });

  it('reads the roster for a join by email with the work email and the selected fields only', async () => {
    system.recorder!.clear();
    const response = await graphql<
      Tickets<{
        email: string;
        employee: { firstName: string; startDate: string } | null;
      }>
    >(
      system.gatewayUrl,
      assigneesQuery('employee { id firstName employmentStatus startDate }'),
      SANDBOX,
    );
    expect(response.errors).toBeUndefined();
    expect(listings().map(fieldsOf)).toEqual([['hireDate', 'workEmail']]);
    for (const { email, employee } of assigneesOf(response.data)) {
      const seed = seedByEmail(email);
      expect(employee).toMatchObject({
        firstName: seed.firstName,
        startDate: seed.hireDate,
      });
    }
  });

  it('fetches dateOfBirth for an API key with the PII scope, and answers it', async () => {
    system.recorder!.clear();
    const response = await graphql<{
      employees: {
        edges: Array<{ node: { remoteId: string; dateOfBirth: string } }>;
      };
    }>(
      system.gatewayUrl,
      '{ employees(first: 5) { edges { node { remoteId dateOfBirth } } } }',
      PII,
    );
    expect(response.errors).toBeUndefined();
    expect(listings().map(fieldsOf)).toEqual([['birthDate']]);
    response.data!.employees.edges.forEach(({ node }, index) => {
      expect(node).toEqual({
        remoteId: acme.employees[index]!.id,
        dateOfBirth: acme.employees[index]!.dateOfBirth,
      });
    });
  });

  it('does not fetch dateOfBirth for an API key without the PII scope, which is refused it', async () => {
    system.recorder!.clear();
    const response = await graphql(
      system.gatewayUrl,
      '{ employees(first: 5) { edges { node { firstName dateOfBirth } } } }',
      SANDBOX,
    );
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(
      Array(5).fill('FORBIDDEN'),
    );
    expect(listings().map(fieldsOf)).toEqual([[]]);
  });

  it('answers two selections of the joined employee with one roster read of their union', async () => {
    system.recorder!.clear();
    const response = await graphql<
      Tickets<{
        email: string;
        named: { lastName: string };
        born: { dateOfBirth: string; startDate: string };
      }>
    >(
      system.gatewayUrl,
      assigneesQuery(
        'named: employee { lastName } born: employee { dateOfBirth startDate }',
      ),
      PII,
    );
    expect(response.errors).toBeUndefined();
    expect(listings().map(fieldsOf)).toEqual([
      ['birthDate', 'hireDate', 'workEmail'],
    ]);
    for (const { email, named, born } of assigneesOf(response.data)) {
      const seed = seedByEmail(email);
      expect(named.lastName).toBe(seed.lastName);
      expect(born).toEqual({
        dateOfBirth: seed.dateOfBirth,
        startDate: seed.hireDate,
      });
    }
  });

  it('takes a listed manager from the page, and reads it again only for fields the page did not fetch', async () => {
    const query = (manager: string) =>
      `{ employees(first: 40) { edges { node { firstName manager { ${manager} } } } } }`;

    system.recorder!.clear();
    const listed = await graphql(
      system.gatewayUrl,
      query('firstName'),
      SANDBOX,
    );
    expect(listed.errors).toBeUndefined();
    expect(listings()).toHaveLength(1);

    system.recorder!.clear();
    const read = await graphql<{
      employees: {
        edges: Array<{
          node: { manager: { workEmail: string } | null };
        }>;
      };
    }>(system.gatewayUrl, query('workEmail'), SANDBOX);
    expect(read.errors).toBeUndefined();
    const calls = listings();
    expect(calls.map(fieldsOf)).toEqual([['reportsToId'], ['workEmail']]);
    expect(calls[1]?.query['filter[ids]']).toEqual(expect.any(String));
    const managers = read
      .data!.employees.edges.map((edge) => edge.node.manager)
      .filter((manager) => manager !== null);
    expect(managers.length).toBeGreaterThan(0);
    for (const manager of managers) {
      expect(seedByEmail(manager.workEmail)).toBeDefined();
    }
  });
});
