import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lib/config';
import {
  CredentialCipher,
  parseEncryptionKeys,
  type CredentialKey,
} from '../lib/credentials';
import { createLogger } from '../lib/logger';
import { Store } from '../lib/store/store';
import { privateSchema } from './support/postgres';

const logger = createLogger({ name: 'test', level: 'silent' });
const SECRET = 'pat-very-secret-token-value';

function key(id: string): CredentialKey {
  return { id, key: randomBytes(32) };
}

describe('TRIBUTARY_ENCRYPTION_KEYS', () => {
  const base64Key = Buffer.alloc(32, 7).toString('base64');

  it('reads keyId:base64key entries, the first one encrypting', () => {
    const keys = parseEncryptionKeys(`k2:${base64Key}, k1:${base64Key}`);
    expect(keys.map((entry) => entry.id)).toEqual(['k2', 'k1']);
    expect(new CredentialCipher(keys).primaryKeyId).toBe('k2');
  });

  it('names the entry at fault and what it expected, never the key', () => {
    const problem = (value: string) => {
      try {
        loadConfig({ TRIBUTARY_ENCRYPTION_KEYS: value });
      } catch (error: unknown) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems.join('\n');
      }
      throw new Error('expected a ConfigError');
    };
    const short = Buffer.alloc(16, 7).toString('base64');
    expect(problem(`k1:${short}`)).toBe(
      'TRIBUTARY_ENCRYPTION_KEYS: entry 1 ("k1"): expected 32 bytes of key material (for example `openssl rand -base64 32`), received 16 bytes',
    );
    expect(problem(base64Key)).toContain(
      'TRIBUTARY_ENCRYPTION_KEYS: entry 1: expected keyId:base64key',
    );
    expect(problem(`k1:${base64Key},k1:${base64Key}`)).toContain(
      'entry 2: key id "k1" appears twice',
    );
    expect(problem(`k1:not base64!`)).toContain('expected base64 key material');
    expect(problem(`k1:${short}`)).not.toContain(short);
  });

  it('is required in production and defaults to a development key elsewhere', () => {
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        TRIBUTARY_IDENTITY_SECRET: 'x'.repeat(32),
      }),
    ).toThrow(/TRIBUTARY_ENCRYPTION_KEYS: required when NODE_ENV=production/);
    expect(loadConfig({}).encryptionKeys.map((entry) => entry.id)).toEqual([
      'dev',
    ]);
  });
});

describe('CredentialCipher', () => {
  it('refuses a ciphertext moved onto another linked account', () => {
    const cipher = new CredentialCipher([key('k1')]);
    const sealed = cipher.seal({ accessToken: SECRET }, 'la_1');
    expect(cipher.open(sealed, 'la_1')).toEqual({ accessToken: SECRET });
    expect(() => cipher.open(sealed, 'la_2')).toThrow(
      'The credentials of linked account la_2 failed to decrypt with key id "k1".',
    );
  });

  it('names a key id it does not hold', () => {
    const sealed = new CredentialCipher([key('old')]).seal({}, 'la_1');
    expect(() =>
      new CredentialCipher([key('new')]).open(sealed, 'la_1'),
    ).toThrow(
      /sealed with key id "old", which TRIBUTARY_ENCRYPTION_KEYS does not hold/,
    );
  });
});

