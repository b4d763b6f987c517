/** Small helpers for trees held as flat lists (conversation trees in export and import). */

/** Groups items by a key; each group keeps the items' order. */
export function groupBy<K, V>(items: Iterable<V>, key: (item: V) => K): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Depth first from `root`: every node right after its parent's earlier descendants, children in the order
 * `childrenOf` gives. Iterative, so a deep chain of branches cannot overflow the stack.
 */
export function parentsFirst<T>(root: T, childrenOf: (node: T) => readonly T[]): T[] {
  const out: T[] = [];
  const stack = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    out.push(node);
    const children = childrenOf(node);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as T);
  }
  return out;
}
