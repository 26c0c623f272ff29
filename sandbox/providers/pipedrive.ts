/**
 * A Pipedrive API stand-in, rendered from the seed.
 *
 * Follows developers.pipedrive.com:
 * - Authentication: the API token in the `x-api-token` header (the
 *   documented way; the legacy `api_token` query parameter is accepted
 *   too). A missing or unknown token answers 401
 *   `{ success: false, error: 'unauthorized access', errorCode: 401 }`.
 * - API v2 list endpoints `GET /api/v2/persons`, `/organizations`,
 *   `/deals`: cursor pagination (`cursor`, `limit` default 100 max 500,
 *   `additional_data.next_cursor` null on the last page), filters
 *   `updated_since` (RFC 3339), `owner_id`, `org_id`, `ids` (comma
 *   separated, at most 100), deals `status` (`open,won,lost,deleted`;
 *   omitted: every deal not deleted), `sort_by=id|update_time|add_time`,
 *   `sort_direction`. `GET /api/v2/stages` for stage names.
 * - API v1 `GET /v1/leads` and `GET /v1/notes`: `start`/`limit` pagination
 *   (limit max 500) with `additional_data.pagination.more_items_in_collection`
 *   and `next_start`; `GET /v1/leads/{id}`, `GET /v1/notes/{id}`;
 *   `GET /v1/users` (every user in one answer).
 * - Rate limiting: every answer carries `x-ratelimit-limit`,
 *   `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds); past the
 *   limit, 429 with the same headers.
 * - Answers are `{ success, data, additional_data? }`; errors
 *   `{ success: false, error, errorCode }`.
 *
 * The seed renders as: employees → users (deal owners, matched by email);
 * companies → organizations; every contact → a person; contacts without a
 * company → leads on their person; deals → deals (HubSpot stages become
 * the default pipeline's stages; closed won/lost become status won/lost).
 */
import { createHash } from 'node:crypto';
import express from 'express';
import type { Request, Response } from 'express';

import type { SeedOrganization } from '../seed';
import { sandboxCredentials } from '../types';
import type { SandboxProviderOptions } from '../types';

const PROVIDER = 'pipedrive';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;
const MAX_IDS = 100;
const USER_ID_OFFSET = 13_000_000;

export interface PipedriveSandboxSettings {
  /** Requests per org per window before 429. */
  rateLimit: number;
  /** Window of the rate limit, in seconds. */
  rateWindowSeconds: number;
}

export function defaultPipedriveSettings(): PipedriveSandboxSettings {
  return { rateLimit: 100_000, rateWindowSeconds: 2 };
}

type Row = Record<string, unknown>;

interface Company {
  users: Row[];
  persons: Row[];
  organizations: Row[];
  deals: Row[];
  leads: Row[];
  notes: Row[];
  stages: Row[];
}

