import { describe, expect, it } from 'vitest';
import {
  bambooDate,
  bambooTimestamp,
  changedEmployeesResponseSchema,
  changedEntries,
  compensationRowSchema,
  employeeFieldsFor,
  employmentStatusRowSchema,
  jobInfoRowSchema,
  listEmployeeSchema,
  mapCompany,
  mapEmployee,
  mapEmploymentStatus,
  mapEmploymentType,
  mapEmployments,
  mapLocations,
  mapPayPeriod,
  mapTeams,
  metaListsResponseSchema,
  parsePayRate,
  parseTeamRemoteId,
} from '../subgraphs/hris/providers/bamboohr/mapping';

// Payloads below copy the shapes of BambooHR's documented examples
// (documentation.bamboohr.com: List Employees, Get Employee Table Data, Get
// Changed Employee IDs, Get details for list fields, Get Company
// Information), with our own values.

const listRecord = listEmployeeSchema.parse({
  employeeId: '123',
  firstName: 'Margaret',
  lastName: 'Okafor',
  preferredName: 'Maggie',
  photoUrl: 'https://images.bamboohr.example/photos/123.jpg',
  jobTitleName: 'Support Lead',
  status: 'Active',
  workEmail: 'margaret.okafor@acme.example',
  homeEmail: 'maggie@mail.example',
  mobilePhone: '+1-555-201-3344',
  employeeNumber: '23',
  hireDate: '2021-03-15',
  terminationDate: '0000-00-00',
  birthDate: '1988-07-02',
  gender: 'Female',
  maritalStatus: 'Married',
  departmentId: '18007',
  divisionId: '18102',
  locationId: '18203',
  reportsToId: '101',
});

describe('mapEmployee', () => {
  it('maps a List Employees record onto the common model', () => {
    const employee = mapEmployee(listRecord, {
      companyDomain: 'acme',
      lastChanged: '2026-10-25T18:21:59+00:00',
    });
    expect(employee).toEqual({
      remoteId: '123',
      employeeNumber: '23',
      firstName: 'Margaret',
      lastName: 'Okafor',
      displayName: 'Maggie Okafor',
      workEmail: 'margaret.okafor@acme.example',
      personalEmail: 'maggie@mail.example',
      mobilePhone: '+1-555-201-3344',
      employmentStatus: 'ACTIVE',
      employmentStatusRaw: 'Active',
      jobTitle: 'Support Lead',
      managerRemoteId: '101',
      teamRemoteId: 'department:18007',
      workLocationRemoteId: '18203',
      companyRemoteId: 'acme',
      startDate: '2021-03-15',
      terminationDate: null,
      dateOfBirth: '1988-07-02',
      gender: 'FEMALE',
      genderRaw: 'Female',
      maritalStatus: 'Married',
      createdAt: null,
      modifiedAt: '2026-10-25T18:21:59.000Z',
      remoteData: listRecord,
    });
  });

  it('uses the first name in the display name when there is no preferred name', () => {
    const employee = mapEmployee(
      listEmployeeSchema.parse({ ...listRecord, preferredName: null }),
      { companyDomain: 'acme' },
    );
    expect(employee.displayName).toBe('Margaret Okafor');
    expect(employee.modifiedAt).toBeNull();
  });

  it('keeps an unmapped status raw and leaves the enum null', () => {
    const employee = mapEmployee(
      listEmployeeSchema.parse({ ...listRecord, status: 'On Leave' }),
      { companyDomain: 'acme' },
    );
    expect(employee.employmentStatus).toBeNull();
    expect(employee.employmentStatusRaw).toBe('On Leave');
  });

  it('reads numeric ids and empty strings the way BambooHR may send them', () => {
    const employee = mapEmployee(
      listEmployeeSchema.parse({
        ...listRecord,
        employeeId: 123,
        reportsToId: null,
        departmentId: null,
        workEmail: '',
      }),
      { companyDomain: 'acme' },
    );
    expect(employee.remoteId).toBe('123');
    expect(employee.managerRemoteId).toBeNull();
    expect(employee.teamRemoteId).toBeNull();
    expect(employee.workEmail).toBeNull();
  });
});

describe('employeeFieldsFor', () => {
  it('names the optional fields of the selected Employee fields, once each', () => {
    expect(
      employeeFieldsFor(
        new Set(['workEmail', 'gender', 'genderRaw', 'manager', 'firstName']),
      ),
    ).toEqual(['workEmail', 'reportsToId', 'gender']);
  });

  it('names none for fields List Employees always returns or other calls read', () => {
    expect(
      employeeFieldsFor(
        new Set([
          'id',
          'remoteId',
          'displayName',
          'jobTitle',
          'employmentStatusRaw',
          'company',
          'employments',
          'modifiedAt',
        ]),
      ),
    ).toEqual([]);
  });

  it('names every field for remoteData or an unknown selection', () => {
    expect(employeeFieldsFor(new Set(['remoteData']))).toEqual(
      employeeFieldsFor(),
    );
    expect(employeeFieldsFor()).toHaveLength(13);
  });
});

