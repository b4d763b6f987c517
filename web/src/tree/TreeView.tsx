import type { Tree, TreeNode } from '../api';

export function TreeView({
  tree,
  openId,
  onOpen,
  onActivate,
}: {
  tree: Tree;
  openId: string;
  onOpen: (id: string) => void;
  onActivate: (id: string) => void;
  /** Compare two chats of the tree side by side (the app shows CompareView). */
  onCompare?: (chatId: string, otherChatId: string) => void;
}) {
  const node = (n: TreeNode) => (
    <li key={n.chat_id}>
      <div className={n.chat_id === openId ? 'node open' : 'node'} data-testid={`node-${n.chat_id}`}>
        <button type="button" className="link" onClick={() => onOpen(n.chat_id)}>
          {n.active ? '★ ' : ''}
          {n.name}
        </button>
        <small className="muted"> {n.message_count}</small>
        {!n.active && (
          <button type="button" className="small" onClick={() => onActivate(n.chat_id)}>
            set active
          </button>
        )}
      </div>
      {n.children.length > 0 && <ul>{n.children.map(node)}</ul>}
    </li>
  );
  return (
    <aside className="tree" data-testid="tree">
      <h3>
        Tree <small className="muted">({tree.count})</small>
      </h3>
      <ul>{node(tree.tree)}</ul>
    </aside>
  );
}
