import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, ProviderError } from '../lib/errors';
import {
  createHibobSandbox,
  hibobEmployeeId,
} from '../sandbox/providers/hibob';
import { ACME_SEED, OTHER_SEED, generateOrganization } from '../sandbox/seed';
import { RequestRecorder, sandboxCredentials } from '../sandbox/types';
import { HibobConnector } from '../subgraphs/hris/providers/hibob/connector';
import { HIBOB_FIELDS } from '../subgraphs/hris/providers/hibob/mapping';
import {
  rejection,
  sandboxAccount,
  sandboxDeps,
  useSandboxServer,
} from './support/connectors';

const acme = generateOrganization(ACME_SEED);
const other = generateOrganization(OTHER_SEED);
const recorder = new RequestRecorder();

const server = useSandboxServer(() => {
  const organizations = [
    { key: 'acme', data: acme },
    { key: 'other', data: other },
  ];
  return {
    '/hibob': createHibobSandbox({ organizations, recorder }),
    // One search a second: the second search of a second is throttled.
    '/hibob-throttled': createHibobSandbox(
      { organizations, recorder },
      { searchesPerWindow: 1, windowMs: 1_000 },
    ),
  };
});

beforeEach(() => {
  recorder.clear();
});

function connect(
  options: { credentials?: Record<string, string>; mount?: string } = {},
): HibobConnector {
  const account = sandboxAccount({
    id: 'la_hibob',
    category: 'hris',
    provider: 'hibob',
    baseUrl: `${server.origin}${options.mount ?? '/hibob'}`,
    credentials: options.credentials ?? sandboxCredentials.hibob('acme'),
  });
  return new HibobConnector(account, sandboxDeps(account));
}

interface SearchBody {
  fields: string[];
  filters: Array<{ fieldPath: string; operator: string; values: string[] }>;
  showInactive: boolean;
  humanReadable: string;
}

function searches(): SearchBody[] {
  return recorder
    .of('hibob')
    .filter((request) => request.path === '/v1/people/search')
    .map((request) => request.body as SearchBody);
}

describe('listing HiBob employees', () => {
  it('pages the one-call roster to the last page, one search per request', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      // A connector lives for one request, as in the subgraph.
      const page = await connect().listEmployees({ cursor, limit: 50 });
      ids.push(...page.items.map((employee) => employee.remoteId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);

    expect(pages).toBe(Math.ceil(acme.employees.length / 50));
    expect(ids).toEqual(acme.employees.map((e) => hibobEmployeeId(e.id)));
    const bodies = searches();
    expect(bodies).toHaveLength(pages);
    for (const body of bodies) {
      expect(body).toEqual({
        fields: HIBOB_FIELDS,
        filters: [],
        showInactive: true,
        humanReadable: 'APPEND',
      });
    }
  });

  it('includes terminated employees and maps the seeded values', async () => {
    const page = await connect().listEmployees({ cursor: null, limit: 100 });
    const inactive = acme.employees.find((e) => e.status === 'Inactive')!;
    const all = await connect().fetchEmployeesByIds([
      hibobEmployeeId(inactive.id),
    ]);
    expect(all[0]).toMatchObject({
      firstName: inactive.firstName,
      lastName: inactive.lastName,
      workEmail: inactive.workEmail,
      employmentStatus: 'INACTIVE',
      employmentStatusRaw: 'terminated',
      terminationDate: inactive.terminationDate,
      startDate: inactive.hireDate,
    });
    const [first] = page.items;
    const seeded = acme.employees[0]!;
    expect(first).toMatchObject({
      remoteId: hibobEmployeeId(seeded.id),
      workEmail: seeded.workEmail,
      jobTitle: seeded.jobTitle,
      personalEmail: seeded.personalEmail,
      dateOfBirth: seeded.dateOfBirth,
    });
  });

  it('returns only the requested fields (field selection reaches Bob)', async () => {
    const page = await connect().listEmployees({ cursor: null, limit: 1 });
    const record = page.items[0]!.remoteData as Record<string, unknown>;
    // `/root/fullName` is in Bob's default set but not asked for.
    expect(record).not.toHaveProperty('fullName');
    expect(record).toHaveProperty('humanReadable');
  });
});

