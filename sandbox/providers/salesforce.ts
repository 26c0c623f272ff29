/**
 * A Salesforce REST API stand-in, rendered from the seed.
 *
 * Follows developer.salesforce.com:
 * - OAuth 2.0 Refresh Token Flow: `POST /services/oauth2/token`, form body
 *   `grant_type=refresh_token`, `refresh_token`, `client_id`,
 *   `client_secret`. The answer carries `access_token`, `instance_url`,
 *   `id`, `token_type`, `issued_at` (ms since the epoch, as a string),
 *   `signature`, `scope`, and no `expires_in`; `refresh_token` only when
 *   the connected app rotates refresh tokens. Errors: 400
 *   `{ error: 'invalid_grant' | 'invalid_client_id' | …,
 *   error_description }`.
 * - REST API | Query: `GET /services/data/vXX.X/query?q=<SOQL>` answers
 *   `{ totalSize, done, nextRecordsUrl?, records }`, each record with
 *   `attributes { type, url }`; `nextRecordsUrl`
 *   (`/services/data/vXX.X/query/<locator>-<offset>`) leads to the next
 *   batch. The `Sforce-Query-Options: batchSize=N` header asks for 200 to
 *   2,000 records per batch, which Salesforce does not guarantee: this
 *   sandbox answers at most `maxBatchSize` (default 50) so that every
 *   object spans several batches.
 * - SOQL: `SELECT f, … FROM Object [WHERE c AND …] [ORDER BY f [ASC|DESC]]
 *   [LIMIT n]`, conditions `f op literal` (`= != < <= > >=`) and
 *   `f IN (…)`, literals 'strings', numbers, true/false/null, dateTime
 *   `2026-01-01T00:00:00Z` and date `2026-01-01`. Anything else answers
 *   400 `MALFORMED_QUERY`; an unknown field 400 `INVALID_FIELD`.
 * - sObject Collections, retrieve: `POST /services/data/vXX.X/composite/
 *   sobjects/{sObject}` with `{ ids, fields }`, up to 2,000 ids; one entry
 *   per id in order, null for an id that is invalid or not of that type.
 * - Error responses: `[{ message, errorCode }]`; 401 `INVALID_SESSION_ID`
 *   ("Session expired or invalid") for a missing, unknown or expired
 *   access token; 403 `REQUEST_LIMIT_EXCEEDED` past the org's API request
 *   limit. Every API answer carries `Sforce-Limit-Info: api-usage=N/M`.
 * - Record ids: 18 characters (15 case-sensitive + 3 checksum) with the
 *   object's key prefix: 001 Account, 003 Contact, 00Q Lead, 006
 *   Opportunity, 005 User, 002 Note, 00D organization.
 *
 * The seed renders as: employees → Users (owners, matched by email);
 * companies → Accounts; contacts of a company → Contacts; contacts
 * without a company → Leads; deals → Opportunities (stages of the
 * standard sales process); notes → Notes on their opportunity.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import type { Request, Response } from 'express';

import type { SeedOrganization } from '../seed';
import { sandboxCredentials } from '../types';
import type { SandboxProviderOptions } from '../types';

const PROVIDER = 'salesforce';
const COLLECTIONS_MAX_IDS = 2_000;
const BATCH_MIN = 200;
const BATCH_MAX = 2_000;
const LOCATORS_KEPT = 500;

/** Knobs tests turn; mutable, read on every request. */
export interface SalesforceSandboxSettings {
  /** The connected app rotates refresh tokens. Default false. */
  rotateRefreshTokens: boolean;
  /** Session timeout: lifetime of an access token, in ms. Default 2 h. */
  sessionTtlMs: number;
  /** Largest batch a query answers. Default 50. */
  maxBatchSize: number;
  /** API requests per org before `REQUEST_LIMIT_EXCEEDED`. */
  apiRequestLimit: number;
  /** Delay before the token endpoint answers, in ms. Default 0. */
  tokenDelayMs: number;
}

export function defaultSalesforceSettings(): SalesforceSandboxSettings {
  return {
    rotateRefreshTokens: false,
    sessionTtlMs: 2 * 3_600_000,
    maxBatchSize: 50,
    apiRequestLimit: 100_000,
    tokenDelayMs: 0,
  };
}

