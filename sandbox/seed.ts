/**
 * Deterministic demo data for one end-customer organization, shared by every
 * sandbox provider so that cross-category joins line up: HubSpot owners and
 * Jira users are the same people as BambooHR employees, matched by work
 * email, exactly as they would be at a real company.
 *
 * Same seed, same data: the generator uses its own PRNG and a fixed clock,
 * never `Math.random()` or `Date.now()`.
 */

export interface SeedOptions {
  /** PRNG seed; two organizations with different seeds share remote ids. */
  seed: number;
  companyName: string;
  /** Email domain, e.g. `acme.example` (the `.example` TLD is reserved). */
  domain: string;
  employeeCount?: number;
  accountCount?: number;
  opportunityCount?: number;
  issueCount?: number;
}

export interface SeedEmployee {
  /** Numeric id as a string, the way BambooHR returns ids. */
  id: string;
  firstName: string;
  lastName: string;
  preferredName: string | null;
  workEmail: string;
  personalEmail: string;
  mobilePhone: string;
  jobTitle: string;
  department: string;
  division: string;
  location: string;
  /** Remote id of the manager, null for the CEO. */
  supervisorId: string | null;
  /** BambooHR's raw status value. */
  status: 'Active' | 'Inactive';
  /** yyyy-mm-dd */
  hireDate: string;
  /** yyyy-mm-dd, set for inactive employees. */
  terminationDate: string | null;
  /** yyyy-mm-dd */
  dateOfBirth: string;
  gender: 'Male' | 'Female' | 'Nonbinary';
  maritalStatus: 'Single' | 'Married' | 'Divorced';
  employmentType: 'Full-Time' | 'Part-Time' | 'Contractor';
  payRate: number;
  payCurrency: 'USD' | 'EUR' | 'GBP';
  payPeriod: 'Year' | 'Hour';
  /** ISO 8601 UTC timestamps. */
  createdAt: string;
  modifiedAt: string;
}

export interface SeedCompany {
  id: string;
  name: string;
  domain: string;
  industry: string;
  city: string;
  country: string;
  numberOfEmployees: number;
  annualRevenue: number;
  ownerEmail: string;
  createdAt: string;
  modifiedAt: string;
}

export interface SeedContact {
  id: string;
  companyId: string | null;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  jobTitle: string;
  /** HubSpot lifecycle stage; `lead` contacts double as leads. */
  lifecycleStage: 'subscriber' | 'lead' | 'opportunity' | 'customer';
  ownerEmail: string;
  createdAt: string;
  modifiedAt: string;
}

export interface SeedDeal {
  id: string;
  name: string;
  amount: number;
  /** HubSpot default sales pipeline stage id. */
  stage:
    | 'appointmentscheduled'
    | 'qualifiedtobuy'
    | 'presentationscheduled'
    | 'decisionmakerboughtin'
    | 'contractsent'
    | 'closedwon'
    | 'closedlost';
  closeDate: string;
  ownerEmail: string;
  companyId: string;
  createdAt: string;
  modifiedAt: string;
}

export interface SeedNote {
  id: string;
  body: string;
  ownerEmail: string;
  companyId: string;
  contactId: string | null;
  dealId: string | null;
  createdAt: string;
  modifiedAt: string;
}

export interface SeedProject {
  id: string;
  key: string;
  name: string;
  description: string;
  leadEmail: string;
}

export interface SeedIssue {
  id: string;
  key: string;
  projectId: string;
  summary: string;
  description: string;
  issueType: 'Bug' | 'Task' | 'Story';
  /** Jira status name; its category is derived from it. */
  status: 'To Do' | 'In Progress' | 'Blocked' | 'In Review' | 'Done';
  priority: 'Highest' | 'High' | 'Medium' | 'Low' | 'Lowest';
  assigneeEmail: string;
  reporterEmail: string;
  dueDate: string | null;
  resolutionDate: string | null;
  labels: string[];
  createdAt: string;
  modifiedAt: string;
}

