/**
 * The tree drawn as a graph: the edges as one SVG (two paths: the active path highlighted), the chats as
 * positioned buttons over it. Built for the 1,000-branch tree: the layout is given (computed once per tree
 * version), every node is a React.memo component of plain values (a reload re-renders only the nodes that
 * changed), clicks and keys are handled once on the graph (no handler or effect per node), and rows off-screen
 * skip rendering work (content-visibility in tree.css).
 *
 * Keyboard: one node is in the tab order (roving tabindex: the open chat, or the last one moved to); the arrows
 * move between nodes (↑ ↓ rows, ← parent, → first child), Home and End go to the first and last; Enter or Space
 * opens (or, in compare mode, picks) the node.
 */
import { type KeyboardEvent, type MouseEvent, memo, useCallback, useEffect, useRef, useState } from 'react';
import { exchanges, type Layout, NODE_H, NODE_W, PAD, ROW_H } from './layout';

interface NodeProps {
  id: string;
  name: string;
  count: number;
  x: number;
  y: number;
  depth: number;
  active: boolean;
  onPath: boolean;
  open: boolean;
  tabbable: boolean;
  /** In compare mode: whether the node is picked (aria-pressed); undefined outside compare mode. */
  picked: boolean | undefined;
}

const Node = memo(function Node({ id, name, count, x, y, depth, active, onPath, open, tabbable, picked }: NodeProps) {
  const classes = ['tree-node'];
  if (onPath) classes.push('on-path');
  if (active) classes.push('is-active');
  if (open) classes.push('is-open');
  if (picked) classes.push('is-picked');
  return (
    <button
      type="button"
      className={classes.join(' ')}
      data-testid={`node-${id}`}
      data-id={id}
      data-path={onPath ? 'true' : undefined}
      tabIndex={tabbable ? 0 : -1}
      aria-current={open ? 'true' : undefined}
      aria-pressed={picked}
      title={name}
      style={{ left: x, top: y }}
    >
      <span className="tree-node-name">{name}</span>
      <span className="tree-node-meta">
        <span>{exchanges(count)}</span>
        {active && <span className="tree-badge">★ active</span>}
      </span>
      <span className="sr-only">
        {onPath && !active ? ', on the path to the active chat' : ''}
        {open ? ', open' : ''}
        {depth > 0 ? `, level ${depth + 1}` : ', main chat'}
      </span>
    </button>
  );
});

export function TreeGraph({
  layout,
  openId,
  picked,
  onPick,
}: {
  layout: Layout;
  openId: string;
  /** Compare mode: the picked chats; null outside compare mode. */
  picked: string[] | null;
  /** A node was chosen (click, Enter or Space): open it, or pick it in compare mode. */
  onPick: (id: string) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [roving, setRoving] = useState<string | null>(null);
  const tabbableId = roving !== null && layout.index.has(roving) ? roving : openId;

  // A newly opened chat: the tab stop goes back to it, and it is scrolled into view (once per open, so a reload
  // does not fight the reader's scrolling).
  const shown = useRef<string | null>(null);
  useEffect(() => {
    const el = scroller.current;
    const i = layout.index.get(openId);
    if (!el || i === undefined || shown.current === openId) return;
    shown.current = openId;
    setRoving(null);
    const row = layout.rows[i]!;
    if (row.y < el.scrollTop || row.y + NODE_H > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, row.y - (el.clientHeight - ROW_H) / 2);
    }
    if (row.x < el.scrollLeft || row.x + NODE_W > el.scrollLeft + el.clientWidth) {
      el.scrollLeft = Math.max(0, row.x - PAD);
    }
  }, [openId, layout]);

  const onClick = useCallback(
    (e: MouseEvent<HTMLDivElement>) => {
      const id = (e.target as HTMLElement).closest<HTMLElement>('.tree-node')?.dataset.id;
      if (!id) return;
      setRoving(id);
      onPick(id);
    },
    [onPick],
  );

  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      const id = (e.target as HTMLElement).closest<HTMLElement>('.tree-node')?.dataset.id;
      const i = id === undefined ? undefined : layout.index.get(id);
      if (i === undefined) return;
      const rows = layout.rows;
      let to = -1;
      if (e.key === 'ArrowDown') to = Math.min(rows.length - 1, i + 1);
      else if (e.key === 'ArrowUp') to = Math.max(0, i - 1);
      else if (e.key === 'ArrowLeft') to = rows[i]!.parent;
      else if (e.key === 'ArrowRight') to = rows[i]!.firstChild;
      else if (e.key === 'Home') to = 0;
      else if (e.key === 'End') to = rows.length - 1;
      else return;
      e.preventDefault();
      const target = rows[to];
      if (!target) return;
      setRoving(target.node.chat_id);
      scroller.current?.querySelector<HTMLElement>(`[data-id="${target.node.chat_id}"]`)?.focus();
    },
    [layout],
  );

  const pickedSet = picked ? new Set(picked) : null;
  return (
    <div className="tree-scroll" ref={scroller}>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: clicks and keys of the node buttons, delegated */}
      <div
        className="tree-graph"
        style={{ width: layout.width, height: layout.height }}
        onClick={onClick}
        onKeyDown={onKeyDown}
      >
        <svg className="tree-edges" width={layout.width} height={layout.height} aria-hidden="true">
          <path className="tree-edge" d={layout.edges} />
          <path className="tree-edge on-path" data-testid="active-path" d={layout.pathEdges} />
        </svg>
        {layout.rows.map((r) => (
          <Node
            key={r.node.chat_id}
            id={r.node.chat_id}
            name={r.node.name}
            count={r.node.message_count}
            x={r.x}
            y={r.y}
            depth={r.depth}
            active={r.node.active}
            onPath={r.onPath}
            open={r.node.chat_id === openId}
            tabbable={r.node.chat_id === tabbableId}
            picked={pickedSet ? pickedSet.has(r.node.chat_id) : undefined}
          />
        ))}
      </div>
    </div>
  );
}
