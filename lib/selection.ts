import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * Whether a field named `name` is selected anywhere below the current
 * field (fragments included). Connectors use it to skip provider calls
 * for data no one asked for; it errs on the side of fetching: any field of
 * that name at any depth counts.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined): boolean => {
    for (const selection of selectionSet?.selections ?? []) {
      switch (selection.kind) {
        case 'Field':
          if (selection.name.value === name || visit(selection.selectionSet)) {
            return true;
          }
          break;
        case 'InlineFragment':
          if (visit(selection.selectionSet)) return true;
          break;
        case 'FragmentSpread': {
          const fragmentName = selection.name.value;
          if (seen.has(fragmentName)) break;
          seen.add(fragmentName);
          if (visit(info.fragments[fragmentName]?.selectionSet)) return true;
          break;
        }
      }
    }
    return false;
  };
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}