type FieldValue = string | number | boolean | null;
type SObjectRecord = Record<string, FieldValue>;

export type SObjectName =
  'Account' | 'Contact' | 'Lead' | 'Opportunity' | 'User' | 'Note';

const KEY_PREFIX: Record<SObjectName, string> = {
  Account: '001',
  Contact: '003',
  Lead: '00Q',
  Opportunity: '006',
  User: '005',
  Note: '002',
};

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/**
 * The 3-character suffix of an 18-character id: for each 5-character chunk
 * of the 15-character id, a bit per upper-case letter.
 */
export function salesforceChecksum(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk += 1) {
    let bits = 0;
    for (let index = 0; index < 5; index += 1) {
      const char = id15[chunk * 5 + index] ?? '';
      if (char >= 'A' && char <= 'Z') {
        bits |= 1 << index;
      }
    }
    suffix += CHECKSUM_CHARS[bits];
  }
  return suffix;
}

/**
 * An 18-character record id: key prefix, a fixed pod part, then `n` in
 * base 62 (zero-padded, so ids sort as their numbers do).
 */
export function salesforceId(prefix: string, n: number): string {
  let digits = '';
  let rest = n;
  for (let index = 0; index < 6; index += 1) {
    digits = (BASE62[rest % 62] as string) + digits;
    rest = Math.floor(rest / 62);
  }
  const id15 = `${prefix}Dn0000${digits}`;
  return id15 + salesforceChecksum(id15);
}

/** Standard sales process stages for each seed (HubSpot) deal stage. */
const STAGES: Record<
  string,
  { name: string; probability: number; closed: boolean; won: boolean }
> = {
  appointmentscheduled: {
    name: 'Prospecting',
    probability: 10,
    closed: false,
    won: false,
  },
  qualifiedtobuy: {
    name: 'Qualification',
    probability: 20,
    closed: false,
    won: false,
  },
  presentationscheduled: {
    name: 'Needs Analysis',
    probability: 40,
    closed: false,
    won: false,
  },
  decisionmakerboughtin: {
    name: 'Proposal/Price Quote',
    probability: 75,
    closed: false,
    won: false,
  },
  contractsent: {
    name: 'Negotiation/Review',
    probability: 90,
    closed: false,
    won: false,
  },
  closedwon: { name: 'Closed Won', probability: 100, closed: true, won: true },
  closedlost: { name: 'Closed Lost', probability: 0, closed: true, won: false },
};

const LEAD_SOURCES = [
  'Web',
  'Phone Inquiry',
  'Partner Referral',
  'Purchased List',
  'Other',
];
const LEAD_STATUSES = [
  'Open - Not Contacted',
  'Working - Contacted',
  'Closed - Not Converted',
];

/** Salesforce writes datetimes as `2026-11-01T12:00:00.000+0000`. */
function sfDateTime(iso: string): string {
  return new Date(iso).toISOString().replace('Z', '+0000');
}

function audit(createdAt: string, modifiedAt: string, byUser: string | null) {
  return {
    CreatedDate: sfDateTime(createdAt),
    CreatedById: byUser,
    LastModifiedDate: sfDateTime(modifiedAt),
    LastModifiedById: byUser,
    SystemModstamp: sfDateTime(modifiedAt),
    IsDeleted: false,
  };
}

export interface SalesforceOrg {
  key: string;
  orgId: string;
  objects: Record<SObjectName, SObjectRecord[]>;
}

