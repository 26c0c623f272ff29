/**
 * HubSpot payload → CRM common model. Pure functions: the connector fetches
 * and validates, these only translate.
 *
 * Follows developers.hubspot.com: CRM API | Companies, Contacts, Deals,
 * Notes (default property names: `name`, `domain`, `numberofemployees`,
 * `firstname`, `jobtitle`, `associatedcompanyid`, `lifecyclestage`,
 * `dealname`, `amount`, `dealstage`, `closedate`, `hs_note_body`,
 * `hubspot_owner_id`), CRM API | Owners, and CRM API | Pipelines (stage
 * `metadata.isClosed` and `metadata.probability`, default sales pipeline
 * stage ids `appointmentscheduled` … `closedwon`, `closedlost`).
 */
import type {
  CrmAccount,
  CrmContact,
  CrmNote,
  CrmUser,
  Lead,
  Opportunity,
  OpportunityStatus,
} from '../../models';
import type { HubspotObject, HubspotOwner, HubspotPipelines } from './payloads';

/** Ids of associated records by object type (`companies`, `contacts`…). */
export type AssociatedIds = Partial<
  Record<'companies' | 'contacts' | 'deals', string[]>
>;

/** What the mapping needs to know about one deal stage. */
export interface DealStage {
  label: string | null;
  status: OpportunityStatus | null;
}

/**
 * The default sales pipeline's stages, used when a stage id is missing from
 * the pipelines answer (an archived stage, say): closed won is WON, closed
 * lost is LOST, every other default stage is OPEN.
 */
export const DEFAULT_STAGE_STATUS: Readonly<Record<string, OpportunityStatus>> =
  {
    appointmentscheduled: 'OPEN',
    qualifiedtobuy: 'OPEN',
    presentationscheduled: 'OPEN',
    decisionmakerboughtin: 'OPEN',
    contractsent: 'OPEN',
    closedwon: 'WON',
    closedlost: 'LOST',
  };