describe('enums', () => {
  it('maps Active and Inactive, whatever their case', () => {
    expect(mapEmploymentStatus('Active')).toBe('ACTIVE');
    expect(mapEmploymentStatus('inactive')).toBe('INACTIVE');
    expect(mapEmploymentStatus('Terminated')).toBeNull();
    expect(mapEmploymentStatus(null)).toBeNull();
  });

  it('maps employment statuses to employment types and leaves the rest unmapped', () => {
    expect(mapEmploymentType('Full-Time')).toBe('FULL_TIME');
    expect(mapEmploymentType('Part-Time')).toBe('PART_TIME');
    expect(mapEmploymentType('part time')).toBe('PART_TIME');
    expect(mapEmploymentType('Contractor')).toBe('CONTRACTOR');
    expect(mapEmploymentType('Intern')).toBe('INTERN');
    expect(mapEmploymentType('Freelance')).toBe('FREELANCE');
    expect(mapEmploymentType('Terminated')).toBeNull();
    expect(mapEmploymentType('Seasonal')).toBeNull();
  });

  it('maps paidPer values and leaves Pay Period and Piece unmapped', () => {
    expect(mapPayPeriod('Year')).toBe('YEAR');
    expect(mapPayPeriod('Hour')).toBe('HOUR');
    expect(mapPayPeriod('Month')).toBe('MONTH');
    expect(mapPayPeriod('Quarter')).toBe('QUARTER');
    expect(mapPayPeriod('Pay Period')).toBeNull();
    expect(mapPayPeriod('Piece')).toBeNull();
  });
});

describe('scalars', () => {
  it('reads 0000-00-00 and empty dates as null', () => {
    expect(bambooDate('0000-00-00')).toBeNull();
    expect(bambooDate('')).toBeNull();
    expect(bambooDate(null)).toBeNull();
    expect(bambooDate('2024-02-29')).toBe('2024-02-29');
  });

  it('turns BambooHR timestamps with offsets into UTC instants', () => {
    expect(bambooTimestamp('2011-08-29T17:38:17-06:00')).toBe(
      '2011-08-29T23:38:17.000Z',
    );
    expect(bambooTimestamp('not a time')).toBeNull();
  });

  it('parses pay rates as table objects and as "amount currency" strings', () => {
    expect(parsePayRate({ currency: 'USD', value: '160000.00' })).toEqual({
      amount: 160000,
      currency: 'USD',
    });
    expect(parsePayRate('160000.00 USD')).toEqual({
      amount: 160000,
      currency: 'USD',
    });
    expect(parsePayRate('45.50')).toEqual({ amount: 45.5, currency: null });
    expect(parsePayRate('')).toEqual({ amount: null, currency: null });
    expect(parsePayRate(null)).toEqual({ amount: null, currency: null });
  });
});

describe('mapEmployments', () => {
  const tables = {
    jobInfo: [
      {
        id: '1021',
        employeeId: '123',
        date: '2021-03-15',
        location: 'London, UK',
        department: 'Support',
        division: 'Customer',
        jobTitle: 'Support Specialist',
        reportsTo: 'Nora Fischer',
      },
      {
        id: '1022',
        employeeId: '123',
        date: '2023-01-01',
        location: 'London, UK',
        department: 'Support',
        division: 'Customer',
        jobTitle: 'Support Lead',
        reportsTo: 'Nora Fischer',
      },
    ].map((row) => jobInfoRowSchema.parse(row)),
    employmentStatus: [
      {
        id: '1031',
        employeeId: '123',
        date: '2021-03-15',
        employmentStatus: 'Part-Time',
      },
      {
        id: '1032',
        employeeId: '123',
        date: '2022-06-01',
        employmentStatus: 'Full-Time',
      },
    ].map((row) => employmentStatusRowSchema.parse(row)),
    compensation: [
      {
        id: '1051',
        employeeId: '123',
        startDate: '2021-03-15',
        rate: { currency: 'GBP', value: '30.00' },
        type: 'Hourly',
        exempt: 'Non-exempt',
        reason: '',
        comment: '',
        paidPer: 'Hour',
        paySchedule: 'Twice a month',
      },
      {
        id: '1052',
        employeeId: '123',
        startDate: '2023-01-01',
        rate: { currency: 'GBP', value: '72000.00' },
        type: 'Salary',
        exempt: 'Exempt',
        reason: 'Promotion',
        comment: '',
        paidPer: 'Year',
        paySchedule: 'Twice a month',
      },
    ].map((row) => compensationRowSchema.parse(row)),
  };

  it('makes one employment per compensation row, newest first, with the job and status then in effect', () => {
    const employments = mapEmployments('123', tables);
    expect(
      employments.map(({ remoteData: _remoteData, ...rest }) => rest),
    ).toEqual([
      {
        remoteId: '1052',
        employeeRemoteId: '123',
        jobTitle: 'Support Lead',
        payRate: 72000,
        payCurrency: 'GBP',
        payPeriod: 'YEAR',
        payPeriodRaw: 'Year',
        employmentType: 'FULL_TIME',
        employmentTypeRaw: 'Full-Time',
        effectiveDate: '2023-01-01',
        createdAt: null,
        modifiedAt: null,
      },
      {
        remoteId: '1051',
        employeeRemoteId: '123',
        jobTitle: 'Support Specialist',
        payRate: 30,
        payCurrency: 'GBP',
        payPeriod: 'HOUR',
        payPeriodRaw: 'Hour',
        employmentType: 'PART_TIME',
        employmentTypeRaw: 'Part-Time',
        effectiveDate: '2021-03-15',
        createdAt: null,
        modifiedAt: null,
      },
    ]);
    expect(employments[0]?.remoteData).toEqual({
      compensation: tables.compensation[1],
      jobInfo: tables.jobInfo[1],
      employmentStatus: tables.employmentStatus[1],
    });
  });

  it('returns no employments for an employee without compensation rows', () => {
    expect(mapEmployments('123', { ...tables, compensation: [] })).toEqual([]);
  });
});