/** Renders one seeded organization as a Salesforce org. */
export function renderSalesforceOrg(
  key: string,
  index: number,
  data: SeedOrganization,
): SalesforceOrg {
  const userIdByEmail = new Map<string, string>();
  const users: SObjectRecord[] = data.employees.map((employee, n) => {
    const id = salesforceId(KEY_PREFIX.User, n + 1);
    userIdByEmail.set(employee.workEmail.toLowerCase(), id);
    return {
      Id: id,
      Username: `${employee.workEmail}.sandbox`,
      FirstName: employee.preferredName ?? employee.firstName,
      LastName: employee.lastName,
      Name: `${employee.preferredName ?? employee.firstName} ${employee.lastName}`,
      Email: employee.workEmail,
      Title: employee.jobTitle,
      Department: employee.department,
      IsActive: employee.status === 'Active',
      UserType: 'Standard',
      ...audit(employee.createdAt, employee.modifiedAt, null),
    };
  });
  const owner = (email: string) =>
    userIdByEmail.get(email.toLowerCase()) ?? null;

  const accountIdByCompany = new Map<string, string>();
  const accounts: SObjectRecord[] = data.companies.map((company, n) => {
    const id = salesforceId(KEY_PREFIX.Account, n + 1);
    accountIdByCompany.set(company.id, id);
    return {
      Id: id,
      Name: company.name,
      Description: null,
      Industry: company.industry,
      Website: `https://${company.domain}`,
      NumberOfEmployees: company.numberOfEmployees,
      AnnualRevenue: company.annualRevenue,
      BillingCity: company.city,
      BillingCountry: company.country,
      Type: 'Customer - Direct',
      OwnerId: owner(company.ownerEmail),
      ...audit(
        company.createdAt,
        company.modifiedAt,
        owner(company.ownerEmail),
      ),
    };
  });

  const contacts: SObjectRecord[] = [];
  const leads: SObjectRecord[] = [];
  const contactIdBySeed = new Map<string, string>();
  for (const contact of data.contacts) {
    const base = {
      FirstName: contact.firstName,
      LastName: contact.lastName,
      Name: `${contact.firstName} ${contact.lastName}`,
      Email: contact.email,
      Phone: contact.phone,
      Title: contact.jobTitle,
      OwnerId: owner(contact.ownerEmail),
      ...audit(
        contact.createdAt,
        contact.modifiedAt,
        owner(contact.ownerEmail),
      ),
    };
    if (contact.companyId !== null) {
      const id = salesforceId(KEY_PREFIX.Contact, contacts.length + 1);
      contactIdBySeed.set(contact.id, id);
      contacts.push({
        Id: id,
        AccountId: accountIdByCompany.get(contact.companyId) ?? null,
        ...base,
      });
    } else {
      const n = leads.length;
      leads.push({
        Id: salesforceId(KEY_PREFIX.Lead, n + 1),
        ...base,
        Company: `${contact.lastName} ${['Labs', 'Group', 'Studio'][n % 3]}`,
        LeadSource: LEAD_SOURCES[n % LEAD_SOURCES.length] ?? null,
        Status: LEAD_STATUSES[n % LEAD_STATUSES.length] ?? null,
        IsConverted: false,
        ConvertedDate: null,
      });
    }
  }

  const opportunityIdByDeal = new Map<string, string>();
  const opportunities: SObjectRecord[] = data.deals.map((deal, n) => {
    const id = salesforceId(KEY_PREFIX.Opportunity, n + 1);
    opportunityIdByDeal.set(deal.id, id);
    const stage = STAGES[deal.stage] ?? {
      name: deal.stage,
      probability: 0,
      closed: false,
      won: false,
    };
    return {
      Id: id,
      Name: deal.name,
      Description: null,
      Amount: deal.amount,
      StageName: stage.name,
      Probability: stage.probability,
      IsClosed: stage.closed,
      IsWon: stage.won,
      CloseDate: deal.closeDate,
      ForecastCategoryName: stage.closed
        ? stage.won
          ? 'Closed'
          : 'Omitted'
        : 'Pipeline',
      AccountId: accountIdByCompany.get(deal.companyId) ?? null,
      OwnerId: owner(deal.ownerEmail),
      ...audit(deal.createdAt, deal.modifiedAt, owner(deal.ownerEmail)),
    };
  });

  const notes: SObjectRecord[] = data.notes.map((note, n) => ({
    Id: salesforceId(KEY_PREFIX.Note, n + 1),
    Title: note.body.split(/[.;]/)[0] ?? note.body,
    Body: note.body,
    IsPrivate: false,
    ParentId:
      (note.dealId && opportunityIdByDeal.get(note.dealId)) ??
      accountIdByCompany.get(note.companyId) ??
      null,
    OwnerId: owner(note.ownerEmail),
    ...audit(note.createdAt, note.modifiedAt, owner(note.ownerEmail)),
  }));

  const byId = (a: SObjectRecord, b: SObjectRecord) =>
    String(a.Id) < String(b.Id) ? -1 : 1;
  return {
    key,
    orgId: salesforceId('00D', 1_000 + index),
    objects: {
      Account: accounts.sort(byId),
      Contact: contacts.sort(byId),
      Lead: leads.sort(byId),
      Opportunity: opportunities.sort(byId),
      User: users.sort(byId),
      Note: notes.sort(byId),
    },
  };
}

