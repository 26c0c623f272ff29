import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaultSpecs, type FaultSpec } from '../sandbox/faults';
import { SANDBOX, graphql, startTestSystem } from './support/system';

// One root field per category, so a failing provider's share of the
// answer can be told from the rest.
const ALL_CATEGORIES = /* GraphQL */ `
  query AllCategories {
    employees(first: 2) {
      edges {
        node {
          id
          firstName
        }
      }
    }
    opportunities(first: 2) {
      edges {
        node {
          id
          name
        }
      }
    }
    tickets(first: 2) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`;

const CATEGORIES = [
  { category: 'hris', provider: 'bamboohr', field: 'employees' },
  { category: 'crm', provider: 'hubspot', field: 'opportunities' },
  { category: 'ticketing', provider: 'jira', field: 'tickets' },
] as const;

type Provider = (typeof CATEGORIES)[number]['provider'];

const FAULTS: Array<{
  name: string;
  spec: (provider: Provider) => FaultSpec;
  code: string;
}> = [
  {
    name: 'HTTP 500 on every call',
    spec: (provider) => ({ provider, fault: 'error', status: 500, rate: 1 }),
    code: 'UPSTREAM_UNAVAILABLE',
  },
  {
    name: '429 asking to wait longer than we allow',
    spec: (provider) => ({
      provider,
      fault: 'rate-limit',
      retryAfterSeconds: 120,
      rate: 1,
    }),
    code: 'UPSTREAM_RATE_LIMITED',
  },
  {
    name: 'reset connections',
    spec: (provider) => ({ provider, fault: 'reset', rate: 1 }),
    code: 'UPSTREAM_UNAVAILABLE',
  },
  {
    name: 'malformed JSON',
    spec: (provider) => ({ provider, fault: 'malformed', rate: 1 }),
    code: 'UPSTREAM_UNAVAILABLE',
  },
  {
    name: 'expired credentials',
    spec: (provider) => ({ provider, fault: 'expire-credentials' }),
    code: 'RELINK_NEEDED',
  },
  {
    name: 'latency beyond the provider timeout',
    spec: (provider) => ({ provider, fault: 'latency', ms: 3_000 }),
    code: 'UPSTREAM_TIMEOUT',
  },
];

let system: Awaited<ReturnType<typeof startTestSystem>>;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};

