/**
 * The one schema of the ChatGPT shape (src/domain/transfer/chatgpt/schema.ts): what toChatGpt writes and the
 * hand-written real export both match it, and openapi.json documents exactly its fields.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../../../scripts/openapi-document.js';
import {
  ChatGptConversationSchema,
  ChatGptMessageSchema,
  toChatGpt,
} from '../../../src/domain/transfer/chatgpt/index.js';
import { sample } from './helpers.js';

describe('ChatGptConversationSchema', () => {
  test('every export matches it (with and without a system prompt, any active chat), and so does the fixture', () => {
    for (const s of [sample(), sample('R', null), sample('E')]) {
      const r = ChatGptConversationSchema.safeParse(JSON.parse(JSON.stringify(toChatGpt(s))));
      expect(r.error?.issues ?? []).toEqual([]);
    }
    const file = join(import.meta.dir, '..', '..', 'fixtures', 'chatgpt-conversation.json');
    const fixture = ChatGptConversationSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    expect(fixture.error?.issues ?? []).toEqual([]);
  });

  test('openapi.json documents the same fields (ChatGptConversation, ChatGptMessage)', () => {
    const schemas = (buildOpenApiDocument() as any).components.schemas;
    const documented = (name: string) => Object.keys(schemas[name].properties).sort();
    expect(documented('ChatGptConversation')).toEqual(Object.keys(ChatGptConversationSchema.shape).sort());
    expect(documented('ChatGptMessage')).toEqual(Object.keys(ChatGptMessageSchema.shape).sort());
    expect(Object.keys(schemas.ChatGptConversation.properties.branchat.properties).sort()).toEqual([
      'active_chat_id',
      'chats',
      'version',
    ]);
  });
});
