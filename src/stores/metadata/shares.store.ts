/**
 * ShareStore over PostgreSQL (migrations/Migration20261204010000_shares.ts). Plain statements on the pool: a share
 * is an account-level row, written outside any tree's lock and announced by no event. Reads join the chat row, so a
 * deleted chat (or a deleted ancestor, which deletes it) ends its shares without touching them.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { ShareRecord } from '../../domain/model.js';
import type { ShareCursor, ShareStore } from '../../domain/ports.js';
import { storeCalls } from '../errors.js';
import { toDate } from '../pg-rows.js';
import { type Db, pgDb } from '../pg-tx.js';
import { UUID } from './metadata-sql.js';

interface ShareRow {
  share_id: string;
  account_id: string;
  chat_id: string;
  root_chat_id: string;
  token_hash: Uint8Array;
  live: boolean;
  frozen_count: number | null;
  frozen_name: string | null;
  frozen_system_prompt: string | null;
  include_system_prompt: boolean;
  expires_at: unknown;
  revoked_at: unknown;
  created_at: unknown;
}

const COLUMNS = sql.raw(
  's.share_id, s.account_id, s.chat_id, s.root_chat_id, s.token_hash, s.live, s.frozen_count, s.frozen_name, ' +
    's.frozen_system_prompt, s.include_system_prompt, s.expires_at, s.revoked_at, s.created_at',
);

function shareFromRow(r: ShareRow): ShareRecord {
  return {
    shareId: r.share_id,
    accountId: r.account_id,
    chatId: r.chat_id,
    rootChatId: r.root_chat_id,
    tokenHash: new Uint8Array(r.token_hash),
    live: r.live,
    frozenCount: r.frozen_count === null ? null : Number(r.frozen_count),
    frozenName: r.frozen_name,
    frozenSystemPrompt: r.frozen_system_prompt,
    includeSystemPrompt: r.include_system_prompt,
    expiresAt: r.expires_at === null ? null : toDate(r.expires_at),
    revokedAt: r.revoked_at === null ? null : toDate(r.revoked_at),
    createdAt: toDate(r.created_at),
  };
}

export class PostgresShareStore implements ShareStore {
  constructor(private readonly orm: MikroORM) {}

  private readonly run = storeCalls('metadata database');

  private db(): Db {
    return pgDb(this.orm);
  }

  insert(s: ShareRecord): Promise<void> {
    return this.run(async () => {
      await sql`
        insert into shares (share_id, account_id, chat_id, root_chat_id, token_hash, live, frozen_count, frozen_name,
                            frozen_system_prompt, include_system_prompt, expires_at, revoked_at, created_at)
        values (${s.shareId}, ${s.accountId}, ${s.chatId}, ${s.rootChatId}, ${Buffer.from(s.tokenHash)}, ${s.live},
                ${s.frozenCount}, ${s.frozenName}, ${s.frozenSystemPrompt}, ${s.includeSystemPrompt}, ${s.expiresAt},
                ${s.revokedAt}, ${s.createdAt})`.execute(this.db());
    });
  }

  byTokenHash(tokenHash: Uint8Array): Promise<ShareRecord | null> {
    return this.run(async () => {
      const r = await sql<ShareRow>`
        select ${COLUMNS} from shares s where s.token_hash = ${Buffer.from(tokenHash)}`.execute(this.db());
      const row = r.rows[0];
      return row ? shareFromRow(row) : null;
    });
  }

  list(
    accountId: string,
    options: { chatId: string | null; after: ShareCursor | null; limit: number },
  ): Promise<ShareRecord[]> {
    return this.run(async () => {
      const ofChat = options.chatId === null ? sql`` : sql`and s.chat_id = ${options.chatId}`;
      const after = options.after
        ? sql`and (s.created_at, s.share_id) < (${options.after.createdAt}, ${options.after.shareId})`
        : sql``;
      const r = await sql<ShareRow>`
        select ${COLUMNS} from shares s join chats c on c.chat_id = s.chat_id and c.deleted_at is null
        where s.account_id = ${accountId} and s.revoked_at is null ${ofChat} ${after}
        order by s.created_at desc, s.share_id desc
        limit ${options.limit}`.execute(this.db());
      return r.rows.map(shareFromRow);
    });
  }

  revoke(accountId: string, shareId: string, now: Date): Promise<Date | null> {
    if (!UUID.test(shareId)) return Promise.resolve(null);
    return this.run(async () => {
      const r = await sql<{ revoked_at: unknown }>`
        update shares s set revoked_at = ${now}
        from chats c
        where s.share_id = ${shareId} and s.account_id = ${accountId} and s.revoked_at is null
          and c.chat_id = s.chat_id and c.deleted_at is null
        returning s.revoked_at`.execute(this.db());
      const row = r.rows[0];
      return row ? toDate(row.revoked_at) : null;
    });
  }
}
