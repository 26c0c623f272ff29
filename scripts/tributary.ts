import { parseArgs } from 'node:util';
import { GraphQLError } from 'graphql';
import { PROVIDERS, SCOPES } from '../lib/categories';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import {
  listApiKeys,
  parseScopes,
  revokeApiKey,
  rotateApiKey,
} from '../lib/store/api-keys';
import { listAuditRecords } from '../lib/store/audit';
import { Store } from '../lib/store/store';

const USAGE = `Usage: npm run tributary -- <command> [options]

Commands:
  tenant create --name <name>
  api-key create --tenant <tenant id> --name <name> --scopes <a,b,...>
  api-key list --tenant <tenant id>
  api-key rotate --tenant <tenant id> --id <api key id>
  api-key revoke --tenant <tenant id> --id <api key id>
  organization create --tenant <tenant id> --name <name>
  account link --tenant <tenant id> --account-token <token>
               --provider <${Object.keys(PROVIDERS).join('|')}> --base-url <url>
               --credential <field=value> [--credential <field=value> ...]
  account unlink --tenant <tenant id> --account-token <token> --provider <name>
  audit list --tenant <tenant id> [--first <1-100>] [--sensitive-only]
  credentials reseal   (after a key rotation: re-seal every linked account's
                        credentials under the first TRIBUTARY_ENCRYPTION_KEYS key)

Secrets (API keys, account tokens) are printed once and stored only hashed.
Uses DATABASE_URL (PostgreSQL) or TRIBUTARY_DB_PATH (SQLite), as the servers do.
Scopes: ${SCOPES.join(', ')}`;

class UsageError extends Error {}

function required(value: string | undefined, flag: string): string {
  if (!value) {
    throw new UsageError(`Missing --${flag}.`);
  }
  return value;
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    tenant: { type: 'string' },
    id: { type: 'string' },
    first: { type: 'string' },
    'sensitive-only': { type: 'boolean' },
    scopes: { type: 'string' },
    'account-token': { type: 'string' },
    provider: { type: 'string' },
    'base-url': { type: 'string' },
    credential: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  },
});

const config = loadConfig();
const store = await Store.open({
  databaseUrl: config.databaseUrl,
  sqlitePath: config.sqlitePath,
  sandboxEnabled: config.sandboxEnabled,
  encryptionKeys: config.encryptionKeys,
  logger: createLogger({ name: 'cli', level: 'warn' }),
});

async function organizationOf(): Promise<{ id: string; name: string }> {
  const tenantId = required(values.tenant, 'tenant');
  const token = required(values['account-token'], 'account-token');
  const organization = await store.findOrganization(tenantId, token);
  if (!organization) {
    throw new UsageError(
      'No organization of that tenant has that account token.',
    );
  }
  return organization;
}

function providerOf(): { name: string } & (typeof PROVIDERS)[string] {
  const name = required(values.provider, 'provider');
  const provider = PROVIDERS[name];
  if (!provider) {
    throw new UsageError(
      `Unknown provider "${name}"; expected one of ${Object.keys(PROVIDERS).join(', ')}.`,
    );
  }
  return { name, ...provider };
}

