/**
 * A HubSpot CRM API v3 stand-in, rendered from the seed.
 *
 * Follows these developers.hubspot.com pages (legacy `v3` paths):
 * - CRM API | Companies, Contacts, Deals, Notes guides and "Using object
 *   APIs": `GET /crm/v3/objects/{objectType}` (limit default 10, max 100,
 *   `after`, `properties`, `associations`, `archived`), `GET .../{id}`,
 *   `POST .../batch/read` (max 100 inputs; 207 with `errors` for missing ids).
 * - CRM API | Search: `POST /crm/v3/objects/{objectType}/search` with
 *   `filterGroups` (at most 5 groups, 6 filters each, 18 in all), `sorts`,
 *   `properties`, `limit` (default 10, max 200), `after` (an offset) and
 *   `total`; at most 10,000 results per query; the `associations.{type}`
 *   pseudo-property.
 * - CRM API | Owners: `GET /crm/v3/owners` (`email`, `after`, `limit`
 *   default 100 max 500, `archived`) and `GET /crm/v3/owners/{ownerId}`.
 * - CRM API | Associations v4: `POST /crm/v4/associations/{fromObjectType}/
 *   {toObjectType}/batch/read` (`results[].from.id`, `to[].toObjectId`,
 *   `associationTypes`; ids without associations reported in `errors`, 207).
 * - CRM API | Pipelines: `GET /crm/v3/pipelines/deals` (the default sales
 *   pipeline, stage metadata `isClosed` and `probability` as strings).
 * - API error responses: `{ status, message, correlationId, category }`;
 *   401 `INVALID_AUTHENTICATION` for a missing or unknown token.
 *
 * Authentication is a private app access token (`Authorization: Bearer`);
 * the token selects the organization (a HubSpot portal). Rate limiting (429
 * with `X-HubSpot-RateLimit-*`) is not simulated.
 */
import express from 'express';
import type { Request, Response } from 'express';

import { SEED_NOW } from '../seed';
import type {
  SeedCompany,
  SeedContact,
  SeedDeal,
  SeedEmployee,
  SeedNote,
  SeedOrganization,
} from '../seed';
import { sandboxCredentials } from '../types';
import type { SandboxProviderOptions } from '../types';

const PROVIDER = 'hubspot';

/** Owner ids are derived from employee ids so they stay stable. */
const OWNER_ID_OFFSET = 41_000_000;
const USER_ID_OFFSET = 9_500_000;

const LIST_DEFAULT_LIMIT = 10;
const LIST_MAX_LIMIT = 100;
const BATCH_MAX_INPUTS = 100;
const SEARCH_DEFAULT_LIMIT = 10;
const SEARCH_MAX_LIMIT = 200;
const SEARCH_MAX_RESULTS = 10_000;
const SEARCH_MAX_GROUPS = 5;
const SEARCH_MAX_FILTERS_PER_GROUP = 6;
const SEARCH_MAX_FILTERS = 18;
const OWNERS_DEFAULT_LIMIT = 100;
const OWNERS_MAX_LIMIT = 500;
const ASSOCIATIONS_BATCH_MAX_INPUTS = 1_000;

/** Batch timestamps are fixed so responses stay deterministic. */
const BATCH_STAMP = new Date(SEED_NOW).toISOString();

const PRIMARY_TYPES = new Set(['contact_to_company', 'deal_to_company']);

/** HubSpot-defined association type ids (Associations v4, type ids). */
const ASSOCIATION_TYPE_IDS: Record<string, number> = {
  contact_to_company: 1,
  contact_to_company_unlabeled: 279,
  deal_to_company: 5,
  deal_to_company_unlabeled: 341,
  company_to_contact: 280,
  company_to_deal: 342,
  company_to_note: 189,
  contact_to_note: 201,
  deal_to_note: 213,
  note_to_company: 190,
  note_to_contact: 202,
  note_to_deal: 214,
};

type ObjectType = 'companies' | 'contacts' | 'deals' | 'notes';
type PropertyKind = 'string' | 'number' | 'datetime';

interface SandboxRecord {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  /** Associated record ids by object type, each with its type labels. */
  associations: Partial<Record<ObjectType, AssociationRef[]>>;
}

interface AssociationRef {
  id: string;
  types: string[];
}

