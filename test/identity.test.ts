import { describe, expect, it } from 'vitest';
import { signIdentity, verifyIdentity, type Identity } from '../lib/identity';

const SECRET = 'identity-test-secret-of-at-least-32-characters';
const OTHER_SECRET = 'another-identity-test-secret-of-32-characters';

const identity: Identity = {
  tenantId: 'ten_identity',
  apiKeyId: 'key_identity',
  organizationId: 'org_identity',
  requestId: 'req_identity',
  scopes: [],
  linkedAccounts: [
    { id: 'la_identity', category: 'hris', provider: 'bamboohr' },
  ],
};

// verifyIdentity remembers tokens that verified, so that subgraphs sharing a
// process check a request's signature once: remembering must never widen
// what is accepted.
describe('the forwarded identity', () => {
  it('verifies the same token again to the same identity', async () => {
    const token = await signIdentity(identity, {
      secret: SECRET,
      ttlSeconds: 60,
    });
    const first = await verifyIdentity(token, { secret: SECRET });
    const again = await verifyIdentity(token, { secret: SECRET });
    expect(first).toEqual(identity);
    expect(again).toEqual(identity);
  });

  it('rejects a remembered token under another secret', async () => {
    const token = await signIdentity(identity, {
      secret: SECRET,
      ttlSeconds: 60,
    });
    await verifyIdentity(token, { secret: SECRET });
    await expect(
      verifyIdentity(token, { secret: OTHER_SECRET }),
    ).rejects.toThrow();
  });

  it('rejects a remembered token once it has expired', async () => {
    const token = await signIdentity(identity, {
      secret: SECRET,
      ttlSeconds: 1,
    });
    await expect(verifyIdentity(token, { secret: SECRET })).resolves.toEqual(
      identity,
    );
    // `exp` is in whole seconds: at most two seconds from now.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(verifyIdentity(token, { secret: SECRET })).rejects.toThrow();
  });

  it('rejects a token whose signature was tampered with, even after its original verified', async () => {
    const token = await signIdentity(identity, {
      secret: SECRET,
      ttlSeconds: 60,
    });
    await verifyIdentity(token, { secret: SECRET });
    const [header, payload, signature = ''] = token.split('.');
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(
      verifyIdentity(`${header}.${payload}.${flipped}`, { secret: SECRET }),
    ).rejects.toThrow();
  });
});
