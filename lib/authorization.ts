import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import type { IMiddlewareFunction } from 'graphql-middleware';
import { allow, deny, rule, shield } from 'graphql-shield';
import type { IRules } from 'graphql-shield';
import type { Category, Scope } from './categories';
import { ErrorCode } from './errors';
import type { Identity } from './identity';
import type { Logger } from './logger';

/**
 * Field-level authorization of a subgraph (graphql-shield): what its
 * `subgraphs/<category>/permissions.ts` declares.
 *
 * Rules sit on TYPE fields, never only on `Query`: a field reached through
 * `_entities` (an `Employee` the gateway fetches for `Ticket.assignees`) is
 * checked exactly like the same field reached from a root field. Anything
 * not declared is denied (`fallbackRule: deny`).
 */
export interface SubgraphPermissions {
  category: Category;
  /** Scope every readable field of this subgraph needs. */
  read: Scope;
  /**
   * Scope every `Mutation` field needs; absent when the category has no
   * write scope, in which case every mutation is denied.
   */
  write?: Scope;
  /**
   * Object types whose fields are readable with `read`. A type missing here
   * is denied whole, so a new type stays closed until someone opens it.
   */
  readable: readonly string[];
  /**
   * Field coordinates (`Employee.dateOfBirth`) that need an extra scope on
   * top of `read`. They are personal or pay data: the audit trail records
   * when one of them was returned non-null (the coordinate, never the value).
   */
  restricted: Readonly<Record<string, Scope>>;
}

/** What a shield rule sees as context: the subgraph's request context. */
interface RuleContext {
  identity: Identity;
  logger: Logger;
}

/** The error a denied field carries; graphql-js adds its path. */
export function forbidden(
  info: Pick<GraphQLResolveInfo, 'parentType' | 'fieldName'>,
  missing: readonly Scope[],
): GraphQLError {
  const coordinate = `${info.parentType.name}.${info.fieldName}`;
  // A denial is an answer, not a fault: its stack says nothing, and
  // graphql-js copies (so formats) the stack of every field error. A list
  // of 100 rows with denied fields makes hundreds of them per response.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new GraphQLError(
      missing.length > 0
        ? `${coordinate} needs the scope ${missing.join(' and ')}, which this API key lacks.`
        : `${coordinate} is not allowed with this API key.`,
      { extensions: { code: ErrorCode.FORBIDDEN } },
    );
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A shield rule (the package exports no name for it). */
type ShieldRule = ReturnType<ReturnType<typeof rule>>;
type RuleFieldMap = Record<string, ShieldRule | typeof allow>;

const scopeRules = new Map<string, ShieldRule>();

/**
 * A rule that passes when the identity carries every one of `scopes`. It
 * answers a boolean, not an error: a cached error object would carry the
 * first denied field's message to every other field the rule denies. The
 * `FORBIDDEN` error is built per field by `applyPermissions`.
 *
 * Cached `contextual`: the decision depends only on the request's identity,
 * so it is computed once per request and rule, whatever the parent or the
 * arguments. Rules whose decision reads the parent or the arguments must
 * not use `strict` (it keys by an object-hash of the whole parent, so two
 * federation representations carrying only the same key fields would share
 * a decision, and hashing large `remoteData` parents is costly): they use
 * `no_cache` or a key function naming exactly what the decision reads.
 *
 * An error thrown while deciding is logged and denies.
 */
export function requireScopes(...scopes: Scope[]): ShieldRule {
  const name = `scopes:${[...scopes].sort().join('+')}`;
  let found = scopeRules.get(name);
  if (!found) {
    found = rule(name, { cache: 'contextual' })(
      (_parent, _args, context: RuleContext, info: GraphQLResolveInfo) => {
        try {
          const granted = new Set<string>(context.identity.scopes);
          return scopes.every((scope) => granted.has(scope));
        } catch (error: unknown) {
          context.logger?.error(
            {
              err: error,
              rule: name,
              field: `${info.parentType.name}.${info.fieldName}`,
            },
            'an authorization rule failed; denying',
          );
          return false;
        }
      },
    );
    scopeRules.set(name, found);
  }
  return found;
}

/**
 * The scopes a field needs under `permissions`: empty when it is denied to
 * everyone (an undeclared type, a mutation without a write scope).
 */
export function requiredScopes(
  permissions: SubgraphPermissions,
  type: string,
  field: string,
): Scope[] {
  const restricted = permissions.restricted[`${type}.${field}`];
  if (restricted) return [permissions.read, restricted];
  if (type === 'Mutation') return permissions.write ? [permissions.write] : [];
  return permissions.readable.includes(type) ? [permissions.read] : [];
}

/**
 * Which of `fields` (of `type`) `identity` may read under `permissions`:
 * what a resolver should fetch for them. A denied field's resolver never
 * runs, so fetching it would only move data (personal data, pay) from the
 * provider that the request may not see.
 */
export function grantedFields(
  permissions: SubgraphPermissions,
  identity: Pick<Identity, 'scopes'>,
  type: string,
  fields: Iterable<string>,
): Set<string> {
  const granted = new Set<string>(identity.scopes);
  const readable = new Set<string>();
  for (const field of fields) {
    const needed = requiredScopes(permissions, type, field);
    if (needed.length > 0 && needed.every((scope) => granted.has(scope))) {
      readable.add(field);
    }
  }
  return readable;
}

