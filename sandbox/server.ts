import express, { type Express } from 'express';
import { SandboxFaults, createFaultsRouter, type FaultSpec } from './faults';
import { createBamboohrSandbox } from './providers/bamboohr';
import { createHubspotSandbox } from './providers/hubspot';
import { createJiraSandbox } from './providers/jira';
import { ACME_SEED, OTHER_SEED, generateOrganization } from './seed';
import { RequestRecorder, type SandboxOrganization } from './types';

export interface SandboxOptions {
  /** Organizations to serve; default: `acme` and `other` from the seeds. */
  organizations?: readonly SandboxOrganization[];
  recorder?: RequestRecorder;
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

/** The default organizations: `acme` (acct_acme) and `other` (acct_other). */
export function defaultOrganizations(): SandboxOrganization[] {
  return [
    { key: 'acme', data: generateOrganization(ACME_SEED) },
    { key: 'other', data: generateOrganization(OTHER_SEED) },
  ];
}

/**
 * One HTTP app playing every sandbox provider, each under its own prefix:
 * `/bamboohr`, `/hubspot`, `/jira`. A linked account's base URL points at
 * the prefix, exactly where the real provider's host would be.
 */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const organizations = options.organizations ?? defaultOrganizations();
  const recorder = options.recorder ?? new RequestRecorder();
  const providerOptions = { organizations, recorder };
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_request, response) => {
    response.json({ status: 'ok' });
  });
  const faults = new SandboxFaults(options.faults);
  app.use(createFaultsRouter(faults, recorder));
  app.use('/bamboohr', createBamboohrSandbox(providerOptions));
  app.use('/hubspot', createHubspotSandbox(providerOptions));
  app.use('/jira', createJiraSandbox(providerOptions));
  return { app, recorder, organizations, faults };
}
