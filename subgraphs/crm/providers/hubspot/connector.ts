/**
 * The HubSpot CRM connector: CRM API v3 objects, search and owners, v4
 * association batch reads, v3 pipelines.
 *
 * Follows developers.hubspot.com (legacy `v3` paths, base URL
 * `https://api.hubapi.com`):
 * - Authentication: private app access token, `Authorization: Bearer`.
 * - "Using object APIs" and the Companies, Contacts, Deals, Notes guides:
 *   `GET /crm/v3/objects/{objectType}` (limit max 100, `after` from
 *   `paging.next.after`, `properties=` and `associations=` pushdown) and
 *   `POST /crm/v3/objects/{objectType}/batch/read` (max 100 inputs, results
 *   in no particular order, missing ids reported in `errors` with 207).
 * - CRM API | Search: `POST /crm/v3/objects/{objectType}/search` (limit max
 *   200, at most 10,000 results per query, `associations.{type}` pseudo
 *   property). Paging here is keyset paging, sorted by `hs_object_id` and
 *   filtered `hs_object_id GT <last id>`, so no query ever pages past the
 *   10,000-result cap.
 * - CRM API | Associations v4: `POST /crm/v4/associations/{from}/{to}/
 *   batch/read`, for records read through search or batch read (they carry
 *   no associations).
 * - CRM API | Owners: `GET /crm/v3/owners` (limit max 500, `archived`).
 * - CRM API | Pipelines: `GET /crm/v3/pipelines/deals` for stage labels and
 *   the closed/won/lost meaning of each stage.
 *
 * Leads are contacts with `lifecyclestage = lead` (the seeded HubSpot
 * portals, and most portals, track leads that way; the separate Leads
 * object exists only on Sales Hub Professional and Enterprise).
 */
import type { z } from 'zod';

import { chunk } from '../../../../lib/batching';
import {
  ErrorCode,
  ProviderError,
  tributaryError,
} from '../../../../lib/errors';
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
  DEFAULT_STAGE_STATUS,
  dealStagesFromPipelines,
  inlineAssociatedIds,
  isLead,
  mapCompany,
  mapContact,
  mapDeal,
  mapLead,
  mapNote,
  mapOwner,
} from './mapping';
import type { AssociatedIds, DealStage } from './mapping';
import {
  associationsBatchResponseSchema,
  batchReadResponseSchema,
  credentialsSchema,
  listResponseSchema,
  ownersResponseSchema,
  pipelinesResponseSchema,
  searchResponseSchema,
} from './payloads';
import type { HubspotObject, HubspotOwner } from './payloads';

const PROVIDER = 'hubspot';

/** Documented page and batch maxima. */
const LIST_MAX_LIMIT = 100;
const SEARCH_MAX_LIMIT = 200;
const BATCH_READ_MAX_INPUTS = 100;
const OWNERS_MAX_LIMIT = 500;
/** v4 association batch reads take up to 1,000 inputs. */
const ASSOCIATIONS_MAX_INPUTS = 1_000;
/** Values in one `IN` filter; owners beyond it go to another query. */
const IN_FILTER_MAX_VALUES = 100;
/**
 * Search pages one shared scan (or association pages one read) may follow
 * before it hands back what it has with a cursor to resume from, so one
 * request stays bounded.
 */
const JOIN_SCAN_MAX_PAGES = 10;

type ObjectType = 'companies' | 'contacts' | 'deals' | 'notes';
type AssociationTarget = keyof AssociatedIds;

/** The properties each mapping reads: nothing more is asked for. */
const PROPERTIES: Record<ObjectType, readonly string[]> = {
  companies: [
    'name',
    'description',
    'industry',
    'website',
    'domain',
    'numberofemployees',
    'hubspot_owner_id',
    'createdate',
    'hs_lastmodifieddate',
  ],
  contacts: [
    'firstname',
    'lastname',
    'email',
    'phone',
    'jobtitle',
    'associatedcompanyid',
    'company',
    'hs_analytics_source',
    'lifecyclestage',
    'hubspot_owner_id',
    'createdate',
    'lastmodifieddate',
  ],
  deals: [
    'dealname',
    'description',
    'amount',
    'dealstage',
    'pipeline',
    'closedate',
    'hubspot_owner_id',
    'createdate',
    'hs_lastmodifieddate',
  ],
  notes: [
    'hs_note_body',
    'hs_timestamp',
    'hubspot_owner_id',
    'hs_createdate',
    'hs_lastmodifieddate',
  ],
};

