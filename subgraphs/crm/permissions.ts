import type { SubgraphPermissions } from '../../lib/authorization';

/**
 * Who may read and write what in the CRM subgraph: `crm:read` for every
 * readable field, `crm:write` for every mutation. CRM records hold business
 * contacts, not employees' personal data, so no field needs more.
 */
export const crmPermissions: SubgraphPermissions = {
  category: 'crm',
  read: 'crm:read',
  write: 'crm:write',
  readable: [
    'Query',
    'PageInfo',
    'CrmAccount',
    'CrmAccountEdge',
    'CrmAccountConnection',
    'CrmContact',
    'CrmContactEdge',
    'CrmContactConnection',
    'Lead',
    'LeadEdge',
    'LeadConnection',
    'Opportunity',
    'OpportunityEdge',
    'OpportunityConnection',
    'CrmUser',
    'CrmUserEdge',
    'CrmUserConnection',
    'CrmNote',
    'CrmNoteEdge',
    'CrmNoteConnection',
    // `Employee.ownedOpportunities` is CRM data.
    'Employee',
  ],
  restricted: {},
};
