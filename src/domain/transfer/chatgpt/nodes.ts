/** Import: the node tree of `mapping`, checked as a tree (links both ways, one root, no cycle, the size). */
import { type Message, readMessage } from './messages.js';
import { absent, objectFor, readFields, readValue, type Scope, type Times } from './problems.js';
import { ChatGptNodeSchema } from './schema.js';

/** Most messages one imported conversation may hold. */
export const MAX_MESSAGES = 20_000;
/** Most nodes of one conversation (messages, plus message-less nodes); checked before anything else. */
export const MAX_NODES = 2 * MAX_MESSAGES;

export interface RawNode {
  id: string;
  /** undefined when the node's parent field is invalid (already reported). */
  parent: string | null | undefined;
  children: string[];
  /** The same ids, for lookups. */
  childSet: Set<string>;
  message: Message | null;
}

const NodeId = ChatGptNodeSchema.shape.children.element;

/** One node's fields: its id (= its key), its parent and children (known nodes, each once), its message. */
function readNode(key: string, value: unknown, known: Set<string>, sc: Scope, times: Times): RawNode | null {
  const path = `mapping.${key}`;
  const raw = objectFor(ChatGptNodeSchema, value, path, sc);
  if (raw === null) return null;
  const f = readFields(ChatGptNodeSchema, raw, ['id', 'parent'], path, sc);
  if (f.id !== undefined && f.id !== key) sc.issue(`${path}.id`, `must equal the node's key "${key}"`);
  let parent = f.parent;
  if (typeof parent === 'string' && !known.has(parent)) {
    sc.issue(`${path}.parent`, `names "${parent}", which is not a node of the mapping`);
    parent = undefined;
  }
  const children: string[] = [];
  const childSet = new Set<string>();
  if (!Array.isArray(raw.children)) readFields(ChatGptNodeSchema, raw, ['children'], path, sc);
  else {
    raw.children.forEach((value: unknown, i) => {
      const at = `${path}.children[${i}]`;
      const c = readValue(NodeId, value, at, sc);
      if (c === undefined) return;
      if (!known.has(c)) sc.issue(at, `names "${c}", which is not a node of the mapping`);
      else if (childSet.has(c)) sc.issue(at, `lists "${c}" twice`);
      else {
        children.push(c);
        childSet.add(c);
      }
    });
  }
  const message = absent(raw.message) ? null : readMessage(raw.message, `${path}.message`, sc, times);
  return { id: key, parent, children, childSet, message };
}

/** Reads and checks every node: fields, links both ways, one root, no cycle, the message count. */
export function readNodes(
  mapping: Record<string, unknown>,
  sc: Scope,
  times: Times,
): { nodes: Map<string, RawNode>; root: string | null } {
  const nodes = new Map<string, RawNode>();
  const keys = Object.keys(mapping);
  const known = new Set(keys);
  let messages = 0;
  for (const key of keys) {
    const value = mapping[key];
    if (isMessage(value)) messages++;
    const node = readNode(key, value, known, sc, times);
    if (node) nodes.set(key, node);
  }
  if (messages > MAX_MESSAGES) sc.issue('mapping', `holds ${messages} messages; at most ${MAX_MESSAGES} are allowed`);

  // Links both ways: a node's parent lists it, and every listed child names this node as its parent.
  for (const node of nodes.values()) {
    const parent = typeof node.parent === 'string' ? nodes.get(node.parent) : undefined;
    if (parent && !parent.childSet.has(node.id)) {
      sc.issue(`mapping.${node.id}.parent`, `names "${node.parent}", which does not list it among its children`);
    }
    node.children.forEach((c, i) => {
      const child = nodes.get(c);
      if (child && child.parent !== undefined && child.parent !== node.id) {
        sc.issue(`mapping.${node.id}.children[${i}]`, `lists "${c}", whose parent is ${JSON.stringify(child.parent)}`);
      }
    });
  }

  // Exactly one root.
  const roots = [...nodes.values()].filter((n) => n.parent === null).map((n) => n.id);
  if (roots.length === 0) sc.issue('mapping', 'has no root node (a node whose parent is null)');
  for (const extra of roots.slice(1)) {
    sc.issue(`mapping.${extra}.parent`, `is null, but "${roots[0]}" is already the root; there must be only one`);
  }

  // No cycle: follow each node's parents up to the root (or a node already known to reach it).
  const state = new Map<string, 'walking' | 'done'>();
  for (const start of nodes.keys()) {
    const path: string[] = [];
    let id: string | null | undefined = start;
    while (typeof id === 'string' && !state.has(id)) {
      state.set(id, 'walking');
      path.push(id);
      id = nodes.get(id)?.parent;
    }
    if (typeof id === 'string' && state.get(id) === 'walking') {
      const cycle = path.slice(path.indexOf(id));
      sc.issue(`mapping.${id}.parent`, `is part of a cycle: ${[...cycle, id].join(' → ')}`);
    }
    for (const p of path) state.set(p, 'done');
  }
  return { nodes, root: roots.length === 1 ? (roots[0] as string) : null };
}

/** A node holding a message (counted against MAX_MESSAGES whether or not the message is valid). */
const isMessage = (node: unknown) =>
  typeof node === 'object' && node !== null && !absent((node as { message?: unknown }).message);