/** Contacts name their last-modified property differently. */
const MODIFIED_PROPERTY: Record<ObjectType, string> = {
  companies: 'hs_lastmodifieddate',
  contacts: 'lastmodifieddate',
  deals: 'hs_lastmodifieddate',
  notes: 'hs_lastmodifieddate',
};

/**
 * Associations each mapping reads. Contacts need none: their primary
 * company is the `associatedcompanyid` property.
 */
const ASSOCIATIONS: Record<ObjectType, readonly AssociationTarget[]> = {
  companies: [],
  contacts: [],
  deals: ['companies'],
  notes: ['companies', 'contacts', 'deals'],
};

interface SearchFilter {
  propertyName: string;
  operator: 'EQ' | 'GT' | 'GTE' | 'IN';
  value?: string;
  values?: string[];
}

/** A record with the ids of the records associated with it. */
interface Row {
  object: HubspotObject;
  associated: AssociatedIds;
}

function clamp(limit: number, max: number): number {
  return Math.max(1, Math.min(Math.trunc(limit), max));
}

/**
 * Search and association pages use record ids as cursors (keyset paging);
 * anything else did not come from this connector.
 */
function keysetCursor(cursor: string | null): string | null {
  if (cursor !== null && !/^\d+$/.test(cursor)) {
    throw tributaryError(
      ErrorCode.BAD_USER_INPUT,
      `"after" is not a cursor this API returned: "${cursor}".`,
    );
  }
  return cursor;
}

function modifiedFilter(
  type: ObjectType,
  modifiedAfter: Date | null | undefined,
): SearchFilter[] {
  // Search compares datetime properties with epoch milliseconds.
  return modifiedAfter
    ? [
        {
          propertyName: MODIFIED_PROPERTY[type],
          operator: 'GTE',
          value: String(modifiedAfter.getTime()),
        },
      ]
    : [];
}

/**
 * Reads one HubSpot portal through a private app access token. Built once
 * per request; the deal pipelines and the owners list are read at most once
 * per instance.
 */
export class HubspotCrmConnector implements CrmConnector {
  readonly provider = PROVIDER;
  readonly capabilities: CrmCapabilities = {
    bulkById: true,
    bulkByIdMax: BATCH_READ_MAX_INPUTS,
    modifiedAfterPushdown: true,
    opportunityStatusPushdown: true,
    opportunitiesByOwnersPushdown: true,
    // `properties=` always names the mapped properties, not the selection.
    fieldSelection: false,
    writes: false,
  };

  private readonly client: ProviderClient;
  private readonly logger: Logger;
  private stages: Promise<Map<string, DealStage>> | undefined;
  private owners: Promise<HubspotOwner[]> | undefined;
  private archivedOwners: Promise<HubspotOwner[]> | undefined;

  constructor(account: LinkedAccount, deps: ConnectorDeps) {
    const credentials = credentialsSchema.safeParse(account.credentials);
    if (!credentials.success) {
      // Names the fields only: credential values never reach a message.
      throw new ProviderError(
        `The hubspot linked account needs credentials { accessToken }: ${credentials.error.issues
          .map((issue) => issue.path.join('.') || issue.message)
          .join(', ')}.`,
        { code: ErrorCode.RELINK_NEEDED, provider: PROVIDER },
      );
    }
    this.logger = deps.logger.child({ provider: PROVIDER });
    this.client = deps.createClient({
      auth: { type: 'bearer', token: credentials.data.accessToken },
    });
  }

  // Accounts (companies)

  async listAccounts(args: ModifiedListArgs): Promise<Page<CrmAccount>> {
    const page = await this.listOrSearch(
      'companies',
      modifiedFilter('companies', args.modifiedAfter),
      args,
    );
    return { ...page, items: page.items.map((row) => mapCompany(row.object)) };
  }

