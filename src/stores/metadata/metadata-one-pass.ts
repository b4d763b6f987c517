/**
 * The one-call writes of the PostgreSQL metadata store (postgres-metadata.store.ts), used with the content in
 * PostgreSQL: add-message and create-branch without a first pair through one server-side function each
 * (migrations/Migration20261203040000_write_functions.ts), those of one event-loop turn grouped into one call when
 * Bun's client is there. Each answers null when the write must take the store's locking transaction instead.
 */

import type { MikroORM } from '@mikro-orm/postgresql';
import type { ChatRowMemory } from '../../cache/chat-rows.js';
import { UnavailableError } from '../../domain/errors.js';
import type { ChatRecord } from '../../domain/model.js';
import type { Announce, AppendSlot } from '../../domain/ports.js';
import { windowEnd } from '../../domain/time.js';
import { captureAppends } from '../content/postgres-content.store.js';
import type { FastSql } from '../pg-fast.js';
import type { Db } from '../pg-tx.js';
import {
  APPEND_ITEM,
  APPEND_PAIR,
  APPEND_PAIRS,
  BRANCH_ITEM,
  CREATE_BRANCH,
  CREATE_BRANCHES,
  later,
  owned,
  readChats,
  rowsOf,
  TRIM_EVERY,
} from './metadata-sql.js';
import type { EventLogOptions } from './postgres-metadata.store.js';

/** Writes of one kind waiting for their group's call (see OnePassWrites.grouped). */
interface WriteGroup {
  pending: { args: unknown[]; root: string; resolve: (last: string | null) => void; reject: (e: unknown) => void }[];
  /** The function for one item, and for several (a jsonb array of items with `fields` as keys). */
  one: string;
  many: string;
  fields: string[];
}

/** The store's settings these writes read at each call (set after construction, src/bootstrap.ts). */
export interface OnePassHost {
  readonly fast: FastSql | null;
  readonly rowMemory: ChatRowMemory | null;
}

export class OnePassWrites {
  constructor(
    private readonly orm: MikroORM,
    private readonly run: <T>(fn: () => Promise<T>) => Promise<T>,
    private readonly clock: () => Date,
    private readonly events: EventLogOptions | null,
    private readonly host: OnePassHost,
  ) {}

  private get fast(): FastSql | null {
    return this.host.fast;
  }

  private get rowMemory(): ChatRowMemory | null {
    return this.host.rowMemory;
  }

  /**
   * add-message in two round trips, no transaction of ours: the chat row (with the tree's version and event_seq),
   * then branchat_append_pair, which writes the content, the counters, the tree and the events only if nothing
   * of the tree changed in between (else null: the caller takes the locking path). The content write is captured
   * (PostgreSQL content only), so the domain's write callback runs as it does under the lock.
   */
  async append(
    accountId: string,
    chatId: string,
    write: (slot: AppendSlot) => Promise<void>,
    announce: Announce<AppendSlot>,
  ): Promise<AppendSlot | null> {
    const pool = this.orm.em.getKysely() as Db;
    // From memory when this process holds a read lease (the row PostgreSQL has now), else read.
    let read = this.rowMemory?.get(chatId.toLowerCase());
    if (read && read.accountId !== accountId.toLowerCase()) return null;
    if (!read) {
      const rows = await readChats([chatId], pool, this.fast);
      read = owned(rows, accountId, chatId) ?? undefined;
      if (!read) return null; // the locking path answers 404
    }
    const now = later(this.clock(), read.updatedAt);
    const seq = read.ownCount + 1;
    // As the locking path returns it: the row as locked (no tree version), with the new counters.
    const chat = { ...read, treeVersion: -1 };
    const captured = await captureAppends(() => write({ chat, seq, now, fence: 0 }));
    const c = captured[0];
    if (captured.length !== 1 || !c) throw new Error(`one content write expected, got ${captured.length}`);
    const slot = { chat: { ...chat, ownCount: seq, updatedAt: now }, seq, now, fence: 0 };
    const changes = this.events ? announce(slot).map(this.events.encode) : [];
    const p = c.pair;
    const g = p.generation;
    const at = this.clock();
    const args = [
      accountId,
      chatId,
      read.rootChatId,
      read.treeVersion,
      read.ownCount,
      read.updatedAt,
      now,
      windowEnd(this.clock()),
      p.responseId,
      p.question,
      p.response,
      p.type,
      p.language,
      p.url,
      g?.model ?? null,
      g?.promptTokens ?? null,
      g?.completionTokens ?? null,
      g?.latencyMs ?? null,
      c.searchLanguage,
      changes.map((e) => e.event),
      changes.map((e) => e.data),
      at,
      this.events?.retention ?? 0,
      TRIM_EVERY,
    ];
    const token = this.rowMemory?.begin();
    const last = this.fast
      ? await this.grouped(this.fast, this.appends, args, read.rootChatId)
      : await this.callWrite(APPEND_PAIR, args, pool);
    if (last === null || last === undefined) return null;
    if (changes.length > 0) {
      await this.events?.committed?.(read.rootChatId, Number(last));
      // The row as this write left it: the next write to the chat needs no read (unless the tree moved since).
      const after = { ...read, ownCount: seq, updatedAt: now, treeVersion: read.treeVersion + 1 };
      if (token) this.rowMemory?.putWritten(token, after, Number(last));
    }
    return slot;
  }