/** Pipedrive's v2 timestamps are RFC 3339 without milliseconds. */
function rfc3339(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19)}Z`;
}

/** v1 writes `2026-11-01 12:00:00` (UTC). */
function v1Time(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
}

/** A deterministic UUID-shaped lead id. */
function uuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const STAGES: Array<{ key: string; name: string; probability: number }> = [
  { key: 'appointmentscheduled', name: 'Qualified', probability: 10 },
  { key: 'qualifiedtobuy', name: 'Contact Made', probability: 20 },
  { key: 'presentationscheduled', name: 'Demo Scheduled', probability: 40 },
  { key: 'decisionmakerboughtin', name: 'Proposal Made', probability: 70 },
  { key: 'contractsent', name: 'Negotiations Started', probability: 90 },
];

export function renderPipedriveCompany(data: SeedOrganization): Company {
  const userIdByEmail = new Map<string, number>();
  const users = data.employees.map((employee) => {
    const id = USER_ID_OFFSET + Number(employee.id);
    userIdByEmail.set(employee.workEmail.toLowerCase(), id);
    return {
      id,
      name: `${employee.preferredName ?? employee.firstName} ${employee.lastName}`,
      email: employee.workEmail,
      active_flag: employee.status === 'Active',
      is_admin: 0,
      created: v1Time(employee.createdAt),
      modified: v1Time(employee.modifiedAt),
      timezone_name: 'Europe/London',
    };
  });
  const owner = (email: string) =>
    userIdByEmail.get(email.toLowerCase()) ?? null;

  const orgIdByCompany = new Map<string, number>();
  const organizations = data.companies.map((company, n) => {
    orgIdByCompany.set(company.id, n + 1);
    return {
      id: n + 1,
      name: company.name,
      owner_id: owner(company.ownerEmail),
      add_time: rfc3339(company.createdAt),
      update_time: rfc3339(company.modifiedAt),
      is_deleted: false,
      visible_to: 3,
      address: {
        value: `${company.city}, ${company.country}`,
        locality: company.city,
        country: company.country,
      },
      label_ids: [],
    };
  });

  const personIdByContact = new Map<string, number>();
  const persons = data.contacts.map((contact, n) => {
    personIdByContact.set(contact.id, n + 1);
    return {
      id: n + 1,
      name: `${contact.firstName} ${contact.lastName}`,
      first_name: contact.firstName,
      last_name: contact.lastName,
      owner_id: owner(contact.ownerEmail),
      org_id: contact.companyId
        ? (orgIdByCompany.get(contact.companyId) ?? null)
        : null,
      emails: [{ value: contact.email, primary: true, label: 'work' }],
      phones: [{ value: contact.phone, primary: true, label: 'work' }],
      job_title: contact.jobTitle,
      add_time: rfc3339(contact.createdAt),
      update_time: rfc3339(contact.modifiedAt),
      is_deleted: false,
      visible_to: 3,
    };
  });

  const leads = data.contacts
    .filter((contact) => contact.companyId === null)
    .map((contact, n) => ({
      id: uuid(`lead-${contact.id}`),
      title: `${contact.lastName} lead`,
      owner_id: owner(contact.ownerEmail),
      creator_id: owner(contact.ownerEmail),
      person_id: personIdByContact.get(contact.id) ?? null,
      organization_id: null,
      source_name: ['Web forms', 'Prospector', 'Manually created'][n % 3],
      is_archived: false,
      was_seen: true,
      value: null,
      expected_close_date: null,
      add_time: `${new Date(contact.createdAt).toISOString()}`,
      update_time: `${new Date(contact.modifiedAt).toISOString()}`,
      label_ids: [],
    }));

  const stages = STAGES.map((stage, n) => ({
    id: n + 1,
    name: stage.name,
    order_nr: n + 1,
    pipeline_id: 1,
    deal_probability: stage.probability,
    is_deleted: false,
  }));

  const dealIdBySeed = new Map<string, number>();
  const deals = data.deals.map((deal, n) => {
    dealIdBySeed.set(deal.id, n + 1);
    const status =
      deal.stage === 'closedwon'
        ? 'won'
        : deal.stage === 'closedlost'
          ? 'lost'
          : 'open';
    const stageIndex = Math.max(
      0,
      STAGES.findIndex((stage) => stage.key === deal.stage),
    );
    const closed = status !== 'open' ? rfc3339(deal.modifiedAt) : null;
    return {
      id: n + 1,
      title: deal.name,
      owner_id: owner(deal.ownerEmail),
      person_id: null,
      org_id: orgIdByCompany.get(deal.companyId) ?? null,
      pipeline_id: 1,
      // Won and lost deals stay in the stage they closed from.
      stage_id: status === 'open' ? stageIndex + 1 : STAGES.length,
      value: deal.amount,
      currency: 'USD',
      status,
      probability: null,
      add_time: rfc3339(deal.createdAt),
      update_time: rfc3339(deal.modifiedAt),
      stage_change_time: rfc3339(deal.modifiedAt),
      close_time: closed,
      won_time: status === 'won' ? closed : null,
      lost_time: status === 'lost' ? closed : null,
      lost_reason: status === 'lost' ? 'Lost to competitor' : null,
      expected_close_date: deal.closeDate,
      is_deleted: false,
      visible_to: 3,
    };
  });
  // One deleted deal, which listings show only when asked for.
  if (deals.length > 0) {
    const last = deals[deals.length - 1] as (typeof deals)[number];
    deals.push({
      ...last,
      id: last.id + 1,
      title: `${last.title} (deleted)`,
      status: 'deleted',
      is_deleted: true,
    });
  }

  const notes = data.notes.map((note, n) => ({
    id: n + 1,
    content: note.body,
    user_id: owner(note.ownerEmail),
    deal_id: note.dealId ? (dealIdBySeed.get(note.dealId) ?? null) : null,
    person_id: note.contactId
      ? (personIdByContact.get(note.contactId) ?? null)
      : null,
    org_id: orgIdByCompany.get(note.companyId) ?? null,
    lead_id: null,
    add_time: v1Time(note.createdAt),
    update_time: v1Time(note.modifiedAt),
    active_flag: true,
  }));

  return { users, persons, organizations, deals, leads, notes, stages };
}

function fail(res: Response, status: number, error: string): void {
  res.status(status).json({ success: false, error, errorCode: status });
}

function intParam(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const number = Number(value);
  return Number.isInteger(number) && number >= 0 ? number : undefined;
}

export function createPipedriveSandbox(
  options: SandboxProviderOptions,
  settings: PipedriveSandboxSettings = defaultPipedriveSettings(),
): express.Router {
  const companies = new Map<string, Company>();
  for (const organization of options.organizations) {
    companies.set(
      sandboxCredentials.pipedrive(organization.key).apiToken,
      renderPipedriveCompany(organization.data),
    );
  }
  const windows = new Map<string, { start: number; used: number }>();
  const router = express.Router();
  router.use((req, res, next) => {
    options.recorder.record({
      provider: PROVIDER,
      method: req.method,
      path: req.path,
      query: { ...req.query },
      body: undefined,
      at: Date.now(),
    });
    const token =
      req.get('x-api-token') ??
      (typeof req.query.api_token === 'string' ? req.query.api_token : '');
    const company = companies.get(token);
    if (!company) {
      fail(res, 401, 'unauthorized access');
      return;
    }
    const now = Date.now();
    let window = windows.get(token);
    if (!window || now - window.start >= settings.rateWindowSeconds * 1000) {
      window = { start: now, used: 0 };
      windows.set(token, window);
    }
    window.used += 1;
    const reset = Math.max(
      1,
      Math.ceil(
        (window.start + settings.rateWindowSeconds * 1000 - now) / 1000,
      ),
    );
    res.set({
      'x-ratelimit-limit': String(settings.rateLimit),
      'x-ratelimit-remaining': String(
        Math.max(0, settings.rateLimit - window.used),
      ),
      'x-ratelimit-reset': String(reset),
    });
    if (window.used > settings.rateLimit) {
      // Pipedrive says when to come back in x-ratelimit-reset only.
      fail(res, 429, 'Request over limit');
      return;
    }
    res.locals.company = company;
    next();
  });

  /** v2 cursor listing with the documented filters. */
  const v2List =
    (
      pick: (company: Company) => Row[],
      filters: { status?: boolean; orgId?: boolean },
    ) =>
    (req: Request, res: Response) => {
      const company = res.locals.company as Company;
      const limit = intParam(req.query.limit, DEFAULT_LIMIT);
      if (limit === undefined || limit < 1 || limit > MAX_LIMIT) {
        fail(res, 400, `limit must be 1 to ${MAX_LIMIT}`);
        return;
      }
      let rows = pick(company);
      const q = req.query;
      if (filters.status) {
        const statuses =
          typeof q.status === 'string'
            ? q.status.split(',')
            : ['open', 'won', 'lost'];
        rows = rows.filter((row) => statuses.includes(String(row.status)));
      } else {
        rows = rows.filter((row) => row.is_deleted !== true);
      }
      if (typeof q.ids === 'string') {
        const ids = q.ids.split(',');
        if (ids.length > MAX_IDS) {
          fail(res, 400, `ids accepts at most ${MAX_IDS} values`);
          return;
        }
        rows = rows.filter((row) => ids.includes(String(row.id)));
      }
      if (typeof q.owner_id === 'string') {
        rows = rows.filter((row) => String(row.owner_id) === q.owner_id);
      }
      if (filters.orgId && typeof q.org_id === 'string') {
        rows = rows.filter((row) => String(row.org_id) === q.org_id);
      }
      if (typeof q.updated_since === 'string') {
        const since = Date.parse(q.updated_since);
        if (Number.isNaN(since)) {
          fail(res, 400, 'updated_since must be an RFC 3339 date-time');
          return;
        }
        rows = rows.filter(
          (row) => Date.parse(String(row.update_time)) >= since,
        );
      }
      const sortBy = typeof q.sort_by === 'string' ? q.sort_by : 'id';
      const descending = q.sort_direction === 'desc';
      rows = [...rows].sort((a, b) => {
        const left =
          sortBy === 'id' ? Number(a.id) : Date.parse(String(a[sortBy]));
        const right =
          sortBy === 'id' ? Number(b.id) : Date.parse(String(b[sortBy]));
        return (
          (left - right || Number(a.id) - Number(b.id)) * (descending ? -1 : 1)
        );
      });
      // The cursor is opaque to clients: here, the offset, base64-encoded.
      let offset = 0;
      if (typeof q.cursor === 'string') {
        const decoded = Number(
          Buffer.from(q.cursor, 'base64').toString('utf8'),
        );
        if (!Number.isInteger(decoded) || decoded < 0) {
          fail(res, 400, 'Invalid cursor');
          return;
        }
        offset = decoded;
      }
      const page = rows.slice(offset, offset + limit);
      const end = offset + page.length;
      res.json({
        success: true,
        data: page,
        additional_data: {
          next_cursor:
            end < rows.length
              ? Buffer.from(String(end)).toString('base64')
              : null,
        },
      });
    };

  router.get(
    '/api/v2/persons',
    v2List((company) => company.persons, { orgId: true }),
  );
  router.get(
    '/api/v2/organizations',
    v2List((company) => company.organizations, {}),
  );
  router.get(
    '/api/v2/deals',
    v2List((company) => company.deals, { status: true, orgId: true }),
  );
  router.get('/api/v2/stages', (_req, res) => {
    const company = res.locals.company as Company;
    res.json({
      success: true,
      data: company.stages,
      additional_data: { next_cursor: null },
    });
  });

  /** v1 start/limit listing. */
  const v1List =
    (pick: (company: Company) => Row[]) => (req: Request, res: Response) => {
      const company = res.locals.company as Company;
      const start = intParam(req.query.start, 0);
      const limit = intParam(req.query.limit, DEFAULT_LIMIT);
      if (
        start === undefined ||
        limit === undefined ||
        limit < 1 ||
        limit > MAX_LIMIT
      ) {
        fail(res, 400, `start must be 0 or more and limit 1 to ${MAX_LIMIT}`);
        return;
      }
      const rows = pick(company);
      const page = rows.slice(start, start + limit);
      const more = start + page.length < rows.length;
      res.json({
        success: true,
        data: page,
        additional_data: {
          pagination: {
            start,
            limit,
            more_items_in_collection: more,
            ...(more ? { next_start: start + page.length } : {}),
          },
        },
      });
    };
  const v1Item =
    (pick: (company: Company) => Row[]) => (req: Request, res: Response) => {
      const company = res.locals.company as Company;
      const row = pick(company).find(
        (item) => String(item.id) === req.params.id,
      );
      if (!row) {
        fail(res, 404, 'Not found');
        return;
      }
      res.json({ success: true, data: row });
    };
  router.get(
    '/v1/leads',
    v1List((company) => company.leads),
  );
  router.get(
    '/v1/leads/:id',
    v1Item((company) => company.leads),
  );
  router.get(
    '/v1/notes',
    v1List((company) => company.notes),
  );
  router.get(
    '/v1/notes/:id',
    v1Item((company) => company.notes),
  );
  router.get('/v1/users', (_req, res) => {
    const company = res.locals.company as Company;
    res.json({ success: true, data: company.users });
  });

  router.use((_req, res) => {
    fail(res, 404, 'Unknown method .');
  });
  return router;
}
