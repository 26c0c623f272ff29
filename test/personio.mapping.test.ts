import { describe, expect, it } from 'vitest';
import {
  listEmployeesResponseSchema,
  mapPersonioEmployee,
  mapPersonioEmployment,
  mapPersonioEmploymentStatus,
  mapPersonioEmploymentType,
  mapPersonioPayPeriod,
  personioDate,
  personioLocations,
  personioTeams,
} from '../subgraphs/hris/providers/personio/mapping';

const attr = (
  universal: string | null,
  label: string,
  value: unknown,
  type = 'standard',
) => ({ label, value, type, universal_id: universal });

// Shaped as Personio's List Employees answer (developer.personio.de, GET
// /v1/company/employees; attribute objects as in the "Universal ID is now
// exposed" changelog), over two pages.
const pages = [
  {
    success: true,
    metadata: { total_elements: 3, current_page: 0, total_pages: 2 },
    offset: 0,
    limit: 2,
    data: [
      {
        type: 'Employee',
        attributes: {
          id: attr('id', 'ID', 420887, 'integer'),
          first_name: attr('first_name', 'First name', 'Lena'),
          last_name: attr('last_name', 'Last name', 'Fischer'),
          preferred_name: attr('preferred_name', 'Preferred name', ''),
          email: attr('email', 'Email', 'lena.fischer@initech.example'),
          status: attr('status', 'Status', 'onboarding'),
          position: attr('position', 'Position', 'Controller'),
          supervisor: attr('supervisor', 'Supervisor', {
            type: 'Employee',
            attributes: {
              id: attr('id', 'ID', 420101, 'integer'),
              first_name: attr('first_name', 'First name', 'Ava'),
            },
          }),
          department: attr('department', 'Department', {
            type: 'Department',
            attributes: { id: 81003, name: 'Finance' },
          }),
          office: attr('office', 'Office', {
            type: 'Office',
            attributes: { id: 61001, name: 'Berlin, Germany' },
          }),
          employment_type: attr('employment_type', 'Type', 'internal'),
          weekly_working_hours: attr('weekly_working_hours', 'Hours', '20'),
          hire_date: attr(
            'hire_date',
            'Hire date',
            '2021-04-01T00:00:00+02:00',
            'date',
          ),
          termination_date: attr(
            'termination_date',
            'Termination date',
            null,
            'date',
          ),
          fix_salary: attr('fix_salary', 'Fix salary', 4250, 'decimal'),
          fix_salary_interval: attr(
            'fix_salary_interval',
            'Interval',
            'monthly',
          ),
          hourly_salary: attr('hourly_salary', 'Hourly salary', 0, 'decimal'),
          currency: attr('currency', 'Currency', 'EUR'),
          created_at: attr(
            'created_at',
            'Created',
            '2021-03-01T09:00:00+01:00',
            'date',
          ),
          last_modified_at: attr(
            'last_modified_at',
            'Modified',
            '2026-10-25T18:21:59+02:00',
            'date',
          ),
          dynamic_153798: attr(null, 'IBAN', ''),
        },
      },
      {
        type: 'Employee',
        attributes: {
          id: attr('id', 'ID', 420888, 'integer'),
          first_name: attr('first_name', 'First name', 'Omar'),
          last_name: attr('last_name', 'Last name', 'Haddad'),
          email: attr('email', 'Email', 'omar.haddad@initech.example'),
          status: attr('status', 'Status', 'leave'),
          employment_type: attr('employment_type', 'Type', 'external'),
          hourly_salary: attr('hourly_salary', 'Hourly salary', 85, 'decimal'),
          fix_salary: attr('fix_salary', 'Fix salary', 0, 'decimal'),
          department: attr('department', 'Department', {
            type: 'Department',
            attributes: { id: 81001, name: 'Engineering' },
          }),
        },
      },
    ],
  },
  {
    success: true,
    metadata: { total_elements: 3, current_page: 1, total_pages: 2 },
    offset: 2,
    limit: 2,
    data: [
      {
        type: 'Employee',
        attributes: {
          id: attr('id', 'ID', 420889, 'integer'),
          first_name: attr('first_name', 'First name', 'Ivan'),
          status: attr('status', 'Status', 'inactive'),
          termination_date: attr(
            'termination_date',
            'Termination',
            '2024-02-29T00:00:00+01:00',
            'date',
          ),
          supervisor: attr('supervisor', 'Supervisor', null),
        },
      },
    ],
  },
];

