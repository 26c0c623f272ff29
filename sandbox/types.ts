import type { SeedOrganization } from './seed';

/**
 * One organization as a sandbox provider serves it. `key` names it in the
 * provider's own terms: the BambooHR company domain, the HubSpot portal
 * behind a token, the Jira site.
 */
export interface SandboxOrganization {
  key: string;
  data: SeedOrganization;
}

/** What every sandbox provider factory receives. */
export interface SandboxProviderOptions {
  organizations: readonly SandboxOrganization[];
  recorder: RequestRecorder;
}

/** One request as a sandbox provider received it. */
export interface RecordedRequest {
  provider: string;
  method: string;
  /** Path after the provider's mount point, without the query string. */
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  at: number;
}

/**
 * Remembers what the sandbox providers received, so tests assert on real
 * traffic (how many calls, which ids per call) instead of mocking modules.
 */
export class RequestRecorder {
  readonly requests: RecordedRequest[] = [];

  /** `onRecord` also hears each request (the sandbox process forwards it). */
  constructor(private readonly onRecord?: (request: RecordedRequest) => void) {}

  record(request: RecordedRequest): void {
    this.requests.push(request);
    this.onRecord?.(request);
  }

  /** Requests received by one provider, oldest first. */
  of(provider: string): RecordedRequest[] {
    return this.requests.filter((request) => request.provider === provider);
  }

  clear(): void {
    this.requests.length = 0;
  }
}

/**
 * Credentials the sandbox accepts for an organization `key`; defined once in
 * lib/ so the sandbox servers, the store's sandbox tenants and the tests
 * agree.
 */
export { sandboxCredentials } from '../lib/sandbox';
