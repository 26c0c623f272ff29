import type { SubgraphPermissions } from '../../lib/authorization';

/**
 * Who may read what in the HRIS subgraph. Every readable field needs
 * `hris:read`; personal data also needs `hris.pii:read`, pay data
 * `hris.compensation:read`. There is no HRIS write scope, so any future
 * HRIS mutation stays denied until one is added.
 *
 * `remoteData` carries the provider's whole record, so it is as sensitive
 * as the most sensitive field mapped from it: BambooHR's employee record
 * holds the birth date and home email, its compensation table the pay.
 */
export const hrisPermissions: SubgraphPermissions = {
  category: 'hris',
  read: 'hris:read',
  readable: [
    'Query',
    'PageInfo',
    'Employee',
    'EmployeeEdge',
    'EmployeeConnection',
    'Employment',
    'Team',
    'TeamEdge',
    'TeamConnection',
    'Location',
    'LocationEdge',
    'LocationConnection',
    'Company',
    // The employee behind a ticketing or CRM user is HRIS data.
    'TicketingUser',
    'CrmUser',
  ],
  restricted: {
    'Employee.dateOfBirth': 'hris.pii:read',
    'Employee.personalEmail': 'hris.pii:read',
    'Employee.gender': 'hris.pii:read',
    'Employee.genderRaw': 'hris.pii:read',
    'Employee.maritalStatus': 'hris.pii:read',
    'Employee.remoteData': 'hris.pii:read',
    'Employment.payRate': 'hris.compensation:read',
    'Employment.payCurrency': 'hris.compensation:read',
    'Employment.payPeriod': 'hris.compensation:read',
    'Employment.payPeriodRaw': 'hris.compensation:read',
    'Employment.remoteData': 'hris.compensation:read',
  },
};
