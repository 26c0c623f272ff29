/**
 * The Pipedrive CRM connector: API v2 for persons, organizations, deals and
 * stages; API v1 for leads, notes and users (which have no v2 endpoints).
 *
 * Follows developers.pipedrive.com:
 * - Authentication ("Core API concepts: authentication"): the API token in
 *   the `x-api-token` header. The linked account's base URL is the company
 *   domain (`https://<company>.pipedrive.com`); credentials: `apiToken`.
 * - v2 lists (`GET /api/v2/persons|organizations|deals`): cursor
 *   pagination, `limit` max 500, `additional_data.next_cursor` until null;
 *   `ids` (up to 100) for lookups by id; `sort_by=id`.
 * - v1 lists (`GET /v1/leads`, `/v1/notes`): `start`/`limit` (max 500)
 *   until `additional_data.pagination.more_items_in_collection` is false;
 *   `GET /v1/leads/{id}` and `/v1/notes/{id}` by id (no bulk endpoint);
 *   `GET /v1/users` answers every user at once.
 * - Rate limiting: 429 is retried by the shared client (with backoff; the
 *   `x-ratelimit-reset` seconds are not read by it), and a warning is
 *   logged when `x-ratelimit-remaining` falls under 10 % of
 *   `x-ratelimit-limit`. 401 answers RELINK_NEEDED (a regenerated token).
 *
 * Pushdown: `modifiedAfter` as v2 `updated_since` (RFC 3339, UTC) for
 * persons, organizations and deals; deal status as `status`; owners and
 * organizations of nested connections as `owner_id` / `org_id` (one call
 * per parent: v2 filters take one id). Applied after fetching: leads' and
 * notes' `modifiedAfter` (v1 has no such filter), users' active flag and
 * email match (one `/v1/users` call per request). No field selection:
 * Pipedrive answers whole records.
 *
 * Deals: status `open`/`won`/`lost` → OPEN/WON/LOST, `deleted` → null with
 * the raw value kept (listings omit deleted deals, as v2 does by default);
 * the stage name comes from `GET /api/v2/stages`. Leads carry the name and
 * email of the person they link to, read in one `ids` call per page.
 */
import { chunk } from '../../../../lib/batching';
import { ErrorCode, ProviderError } from '../../../../lib/errors';
import type { ProviderClient } from '../../../../lib/http';
import type { Logger } from '../../../../lib/logger';
import type { Page } from '../../../../lib/pagination';
import type { LinkedAccount } from '../../../../lib/store/store';
import type { ConnectorDeps } from '../../../../lib/subgraph';
import type {
  CrmCapabilities,
  CrmConnector,
  ListArgs,
  ModifiedListArgs,
  OpportunityListArgs,
} from '../../connector';
import type {
  CrmAccount,
  CrmContact,
  CrmNote,
  CrmUser,
  Lead,
  Opportunity,
  OpportunityStatus,
} from '../../models';
import {
  mapDeal,
  mapLead,
  mapNote,
  mapOrganization,
  mapPerson,
  mapUser,
  type PipedriveRecord,
} from './mapping';

const PROVIDER = 'pipedrive';
const MAX_LIMIT = 500;
/** v2 `ids` takes up to 100 ids. */
const IDS_MAX = 100;
/** Lookups by id that have no bulk endpoint run this many at a time. */
const SINGLE_CONCURRENCY = 8;
const REMAINING_WARNING_SHARE = 0.1;

const NUMERIC_ID = /^\d{1,15}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type V2Resource = 'persons' | 'organizations' | 'deals';

interface Envelope {
  success?: boolean;
  data?: unknown;
  additional_data?: {
    next_cursor?: string | null;
    pagination?: {
      more_items_in_collection?: boolean;
      next_start?: number;
    };
  };
}

function clamp(limit: number): number {
  return Math.max(1, Math.min(Math.trunc(limit), MAX_LIMIT));
}

function records(body: Envelope | null): PipedriveRecord[] {
  if (!body || !Array.isArray(body.data)) {
    throw new ProviderError('pipedrive sent a malformed answer.', {
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
      provider: PROVIDER,
    });
  }
  return body.data as PipedriveRecord[];
}

const DEAL_STATUS: Record<OpportunityStatus, string> = {
  OPEN: 'open',
  WON: 'won',
  LOST: 'lost',
};

