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

/** Records a recorder keeps by default before it forgets the oldest. */
export const RECORDER_MAX_REQUESTS = 50_000;

/**
 * Remembers what the sandbox providers received, so tests assert on real
 * traffic (how many calls, which ids per call) instead of mocking modules.
 * Bounded: a sandbox that serves for days (`npm start`) keeps the latest
 * `maxRequests` and forgets older ones, a tenth at a time.
 */
export class RequestRecorder {
  readonly requests: RecordedRequest[] = [];

  constructor(private readonly maxRequests = RECORDER_MAX_REQUESTS) {}

  record(request: RecordedRequest): void {
    this.requests.push(request);
    if (this.requests.length > this.maxRequests) {
      this.requests.splice(
        0,
        this.requests.length - Math.floor(this.maxRequests * 0.9),
      );
    }
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
