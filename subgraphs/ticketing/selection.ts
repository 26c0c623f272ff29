/**
 * The `Ticket` fields a query selects, read from the resolver's `info`, so
 * connectors that can select fields (Linear's selection sets, Jira's
 * `fields`) fetch only what the answer needs.
 */
import type {
  FragmentDefinitionNode,
  GraphQLResolveInfo,
  SelectionSetNode,
} from 'graphql';

/**
 * Field names selected directly in `selectionSet`, through inline fragments
 * and fragment spreads alike.
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

/**
 * The fields selected on `edges.node` of the connection this resolver
 * returns (`tickets { edges { node { … } } }`); `__typename` excluded.
 */
export function selectedNodeFields(info: GraphQLResolveInfo): Set<string> {
  const selected = new Set<string>();
  for (const fieldNode of info.fieldNodes) {
    const edges = fieldsOf(fieldNode.selectionSet, info.fragments).get('edges');
    const node = fieldsOf(edges, info.fragments).get('node');
    for (const name of fieldsOf(node, info.fragments).keys()) {
      if (name !== '__typename') {
        selected.add(name);
      }
    }
  }
  return selected;
}

/**
 * The fields selected on the object this resolver returns (`ticket(id) {
 * … }`), through fragments alike; `__typename` excluded.
 */
export function selectedFields(info: GraphQLResolveInfo): Set<string> {
  const selected = new Set<string>();
  for (const fieldNode of info.fieldNodes) {
    for (const name of fieldsOf(
      fieldNode.selectionSet,
      info.fragments,
    ).keys()) {
      if (name !== '__typename') {
        selected.add(name);
      }
    }
  }
  return selected;
}