/** RFC 3339, UTC, to the second (rounded down: `updated_since` is >=). */
function rfc3339(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

export class PipedriveCrmConnector implements CrmConnector {
  readonly provider = PROVIDER;
  readonly capabilities: CrmCapabilities = {
    bulkById: true,
    bulkByIdMax: IDS_MAX,
    modifiedAfterPushdown: true,
    opportunityStatusPushdown: true,
    opportunitiesByOwnersPushdown: false,
    fieldSelection: false,
    writes: false,
  };

  private readonly client: ProviderClient;
  private readonly logger: Logger;
  private users: Promise<PipedriveRecord[]> | undefined;
  private stages: Promise<Map<string, string>> | undefined;

  constructor(
    private readonly account: LinkedAccount,
    deps: ConnectorDeps,
  ) {
    const apiToken = account.credentials.apiToken;
    if (!apiToken) {
      throw new ProviderError(
        'The linked Pipedrive account has no apiToken; link it again.',
        { code: ErrorCode.RELINK_NEEDED, provider: PROVIDER },
      );
    }
    this.logger = deps.logger;
    this.client = deps.createClient({
      auth: { type: 'header', name: 'x-api-token', value: apiToken },
    });
  }

  private async get(
    path: string,
    route: string,
    query: Record<string, string | number | undefined> = {},
  ): Promise<Envelope | null> {
    const response = await this.client.request<Envelope>({
      path,
      route,
      query,
    });
    const limit = Number(response.headers['x-ratelimit-limit']);
    const remaining = Number(response.headers['x-ratelimit-remaining']);
    if (limit > 0 && remaining / limit < REMAINING_WARNING_SHARE) {
      this.logger.warn(
        {
          provider: PROVIDER,
          linkedAccountId: this.account.id,
          remaining,
          limit,
        },
        'Pipedrive rate limit nearly reached',
      );
    }
    return response.body;
  }

  /** One v2 page; `filters` are Pipedrive's own query parameters. */
  private async v2Page(
    resource: V2Resource,
    args: ListArgs,
    filters: Record<string, string | undefined>,
  ): Promise<Page<PipedriveRecord>> {
    const body = await this.get(`/api/v2/${resource}`, `/api/v2/${resource}`, {
      ...filters,
      sort_by: 'id',
      sort_direction: 'asc',
      limit: clamp(args.limit),
      cursor: args.cursor ?? undefined,
    });
    return {
      items: records(body),
      nextCursor: body?.additional_data?.next_cursor ?? null,
    };
  }

  /** One v1 page from `start` (the native cursor). */
  private async v1Page(
    path: '/v1/leads' | '/v1/notes',
    args: ListArgs,
  ): Promise<Page<PipedriveRecord>> {
    const start = args.cursor === null ? 0 : Number(args.cursor);
    if (!Number.isInteger(start) || start < 0) {
      throw new ProviderError('"after" is not a cursor of this listing.', {
        code: ErrorCode.BAD_USER_INPUT,
        provider: PROVIDER,
      });
    }
    const body = await this.get(path, path, {
      start,
      limit: clamp(args.limit),
    });
    const items = records(body);
    const pagination = body?.additional_data?.pagination;
    return {
      items,
      nextCursor:
        pagination?.more_items_in_collection === true
          ? String(pagination.next_start ?? start + items.length)
          : null,
    };
  }

  /** Records by numeric id through v2 `ids`, in key order, null if none. */
  private async byIds<T>(
    resource: V2Resource,
    remoteIds: readonly string[],
    map: (record: PipedriveRecord) => T,
    extra: Record<string, string> = {},
  ): Promise<(T | null)[]> {
    const valid = [...new Set(remoteIds.filter((id) => NUMERIC_ID.test(id)))];
    const found = new Map<string, T>();
    for (const ids of chunk(valid, IDS_MAX)) {
      const page = await this.v2Page(
        resource,
        { cursor: null, limit: IDS_MAX },
        { ids: ids.join(','), ...extra },
      );
      for (const record of page.items) {
        found.set(String(record.id), map(record));
      }
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  /** Records one by one where Pipedrive has no bulk read; 404 is null. */
  private async oneByOne<T>(
    path: string,
    remoteIds: readonly string[],
    valid: RegExp,
    map: (records: PipedriveRecord[]) => Promise<T[]>,
  ): Promise<(T | null)[]> {
    const found = new Map<string, PipedriveRecord>();
    const wanted = [...new Set(remoteIds.filter((id) => valid.test(id)))];
    for (const group of chunk(wanted, SINGLE_CONCURRENCY)) {
      await Promise.all(
        group.map(async (id) => {
          try {
            const body = await this.get(
              `${path}/${encodeURIComponent(id)}`,
              `${path}/{id}`,
            );
            const data = body?.data;
            if (data && typeof data === 'object') {
              found.set(id, data as PipedriveRecord);
            }
          } catch (error: unknown) {
            if (
              !(error instanceof ProviderError) ||
              error.code !== ErrorCode.NOT_FOUND
            ) {
              throw error;
            }
          }
        }),
      );
    }
    const ids = [...found.keys()];
    const mapped = await map(ids.map((id) => found.get(id) as PipedriveRecord));
    const byId = new Map(ids.map((id, index) => [id, mapped[index] as T]));
    return remoteIds.map((id) => byId.get(id) ?? null);
  }

  private stageNames(): Promise<Map<string, string>> {
    this.stages ??= this.get('/api/v2/stages', '/api/v2/stages', {
      limit: MAX_LIMIT,
    }).then(
      (body) =>
        new Map(
          records(body).map((stage) => [String(stage.id), String(stage.name)]),
        ),
    );
    return this.stages;
  }

  private allUsers(): Promise<PipedriveRecord[]> {
    this.users ??= this.get('/v1/users', '/v1/users').then(records);
    return this.users;
  }

  private async mapDeals(items: PipedriveRecord[]): Promise<Opportunity[]> {
    const stages = await this.stageNames();
    return items.map((record) => mapDeal(record, stages));
  }

  /** Leads with the person each links to (one `ids` call). */
  private async mapLeads(items: PipedriveRecord[]): Promise<Lead[]> {
    const personIds = items
      .map((lead) => lead.person_id)
      .filter((id) => id !== null && id !== undefined)
      .map(String);
    const persons = personIds.length
      ? await this.byIds('persons', personIds, (person) => person)
      : [];
    const byId = new Map(
      personIds.map((id, index) => [id, persons[index] ?? null]),
    );
    return items.map((lead) =>
      mapLead(lead, byId.get(String(lead.person_id)) ?? null),
    );
  }

  private modified(args: ModifiedListArgs): Record<string, string> {
    return args.modifiedAfter
      ? { updated_since: rfc3339(args.modifiedAfter) }
      : {};
  }

  async listAccounts(args: ModifiedListArgs): Promise<Page<CrmAccount>> {
    const page = await this.v2Page('organizations', args, this.modified(args));
    return {
      items: page.items.map(mapOrganization),
      nextCursor: page.nextCursor,
    };
  }

  getAccountsByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmAccount | null)[]> {
    return this.byIds('organizations', remoteIds, mapOrganization);
  }

  async listContacts(args: ModifiedListArgs): Promise<Page<CrmContact>> {
    const page = await this.v2Page('persons', args, this.modified(args));
    return { items: page.items.map(mapPerson), nextCursor: page.nextCursor };
  }

  getContactsByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmContact | null)[]> {
    return this.byIds('persons', remoteIds, mapPerson);
  }

  getContactPagesOfAccounts(
    accountRemoteIds: readonly string[],
    args: ListArgs,
  ): Promise<Page<CrmContact>[]> {
    return Promise.all(
      accountRemoteIds.map(async (orgId) => {
        if (!NUMERIC_ID.test(orgId)) return { items: [], nextCursor: null };
        const page = await this.v2Page('persons', args, { org_id: orgId });
        return {
          items: page.items.map(mapPerson),
          nextCursor: page.nextCursor,
        };
      }),
    );
  }

  async listLeads(args: ModifiedListArgs): Promise<Page<Lead>> {
    const page = await this.v1Page('/v1/leads', args);
    const after = args.modifiedAfter?.getTime();
    const leads = await this.mapLeads(page.items);
    return {
      items:
        after === undefined
          ? leads
          : leads.filter((lead) => (lead.modifiedAt?.getTime() ?? 0) >= after),
      nextCursor: page.nextCursor,
    };
  }

  getLeadsByIds(remoteIds: readonly string[]): Promise<(Lead | null)[]> {
    return this.oneByOne('/v1/leads', remoteIds, UUID, (items) =>
      this.mapLeads(items),
    );
  }

  async listOpportunities(
    args: OpportunityListArgs,
  ): Promise<Page<Opportunity>> {
    const page = await this.v2Page('deals', args, {
      ...this.modified(args),
      ...(args.status ? { status: DEAL_STATUS[args.status] } : {}),
    });
    return {
      items: await this.mapDeals(page.items),
      nextCursor: page.nextCursor,
    };
  }

  getOpportunitiesByIds(
    remoteIds: readonly string[],
  ): Promise<(Opportunity | null)[]> {
    // `status` lists every status, so deleted deals are found by id too.
    return this.byIds('deals', remoteIds, (record) => record, {
      status: 'open,won,lost,deleted',
    }).then(async (found) => {
      const stages = await this.stageNames();
      return found.map((record) => (record ? mapDeal(record, stages) : null));
    });
  }

  private dealPagesOf(
    field: 'org_id' | 'owner_id',
    parentIds: readonly string[],
    args: ListArgs,
    status: OpportunityStatus | null | undefined,
  ): Promise<Page<Opportunity>[]> {
    return Promise.all(
      parentIds.map(async (id) => {
        if (!NUMERIC_ID.test(id)) return { items: [], nextCursor: null };
        const page = await this.v2Page('deals', args, {
          [field]: id,
          ...(status ? { status: DEAL_STATUS[status] } : {}),
        });
        return {
          items: await this.mapDeals(page.items),
          nextCursor: page.nextCursor,
        };
      }),
    );
  }

  getOpportunityPagesOfAccounts(
    accountRemoteIds: readonly string[],
    args: ListArgs,
  ): Promise<Page<Opportunity>[]> {
    return this.dealPagesOf('org_id', accountRemoteIds, args, null);
  }

  getOpportunityPagesOfOwners(
    ownerRemoteIds: readonly string[],
    args: OpportunityListArgs,
  ): Promise<Page<Opportunity>[]> {
    return this.dealPagesOf('owner_id', ownerRemoteIds, args, args.status);
  }

  /** Active users, paged in memory over the one `/v1/users` answer. */
  async listUsers(args: ListArgs): Promise<Page<CrmUser>> {
    const active = (await this.allUsers()).filter(
      (user) => user.active_flag === true,
    );
    const start = args.cursor === null ? 0 : Number(args.cursor);
    if (!Number.isInteger(start) || start < 0) {
      throw new ProviderError('"after" is not a cursor of this listing.', {
        code: ErrorCode.BAD_USER_INPUT,
        provider: PROVIDER,
      });
    }
    const end = start + clamp(args.limit);
    return {
      items: active.slice(start, end).map(mapUser),
      nextCursor: end < active.length ? String(end) : null,
    };
  }

  async getUsersByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmUser | null)[]> {
    const byId = new Map(
      (await this.allUsers()).map((user) => [String(user.id), user]),
    );
    return remoteIds.map((id) => {
      const user = byId.get(id);
      return user ? mapUser(user) : null;
    });
  }

  async getUsersByEmails(
    emails: readonly string[],
  ): Promise<(CrmUser | null)[]> {
    const byEmail = new Map<string, PipedriveRecord>();
    for (const user of await this.allUsers()) {
      const email = typeof user.email === 'string' ? user.email : '';
      const key = email.toLowerCase();
      if (key && (!byEmail.has(key) || user.active_flag === true)) {
        byEmail.set(key, user);
      }
    }
    return emails.map((email) => {
      const user = byEmail.get(email.trim().toLowerCase());
      return user ? mapUser(user) : null;
    });
  }

  async listNotes(args: ModifiedListArgs): Promise<Page<CrmNote>> {
    const page = await this.v1Page('/v1/notes', args);
    const after = args.modifiedAfter?.getTime();
    const notes = page.items.map(mapNote);
    return {
      items:
        after === undefined
          ? notes
          : notes.filter((note) => (note.modifiedAt?.getTime() ?? 0) >= after),
      nextCursor: page.nextCursor,
    };
  }

  getNotesByIds(remoteIds: readonly string[]): Promise<(CrmNote | null)[]> {
    return this.oneByOne('/v1/notes', remoteIds, NUMERIC_ID, async (items) =>
      items.map(mapNote),
    );
  }
}
