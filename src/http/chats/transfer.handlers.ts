import { toChatGpt } from '../../domain/transfer/chatgpt/index.js';
import { historyMarkdown } from '../../domain/transfer/markdown.js';
import type { TreeSnapshot } from '../../domain/transfer/snapshot.js';
import * as transfer from '../../domain/transfer/transfer.service.js';
import { groupBy } from '../../domain/tree-order.js';
import { type AppRouteHandler, ctxOf } from '../app-types.js';
import { pairJson } from '../schemas.js';
import type { ExportChatRoute, ImportChatRoute } from './transfer.routes.js';

/** A file name from a title: letters, digits and dashes only (no quoting or path issues). */
function fileName(title: string, ext: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .toLowerCase();
  return `${slug || 'conversation'}.${ext}`;
}

/** branchat's own export format: every chat with its own pairs (as QAPair, `branches` included). */
function treeJson(s: TreeSnapshot, exportedAt: Date) {
  const forks = groupBy(s.chats, (c) => c.forkResponseId);
  const root = s.chats[0];
  return {
    format: 'branchat.tree.v1' as const,
    exported_at: exportedAt.toISOString(),
    title: s.title,
    system_prompt: s.systemPrompt,
    root_chat_id: root?.chatId ?? '',
    active_chat_id: s.activeChatId,
    chats: s.chats.map((c) => ({
      chat_id: c.chatId,
      chat_type: c.parentChatId === null ? ('main' as const) : ('branch' as const),
      name: c.name,
      parent_chat_id: c.parentChatId,
      fork_response_id: c.forkResponseId,
      active: c.chatId === s.activeChatId,
      created_at: c.createdAt.toISOString(),
      updated_at: c.updatedAt.toISOString(),
      qa_pairs: c.pairs.map((p, i) =>
        pairJson({
          ...p,
          chatId: c.chatId,
          accountId: '',
          seq: i + 1,
          branches: (forks.get(p.responseId) ?? []).map((c) => c.chatId),
        }),
      ),
    })),
  };
}

export const exportChat: AppRouteHandler<ExportChatRoute> = async (c) => {
  const q = c.req.valid('query');
  const ctx = ctxOf(c);
  const now = ctx.deps.clock();
  if (q.format === 'markdown') {
    const { chat, pairs } = await transfer.exportHistory(ctx, q.chat_id);
    return c.body(historyMarkdown(chat, pairs, now), 200, {
      'Content-Type': 'text/markdown; charset=utf-8',
      'Content-Disposition': `attachment; filename="${fileName(chat.name, 'md')}"`,
    }) as never;
  }
  const { snapshot } = await transfer.exportTree(ctx, q.chat_id);
  const body = q.format === 'chatgpt' ? toChatGpt(snapshot) : treeJson(snapshot, now);
  return c.body(JSON.stringify(body), 200, {
    'Content-Type': 'application/json',
    'Content-Disposition': `attachment; filename="${fileName(snapshot.title, q.format === 'chatgpt' ? 'chatgpt.json' : 'json')}"`,
  }) as never;
};

export const importChat: AppRouteHandler<ImportChatRoute> = async (c) => {
  const result = await transfer.importConversations(ctxOf(c), c.req.valid('json'));
  return c.json(
    {
      conversations: result.conversations.map((x) => ({
        root_chat_id: x.rootChatId,
        active_chat_id: x.activeChatId,
        title: x.title,
        chat_count: x.chatCount,
        pair_count: x.pairCount,
      })),
      notes: result.notes,
    },
    201,
  );
};
