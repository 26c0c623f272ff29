/**
 * Flattens Atlassian Document Format to plain text.
 *
 * Follows developer.atlassian.com "Atlassian Document Format" (Cloud, ADF
 * structure and node reference): a `doc` root (`version: 1`) whose
 * `content` holds block nodes (paragraph, heading, bulletList, orderedList,
 * listItem, blockquote, codeBlock, panel, rule, table, mediaSingle…) and
 * inline nodes (text, hardBreak, mention, emoji, inlineCard, status, date).
 * Unknown node types are walked for their `content`, so a node type added
 * later degrades to its text rather than disappearing.
 */

interface AdfNode {
  type?: unknown;
  text?: unknown;
  attrs?: unknown;
  content?: unknown;
}

const BLOCK_TYPES = new Set([
  'doc',
  'paragraph',
  'heading',
  'blockquote',
  'codeBlock',
  'panel',
  'bulletList',
  'orderedList',
  'listItem',
  'table',
  'tableRow',
  'mediaSingle',
  'mediaGroup',
  'expand',
  'nestedExpand',
  'decisionList',
  'taskList',
]);

function asNode(value: unknown): AdfNode | null {
  return typeof value === 'object' && value !== null
    ? (value as AdfNode)
    : null;
}

function attr(node: AdfNode, name: string): unknown {
  const attrs = asNode(node.attrs) as Record<string, unknown> | null;
  return attrs ? attrs[name] : undefined;
}

function children(node: AdfNode): AdfNode[] {
  return Array.isArray(node.content)
    ? node.content.map(asNode).filter((child) => child !== null)
    : [];
}

/** Text of an inline node (a mention's name, an emoji's shortcut…). */
function inlineText(node: AdfNode): string | null {
  switch (node.type) {
    case 'text':
      return typeof node.text === 'string' ? node.text : '';
    case 'hardBreak':
      return '\n';
    case 'mention': {
      const text = attr(node, 'text');
      return typeof text === 'string' ? text : '';
    }
    case 'emoji': {
      const text = attr(node, 'text') ?? attr(node, 'shortName');
      return typeof text === 'string' ? text : '';
    }
    case 'inlineCard':
    case 'blockCard': {
      const url = attr(node, 'url');
      return typeof url === 'string' ? url : '';
    }
    case 'status': {
      const text = attr(node, 'text');
      return typeof text === 'string' ? text : '';
    }
    case 'date': {
      // `timestamp` is epoch milliseconds as a string.
      const timestamp = Number(attr(node, 'timestamp'));
      return Number.isFinite(timestamp)
        ? new Date(timestamp).toISOString().slice(0, 10)
        : '';
    }
    default:
      return null;
  }
}

function render(node: AdfNode): string {
  const inline = inlineText(node);
  if (inline !== null) {
    return inline;
  }
  const kids = children(node);
  switch (node.type) {
    case 'rule':
      return '---';
    case 'bulletList':
      return kids.map((item) => `- ${render(item)}`).join('\n');
    case 'orderedList': {
      const order = Number(attr(node, 'order'));
      const start = Number.isInteger(order) ? order : 1;
      return kids
        .map((item, index) => `${start + index}. ${render(item)}`)
        .join('\n');
    }
    case 'table':
      return kids.map(render).join('\n');
    case 'tableRow':
      return kids.map((cell) => render(cell)).join(' | ');
    default: {
      // Blocks stack on lines; inline runs concatenate.
      const blockChildren = kids.some(
        (kid) => typeof kid.type === 'string' && BLOCK_TYPES.has(kid.type),
      );
      return kids
        .map(render)
        .filter((text) => !blockChildren || text !== '')
        .join(blockChildren ? '\n' : '');
    }
  }
}

/**
 * Plain text of an ADF document; a plain string (REST v2 payloads, or the
 * simplified examples in the v3 docs) is returned as it is. Null for null,
 * undefined or an empty document.
 */
export function adfToText(value: unknown): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === 'string') {
    return value;
  }
  const node = asNode(value);
  if (!node) {
    return null;
  }
  const text = render(node).trim();
  return text === '' ? null : text;
}
