import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, ProviderError } from '../lib/errors';
import {
  createPersonioSandbox,
  personioEmployeeId,
  personioStatus,
} from '../sandbox/providers/personio';
import { ACME_SEED, generateOrganization } from '../sandbox/seed';
import { RequestRecorder, sandboxCredentials } from '../sandbox/types';
import { PersonioConnector } from '../subgraphs/hris/providers/personio/connector';
import { PERSONIO_ATTRIBUTES } from '../subgraphs/hris/providers/personio/mapping';
import { AccessTokenCache } from '../subgraphs/hris/providers/personio/token';
import {
  rejection,
  sandboxAccount,
  sandboxDeps,
  useSandboxServer,
} from './support/connectors';

const acme = generateOrganization(ACME_SEED);
const recorder = new RequestRecorder();

const server = useSandboxServer(() => {
  const organizations = [{ key: 'acme', data: acme }];
  return {
    // Rate limiting has its own mount below; here it would only add retries.
    '/personio': createPersonioSandbox(
      { organizations, recorder },
      { burst: 10_000 },
    ),
    // A bucket of one, refilled once a second: back-to-back listings throttle.
    '/personio-throttled': createPersonioSandbox(
      { organizations, recorder },
      { burst: 1, perSecond: 1 },
    ),
  };
});

beforeEach(() => {
  recorder.clear();
});

function connect(
  options: {
    credentials?: Record<string, string>;
    mount?: string;
    tokens?: AccessTokenCache;
    accountId?: string;
  } = {},
): PersonioConnector {
  const account = sandboxAccount({
    id: options.accountId ?? 'la_personio',
    category: 'hris',
    provider: 'personio',
    baseUrl: `${server.origin}${options.mount ?? '/personio'}`,
    credentials: options.credentials ?? sandboxCredentials.personio('acme'),
  });
  return new PersonioConnector(account, sandboxDeps(account), {
    tokens: options.tokens ?? new AccessTokenCache(),
  });
}

function calls(path?: string) {
  return recorder
    .of('personio')
    .filter((request) => path === undefined || request.path === path);
}

const ids = acme.employees.map((e) => String(personioEmployeeId(e.id)));

describe('listing Personio employees', () => {
  it('follows offset pages to the last page with one token for every request', async () => {
    const tokens = new AccessTokenCache();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await connect({ tokens }).listEmployees({
        cursor,
        limit: 50,
      });
      seen.push(...page.items.map((employee) => employee.remoteId));
      cursor = page.nextCursor;
    } while (cursor !== null);

    expect(seen).toEqual(ids);
    const listings = calls('/v1/company/employees');
    expect(listings.map((request) => request.query.offset)).toEqual([
      '0',
      '50',
      '100',
      '150',
      '200',
      '250',
    ]);
    expect(listings[0]?.query['attributes[]']).toEqual(PERSONIO_ATTRIBUTES);
    expect(calls('/v2/auth/token')).toHaveLength(1);
  });

  it('clamps a page to the documented 100', async () => {
    const page = await connect().listEmployees({ cursor: null, limit: 500 });
    expect(page.items).toHaveLength(100);
    expect(calls('/v1/company/employees')[0]?.query.limit).toBe('100');
  });

  it('maps every status, onboarding and leave included, keeping the raw value', async () => {
    const tokens = new AccessTokenCache();
    const employees = await connect({ tokens }).fetchEmployeesByIds(ids);
    const expected = {
      active: 'ACTIVE',
      leave: 'ACTIVE',
      onboarding: 'PENDING',
      inactive: 'INACTIVE',
    };
    acme.employees.forEach((seed, index) => {
      const raw = personioStatus(seed);
      expect(employees[index]).toMatchObject({
        workEmail: seed.workEmail,
        employmentStatusRaw: raw,
        employmentStatus: expected[raw],
        startDate: seed.hireDate,
      });
    });
    expect(new Set(acme.employees.map(personioStatus)).size).toBe(4);
  });

  it('sends modifiedAfter as updated_since in UTC and pages the answer here', async () => {
    const since = new Date('2026-10-15T00:00:00.000Z');
    const expected = acme.employees
      .filter((e) => Date.parse(e.modifiedAt) >= since.getTime())
      .map((e) => String(personioEmployeeId(e.id)));
    const connector = connect();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await connector.listEmployees({
        cursor,
        limit: 20,
        modifiedAfter: since,
      });
      seen.push(...page.items.map((e) => e.remoteId));
      cursor = page.nextCursor;
    } while (cursor !== null);

    expect(expected.length).toBeGreaterThan(20);
    expect(seen).toEqual(expected);
    const listings = calls('/v1/company/employees');
    expect(listings).toHaveLength(1);
    expect(listings[0]?.query.updated_since).toBe('2026-10-15T00:00:00');
    expect(listings[0]?.query).not.toHaveProperty('offset');
  });

  it('pushes a work email filter down as email', async () => {
    const seed = acme.employees[3]!;
    const page = await connect().listEmployees({
      cursor: null,
      limit: 10,
      workEmail: seed.workEmail,
    });
    expect(page.items.map((e) => e.workEmail)).toEqual([seed.workEmail]);
    expect(calls('/v1/company/employees')[0]?.query.email).toBe(seed.workEmail);
  });
});

