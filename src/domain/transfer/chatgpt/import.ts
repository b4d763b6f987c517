/**
 * Import: ChatGPT conversations (one, or a conversations.json array) → TreeSnapshots, everything checked first.
 * Fields are checked by the schema (schema.ts), the node tree by nodes.ts, the extension by extension.ts;
 * the tree is then walked into chats (walk.ts) and assembled (assemble.ts).
 */
import type { FieldIssue } from '../../errors.js';
import { NAME_MAX, truncate } from '../../limits.js';
import { type TimeWindow, timeWindow } from '../../time.js';
import type { TreeSnapshot } from '../snapshot.js';
import { buildTree } from './assemble.js';
import { readExtension } from './extension.js';
import { MAX_NODES, readNodes } from './nodes.js';
import {
  absent,
  isRecord,
  msOf,
  objectFor,
  Problems,
  plural,
  readFields,
  type Scope,
  scope,
  type Times,
} from './problems.js';
import { ChatGptConversationSchema } from './schema.js';

const DEFAULT_TITLE = 'Imported conversation';

export type ParseResult =
  | {
      ok: true;
      snapshots: TreeSnapshot[];
      /** What was changed on the way, one sentence each (e.g. times moved into the stored-time window). */
      notes: string[];
    }
  | { ok: false; errors: FieldIssue[] };

/** The conversation's own fields; `mapping` and `branchat` are read part by part below. */
const HEADER = [
  'title',
  'create_time',
  'update_time',
  'id',
  'conversation_id',
  'current_node',
  'default_model_slug',
] as const;

function readConversation(value: unknown, sc: Scope, notes: string[], window: TimeWindow): TreeSnapshot | null {
  const times: Times = { window, moved: 0 };
  const raw = objectFor(ChatGptConversationSchema, value, '', sc);
  if (raw === null) return null;
  const f = readFields(ChatGptConversationSchema, raw, HEADER, '', sc);
  const title = truncate(f.title?.trim() ?? '', NAME_MAX).trim() || DEFAULT_TITLE;
  const createTime = msOf(f.create_time, times);
  const id = f.id || f.conversation_id || null;
  const currentNode = f.current_node ?? null;
  const ext = absent(raw.branchat) ? null : readExtension(raw.branchat, sc, times);

  const mapping = objectFor(ChatGptConversationSchema.shape.mapping, raw.mapping, 'mapping', sc);
  if (mapping === null) return null;
  const size = Object.keys(mapping).length;
  if (size > MAX_NODES) {
    sc.issue('mapping', `holds ${size} nodes; at most ${MAX_NODES} are allowed`);
    return null;
  }
  const { nodes, root } = readNodes(mapping, sc, times);
  if (currentNode !== null && !nodes.has(currentNode)) {
    sc.issue('current_node', `names "${currentNode}", which is not a node of the mapping`);
  }
  if (sc.errors > 0 || root === null) return null;
  const snapshot = buildTree(nodes, root, { title, createTime, id, currentNode, ext }, sc);
  if (sc.errors > 0) return null;
  if (times.moved > 0) {
    const range = `${new Date(window.min).toISOString()} … ${new Date(window.max).toISOString()}`;
    notes.push(
      `conversation '${title}': ${plural(times.moved, 'time', 'times')} outside ${range} (the times this service ` +
        `stores) ${times.moved === 1 ? 'was' : 'were'} moved to the nearest end of that range`,
    );
  }
  return snapshot;
}

/**
 * Reads one ChatGPT conversation, or an array of them (a conversations.json). Everything is checked first:
 * on any problem the result lists them all (at most MAX_ISSUES), with paths such as `mapping.<id>.parent`
 * (`[2].mapping.<id>.parent` in an array), and no snapshot is returned.
 *
 * Real exports: message-less nodes, system and tool messages, hidden messages and answers without text
 * (browsing displays, reasoning) are transparent; consecutive answers merge; an edited question or a
 * regenerated answer becomes a branch, the current path (`current_node`) staying in the chat it continues; an
 * edited or regenerated FIRST question (several first questions, wherever system nodes put them, or several
 * answers to one) becomes a start fork, a branch of the root that sees none of its pairs.
 * The `branchat` extension keys written by toChatGpt, when present, give chat ids, names, times, empty
 * chats, the active chat and pair kinds back exactly.
 *
 * Times: years 1 to 9999 are read; those outside the stored-time window of a write at `now` (1970 … now + 1
 * day, domain/time.ts) are moved to its nearest end, with a note per conversation.
 */
export function fromChatGpt(input: unknown, options: { now?: Date } = {}): ParseResult {
  const window = timeWindow(options.now ?? new Date());
  const problems = new Problems();
  const notes: string[] = [];
  const snapshots: TreeSnapshot[] = [];
  if (Array.isArray(input)) {
    if (input.length === 0) problems.add('(input)', 'is an empty array; expected at least one conversation');
    input.forEach((c: unknown, i) => {
      const s = readConversation(c, scope(problems, `[${i}]`), notes, window);
      if (s) snapshots.push(s);
    });
  } else if (isRecord(input)) {
    const s = readConversation(input, scope(problems, ''), notes, window);
    if (s) snapshots.push(s);
  } else problems.add('(input)', 'must be a conversation object or an array of them');
  return problems.count > 0 ? { ok: false, errors: problems.result() } : { ok: true, snapshots, notes };
}