/**
 * The rule tree of one subgraph: `read` on every field of a readable type,
 * `read` plus the extra scope on restricted fields, `write` on mutations,
 * and the federation fields (`_service`, `_entities`, `_Service.sdl`)
 * allowed explicitly. `_entities` only fetches entities whose own fields
 * are then checked one by one; `_service` returns this subgraph's SDL (the
 * schema is public in the repository) and, like every subgraph request,
 * only with a valid gateway identity.
 */
export function ruleTree(
  permissions: SubgraphPermissions,
): Record<string, RuleFieldMap> {
  const read = requireScopes(permissions.read);
  const tree: Record<string, RuleFieldMap> = {};
  for (const type of permissions.readable) {
    tree[type] = { '*': read };
  }
  tree.Query = { ...tree.Query, _service: allow, _entities: allow };
  tree._Service = { sdl: allow };
  tree.Mutation = {
    '*': permissions.write ? requireScopes(permissions.write) : deny,
  };
  for (const [coordinate, scope] of Object.entries(permissions.restricted)) {
    const [type, field] = coordinate.split('.');
    if (!type || !field || !tree[type]) {
      throw new TypeError(
        `Restricted field ${coordinate} must be a field of a readable type.`,
      );
    }
    tree[type][field] = requireScopes(permissions.read, scope);
  }
  return tree;
}

/** The restricted fields a request's resolvers returned, per context. */
const returned = new WeakMap<object, Map<string, Scope>>();

/**
 * Restricted field coordinates this request returned non-null, with the
 * scope each needed. Empty when none.
 */
export function returnedRestrictedFields(context: object): Map<string, Scope> {
  return returned.get(context) ?? new Map();
}

/** Name of the subgraph response extension carrying the audit facts. */
export const AUDIT_EXTENSION = 'tributaryAudit';

/** What a subgraph tells the gateway for the audit trail. */
export interface SubgraphAuditExtension {
  /** Restricted field coordinates returned non-null → the scope each needed. */
  fields: Record<string, Scope>;
}

/**
 * Applies the permissions to a subgraph schema: shield outermost (a denied
 * field never runs its resolver), then a recorder on restricted fields that
 * notes each one returned non-null, for the audit trail.
 */
export function applyPermissions(
  schema: GraphQLSchema,
  permissions: SubgraphPermissions,
): GraphQLSchema {
  const tree = ruleTree(permissions);
  for (const type of Object.keys(tree)) {
    // Mutation exists in the tree always; other names must exist. (No
    // `isObjectType`: the schema may come from graphql's CommonJS build and
    // this module from its ESM build, and the predicate throws across them.)
    if (type !== 'Mutation' && !('getFields' in (schema.getType(type) ?? {}))) {
      throw new TypeError(
        `Permissions of ${permissions.category} name the type ${type}, which the schema lacks.`,
      );
    }
  }
  if (!schema.getMutationType()) {
    delete tree.Mutation;
  }
  const permissionsMiddleware = shield(tree as IRules, {
    fallbackRule: deny,
    // Shield wraps the resolver too: without this, a resolver's own coded
    // error (NOT_LINKED, UPSTREAM_TIMEOUT…) would turn into a denial. Errors
    // thrown inside a rule never get here: `requireScopes` logs them and
    // denies.
    allowExternalErrors: true,
    debug: false,
    fallbackError: (_error, _parent, _args, context, info) => {
      const granted = new Set<string>(
        (context as unknown as Partial<RuleContext>).identity?.scopes ?? [],
      );
      const required = requiredScopes(
        permissions,
        info.parentType.name,
        info.fieldName,
      );
      return forbidden(
        info,
        required.filter((scope) => !granted.has(scope)),
      );
    },
  });

  const recorders: Record<string, Record<string, IMiddlewareFunction>> = {};
  for (const [coordinate, scope] of Object.entries(permissions.restricted)) {
    const [type = '', field = ''] = coordinate.split('.');
    recorders[type] ??= {};
    recorders[type][field] = async (resolve, parent, args, context, info) => {
      const value: unknown = await resolve(parent, args, context, info);
      if (value !== null && value !== undefined && !(value instanceof Error)) {
        const fields = returned.get(context as object) ?? new Map();
        fields.set(coordinate, scope);
        returned.set(context as object, fields);
      }
      return value;
    };
  }
  return applyMiddleware(schema, permissionsMiddleware, recorders);
}

/**
 * Adds the restricted fields a request returned to the subgraph's response
 * under `extensions.tributaryAudit`, for the gateway's audit record. The
 * gateway removes it before answering its client.
 */
export function auditExtensionPlugin<
  TContext extends object,
>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const fields = returnedRestrictedFields(contextValue);
          if (fields.size === 0 || response.body.kind !== 'single') return;
          const extension: SubgraphAuditExtension = {
            fields: Object.fromEntries(fields),
          };
          response.body.singleResult.extensions = {
            ...response.body.singleResult.extensions,
            [AUDIT_EXTENSION]: extension,
          };
        },
      };
    },
  };
}