function text(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

/** Numeric properties arrive as strings (`"12500"`); blanks are null. */
export function parseNumber(value: string | null | undefined): number | null {
  const raw = text(value);
  if (raw === null) {
    return null;
  }
  const number = Number(raw);
  return Number.isFinite(number) ? number : null;
}

function parseInteger(value: string | null | undefined): number | null {
  const number = parseNumber(value);
  return number === null ? null : Math.trunc(number);
}

/** ISO 8601 instants, or epoch milliseconds as older payloads send them. */
export function parseInstant(value: string | null | undefined): Date | null {
  const raw = text(value);
  if (raw === null) {
    return null;
  }
  const date = new Date(/^\d+$/.test(raw) ? Number(raw) : raw);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Date properties (`closedate`) are stored as midnight UTC instants, so the
 * calendar date is the UTC date of that instant.
 */
export function parseCalendarDate(
  value: string | null | undefined,
): string | null {
  return parseInstant(value)?.toISOString().slice(0, 10) ?? null;
}

/**
 * Stage id → label and status, from the pipelines API. A closed stage with
 * probability 1 is WON, a closed stage with probability 0 is LOST (the
 * default pipeline's `closedwon` and `closedlost`, and their equivalents in
 * custom pipelines); open stages are OPEN; a closed stage with another
 * probability has no common status (null, the raw id is kept).
 */
export function dealStagesFromPipelines(
  pipelines: HubspotPipelines,
): Map<string, DealStage> {
  const stages = new Map<string, DealStage>();
  for (const pipeline of pipelines.results) {
    for (const stage of pipeline.stages) {
      const isClosed = String(stage.metadata?.isClosed ?? 'false') === 'true';
      const probability = Number(stage.metadata?.probability ?? Number.NaN);
      let status: OpportunityStatus | null = 'OPEN';
      if (isClosed) {
        status = probability === 1 ? 'WON' : probability === 0 ? 'LOST' : null;
      }
      stages.set(stage.id, { label: text(stage.label), status });
    }
  }
  return stages;
}

/** Status of a stage id: the pipelines' answer first, then the defaults. */
export function dealStatus(
  stageId: string | null,
  stages: ReadonlyMap<string, DealStage>,
): OpportunityStatus | null {
  if (stageId === null) {
    return null;
  }
  const known = stages.get(stageId);
  if (known) {
    return known.status;
  }
  return DEFAULT_STAGE_STATUS[stageId] ?? null;
}

/** Ids of one association type listed inline, deduplicated, in order. */
export function inlineAssociatedIds(
  object: HubspotObject,
  objectType: 'companies' | 'contacts' | 'deals',
): string[] {
  const results = object.associations?.[objectType]?.results ?? [];
  // A primary association is listed twice (labelled and unlabelled types).
  return [...new Set(results.map((result) => result.id))];
}

export function mapCompany(company: HubspotObject): CrmAccount {
  const p = company.properties;
  const domain = text(p.domain);
  return {
    remoteId: company.id,
    name: text(p.name),
    description: text(p.description),
    industry: text(p.industry),
    website: text(p.website) ?? (domain ? `https://${domain}` : null),
    numberOfEmployees: parseInteger(p.numberofemployees),
    ownerRemoteId: text(p.hubspot_owner_id),
    createdAt: parseInstant(company.createdAt ?? p.createdate),
    modifiedAt: parseInstant(company.updatedAt ?? p.hs_lastmodifieddate),
    remoteData: company,
  };
}

/**
 * A contact's account is its primary company: `associatedcompanyid`, or
 * the first company association when the property was not returned.
 */
export function mapContact(
  contact: HubspotObject,
  associated: AssociatedIds = {},
): CrmContact {
  const p = contact.properties;
  return {
    remoteId: contact.id,
    firstName: text(p.firstname),
    lastName: text(p.lastname),
    email: text(p.email),
    phone: text(p.phone),
    title: text(p.jobtitle),
    accountRemoteId:
      text(p.associatedcompanyid) ?? associated.companies?.[0] ?? null,
    ownerRemoteId: text(p.hubspot_owner_id),
    createdAt: parseInstant(contact.createdAt ?? p.createdate),
    modifiedAt: parseInstant(contact.updatedAt ?? p.lastmodifieddate),
    remoteData: contact,
  };
}

/** Leads are contacts whose `lifecyclestage` is `lead`. */
export function isLead(contact: HubspotObject): boolean {
  return contact.properties.lifecyclestage === 'lead';
}

/**
 * A lead is a contact in the `lead` lifecycle stage. `company` is the
 * contact's free-text company name, `leadSource` its original source
 * (`hs_analytics_source`). `convertedAt` stays null: a contact still in the
 * lead stage has not converted.
 */
export function mapLead(contact: HubspotObject): Lead {
  const p = contact.properties;
  return {
    remoteId: contact.id,
    firstName: text(p.firstname),
    lastName: text(p.lastname),
    email: text(p.email),
    phone: text(p.phone),
    title: text(p.jobtitle),
    company: text(p.company),
    leadSource: text(p.hs_analytics_source),
    ownerRemoteId: text(p.hubspot_owner_id),
    convertedAt: null,
    createdAt: parseInstant(contact.createdAt ?? p.createdate),
    modifiedAt: parseInstant(contact.updatedAt ?? p.lastmodifieddate),
    remoteData: contact,
  };
}

export function mapDeal(
  deal: HubspotObject,
  stages: ReadonlyMap<string, DealStage>,
  associated: AssociatedIds = {},
): Opportunity {
  const p = deal.properties;
  const stageId = text(p.dealstage);
  return {
    remoteId: deal.id,
    name: text(p.dealname),
    description: text(p.description),
    amount: parseNumber(p.amount),
    status: dealStatus(stageId, stages),
    statusRaw: stageId,
    stage: stageId === null ? null : (stages.get(stageId)?.label ?? null),
    closeDate: parseCalendarDate(p.closedate),
    ownerRemoteId: text(p.hubspot_owner_id),
    accountRemoteId: associated.companies?.[0] ?? null,
    createdAt: parseInstant(deal.createdAt ?? p.createdate),
    modifiedAt: parseInstant(deal.updatedAt ?? p.hs_lastmodifieddate),
    remoteData: deal,
  };
}

/** An owner is active unless archived (a deactivated HubSpot user). */
export function mapOwner(owner: HubspotOwner): CrmUser {
  const name = [owner.firstName, owner.lastName]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join(' ');
  return {
    remoteId: owner.id,
    name: name === '' ? null : name,
    email: text(owner.email),
    isActive: owner.archived === undefined ? null : !owner.archived,
    createdAt: parseInstant(owner.createdAt),
    modifiedAt: parseInstant(owner.updatedAt),
    remoteData: owner,
  };
}

/** A note's first associated company, contact and deal. */
export function mapNote(
  note: HubspotObject,
  associated: AssociatedIds = {},
): CrmNote {
  const p = note.properties;
  return {
    remoteId: note.id,
    content: text(p.hs_note_body),
    ownerRemoteId: text(p.hubspot_owner_id),
    accountRemoteId: associated.companies?.[0] ?? null,
    contactRemoteId: associated.contacts?.[0] ?? null,
    opportunityRemoteId: associated.deals?.[0] ?? null,
    createdAt: parseInstant(note.createdAt ?? p.hs_createdate),
    modifiedAt: parseInstant(note.updatedAt ?? p.hs_lastmodifieddate),
    remoteData: note,
  };
}
