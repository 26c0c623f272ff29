/**
 * The Salesforce CRM connector: REST API v62.0, SOQL and sObject
 * Collections, OAuth 2.0 with a refresh token.
 *
 * Follows developer.salesforce.com:
 * - OAuth 2.0 Refresh Token Flow: `POST {login host}/services/oauth2/token`
 *   (form: `grant_type=refresh_token`, `refresh_token`, `client_id`,
 *   `client_secret`). The answer's `instance_url` is where the API lives;
 *   it has no `expires_in` (a session lasts the org's session timeout), so
 *   the token is refreshed when an API call answers 401
 *   `INVALID_SESSION_ID`, through lib/oauth.ts (single flight per linked
 *   account, rotated refresh token persisted, refused grant →
 *   RELINK_NEEDED). The linked account's base URL is the login host
 *   (`https://login.salesforce.com`, or `https://test.salesforce.com` for
 *   a Salesforce sandbox); credentials: `clientId`, `clientSecret`,
 *   `refreshToken`, and after the first refresh `accessToken` and
 *   `instanceUrl`.
 * - REST API | Query: `GET /services/data/v62.0/query?q=<SOQL>`, then
 *   `nextRecordsUrl` until `done`; the native cursor of a page is its
 *   `nextRecordsUrl`. `Sforce-Query-Options: batchSize` asks for the page
 *   size (200 to 2,000; Salesforce may answer fewer). Query locators
 *   expire after 15 minutes of inactivity: a stale `after` cursor answers
 *   BAD_USER_INPUT, and the listing starts over.
 * - sObject Collections, retrieve: `POST /services/data/v62.0/composite/
 *   sobjects/{sObject}` with `{ ids, fields }`, at most 2,000 ids, one
 *   entry (or null) per id in order: every lookup by id.
 * - Errors `[{ message, errorCode }]`: 401 `INVALID_SESSION_ID` (refresh,
 *   then retry once), 403 `REQUEST_LIMIT_EXCEEDED` (UPSTREAM_RATE_LIMITED),
 *   400 `INVALID_QUERY_LOCATOR` (BAD_USER_INPUT). `Sforce-Limit-Info:
 *   api-usage=N/M` is watched: past 90 % of the org's daily allowance a
 *   warning is logged.
 *
 * Pushdown (in SOQL): the SELECT list from the fields the query asked for
 * (`ListArgs.fields`, see mapping.ts `COLUMNS`); `modifiedAfter` as
 * `SystemModstamp >= <dateTime>` (to the second, UTC); opportunity status
 * as `IsClosed`/`IsWon`; owners and accounts of nested connections as
 * `OwnerId IN (…)` / `AccountId IN (…)`; users by email as `Email IN (…)`
 * (SOQL compares strings case-insensitively). Nothing is filtered after
 * fetching. Listings are ordered by `Id`.
 *
 * Leads are the Lead object; notes the classic Note object (its
 * `ParentId` key prefix says whether it hangs on an account, a contact or
 * an opportunity).
 */
import { chunk } from '../../../../lib/batching';
import {
  ErrorCode,
  ProviderError,
  tributaryError,
} from '../../../../lib/errors';
import type { ProviderClient } from '../../../../lib/http';
import type { Logger } from '../../../../lib/logger';
import { OAuthSession, type TokenRefreshResult } from '../../../../lib/oauth';
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
  mapAccount,
  mapContact,
  mapLead,
  mapNote,
  mapOpportunity,
  mapUser,
  selectColumns,
} from './mapping';
import type { SObjectName, SObjectRecord } from './mapping';

const PROVIDER = 'salesforce';
export const API_VERSION = 'v62.0';

/** sObject Collections retrieve takes up to 2,000 ids per request. */
const COLLECTIONS_MAX_IDS = 2_000;
/**
 * Values per SOQL `IN (…)`: a GET query string stays far below the
 * 16,384-character URI limit at 300 quoted 18-character ids.
 */
const IN_MAX_IDS = 300;
const IN_MAX_EMAILS = 100;
const BATCH_MIN = 200;
const BATCH_MAX = 2_000;
/** Share of the daily API allowance past which a warning is logged. */
const LIMIT_WARNING_SHARE = 0.9;

const ID_PATTERN = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;
const NEXT_RECORDS_PATTERN =
  /^\/services\/data\/v\d+\.\d\/query\/[A-Za-z0-9]+-\d+$/;

interface QueryResponse {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: SObjectRecord[];
}

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  instance_url?: string;
  issued_at?: string;
}

