import type {
  FieldNode,
  FragmentDefinitionNode,
  GraphQLResolveInfo,
  SelectionSetNode,
} from 'graphql';

/**
 * The field names selected on the nodes of a Relay connection field
 * (`edges { node { … } }`), through fragments and inline fragments, for
 * connectors that ask the provider only for what a query reads. Sorted and
 * unique, so it can key a loader. Directives (`@include`, `@skip`) are not
 * evaluated: a conditional field counts as selected, which only fetches
 * more than needed.
 */
export function connectionNodeFields(info: GraphQLResolveInfo): string[] {
  const names = new Set<string>();
  const fragments = info.fragments;
  for (const field of info.fieldNodes) {
    for (const edges of childFields(field.selectionSet, fragments, 'edges')) {
      for (const node of childFields(edges.selectionSet, fragments, 'node')) {
        collect(node.selectionSet, fragments, names);
      }
    }
  }
  return [...names].sort();
}

function childFields(
  selectionSet: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  name: string,
): FieldNode[] {
  return fieldsNamed(selectionSet, fragments, name);
}

function fieldsNamed(
  selectionSet: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  name: string,
): FieldNode[] {
  const result: FieldNode[] = [];
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === 'Field') {
      if (selection.name.value === name) result.push(selection);
    } else if (selection.kind === 'InlineFragment') {
      result.push(...fieldsNamed(selection.selectionSet, fragments, name));
    } else {
      const fragment = fragments[selection.name.value];
      result.push(...fieldsNamed(fragment?.selectionSet, fragments, name));
    }
  }
  return result;
}

function collect(
  selectionSet: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  names: Set<string>,
): void {
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === 'Field') {
      names.add(selection.name.value);
    } else if (selection.kind === 'InlineFragment') {
      collect(selection.selectionSet, fragments, names);
    } else {
      collect(fragments[selection.name.value]?.selectionSet, fragments, names);
    }
  }
}
