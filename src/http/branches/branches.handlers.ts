import * as branches from '../../domain/branches/branches.service.js';
import { requireChat } from '../../domain/chats/chats.service.js';
import { UnavailableError } from '../../domain/errors.js';
import { type ChatRecord, messageCount } from '../../domain/model.js';
import type { UsageTotals } from '../../domain/ports.js';
import { NO_USAGE, treeUsage } from '../../domain/usage.js';
import { type AppRouteHandler, ctxOf } from '../app-types.js';
import { treeKey } from '../cache-keys.js';
import { noneMatch, quoteEtag } from '../etags.js';
import { chatJson, kindOf, pairJson } from '../schemas.js';
import { allowSlowAnswer, clientGone, eventStream, restoreIdleTimeout, wantsEventStream } from '../sse.js';
import { usageJson } from '../usage.js';
import type {
  CreateBranchRoute,
  GetBranchesRoute,
  RegenerateRoute,
  SetActiveBranchRoute,
  TreeNodeShape,
} from './branches.routes.js';

const createdJson = (r: branches.CreatedBranch) => ({
  chat: chatJson(r.chat),
  qa_pair: r.pair ? pairJson(r.pair) : null,
});

export const createBranch: AppRouteHandler<CreateBranchRoute> = async (c) => {
  const b = c.req.valid('json');
  const input = {
    chatId: b.chat_id,
    responseId: b.response_id ?? null,
    name: b.name,
    question: b.question,
    response: b.response,
    kind: kindOf(b),
    activate: b.activate,
  };
  if (b.question !== undefined && b.response === undefined) allowSlowAnswer(c);
  try {
    if (wantsEventStream(c)) {
      const gone = clientGone(c);
      const pending = await branches.startCreateBranch(ctxOf(c), input, gone.signal);
      return eventStream(c, gone, pending, createdJson) as never;
    }
    // A generated answer is cancelled if the client leaves before it is stored (as for a stream).
    const generated = b.question !== undefined && b.response === undefined;
    const result = await branches.createBranch(ctxOf(c), input, generated ? clientGone(c).signal : undefined);
    return c.json(createdJson(result), 201);
  } finally {
    restoreIdleTimeout(c); // the answer (or problem) is ready; a stream restores it when it ends
  }
};

/** Regenerate: a branch beside the pair, whose first pair is its question with a new answer (always generated). */
export const regenerate: AppRouteHandler<RegenerateRoute> = async (c) => {
  const b = c.req.valid('json');
  const input = { responseId: b.response_id, activate: b.activate };
  allowSlowAnswer(c);
  try {
    const gone = clientGone(c);
    const pending = await branches.startRegenerate(ctxOf(c), input, gone.signal);
    if (wantsEventStream(c)) return eventStream(c, gone, pending, createdJson) as never;
    return c.json(createdJson(await pending.run()), 201);
  } finally {
    restoreIdleTimeout(c); // the answer (or problem) is ready; a stream restores it when it ends
  }
};

type NodeJson = TreeNodeShape;

/** The chats of a tree, parents first (one array, not one per level). */
function chatsOf(n: branches.TreeNode, into: ChatRecord[] = []): ChatRecord[] {
  into.push(n.chat);
  for (const child of n.children) chatsOf(child, into);
  return into;
}

function nodeJson(n: branches.TreeNode, usage: Map<string, UsageTotals> | null): NodeJson {
  return {
    chat_id: n.chat.chatId,
    name: n.chat.name,
    chat_type: n.chat.chatType,
    parent_chat_id: n.chat.parentChatId,
    fork_response_id: n.chat.forkResponseId,
    active: n.chat.active,
    message_count: messageCount(n.chat),
    usage: usage ? usageJson(usage.get(n.chat.chatId) ?? NO_USAGE) : null,
    created_at: n.chat.createdAt.toISOString(),
    updated_at: n.chat.updatedAt.toISOString(),
    children: n.children.map((child) => nodeJson(child, usage)),
  };
}

export const getBranches: AppRouteHandler<GetBranchesRoute> = async (c) => {
  const { chat_id } = c.req.valid('query');
  const ctx = ctxOf(c);
  const chat = await requireChat(ctx, chat_id);
  // The tree's version moves with every write to it: with the root, the tag of this representation.
  const tag = `${chat.rootChatId}.${chat.treeVersion}`;
  if (noneMatch(c.req.header('If-None-Match'), tag)) {
    return c.body(null, 304, { ETag: quoteEtag(tag) }) as never;
  }
  // The tree is metadata; only `usage` needs the content store. When that store cannot be read, the tree is still
  // answered, with `usage` null, never cached and without an ETag (nothing to revalidate against). The degraded body
  // travels on the error, so every request sharing this load (the cache joins concurrent misses) answers it.
  const body = await c
    .get('cache')
    .text(treeKey(ctx.accountId, chat), async () => {
      const t = await branches.readTree(ctx, chat);
      const json = (usage: Map<string, UsageTotals> | null) =>
        JSON.stringify({
          root_chat_id: t.rootChatId,
          active_chat_id: t.activeChatId,
          count: t.count,
          tree: nodeJson(t.tree, usage),
        });
      try {
        return json(await treeUsage(ctx, chatsOf(t.tree)));
      } catch (e) {
        if (e instanceof UnavailableError) throw new TreeWithoutUsage(json(null), e);
        throw e;
      }
    })
    .catch((e) => {
      if (e instanceof TreeWithoutUsage) return e;
      throw e;
    });
  if (body instanceof TreeWithoutUsage) {
    return c.body(body.body, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }) as never;
  }
  return c.body(body, 200, { 'Content-Type': 'application/json', ETag: quoteEtag(tag) }) as never;
};

/** A tree read whose usage totals could not be: carries the body to answer without them. */
class TreeWithoutUsage extends Error {
  constructor(
    readonly body: string,
    cause: UnavailableError,
  ) {
    super('usage totals unavailable', { cause });
  }
}

export const setActiveBranch: AppRouteHandler<SetActiveBranchRoute> = async (c) => {
  const { chat_id } = c.req.valid('json');
  const r = await branches.setActiveBranch(ctxOf(c), { chatId: chat_id });
  return c.json({ root_chat_id: r.rootChatId, active_chat_id: r.activeChatId }, 200);
};