/** A SOQL string literal (SOQL reference, "Quoted String Escape Sequences"). */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A SOQL dateTime literal, UTC, to the second (rounded down). */
export function soqlDateTime(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

function statusCondition(status: OpportunityStatus | null | undefined) {
  switch (status) {
    case 'OPEN':
      return ['IsClosed = false'];
    case 'WON':
      return ['IsWon = true'];
    case 'LOST':
      return ['IsClosed = true', 'IsWon = false'];
    default:
      return [];
  }
}

/** Reads Salesforce's `[{ message, errorCode }]` for what a 4xx means. */
export function classifySalesforceError(failure: {
  status: number;
  body: string;
}): ErrorCode | undefined {
  let codes: string[] = [];
  try {
    const parsed: unknown = JSON.parse(failure.body);
    if (Array.isArray(parsed)) {
      codes = parsed.map((entry: unknown) =>
        typeof entry === 'object' && entry !== null && 'errorCode' in entry
          ? String((entry as { errorCode: unknown }).errorCode)
          : '',
      );
    }
  } catch {
    return undefined;
  }
  if (codes.includes('REQUEST_LIMIT_EXCEEDED')) {
    return ErrorCode.UPSTREAM_RATE_LIMITED;
  }
  if (codes.includes('INVALID_QUERY_LOCATOR')) {
    return ErrorCode.BAD_USER_INPUT;
  }
  return undefined;
}

export class SalesforceCrmConnector implements CrmConnector {
  readonly provider = PROVIDER;
  readonly capabilities: CrmCapabilities = {
    bulkById: true,
    bulkByIdMax: COLLECTIONS_MAX_IDS,
    modifiedAfterPushdown: true,
    opportunityStatusPushdown: true,
    opportunitiesByOwnersPushdown: true,
    fieldSelection: true,
    writes: false,
  };

  private readonly session: OAuthSession;
  private readonly tokenClient: ProviderClient;
  private apiClient: ProviderClient | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly account: LinkedAccount,
    private readonly deps: ConnectorDeps,
  ) {
    const missing = ['clientId', 'clientSecret', 'refreshToken'].filter(
      (field) => !account.credentials[field],
    );
    if (missing.length > 0) {
      throw tributaryError(
        ErrorCode.RELINK_NEEDED,
        `The linked Salesforce account lacks ${missing.join(', ')}; link it again.`,
        { provider: PROVIDER },
      );
    }
    if (!deps.linkedAccount) {
      throw new TypeError(
        'The Salesforce connector needs deps.linkedAccount to keep refreshed tokens.',
      );
    }
    this.logger = deps.logger;
    this.tokenClient = deps.createClient({ auth: { type: 'none' } });
    this.session = new OAuthSession({
      provider: PROVIDER,
      linkedAccountId: account.id,
      credentials: account.credentials,
      writer: deps.linkedAccount,
      logger: deps.logger,
      refresh: (refreshToken, credentials) =>
        this.refresh(refreshToken, credentials),
    });
  }

  /** The OAuth 2.0 refresh token flow against the login host. */
  private async refresh(
    refreshToken: string,
    credentials: Record<string, string>,
  ): Promise<TokenRefreshResult> {
    const body = await this.tokenClient.json<TokenResponse>({
      method: 'POST',
      path: '/services/oauth2/token',
      route: '/services/oauth2/token',
      form: {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: credentials.clientId ?? '',
        client_secret: credentials.clientSecret ?? '',
      },
    });
    if (!body?.access_token || !body.instance_url) {
      throw new ProviderError(
        'salesforce answered the token request without a token or instance URL.',
        { code: ErrorCode.UPSTREAM_UNAVAILABLE, provider: PROVIDER },
      );
    }
    return {
      accessToken: body.access_token,
      // Absent unless the connected app rotates refresh tokens.
      refreshToken: body.refresh_token,
      extra: { instanceUrl: body.instance_url },
    };
  }

  /**
   * The API client, on the instance URL. Credentials linked with only a
   * refresh token learn the instance URL from the first refresh.
   */
  private async api(): Promise<ProviderClient> {
    if (!this.apiClient) {
      if (!this.session.current.instanceUrl) {
        await this.session.accessToken();
      }
      this.apiClient = this.deps.createClient({
        baseUrl: this.session.current.instanceUrl ?? this.account.baseUrl,
        auth: this.session.auth(),
        classifyError: classifySalesforceError,
      });
    }
    return this.apiClient;
  }

  private watchLimits(header: string | undefined): void {
    const match = /api-usage=(\d+)\/(\d+)/.exec(header ?? '');
    if (!match) return;
    const used = Number(match[1]);
    const limit = Number(match[2]);
    if (limit > 0 && used / limit >= LIMIT_WARNING_SHARE) {
      this.logger.warn(
        { provider: PROVIDER, linkedAccountId: this.account.id, used, limit },
        'Salesforce daily API allowance nearly used',
      );
    }
  }

  /**
   * One page of a SOQL query: the first batch when `cursor` is null,
   * otherwise the batch its `nextRecordsUrl` names.
   */
  private async query(
    soql: string,
    cursor: string | null,
    limit: number,
  ): Promise<Page<SObjectRecord>> {
    const client = await this.api();
    const headers = {
      'sforce-query-options': `batchSize=${Math.max(BATCH_MIN, Math.min(Math.trunc(limit), BATCH_MAX))}`,
    };
    let response;
    if (cursor !== null) {
      if (!NEXT_RECORDS_PATTERN.test(cursor)) {
        throw tributaryError(
          ErrorCode.BAD_USER_INPUT,
          '"after" is not a cursor of this Salesforce listing.',
        );
      }
      response = await client.request<QueryResponse>({
        path: cursor,
        route: '/services/data/{version}/query/{locator}',
        headers,
      });
    } else {
      response = await client.request<QueryResponse>({
        path: `/services/data/${API_VERSION}/query`,
        route: '/services/data/{version}/query',
        query: { q: soql },
        headers,
      });
    }
    this.watchLimits(response.headers['sforce-limit-info']);
    const body = response.body;
    if (!body || !Array.isArray(body.records)) {
      throw new ProviderError('salesforce sent a malformed query answer.', {
        code: ErrorCode.UPSTREAM_UNAVAILABLE,
        provider: PROVIDER,
      });
    }
    return {
      items: body.records,
      nextCursor: body.done ? null : (body.nextRecordsUrl ?? null),
    };
  }

  private soql(
    object: SObjectName,
    fields: readonly string[] | undefined,
    where: readonly string[],
  ): string {
    const clauses = [
      `SELECT ${selectColumns(object, fields).join(', ')} FROM ${object}`,
    ];
    if (where.length > 0) {
      clauses.push(`WHERE ${where.join(' AND ')}`);
    }
    clauses.push('ORDER BY Id');
    return clauses.join(' ');
  }

  private async list<T>(
    object: SObjectName,
    args: ModifiedListArgs,
    where: string[],
    map: (record: SObjectRecord) => T,
  ): Promise<Page<T>> {
    const conditions = [...where];
    if (args.modifiedAfter) {
      conditions.push(`SystemModstamp >= ${soqlDateTime(args.modifiedAfter)}`);
    }
    const page = await this.query(
      this.soql(object, args.fields, conditions),
      args.cursor,
      args.limit,
    );
    return { items: page.items.map(map), nextCursor: page.nextCursor };
  }

  /** Records by id through sObject Collections, in id order, null if none. */
  private async byIds<T>(
    object: SObjectName,
    remoteIds: readonly string[],
    map: (record: SObjectRecord) => T,
  ): Promise<(T | null)[]> {
    const valid = [...new Set(remoteIds.filter((id) => ID_PATTERN.test(id)))];
    const found = new Map<string, T>();
    const client = await this.api();
    for (const ids of chunk(valid, COLLECTIONS_MAX_IDS)) {
      const records = await client.json<Array<SObjectRecord | null>>({
        method: 'POST',
        path: `/services/data/${API_VERSION}/composite/sobjects/${object}`,
        route: '/services/data/{version}/composite/sobjects/{sObject}',
        body: { ids, fields: selectColumns(object, undefined) },
        idempotent: true,
      });
      ids.forEach((requested, index) => {
        const record = records?.[index];
        if (record) {
          // Answered in request order; a 15-character id comes back as 18.
          found.set(requested, map(record));
        }
      });
    }
    return remoteIds.map((id) => found.get(id) ?? null);
  }

  /**
   * One shared query for many parents (`field IN (…)`), split per parent:
   * every parent's page starts at the same cursor and shares its next one.
   */
  private async pagesOf<T>(
    object: SObjectName,
    field: string,
    parentIds: readonly string[],
    args: ListArgs,
    where: string[],
    map: (record: SObjectRecord) => T,
  ): Promise<Page<T>[]> {
    const valid = parentIds.filter((id) => ID_PATTERN.test(id));
    const byParent = new Map<string, T[]>();
    let nextCursor: string | null = null;
    // More parents than one IN holds only happens with batches over 300;
    // each chunk's first page is its own query.
    for (const ids of chunk(valid, IN_MAX_IDS)) {
      const soql = this.soql(object, args.fields, [
        `${field} IN (${ids.map(soqlString).join(', ')})`,
        ...where,
      ]);
      const page = await this.query(soql, args.cursor, args.limit);
      for (const record of page.items) {
        const parent = String(record[field] ?? '');
        const items = byParent.get(parent) ?? [];
        items.push(map(record));
        byParent.set(parent, items);
      }
      nextCursor ??= page.nextCursor;
      if (args.cursor !== null) {
        break;
      }
    }
    return parentIds.map((id) => ({
      items: byParent.get(id) ?? [],
      nextCursor: ID_PATTERN.test(id) ? nextCursor : null,
    }));
  }

  listAccounts(args: ModifiedListArgs): Promise<Page<CrmAccount>> {
    return this.list('Account', args, [], mapAccount);
  }

  getAccountsByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmAccount | null)[]> {
    return this.byIds('Account', remoteIds, mapAccount);
  }

  listContacts(args: ModifiedListArgs): Promise<Page<CrmContact>> {
    return this.list('Contact', args, [], mapContact);
  }

  getContactsByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmContact | null)[]> {
    return this.byIds('Contact', remoteIds, mapContact);
  }

  getContactPagesOfAccounts(
    accountRemoteIds: readonly string[],
    args: ListArgs,
  ): Promise<Page<CrmContact>[]> {
    return this.pagesOf(
      'Contact',
      'AccountId',
      accountRemoteIds,
      { ...args, fields: withField(args.fields, 'account') },
      [],
      mapContact,
    );
  }

  listLeads(args: ModifiedListArgs): Promise<Page<Lead>> {
    return this.list('Lead', args, [], mapLead);
  }

  getLeadsByIds(remoteIds: readonly string[]): Promise<(Lead | null)[]> {
    return this.byIds('Lead', remoteIds, mapLead);
  }

  listOpportunities(args: OpportunityListArgs): Promise<Page<Opportunity>> {
    return this.list(
      'Opportunity',
      args,
      statusCondition(args.status),
      mapOpportunity,
    );
  }

  getOpportunitiesByIds(
    remoteIds: readonly string[],
  ): Promise<(Opportunity | null)[]> {
    return this.byIds('Opportunity', remoteIds, mapOpportunity);
  }

  getOpportunityPagesOfAccounts(
    accountRemoteIds: readonly string[],
    args: ListArgs,
  ): Promise<Page<Opportunity>[]> {
    return this.pagesOf(
      'Opportunity',
      'AccountId',
      accountRemoteIds,
      { ...args, fields: withField(args.fields, 'account') },
      [],
      mapOpportunity,
    );
  }

  getOpportunityPagesOfOwners(
    ownerRemoteIds: readonly string[],
    args: OpportunityListArgs,
  ): Promise<Page<Opportunity>[]> {
    return this.pagesOf(
      'Opportunity',
      'OwnerId',
      ownerRemoteIds,
      { ...args, fields: withField(args.fields, 'owner') },
      statusCondition(args.status),
      mapOpportunity,
    );
  }

  listUsers(args: ListArgs): Promise<Page<CrmUser>> {
    return this.list('User', args, ['IsActive = true'], mapUser);
  }

  getUsersByIds(remoteIds: readonly string[]): Promise<(CrmUser | null)[]> {
    return this.byIds('User', remoteIds, mapUser);
  }

  async getUsersByEmails(
    emails: readonly string[],
  ): Promise<(CrmUser | null)[]> {
    const wanted = [
      ...new Set(emails.map((email) => email.trim().toLowerCase())),
    ].filter((email) => email !== '');
    const found = new Map<string, CrmUser>();
    for (const group of chunk(wanted, IN_MAX_EMAILS)) {
      const soql = this.soql('User', undefined, [
        `Email IN (${group.map(soqlString).join(', ')})`,
      ]);
      // Follow every batch: a handful of users per email at most.
      let cursor: string | null = null;
      do {
        const page: Page<SObjectRecord> = await this.query(
          soql,
          cursor,
          BATCH_MAX,
        );
        for (const record of page.items) {
          const user = mapUser(record);
          const key = user.email?.toLowerCase();
          // Several users may share an email; an active one wins.
          if (key && (!found.has(key) || user.isActive)) {
            found.set(key, user);
          }
        }
        cursor = page.nextCursor;
      } while (cursor !== null);
    }
    return emails.map((email) => found.get(email.trim().toLowerCase()) ?? null);
  }

  listNotes(args: ModifiedListArgs): Promise<Page<CrmNote>> {
    return this.list('Note', args, [], mapNote);
  }

  getNotesByIds(remoteIds: readonly string[]): Promise<(CrmNote | null)[]> {
    return this.byIds('Note', remoteIds, mapNote);
  }
}

/** The split of a shared query reads `field`, so it is always selected. */
function withField(
  fields: readonly string[] | undefined,
  field: string,
): readonly string[] | undefined {
  return fields === undefined ? undefined : [...fields, field];
}
