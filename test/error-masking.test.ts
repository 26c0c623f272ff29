import { describe, expect, it } from 'vitest';
import { maskFormattedError } from '../lib/error-masking';

describe('maskFormattedError (production)', () => {
  it('keeps a public code, its message and the public extensions only', () => {
    expect(
      maskFormattedError({
        message: 'BambooHR rejected the credentials.',
        path: ['employees'],
        extensions: {
          code: 'RELINK_NEEDED',
          provider: 'bamboohr',
          category: 'hris',
          providerStatus: 401,
          serviceName: 'hris',
          stacktrace: ['Error: …', '    at connector.ts:12'],
          exception: { body: '{"error":"API key missing or invalid."}' },
        },
      }),
    ).toEqual({
      message: 'BambooHR rejected the credentials.',
      path: ['employees'],
      extensions: {
        code: 'RELINK_NEEDED',
        provider: 'bamboohr',
        category: 'hris',
        providerStatus: 401,
      },
    });
  });

  it('turns an error without a public code into a fixed internal error', () => {
    for (const extensions of [
      {},
      { code: 'ECONNREFUSED' },
      { code: 'INTERNAL_SERVER_ERROR' },
      { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'crm' },
    ]) {
      expect(
        maskFormattedError({
          message:
            'request to http://10.0.0.7:4002/graphql failed, reason: connect ECONNREFUSED',
          locations: [{ line: 1, column: 3 }],
          extensions,
        }),
      ).toEqual({
        message: 'Internal error.',
        locations: [{ line: 1, column: 3 }],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
    }
  });
});
