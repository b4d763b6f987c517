/**
 * The data of each event: the REST answer of the write that caused it (README, "Real-time events"), encoded
 * once, inside the write's transaction, and stored in the event log as the exact JSON text sockets receive.
 */
import type { EncodedChange, TreeChange } from '../../domain/ports.js';
import { chatJson, feedbackJson, pairJson } from '../schemas.js';

export function encodeChange(change: TreeChange): EncodedChange {
  return { event: change.event, data: JSON.stringify(changeData(change)) };
}

function changeData(change: TreeChange): unknown {
  switch (change.event) {
    case 'tree.created':
      // The tree as created (the root, or an imported tree's chats, root first): the log's entry 0.
      return {
        root_chat_id: change.chats[0]?.rootChatId,
        imported: change.imported,
        chats: change.chats.map(chatJson),
      };
    case 'message.added':
      return pairJson({ ...change.pair, branches: [], feedback: null });
    case 'branch.created':
      return {
        chat: chatJson(change.chat),
        qa_pair: change.pair ? pairJson({ ...change.pair, branches: [], feedback: null }) : null,
      };
    case 'branch.activated':
      return { root_chat_id: change.rootChatId, active_chat_id: change.activeChatId };
    case 'chat.updated':
      return chatJson(change.chat);
    case 'chat.deleted':
      return { deleted_chat_ids: change.deletedChatIds };
    case 'pair.feedback':
      // set-feedback's answer, and the chat that stores the pair (every chat showing it shows the change).
      return { response_id: change.responseId, chat_id: change.chatId, feedback: feedbackJson(change.feedback) };
  }
}
