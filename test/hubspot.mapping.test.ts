import { describe, expect, it } from 'vitest';

import {
  dealStagesFromPipelines,
  dealStatus,
  mapCompany,
  mapContact,
  mapDeal,
  mapLead,
  mapNote,
  mapOwner,
  parseCalendarDate,
  parseInstant,
  parseNumber,
} from '../subgraphs/crm/providers/hubspot/mapping';
import {
  hubspotObjectSchema,
  ownerSchema,
  pipelinesResponseSchema,
} from '../subgraphs/crm/providers/hubspot/payloads';

/*
 * Payloads copy the shapes of the examples on developers.hubspot.com (CRM
 * API guides for companies, contacts, deals, notes, owners and pipelines),
 * with our own values. Each goes through the connector's schema first, so
 * the shapes the tests rely on are the ones the connector accepts.
 */

const company = hubspotObjectSchema.parse({
  id: '512',
  properties: {
    createdate: '2019-10-30T03:30:17.883Z',
    domain: 'harbor-labs.example',
    hs_lastmodifieddate: '2019-12-07T16:50:06.678Z',
    hs_object_id: '512',
    industry: 'COMPUTER_SOFTWARE',
    name: 'Harbor Labs',
    numberofemployees: '250',
    hubspot_owner_id: '41629779',
    description: null,
    website: null,
  },
  createdAt: '2019-10-30T03:30:17.883Z',
  updatedAt: '2019-12-07T16:50:06.678Z',
  archived: false,
});

const stages = dealStagesFromPipelines(
  pipelinesResponseSchema.parse({
    results: [
      {
        id: 'default',
        label: 'Sales Pipeline',
        displayOrder: 0,
        archived: false,
        createdAt: '1970-01-01T00:00:00Z',
        updatedAt: '1970-01-01T00:00:00Z',
        stages: [
          {
            id: 'presentationscheduled',
            label: 'Presentation Scheduled',
            displayOrder: 2,
            metadata: { isClosed: 'false', probability: '0.6' },
            archived: false,
          },
          {
            id: 'closedwon',
            label: 'Closed Won',
            displayOrder: 5,
            metadata: { isClosed: 'true', probability: '1.0' },
            archived: false,
          },
          {
            id: 'closedlost',
            label: 'Closed Lost',
            displayOrder: 6,
            metadata: { isClosed: 'true', probability: '0.0' },
            archived: false,
          },
        ],
      },
      {
        id: '7461243',
        label: 'Renewals',
        displayOrder: 1,
        archived: false,
        stages: [
          {
            id: '1234912',
            label: 'Renewed',
            displayOrder: 0,
            metadata: { isClosed: 'true', probability: '1.0' },
          },
          {
            id: '1234914',
            label: 'Parked',
            displayOrder: 1,
            metadata: { isClosed: 'true', probability: '0.5' },
          },
        ],
      },
    ],
  }),
);

