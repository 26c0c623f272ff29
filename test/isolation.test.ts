import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../lib/ids';
import {
  ACME_SEED,
  OTHER_SEED,
  generateOrganization,
  type SeedOrganization,
} from '../sandbox/seed';
import { graphql, startTestSystem } from './support/system';

/**
 * Two tenants whose providers answer with the same remote ids and different
 * people: `sk_sandbox_demo` + `acct_acme` and `sk_sandbox_other` +
 * `acct_other`. Many queries of both run interleaved and concurrently; no
 * value only one tenant's data holds may show up in the other's answers.
 */

const acme = generateOrganization(ACME_SEED);
const other = generateOrganization(OTHER_SEED);

function strings(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) strings(item, into);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) strings(item, into);
  }
  return into;
}

/** Strings of `mine` that `theirs` does not hold: proof of whose data it is. */
function exclusive(
  mine: SeedOrganization,
  theirs: SeedOrganization,
): Set<string> {
  const theirStrings = strings(theirs);
  return new Set(
    [...strings(mine)].filter(
      // Short strings (enum-like values, codes) say nothing about whose.
      (value) => value.length >= 6 && !theirStrings.has(value),
    ),
  );
}

const TENANTS = {
  acme: {
    apiKey: 'sk_sandbox_demo',
    accountToken: 'acct_acme',
    own: exclusive(acme, other),
  },
  other: {
    apiKey: 'sk_sandbox_other',
    accountToken: 'acct_other',
    own: exclusive(other, acme),
  },
} as const;

type TenantName = keyof typeof TENANTS;

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function queryFor(next: () => number): string {
  const first = 1 + Math.floor(next() * 8);
  const remoteId = acme.employees[Math.floor(next() * 20)]!.id;
  const queries = [
    `{ employees(first: ${first}) { edges { node { id remoteId firstName lastName workEmail } } } }`,
    // The same id names a different person in each tenant.
    `{ employee(id: "${toGlobalId('Employee', remoteId)}") { firstName lastName workEmail jobTitle } }`,
    `{ tickets(first: ${first}) { edges { node { name description assignees { email employee { firstName lastName } } } } } }`,
    `{ opportunities(first: ${first}) { edges { node { name amount owner { email employee { lastName workEmail } } } } } }`,
    `{ crmContacts(first: ${first}) { edges { node { firstName lastName email } } } }`,
    `{ employees(first: ${first}) { edges { node { workEmail assignedTickets(first: 2) { edges { node { name } } } ownedOpportunities(first: 2) { edges { node { name } } } } } } }`,
  ];
  return queries[Math.floor(next() * queries.length)]!;
}

let system: Awaited<ReturnType<typeof startTestSystem>>;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

describe('tenant isolation', () => {
  it('finds no value of one tenant in the other’s answers over many interleaved queries', async () => {
    const seed = Date.now() % 1_000_000;
    const next = random(seed);
    const plan: Array<{ tenant: TenantName; query: string }> = [];
    for (let index = 0; index < 48; index += 1) {
      plan.push({
        tenant: next() < 0.5 ? 'acme' : 'other',
        query: queryFor(next),
      });
    }

    const leaks: string[] = [];
    const ownHits: Record<TenantName, number> = { acme: 0, other: 0 };
    // Six in flight at once, so requests of both tenants overlap in the
    // subgraphs' loaders, caches and connection pools.
    let cursor = 0;
    const worker = async () => {
      while (cursor < plan.length) {
        const step = plan[cursor++]!;
        const tenant = TENANTS[step.tenant];
        const theirs = TENANTS[step.tenant === 'acme' ? 'other' : 'acme'].own;
        const response = await graphql(system.gatewayUrl, step.query, {
          apiKey: tenant.apiKey,
          accountToken: tenant.accountToken,
        });
        expect(response.status, step.query).toBe(200);
        for (const value of strings(response.data)) {
          if (theirs.has(value)) {
            leaks.push(`${step.tenant} got "${value}" for ${step.query}`);
          }
          if (tenant.own.has(value)) ownHits[step.tenant] += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));

    expect(leaks, `seed ${seed}`).toEqual([]);
    // The check has teeth: each tenant saw plenty of its own data.
    expect(ownHits.acme, `seed ${seed}`).toBeGreaterThan(20);
    expect(ownHits.other, `seed ${seed}`).toBeGreaterThan(20);
  });
});
