/**
 * Import: questions and answers → pairs and chats. Each chat is followed question by question; where the
 * source forks, one way continues the chat and every other way starts a branch. Where it forks before the first
 * pair (several first questions, or several answers to one), every other way starts a start fork: a branch of the
 * root that sees none of its pairs.
 */
import { RESPONSE_MAX } from '../../limits.js';
import type { SnapshotPair } from '../snapshot.js';
import type { ExtChat, Extension } from './extension.js';
import { type Kept, type Variant, variantsOf } from './kept.js';
import type { Scope } from './problems.js';

export interface DraftPair {
  pair: SnapshotPair;
  chat: DraftChat;
}

export interface DraftChat {
  /** The chat id the source gives (metadata.branchat.chat_id, or the extension); null: invented. */
  key: string | null;
  /** Where an invented id starts from. */
  idBase: string;
  /** The final id (set once every chat is known). */
  id: string;
  parent: DraftChat | null;
  fork: DraftPair | null;
  pairs: DraftPair[];
  /** The user node that starts the chat (for error paths), if any. */
  firstNode: string | null;
  ext: ExtChat | null;
  /** Order of discovery (the order of chats the extension does not list). */
  order: number;
}

export interface Header {
  title: string;
  /** Milliseconds since 1970, inside the window. */
  createTime: number | null;
  id: string | null;
  currentNode: string | null;
  ext: Extension | null;
}

export const keyPath = (nodeId: string) => `mapping.${nodeId}.message.metadata.branchat.chat_id`;

/** The walk: chats are queued as they are found, so they are discovered breadth first. */
export class ChatWalk {
  readonly chats: DraftChat[] = [];
  readonly byKey = new Map<string, DraftChat>();
  /** Question and answer node → the first pair made from it (to find the pair of current_node). */
  readonly nodePair = new Map<string, DraftPair>();
  readonly byResponse = new Map<string, DraftPair>();
  /** The root chat (set by start). */
  root: DraftChat | null = null;
  private readonly queue: { chat: DraftChat; question: Kept; previous: DraftPair | null; variant: Variant | null }[] =
    [];

  constructor(
    private readonly h: Header,
    private readonly onPath: Set<string>,
    private readonly sc: Scope,
  ) {}

  newChat(key: string | null, idBase: string, parent: DraftChat | null, fork: DraftPair | null, first: string | null) {
    const chat: DraftChat = {
      key,
      idBase,
      id: '',
      parent,
      fork,
      pairs: [],
      firstNode: first,
      ext: null,
      order: this.chats.length,
    };
    if (key !== null) {
      if (this.byKey.has(key)) {
        this.sc.issue(first === null ? 'branchat.chats' : keyPath(first), `the chat id "${key}" is used by two chats`);
        chat.key = null;
      } else this.byKey.set(key, chat);
    }
    this.chats.push(chat);
    return chat;
  }

  /**
   * The root chat and the start forks. Of the first questions, the root starts at the one on the current path, else
   * the first (as `continuation` picks); where they carry chat ids (a branchat export), at the one carrying the
   * root's (the extension's, else the conversation id), else the first (where the export puts the root's; with
   * the extension, none: the root is empty). Every other first question starts a start fork.
   */
  start(top: Kept[]): DraftChat {
    const questions = top.filter((k) => k.message.kind === 'question');
    const keyOf = (k: Kept) => k.message.questionExt?.chatId ?? null;
    const listedRoot = this.h.ext?.root.chatId ?? null;
    let first: Kept | null;
    if (questions.some((k) => keyOf(k) !== null)) {
      first = questions.find((k) => keyOf(k) === (listedRoot ?? this.h.id)) ?? null;
      if (listedRoot === null) first ??= questions[0] ?? null;
    } else first = questions.find((k) => this.onPath.has(k.id)) ?? questions[0] ?? null;
    const key = listedRoot ?? (first === null ? null : keyOf(first));
    const root = this.newChat(key, this.h.id ?? 'root', null, null, first?.id ?? null);
    this.root = root;
    if (first) this.queue.push({ chat: root, question: first, previous: null, variant: null });
    for (const q of questions) {
      if (q === first) continue;
      const forkKey = keyOf(q);
      if (forkKey !== null && forkKey === root.key) {
        this.sc.issue(keyPath(q.id), `starts chat "${forkKey}", which already starts with "${first?.id}"`);
        continue;
      }
      const fork = this.newChat(forkKey, q.id, root, null, q.id);
      this.queue.push({ chat: fork, question: q, previous: null, variant: null });
    }
    for (let i = 0; i < this.queue.length; i++) this.follow(this.queue[i] as (typeof this.queue)[number]);
    return root;
  }

