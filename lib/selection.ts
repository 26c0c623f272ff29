/**
 * The fields a query selects, read from a resolver's `info`, so connectors
 * that can select fields (BambooHR's `fields`, Jira's `fields`, Linear's
 * selection sets, Salesforce's SELECT list) fetch only what the answer
 * needs; and the loader keys that carry such a selection.
 *
 * Directives (`@include`, `@skip`) are not evaluated and type conditions
 * are not checked: a conditional field, or a field of another type in the
 * same `_entities` selection, counts as selected. Either only fetches more
 * than needed, never less.
 */
import type {
  FragmentDefinitionNode,
  GraphQLResolveInfo,
  SelectionSetNode,
} from 'graphql';

/**
 * Field names selected directly in `selectionSet`, through inline fragments
 * and fragment spreads alike, each with its sub-selection.
 */
function fieldsOf(
  selectionSet: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
): Map<string, SelectionSetNode | undefined> {
  const fields = new Map<string, SelectionSetNode | undefined>();
  const visit = (set: SelectionSetNode | undefined): void => {
    for (const selection of set?.selections ?? []) {
      switch (selection.kind) {
        case 'Field': {
          const name = selection.name.value;
          const previous = fields.get(name);
          // The same field selected twice merges its sub-selections.
          fields.set(
            name,
            previous && selection.selectionSet
              ? {
                  kind: previous.kind,
                  selections: [
                    ...previous.selections,
                    ...selection.selectionSet.selections,
                  ],
                }
              : (selection.selectionSet ?? previous),
          );
          break;
        }
        case 'InlineFragment':
          visit(selection.selectionSet);
          break;
        case 'FragmentSpread':
          visit(fragments[selection.name.value]?.selectionSet);
          break;
      }
    }
  };
  visit(selectionSet);
  return fields;
}

/** The names in `selections`, `__typename` excluded. */
function namesOf(
  selections: Map<string, SelectionSetNode | undefined>,
  into: Set<string>,
): void {
  for (const name of selections.keys()) {
    if (name !== '__typename') {
      into.add(name);
    }
  }
}

/**
 * The fields selected on `edges.node` of the connection this resolver
 * returns (`tickets { edges { node { … } } }`); `__typename` excluded.
 */
export function selectedNodeFields(info: GraphQLResolveInfo): Set<string> {
  const selected = new Set<string>();
  for (const fieldNode of info.fieldNodes) {
    const edges = fieldsOf(fieldNode.selectionSet, info.fragments).get('edges');
    const node = fieldsOf(edges, info.fragments).get('node');
    namesOf(fieldsOf(node, info.fragments), selected);
  }
  return selected;
}

/**
 * `selectedNodeFields` as a sorted list, for connectors that take one
 * (CRM's `ListArgs.fields`) and loader names that include it.
 */
export function connectionNodeFields(info: GraphQLResolveInfo): string[] {
  return [...selectedNodeFields(info)].sort();
}

/**
 * The fields selected on the object this resolver returns (`ticket(id) {
 * … }`), through fragments alike; `__typename` excluded.
 */
export function selectedFields(info: GraphQLResolveInfo): Set<string> {
  const selected = new Set<string>();
  for (const fieldNode of info.fieldNodes) {
    namesOf(fieldsOf(fieldNode.selectionSet, info.fragments), selected);
  }
  return selected;
}

/**
 * The part of a loader key that says which fields of the entity the query
 * behind it selects (GraphQL names; absent: all), so connectors with field
 * selection fetch no more.
 */
export interface FieldSelection {
  fields?: ReadonlySet<string>;
}

/**
 * A loader's cache key: the same lookup selecting the same fields, in any
 * order. `lookup` holds the rest of the key (ids, emails, filters).
 */
export function selectionCacheKey({
  fields,
  ...lookup
}: FieldSelection & object): string {
  return JSON.stringify([lookup, fields ? [...fields].sort() : null]);
}

/**
 * The fields a batch's keys select together, so one provider call answers
 * them all and each key gets at least what it selected; absent when a key
 * needs every field.
 */
export function unionOfFields(
  keys: readonly FieldSelection[],
): ReadonlySet<string> | undefined {
  const union = new Set<string>();
  for (const { fields } of keys) {
    if (!fields) {
      return undefined;
    }
    fields.forEach((field) => union.add(field));
  }
  return union;
}

/**
 * Whether a record fetched for the fields `fetched` answers a query that
 * reads `wanted`. Absent means all fields, on either side; so does
 * `remoteData` in `fetched`, for which connectors fetch every field (see
 * `providerFieldsFor`).
 */
export function coversFields(
  fetched: ReadonlySet<string> | undefined,
  wanted: ReadonlySet<string> | undefined,
): boolean {
  if (!fetched || fetched.has('remoteData')) {
    return true;
  }
  return (
    wanted !== undefined && [...wanted].every((field) => fetched.has(field))
  );
}

/**
 * A connector's table from the fields of a common-model entity (GraphQL
 * names) to the provider fields each is mapped from.
 */
export type ProviderFieldTable = Readonly<
  Record<string, string | readonly string[]>
>;

/**
 * The provider fields to ask for so that the entity fields in `selected`
 * are mapped: `always` (what the connector reads whatever the selection,
 * such as the id), then those of the selected fields in table order,
 * without repeats. Absent (the selection is unknown), or with `remoteData`
 * (the raw record) selected: `always` and `all`.
 */
export function providerFieldsFor(
  table: ProviderFieldTable,
  selected: ReadonlySet<string> | undefined,
  { all, always = [] }: { all: readonly string[]; always?: readonly string[] },
): string[] {
  const fields = new Set(always);
  if (!selected || selected.has('remoteData')) {
    all.forEach((name) => fields.add(name));
    return [...fields];
  }
  for (const [field, providerFields] of Object.entries(table)) {
    if (selected.has(field)) {
      [providerFields].flat().forEach((name) => fields.add(name));
    }
  }
  return [...fields];
}