describe.each(['sqlite', 'postgres'] as const)(
  'Credentials at rest on %s',
  (dialect) => {
    let databaseUrl: string | undefined;
    let sqlitePath: string | undefined;
    let cleanup: () => Promise<void> | void = () => {};
    const k1 = key('k1');
    const k2 = key('k2');

    const open = (keys: CredentialKey[]) =>
      Store.open({
        databaseUrl,
        sqlitePath,
        sandboxEnabled: false,
        logger,
        encryptionKeys: keys,
      });

    beforeAll(async () => {
      if (dialect === 'postgres') {
        const schema = await privateSchema();
        databaseUrl = schema.url;
        cleanup = schema.drop;
      } else {
        const dir = mkdtempSync(join(tmpdir(), 'tributary-credentials-'));
        sqlitePath = join(dir, 'store.db');
        cleanup = () => rmSync(dir, { recursive: true, force: true });
      }
    });

    afterAll(async () => {
      await cleanup();
    });

    async function linkOne(store: Store) {
      const tenant = await store.createTenant({ name: 'Encrypting tenant' });
      const organization = await store.createOrganization({
        tenantId: tenant.id,
        name: 'Customer',
      });
      const link = await store.linkAccount({
        organizationId: organization.id,
        category: 'crm',
        provider: 'salesforce',
        baseUrl: 'https://login.example',
        credentials: { accessToken: SECRET, refreshToken: 'rt-secret-1' },
      });
      return {
        id: link.id,
        owner: { tenantId: tenant.id, organizationId: organization.id },
      };
    }

    async function rawCredentials(store: Store, id: string) {
      const row = await store.db
        .selectFrom('linked_accounts')
        .select('credentials')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return row.credentials;
    }

    it('keeps no plaintext secret in the row and reads it back decrypted', async () => {
      const store = await open([k1]);
      try {
        const { id, owner } = await linkOne(store);
        const raw = await rawCredentials(store, id);
        expect(raw).toMatch(/^tcv1\.k1\./);
        expect(raw).not.toContain(SECRET);
        expect(raw).not.toContain('rt-secret-1');
        expect(raw).not.toContain('accessToken');
        const account = await store.getLinkedAccount(id, owner);
        expect(account?.credentials).toEqual({
          accessToken: SECRET,
          refreshToken: 'rt-secret-1',
        });

        await store.updateCredentials(id, {
          accessToken: 'at-2',
          refreshToken: 'rt-2',
        });
        await store.setLinkedAccountStatus(id, 'RELINK_NEEDED');
        const updated = await store.getLinkedAccount(id, owner);
        expect(updated).toMatchObject({
          credentials: { accessToken: 'at-2', refreshToken: 'rt-2' },
          status: 'RELINK_NEEDED',
        });
        expect(await rawCredentials(store, id)).not.toContain('at-2');
      } finally {
        await store.close();
      }
    });

    it('decrypts rows of the old key after rotation and re-seals them under the new one', async () => {
      const before = await open([k1]);
      const { id, owner } = await linkOne(before);
      await before.close();

      const rotated = await open([k2, k1]);
      try {
        expect(
          (await rotated.getLinkedAccount(id, owner))?.credentials,
        ).toEqual({ accessToken: SECRET, refreshToken: 'rt-secret-1' });
        expect(await rotated.resealCredentials()).toBeGreaterThanOrEqual(1);
        expect(await rawCredentials(rotated, id)).toMatch(/^tcv1\.k2\./);
      } finally {
        await rotated.close();
      }

      const newOnly = await open([k2]);
      try {
        expect(
          (await newOnly.getLinkedAccount(id, owner))?.credentials,
        ).toEqual({ accessToken: SECRET, refreshToken: 'rt-secret-1' });
      } finally {
        await newOnly.close();
      }
    });

    it('migration 0003 seals credentials written in plaintext before it', async () => {
      const store = await open([k2]);
      const { id, owner } = await linkOne(store);
      // Put the row back the way the skeleton wrote it, and forget 0003 ran.
      await store.db
        .updateTable('linked_accounts')
        .set({ credentials: JSON.stringify({ accessToken: SECRET }) })
        .where('id', '=', id)
        .execute();
      await (
        store.db as unknown as Kysely<{ kysely_migration: { name: string } }>
      )
        .deleteFrom('kysely_migration')
        .where('name', '=', '0003_encrypt_credentials')
        .execute();
      await store.close();

      const reopened = await open([k2]);
      try {
        const raw = await rawCredentials(reopened, id);
        expect(raw).toMatch(/^tcv1\.k2\./);
        expect(raw).not.toContain(SECRET);
        expect(
          (await reopened.getLinkedAccount(id, owner))?.credentials,
        ).toEqual({ accessToken: SECRET });
      } finally {
        await reopened.close();
      }
    });
  },
);