async function run(command: string): Promise<void> {
  switch (command) {
    case 'tenant create': {
      const tenant = await store.createTenant({
        name: required(values.name, 'name'),
      });
      console.log(`Tenant ${tenant.id} created.`);
      return;
    }
    case 'api-key create': {
      const scopes = required(values.scopes, 'scopes')
        .split(',')
        .map((scope) => scope.trim());
      const unknown = scopes.filter(
        (scope) => !(SCOPES as readonly string[]).includes(scope),
      );
      if (unknown.length > 0) {
        throw new UsageError(
          `Unknown scopes ${unknown.join(', ')}; expected some of ${SCOPES.join(', ')}.`,
        );
      }
      const key = await store.createApiKey({
        tenantId: required(values.tenant, 'tenant'),
        name: required(values.name, 'name'),
        scopes: parseScopes(scopes),
      });
      console.log(`API key ${key.id} created. Its secret, shown only now:`);
      console.log(key.secret);
      return;
    }
    case 'api-key list': {
      const keys = await listApiKeys(
        store.db,
        required(values.tenant, 'tenant'),
      );
      for (const key of keys) {
        const state = key.revokedAt ? `revoked ${key.revokedAt}` : 'live';
        console.log(
          `${key.id}  ${key.prefix}…  ${key.name}  [${key.scopes.join(', ')}]  ${state}`,
        );
      }
      if (keys.length === 0) console.log('No API keys.');
      return;
    }
    case 'api-key rotate': {
      const issued = await rotateApiKey(
        store.db,
        required(values.tenant, 'tenant'),
        required(values.id, 'id'),
      );
      console.log(
        `API key ${issued.apiKey.id} rotated; the old secret no longer works. The new one, shown only now:`,
      );
      console.log(issued.secret);
      return;
    }
    case 'api-key revoke': {
      const key = await revokeApiKey(
        store.db,
        required(values.tenant, 'tenant'),
        required(values.id, 'id'),
      );
      console.log(`API key ${key.id} revoked at ${key.revokedAt}.`);
      return;
    }
    case 'audit list': {
      const page = await listAuditRecords(store.db, {
        tenantId: required(values.tenant, 'tenant'),
        first: Number(values.first ?? 20),
        sensitiveOnly: values['sensitive-only'] ?? false,
      });
      for (const record of page.records) {
        const sensitive = [
          ...record.personalFields,
          ...record.compensationFields,
        ];
        console.log(
          [
            record.occurredAt,
            record.surface,
            `key ${record.apiKeyId}`,
            record.organizationId ? `org ${record.organizationId}` : '-',
            record.operationName ?? '(anonymous)',
            record.outcome,
            `[${record.categories.join(', ')}]`,
            sensitive.length > 0 ? `sensitive: ${sensitive.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('  '),
        );
      }
      if (page.records.length === 0) console.log('No audit records.');
      return;
    }
    case 'organization create': {
      const organization = await store.createOrganization({
        tenantId: required(values.tenant, 'tenant'),
        name: required(values.name, 'name'),
      });
      console.log(
        `Organization ${organization.id} created. Its account token, shown only now:`,
      );
      console.log(organization.accountToken);
      return;
    }
    case 'account link': {
      const organization = await organizationOf();
      const provider = providerOf();
      const baseUrl = required(values['base-url'], 'base-url');
      if (!URL.canParse(baseUrl)) {
        throw new UsageError(
          `--base-url must be an absolute URL such as ${provider.example}, received "${baseUrl}".`,
        );
      }
      const credentials: Record<string, string> = {};
      for (const pair of values.credential ?? []) {
        const separator = pair.indexOf('=');
        if (separator <= 0) {
          throw new UsageError(
            `--credential expects field=value, received a value without "=".`,
          );
        }
        credentials[pair.slice(0, separator)] = pair.slice(separator + 1);
      }
      const missing = provider.credentials.filter(
        (field) => !credentials[field],
      );
      if (missing.length > 0) {
        throw new UsageError(
          `${provider.name} needs --credential for: ${missing.join(', ')}.`,
        );
      }
      const account = await store.linkAccount({
        organizationId: organization.id,
        category: provider.category,
        provider: provider.name,
        baseUrl,
        credentials,
      });
      console.log(
        `Linked ${provider.name} (${provider.category}) as account ${account.id} of organization ${organization.name}.`,
      );
      return;
    }
    case 'account unlink': {
      const organization = await organizationOf();
      const provider = providerOf();
      await store.unlinkAccount(organization.id, provider.category);
      console.log(
        `Unlinked the ${provider.category} account of ${organization.name}.`,
      );
      return;
    }
    case 'credentials reseal': {
      const changed = await store.resealCredentials();
      console.log(
        `Re-sealed ${changed} linked account(s) under key ${config.encryptionKeys[0]?.id ?? '?'}.`,
      );
      return;
    }
    default:
      throw new UsageError(command ? `Unknown command "${command}".` : '');
  }
}

try {
  if (values.help) {
    console.log(USAGE);
  } else {
    await run(positionals.slice(0, 2).join(' '));
  }
} catch (error: unknown) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`.trim());
    process.exitCode = 2;
  } else if (error instanceof GraphQLError) {
    // The store's coded errors (NOT_FOUND, BAD_USER_INPUT) read as they are.
    console.error(error.message);
    process.exitCode = 1;
  } else {
    throw error;
  }
} finally {
  await store.close();
}
