import { readFileSync } from 'node:fs';
import { parse } from 'graphql';

import type { SubgraphDefinition } from '../../lib/subgraph';
import type { TicketingConnector } from './connector';
import { JiraTicketingConnector } from './providers/jira/connector';
import { ticketingPermissions } from './permissions';
import { LinearTicketingConnector } from './providers/linear/connector';
import { ZendeskTicketingConnector } from './providers/zendesk/connector';
import { resolvers } from './resolvers';

/**
 * The ticketing subgraph: tickets, comments, users and collections, plus
 * `Employee.assignedTickets`, the join from HRIS employees to the tickets
 * assigned to their ticketing user (matched by work email).
 */
export const ticketingSubgraph: SubgraphDefinition<TicketingConnector> = {
  category: 'ticketing',
  typeDefs: parse(
    readFileSync(
      new URL('../../schema/ticketing.graphql', import.meta.url),
      'utf8',
    ),
  ),
  resolvers,
  permissions: ticketingPermissions,
  createConnector(account, deps) {
    switch (account.provider) {
      case 'jira':
        return new JiraTicketingConnector(account, deps);
      case 'zendesk':
        return new ZendeskTicketingConnector(account, deps);
      case 'linear':
        return new LinearTicketingConnector(account, deps);
      default:
        throw new TypeError(
          `No ticketing connector for provider "${account.provider}"; expected one of: jira, zendesk, linear.`,
        );
    }
  },
};