interface SandboxOwner {
  id: string;
  email: string;
  type: 'PERSON';
  firstName: string;
  lastName: string;
  userId: number;
  userIdIncludingInactive: number;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

interface Portal {
  objects: Record<ObjectType, SandboxRecord[]>;
  owners: SandboxOwner[];
}

/** What each object type knows: its properties and which are defaults. */
const SCHEMA: Record<
  ObjectType,
  {
    singular: string;
    /** Upper-case name used in HubSpot's error messages. */
    label: string;
    properties: Record<string, PropertyKind>;
    defaults: string[];
    /** Properties always returned, even when `properties` is given. */
    always: string[];
  }
> = {
  companies: {
    singular: 'company',
    label: 'COMPANY',
    properties: {
      name: 'string',
      domain: 'string',
      website: 'string',
      description: 'string',
      industry: 'string',
      city: 'string',
      country: 'string',
      numberofemployees: 'number',
      annualrevenue: 'number',
      hubspot_owner_id: 'string',
      createdate: 'datetime',
      hs_lastmodifieddate: 'datetime',
      hs_object_id: 'number',
    },
    defaults: [
      'name',
      'domain',
      'createdate',
      'hs_lastmodifieddate',
      'hs_object_id',
    ],
    always: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  },
  contacts: {
    singular: 'contact',
    label: 'CONTACT',
    properties: {
      firstname: 'string',
      lastname: 'string',
      email: 'string',
      phone: 'string',
      jobtitle: 'string',
      company: 'string',
      associatedcompanyid: 'number',
      lifecyclestage: 'string',
      hs_analytics_source: 'string',
      hubspot_owner_id: 'string',
      createdate: 'datetime',
      lastmodifieddate: 'datetime',
      hs_object_id: 'number',
    },
    defaults: [
      'firstname',
      'lastname',
      'email',
      'createdate',
      'lastmodifieddate',
      'hs_object_id',
    ],
    always: ['createdate', 'lastmodifieddate', 'hs_object_id'],
  },
  deals: {
    singular: 'deal',
    label: 'DEAL',
    properties: {
      dealname: 'string',
      description: 'string',
      amount: 'number',
      dealstage: 'string',
      pipeline: 'string',
      closedate: 'datetime',
      hubspot_owner_id: 'string',
      createdate: 'datetime',
      hs_lastmodifieddate: 'datetime',
      hs_object_id: 'number',
    },
    defaults: [
      'dealname',
      'amount',
      'closedate',
      'pipeline',
      'dealstage',
      'createdate',
      'hs_lastmodifieddate',
      'hs_object_id',
    ],
    always: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  },
  notes: {
    singular: 'note',
    label: 'NOTE',
    properties: {
      hs_note_body: 'string',
      hs_timestamp: 'datetime',
      hubspot_owner_id: 'string',
      hs_createdate: 'datetime',
      hs_lastmodifieddate: 'datetime',
      hs_object_id: 'number',
    },
    defaults: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
    always: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  },
};

const OBJECT_TYPES = Object.keys(SCHEMA) as ObjectType[];

/** Default sales pipeline stages: id, label, probability (CRM Pipelines). */
const DEFAULT_DEAL_STAGES: Array<[string, string, string]> = [
  ['appointmentscheduled', 'Appointment Scheduled', '0.2'],
  ['qualifiedtobuy', 'Qualified To Buy', '0.4'],
  ['presentationscheduled', 'Presentation Scheduled', '0.6'],
  ['decisionmakerboughtin', 'Decision Maker Bought-In', '0.8'],
  ['contractsent', 'Contract Sent', '0.9'],
  ['closedwon', 'Closed Won', '1.0'],
  ['closedlost', 'Closed Lost', '0.0'],
];

function isObjectType(value: string): value is ObjectType {
  return (OBJECT_TYPES as string[]).includes(value);
}

function byNumericId<T extends { id: string }>(a: T, b: T): number {
  return Number(a.id) - Number(b.id);
}

function ownerIdOf(employee: SeedEmployee): string {
  return String(OWNER_ID_OFFSET + Number(employee.id));
}

/** Builds one portal's records from the seed, sorted by id. */
function renderPortal(data: SeedOrganization): Portal {
  const employeesByEmail = new Map(
    data.employees.map((employee) => [employee.workEmail, employee]),
  );

  // Owners are the employees who own something anywhere in the CRM.
  const ownerEmails = new Set<string>();
  for (const item of [
    ...data.companies,
    ...data.contacts,
    ...data.deals,
    ...data.notes,
  ]) {
    ownerEmails.add(item.ownerEmail);
  }
  const owners: SandboxOwner[] = [...ownerEmails]
    .map((email) => employeesByEmail.get(email))
    .filter((employee): employee is SeedEmployee => employee !== undefined)
    .map((employee) => ({
      id: ownerIdOf(employee),
      email: employee.workEmail,
      type: 'PERSON' as const,
      firstName: employee.firstName,
      lastName: employee.lastName,
      userId: USER_ID_OFFSET + Number(employee.id),
      userIdIncludingInactive: USER_ID_OFFSET + Number(employee.id),
      createdAt: employee.createdAt,
      updatedAt: employee.modifiedAt,
      archived: employee.status === 'Inactive',
    }))
    .sort(byNumericId);
  const ownerId = (email: string): string | null => {
    const employee = employeesByEmail.get(email);
    return employee ? ownerIdOf(employee) : null;
  };

  const companiesById = new Map(data.companies.map((c) => [c.id, c]));
  const contactsByCompany = new Map<string, string[]>();
  for (const contact of data.contacts) {
    if (contact.companyId) {
      const list = contactsByCompany.get(contact.companyId) ?? [];
      list.push(contact.id);
      contactsByCompany.set(contact.companyId, list);
    }
  }
  const dealsByCompany = new Map<string, string[]>();
  for (const deal of data.deals) {
    const list = dealsByCompany.get(deal.companyId) ?? [];
    list.push(deal.id);
    dealsByCompany.set(deal.companyId, list);
  }
  const notesBy = (key: 'companyId' | 'contactId' | 'dealId') => {
    const map = new Map<string, string[]>();
    for (const note of data.notes) {
      const target = note[key];
      if (target) {
        map.set(target, [...(map.get(target) ?? []), note.id]);
      }
    }
    return map;
  };
  const notesByCompany = notesBy('companyId');
  const notesByContact = notesBy('contactId');
  const notesByDeal = notesBy('dealId');

  // Primary associations come with a labelled and an unlabelled type, the
  // way HubSpot lists them: the same id twice.
  const refs = (
    ids: readonly string[] | undefined,
    from: string,
    to: string,
    primary = false,
  ): AssociationRef[] =>
    [...new Set(ids ?? [])].sort().map((id) => ({
      id,
      types: primary
        ? [`${from}_to_${to}`, `${from}_to_${to}_unlabeled`]
        : [`${from}_to_${to}`],
    }));

  const company = (c: SeedCompany): SandboxRecord => ({
    id: c.id,
    createdAt: c.createdAt,
    updatedAt: c.modifiedAt,
    properties: {
      name: c.name,
      domain: c.domain,
      website: `https://www.${c.domain}`,
      description: null,
      industry: c.industry,
      city: c.city,
      country: c.country,
      numberofemployees: String(c.numberOfEmployees),
      annualrevenue: String(c.annualRevenue),
      hubspot_owner_id: ownerId(c.ownerEmail),
      createdate: c.createdAt,
      hs_lastmodifieddate: c.modifiedAt,
      hs_object_id: c.id,
    },
    associations: {
      contacts: refs(contactsByCompany.get(c.id), 'company', 'contact'),
      deals: refs(dealsByCompany.get(c.id), 'company', 'deal'),
      notes: refs(notesByCompany.get(c.id), 'company', 'note'),
    },
  });
  const contact = (c: SeedContact): SandboxRecord => ({
    id: c.id,
    createdAt: c.createdAt,
    updatedAt: c.modifiedAt,
    properties: {
      firstname: c.firstName,
      lastname: c.lastName,
      email: c.email,
      phone: c.phone,
      jobtitle: c.jobTitle,
      company: c.companyId
        ? (companiesById.get(c.companyId)?.name ?? null)
        : null,
      associatedcompanyid: c.companyId,
      lifecyclestage: c.lifecycleStage,
      hs_analytics_source: null,
      hubspot_owner_id: ownerId(c.ownerEmail),
      createdate: c.createdAt,
      lastmodifieddate: c.modifiedAt,
      hs_object_id: c.id,
    },
    associations: {
      companies: refs(
        c.companyId ? [c.companyId] : [],
        'contact',
        'company',
        true,
      ),
      notes: refs(notesByContact.get(c.id), 'contact', 'note'),
    },
  });
  const deal = (d: SeedDeal): SandboxRecord => ({
    id: d.id,
    createdAt: d.createdAt,
    updatedAt: d.modifiedAt,
    properties: {
      dealname: d.name,
      description: null,
      amount: String(d.amount),
      dealstage: d.stage,
      pipeline: 'default',
      // Date properties travel as midnight UTC instants in v3.
      closedate: `${d.closeDate}T00:00:00Z`,
      hubspot_owner_id: ownerId(d.ownerEmail),
      createdate: d.createdAt,
      hs_lastmodifieddate: d.modifiedAt,
      hs_object_id: d.id,
    },
    associations: {
      companies: refs([d.companyId], 'deal', 'company', true),
      notes: refs(notesByDeal.get(d.id), 'deal', 'note'),
    },
  });
  const note = (n: SeedNote): SandboxRecord => ({
    id: n.id,
    createdAt: n.createdAt,
    updatedAt: n.modifiedAt,
    properties: {
      hs_note_body: n.body,
      hs_timestamp: n.createdAt,
      hubspot_owner_id: ownerId(n.ownerEmail),
      hs_createdate: n.createdAt,
      hs_lastmodifieddate: n.modifiedAt,
      hs_object_id: n.id,
    },
    associations: {
      companies: refs([n.companyId], 'note', 'company'),
      contacts: refs(n.contactId ? [n.contactId] : [], 'note', 'contact'),
      deals: refs(n.dealId ? [n.dealId] : [], 'note', 'deal'),
    },
  });

  return {
    owners,
    objects: {
      companies: data.companies.map(company).sort(byNumericId),
      contacts: data.contacts.map(contact).sort(byNumericId),
      deals: data.deals.map(deal).sort(byNumericId),
      notes: data.notes.map(note).sort(byNumericId),
    },
  };
}

/** A query value as a list: `a,b`, `a&a`, or absent. */
function queryList(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values
    .filter((item): item is string => typeof item === 'string')
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function queryString(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    return queryString(value[0]);
  }
  return typeof value === 'string' ? value : undefined;
}

/** Selects the properties HubSpot would return for a read. */
function pickProperties(
  type: ObjectType,
  record: SandboxRecord,
  requested: string[] | undefined,
): Record<string, string | null> {
  const schema = SCHEMA[type];
  const names =
    requested && requested.length > 0
      ? [...new Set([...requested, ...schema.always])]
      : schema.defaults;
  const properties: Record<string, string | null> = {};
  for (const name of names) {
    // Unknown property names are ignored, as HubSpot does on reads.
    if (name in schema.properties) {
      properties[name] = record.properties[name] ?? null;
    }
  }
  return properties;
}

function renderRecord(
  type: ObjectType,
  record: SandboxRecord,
  options: { properties?: string[]; associations?: string[] } = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: record.id,
    properties: pickProperties(type, record, options.properties),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    archived: false,
  };
  const associations: Record<string, unknown> = {};
  for (const name of options.associations ?? []) {
    // Singular names (`company`) are accepted like the plural ones.
    const target = OBJECT_TYPES.find(
      (candidate) => candidate === name || SCHEMA[candidate].singular === name,
    );
    const refs = target ? record.associations[target] : undefined;
    if (target && refs && refs.length > 0) {
      associations[target] = {
        results: refs.flatMap((ref) =>
          ref.types.map((associationType) => ({
            id: ref.id,
            type: associationType,
          })),
        ),
      };
    }
  }
  if (Object.keys(associations).length > 0) {
    body.associations = associations;
  }
  return body;
}

