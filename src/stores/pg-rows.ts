/** Helpers for raw rows read through MikroORM's Kysely instance. */
import { type RawBuilder, sql } from 'kysely';
import { type ChatRecord, MAX_TIME_MS, MIN_TIME_MS, type NameSource } from '../domain/model.js';
import { readableTime } from '../domain/time.js';

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

/** timestamptz as PostgreSQL writes it (DateStyle ISO): years of 4+ digits, any offset, " BC" before year 1. */
const PG_TIME =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d+)?(?:Z|([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;

/**
 * PostgreSQL returns timestamptz as text ("2026-11-25 17:03:04.123+00") through this driver setup. Any time
 * PostgreSQL can hold reads back: one outside what the API can write (year 10000, `infinity`, a BC date) is
 * clamped to years 1..9999 (domain/time.ts), so a row written by hand never turns a listing into a 500.
 */
export function toDate(v: unknown): Date {
  if (v instanceof Date) return readableTime(v);
  const s = String(v);
  if (s === 'infinity') return new Date(MAX_TIME_MS);
  if (s === '-infinity') return new Date(MIN_TIME_MS);
  const m = PG_TIME.exec(s);
  if (!m) throw new Error(`unparseable timestamp from the database: ${s}`);
  if (m[12]) return new Date(MIN_TIME_MS);
  const n = (i: number) => Number(m[i] ?? 0);
  // Not Date.UTC: it maps years 0..99 to 1900..1999.
  const d = new Date(0);
  d.setUTCFullYear(n(1), n(2) - 1, n(3));
  d.setUTCHours(n(4), n(5), n(6), m[7] ? Math.round(Number(m[7]) * 1000) : 0);
  const offsetMs = (m[8] === '-' ? -1 : 1) * ((n(9) * 60 + n(10)) * 60 + n(11)) * 1000;
  const ms = d.getTime() - offsetMs;
  // NaN: a year past JavaScript's range (BC dates were handled above).
  return Number.isNaN(ms) ? new Date(MAX_TIME_MS) : readableTime(new Date(ms));
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
  /** Where a forked conversation was copied from (conversations row); selected where the caller needs it. */
  forked_from_chat_id?: string | null;
  forked_from_response_id?: string | null;
  /** The conversation's flags and where its name came from (conversations row); selected where the caller needs them. */
  archived?: boolean;
  pinned?: boolean;
  name_source?: NameSource;
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
    ancestorLimits: Array.from(r.ancestor_limits, Number),
    ownCount: Number(r.own_count),
    // -1: not read with this row; such a record must not be used to build cache keys.
    treeVersion: r.tree_version === undefined ? -1 : Number(r.tree_version),
    systemPrompt: r.system_prompt ?? null,
    forkedFrom:
      r.forked_from_chat_id && r.parent_chat_id === null
        ? { chatId: r.forked_from_chat_id, responseId: r.forked_from_response_id ?? null }
        : null,
    archived: r.archived === true,
    pinned: r.pinned === true,
    ...(r.name_source ? { nameSource: r.name_source } : {}),
  };
}

export const CHAT_COLUMNS =
  'chat_id, account_id, root_chat_id, parent_chat_id, fork_response_id, chat_type, name, created_at, updated_at, active, ancestor_ids, ancestor_limits, own_count';