describe('HiBob field selection', () => {
  it('asks Bob for the paths of the selected fields and the id, and leaves the rest null', async () => {
    const page = await connect().listEmployees({
      cursor: null,
      limit: 3,
      fields: new Set(['displayName', 'team']),
    });
    expect(searches()[0]?.fields.sort()).toEqual([
      '/root/displayName',
      '/root/firstName',
      '/root/id',
      '/root/surname',
      '/work/department',
    ]);
    const seed = acme.employees[0]!;
    expect(page.items[0]).toMatchObject({
      remoteId: hibobEmployeeId(seed.id),
      displayName: expect.any(String),
      teamRemoteId: expect.any(String),
      workEmail: null,
      dateOfBirth: null,
    });
  });

  it('adds the work email an email lookup matches on', async () => {
    const seed = acme.employees[4]!;
    const [employee] = await connect().fetchEmployeesByWorkEmails(
      [seed.workEmail],
      { fields: new Set(['jobTitle']) },
    );
    expect(employee).toMatchObject({
      jobTitle: seed.jobTitle,
      personalEmail: null,
    });
    expect(searches()[0]?.fields.sort()).toEqual([
      '/root/email',
      '/root/id',
      '/work/title',
    ]);
  });

  it('answers a lookup from a roster this request read with the fields it needs', async () => {
    const connector = connect();
    await connector.listEmployees({
      cursor: null,
      limit: 5,
      fields: new Set(['workEmail', 'firstName']),
    });
    const seed = acme.employees[7]!;
    const [found] = await connector.fetchEmployeesByWorkEmails(
      [seed.workEmail],
      { fields: new Set(['firstName']) },
    );
    expect(found?.firstName).toBe(seed.firstName);
    // Needs a field the roster lacks: a search of its own.
    await connector.fetchEmployeesByWorkEmails([seed.workEmail], {
      fields: new Set(['startDate']),
    });
    expect(searches().map((body) => body.filters)).toEqual([
      [],
      [
        expect.objectContaining({
          fieldPath: 'root.email',
          values: [seed.workEmail],
        }),
      ],
    ]);
  });
});

describe('HiBob lookups', () => {
  it('reads ids through the root.id filter in chunks of 100, in key order', async () => {
    const wanted = acme.employees
      .slice(0, 250)
      .map((e) => hibobEmployeeId(e.id));
    const employees = await connect().fetchEmployeesByIds([...wanted, '999']);

    expect(employees.slice(0, 250).map((e) => e?.remoteId)).toEqual(wanted);
    expect(employees[250]).toBeNull();
    const bodies = searches();
    expect(bodies.map((body) => body.filters[0]?.values.length)).toEqual([
      100, 100, 51,
    ]);
    expect(bodies[0]?.filters[0]).toMatchObject({
      fieldPath: 'root.id',
      operator: 'equals',
    });
  });

  it('finds employees by work email in one root.email search, case-insensitively', async () => {
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
    expect(searches()).toHaveLength(1);
    expect(searches()[0]?.filters[0]?.fieldPath).toBe('root.email');
  });

  it('serves the other organization its own people for the same ids', async () => {
    const id = hibobEmployeeId(other.employees[0]!.id);
    const [employee] = await connect({
      credentials: sandboxCredentials.hibob('other'),
    }).fetchEmployeesByIds([id]);
    expect(employee?.workEmail).toBe(other.employees[0]!.workEmail);
  });
});

describe('HiBob filters', () => {
  it('refuses modifiedAfter with BAD_USER_INPUT, since Bob has no modification time', async () => {
    const error = await rejection(
      connect().listEmployees({
        cursor: null,
        limit: 5,
        modifiedAfter: new Date('2026-10-01T00:00:00Z'),
      }),
    );
    expect(error).toMatchObject({
      extensions: { code: ErrorCode.BAD_USER_INPUT, provider: 'hibob' },
    });
    expect(searches()).toHaveLength(0);
  });

  it('hands a caller that filters after fetching the rest of the roster at once', async () => {
    const page = await connect().listEmployees({
      cursor: 'offset:10',
      limit: 5,
      employmentStatus: 'INACTIVE',
    });
    expect(page.items).toHaveLength(acme.employees.length - 10);
    expect(page.nextCursor).toBeNull();
  });
});

describe('HiBob failures', () => {
  it('answers a rejected service user with RELINK_NEEDED', async () => {
    const error = await rejection(
      connect({
        credentials: { serviceUserId: 'SERVICE-X', token: 'wrong' },
      }).listEmployees({ cursor: null, limit: 5 }),
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe(ErrorCode.RELINK_NEEDED);
  });

  it('refuses credentials without a service user id as RELINK_NEEDED', () => {
    expect(() => connect({ credentials: { token: 'x' } })).toThrow(
      expect.objectContaining({ code: ErrorCode.RELINK_NEEDED }),
    );
  });

  it('waits for X-RateLimit-Reset after a 429 and retries', async () => {
    const connector = () => connect({ mount: '/hibob-throttled' });
    await connector().fetchEmployeesByIds([hibobEmployeeId('101')]);
    const [employee] = await connector().fetchEmployeesByIds([
      hibobEmployeeId('102'),
    ]);

    expect(employee?.remoteId).toBe(hibobEmployeeId('102'));
    // One admitted, one throttled, one retried after the reset.
    expect(searches()).toHaveLength(3);
  });
});