type Comparable = number | string | null;

function comparable(kind: PropertyKind, value: unknown): Comparable {
  if (value === null || value === undefined || value === '') {
    return null;
  }
  const text = String(value);
  if (kind === 'number') {
    const number = Number(text);
    return Number.isNaN(number) ? null : number;
  }
  if (kind === 'datetime') {
    // Search accepts epoch milliseconds or ISO 8601 for date values.
    const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    return Number.isNaN(ms) ? null : ms;
  }
  return text.toLowerCase();
}

const searchFilterSchema = {
  operators: new Set([
    'EQ',
    'NEQ',
    'LT',
    'LTE',
    'GT',
    'GTE',
    'BETWEEN',
    'IN',
    'NOT_IN',
    'HAS_PROPERTY',
    'NOT_HAS_PROPERTY',
  ]),
};

interface SearchFilter {
  propertyName: string;
  operator: string;
  value?: unknown;
  highValue?: unknown;
  values?: unknown[];
}

class SearchRequestError extends Error {}

function asFilter(raw: unknown): SearchFilter {
  if (
    typeof raw !== 'object' ||
    raw === null ||
    typeof (raw as SearchFilter).propertyName !== 'string'
  ) {
    throw new SearchRequestError('Each filter needs a propertyName.');
  }
  const filter = raw as SearchFilter;
  const operator = filter.operator ?? 'EQ';
  if (!searchFilterSchema.operators.has(operator)) {
    throw new SearchRequestError(`Unsupported operator ${String(operator)}.`);
  }
  return { ...filter, operator };
}

