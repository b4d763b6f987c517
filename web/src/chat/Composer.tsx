/**
 * The composer: a textarea that grows with its text (up to ~40% of the window, then scrolls), Enter sends,
 * Shift+Enter starts a new line. While an answer streams, Stop replaces Send. A problem with the question itself (a
 * 422 naming it, e.g. too long) is shown under it.
 */
import { useEffect, useLayoutEffect, useRef } from 'react';
import { SendIcon, StopIcon } from './Icons';

export function Composer({
  value,
  onChange,
  onSend,
  onStop,
  streaming,
  error,
  focusKey,
}: {
  value: string;
  onChange: (text: string) => void;
  onSend: () => void;
  onStop: () => void;
  streaming: boolean;
  error: string | null;
  /** Focus the textarea on mount and whenever this changes. */
  focusKey: number;
}) {
  const area = useRef<HTMLTextAreaElement>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: focusKey is the trigger
  useEffect(() => {
    area.current?.focus();
  }, [focusKey]);

  // Grow with the text: measured from its scroll height (CSS caps it with max-height and scrolls beyond).
  // biome-ignore lint/correctness/useExhaustiveDependencies: the height follows the value
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight + 2}px`;
  }, [value]);

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        if (!streaming) onSend();
      }}
    >
      <div className="composer-box">
        <textarea
          ref={area}
          aria-label="message"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'composer-error' : undefined}
          placeholder="Ask something…"
          rows={1}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              if (!streaming) onSend();
            }
          }}
        />
        {streaming ? (
          // Distinct keys: Stop is a new element, never turned into Send mid-click (which would submit the form).
          <button
            key="stop"
            type="button"
            className="send stop"
            aria-label="Stop"
            title="Stop answering"
            onClick={onStop}
          >
            <StopIcon />
          </button>
        ) : (
          <button
            type="submit"
            className="primary send"
            aria-label="Send"
            title="Send (Enter)"
            disabled={!value.trim()}
          >
            <SendIcon />
          </button>
        )}
      </div>
      {error ? (
        <p className="field-problem" id="composer-error" data-field="question">
          {error}
        </p>
      ) : (
        <p className="composer-hint muted">Enter to send · Shift+Enter for a new line</p>
      )}
    </form>
  );
}
