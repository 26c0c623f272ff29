import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { SANDBOX } from './system';

export const sha256 = (text: string): string =>
  createHash('sha256').update(text).digest('hex');

/** One HTTP request Apollo Client sent, as the gateway received it. */
export interface SentRequest {
  method: string;
  /** The persisted query hash, when the request carried one. */
  hash: string | undefined;
  /** Whether the request carried the query text. */
  withQuery: boolean;
  status: number;
}

/**
 * A real Apollo Client (core, no React) with its persisted-queries link in
 * front of an HttpLink to the gateway, sending the sandbox credentials.
 * `sent` records every HTTP request it made, so tests assert on the
 * protocol as well as the result.
 */
export function persistedQueryClient(
  url: string,
  options: {
    persisted?: ConstructorParameters<typeof PersistedQueryLink>[0];
    headers?: Record<string, string>;
  } = {},
): { client: ApolloClient; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const target = new URL(String(input));
    let hash: string | undefined;
    let withQuery: boolean;
    if (init?.method === 'GET') {
      const extensions = target.searchParams.get('extensions');
      hash = extensions
        ? (
            JSON.parse(extensions) as {
              persistedQuery?: { sha256Hash: string };
            }
          ).persistedQuery?.sha256Hash
        : undefined;
      withQuery = target.searchParams.has('query');
    } else {
      const body = JSON.parse(String(init?.body)) as {
        query?: string;
        extensions?: { persistedQuery?: { sha256Hash: string } };
      };
      hash = body.extensions?.persistedQuery?.sha256Hash;
      withQuery = typeof body.query === 'string';
    }
    const response = await fetch(input, init);
    sent.push({
      method: init?.method ?? 'GET',
      hash,
      withQuery,
      status: response.status,
    });
    return response;
  };
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: new PersistedQueryLink(options.persisted ?? { sha256 }).concat(
      new HttpLink({
        uri: url,
        fetch: recordingFetch,
        headers: {
          authorization: `Bearer ${SANDBOX.apiKey}`,
          'x-account-token': SANDBOX.accountToken,
          ...options.headers,
        },
      }),
    ),
  });
  return { client, sent };
}

/** Sends a raw JSON body to the gateway with the sandbox credentials. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Headers;
  body: {
    data?: unknown;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${SANDBOX.apiKey}`,
      'x-account-token': SANDBOX.accountToken,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as never) : {},
  };
}