function matches(
  type: ObjectType,
  record: SandboxRecord,
  filter: SearchFilter,
): boolean {
  const name = filter.propertyName;

  // `associations.{objectType}` filters on associated record ids.
  if (name.startsWith('associations.')) {
    const wanted = name.slice('associations.'.length);
    const target = OBJECT_TYPES.find(
      (candidate) =>
        candidate === wanted || SCHEMA[candidate].singular === wanted,
    );
    const ids = target
      ? (record.associations[target] ?? []).map((ref) => ref.id)
      : [];
    switch (filter.operator) {
      case 'EQ':
        return ids.includes(String(filter.value));
      case 'IN':
        return (filter.values ?? []).some((v) => ids.includes(String(v)));
      case 'NOT_IN':
        return !(filter.values ?? []).some((v) => ids.includes(String(v)));
      case 'HAS_PROPERTY':
        return ids.length > 0;
      case 'NOT_HAS_PROPERTY':
        return ids.length === 0;
      default:
        throw new SearchRequestError(
          `Operator ${filter.operator} is not supported on ${name}.`,
        );
    }
  }

  const kind = SCHEMA[type].properties[name];
  if (!kind) {
    throw new SearchRequestError(
      `There was a problem with the request. Property ${name} does not exist.`,
    );
  }
  const actual = comparable(kind, record.properties[name]);
  const value = comparable(kind, filter.value);
  const list = (filter.values ?? []).map((v) => comparable(kind, v));
  switch (filter.operator) {
    case 'HAS_PROPERTY':
      return actual !== null;
    case 'NOT_HAS_PROPERTY':
      return actual === null;
    case 'EQ':
      return actual !== null && actual === value;
    case 'NEQ':
      return actual !== value;
    case 'IN':
      return actual !== null && list.includes(actual);
    case 'NOT_IN':
      return !list.includes(actual);
    case 'LT':
      return actual !== null && value !== null && actual < value;
    case 'LTE':
      return actual !== null && value !== null && actual <= value;
    case 'GT':
      return actual !== null && value !== null && actual > value;
    case 'GTE':
      return actual !== null && value !== null && actual >= value;
    case 'BETWEEN': {
      const high = comparable(kind, filter.highValue);
      return (
        actual !== null &&
        value !== null &&
        high !== null &&
        actual >= value &&
        actual <= high
      );
    }
    default:
      return false;
  }
}

