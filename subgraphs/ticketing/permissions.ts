import type { SubgraphPermissions } from '../../lib/authorization';

/**
 * Who may read and write what in the ticketing subgraph: `ticketing:read`
 * for every readable field, `ticketing:write` for every mutation.
 */
export const ticketingPermissions: SubgraphPermissions = {
  category: 'ticketing',
  read: 'ticketing:read',
  write: 'ticketing:write',
  readable: [
    'Query',
    'PageInfo',
    'Ticket',
    'TicketEdge',
    'TicketConnection',
    'TicketComment',
    'TicketCommentEdge',
    'TicketCommentConnection',
    'TicketingUser',
    'TicketCollection',
    'TicketCollectionEdge',
    'TicketCollectionConnection',
    // `Employee.assignedTickets` is ticketing data.
    'Employee',
  ],
  restricted: {},
};