export interface SeedComment {
  id: string;
  issueId: string;
  authorEmail: string;
  body: string;
  createdAt: string;
  modifiedAt: string;
}

export interface SeedOrganization {
  companyName: string;
  domain: string;
  legalName: string;
  ein: string;
  employees: SeedEmployee[];
  companies: SeedCompany[];
  contacts: SeedContact[];
  deals: SeedDeal[];
  notes: SeedNote[];
  projects: SeedProject[];
  issues: SeedIssue[];
  comments: SeedComment[];
}

/** The clock of the seeded world: nothing in it happens after this instant. */
export const SEED_NOW = Date.UTC(2026, 10, 1, 12, 0, 0);

const DAY_MS = 86_400_000;

/** mulberry32: small, fast, and good enough for demo data. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FIRST_NAMES = [
  'Ava',
  'Liam',
  'Olivia',
  'Noah',
  'Emma',
  'Mateo',
  'Sophia',
  'Lucas',
  'Isabella',
  'Elijah',
  'Mia',
  'James',
  'Amelia',
  'Aiden',
  'Harper',
  'Kenji',
  'Evelyn',
  'Ravi',
  'Abigail',
  'Omar',
  'Emily',
  'Diego',
  'Chloe',
  'Hiro',
  'Zoe',
  'Kwame',
  'Nora',
  'Arjun',
  'Lena',
  'Samuel',
  'Priya',
  'Felix',
  'Grace',
  'Tomas',
  'Aisha',
  'Marco',
  'Ingrid',
  'Yusuf',
  'Clara',
  'Malik',
];
const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Garcia',
  'Nguyen',
  'Patel',
  'Kim',
  'Müller',
  'Rossi',
  'Okafor',
  'Silva',
  'Cohen',
  'Tanaka',
  'Brown',
  'Dubois',
  'Novak',
  'Haddad',
  'Larsen',
  'Kowalski',
  'Mendes',
  'Chen',
  "O'Brien",
  'Ivanova',
  'Singh',
  'Andersen',
  'Moreau',
  'Yilmaz',
  'Fischer',
  'Reyes',
  'Wright',
  'Baker',
];
const DEPARTMENTS: Array<{ name: string; division: string; titles: string[] }> =
  [
    {
      name: 'Engineering',
      division: 'Product',
      titles: [
        'Software Engineer',
        'Senior Software Engineer',
        'Staff Engineer',
      ],
    },
    {
      name: 'Support',
      division: 'Customer',
      titles: ['Support Specialist', 'Support Engineer', 'Support Lead'],
    },
    {
      name: 'Sales',
      division: 'Revenue',
      titles: ['Account Executive', 'Sales Development Rep', 'Sales Manager'],
    },
    {
      name: 'Marketing',
      division: 'Revenue',
      titles: ['Marketing Manager', 'Content Strategist', 'Growth Analyst'],
    },
    {
      name: 'Product',
      division: 'Product',
      titles: ['Product Manager', 'Product Designer', 'UX Researcher'],
    },
    {
      name: 'Finance',
      division: 'Operations',
      titles: ['Accountant', 'Financial Analyst', 'Controller'],
    },
    {
      name: 'People',
      division: 'Operations',
      titles: ['People Partner', 'Recruiter', 'People Operations Lead'],
    },
  ];
const LOCATIONS = [
  'San Francisco, CA',
  'New York, NY',
  'London, UK',
  'Berlin, Germany',
  'Remote',
];
const INDUSTRIES = [
  'Software',
  'Manufacturing',
  'Healthcare',
  'Retail',
  'Financial Services',
  'Logistics',
  'Education',
];
const COMPANY_WORDS = [
  'Blue',
  'North',
  'Summit',
  'Iron',
  'Bright',
  'Cedar',
  'Harbor',
  'Silver',
  'Atlas',
  'Nova',
  'Pioneer',
  'Quantum',
  'River',
  'Stone',
  'Vertex',
  'Willow',
];
const COMPANY_SUFFIXES = [
  'Labs',
  'Systems',
  'Logistics',
  'Health',
  'Foods',
  'Works',
  'Partners',
  'Analytics',
  'Robotics',
  'Supply',
];
const CITIES: Array<[string, string]> = [
  ['Austin', 'US'],
  ['Toronto', 'CA'],
  ['Manchester', 'GB'],
  ['Munich', 'DE'],
  ['Lyon', 'FR'],
  ['Chicago', 'US'],
  ['Amsterdam', 'NL'],
  ['Denver', 'US'],
];
const DEAL_STAGES: SeedDeal['stage'][] = [
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'decisionmakerboughtin',
  'contractsent',
  'closedwon',
  'closedlost',
];
const ISSUE_VERBS = [
  'Fix',
  'Investigate',
  'Add',
  'Improve',
  'Remove',
  'Document',
  'Refactor',
  'Migrate',
];
const ISSUE_OBJECTS = [
  'login timeout on SSO',
  'CSV export encoding',
  'billing webhook retries',
  'onboarding checklist',
  'dashboard load time',
  'password reset email',
  'audit log filters',
  'mobile push notifications',
  'invoice PDF layout',
  'API rate limit headers',
  'search relevance',
  'SAML metadata upload',
];

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '.000Z');
}

function slug(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-zA-Z]/g, '')
    .toLowerCase();
}

/**
 * Generates one organization. Remote ids depend only on position, so two
 * organizations generated with different seeds reuse the same ids for
 * different people: the situation tenant-isolation tests need.
 */
