/**
 * Malformed input in the `branchat` extension keys: a malformed extension, one disagreeing with the messages,
 * malformed pair metadata.
 */
import { describe, expect, test } from 'bun:test';
import { toChatGpt } from '../../../src/domain/transfer/chatgpt/index.js';
import { errorsOf, message, pathsOf, type RawConversation, sample } from './helpers.js';

describe('fromChatGpt: malformed input → every problem, with its path', () => {
  describe('the extension', () => {
    const exported = () => JSON.parse(JSON.stringify(toChatGpt(sample()))) as RawConversation;
    const ext = (c: RawConversation) =>
      c.branchat as { version: unknown; active_chat_id: unknown; chats: Record<string, unknown>[] };

    test('a malformed top-level extension', () => {
      const c = exported();
      ext(c).version = 2;
      ext(c).active_chat_id = 'nope';
      (ext(c).chats[0] as Record<string, unknown>).fork_response_id = 'r1'; // the root
      Object.assign(ext(c).chats[1] as object, { name: '', created_at: 'yesterday' });
      (ext(c).chats[2] as Record<string, unknown>).parent_chat_id = 'ghost';
      expect(pathsOf(c)).toEqual([
        'branchat.version',
        'branchat.chats[0].fork_response_id',
        'branchat.chats[1].name',
        'branchat.chats[1].created_at',
        'branchat.chats[2].parent_chat_id',
        'branchat.active_chat_id',
      ]);
      expect(pathsOf({ ...exported(), branchat: { version: 1, active_chat_id: 'R', chats: [] } })).toEqual([
        'branchat.chats',
      ]);
      expect(pathsOf({ ...exported(), branchat: 'yes' })).toEqual(['branchat']);
    });

    test('the extension disagreeing with the messages', () => {
      const c = exported();
      (ext(c).chats[1] as Record<string, unknown>).fork_response_id = 'r2'; // B forks after r1
      (ext(c).chats[4] as Record<string, unknown>).fork_response_id = 'b1'; // E (empty) claims a pair of B
      expect(pathsOf(c)).toEqual(['branchat.chats[1].fork_response_id', 'branchat.chats[4].fork_response_id']);

      const parent = exported();
      (ext(parent).chats[2] as Record<string, unknown>).parent_chat_id = 'R'; // C is a branch of B
      expect(errorsOf(parent)).toEqual([
        { path: 'branchat.chats[2].parent_chat_id', message: 'is "R", but the messages make it "B"' },
      ]);

      const twice = exported();
      message(twice, 'q-b1').metadata = { branchat: { chat_id: 'R', type: 'text' } }; // a second continuation of R
      // … and C, below it, cannot be placed.
      expect(pathsOf(twice)).toEqual([
        'mapping.q-b1.message.metadata.branchat.chat_id',
        'branchat.chats[2].fork_response_id',
      ]);

      const unlisted = exported();
      message(unlisted, 'q-c1').metadata = { branchat: { chat_id: 'Z', type: 'text' } };
      ext(unlisted).active_chat_id = 'B';
      expect(pathsOf(unlisted)).toEqual(['mapping.q-c1.message.metadata.branchat.chat_id']);

      // A well-formed list naming another root: the first question's chat would be a start fork, unlisted.
      const wrongRoot = exported();
      for (const c of ext(wrongRoot).chats) {
        if (c.chat_id === 'R') c.chat_id = 'R2';
        if (c.parent_chat_id === 'R') c.parent_chat_id = 'R2';
      }
      const errors = errorsOf(wrongRoot);
      expect(errors).toContainEqual({
        path: 'mapping.q-r1.message.metadata.branchat.chat_id',
        message: 'names chat "R", which branchat.chats does not list',
      });
    });

    test('malformed pair metadata: type, language, url, counts, model_slug', () => {
      const c = exported();
      message(c, 'q-r1').metadata = { branchat: { chat_id: 'R', type: 'image' } };
      message(c, 'q-r2').metadata = { branchat: { chat_id: 'R', type: 'code', language: 'C++ 20' } };
      message(c, 'q-r3').metadata = { branchat: { chat_id: 'R', type: 'link', url: 'ftp://example.org/x' } };
      message(c, 'q-b1').metadata = { branchat: { chat_id: 'B', type: 'text', language: 'ts' } };
      message(c, 'b1').metadata = { model_slug: 5, branchat: { chat_id: 'B', prompt_tokens: -1, latency_ms: 1.5 } };
      expect(pathsOf(c)).toEqual([
        'mapping.q-r1.message.metadata.branchat.type',
        'mapping.q-r2.message.metadata.branchat.language',
        'mapping.q-r3.message.metadata.branchat.url',
        'mapping.q-b1.message.metadata.branchat.language',
        'mapping.b1.message.metadata.model_slug',
        'mapping.b1.message.metadata.branchat.prompt_tokens',
        'mapping.b1.message.metadata.branchat.latency_ms',
      ]);
    });
  });
});
