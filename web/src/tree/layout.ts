/**
 * The tree's layout, computed once per tree version (TreeView memoises it): an indented layout, one row per chat
 * in depth-first order (the root at the top, children oldest first under their parent), each row's position, the
 * path from the root to the active chat, and the edges as two SVG path strings (the rest, and the active path).
 * One pass over the nodes, no recursion (a tree is at most 50 levels deep, but it could be wider than the stack).
 */
import type { Tree, TreeNode } from '../api';

/** Row pitch, node box height and width, indentation per level, and the padding around the graph (px). */
export const ROW_H = 52;
export const NODE_H = 44;
export const NODE_W = 210;
export const INDENT = 18;
export const PAD = 8;
/** Where a parent's edge leaves its box, from the box's left edge. */
const STEM = 9;

export interface Row {
  node: TreeNode;
  depth: number;
  /** Index of the parent row, -1 for the root. */
  parent: number;
  /** Index of the first child row, -1 for a leaf. */
  firstChild: number;
  x: number;
  y: number;
  /** On the path from the root to the active chat (the active chat included). */
  onPath: boolean;
}

export interface Layout {
  rows: Row[];
  /** chat_id → row index. */
  index: Map<string, number>;
  width: number;
  height: number;
  /** SVG path data of the edges off the active path, and of those on it. */
  edges: string;
  pathEdges: string;
}

export function layoutTree(tree: Tree): Layout {
  const rows: Row[] = [];
  const index = new Map<string, number>();
  const stack: { node: TreeNode; depth: number; parent: number }[] = [{ node: tree.tree, depth: 0, parent: -1 }];
  let maxDepth = 0;
  while (stack.length > 0) {
    const { node, depth, parent } = stack.pop()!;
    const i = rows.length;
    if (parent >= 0 && rows[parent]!.firstChild < 0) rows[parent]!.firstChild = i;
    rows.push({ node, depth, parent, firstChild: -1, x: PAD + depth * INDENT, y: PAD + i * ROW_H, onPath: false });
    index.set(node.chat_id, i);
    if (depth > maxDepth) maxDepth = depth;
    for (let c = node.children.length - 1; c >= 0; c--)
      stack.push({ node: node.children[c]!, depth: depth + 1, parent: i });
  }
  for (let i = index.get(tree.active_chat_id) ?? -1; i >= 0; i = rows[i]!.parent) rows[i]!.onPath = true;

  const edges: string[] = [];
  const pathEdges: string[] = [];
  for (const r of rows) {
    if (r.parent < 0) continue;
    const p = rows[r.parent]!;
    const d = `M${p.x + STEM} ${p.y + NODE_H}V${r.y + NODE_H / 2}H${r.x}`;
    (r.onPath ? pathEdges : edges).push(d);
  }
  return {
    rows,
    index,
    width: PAD * 2 + maxDepth * INDENT + NODE_W,
    height: PAD * 2 + rows.length * ROW_H - (ROW_H - NODE_H),
    edges: edges.join(''),
    pathEdges: pathEdges.join(''),
  };
}

/**
 * A node's `message_count` in words: the length of its visible history in question/answer pairs (inherited
 * ones included), so "exchanges", not "messages" (a pair is two messages).
 */
export function exchanges(n: number): string {
  return `${n.toLocaleString('en')} ${n === 1 ? 'exchange' : 'exchanges'}`;
}