export function generateOrganization(options: SeedOptions): SeedOrganization {
  const random = createRandom(options.seed);
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)] as T;
  const between = (min: number, max: number): number =>
    min + Math.floor(random() * (max - min + 1));

  const employeeCount = options.employeeCount ?? 280;
  const accountCount = options.accountCount ?? 60;
  const opportunityCount = options.opportunityCount ?? 100;
  const issueCount = options.issueCount ?? 300;

  // Employees: the CEO first, then department heads, then everyone else
  // reporting to a head, so the manager graph is a proper tree.
  const employees: SeedEmployee[] = [];
  const usedEmails = new Set<string>();
  const heads = new Map<string, string>();
  for (let index = 0; index < employeeCount; index += 1) {
    const id = String(101 + index);
    const firstName = pick(FIRST_NAMES);
    const lastName = pick(LAST_NAMES);
    let local = `${slug(firstName)}.${slug(lastName)}`;
    for (let n = 2; usedEmails.has(local); n += 1) {
      local = `${slug(firstName)}.${slug(lastName)}${n}`;
    }
    usedEmails.add(local);
    const department =
      index === 0
        ? DEPARTMENTS[6]
        : (DEPARTMENTS[
            (index - 1) % DEPARTMENTS.length
          ] as (typeof DEPARTMENTS)[number]);
    let supervisorId: string | null = null;
    let jobTitle = pick(department.titles);
    if (index === 0) {
      jobTitle = 'Chief Executive Officer';
    } else if (!heads.has(department.name)) {
      heads.set(department.name, id);
      supervisorId = employees[0].id;
      jobTitle = `Head of ${department.name}`;
    } else {
      supervisorId = heads.get(department.name) ?? null;
    }
    const hireMs = SEED_NOW - between(30, 3_000) * DAY_MS;
    const inactive = index > 10 && random() < 0.08;
    const employmentType: SeedEmployee['employmentType'] =
      random() < 0.85
        ? 'Full-Time'
        : random() < 0.5
          ? 'Part-Time'
          : 'Contractor';
    const hourly = employmentType !== 'Full-Time';
    const location = pick(LOCATIONS);
    const payCurrency: SeedEmployee['payCurrency'] = location.includes('UK')
      ? 'GBP'
      : location.includes('Germany')
        ? 'EUR'
        : 'USD';
    const modifiedMs = Math.min(
      SEED_NOW - between(0, 60) * DAY_MS - between(0, 86_000) * 1000,
      SEED_NOW,
    );
    employees.push({
      id,
      firstName,
      lastName,
      preferredName: random() < 0.15 ? firstName.slice(0, 3) : null,
      workEmail: `${local}@${options.domain}`,
      personalEmail: `${local}.${between(10, 99)}@mail.example`,
      mobilePhone: `+1-555-${String(between(100, 999))}-${String(between(1000, 9999))}`,
      jobTitle,
      department: department.name,
      division: department.division,
      location,
      supervisorId,
      status: inactive ? 'Inactive' : 'Active',
      hireDate: isoDate(hireMs),
      terminationDate: inactive
        ? isoDate(
            Math.min(hireMs + between(60, 900) * DAY_MS, SEED_NOW - DAY_MS),
          )
        : null,
      dateOfBirth: isoDate(
        Date.UTC(between(1962, 2002), between(0, 11), between(1, 28)),
      ),
      gender: pick(['Male', 'Female', 'Nonbinary'] as const),
      maritalStatus: pick(['Single', 'Married', 'Divorced'] as const),
      employmentType,
      payRate: hourly ? between(25, 95) : between(55, 240) * 1000,
      payCurrency,
      payPeriod: hourly ? 'Hour' : 'Year',
      createdAt: isoTime(hireMs - 14 * DAY_MS),
      modifiedAt: isoTime(Math.max(modifiedMs, hireMs)),
    });
  }

  const active = employees.filter((employee) => employee.status === 'Active');
  const inDepartment = (name: string): SeedEmployee[] => {
    const people = active.filter((employee) => employee.department === name);
    return people.length > 0 ? people : active;
  };
  const sellers = inDepartment('Sales');
  const fixers = [...inDepartment('Engineering'), ...inDepartment('Support')];
  const everyone = active;

  // CRM companies, each with contacts.
  const companies: SeedCompany[] = [];
  const contacts: SeedContact[] = [];
  const usedNames = new Set<string>();
  for (let index = 0; index < accountCount; index += 1) {
    let name = `${pick(COMPANY_WORDS)} ${pick(COMPANY_SUFFIXES)}`;
    for (let n = 2; usedNames.has(name); n += 1) {
      name = `${name.replace(/ \d+$/, '')} ${n}`;
    }
    usedNames.add(name);
    const [city, country] = pick(CITIES);
    const createdMs = SEED_NOW - between(100, 1_500) * DAY_MS;
    const company: SeedCompany = {
      id: String(9_001_000 + index * 7),
      name,
      domain: `${slug(name)}.example`,
      industry: pick(INDUSTRIES),
      city,
      country,
      numberOfEmployees: between(10, 5_000),
      annualRevenue: between(1, 500) * 100_000,
      ownerEmail: pick(sellers).workEmail,
      createdAt: isoTime(createdMs),
      modifiedAt: isoTime(createdMs + between(1, 90) * DAY_MS),
    };
    companies.push(company);
    const contactCount = between(2, 4);
    for (let c = 0; c < contactCount; c += 1) {
      const firstName = pick(FIRST_NAMES);
      const lastName = pick(LAST_NAMES);
      const contactCreated = createdMs + between(0, 60) * DAY_MS;
      contacts.push({
        id: String(5_001_000 + contacts.length * 3),
        companyId: company.id,
        firstName,
        lastName,
        email: `${slug(firstName)}.${slug(lastName)}${contacts.length}@${company.domain}`,
        phone: `+1-555-${String(between(100, 999))}-${String(between(1000, 9999))}`,
        jobTitle: pick(['CTO', 'VP Operations', 'Buyer', 'Head of IT', 'CFO']),
        lifecycleStage: pick([
          'lead',
          'opportunity',
          'customer',
          'customer',
        ] as const),
        ownerEmail: company.ownerEmail,
        createdAt: isoTime(contactCreated),
        modifiedAt: isoTime(
          Math.min(contactCreated + between(1, 90) * DAY_MS, SEED_NOW),
        ),
      });
    }
  }
  // Leads not yet tied to a company.
  for (let index = 0; index < 40; index += 1) {
    const firstName = pick(FIRST_NAMES);
    const lastName = pick(LAST_NAMES);
    const createdMs = SEED_NOW - between(1, 200) * DAY_MS;
    contacts.push({
      id: String(5_001_000 + contacts.length * 3),
      companyId: null,
      firstName,
      lastName,
      email: `${slug(firstName)}.${slug(lastName)}${contacts.length}@prospect.example`,
      phone: `+1-555-${String(between(100, 999))}-${String(between(1000, 9999))}`,
      jobTitle: pick(['Founder', 'Engineering Manager', 'Procurement Lead']),
      lifecycleStage: pick(['subscriber', 'lead', 'lead'] as const),
      ownerEmail: pick(sellers).workEmail,
      createdAt: isoTime(createdMs),
      modifiedAt: isoTime(
        Math.min(createdMs + between(0, 30) * DAY_MS, SEED_NOW),
      ),
    });
  }

  // Deals: owned by sales people; the first owners get several deals each so
  // the flagship query's first employees have opportunities to show.
  const deals: SeedDeal[] = [];
  const dealOwners = [...everyone.slice(0, 8), ...sellers];
  for (let index = 0; index < opportunityCount; index += 1) {
    const company = pick(companies);
    const stage = pick(DEAL_STAGES);
    const createdMs = SEED_NOW - between(10, 400) * DAY_MS;
    deals.push({
      id: String(7_001_000 + index * 11),
      name: `${company.name} — ${pick(['Platform', 'Expansion', 'Renewal', 'Pilot'])} ${2025 + (index % 2)}`,
      amount: between(5, 400) * 500,
      stage,
      closeDate: isoDate(createdMs + between(20, 180) * DAY_MS),
      ownerEmail: dealOwners[index % dealOwners.length].workEmail,
      companyId: company.id,
      createdAt: isoTime(createdMs),
      modifiedAt: isoTime(
        Math.min(createdMs + between(1, 60) * DAY_MS, SEED_NOW),
      ),
    });
  }

  const notes: SeedNote[] = [];
  for (let index = 0; index < 80; index += 1) {
    const deal = pick(deals);
    const createdMs = Date.parse(deal.createdAt) + between(1, 20) * DAY_MS;
    notes.push({
      id: String(3_001_000 + index * 13),
      body: pick([
        'Discussed pricing tiers and rollout timeline.',
        'Security review requested; sent SOC 2 report.',
        'Champion changed roles; need a new sponsor.',
        'Asked for a reference customer in their industry.',
      ]),
      ownerEmail: deal.ownerEmail,
      companyId: deal.companyId,
      contactId:
        contacts.find((contact) => contact.companyId === deal.companyId)?.id ??
        null,
      dealId: deal.id,
      createdAt: isoTime(Math.min(createdMs, SEED_NOW)),
      modifiedAt: isoTime(Math.min(createdMs, SEED_NOW)),
    });
  }

  // Jira projects and issues.
  const projects: SeedProject[] = [
    {
      id: '10000',
      key: 'ENG',
      name: 'Engineering',
      description: 'Product engineering work.',
      leadEmail: fixers[0].workEmail,
    },
    {
      id: '10001',
      key: 'SUP',
      name: 'Support',
      description: 'Customer escalations.',
      leadEmail: fixers[fixers.length - 1].workEmail,
    },
    {
      id: '10002',
      key: 'OPS',
      name: 'Operations',
      description: 'Internal operations and IT.',
      leadEmail: everyone[0].workEmail,
    },
  ];
  const issues: SeedIssue[] = [];
  const comments: SeedComment[] = [];
  const counters = new Map<string, number>();
  for (let index = 0; index < issueCount; index += 1) {
    const project = projects[index % projects.length];
    const number = (counters.get(project.key) ?? 0) + 1;
    counters.set(project.key, number);
    // The first 60 active employees get three issues each, so a page of
    // employees always has tickets to show; the rest go at random.
    const assignee =
      index < 180 ? everyone[index % 60] : pick([...fixers, ...everyone]);
    const status = pick([
      'To Do',
      'To Do',
      'In Progress',
      'In Progress',
      'Blocked',
      'In Review',
      'Done',
      'Done',
    ] as const);
    const createdMs =
      SEED_NOW - between(1, 365) * DAY_MS - between(0, 86_000) * 1000;
    const modifiedMs = Math.min(createdMs + between(0, 40) * DAY_MS, SEED_NOW);
    const issue: SeedIssue = {
      id: String(20_000 + index),
      key: `${project.key}-${number}`,
      projectId: project.id,
      summary: `${pick(ISSUE_VERBS)} ${pick(ISSUE_OBJECTS)}`,
      description: pick([
        'Customers report this intermittently since the last release.',
        'Needed before the quarterly launch.',
        'Follow-up from the incident review.',
        'Requested by three enterprise accounts.',
      ]),
      issueType: pick(['Bug', 'Task', 'Story'] as const),
      status,
      priority: pick([
        'Highest',
        'High',
        'Medium',
        'Medium',
        'Low',
        'Lowest',
      ] as const),
      assigneeEmail: assignee.workEmail,
      reporterEmail: pick(everyone).workEmail,
      dueDate:
        random() < 0.5 ? isoDate(createdMs + between(7, 90) * DAY_MS) : null,
      resolutionDate: status === 'Done' ? isoTime(modifiedMs) : null,
      labels:
        random() < 0.4
          ? [pick(['customer', 'security', 'tech-debt', 'ux'])]
          : [],
      createdAt: isoTime(createdMs),
      modifiedAt: isoTime(modifiedMs),
    };
    issues.push(issue);
    const commentCount = between(0, 2);
    for (let c = 0; c < commentCount; c += 1) {
      const at = Math.min(createdMs + between(0, 20) * DAY_MS, SEED_NOW);
      comments.push({
        id: String(40_000 + comments.length),
        issueId: issue.id,
        authorEmail: pick(everyone).workEmail,
        body: pick([
          'Reproduced on staging.',
          'Pushed a fix for review.',
          'Waiting on the customer for logs.',
          'Closing as duplicate of a related issue.',
        ]),
        createdAt: isoTime(at),
        modifiedAt: isoTime(at),
      });
    }
  }

  return {
    companyName: options.companyName,
    domain: options.domain,
    legalName: `${options.companyName} Inc.`,
    ein: `${between(10, 99)}-${between(1_000_000, 9_999_999)}`,
    employees,
    companies,
    contacts,
    deals,
    notes,
    projects,
    issues,
    comments,
  };
}

/** The demo organization behind the sandbox account token `acct_acme`. */
export const ACME_SEED: SeedOptions = {
  seed: 20_261_101,
  companyName: 'Acme Corporation',
  domain: 'acme.example',
};

/**
 * The second tenant's organization (`acct_other`): the same remote ids as
 * Acme with different people, for tenant-isolation tests.
 */
export const OTHER_SEED: SeedOptions = {
  seed: 7,
  companyName: 'Umbrella Corporation',
  domain: 'umbrella.example',
};

/** `acct_globex`: HiBob, Salesforce and Zendesk. */
export const GLOBEX_SEED: SeedOptions = {
  seed: 1_989,
  companyName: 'Globex Corporation',
  domain: 'globex.example',
  employeeCount: 190,
  accountCount: 45,
  opportunityCount: 80,
  issueCount: 240,
};

/** `acct_initech`: Personio, Pipedrive and Linear. */
export const INITECH_SEED: SeedOptions = {
  seed: 1_999,
  companyName: 'Initech',
  domain: 'initech.example',
  employeeCount: 170,
  accountCount: 50,
  opportunityCount: 90,
  issueCount: 260,
};