describe('Personio lookups', () => {
  it('reads a few ids with Get Employee each, in key order, null for unknown', async () => {
    const wanted = [ids[5]!, '1', ids[0]!];
    const employees = await connect().fetchEmployeesByIds(wanted);
    expect(employees.map((e) => e?.remoteId ?? null)).toEqual([
      ids[5],
      null,
      ids[0],
    ]);
    expect(
      calls()
        .filter((r) => r.path.startsWith('/v1/company/employees/'))
        .map((r) => r.path)
        .sort(),
    ).toEqual(
      [
        `/v1/company/employees/${ids[0]}`,
        '/v1/company/employees/1',
        `/v1/company/employees/${ids[5]}`,
      ].sort(),
    );
  });

  it('reads the roster instead of one call per id for a large batch', async () => {
    const employees = await connect().fetchEmployeesByIds(ids.slice(0, 40));
    expect(employees.every((e) => e !== null)).toBe(true);
    expect(calls('/v1/company/employees')).toHaveLength(3);
    expect(
      calls().filter((r) => r.path.startsWith('/v1/company/employees/')),
    ).toHaveLength(0);
  });

  it('finds employees by work email with the email filter', async () => {
    const [a, b] = acme.employees;
    const employees = await connect().fetchEmployeesByWorkEmails([
      a!.workEmail.toUpperCase(),
      'nobody@acme.example',
      b!.workEmail,
    ]);
    expect(employees.map((e) => e?.workEmail ?? null)).toEqual([
      a!.workEmail,
      null,
      b!.workEmail,
    ]);
    expect(
      calls('/v1/company/employees')
        .map((r) => r.query.email)
        .sort(),
    ).toEqual(
      [a!.workEmail, 'nobody@acme.example', b!.workEmail]
        .map((email) => email.toLowerCase())
        .sort(),
    );
  });
});

describe('Personio field selection', () => {
  /** The `attributes[]` of the requests to `path`, each sorted. */
  function attributesOf(path: string): string[][] {
    return calls(path).map((request) =>
      [request.query['attributes[]'] ?? []].flat().map(String).sort(),
    );
  }

  it('names in attributes[] the id and what the selected fields map from', async () => {
    const page = await connect().listEmployees({
      cursor: null,
      limit: 5,
      fields: new Set(['firstName', 'employmentStatus']),
    });
    expect(attributesOf('/v1/company/employees')).toEqual([
      ['first_name', 'id', 'status'],
    ]);
    expect(page.items[0]).toMatchObject({
      remoteId: ids[0],
      firstName: acme.employees[0]!.firstName,
      workEmail: null,
      startDate: null,
    });
  });

  it('maps gender when it is selected', async () => {
    const seed = acme.employees.find((e) => e.gender === 'Female')!;
    const [employee] = await connect().fetchEmployeesByIds(
      [String(personioEmployeeId(seed.id))],
      { fields: new Set(['gender', 'genderRaw']) },
    );
    expect(employee).toMatchObject({ gender: 'FEMALE', genderRaw: 'female' });
  });

  it('reads an employee selected with its employments once, for both', async () => {
    const connector = connect();
    const id = ids[3]!;
    const [employee] = await connector.fetchEmployeesByIds([id], {
      fields: new Set(['firstName', 'employments']),
    });
    const [employments] = await connector.fetchEmploymentsByEmployeeIds([id]);
    expect(employee?.firstName).toBe(acme.employees[3]!.firstName);
    expect(employments).toHaveLength(1);
    expect(employments![0]?.payCurrency).toBe(acme.employees[3]!.payCurrency);
    expect(attributesOf(`/v1/company/employees/${id}`)).toHaveLength(1);
  });
});