// --- SOQL -----------------------------------------------------------------

class SoqlError extends Error {
  constructor(
    message: string,
    readonly errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE',
  ) {
    super(message);
  }
}

type Literal = string | number | boolean | null | { dateTime: number };

interface Condition {
  field: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'IN' | 'NOT IN';
  value: Literal | Literal[];
}

interface SoqlQuery {
  fields: string[];
  object: SObjectName;
  where: Condition[];
  orderBy: { field: string; descending: boolean } | null;
  limit: number | null;
}

const TOKEN =
  /\s*(?:('(?:[^'\\]|\\.)*')|(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))|(\d{4}-\d{2}-\d{2})|(-?\d+(?:\.\d+)?)|(!=|<=|>=|[=<>(),])|([A-Za-z_][A-Za-z0-9_.]*))/y;

function tokenize(soql: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let position = 0;
  while (position < soql.length) {
    if (/^\s*$/.test(soql.slice(position))) {
      break;
    }
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(soql);
    if (!match) {
      throw new SoqlError(
        `unexpected token at position ${position}`,
        'MALFORMED_QUERY',
      );
    }
    tokens.push(match[0].trim());
    position = TOKEN.lastIndex;
  }
  return tokens;
}

function parseLiteral(token: string | undefined): Literal {
  if (token === undefined) {
    throw new SoqlError('unexpected end of query', 'MALFORMED_QUERY');
  }
  if (token.startsWith("'")) {
    return token.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(token)) {
    return { dateTime: Date.parse(token) };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(token)) {
    return token;
  }
  if (/^-?\d/.test(token)) {
    return Number(token);
  }
  const word = token.toLowerCase();
  if (word === 'true' || word === 'false') {
    return word === 'true';
  }
  if (word === 'null') {
    return null;
  }
  throw new SoqlError(`unexpected token '${token}'`, 'MALFORMED_QUERY');
}

