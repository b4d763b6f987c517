/**
 * The ChatGPT export format (one conversation of a data export's conversations.json), to and from a
 * TreeSnapshot.
 *
 * ChatGPT stores a conversation as a tree of MESSAGES (`mapping`: node id → {message, parent, children});
 * branchat stores a tree of CHATS, each a list of question/response pairs, a branch forking after a pair of
 * its parent. toChatGpt (export.ts) writes one; fromChatGpt (import.ts) reads ours back exactly and real
 * exports too, which hold many more node kinds (hidden system messages, tool calls and results, reasoning,
 * attachments, regenerated answers, edited questions). The shape itself is one zod schema (schema.ts): it
 * checks the import's fields, gives the types and documents the shape in openapi.json.
 *
 * Files: schema.ts (the shape), export.ts, problems.ts (problem paths, reading fields with the schema),
 * messages.ts (one message), nodes.ts (the node tree), extension.ts (the top-level `branchat` keys), kept.ts
 * (questions and answers, variants), walk.ts (pairs and chats), assemble.ts (the snapshot), import.ts.
 */
export { toChatGpt } from './export.js';
export { fromChatGpt, type ParseResult } from './import.js';
export { MAX_MESSAGES } from './nodes.js';
export { MAX_ISSUES } from './problems.js';
export {
  type BranchatChatMeta,
  BranchatChatMetaSchema,
  type BranchatConversationMeta,
  BranchatConversationMetaSchema,
  type BranchatQuestionMeta,
  BranchatQuestionMetaSchema,
  type BranchatResponseMeta,
  BranchatResponseMetaSchema,
  type ChatGptContent,
  type ChatGptConversation,
  ChatGptConversationSchema,
  type ChatGptMessage,
  type ChatGptMessageMetadata,
  ChatGptMessageSchema,
  type ChatGptNode,
  ChatGptNodeSchema,
  type ExportedConversation,
  ROOT_NODE_ID,
} from './schema.js';