function clampLimit(
  raw: unknown,
  fallback: number,
  max: number,
): number | string {
  if (raw === undefined || raw === null || raw === '') {
    return fallback;
  }
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1) {
    return `limit must be a positive integer, received ${String(raw)}.`;
  }
  if (limit > max) {
    return `limit must be at most ${max}, received ${limit}.`;
  }
  return limit;
}

/**
 * Creates the HubSpot router. Mount it at `/hubspot`; the connector's base
 * URL is then `http://127.0.0.1:<port>/hubspot`.
 */
export function createHubspotSandbox(
  options: SandboxProviderOptions,
): express.Router {
  const portals = new Map<string, Portal>();
  for (const organization of options.organizations) {
    portals.set(
      sandboxCredentials.hubspot(organization.key).accessToken,
      renderPortal(organization.data),
    );
  }

  // Deterministic correlation ids: same request sequence, same ids.
  let sequence = 0;
  const correlationId = (): string => {
    sequence += 1;
    return `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`;
  };
  const fail = (
    res: Response,
    status: number,
    category: string,
    message: string,
    extra: Record<string, unknown> = {},
  ): void => {
    res.status(status).json({
      status: 'error',
      message,
      correlationId: correlationId(),
      category,
      ...extra,
    });
  };

  const router = express.Router();
  router.use(express.json());

  router.use((req, _res, next) => {
    options.recorder.record({
      provider: PROVIDER,
      method: req.method,
      path: req.path,
      query: { ...req.query },
      body: req.body as unknown,
      at: Date.now(),
    });
    next();
  });

  const portalOf = (req: Request, res: Response): Portal | null => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1];
    const portal = token ? portals.get(token) : undefined;
    if (!portal) {
      fail(
        res,
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      );
      return null;
    }
    return portal;
  };

  const objectTypeOf = (req: Request, res: Response): ObjectType | null => {
    const raw = String(req.params.objectType ?? '');
    if (!isObjectType(raw)) {
      fail(
        res,
        400,
        'VALIDATION_ERROR',
        `Unable to infer object type from: ${raw}`,
      );
      return null;
    }
    return raw;
  };

  // List: GET /crm/v3/objects/{objectType}
  router.get('/crm/v3/objects/:objectType', (req, res) => {
    const portal = portalOf(req, res);
    const type = portal && objectTypeOf(req, res);
    if (!portal || !type) {
      return;
    }
    const limit = clampLimit(
      queryString(req.query.limit),
      LIST_DEFAULT_LIMIT,
      LIST_MAX_LIMIT,
    );
    if (typeof limit === 'string') {
      fail(res, 400, 'VALIDATION_ERROR', limit);
      return;
    }
    // Nothing is archived in the seed: `archived=true` lists nothing.
    const records =
      queryString(req.query.archived) === 'true' ? [] : portal.objects[type];
    const after = queryString(req.query.after);
    // `after` is the id of the first record of the page it leads to.
    const start = after
      ? records.findIndex((record) => Number(record.id) >= Number(after))
      : 0;
    const from = start < 0 ? records.length : start;
    const page = records.slice(from, from + limit);
    const next = records[from + limit];
    const properties = queryList(req.query.properties);
    const associations = queryList(req.query.associations);
    res.json({
      results: page.map((record) =>
        renderRecord(type, record, { properties, associations }),
      ),
      ...(next
        ? {
            paging: {
              next: {
                after: next.id,
                link: `/crm/v3/objects/${type}?after=${next.id}`,
              },
            },
          }
        : {}),
    });
  });

  // Batch read: POST /crm/v3/objects/{objectType}/batch/read
  router.post('/crm/v3/objects/:objectType/batch/read', (req, res) => {
    const portal = portalOf(req, res);
    const type = portal && objectTypeOf(req, res);
    if (!portal || !type) {
      return;
    }
    const body = (req.body ?? {}) as {
      inputs?: unknown;
      properties?: unknown;
    };
    if (!Array.isArray(body.inputs)) {
      fail(res, 400, 'VALIDATION_ERROR', 'inputs is required.');
      return;
    }
    if (body.inputs.length > BATCH_MAX_INPUTS) {
      fail(
        res,
        400,
        'VALIDATION_ERROR',
        `Batch input size ${body.inputs.length} exceeds the limit of ${BATCH_MAX_INPUTS}.`,
      );
      return;
    }
    const ids = body.inputs.map((input: unknown) =>
      String((input as { id?: unknown } | null)?.id ?? ''),
    );
    const properties = Array.isArray(body.properties)
      ? body.properties.filter((p): p is string => typeof p === 'string')
      : undefined;
    const byId = new Map(portal.objects[type].map((r) => [r.id, r]));
    const found = [...new Set(ids)]
      .map((id) => byId.get(id))
      .filter((record): record is SandboxRecord => record !== undefined)
      // HubSpot does not keep input order; neither do we (ids descending).
      .sort((a, b) => byNumericId(b, a));
    const missing = [...new Set(ids)].filter((id) => !byId.has(id));
    const stamp = BATCH_STAMP;
    const response: Record<string, unknown> = {
      status: 'COMPLETE',
      results: found.map((record) =>
        renderRecord(type, record, { properties }),
      ),
      startedAt: stamp,
      completedAt: stamp,
    };
    if (missing.length > 0) {
      response.numErrors = 1;
      response.errors = [
        {
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          message: `Could not get some ${SCHEMA[type].label} objects, they may be deleted or not exist. Check that ids are valid.`,
          context: { ids: missing },
        },
      ];
    }
    res.status(missing.length > 0 ? 207 : 200).json(response);
  });

  // Search: POST /crm/v3/objects/{objectType}/search
  router.post('/crm/v3/objects/:objectType/search', (req, res) => {
    const portal = portalOf(req, res);
    const type = portal && objectTypeOf(req, res);
    if (!portal || !type) {
      return;
    }
    const body = (req.body ?? {}) as {
      filterGroups?: unknown;
      sorts?: unknown;
      properties?: unknown;
      limit?: unknown;
      after?: unknown;
    };
    const limit = clampLimit(
      body.limit,
      SEARCH_DEFAULT_LIMIT,
      SEARCH_MAX_LIMIT,
    );
    if (typeof limit === 'string') {
      fail(res, 400, 'VALIDATION_ERROR', limit);
      return;
    }
    const offset = body.after === undefined ? 0 : Number(body.after);
    if (!Number.isInteger(offset) || offset < 0) {
      fail(res, 400, 'VALIDATION_ERROR', 'after must be a numeric offset.');
      return;
    }
    if (offset + limit > SEARCH_MAX_RESULTS) {
      fail(
        res,
        400,
        'VALIDATION_ERROR',
        `Paging beyond ${SEARCH_MAX_RESULTS} results is not supported.`,
      );
      return;
    }
    try {
      const groups = Array.isArray(body.filterGroups) ? body.filterGroups : [];
      const filterGroups = groups.map((group: unknown) => {
        const filters = (group as { filters?: unknown } | null)?.filters;
        return (Array.isArray(filters) ? filters : []).map(asFilter);
      });
      const total = filterGroups.reduce((sum, group) => sum + group.length, 0);
      if (
        filterGroups.length > SEARCH_MAX_GROUPS ||
        filterGroups.some((g) => g.length > SEARCH_MAX_FILTERS_PER_GROUP) ||
        total > SEARCH_MAX_FILTERS
      ) {
        throw new SearchRequestError(
          `Use at most ${SEARCH_MAX_GROUPS} filterGroups of ${SEARCH_MAX_FILTERS_PER_GROUP} filters, ${SEARCH_MAX_FILTERS} filters in all.`,
        );
      }

      // Groups are ORed, filters within a group ANDed.
      let results = portal.objects[type].filter(
        (record) =>
          filterGroups.length === 0 ||
          filterGroups.some((group) =>
            group.every((filter) => matches(type, record, filter)),
          ),
      );

      // Sorts: `{ propertyName, direction }` or a bare property name.
      const sorts = (Array.isArray(body.sorts) ? body.sorts : []).map(
        (sort: unknown) =>
          typeof sort === 'string'
            ? { propertyName: sort, direction: 'ASCENDING' }
            : (sort as { propertyName: string; direction?: string }),
      );
      if (sorts.length > 0) {
        results = [...results].sort((a, b) => {
          for (const sort of sorts) {
            const kind = SCHEMA[type].properties[sort.propertyName] ?? 'string';
            const left = comparable(kind, a.properties[sort.propertyName]);
            const right = comparable(kind, b.properties[sort.propertyName]);
            if (left !== right) {
              const order =
                left === null ? 1 : right === null ? -1 : left < right ? -1 : 1;
              return sort.direction === 'DESCENDING' ? -order : order;
            }
          }
          return byNumericId(a, b);
        });
      }

      const properties = Array.isArray(body.properties)
        ? body.properties.filter((p): p is string => typeof p === 'string')
        : undefined;
      const page = results.slice(offset, offset + limit);
      const nextOffset = offset + limit;
      res.json({
        total: results.length,
        results: page.map((record) =>
          renderRecord(type, record, { properties }),
        ),
        ...(nextOffset < results.length
          ? {
              paging: {
                next: { after: String(nextOffset), link: null },
              },
            }
          : {}),
      });
    } catch (error: unknown) {
      if (error instanceof SearchRequestError) {
        fail(res, 400, 'VALIDATION_ERROR', error.message);
        return;
      }
      throw error;
    }
  });

  // One record: GET /crm/v3/objects/{objectType}/{objectId}
  router.get('/crm/v3/objects/:objectType/:objectId', (req, res) => {
    const portal = portalOf(req, res);
    const type = portal && objectTypeOf(req, res);
    if (!portal || !type) {
      return;
    }
    const record = portal.objects[type].find(
      (candidate) => candidate.id === req.params.objectId,
    );
    if (!record) {
      fail(res, 404, 'OBJECT_NOT_FOUND', 'Resource not found');
      return;
    }
    res.json(
      renderRecord(type, record, {
        properties: queryList(req.query.properties),
        associations: queryList(req.query.associations),
      }),
    );
  });

  // Owners: GET /crm/v3/owners
  router.get('/crm/v3/owners', (req, res) => {
    const portal = portalOf(req, res);
    if (!portal) {
      return;
    }
    const limit = clampLimit(
      queryString(req.query.limit),
      OWNERS_DEFAULT_LIMIT,
      OWNERS_MAX_LIMIT,
    );
    if (typeof limit === 'string') {
      fail(res, 400, 'VALIDATION_ERROR', limit);
      return;
    }
    const archived = queryString(req.query.archived) === 'true';
    const email = queryString(req.query.email)?.toLowerCase();
    const owners = portal.owners.filter(
      (owner) =>
        owner.archived === archived &&
        (email === undefined || owner.email.toLowerCase() === email),
    );
    const after = queryString(req.query.after);
    const start = after
      ? owners.findIndex((owner) => Number(owner.id) >= Number(after))
      : 0;
    const from = start < 0 ? owners.length : start;
    const next = owners[from + limit];
    res.json({
      results: owners.slice(from, from + limit),
      ...(next
        ? {
            paging: {
              next: { after: next.id, link: `/crm/v3/owners?after=${next.id}` },
            },
          }
        : {}),
    });
  });

  // One owner: GET /crm/v3/owners/{ownerId}
  router.get('/crm/v3/owners/:ownerId', (req, res) => {
    const portal = portalOf(req, res);
    if (!portal) {
      return;
    }
    const owner = portal.owners.find((o) => o.id === req.params.ownerId);
    if (!owner) {
      fail(res, 404, 'OBJECT_NOT_FOUND', 'Resource not found');
      return;
    }
    res.json(owner);
  });

  // Associations v4: POST /crm/v4/associations/{from}/{to}/batch/read
  router.post(
    '/crm/v4/associations/:fromObjectType/:toObjectType/batch/read',
    (req, res) => {
      const portal = portalOf(req, res);
      if (!portal) {
        return;
      }
      const from = String(req.params.fromObjectType);
      const to = String(req.params.toObjectType);
      if (!isObjectType(from) || !isObjectType(to)) {
        fail(
          res,
          400,
          'VALIDATION_ERROR',
          `Unable to infer object type from: ${isObjectType(from) ? to : from}`,
        );
        return;
      }
      const inputs = (req.body as { inputs?: unknown } | undefined)?.inputs;
      if (!Array.isArray(inputs)) {
        fail(res, 400, 'VALIDATION_ERROR', 'inputs is required.');
        return;
      }
      if (inputs.length > ASSOCIATIONS_BATCH_MAX_INPUTS) {
        fail(
          res,
          400,
          'VALIDATION_ERROR',
          `Batch input size ${inputs.length} exceeds the limit of ${ASSOCIATIONS_BATCH_MAX_INPUTS}.`,
        );
        return;
      }
      const byId = new Map(portal.objects[from].map((r) => [r.id, r]));
      const results: unknown[] = [];
      const missing: string[] = [];
      for (const id of new Set(
        inputs.map((input: unknown) =>
          String((input as { id?: unknown } | null)?.id ?? ''),
        ),
      )) {
        const refs = byId.get(id)?.associations[to] ?? [];
        if (refs.length === 0) {
          missing.push(id);
          continue;
        }
        results.push({
          from: { id },
          to: refs.map((ref) => ({
            toObjectId: Number(ref.id),
            associationTypes: ref.types.map((name) => ({
              category: 'HUBSPOT_DEFINED',
              typeId: ASSOCIATION_TYPE_IDS[name] ?? 0,
              label: PRIMARY_TYPES.has(name) ? 'Primary' : null,
            })),
          })),
        });
      }
      const stamp = BATCH_STAMP;
      res.status(missing.length > 0 ? 207 : 200).json({
        status: 'COMPLETE',
        results,
        ...(missing.length > 0
          ? {
              numErrors: missing.length,
              errors: missing.map((id) => ({
                status: 'error',
                category: 'OBJECT_NOT_FOUND',
                subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND',
                message: `No ${SCHEMA[to].singular} is associated with ${SCHEMA[from].singular} ${id}.`,
                context: { fromObjectId: [id] },
              })),
            }
          : {}),
        startedAt: stamp,
        completedAt: stamp,
      });
    },
  );

  // Pipelines: GET /crm/v3/pipelines/deals (the default pipeline only).
  router.get('/crm/v3/pipelines/:objectType', (req, res) => {
    const portal = portalOf(req, res);
    if (!portal) {
      return;
    }
    if (req.params.objectType !== 'deals') {
      res.json({ results: [] });
      return;
    }
    // HubSpot stamps the default pipeline with the epoch.
    const epoch = '1970-01-01T00:00:00Z';
    res.json({
      results: [
        {
          id: 'default',
          label: 'Sales Pipeline',
          displayOrder: 0,
          archived: false,
          createdAt: epoch,
          updatedAt: epoch,
          stages: DEFAULT_DEAL_STAGES.map(
            ([id, label, probability], index) => ({
              id,
              label,
              displayOrder: index,
              metadata: {
                isClosed: String(id === 'closedwon' || id === 'closedlost'),
                probability,
              },
              archived: false,
              createdAt: epoch,
              updatedAt: epoch,
              writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
            }),
          ),
        },
      ],
    });
  });

  router.use((req, res) => {
    if (!portalOf(req, res)) {
      return;
    }
    fail(res, 404, 'OBJECT_NOT_FOUND', 'Resource not found');
  });

  return router;
}
