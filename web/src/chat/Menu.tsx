/**
 * A menu button (WAI-ARIA menu pattern): Enter/Space/click opens it and focuses its first item, arrow keys (and
 * Home/End) move between items, Escape or Tab closes it (Escape gives the focus back to the button), and so does a
 * click outside. Items are buttons with role=menuitem.
 */
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';

export interface MenuItem {
  label: string;
  onSelect: () => void;
  /** Keeps the menu open after the item (e.g. it shows a submenu's items instead). */
  keepOpen?: boolean;
  danger?: boolean;
}

export function Menu({
  label,
  button,
  items,
  className,
  onClose,
}: {
  /** The button's accessible name. */
  label: string;
  /** What the button shows (defaults to the label). */
  button?: ReactNode;
  items: MenuItem[];
  className?: string;
  onClose?: () => void;
}) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const id = useId();

  const close = (refocus: boolean) => {
    setOpen(false);
    onClose?.();
    if (refocus) trigger.current?.focus();
  };

  // Focus the first item when opened, and again when the items change (a submenu).
  // biome-ignore lint/correctness/useExhaustiveDependencies: items changing means a new list to focus
  useEffect(() => {
    if (open) root.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, [open, items.map((i) => i.label).join('|')]);

  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) {
        setOpen(false);
        onClose?.();
      }
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open, onClose]);

  const onKeyDown = (e: React.KeyboardEvent) => {
    const all = [...(root.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = all.indexOf(document.activeElement as HTMLElement);
    const go = (i: number) => all[(i + all.length) % all.length]?.focus();
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      go(at + 1);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      go(at - 1);
    } else if (e.key === 'Home') {
      e.preventDefault();
      go(0);
    } else if (e.key === 'End') {
      e.preventDefault();
      go(all.length - 1);
    } else if (e.key === 'Tab') close(false);
  };

  return (
    <div className={`menu ${className ?? ''}`} ref={root}>
      <button
        ref={trigger}
        type="button"
        className="ghost"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => (open ? close(false) : setOpen(true))}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        {button ?? label}
      </button>
      {open && (
        <div className="menu-list" role="menu" id={id} aria-label={label} onKeyDown={onKeyDown}>
          {items.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={item.danger ? 'danger' : undefined}
              onClick={() => {
                if (!item.keepOpen) close(true);
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
