import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return {
    lines,
    logger: createLogger({ name: 'test', level: 'info', destination }),
  };
}

describe('the logger', () => {
  it('redacts authorization headers, account tokens and identities of a logged request', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        requestId: 'r-1',
        req: {
          method: 'POST',
          headers: {
            authorization: 'Bearer sk_live_secret',
            'x-account-token': 'acct_secret',
            'x-tributary-identity': 'eyJhbGciOi.secret',
            cookie: 'session=secret',
          },
        },
      },
      'request',
    );
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/secret/);
    expect(lines[0]).toMatchObject({
      requestId: 'r-1',
      req: { method: 'POST', headers: { authorization: '[redacted]' } },
    });
  });

  it('redacts credentials and personal fields of a record logged by mistake', () => {
    const { lines, logger } = capture();
    logger.warn(
      {
        account: {
          credentials: { apiKey: 'k' },
          apiToken: 'jira-token',
        },
        employee: {
          id: '101',
          firstName: 'Nora',
          lastName: 'Fischer',
          workEmail: 'nora@acme.example',
        },
      },
      'oops',
    );
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/jira-token|Nora|Fischer|nora@/);
    expect(lines[0]).toMatchObject({ employee: { id: '101' } });
  });
});