function parseSoql(soql: string, known: ReadonlySet<string>): SoqlQuery {
  const tokens = tokenize(soql);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++];
  const keyword = (word: string) => peek()?.toUpperCase() === word;
  const expect = (word: string) => {
    if (next()?.toUpperCase() !== word) {
      throw new SoqlError(`expected ${word}`, 'MALFORMED_QUERY');
    }
  };

  expect('SELECT');
  const fields: string[] = [];
  for (;;) {
    const field = next();
    if (!field || !/^[A-Za-z_]/.test(field)) {
      throw new SoqlError('expected a field name', 'MALFORMED_QUERY');
    }
    fields.push(field);
    if (peek() !== ',') {
      break;
    }
    next();
  }
  expect('FROM');
  const object = next() as SObjectName;
  if (!(object in KEY_PREFIX)) {
    throw new SoqlError(
      `sObject type '${object}' is not supported.`,
      'INVALID_TYPE',
    );
  }
  const where: Condition[] = [];
  if (keyword('WHERE')) {
    next();
    for (;;) {
      const field = next() ?? '';
      let op = next()?.toUpperCase() ?? '';
      if (op === 'NOT' && keyword('IN')) {
        next();
        op = 'NOT IN';
      }
      if (op === 'IN' || op === 'NOT IN') {
        if (next() !== '(') {
          throw new SoqlError('expected ( after IN', 'MALFORMED_QUERY');
        }
        const values: Literal[] = [];
        for (;;) {
          values.push(parseLiteral(next()));
          const separator = next();
          if (separator === ')') break;
          if (separator !== ',') {
            throw new SoqlError('expected , or )', 'MALFORMED_QUERY');
          }
        }
        where.push({ field, op, value: values });
      } else if (['=', '!=', '<', '<=', '>', '>='].includes(op)) {
        where.push({
          field,
          op: op as Condition['op'],
          value: parseLiteral(next()),
        });
      } else {
        throw new SoqlError(`unexpected operator '${op}'`, 'MALFORMED_QUERY');
      }
      if (!keyword('AND')) break;
      next();
    }
  }
  let orderBy: SoqlQuery['orderBy'] = null;
  if (keyword('ORDER')) {
    next();
    expect('BY');
    const field = next() ?? '';
    let descending = false;
    if (keyword('ASC') || keyword('DESC')) {
      descending = next()?.toUpperCase() === 'DESC';
    }
    orderBy = { field, descending };
  }
  let limit: number | null = null;
  if (keyword('LIMIT')) {
    next();
    limit = Number(next());
    if (!Number.isInteger(limit) || limit < 0) {
      throw new SoqlError('LIMIT expects a whole number', 'MALFORMED_QUERY');
    }
  }
  if (at !== tokens.length) {
    throw new SoqlError(`unexpected token '${peek()}'`, 'MALFORMED_QUERY');
  }
  for (const field of [
    ...fields,
    ...where.map((condition) => condition.field),
    ...(orderBy ? [orderBy.field] : []),
  ]) {
    if (!known.has(field)) {
      throw new SoqlError(
        `No such column '${field}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
        'INVALID_FIELD',
      );
    }
  }
  return { fields, object, where, orderBy, limit };
}

function comparable(
  value: FieldValue | Literal,
): string | number | boolean | null {
  if (value !== null && typeof value === 'object') {
    return value.dateTime;
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    return Date.parse(value);
  }
  // SOQL compares strings case-insensitively.
  return typeof value === 'string' ? value.toLowerCase() : value;
}

function matches(record: SObjectRecord, condition: Condition): boolean {
  const actual = comparable(record[condition.field] ?? null);
  if (Array.isArray(condition.value)) {
    const found = condition.value.some((value) => comparable(value) === actual);
    return condition.op === 'IN' ? found : !found;
  }
  const expected = comparable(condition.value);
  switch (condition.op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    default: {
      if (actual === null || expected === null) return false;
      if (condition.op === '<') return actual < expected;
      if (condition.op === '<=') return actual <= expected;
      if (condition.op === '>') return actual > expected;
      return actual >= expected;
    }
  }
}

// --- HTTP -----------------------------------------------------------------

interface IssuedToken {
  orgKey: string;
  expiresAt: number;
}

function errorBody(message: string, errorCode: string) {
  return [{ message, errorCode }];
}

/**
 * The Salesforce sandbox router, mounted at `/salesforce`: the instance URL
 * and the login host are both this mount point.
 */
export function createSalesforceSandbox(
  options: SandboxProviderOptions,
  settings: SalesforceSandboxSettings = defaultSalesforceSettings(),
): express.Router {
  const orgs = new Map<string, SalesforceOrg>();
  options.organizations.forEach((organization, index) => {
    orgs.set(
      organization.key,
      renderSalesforceOrg(organization.key, index, organization.data),
    );
  });
  const refreshTokens = new Map<string, string>();
  for (const key of orgs.keys()) {
    refreshTokens.set(sandboxCredentials.salesforce(key).refreshToken, key);
  }
  const accessTokens = new Map<string, IssuedToken>();
  const apiUsage = new Map<string, number>();
  const locators = new Map<
    string,
    { records: SObjectRecord[]; batch: number; orgKey: string }
  >();

  const router = express.Router();
  router.use(express.urlencoded({ extended: false }));
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

  router.post('/services/oauth2/token', (req: Request, res: Response) => {
    const form = (req.body ?? {}) as Record<string, string | undefined>;
    const answer = () => {
      if (form.grant_type !== 'refresh_token') {
        res.status(400).json({
          error: 'unsupported_grant_type',
          error_description: 'grant type not supported',
        });
        return;
      }
      const orgKey = refreshTokens.get(form.refresh_token ?? '');
      const client = orgKey ? sandboxCredentials.salesforce(orgKey) : undefined;
      if (!orgKey || !client) {
        res.status(400).json({
          error: 'invalid_grant',
          error_description: 'expired access/refresh token',
        });
        return;
      }
      if (form.client_id !== client.clientId) {
        res.status(400).json({
          error: 'invalid_client_id',
          error_description: 'client identifier invalid',
        });
        return;
      }
      if (form.client_secret !== client.clientSecret) {
        res.status(400).json({
          error: 'invalid_client',
          error_description: 'invalid client credentials',
        });
        return;
      }
      const org = orgs.get(orgKey) as SalesforceOrg;
      const accessToken = `${org.orgId.slice(0, 15)}!${randomBytes(24).toString('base64url')}`;
      const issuedAt = Date.now();
      accessTokens.set(accessToken, {
        orgKey,
        expiresAt: issuedAt + settings.sessionTtlMs,
      });
      const origin = `${req.protocol}://${req.get('host') ?? ''}${req.baseUrl}`;
      const body: Record<string, string> = {
        access_token: accessToken,
        signature: randomBytes(32).toString('base64'),
        scope: 'refresh_token api',
        instance_url: origin,
        id: `${origin}/id/${org.orgId}/${String(org.objects.User[0]?.Id ?? '')}`,
        token_type: 'Bearer',
        issued_at: String(issuedAt),
      };
      if (settings.rotateRefreshTokens) {
        refreshTokens.delete(form.refresh_token ?? '');
        const rotated = `5Aep${randomBytes(30).toString('base64url')}`;
        refreshTokens.set(rotated, orgKey);
        body.refresh_token = rotated;
      }
      res.json(body);
    };
    if (settings.tokenDelayMs > 0) {
      setTimeout(answer, settings.tokenDelayMs);
    } else {
      answer();
    }
  });

  // Every API call: the bearer session, then the org's request allowance.
  const api = express.Router();
  api.use((req, res, next) => {
    const header = req.get('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const issued = accessTokens.get(token);
    if (!issued || issued.expiresAt <= Date.now()) {
      res
        .status(401)
        .json(errorBody('Session expired or invalid', 'INVALID_SESSION_ID'));
      return;
    }
    const used = (apiUsage.get(issued.orgKey) ?? 0) + 1;
    apiUsage.set(issued.orgKey, used);
    res.set(
      'Sforce-Limit-Info',
      `api-usage=${used}/${settings.apiRequestLimit}`,
    );
    if (used > settings.apiRequestLimit) {
      res
        .status(403)
        .json(
          errorBody('TotalRequests Limit exceeded.', 'REQUEST_LIMIT_EXCEEDED'),
        );
      return;
    }
    res.locals.org = orgs.get(issued.orgKey);
    next();
  });

  const sendBatch = (
    res: Response,
    version: string,
    locatorId: string,
    offset: number,
  ) => {
    const locator = locators.get(locatorId);
    if (!locator) {
      res
        .status(400)
        .json(errorBody('invalid query locator', 'INVALID_QUERY_LOCATOR'));
      return;
    }
    const records = locator.records.slice(offset, offset + locator.batch);
    const end = offset + records.length;
    const done = end >= locator.records.length;
    res.json({
      totalSize: locator.records.length,
      done,
      ...(done
        ? {}
        : {
            nextRecordsUrl: `/services/data/${version}/query/${locatorId}-${end}`,
          }),
      records,
    });
  };

  api.get('/services/data/:version/query', (req, res) => {
    const org = res.locals.org as SalesforceOrg;
    const version = String(req.params.version);
    const soql = typeof req.query.q === 'string' ? req.query.q : '';
    let query: SoqlQuery;
    try {
      const objectMatch = /\bFROM\s+([A-Za-z]+)/i.exec(soql);
      const sample = org.objects[(objectMatch?.[1] ?? '') as SObjectName];
      const known = new Set(Object.keys(sample?.[0] ?? {}));
      query = parseSoql(soql, known);
    } catch (error: unknown) {
      if (error instanceof SoqlError) {
        res.status(400).json(errorBody(error.message, error.errorCode));
        return;
      }
      throw error;
    }
    let records = org.objects[query.object].filter((record) =>
      query.where.every((condition) => matches(record, condition)),
    );
    if (query.orderBy) {
      const { field, descending } = query.orderBy;
      records = [...records].sort((a, b) => {
        const left = comparable(a[field] ?? null);
        const right = comparable(b[field] ?? null);
        if (left === right) return 0;
        if (left === null) return descending ? 1 : -1;
        if (right === null) return descending ? -1 : 1;
        return (left < right ? -1 : 1) * (descending ? -1 : 1);
      });
    }
    if (query.limit !== null) {
      records = records.slice(0, query.limit);
    }
    const projected = records.map((record) => {
      const row: Record<string, unknown> = {
        attributes: {
          type: query.object,
          url: `/services/data/${version}/sobjects/${query.object}/${String(record.Id)}`,
        },
      };
      for (const field of query.fields) {
        row[field] = record[field] ?? null;
      }
      return row as SObjectRecord;
    });
    const asked = /batchSize=(\d+)/.exec(req.get('sforce-query-options') ?? '');
    const batch = Math.min(
      asked
        ? Math.max(BATCH_MIN, Math.min(Number(asked[1]), BATCH_MAX))
        : BATCH_MAX,
      settings.maxBatchSize,
    );
    const locatorId = `01g${org.orgId.slice(3, 8)}${randomBytes(5).toString('hex')}`;
    locators.set(locatorId, { records: projected, batch, orgKey: org.key });
    if (locators.size > LOCATORS_KEPT) {
      locators.delete(locators.keys().next().value as string);
    }
    sendBatch(res, version, locatorId, 0);
  });

  api.get('/services/data/:version/query/:locator', (req, res) => {
    const org = res.locals.org as SalesforceOrg;
    const match = /^(01g[A-Za-z0-9]+)-(\d+)$/.exec(String(req.params.locator));
    const locator = match ? locators.get(match[1] as string) : undefined;
    if (!match || !locator || locator.orgKey !== org.key) {
      res
        .status(400)
        .json(errorBody('invalid query locator', 'INVALID_QUERY_LOCATOR'));
      return;
    }
    sendBatch(
      res,
      String(req.params.version),
      match[1] as string,
      Number(match[2]),
    );
  });

  api.post(
    '/services/data/:version/composite/sobjects/:sobject',
    (req, res) => {
      const org = res.locals.org as SalesforceOrg;
      const object = String(req.params.sobject) as SObjectName;
      const records = org.objects[object];
      if (!records) {
        res
          .status(404)
          .json(
            errorBody(`The requested resource does not exist`, 'NOT_FOUND'),
          );
        return;
      }
      const body = (req.body ?? {}) as { ids?: unknown; fields?: unknown };
      const ids = Array.isArray(body.ids) ? body.ids.map(String) : [];
      const fields = Array.isArray(body.fields) ? body.fields.map(String) : [];
      if (ids.length === 0 || fields.length === 0) {
        res
          .status(400)
          .json(
            errorBody('Both ids and fields are required.', 'INVALID_FIELD'),
          );
        return;
      }
      if (ids.length > COLLECTIONS_MAX_IDS) {
        res
          .status(400)
          .json(
            errorBody(
              `Maximum number of ids is ${COLLECTIONS_MAX_IDS}.`,
              'LIMIT_EXCEEDED',
            ),
          );
        return;
      }
      const known = new Set(Object.keys(records[0] ?? {}));
      const unknown = fields.find((field) => !known.has(field));
      if (unknown) {
        res
          .status(400)
          .json(
            errorBody(
              `No such column '${unknown}' on entity '${object}'.`,
              'INVALID_FIELD',
            ),
          );
        return;
      }
      const byId = new Map(
        records.map((record) => [String(record.Id), record]),
      );
      res.json(
        ids.map((id) => {
          const record = byId.get(id);
          if (!record) return null;
          const row: Record<string, unknown> = {
            attributes: {
              type: object,
              url: `/services/data/${String(req.params.version)}/sobjects/${object}/${id}`,
            },
          };
          for (const field of fields) {
            row[field] = record[field] ?? null;
          }
          return row;
        }),
      );
    },
  );

  router.use(api);
  router.use((_req, res) => {
    res
      .status(404)
      .json(errorBody('The requested resource does not exist', 'NOT_FOUND'));
  });
  return router;
}