describe('HubSpot mapping', () => {
  it('maps a company with string-typed numbers and top-level timestamps', () => {
    expect(mapCompany(company)).toEqual({
      remoteId: '512',
      name: 'Harbor Labs',
      description: null,
      industry: 'COMPUTER_SOFTWARE',
      website: 'https://harbor-labs.example',
      numberOfEmployees: 250,
      ownerRemoteId: '41629779',
      createdAt: new Date('2019-10-30T03:30:17.883Z'),
      modifiedAt: new Date('2019-12-07T16:50:06.678Z'),
      remoteData: company,
    });
  });

  it('takes a contact’s account from associatedcompanyid before associations', () => {
    const contact = hubspotObjectSchema.parse({
      id: '5001003',
      properties: {
        createdate: '2025-09-08T12:00:00.000Z',
        email: 'bh@harbor-labs.example',
        firstname: 'Brian',
        lastname: 'Halligan',
        jobtitle: 'CTO',
        phone: '+1-555-201-3344',
        associatedcompanyid: '512',
        lastmodifieddate: '2025-11-04T12:00:00.000Z',
        lifecyclestage: 'customer',
        hs_object_id: '5001003',
      },
      createdAt: '2025-09-08T12:00:00.000Z',
      updatedAt: '2025-11-04T12:00:00.000Z',
      archived: false,
      associations: {
        companies: {
          results: [
            { id: '777', type: 'contact_to_company' },
            { id: '777', type: 'contact_to_company_unlabeled' },
          ],
        },
      },
    });

    expect(mapContact(contact, { companies: ['777'] })).toMatchObject({
      remoteId: '5001003',
      firstName: 'Brian',
      lastName: 'Halligan',
      email: 'bh@harbor-labs.example',
      phone: '+1-555-201-3344',
      title: 'CTO',
      accountRemoteId: '512',
      ownerRemoteId: null,
    });
    const withoutProperty = {
      ...contact,
      properties: { ...contact.properties, associatedcompanyid: null },
    };
    expect(mapContact(withoutProperty, { companies: ['777'] })).toMatchObject({
      accountRemoteId: '777',
    });
  });

  it('maps a lead-stage contact to a lead with its company name and source', () => {
    const lead = hubspotObjectSchema.parse({
      id: '5001150',
      properties: {
        firstname: 'Ada',
        lastname: 'Moreau',
        email: 'ada@prospect.example',
        company: 'Prospect Co',
        hs_analytics_source: 'ORGANIC_SEARCH',
        lifecyclestage: 'lead',
        createdate: '2026-05-01T12:00:00.000Z',
        lastmodifieddate: '2026-05-03T12:00:00.000Z',
      },
      createdAt: '2026-05-01T12:00:00.000Z',
      updatedAt: '2026-05-03T12:00:00.000Z',
      archived: false,
    });

    expect(mapLead(lead)).toMatchObject({
      remoteId: '5001150',
      company: 'Prospect Co',
      leadSource: 'ORGANIC_SEARCH',
      convertedAt: null,
      modifiedAt: new Date('2026-05-03T12:00:00.000Z'),
    });
  });

  it('maps a deal: amount as a number, close date as a calendar date, stage label and status', () => {
    const deal = hubspotObjectSchema.parse({
      id: '7001011',
      properties: {
        amount: '1500.00',
        closedate: '2019-12-07T00:00:00Z',
        createdate: '2019-10-30T03:30:17.883Z',
        dealname: 'Custom data integrations',
        dealstage: 'presentationscheduled',
        hs_lastmodifieddate: '2019-12-07T16:50:06.678Z',
        hubspot_owner_id: '910901',
        pipeline: 'default',
      },
      createdAt: '2019-10-30T03:30:17.883Z',
      updatedAt: '2019-12-07T16:50:06.678Z',
      archived: false,
    });

    expect(mapDeal(deal, stages, { companies: ['512'] })).toMatchObject({
      remoteId: '7001011',
      name: 'Custom data integrations',
      amount: 1500,
      status: 'OPEN',
      statusRaw: 'presentationscheduled',
      stage: 'Presentation Scheduled',
      closeDate: '2019-12-07',
      ownerRemoteId: '910901',
      accountRemoteId: '512',
    });
  });

  it('maps deal stages to WON, LOST and OPEN, keeping unmapped raw values', () => {
    expect(dealStatus('closedwon', stages)).toBe('WON');
    expect(dealStatus('closedlost', stages)).toBe('LOST');
    expect(dealStatus('presentationscheduled', stages)).toBe('OPEN');
    // A custom pipeline's closed stages follow their probability.
    expect(dealStatus('1234912', stages)).toBe('WON');
    expect(dealStatus('1234914', stages)).toBeNull();
    // Default stages missing from the pipelines answer use the defaults.
    expect(dealStatus('contractsent', stages)).toBe('OPEN');
    // A stage nobody knows keeps only its raw value.
    const unknown = mapDeal(
      hubspotObjectSchema.parse({
        id: '1',
        properties: { dealstage: 'abc123' },
      }),
      stages,
    );
    expect(unknown).toMatchObject({
      status: null,
      statusRaw: 'abc123',
      stage: null,
    });
  });

  it('maps an owner to a user named from its first and last name', () => {
    const owner = ownerSchema.parse({
      id: '41629779',
      email: 'holly.flax@acme.example',
      type: 'PERSON',
      firstName: 'Holly',
      lastName: 'Flax',
      userId: 9586504,
      userIdIncludingInactive: 9586504,
      createdAt: '2019-12-25T13:01:35.228Z',
      updatedAt: '2023-08-22T13:40:26.790Z',
      archived: false,
      teams: [{ id: '368389', name: 'Sales Team', primary: true }],
    });

    expect(mapOwner(owner)).toEqual({
      remoteId: '41629779',
      name: 'Holly Flax',
      email: 'holly.flax@acme.example',
      isActive: true,
      createdAt: new Date('2019-12-25T13:01:35.228Z'),
      modifiedAt: new Date('2023-08-22T13:40:26.790Z'),
      remoteData: owner,
    });
    expect(mapOwner({ ...owner, archived: true }).isActive).toBe(false);
  });

  it('maps a note to its body and first associated company, contact and deal', () => {
    const note = hubspotObjectSchema.parse({
      id: '3001013',
      properties: {
        hs_createdate: '2026-02-01T12:00:00.000Z',
        hs_lastmodifieddate: '2026-02-01T12:00:00.000Z',
        hs_note_body: '<p>Security review requested.</p>',
        hs_timestamp: '2026-02-01T12:00:00.000Z',
        hubspot_owner_id: '41000104',
      },
      createdAt: '2026-02-01T12:00:00.000Z',
      updatedAt: '2026-02-01T12:00:00.000Z',
      archived: false,
    });

    expect(
      mapNote(note, {
        companies: ['512'],
        contacts: ['5001003'],
        deals: ['7001011', '7001022'],
      }),
    ).toMatchObject({
      content: '<p>Security review requested.</p>',
      ownerRemoteId: '41000104',
      accountRemoteId: '512',
      contactRemoteId: '5001003',
      opportunityRemoteId: '7001011',
    });
    expect(mapNote(note)).toMatchObject({
      accountRemoteId: null,
      contactRemoteId: null,
      opportunityRemoteId: null,
    });
  });

  it('treats blank property values as null and accepts epoch milliseconds', () => {
    expect(parseNumber('')).toBeNull();
    expect(parseNumber('abc')).toBeNull();
    expect(parseNumber('12500')).toBe(12_500);
    expect(parseInstant('1572480000000')).toEqual(
      new Date('2019-10-31T00:00:00.000Z'),
    );
    expect(parseInstant('not a date')).toBeNull();
    expect(parseCalendarDate('2026-07-10T00:00:00Z')).toBe('2026-07-10');
    expect(parseCalendarDate(null)).toBeNull();
  });
});
