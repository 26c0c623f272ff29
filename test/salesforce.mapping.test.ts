import { describe, expect, it } from 'vitest';
import {
  salesforceChecksum,
  salesforceId,
} from '../sandbox/providers/salesforce';
import {
  soqlDateTime,
  soqlString,
} from '../subgraphs/crm/providers/salesforce/connector';
import {
  mapAccount,
  mapLead,
  mapNote,
  mapOpportunity,
  mapUser,
  opportunityStatus,
  parseDateTime,
  selectColumns,
} from '../subgraphs/crm/providers/salesforce/mapping';

/** Shaped as the REST API Developer Guide's query examples show records. */
const opportunity = {
  attributes: {
    type: 'Opportunity',
    url: '/services/data/v62.0/sobjects/Opportunity/006Dn000005gBkPIAU',
  },
  Id: '006Dn000005gBkPIAU',
  Name: 'Edge Emergency Generator',
  Description: null,
  Amount: 75000.0,
  StageName: 'Closed Won',
  IsClosed: true,
  IsWon: true,
  CloseDate: '2026-05-14',
  OwnerId: '005Dn000001XyZ9IAK',
  AccountId: '001Dn00000AbCdEIAV',
  CreatedDate: '2026-01-03T09:15:00.000+0000',
  LastModifiedDate: '2026-05-14T17:02:11.000+0000',
};

describe('Salesforce mapping', () => {
  it('maps IsClosed and IsWon to status and keeps the stage name raw', () => {
    expect(mapOpportunity(opportunity)).toMatchObject({
      remoteId: '006Dn000005gBkPIAU',
      name: 'Edge Emergency Generator',
      amount: 75000,
      status: 'WON',
      statusRaw: 'Closed Won',
      stage: 'Closed Won',
      closeDate: '2026-05-14',
      ownerRemoteId: '005Dn000001XyZ9IAK',
      accountRemoteId: '001Dn00000AbCdEIAV',
      createdAt: new Date('2026-01-03T09:15:00.000Z'),
      modifiedAt: new Date('2026-05-14T17:02:11.000Z'),
      remoteData: opportunity,
    });
    expect(opportunityStatus(false, false)).toBe('OPEN');
    expect(opportunityStatus(true, false)).toBe('LOST');
    expect(opportunityStatus(true, true)).toBe('WON');
  });

  it('leaves the status null but keeps an org-defined stage when the flags are missing', () => {
    const custom = {
      ...opportunity,
      StageName: 'Verbal Commit',
      IsClosed: null,
      IsWon: null,
    };
    expect(mapOpportunity(custom)).toMatchObject({
      status: null,
      statusRaw: 'Verbal Commit',
    });
  });

  it('reads dateTime fields with a +0000 offset as UTC', () => {
    expect(parseDateTime('2026-11-01T12:00:00.000+0000')?.toISOString()).toBe(
      '2026-11-01T12:00:00.000Z',
    );
    expect(parseDateTime('2026-11-01T14:00:00.000+0200')?.toISOString()).toBe(
      '2026-11-01T12:00:00.000Z',
    );
    expect(parseDateTime('not a date')).toBeNull();
  });

  it('maps accounts, users and converted leads', () => {
    expect(
      mapAccount({
        Id: '001Dn00000AbCdEIAV',
        Name: 'Edge Communications',
        Industry: 'Electronics',
        Website: 'http://edgecomm.com',
        NumberOfEmployees: 1000,
        OwnerId: '005Dn000001XyZ9IAK',
      }),
    ).toMatchObject({
      name: 'Edge Communications',
      industry: 'Electronics',
      numberOfEmployees: 1000,
      description: null,
    });
    expect(
      mapUser({
        Id: '005Dn000001XyZ9IAK',
        FirstName: 'Ada',
        LastName: 'Lovelace',
        Email: 'ada@example.com',
        IsActive: false,
      }),
    ).toMatchObject({ name: 'Ada Lovelace', isActive: false });
    expect(
      mapLead({
        Id: '00QDn000003AbCdMAK',
        LastName: 'Kim',
        Company: 'Kim Labs',
        LeadSource: 'Web',
        IsConverted: true,
        ConvertedDate: '2026-03-02',
      }),
    ).toMatchObject({
      company: 'Kim Labs',
      leadSource: 'Web',
      convertedAt: new Date('2026-03-02T00:00:00.000Z'),
    });
  });

  it('places a note on its parent by the parent id key prefix', () => {
    const note = (ParentId: string) =>
      mapNote({ Id: '002Dn0000001AbCIAU', Body: 'Call back', ParentId });
    expect(note('001Dn00000AbCdEIAV')).toMatchObject({
      content: 'Call back',
      accountRemoteId: '001Dn00000AbCdEIAV',
      opportunityRemoteId: null,
    });
    expect(note('003Dn00000AbCdEIAV').contactRemoteId).toBe(
      '003Dn00000AbCdEIAV',
    );
    expect(note('006Dn00000AbCdEIAV').opportunityRemoteId).toBe(
      '006Dn00000AbCdEIAV',
    );
  });

  it('selects only the columns the requested fields need', () => {
    expect(selectColumns('Opportunity', ['id', 'name', 'status'])).toEqual([
      'Id',
      'Name',
      'IsClosed',
      'IsWon',
      'StageName',
    ]);
    expect(selectColumns('Opportunity', ['remoteData'])).toContain('AccountId');
  });

  it('writes SOQL literals safely and in UTC', () => {
    expect(soqlString("o'brien\\x@example.com")).toBe(
      "'o\\'brien\\\\x@example.com'",
    );
    expect(soqlDateTime(new Date('2026-09-01T10:20:30.999Z'))).toBe(
      '2026-09-01T10:20:30Z',
    );
  });

  it('gives sandbox records 18-character ids with the documented checksum', () => {
    // The Salesforce help article's example: 15-character 001A0000006Vm9r.
    expect(salesforceChecksum('001A0000006Vm9r')).toBe('IAC');
    const id = salesforceId('006', 42);
    expect(id).toMatch(/^006[A-Za-z0-9]{15}$/);
    expect(salesforceId('006', 43) > id).toBe(true);
  });
});
