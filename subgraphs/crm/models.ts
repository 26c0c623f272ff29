/**
 * The CRM common model, as connectors return it and resolvers read it. It
 * mirrors schema/crm.graphql, with relations held as remote ids (resolved
 * lazily and batched by the resolvers) and each enum next to the provider's
 * raw value. `remoteData` is the provider's record as it came.
 */

/** Merge-style opportunity status; the raw deal stage is kept alongside. */
export type OpportunityStatus = 'OPEN' | 'WON' | 'LOST';

export interface CrmAccount {
  remoteId: string;
  name: string | null;
  description: string | null;
  industry: string | null;
  website: string | null;
  numberOfEmployees: number | null;
  ownerRemoteId: string | null;
  createdAt: Date | null;
  modifiedAt: Date | null;
  remoteData: unknown;
}

export interface CrmContact {
  remoteId: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  title: string | null;
  accountRemoteId: string | null;
  ownerRemoteId: string | null;
  createdAt: Date | null;
  modifiedAt: Date | null;
  remoteData: unknown;
}

export interface Lead {
  remoteId: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  title: string | null;
  /** The company name as the lead gave it, not a linked account. */
  company: string | null;
  leadSource: string | null;
  ownerRemoteId: string | null;
  convertedAt: Date | null;
  createdAt: Date | null;
  modifiedAt: Date | null;
  remoteData: unknown;
}

export interface Opportunity {
  remoteId: string;
  name: string | null;
  description: string | null;
  amount: number | null;
  status: OpportunityStatus | null;
  /** The provider's own stage id (`closedwon`), whatever `status` says. */
  statusRaw: string | null;
  /** The stage as the provider labels it (`Closed Won`). */
  stage: string | null;
  /** yyyy-mm-dd */
  closeDate: string | null;
  ownerRemoteId: string | null;
  accountRemoteId: string | null;
  createdAt: Date | null;
  modifiedAt: Date | null;
  remoteData: unknown;
}

export interface CrmUser {
  remoteId: string;
  name: string | null;
  email: string | null;
  isActive: boolean | null;
  createdAt: Date | null;
  modifiedAt: Date | null;
  remoteData: unknown;
}

export interface CrmNote {
  remoteId: string;
  content: string | null;
  ownerRemoteId: string | null;
  accountRemoteId: string | null;
  contactRemoteId: string | null;
  opportunityRemoteId: string | null;
  createdAt: Date | null;
  modifiedAt: Date | null;
  remoteData: unknown;
}
