/**
 * The ticketing common model, as connectors return it and resolvers read
 * it. It mirrors schema/ticketing.graphql, with relations held as remote ids
 * (resolved lazily and batched by the resolvers) and each enum next to the
 * provider's raw value. `remoteData` is the provider's record as it came.
 */

/** Merge-style ticket status; the provider's status name is kept alongside. */
export type TicketStatus = 'OPEN' | 'IN_PROGRESS' | 'ON_HOLD' | 'CLOSED';

export type TicketPriority = 'URGENT' | 'HIGH' | 'NORMAL' | 'LOW';

export interface TicketingUser {
  remoteId: string;
  name: string | null;
  /** Null when the provider hides it (e.g. profile visibility settings). */
  email: string | null;
  isActive: boolean | null;
  remoteData: unknown;
}

export interface TicketCollection {
  remoteId: string;
  name: string | null;
  description: string | null;
  /** The provider's kind of collection, e.g. `PROJECT`. */
  collectionType: string | null;
  remoteData: unknown;
}

export interface Ticket {
  remoteId: string;
  name: string | null;
  /** Plain text; rich-text formats are flattened by the connector. */
  description: string | null;
  status: TicketStatus | null;
  statusRaw: string | null;
  priority: TicketPriority | null;
  priorityRaw: string | null;
  ticketType: string | null;
  assigneeRemoteIds: string[];
  creatorRemoteId: string | null;
  collectionRemoteIds: string[];
  tags: string[];
  /** `yyyy-mm-dd`. */
  dueDate: string | null;
  completedAt: Date | null;
  ticketUrl: string | null;
  createdAt: Date | null;
  modifiedAt: Date | null;
  /**
   * Users the provider embedded in the ticket payload (assignee, creator),
   * so resolvers can answer without another call; may be empty.
   */
  embeddedUsers: TicketingUser[];
  remoteData: unknown;
}

export interface TicketComment {
  remoteId: string;
  ticketRemoteId: string | null;
  /** Plain text; rich-text formats are flattened by the connector. */
  body: string | null;
  authorRemoteId: string | null;
  createdAt: Date | null;
  modifiedAt: Date | null;
  /** The author as the provider embedded it, when it did. */
  embeddedUsers: TicketingUser[];
  remoteData: unknown;
}
