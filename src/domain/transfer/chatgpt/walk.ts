/**
 * Import: questions and answers → pairs and chats. Each chat is followed question by question; where the
 * source forks, one way continues the chat and every other way starts a branch.
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
  /** Other answers to the first question, and other first questions: they cannot become branches. */
  droppedAnswers = 0;
  droppedQuestions = 0;
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

  /** The root chat, starting at the first question (the one on the current path if there are several). */
  start(top: Kept[]): DraftChat {
    const questions = top.filter((k) => k.message.kind === 'question');
    const first = questions.find((k) => this.onPath.has(k.id)) ?? questions[0] ?? null;
    this.droppedQuestions = questions.length - (first ? 1 : 0);
    const key = first?.message.questionExt?.chatId ?? null;
    const listedRoot = this.h.ext?.root.chatId ?? null;
    if (first && key !== null && listedRoot !== null && key !== listedRoot) {
      this.sc.issue(keyPath(first.id), `is "${key}", but branchat.chats makes "${listedRoot}" the root`);
    }
    const root = this.newChat(key ?? listedRoot, this.h.id ?? 'root', null, null, first?.id ?? null);
    if (first) this.queue.push({ chat: root, question: first, previous: null, variant: null });
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
      // Other answers to this question (regenerations): branches after the previous pair, repeating it.
      for (const alt of variant ? [] : variants) {
        if (alt === main) continue;
        if (previous === null) this.droppedAnswers++;
        else {
          const branch = this.newChat(null, alt.end.id, previous.chat, previous, question.id);
          this.queue.push({ chat: branch, question, previous, variant: alt });
        }
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
    };
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