describe('list fields', () => {
  const lists = metaListsResponseSchema.parse([
    {
      fieldId: 4,
      alias: 'department',
      manageable: 'yes',
      multiple: 'no',
      name: 'Department',
      options: [
        {
          id: 18002,
          archived: 'no',
          createdDate: '2016-12-08T17:41:56+00:00',
          archivedDate: null,
          name: 'Support',
        },
        {
          id: 18001,
          archived: 'no',
          createdDate: '2016-12-08T17:41:56+00:00',
          archivedDate: null,
          name: 'Engineering',
        },
      ],
    },
    {
      fieldId: 5,
      alias: 'division',
      manageable: 'yes',
      multiple: 'no',
      name: 'Division',
      options: [
        {
          id: 18101,
          archived: 'no',
          createdDate: null,
          archivedDate: null,
          name: 'Customer',
        },
      ],
    },
    {
      fieldId: 6,
      alias: 'location',
      manageable: 'yes',
      multiple: 'no',
      name: 'Location',
      options: [
        {
          id: 18201,
          archived: 'no',
          createdDate: '2016-12-08T17:41:56+00:00',
          archivedDate: null,
          name: 'London, UK',
        },
      ],
    },
  ]);

  it('makes teams of departments, then divisions, in option id order', () => {
    const teams = mapTeams(lists);
    expect(teams.map((team) => [team.remoteId, team.name])).toEqual([
      ['department:18001', 'Engineering'],
      ['department:18002', 'Support'],
      ['division:18101', 'Customer'],
    ]);
    expect(teams[0]?.createdAt).toBe('2016-12-08T17:41:56.000Z');
    expect(parseTeamRemoteId('division:18101')).toEqual({
      list: 'division',
      optionId: '18101',
    });
    expect(parseTeamRemoteId('18101')).toBeNull();
  });

  it('makes work locations of the location options', () => {
    expect(mapLocations(lists)).toEqual([
      expect.objectContaining({
        remoteId: '18201',
        name: 'London, UK',
        locationType: 'WORK',
        street1: null,
        country: null,
      }),
    ]);
  });
});

describe('account-level records', () => {
  it('makes the company of Get Company Information, keyed by the company domain', () => {
    expect(
      mapCompany(
        { legalName: 'Acme Corporation Inc.', displayName: 'Acme Corporation' },
        'acme',
      ),
    ).toEqual({
      remoteId: 'acme',
      legalName: 'Acme Corporation Inc.',
      displayName: 'Acme Corporation',
      eins: [],
      createdAt: null,
      modifiedAt: null,
      remoteData: {
        legalName: 'Acme Corporation Inc.',
        displayName: 'Acme Corporation',
      },
    });
  });

  it('reads changed employees from a map and from the empty [] PHP sends', () => {
    const changed = changedEmployeesResponseSchema.parse({
      latest: '2011-08-29T17:38:17+00:00',
      employees: {
        '1': {
          id: '1',
          action: 'Inserted',
          lastChanged: '2011-08-29T17:38:17+00:00',
        },
      },
    });
    expect(changedEntries(changed)).toEqual([
      { id: '1', action: 'Inserted', lastChanged: '2011-08-29T17:38:17+00:00' },
    ]);
    expect(
      changedEntries(
        changedEmployeesResponseSchema.parse({ latest: null, employees: [] }),
      ),
    ).toEqual([]);
  });
});