  /** One chat, from its first question to its last pair. */
  private follow(from: (typeof this.queue)[number]): void {
    const { chat } = from;
    let { question, previous, variant } = from;
    for (;;) {
      const variants = variant ? [variant] : variantsOf(question);
      const main = variant ?? variants.find((v) => this.onPath.has(v.end.id)) ?? (variants[0] as Variant);
      const pair = this.makePair(question, main, chat);
      // Other answers to this question (regenerations): branches after the previous pair, repeating the question;
      // to a first question (of the root or of a start fork), start forks.
      for (const alt of variant ? [] : variants) {
        if (alt === main) continue;
        const parent = previous?.chat ?? (this.root as DraftChat);
        const branch = this.newChat(null, alt.end.id, parent, previous, question.id);
        this.queue.push({ chat: branch, question, previous, variant: alt });
      }
      // Other questions after this pair (edits): branches after it.
      const next = this.continuation(main.next, chat);
      for (const kid of main.next) {
        if (kid === next) continue;
        const key = kid.message.questionExt?.chatId ?? null;
        if (key !== null && key === chat.key) {
          this.sc.issue(keyPath(kid.id), `continues chat "${key}", which already continues with "${next?.id}"`);
          continue;
        }
        const branch = this.newChat(key, kid.id, chat, pair, kid.id);
        this.queue.push({ chat: branch, question: kid, previous: pair, variant: null });
      }
      if (!next) return;
      previous = pair;
      question = next;
      variant = null;
    }
  }

  /**
   * Which following question continues `chat`: with chat ids in the metadata, the one carrying this chat's
   * id; without, the one on the current path, else the first.
   */
  private continuation(kids: Kept[], chat: DraftChat): Kept | null {
    if (kids.some((k) => (k.message.questionExt?.chatId ?? null) !== null)) {
      return chat.key === null ? null : (kids.find((k) => k.message.questionExt?.chatId === chat.key) ?? null);
    }
    return kids.find((k) => this.onPath.has(k.id)) ?? kids[0] ?? null;
  }

  private makePair(question: Kept, v: Variant, chat: DraftChat): DraftPair {
    const response = v.answers
      .map((a) => a.message.text)
      .filter((t) => t !== '')
      .join('\n\n');
    if (response.length > RESPONSE_MAX) {
      // Each answer was checked alone; merged ones can still be too long together.
      this.sc.issue(
        `mapping.${v.end.id}.message.content`,
        `the merged answer has ${response.length} characters; at most ${RESPONSE_MAX}`,
      );
    }
    const time =
      v.answers.find((a) => a.message.createTime !== null)?.message.createTime ??
      question.message.createTime ??
      this.h.createTime ??
      0;
    const ext = question.message.questionExt;
    const pair: SnapshotPair = {
      responseId: v.end.id,
      question: question.message.text,
      response,
      timestamp: new Date(time),
      type: ext?.type ?? 'text',
      language: ext?.language ?? null,
      url: ext?.url ?? null,
      generation: v.answers.findLast((a) => a.message.generation !== null)?.message.generation ?? null,
      feedback: null,
    };
    // Several answers merged into one: the feedback of the last that has some.
    const rated = v.answers.findLast((a) => a.message.feedback !== null)?.message.feedback;
    if (rated)
      pair.feedback = { rating: rated.rating, comment: rated.comment, updatedAt: rated.updatedAt ?? pair.timestamp };
    const draft = { pair, chat };
    chat.pairs.push(draft);
    this.byResponse.set(pair.responseId, draft);
    for (const id of [question.id, ...v.answers.map((a) => a.id)]) {
      if (!this.nodePair.has(id)) this.nodePair.set(id, draft);
    }
    return draft;
  }

  /** Final ids: the source's where it gives them, else invented (unique, and unlike every listed id). */
  assignIds(): void {
    const used = new Set<string>([...this.byKey.keys(), ...(this.h.ext?.chats.map((c) => c.chatId) ?? [])]);
    for (const chat of this.chats) {
      if (chat.key !== null) {
        chat.id = chat.key;
        continue;
      }
      let id = chat.idBase;
      for (let n = 2; used.has(id); n++) id = `${chat.idBase}-${n}`;
      used.add(id);
      chat.id = id;
    }
  }
}
