import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLResolveInfo } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_EXTENSION,
  applyPermissions,
  auditExtensionPlugin,
  requireScopes,
  type SubgraphPermissions,
} from '../lib/authorization';
import type { Scope } from '../lib/categories';
import type { Identity } from '../lib/identity';
import { crmPermissions } from '../subgraphs/crm/permissions';
import { crmSubgraph } from '../subgraphs/crm/subgraph';
import { hrisPermissions } from '../subgraphs/hris/permissions';
import { hrisSubgraph } from '../subgraphs/hris/subgraph';
import { ticketingPermissions } from '../subgraphs/ticketing/permissions';
import { ticketingSubgraph } from '../subgraphs/ticketing/subgraph';

const typeDefs = parse(`
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Thing @key(fields: "id") {
    id: ID!
    name: String
    secret: String
  }

  type Hidden {
    x: String
  }

  type Query {
    thing: Thing
    hidden: Hidden
  }

  type Mutation {
    rename(name: String!): Thing
  }
`);

const thing = { id: '1', name: 'a thing', secret: 'hush' };

const permissions: SubgraphPermissions = {
  category: 'crm',
  read: 'crm:read',
  readable: ['Query', 'Thing'],
  restricted: { 'Thing.secret': 'hris.pii:read' },
};

interface TestContext {
  identity: Identity;
}

async function serverWith(
  declared: SubgraphPermissions = permissions,
): Promise<ApolloServer<TestContext>> {
  const schema = applyPermissions(
    buildSubgraphSchema({
      typeDefs,
      resolvers: {
        Query: { thing: () => thing, hidden: () => ({ x: 'x' }) },
        Mutation: { rename: () => thing },
        Thing: { __resolveReference: () => thing },
      },
    }),
    declared,
  );
  const server = new ApolloServer<TestContext>({
    schema,
    plugins: [ApolloServerPluginInlineTraceDisabled(), auditExtensionPlugin()],
  });
  await server.start();
  return server;
}

async function run(
  query: string,
  scopes: Scope[],
  declared: SubgraphPermissions = permissions,
) {
  const server = await serverWith(declared);
  try {
    const response = await server.executeOperation(
      { query },
      {
        contextValue: {
          identity: {
            tenantId: 't',
            apiKeyId: 'k',
            organizationId: 'o',
            requestId: 'r',
            linkedAccounts: [],
            scopes,
          },
        },
      },
    );
    if (response.body.kind !== 'single') throw new Error('not single');
    return response.body.singleResult;
  } finally {
    await server.stop();
  }
}