  /** Appends (new branches) waiting for the next call of branchat_append_pairs (…create_branches), one per turn. */
  private readonly appends: WriteGroup = { pending: [], one: APPEND_PAIR, many: APPEND_PAIRS, fields: APPEND_ITEM };
  private readonly branches: WriteGroup = {
    pending: [],
    one: CREATE_BRANCH,
    many: CREATE_BRANCHES,
    fields: BRANCH_ITEM,
  };

  /**
   * The appends of one event-loop turn go together: one call, one transaction, one commit for all of them (a lone
   * one is a plain branchat_append_pair call). Sorted by tree, so concurrent groups lock trees in one order. If the
   * group's call fails as a whole (40001 from one item, or a deadlock), each of its items answers null and takes
   * the locking transaction on its own.
   */
  private grouped(fast: FastSql, group: WriteGroup, args: unknown[], root: string): Promise<string | null> {
    return new Promise((resolve, reject) => {
      group.pending.push({ args, root, resolve, reject });
      if (group.pending.length === 1) setImmediate(() => void this.sendGroup(fast, group));
    });
  }

  private async sendGroup(fast: FastSql, group: WriteGroup): Promise<void> {
    const items = group.pending.splice(0);
    const [only] = items;
    if (items.length === 1 && only) {
      await this.run(() => this.callWrite(group.one, only.args, this.orm.em.getKysely() as Db)).then(
        only.resolve,
        only.reject,
      );
      return;
    }
    items.sort((x, y) => (x.root < y.root ? -1 : x.root > y.root ? 1 : 0));
    try {
      const json = JSON.stringify(items.map((i) => Object.fromEntries(group.fields.map((k, n) => [k, i.args[n]]))));
      const r = await this.run(() => fast.query<{ lasts: (string | null)[] }>(group.many, [json]));
      const lasts = r[0]?.lasts ?? [];
      for (const [n, item] of items.entries()) item.resolve(lasts[n] ?? null);
    } catch (e) {
      // A statement error (a SQLSTATE: one item's 40001 or constraint, a deadlock…) rolled the whole group back:
      // each item then takes the locking transaction on its own (and gets its own answer). A lost connection
      // leaves it open whether the group committed: those are refused (503), like any write in that case.
      const code = (e as { code?: unknown }).code;
      const statementError = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !(e instanceof UnavailableError);
      if (statementError) for (const item of items) item.resolve(null);
      else for (const item of items) item.reject(e);
    }
  }

  /**
   * Calls one of the write functions (Bun's client when there is one): the tree's new event_seq, or null when the
   * function changed nothing (the tree moved since it was read, or is gone) or rolled back (40001: a check after
   * the tree moved); the caller then writes through the locking transaction.
   */
  private async callWrite(text: string, args: unknown[], pool: Db): Promise<string | null> {
    try {
      return (await rowsOf<{ last: string | null }>(text, args, pool, this.fast))[0]?.last ?? null;
    } catch (e) {
      if ((e as { code?: unknown }).code === '40001') return null;
      throw e;
    }
  }

  /**
   * create-branch without a first pair in one round trip (branchat_create_branch): the branch's record is complete
   * before the write, so the function only has to lock the tree and check the parent. null when the tree or the
   * parent is gone (the locking path then answers with the precise 404).
   */
  async createBranch(
    branch: ChatRecord,
    activate: boolean,
    announce: Announce<ChatRecord>,
  ): Promise<ChatRecord | null> {
    const created: ChatRecord = { ...branch, active: activate, ownCount: 0 };
    const changes = this.events ? announce(created).map(this.events.encode) : [];
    const args = [
      branch.accountId,
      branch.rootChatId,
      branch.chatId,
      branch.parentChatId,
      branch.forkResponseId,
      branch.name,
      branch.createdAt,
      branch.updatedAt,
      activate,
      branch.ancestorIds,
      branch.ancestorLimits,
      windowEnd(this.clock()),
      changes.map((e) => e.event),
      changes.map((e) => e.data),
      this.clock(),
      this.events?.retention ?? 0,
      TRIM_EVERY,
    ];
    const last = this.fast
      ? await this.grouped(this.fast, this.branches, args, branch.rootChatId)
      : await this.callWrite(CREATE_BRANCH, args, this.orm.em.getKysely() as Db);
    if (last === null || last === undefined) return null;
    if (changes.length > 0) await this.events?.committed?.(branch.rootChatId, Number(last));
    return created;
  }
}