const records = pages.flatMap(
  (page) => listEmployeesResponseSchema.parse(page).data,
);

describe('Personio employees', () => {
  it('maps attribute objects over two pages onto the common model', () => {
    const employees = records.map(mapPersonioEmployee);
    expect(employees.map((e) => e?.remoteId)).toEqual([
      '420887',
      '420888',
      '420889',
    ]);
    expect(employees[0]).toMatchObject({
      firstName: 'Lena',
      lastName: 'Fischer',
      displayName: 'Lena Fischer',
      workEmail: 'lena.fischer@initech.example',
      employmentStatus: 'PENDING',
      employmentStatusRaw: 'onboarding',
      jobTitle: 'Controller',
      managerRemoteId: '420101',
      teamRemoteId: '81003',
      workLocationRemoteId: '61001',
      startDate: '2021-04-01',
      terminationDate: null,
      createdAt: '2021-03-01T08:00:00.000Z',
      modifiedAt: '2026-10-25T16:21:59.000Z',
    });
    expect(employees[1]).toMatchObject({
      employmentStatus: 'ACTIVE',
      employmentStatusRaw: 'leave',
      managerRemoteId: null,
      jobTitle: null,
    });
    expect(employees[2]).toMatchObject({
      employmentStatus: 'INACTIVE',
      terminationDate: '2024-02-29',
      workEmail: null,
    });
  });

  it('keeps the calendar date of a local-midnight date, not its UTC day', () => {
    expect(personioDate('2021-04-01T00:00:00+02:00')).toBe('2021-04-01');
    expect(personioDate(null)).toBeNull();
  });

  it('maps pay and employment type onto the current employment', () => {
    expect(mapPersonioEmployment(records[0]!)).toMatchObject({
      remoteId: '420887',
      employeeRemoteId: '420887',
      payRate: 4250,
      payCurrency: 'EUR',
      payPeriod: 'MONTH',
      payPeriodRaw: 'monthly',
      employmentType: 'PART_TIME',
      employmentTypeRaw: 'internal',
      effectiveDate: '2021-04-01',
    });
    expect(mapPersonioEmployment(records[1]!)).toMatchObject({
      payRate: 85,
      payPeriod: 'HOUR',
      payPeriodRaw: 'hourly_salary',
      employmentType: 'CONTRACTOR',
      employmentTypeRaw: 'external',
    });
  });

  it('derives teams from departments and locations from offices', () => {
    expect(personioTeams(records).map((t) => [t.remoteId, t.name])).toEqual([
      ['81001', 'Engineering'],
      ['81003', 'Finance'],
    ]);
    expect(personioLocations(records).map((l) => l.name)).toEqual([
      'Berlin, Germany',
    ]);
  });
});

describe('Personio enums', () => {
  it.each([
    ['active', 'ACTIVE'],
    ['leave', 'ACTIVE'],
    ['onboarding', 'PENDING'],
    ['inactive', 'INACTIVE'],
    ['probation', null],
    [null, null],
  ])('maps status %s to %s', (raw, expected) => {
    expect(mapPersonioEmploymentStatus(raw)).toBe(expected);
  });

  it.each([
    ['external', null, 'CONTRACTOR'],
    ['internal', 40, 'FULL_TIME'],
    ['internal', 35, 'FULL_TIME'],
    ['internal', 20, 'PART_TIME'],
    ['internal', null, null],
    ['seasonal', 40, null],
  ])('maps employment type %s at %s hours to %s', (raw, hours, expected) => {
    expect(mapPersonioEmploymentType(raw, hours)).toBe(expected);
  });

  it.each([
    ['monthly', 'MONTH'],
    ['yearly', 'YEAR'],
    ['weekly', null],
  ])('maps salary interval %s to %s', (raw, expected) => {
    expect(mapPersonioPayPeriod(raw)).toBe(expected);
  });

  it('keeps an unknown status raw beside a null enum', () => {
    const employee = mapPersonioEmployee({
      type: 'Employee',
      attributes: {
        id: attr('id', 'ID', 1, 'integer'),
        status: attr('status', 'Status', 'probation'),
      },
    });
    expect(employee).toMatchObject({
      employmentStatus: null,
      employmentStatusRaw: 'probation',
    });
  });
});
