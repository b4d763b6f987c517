/** Helpers for raw rows read through MikroORM's Kysely instance. */
import { type RawBuilder, sql } from 'kysely';
import type { ChatRecord } from '../domain/model.js';

/** A select's column list (`a, b, c`), each column qualified with `alias` when one is given. */
export function columnList(columns: string, alias?: string): RawBuilder<unknown> {
  return sql.raw(
    alias
      ? columns
          .split(', ')
          .map((c) => `${alias}.${c}`)
          .join(', ')
      : columns,
  );
}

/** PostgreSQL returns timestamptz as text ("2026-11-25 17:03:04.123+00") through this driver setup. */
export function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  const s = String(v);
  const iso = s.includes('T') ? s : s.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`unparseable timestamp from the database: ${s}`);
  return d;
}

export interface ChatRow {
  chat_id: string;
  account_id: string;
  root_chat_id: string;
  parent_chat_id: string | null;
  fork_response_id: string | null;
  chat_type: 'main' | 'branch';
  name: string;
  created_at: unknown;
  updated_at: unknown;
  active: boolean;
  ancestor_ids: string[];
  ancestor_limits: number[];
  own_count: number;
  /** Selected only where the caller needs the tree version (see getChat). */
  tree_version?: number | string;
  /** The conversation's system prompt; selected where the caller needs it. */
  system_prompt?: string | null;
}

export function chatFromRow(r: ChatRow): ChatRecord {
  return {
    chatId: r.chat_id,
    accountId: r.account_id,
    rootChatId: r.root_chat_id,
    parentChatId: r.parent_chat_id,
    forkResponseId: r.fork_response_id,
    chatType: r.chat_type,
    name: r.name,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    active: r.active,
    ancestorIds: r.ancestor_ids,
    ancestorLimits: r.ancestor_limits.map(Number),
    ownCount: Number(r.own_count),
    // -1: not read with this row; such a record must not be used to build cache keys.
    treeVersion: r.tree_version === undefined ? -1 : Number(r.tree_version),
    systemPrompt: r.system_prompt ?? null,
  };
}

export const CHAT_COLUMNS =
  'chat_id, account_id, root_chat_id, parent_chat_id, fork_response_id, chat_type, name, created_at, updated_at, active, ancestor_ids, ancestor_limits, own_count';
