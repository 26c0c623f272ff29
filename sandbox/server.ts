import express, { type Express } from 'express';
import { SandboxFaults, createFaultsRouter, type FaultSpec } from './faults';
import { createBamboohrSandbox } from './providers/bamboohr';
import { createHibobSandbox } from './providers/hibob';
import { createHubspotSandbox } from './providers/hubspot';
import { latency } from './latency';
import { createJiraSandbox } from './providers/jira';
import { createPersonioSandbox } from './providers/personio';
import { createLinearSandbox } from './providers/linear';
import { createZendeskSandbox } from './providers/zendesk';
import { createPipedriveSandbox } from './providers/pipedrive';
import { createSalesforceSandbox } from './providers/salesforce';
import {
  ACME_SEED,
  GLOBEX_SEED,
  INITECH_SEED,
  OTHER_SEED,
  generateOrganization,
} from './seed';
import { RequestRecorder, type SandboxOrganization } from './types';

export interface SandboxOptions {
  /** Organizations to serve; default: see `defaultOrganizations`. */
  organizations?: readonly SandboxOrganization[];
  recorder?: RequestRecorder;
  /** Added delay of every provider answer, in ms (default 0). */
  latencyMs?: number;
  /** Faults in force from the start (`SANDBOX_FAULTS`); see sandbox/faults.ts. */
  faults?: readonly FaultSpec[];
}

export interface Sandbox {
  app: Express;
  recorder: RequestRecorder;
  organizations: readonly SandboxOrganization[];
  /** The faults in force; `POST /__faults` changes them at run time. */
  faults: SandboxFaults;
}

/**
 * The default organizations: `acme`, `globex` and `initech` of the sandbox
 * tenant, and `other` of the second tenant (account tokens `acct_<key>`).
 */
export function defaultOrganizations(): SandboxOrganization[] {
  return [
    { key: 'acme', data: generateOrganization(ACME_SEED) },
    { key: 'other', data: generateOrganization(OTHER_SEED) },
    { key: 'globex', data: generateOrganization(GLOBEX_SEED) },
    { key: 'initech', data: generateOrganization(INITECH_SEED) },
  ];
}

/**
 * One HTTP app playing every sandbox provider, each under its own prefix:
 * `/bamboohr`, `/hibob`, `/personio`, `/hubspot`, `/salesforce`,
 * `/pipedrive`, `/jira`, `/zendesk`, `/linear`. A linked account's base URL
 * points at the prefix, exactly where the real provider's host would be.
 */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const organizations = options.organizations ?? defaultOrganizations();
  const recorder = options.recorder ?? new RequestRecorder();
  const providerOptions = { organizations, recorder };
  const app = express();
  app.disable('x-powered-by');
  // Hashing every answer for an ETag cost more than rendering it, and no
  // connector sends `If-None-Match`.
  app.set('etag', false);
  app.get('/health', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.use(latency(options.latencyMs ?? 0));
  const faults = new SandboxFaults(options.faults);
  app.use(createFaultsRouter(faults, recorder));
  app.use('/bamboohr', createBamboohrSandbox(providerOptions));
  app.use('/hubspot', createHubspotSandbox(providerOptions));
  app.use('/jira', createJiraSandbox(providerOptions));
  app.use('/hibob', createHibobSandbox(providerOptions));
  app.use('/personio', createPersonioSandbox(providerOptions));
  app.use('/zendesk', createZendeskSandbox(providerOptions));
  app.use('/linear', createLinearSandbox(providerOptions));
  app.use('/salesforce', createSalesforceSandbox(providerOptions));
  app.use('/pipedrive', createPipedriveSandbox(providerOptions));
  return { app, recorder, organizations, faults };
}
