/**
 * The branches pane: the conversation's tree as a graph (TreeGraph), the open chat's actions (make it the active
 * chat, compare it with the active one), and a compare mode where two nodes are picked and compared side by side
 * (the app shows CompareView). The layout is computed once per tree version.
 */
import { useCallback, useMemo, useState } from 'react';
import type { Tree } from '../api';
import { layoutTree } from './layout';
import { TreeGraph } from './TreeGraph';
import './tree.css';

export function TreeView({
  tree,
  openId,
  onOpen,
  onActivate,
  onCompare,
}: {
  tree: Tree;
  openId: string;
  onOpen: (id: string) => void;
  onActivate: (id: string) => void;
  /** Compare two chats of the tree side by side (the app shows CompareView). */
  onCompare?: (chatId: string, otherChatId: string) => void;
}) {
  const layout = useMemo(() => layoutTree(tree), [tree]);
  const [picked, setPicked] = useState<string[] | null>(null);

  const onPick = useCallback(
    (id: string) => {
      if (picked === null) return onOpen(id);
      // Two at most: picking a third drops the first picked.
      setPicked(picked.includes(id) ? picked.filter((p) => p !== id) : [...picked, id].slice(-2));
    },
    [picked, onOpen],
  );

  const openRow = layout.rows[layout.index.get(openId) ?? -1];
  const open = openRow?.node;
  const activeId = tree.active_chat_id;
  const nameOf = (id: string) => layout.rows[layout.index.get(id) ?? -1]?.node.name ?? '';
  const comparing = picked !== null;

  return (
    <section className="tree-pane" data-testid="tree" aria-labelledby="tree-heading">
      <header className="tree-head">
        <h2 id="tree-heading">
          Branches <span className="tree-count">{tree.count}</span>
        </h2>
        {onCompare && tree.count > 1 && (
          <button
            type="button"
            className={comparing ? 'ghost tree-toggle on' : 'ghost tree-toggle'}
            aria-pressed={comparing}
            onClick={() => setPicked(comparing ? null : [])}
          >
            Compare
          </button>
        )}
      </header>
      {comparing ? (
        <div className="tree-bar" data-testid="compare-bar">
          <p className="tree-hint" aria-live="polite">
            {picked.length === 0
              ? 'Pick two branches to compare.'
              : picked.length === 1
                ? `Picked “${nameOf(picked[0]!)}”. Pick one more.`
                : 'Two branches picked.'}
          </p>
          <div className="tree-actions">
            <button
              type="button"
              className="primary"
              disabled={picked.length !== 2}
              onClick={() => {
                const [a, b] = picked;
                if (a && b && onCompare) {
                  setPicked(null);
                  onCompare(a, b);
                }
              }}
            >
              Compare selected
            </button>
            <button type="button" className="ghost" onClick={() => setPicked(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        open && (
          <div className="tree-bar" data-testid="open-node">
            <p className="tree-open-name" title={open.name}>
              <span className="muted">Open: </span>
              {open.name}
            </p>
            {!open.active && (
              <div className="tree-actions">
                <button type="button" onClick={() => onActivate(open.chat_id)}>
                  Make active
                </button>
                {onCompare && (
                  <button type="button" className="ghost" onClick={() => onCompare(open.chat_id, activeId)}>
                    Compare with active
                  </button>
                )}
              </div>
            )}
          </div>
        )
      )}
      <TreeGraph layout={layout} openId={openId} picked={picked} onPick={onPick} />
    </section>
  );
}