  async getAccountsByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmAccount | null)[]> {
    const rows = await this.batchRead('companies', remoteIds);
    return remoteIds.map((id) => {
      const row = rows.get(id);
      return row ? mapCompany(row.object) : null;
    });
  }

  // Contacts and leads

  async listContacts(args: ModifiedListArgs): Promise<Page<CrmContact>> {
    const page = await this.listOrSearch(
      'contacts',
      modifiedFilter('contacts', args.modifiedAfter),
      args,
    );
    return {
      ...page,
      items: page.items.map((row) => mapContact(row.object, row.associated)),
    };
  }

  async getContactsByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmContact | null)[]> {
    const rows = await this.batchRead('contacts', remoteIds);
    return remoteIds.map((id) => {
      const row = rows.get(id);
      return row ? mapContact(row.object, row.associated) : null;
    });
  }

  /**
   * Contacts of all the accounts at once: one shared scan of
   * `associatedcompanyid IN […]` (see `scanPagesByProperty`).
   */
  async getContactPagesOfAccounts(
    accountRemoteIds: readonly string[],
    args: ListArgs,
  ): Promise<Page<CrmContact>[]> {
    const pages = await this.scanPagesByProperty(
      'contacts',
      'associatedcompanyid',
      accountRemoteIds,
      [],
      args,
    );
    return accountRemoteIds.map((account) => {
      const page = pages.get(account) ?? { items: [], nextCursor: null };
      return {
        nextCursor: page.nextCursor,
        items: page.items.map((row) => mapContact(row.object, row.associated)),
      };
    });
  }

  async listLeads(args: ModifiedListArgs): Promise<Page<Lead>> {
    const page = await this.search(
      'contacts',
      [
        { propertyName: 'lifecyclestage', operator: 'EQ', value: 'lead' },
        ...modifiedFilter('contacts', args.modifiedAfter),
      ],
      args,
    );
    return { ...page, items: page.items.map((row) => mapLead(row.object)) };
  }

  async getLeadsByIds(remoteIds: readonly string[]): Promise<(Lead | null)[]> {
    const rows = await this.batchRead('contacts', remoteIds);
    return remoteIds.map((id) => {
      const row = rows.get(id);
      return row && isLead(row.object) ? mapLead(row.object) : null;
    });
  }

  // Opportunities (deals)

  async listOpportunities(
    args: OpportunityListArgs,
  ): Promise<Page<Opportunity>> {
    const stages = await this.dealStages();
    const statusFilter = this.stageFilter(args.status, stages);
    if (statusFilter === 'none') {
      return { items: [], nextCursor: null };
    }
    const page = await this.listOrSearch(
      'deals',
      [...statusFilter, ...modifiedFilter('deals', args.modifiedAfter)],
      args,
    );
    return {
      ...page,
      items: page.items.map((row) =>
        mapDeal(row.object, stages, row.associated),
      ),
    };
  }

  async getOpportunitiesByIds(
    remoteIds: readonly string[],
  ): Promise<(Opportunity | null)[]> {
    const [stages, rows] = await Promise.all([
      this.dealStages(),
      this.batchRead('deals', remoteIds),
    ]);
    return remoteIds.map((id) => {
      const row = rows.get(id);
      return row ? mapDeal(row.object, stages, row.associated) : null;
    });
  }

  /**
   * Deals of all the owners at once: one shared scan of
   * `hubspot_owner_id IN […]` (see `scanPagesByProperty`).
   */
  async getOpportunityPagesOfOwners(
    ownerRemoteIds: readonly string[],
    args: OpportunityListArgs,
  ): Promise<Page<Opportunity>[]> {
    // Without a status filter the search does not need the pipelines: both
    // calls go out together, one round trip instead of two.
    const loadingStages = this.dealStages();
    loadingStages.catch(() => undefined);
    const statusFilter = args.status
      ? this.stageFilter(args.status, await loadingStages)
      : [];
    const pages =
      statusFilter === 'none'
        ? new Map<string, Page<Row>>()
        : await this.scanPagesByProperty(
            'deals',
            'hubspot_owner_id',
            ownerRemoteIds,
            statusFilter,
            args,
          );

    const stages = await loadingStages;
    // Company associations for the kept deals only, in one call per 1,000,
    // and only when the accounts were asked for (or the fields are unknown).
    const kept = [...pages.values()].flatMap((page) => page.items);
    const associated =
      args.fields && !args.fields.includes('account')
        ? new Map<string, AssociatedIds>()
        : await this.associationsOf(
            'deals',
            kept.map((row) => row.object.id),
          );
    return ownerRemoteIds.map((owner) => {
      const page = pages.get(owner) ?? { items: [], nextCursor: null };
      return {
        nextCursor: page.nextCursor,
        items: page.items.map((row) =>
          mapDeal(row.object, stages, associated.get(row.object.id) ?? {}),
        ),
      };
    });
  }

  /**
   * Deals of all the accounts at once: one v4 association read (companies →
   * deals) for every account, then one batch read of the deals on the
   * pages. A cursor is a deal id; each account's deals are paged by id.
   */
  async getOpportunityPagesOfAccounts(
    accountRemoteIds: readonly string[],
    args: ListArgs,
  ): Promise<Page<Opportunity>[]> {
    const limit = clamp(args.limit, BATCH_READ_MAX_INPUTS);
    const [stages, dealIds] = await Promise.all([
      this.dealStages(),
      this.associatedIds('companies', 'deals', accountRemoteIds),
    ]);
    const pages = new Map<
      string,
      { ids: string[]; nextCursor: string | null }
    >();
    const cursor = keysetCursor(args.cursor);
    const after = cursor === null ? null : BigInt(cursor);
    for (const account of new Set(accountRemoteIds)) {
      const remaining = (dealIds.get(account) ?? [])
        .map((id) => BigInt(id))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .filter((id) => after === null || id > after)
        .map(String);
      const ids = remaining.slice(0, limit);
      pages.set(account, {
        ids,
        nextCursor: remaining.length > limit ? (ids.at(-1) ?? null) : null,
      });
    }
    const rows = await this.batchRead(
      'deals',
      [...pages.values()].flatMap((page) => page.ids),
    );
    return accountRemoteIds.map((account) => {
      const page = pages.get(account) ?? { ids: [], nextCursor: null };
      return {
        nextCursor: page.nextCursor,
        items: page.ids.flatMap((id) => {
          const row = rows.get(id);
          return row ? [mapDeal(row.object, stages, row.associated)] : [];
        }),
      };
    });
  }

  // Users (owners)

  async listUsers(args: ListArgs): Promise<Page<CrmUser>> {
    const body = await this.validated(ownersResponseSchema, '/crm/v3/owners', {
      path: '/crm/v3/owners',
      query: {
        limit: clamp(args.limit, OWNERS_MAX_LIMIT),
        after: args.cursor ?? undefined,
      },
    });
    return {
      items: body.results.map(mapOwner),
      nextCursor: body.paging?.next?.after ?? null,
    };
  }

  async getUsersByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmUser | null)[]> {
    const owners = await this.findOwners(
      remoteIds,
      (owner) => owner.id,
      (id) => id,
    );
    return owners.map((owner) => (owner ? mapOwner(owner) : null));
  }

  async getUsersByEmails(
    emails: readonly string[],
  ): Promise<(CrmUser | null)[]> {
    const owners = await this.findOwners(
      emails,
      (owner) => owner.email?.toLowerCase() ?? '',
      (email) => email.toLowerCase(),
    );
    return owners.map((owner) => (owner ? mapOwner(owner) : null));
  }

  // Notes

  async listNotes(args: ModifiedListArgs): Promise<Page<CrmNote>> {
    const page = await this.listOrSearch(
      'notes',
      modifiedFilter('notes', args.modifiedAfter),
      args,
    );
    return {
      ...page,
      items: page.items.map((row) => mapNote(row.object, row.associated)),
    };
  }

  async getNotesByIds(
    remoteIds: readonly string[],
  ): Promise<(CrmNote | null)[]> {
    const rows = await this.batchRead('notes', remoteIds);
    return remoteIds.map((id) => {
      const row = rows.get(id);
      return row ? mapNote(row.object, row.associated) : null;
    });
  }

  // Provider calls

  /**
   * The list endpoint when nothing needs filtering (its `after` cursor,
   * associations inline), the search endpoint otherwise (keyset cursor).
   * The arguments of one listing never change between pages, so a cursor
   * always returns to the endpoint that issued it.
   */
  private listOrSearch(
    type: ObjectType,
    filters: SearchFilter[],
    args: ListArgs,
  ): Promise<Page<Row>> {
    return filters.length > 0
      ? this.search(type, filters, args)
      : this.list(type, args);
  }

  private async list(type: ObjectType, args: ListArgs): Promise<Page<Row>> {
    const route = `/crm/v3/objects/${type}`;
    const body = await this.validated(listResponseSchema, route, {
      path: route,
      query: {
        limit: clamp(args.limit, LIST_MAX_LIMIT),
        after: args.cursor ?? undefined,
        properties: PROPERTIES[type].join(','),
        associations:
          ASSOCIATIONS[type].length > 0
            ? ASSOCIATIONS[type].join(',')
            : undefined,
      },
    });
    return {
      items: body.results.map((object) => ({
        object,
        associated: Object.fromEntries(
          ASSOCIATIONS[type].map((target) => [
            target,
            inlineAssociatedIds(object, target),
          ]),
        ),
      })),
      nextCursor: body.paging?.next?.after ?? null,
    };
  }

  /**
   * One search page, sorted by `hs_object_id`, after the record whose id is
   * `cursor`. The next cursor is the last id of the page.
   */
  private async search(
    type: ObjectType,
    filters: SearchFilter[],
    args: ListArgs,
    options: { associations: boolean } = { associations: true },
  ): Promise<Page<Row>> {
    const route = `/crm/v3/objects/${type}/search`;
    const cursor = keysetCursor(args.cursor);
    const body = await this.validated(searchResponseSchema, route, {
      method: 'POST',
      path: route,
      idempotent: true,
      body: {
        filterGroups: [
          {
            filters: [
              ...filters,
              ...(cursor
                ? [
                    {
                      propertyName: 'hs_object_id',
                      operator: 'GT',
                      value: cursor,
                    },
                  ]
                : []),
            ],
          },
        ],
        sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
        properties: PROPERTIES[type],
        limit: clamp(args.limit, SEARCH_MAX_LIMIT),
      },
    });
    const associated = options.associations
      ? await this.associationsOf(
          type,
          body.results.map((object) => object.id),
        )
      : new Map<string, AssociatedIds>();
    return {
      items: body.results.map((object) => ({
        object,
        associated: associated.get(object.id) ?? {},
      })),
      nextCursor: body.paging?.next ? (body.results.at(-1)?.id ?? null) : null,
    };
  }

  /** Batch reads by id, 100 per call (calls in parallel), keyed by id. */
  private async batchRead(
    type: ObjectType,
    remoteIds: readonly string[],
  ): Promise<Map<string, Row>> {
    const route = `/crm/v3/objects/${type}/batch/read`;
    const ids = [...new Set(remoteIds)];
    const answers = await Promise.all(
      chunk(ids, BATCH_READ_MAX_INPUTS).map((part) =>
        this.validated(batchReadResponseSchema, route, {
          method: 'POST',
          path: route,
          idempotent: true,
          body: {
            properties: PROPERTIES[type],
            inputs: part.map((id) => ({ id })),
          },
        }),
      ),
    );
    // Results come back in no particular order; missing ids are in
    // `errors` (207), which the key-order mapping turns into nulls.
    const objects = answers.flatMap((answer) => answer.results);
    const associated = await this.associationsOf(
      type,
      objects.map((object) => object.id),
    );
    const missing = answers.reduce((sum, a) => sum + (a.numErrors ?? 0), 0);
    if (missing > 0) {
      this.logger.debug(
        { objectType: type, requested: ids.length, missing },
        'hubspot batch read reported missing ids',
      );
    }
    return new Map(
      objects.map((object) => [
        object.id,
        { object, associated: associated.get(object.id) ?? {} },
      ]),
    );
  }

  /**
   * Association ids of records read without them (search, batch read): one
   * v4 batch read per association type and 1,000 records. Only the first
   * page of each record's associations is read: the mapping uses the first
   * associated id of each type.
   */
  private async associationsOf(
    type: ObjectType,
    remoteIds: readonly string[],
  ): Promise<Map<string, AssociatedIds>> {
    const result = new Map<string, AssociatedIds>();
    const ids = [...new Set(remoteIds)];
    if (ids.length === 0 || ASSOCIATIONS[type].length === 0) {
      return result;
    }
    await Promise.all(
      ASSOCIATIONS[type].flatMap((target) =>
        chunk(ids, ASSOCIATIONS_MAX_INPUTS).map(async (part) => {
          const route = `/crm/v4/associations/${type}/${target}/batch/read`;
          // 207 lists records without associations in `errors`.
          const body = await this.validated(
            associationsBatchResponseSchema,
            route,
            {
              method: 'POST',
              path: route,
              idempotent: true,
              body: { inputs: part.map((id) => ({ id })) },
            },
          );
          for (const entry of body.results) {
            const from = String(entry.from.id);
            const entryIds = [
              ...new Set(entry.to.map((to) => String(to.toObjectId))),
            ];
            result.set(from, { ...result.get(from), [target]: entryIds });
          }
        }),
      ),
    );
    return result;
  }

  /**
   * One page per parent from shared searches: records whose `property` is
   * any of the parents' ids (`IN`, 100 values per query), sorted by id
   * from the shared `cursor`, scanned until every parent has a full page,
   * the records run out, or the scan reaches its page bound. A cursor is a
   * record id: every record after it is unseen, so a parent whose page the
   * bound cut short resumes from the last id the scan read. Records come
   * without associations; callers read those for the records they keep.
   */
  private async scanPagesByProperty(
    type: ObjectType,
    property: string,
    parentIds: readonly string[],
    filters: SearchFilter[],
    args: ListArgs,
  ): Promise<Map<string, Page<Row>>> {
    const limit = clamp(args.limit, SEARCH_MAX_LIMIT);
    const pages = new Map<string, Page<Row>>();
    for (const group of chunk([...new Set(parentIds)], IN_FILTER_MAX_VALUES)) {
      const found = new Map<string, Row[]>(group.map((id) => [id, []]));
      let position = args.cursor;
      let exhausted = false;
      for (let scanned = 0; scanned < JOIN_SCAN_MAX_PAGES; scanned += 1) {
        const page = await this.search(
          type,
          [
            { propertyName: property, operator: 'IN', values: group },
            ...filters,
          ],
          { cursor: position, limit: SEARCH_MAX_LIMIT },
          { associations: false },
        );
        for (const row of page.items) {
          found.get(row.object.properties[property] ?? '')?.push(row);
        }
        position = page.items.at(-1)?.object.id ?? position;
        exhausted = page.nextCursor === null;
        if (exhausted || [...found.values()].every((r) => r.length >= limit)) {
          break;
        }
      }
      for (const [parent, rows] of found) {
        const items = rows.slice(0, limit);
        let nextCursor: string | null;
        if (rows.length > limit || (rows.length === limit && !exhausted)) {
          // More may follow the page's last item.
          nextCursor = items.at(-1)?.object.id ?? null;
        } else {
          // A short page: done if the scan saw every record, otherwise
          // resume where it stopped (nothing of this parent before it).
          nextCursor = exhausted ? null : position;
        }
        pages.set(parent, { items, nextCursor });
      }
    }
    return pages;
  }

  /**
   * Every associated id of each record (v4 batch read, 1,000 records per
   * call), following each record's association paging.
   */
  private async associatedIds(
    from: ObjectType,
    to: ObjectType,
    remoteIds: readonly string[],
  ): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>();
    const route = `/crm/v4/associations/${from}/${to}/batch/read`;
    let inputs: Array<{ id: string; after?: string }> = [
      ...new Set(remoteIds),
    ].map((id) => ({ id }));
    for (
      let round = 0;
      inputs.length > 0 && round < JOIN_SCAN_MAX_PAGES;
      round += 1
    ) {
      const answers = await Promise.all(
        chunk(inputs, ASSOCIATIONS_MAX_INPUTS).map((part) =>
          this.validated(associationsBatchResponseSchema, route, {
            method: 'POST',
            path: route,
            idempotent: true,
            body: { inputs: part },
          }),
        ),
      );
      inputs = [];
      for (const entry of answers.flatMap((answer) => answer.results)) {
        const id = String(entry.from.id);
        result.set(id, [
          ...(result.get(id) ?? []),
          ...entry.to.map((to) => String(to.toObjectId)),
        ]);
        const after = entry.paging?.next?.after;
        if (after !== undefined) {
          inputs.push({ id, after });
        }
      }
    }
    for (const [id, ids] of result) {
      result.set(id, [...new Set(ids)]);
    }
    return result;
  }

  /** Stage id → label and status, read once per connector instance. */
  private dealStages(): Promise<Map<string, DealStage>> {
    this.stages ??= this.validated(
      pipelinesResponseSchema,
      '/crm/v3/pipelines/deals',
      { path: '/crm/v3/pipelines/deals' },
    ).then(dealStagesFromPipelines, (error: unknown) => {
      // A failed read is not remembered: the next caller tries again.
      this.stages = undefined;
      throw error;
    });
    return this.stages;
  }

  /**
   * The `dealstage IN […]` filter for a status: every stage with that
   * status, in any pipeline. `none` when no stage has it.
   */
  private stageFilter(
    status: OpportunityStatus | null | undefined,
    stages: ReadonlyMap<string, DealStage>,
  ): SearchFilter[] | 'none' {
    if (!status) {
      return [];
    }
    const ids = new Set<string>();
    for (const [id, stage] of stages) {
      if (stage.status === status) {
        ids.add(id);
      }
    }
    for (const [id, defaultStatus] of Object.entries(DEFAULT_STAGE_STATUS)) {
      if (!stages.has(id) && defaultStatus === status) {
        ids.add(id);
      }
    }
    return ids.size === 0
      ? 'none'
      : [{ propertyName: 'dealstage', operator: 'IN', values: [...ids] }];
  }

  /**
   * Owners matching `keys` in key order. Reads the active owners (500 per
   * page) and, only when some key is still unmatched, the archived ones:
   * records keep the ids of owners whose users were deactivated.
   */
  private async findOwners(
    keys: readonly string[],
    keyOf: (owner: HubspotOwner) => string,
    normalize: (key: string) => string,
  ): Promise<(HubspotOwner | null)[]> {
    const index = (owners: HubspotOwner[]) =>
      new Map(owners.map((owner) => [keyOf(owner), owner]));
    let byKey = index(await this.ownerList(false));
    if (keys.some((key) => !byKey.has(normalize(key)))) {
      byKey = new Map([...index(await this.ownerList(true)), ...byKey]);
    }
    return keys.map((key) => byKey.get(normalize(key)) ?? null);
  }

  private ownerList(archived: boolean): Promise<HubspotOwner[]> {
    const cached = archived ? this.archivedOwners : this.owners;
    if (cached) {
      return cached;
    }
    const loading = this.readOwners(archived).catch((error: unknown) => {
      if (archived) {
        this.archivedOwners = undefined;
      } else {
        this.owners = undefined;
      }
      throw error;
    });
    if (archived) {
      this.archivedOwners = loading;
    } else {
      this.owners = loading;
    }
    return loading;
  }

  private async readOwners(archived: boolean): Promise<HubspotOwner[]> {
    const owners: HubspotOwner[] = [];
    let after: string | undefined;
    do {
      const body = await this.validated(
        ownersResponseSchema,
        '/crm/v3/owners',
        {
          path: '/crm/v3/owners',
          query: { limit: OWNERS_MAX_LIMIT, after, archived },
        },
      );
      owners.push(...body.results);
      after = body.paging?.next?.after;
    } while (after !== undefined);
    return owners;
  }

  /**
   * Sends a request and validates the answer. A body that does not match
   * the documented shape is an upstream failure; the message names the
   * route and the first mismatching path, never a value.
   */
  private async validated<S extends z.ZodType>(
    schema: S,
    route: string,
    request: Parameters<ProviderClient['json']>[0],
  ): Promise<z.infer<S>> {
    const body = await this.client.json<unknown>({ ...request, route });
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.logger.warn(
        { route, path: issue?.path.join('.') },
        'hubspot response failed validation',
      );
      throw new ProviderError(
        `hubspot sent an unexpected response on ${route} (at ${issue?.path.join('.') || 'the root'}).`,
        { code: ErrorCode.UPSTREAM_UNAVAILABLE, provider: PROVIDER },
      );
    }
    return parsed.data;
  }
}
