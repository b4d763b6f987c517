/**
 * One stored pair: the question (plain text) with Edit, Copy and its time, and the answer (Markdown) with Copy,
 * thumbs up/down, Regenerate and its time. ‹ i/n › sits on the question between its edits and over the answer
 * between its regenerations (Variants.tsx). Editing happens in the bubble: Enter saves (a branch forks before the
 * question), Shift+Enter starts a new line, Escape cancels.
 */
import { memo, useState } from 'react';
import type { Api, QAPair } from '../api';
import { copyText } from './clipboard';
import { CheckIcon, CopyIcon, EditIcon, RegenerateIcon, ThumbDownIcon, ThumbUpIcon } from './Icons';
import { Markdown } from './Markdown';
import { Switcher, useAlternatives } from './Variants';

export type Rating = 'up' | 'down' | null;

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const shortTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

function Time({ at }: { at: string }) {
  const date = new Date(at);
  return (
    <time className="when" dateTime={at} title={timeFormat.format(date)}>
      {shortTime.format(date)}
    </time>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="ghost icon small"
      aria-label={label}
      title={copied ? 'Copied' : label}
      onClick={() =>
        void copyText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        })
      }
    >
      {copied ? <CheckIcon /> : <CopyIcon />}
      {copied && <span className="copied">Copied</span>}
    </button>
  );
}

function Editor({ initial, onSave, onCancel }: { initial: string; onSave: (t: string) => void; onCancel: () => void }) {
  const [text, setText] = useState(initial);
  const save = () => {
    const t = text.trim();
    if (t) onSave(t);
  };
  return (
    <form
      className="editor"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <textarea
        aria-label="edited question"
        value={text}
        rows={Math.min(8, text.split('\n').length + 1)}
        // biome-ignore lint/a11y/noAutofocus: the editor the person just opened
        autoFocus
        onFocus={(e) => e.currentTarget.setSelectionRange(text.length, text.length)}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            save();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          }
        }}
      />
      <div className="editor-actions">
        <button type="button" className="ghost" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!text.trim()}>
          Save
        </button>
      </div>
    </form>
  );
}

function Answer({ pair }: { pair: QAPair }) {
  if (pair.type === 'link' && 'url' in pair && pair.url) {
    return (
      <div className="md">
        <p>{pair.response}</p>
        <a href={pair.url} rel="noopener noreferrer" target="_blank">
          {pair.url}
        </a>
      </div>
    );
  }
  if (pair.type === 'code') {
    const lang = 'language' in pair ? pair.language : '';
    return <Markdown text={`\`\`\`${lang}\n${pair.response}\n\`\`\``} />;
  }
  return <Markdown text={pair.response} />;
}

export interface PairProps {
  api: Api;
  pair: QAPair;
  index: number;
  /** The alternatives of this question (the line first) and which of them this history follows. */
  alternatives: string[];
  current: string;
  forkPoint: string | null;
  focused: boolean;
  rating: Rating;
  busy: boolean;
  measure: (el: HTMLElement | null) => void;
  onOpen: (chatId: string) => void;
  onEdit: (pair: QAPair, index: number, question: string) => void;
  onRegenerate: (pair: QAPair, index: number) => void;
  onRate: (pair: QAPair, rating: Rating) => void;
}

export const Pair = memo(function Pair(p: PairProps) {
  const { pair } = p;
  const [editing, setEditing] = useState(false);
  const alts = useAlternatives(p.api, p.alternatives, p.current, pair.question, p.forkPoint);
  const rate = (r: 'up' | 'down') => p.onRate(pair, p.rating === r ? null : r);
  return (
    <div
      className={p.focused ? 'pair focus' : 'pair'}
      data-response={pair.response_id}
      data-index={p.index}
      ref={p.measure}
    >
      <div className={editing ? 'turn q editing' : 'turn q'}>
        {editing ? (
          <div className="bubble q">
            <Editor
              initial={pair.question}
              onCancel={() => setEditing(false)}
              onSave={(text) => {
                setEditing(false);
                if (text !== pair.question) p.onEdit(pair, p.index, text);
              }}
            />
          </div>
        ) : (
          <div className="bubble q">
            <span className="text">{pair.question}</span>
          </div>
        )}
        {!editing && (
          <div className="actions">
            {alts && (
              <Switcher
                ids={alts.edits}
                index={alts.editIndex}
                responseId={pair.response_id}
                kind="question"
                onOpen={p.onOpen}
              />
            )}
            <Time at={pair.timestamp} />
            <CopyButton text={pair.question} label="Copy question" />
            <button
              type="button"
              className="ghost icon small"
              aria-label="Edit question"
              title="Edit question (a new branch)"
              disabled={p.busy}
              onClick={() => setEditing(true)}
            >
              <EditIcon />
            </button>
          </div>
        )}
      </div>
      <div className="turn a">
        {alts && (
          <Switcher
            ids={alts.regens}
            index={alts.regenIndex}
            responseId={pair.response_id}
            kind="answer"
            onOpen={p.onOpen}
          />
        )}
        <div className={`bubble a ${pair.type}`}>
          <Answer pair={pair} />
        </div>
        <div className="actions">
          <CopyButton text={pair.response} label="Copy answer" />
          <button
            type="button"
            className="ghost icon small thumb"
            aria-label="Good answer"
            aria-pressed={p.rating === 'up'}
            onClick={() => rate('up')}
          >
            <ThumbUpIcon />
          </button>
          <button
            type="button"
            className="ghost icon small thumb"
            aria-label="Bad answer"
            aria-pressed={p.rating === 'down'}
            onClick={() => rate('down')}
          >
            <ThumbDownIcon />
          </button>
          <button
            type="button"
            className="ghost icon small"
            aria-label="Regenerate"
            title="Regenerate (a new branch)"
            disabled={p.busy}
            onClick={() => p.onRegenerate(pair, p.index)}
          >
            <RegenerateIcon />
          </button>
          <Time at={pair.timestamp} />
        </div>
      </div>
    </div>
  );
});

/** A question being answered, with the answer so far (streamed): not stored yet. */
export function Pending({ question, answer }: { question: string; answer: string }) {
  return (
    <div className="pair pending" data-testid="streaming" aria-busy="true">
      <div className="turn q">
        <div className="bubble q">
          <span className="text">{question}</span>
        </div>
      </div>
      <div className="turn a">
        <div className="bubble a text">
          {answer ? <span className="streamed">{answer}</span> : <span className="typing">Thinking…</span>}
        </div>
      </div>
    </div>
  );
}
