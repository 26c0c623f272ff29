import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { SubgraphDefinition } from '../../lib/subgraph';
import type { HrisConnector } from './connector';
import { BamboohrConnector } from './providers/bamboohr/connector';
import { hrisPermissions } from './permissions';
import { HibobConnector } from './providers/hibob/connector';
import { PersonioConnector } from './providers/personio/connector';
import { resolvers } from './resolvers';

/**
 * The HRIS subgraph: employees, employments, teams, locations and the
 * company, plus the employee behind a ticketing or CRM user.
 */
export const hrisSubgraph: SubgraphDefinition<HrisConnector> = {
  category: 'hris',
  typeDefs: parse(
    readFileSync(new URL('../../schema/hris.graphql', import.meta.url), 'utf8'),
  ),
  resolvers,
  permissions: hrisPermissions,
  createConnector(account, deps) {
    switch (account.provider) {
      case 'bamboohr':
        return new BamboohrConnector(account, deps);
      case 'hibob':
        return new HibobConnector(account, deps);
      case 'personio':
        return new PersonioConnector(account, deps);
      default:
        throw new TypeError(
          `No HRIS connector for provider "${account.provider}".`,
        );
    }
  },
};