async function setFault(body: unknown): Promise<Response> {
  return fetch(`${system.sandboxUrl}/__faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  system = await startTestSystem({
    // Short enough for the latency fault to time out quickly, long enough
    // for healthy calls on a loaded machine.
    PROVIDER_TIMEOUT_MS: '1500',
    // The matrix checks each fault's own code: circuits and integration
    // issues, which change the code of later calls, are tested elsewhere.
    CIRCUIT_FAILURE_THRESHOLD: '1000',
    INTEGRATION_ISSUE_THRESHOLD: '1000',
  });
});

afterAll(async () => {
  await system?.stop();
  process.off('unhandledRejection', onUnhandled);
});

describe('a failing provider through the gateway', () => {
  for (const { category, provider, field } of CATEGORIES) {
    for (const fault of FAULTS) {
      it(`${provider} with ${fault.name}: ${field} is null with ${fault.code}, the other categories answer`, async () => {
        const set = await setFault(fault.spec(provider));
        expect(set.status).toBe(200);
        try {
          const response = await graphql<Record<string, unknown>>(
            system.gatewayUrl,
            ALL_CATEGORIES,
            SANDBOX,
          );
          expect(response.status).toBe(200);
          expect(response.data?.[field]).toBeNull();
          const errors = response.errors ?? [];
          expect(errors.length).toBeGreaterThan(0);
          for (const error of errors) {
            expect(error.path).toEqual([field]);
            expect(error.extensions).toMatchObject({
              code: fault.code,
              provider,
              category,
            });
          }
          for (const other of CATEGORIES.filter((c) => c.field !== field)) {
            const connection = response.data?.[other.field] as {
              edges: unknown[];
            };
            expect(connection.edges).toHaveLength(2);
          }
        } finally {
          await setFault({ provider, fault: 'none' });
        }
      });
    }
  }

  // The other sandbox organizations' providers, with the faults every
  // provider must survive.
  const OTHER_PROVIDERS = [
    {
      token: 'acct_globex',
      category: 'hris',
      provider: 'hibob',
      field: 'employees',
    },
    {
      token: 'acct_globex',
      category: 'crm',
      provider: 'salesforce',
      field: 'opportunities',
    },
    {
      token: 'acct_globex',
      category: 'ticketing',
      provider: 'zendesk',
      field: 'tickets',
    },
    {
      token: 'acct_initech',
      category: 'hris',
      provider: 'personio',
      field: 'employees',
    },
    {
      token: 'acct_initech',
      category: 'crm',
      provider: 'pipedrive',
      field: 'opportunities',
    },
    {
      token: 'acct_initech',
      category: 'ticketing',
      provider: 'linear',
      field: 'tickets',
    },
  ] as const;
  const OTHER_FAULTS = FAULTS.filter((fault) =>
    [
      'HTTP 500 on every call',
      'malformed JSON',
      'expired credentials',
    ].includes(fault.name),
  );
  for (const { token, category, provider, field } of OTHER_PROVIDERS) {
    for (const fault of OTHER_FAULTS) {
      it(`${provider} with ${fault.name}: ${field} is null with ${fault.code}, the other categories answer`, async () => {
        const set = await setFault(
          fault.spec(provider as unknown as Provider) as FaultSpec,
        );
        expect(set.status).toBe(200);
        try {
          const response = await graphql<Record<string, unknown>>(
            system.gatewayUrl,
            ALL_CATEGORIES,
            { apiKey: SANDBOX.apiKey, accountToken: token },
          );
          expect(response.data?.[field]).toBeNull();
          expect(response.errors?.length).toBeGreaterThan(0);
          for (const error of response.errors ?? []) {
            expect(error.path).toEqual([field]);
            expect(error.extensions).toMatchObject({
              code: fault.code,
              provider,
              category,
            });
          }
          for (const other of CATEGORIES.filter((c) => c.field !== field)) {
            const connection = response.data?.[other.field] as {
              edges: unknown[];
            };
            expect(connection.edges).toHaveLength(2);
          }
        } finally {
          await setFault({ provider, fault: 'none' });
        }
      });
    }
  }

  it('left no unhandled rejection behind and the gateway still answers in full', async () => {
    const response = await graphql<Record<string, { edges: unknown[] }>>(
      system.gatewayUrl,
      ALL_CATEGORIES,
      SANDBOX,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.employees?.edges).toHaveLength(2);
    expect(unhandled).toEqual([]);
  });
});

describe('the sandbox fault endpoint', () => {
  it('fails only the chosen share of calls, deterministically', async () => {
    await setFault({
      provider: 'hubspot',
      fault: 'error',
      status: 503,
      rate: 0.5,
    });
    try {
      const statuses: number[] = [];
      for (let call = 0; call < 4; call += 1) {
        const response = await fetch(
          `${system.sandboxUrl}/hubspot/crm/v3/owners`,
          { headers: { authorization: 'Bearer pat-sandbox-acme' } },
        );
        await response.body?.cancel();
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 503, 200, 503]);
    } finally {
      await setFault({ provider: 'hubspot', fault: 'none' });
    }
  });

  it('lists the faults in force and clears them with fault none', async () => {
    await setFault({
      provider: 'jira',
      fault: 'rate-limit',
      retryAfterSeconds: 7,
    });
    const listed = (await (
      await fetch(`${system.sandboxUrl}/__faults`)
    ).json()) as { faults: unknown[] };
    expect(listed.faults).toEqual([
      { provider: 'jira', fault: 'rate-limit', retryAfterSeconds: 7, rate: 1 },
    ]);
    const cleared = (await (
      await setFault({ provider: 'jira', fault: 'none' })
    ).json()) as { faults: unknown[] };
    expect(cleared.faults).toEqual([]);
  });

  it('answers 429 with the Retry-After it was given', async () => {
    await setFault({
      provider: 'jira',
      fault: 'rate-limit',
      retryAfterSeconds: 3,
    });
    try {
      const response = await fetch(
        `${system.sandboxUrl}/jira/acme/rest/api/3/myself`,
      );
      await response.body?.cancel();
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('3');
    } finally {
      await setFault({ provider: 'jira', fault: 'none' });
    }
  });

  it('refuses an unknown provider or fault with 400 and a message naming it', async () => {
    const unknownProvider = await setFault({
      provider: 'workday',
      fault: 'none',
    });
    expect(unknownProvider.status).toBe(400);
    expect(((await unknownProvider.json()) as { error: string }).error).toMatch(
      /provider/,
    );
    const unknownFault = await setFault({
      provider: 'hubspot',
      fault: 'explode',
    });
    expect(unknownFault.status).toBe(400);
    expect(((await unknownFault.json()) as { error: string }).error).toMatch(
      /expected a fault/,
    );
  });
});

describe('SANDBOX_FAULTS', () => {
  it('sets faults at start', () => {
    expect(
      parseFaultSpecs('[{"provider":"hubspot","fault":"error","status":502}]'),
    ).toEqual([{ provider: 'hubspot', fault: 'error', status: 502, rate: 1 }]);
  });

  it('names the variable and what was expected when malformed', () => {
    expect(() => parseFaultSpecs('hubspot=error')).toThrow(
      /SANDBOX_FAULTS: expected a JSON array/,
    );
    expect(() =>
      parseFaultSpecs('[{"provider":"hubspot","fault":"error","status":200}]'),
    ).toThrow(/SANDBOX_FAULTS: 0\.status/);
  });
});
