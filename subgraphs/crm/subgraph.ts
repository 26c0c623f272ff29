import { readFileSync } from 'node:fs';
import { parse } from 'graphql';

import type { SubgraphDefinition } from '../../lib/subgraph';
import type { CrmConnector } from './connector';
import { HubspotCrmConnector } from './providers/hubspot/connector';
import { crmPermissions } from './permissions';
import { PipedriveCrmConnector } from './providers/pipedrive/connector';
import { SalesforceCrmConnector } from './providers/salesforce/connector';
import { resolvers } from './resolvers';

/**
 * The CRM subgraph: accounts, contacts, leads, opportunities, users and
 * notes, plus `Employee.ownedOpportunities`, the join from HRIS employees to
 * the opportunities their CRM user owns (matched by work email).
 */
export const crmSubgraph: SubgraphDefinition<CrmConnector> = {
  category: 'crm',
  typeDefs: parse(
    readFileSync(new URL('../../schema/crm.graphql', import.meta.url), 'utf8'),
  ),
  resolvers,
  permissions: crmPermissions,
  createConnector(account, deps) {
    switch (account.provider) {
      case 'hubspot':
        return new HubspotCrmConnector(account, deps);
      case 'salesforce':
        return new SalesforceCrmConnector(account, deps);
      case 'pipedrive':
        return new PipedriveCrmConnector(account, deps);
      default:
        throw new TypeError(
          `No CRM connector for provider "${account.provider}"; expected one of: hubspot, salesforce, pipedrive.`,
        );
    }
  },
};