describe('applyPermissions', () => {
  it('denies every field to an identity without the read scope, with FORBIDDEN and the path', async () => {
    const result = await run('{ thing { name } }', []);
    expect(result.data).toEqual({ thing: null });
    expect(result.errors).toEqual([
      expect.objectContaining({
        path: ['thing'],
        message: expect.stringMatching(/Query\.thing needs the scope crm:read/),
        extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
      }),
    ]);
  });

  it('denies a restricted field alone and returns its siblings', async () => {
    const result = await run('{ thing { name secret } }', ['crm:read']);
    expect(result.data).toEqual({ thing: { name: 'a thing', secret: null } });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]).toMatchObject({
      path: ['thing', 'secret'],
      extensions: { code: 'FORBIDDEN' },
    });
    expect(result.errors![0]!.message).toMatch(/hris\.pii:read/);
    expect(result.extensions).toBeUndefined();
  });

  it('reports restricted fields it returned in the audit extension', async () => {
    const result = await run('{ thing { name secret } }', [
      'crm:read',
      'hris.pii:read',
    ]);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ thing: { name: 'a thing', secret: 'hush' } });
    expect(result.extensions?.[AUDIT_EXTENSION]).toEqual({
      fields: { 'Thing.secret': 'hris.pii:read' },
    });
  });

  it('denies types the permissions do not declare, even with every scope', async () => {
    const result = await run('{ hidden { x } }', [
      'crm:read',
      'crm:write',
      'hris.pii:read',
    ]);
    expect(result.data).toEqual({ hidden: { x: null } });
    expect(result.errors![0]).toMatchObject({
      path: ['hidden', 'x'],
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it('denies mutations when the category has no write scope', async () => {
    const result = await run('mutation { rename(name: "b") { name } }', [
      'crm:read',
      'crm:write',
    ]);
    expect(result.data).toEqual({ rename: null });
    expect(result.errors![0]!.extensions?.code).toBe('FORBIDDEN');
  });

  it('allows mutations to the write scope alone when the category has one', async () => {
    const writable = { ...permissions, write: 'crm:write' as const };
    const mutation = 'mutation { rename(name: "b") { id } }';
    const reader = await run(mutation, ['crm:read'], writable);
    expect(reader.data).toEqual({ rename: null });
    expect(reader.errors![0]!.message).toMatch(/needs the scope crm:write/);
    const writer = await run(mutation, ['crm:read', 'crm:write'], writable);
    expect(writer.errors).toBeUndefined();
    expect(writer.data).toEqual({ rename: { id: '1' } });
  });

  it('allows _service and _entities, then checks the entity’s own fields', async () => {
    const service = await run('{ _service { sdl } }', []);
    expect(service.errors).toBeUndefined();
    expect(
      (service.data as { _service: { sdl: string } })._service.sdl,
    ).toMatch(/type Thing/);

    const query =
      '{ _entities(representations: [{ __typename: "Thing", id: "1" }]) { ... on Thing { name secret } } }';
    const denied = await run(query, []);
    expect(denied.data).toEqual({ _entities: [{ name: null, secret: null }] });
    expect(denied.errors!.map((error) => error.path)).toEqual([
      ['_entities', 0, 'name'],
      ['_entities', 0, 'secret'],
    ]);
    const partly = await run(query, ['crm:read']);
    expect(partly.data).toEqual({
      _entities: [{ name: 'a thing', secret: null }],
    });
  });
});

describe('requireScopes', () => {
  it('logs an error thrown while deciding and denies', async () => {
    const logged: unknown[] = [];
    const context = {
      _shield: { cache: {} },
      get identity(): Identity {
        throw new Error('identity unavailable');
      },
      logger: { error: (...args: unknown[]) => logged.push(args) },
    };
    const info = {
      parentType: { name: 'Thing' },
      fieldName: 'name',
    } as unknown as GraphQLResolveInfo;
    const result = await requireScopes('crm:read').resolve(
      {},
      {},
      context,
      info,
      {
        debug: false,
      } as never,
    );
    expect(result).toBe(false);
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged[0])).toMatch(/Thing\.name/);
  });
});

describe('the subgraphs’ permissions', () => {
  const definitions = [
    [hrisSubgraph, hrisPermissions],
    [crmSubgraph, crmPermissions],
    [ticketingSubgraph, ticketingPermissions],
  ] as const;

  it('declare every object type of their schema, so none is denied by oversight', () => {
    for (const [definition, declared] of definitions) {
      const types = definition.typeDefs.definitions.flatMap((node) =>
        node.kind === 'ObjectTypeDefinition' ? [node.name.value] : [],
      );
      expect(new Set(declared.readable), definition.category).toEqual(
        new Set(types),
      );
    }
  });

  it('restrict every personal or pay field of the HRIS schema beyond hris:read', () => {
    const personal =
      /birth|gender|ethnic|marital|ssn|national|personalEmail|home|pay|salary|compensation|remoteData/i;
    const sensitive = hrisSubgraph.typeDefs.definitions.flatMap((node) =>
      node.kind === 'ObjectTypeDefinition' &&
      ['Employee', 'Employment'].includes(node.name.value)
        ? (node.fields ?? [])
            .filter((field) => personal.test(field.name.value))
            .map((field) => `${node.name.value}.${field.name.value}`)
        : [],
    );
    expect(sensitive.length).toBeGreaterThan(0);
    for (const coordinate of sensitive) {
      expect(hrisPermissions.restricted, coordinate).toHaveProperty([
        coordinate,
      ]);
    }
  });
});