describe('the Personio access token', () => {
  it('is reused until shortly before expiry, then refreshed', async () => {
    let clock = Date.now();
    const tokens = new AccessTokenCache({
      refreshBeforeMs: 60_000,
      now: () => clock,
    });
    await connect({ tokens }).fetchEmployeesByIds([ids[0]!]);
    await connect({ tokens }).fetchEmployeesByIds([ids[1]!]);
    expect(calls('/v2/auth/token')).toHaveLength(1);

    // 30 s before the 24 h expiry: inside the refresh margin.
    clock += 86_400_000 - 30_000;
    await connect({ tokens }).fetchEmployeesByIds([ids[2]!]);
    expect(calls('/v2/auth/token')).toHaveLength(2);
    expect(calls('/v2/auth/token')[0]?.body).toEqual({
      grant_type: 'client_credentials',
      client_id: sandboxCredentials.personio('acme').clientId,
      client_secret: '[redacted]',
    });
  });

  it('is requested once for 10 concurrent requests', async () => {
    const tokens = new AccessTokenCache();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        connect({ tokens }).fetchEmployeesByIds([ids[index]!]),
      ),
    );
    expect(results.map(([e]) => e?.remoteId)).toEqual(ids.slice(0, 10));
    expect(calls('/v2/auth/token')).toHaveLength(1);
  });

  it('is replaced once after Personio revokes it early', async () => {
    const tokens = new AccessTokenCache();
    await connect({ tokens }).fetchEmployeesByIds([ids[0]!]);
    const [issued] = calls('/v2/auth/token');
    expect(issued).toBeDefined();
    // Learn the token the way the sandbox handed it out, then revoke it.
    const answer = await fetch(`${server.origin}/personio/v2/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sandboxCredentials.personio('acme').clientId,
        client_secret: sandboxCredentials.personio('acme').clientSecret,
      }),
    });
    const { access_token: token } = (await answer.json()) as {
      access_token: string;
    };
    await fetch(`${server.origin}/personio/v2/auth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    recorder.clear();

    const [employee] = await connect({ tokens }).fetchEmployeesByIds([ids[1]!]);
    expect(employee?.remoteId).toBe(ids[1]);
    expect(calls().map((r) => r.path)).toEqual([
      `/v1/company/employees/${ids[1]}`,
      '/v2/auth/token',
      `/v1/company/employees/${ids[1]}`,
    ]);
  });

  it('answers rejected client credentials with RELINK_NEEDED', async () => {
    const error = await rejection(
      connect({
        credentials: { clientId: 'papi-sandbox-acme', clientSecret: 'wrong' },
      }).listEmployees({ cursor: null, limit: 5 }),
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe(ErrorCode.RELINK_NEEDED);
    expect(calls('/v1/company/employees')).toHaveLength(0);
  });

  it('refuses credentials without a client secret as RELINK_NEEDED', () => {
    expect(() => connect({ credentials: { clientId: 'x' } })).toThrow(
      expect.objectContaining({ code: ErrorCode.RELINK_NEEDED }),
    );
  });
});

describe('Personio rate limits', () => {
  it('retries a 429 after Personio’s one-second pause', async () => {
    const tokens = new AccessTokenCache();
    const connector = connect({ mount: '/personio-throttled', tokens });
    await connector.listEmployees({ cursor: null, limit: 10 });
    const page = await connector.listEmployees({
      cursor: 'offset:10',
      limit: 10,
    });

    expect(page.items.map((e) => e.remoteId)).toEqual(ids.slice(10, 20));
    // Admitted, throttled, retried.
    expect(calls('/v1/company/employees')).toHaveLength(3);
  });
});
