import { describe, expect, it } from 'vitest';
import {
  hibobLocations,
  hibobTeams,
  hibobTimestamp,
  mapHibobEmployee,
  mapHibobEmploymentStatus,
  peopleSearchResponseSchema,
} from '../subgraphs/hris/providers/hibob/mapping';

// Shaped as Bob's "Search for employees" machine-format answer with
// `humanReadable: "APPEND"` (apidocs.hibob.com, People read API contract).
const searchAnswer = {
  employees: [
    {
      id: '3332883884017713238',
      firstName: 'Alan',
      surname: 'Tullin',
      displayName: 'Al Tullin',
      email: 'alan.tullin@example.com',
      creationDateTime: '2022-09-16T07:47:44.938494',
      work: {
        title: 'Account Receivables Lead',
        reportsTo: {
          id: '3332883884017713001',
          email: 'jane.smith@example.com',
          firstName: 'Jane',
          surname: 'Smith',
          displayName: 'Jane Smith',
        },
        department: '209192163',
        site: 'London',
        siteId: 1002,
        startDate: '2019-09-08',
        employeeIdInCompany: 42,
      },
      internal: {
        status: 'Active',
        lifecycleStatus: 'employed',
        terminationDate: null,
      },
      home: {
        privateEmail: 'alan@mail.example',
        mobilePhone: '+44 7700 900123',
      },
      personal: { birthDate: '1988-03-14' },
      humanReadable: {
        work: { department: 'Account Receivables', site: 'London' },
      },
    },
    {
      id: '3332883884017713001',
      firstName: 'Jane',
      surname: 'Smith',
      email: 'jane.smith@example.com',
      work: { department: '209192100', siteId: '1001', site: 'Berlin' },
      internal: { status: 'Inactive', terminationDate: '2024-01-31' },
      humanReadable: { work: { department: 'Finance' } },
    },
  ],
};

describe('HiBob employees', () => {
  const { employees } = peopleSearchResponseSchema.parse(searchAnswer);

  it('maps a machine-format search record onto the common model', () => {
    expect(mapHibobEmployee(employees[0]!)).toMatchObject({
      remoteId: '3332883884017713238',
      employeeNumber: '42',
      firstName: 'Alan',
      lastName: 'Tullin',
      displayName: 'Al Tullin',
      workEmail: 'alan.tullin@example.com',
      personalEmail: 'alan@mail.example',
      mobilePhone: '+44 7700 900123',
      employmentStatus: 'ACTIVE',
      employmentStatusRaw: 'employed',
      jobTitle: 'Account Receivables Lead',
      managerRemoteId: '3332883884017713001',
      teamRemoteId: '209192163',
      workLocationRemoteId: '1002',
      startDate: '2019-09-08',
      terminationDate: null,
      dateOfBirth: '1988-03-14',
      createdAt: '2022-09-16T07:47:44.938Z',
      modifiedAt: null,
    });
  });

  it('keeps fields the service user may not read as null, and falls back to internal.status', () => {
    expect(mapHibobEmployee(employees[1]!)).toMatchObject({
      displayName: 'Jane Smith',
      personalEmail: null,
      managerRemoteId: null,
      employmentStatus: 'INACTIVE',
      employmentStatusRaw: 'Inactive',
      terminationDate: '2024-01-31',
      createdAt: null,
    });
  });

  it('names teams from the humanReadable node and locations from the site, in id order', () => {
    expect(hibobTeams(employees).map((t) => [t.remoteId, t.name])).toEqual([
      ['209192100', 'Finance'],
      ['209192163', 'Account Receivables'],
    ]);
    expect(hibobLocations(employees).map((l) => [l.remoteId, l.name])).toEqual([
      ['1001', 'Berlin'],
      ['1002', 'London'],
    ]);
  });

  it('reads an offset-less creationDateTime as UTC', () => {
    expect(hibobTimestamp('2022-09-16T23:30:00.5')).toBe(
      '2022-09-16T23:30:00.500Z',
    );
    expect(hibobTimestamp('2022-09-16T23:30:00+02:00')).toBe(
      '2022-09-16T21:30:00.000Z',
    );
    expect(hibobTimestamp('')).toBeNull();
  });
});

describe('HiBob employment status', () => {
  it.each([
    ['employed', null, 'ACTIVE'],
    ['Garden leave', null, 'ACTIVE'],
    ['leave', 'Active', 'ACTIVE'],
    ['hired', 'Active', 'PENDING'],
    ['terminated', 'Inactive', 'INACTIVE'],
    [null, 'Active', 'ACTIVE'],
    [null, 'Inactive', 'INACTIVE'],
  ])('maps lifecycle %s / status %s to %s', (lifecycle, status, expected) => {
    expect(mapHibobEmploymentStatus(lifecycle, status).status).toBe(expected);
  });

  it('leaves an unknown value unmapped with its raw value kept', () => {
    expect(mapHibobEmploymentStatus('sabbatical', 'Active')).toEqual({
      status: null,
      raw: 'sabbatical',
    });
    expect(mapHibobEmploymentStatus(null, 'Suspended')).toEqual({
      status: null,
      raw: 'Suspended',
    });
  });
});
