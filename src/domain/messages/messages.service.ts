/** Appending a question/response pair to a chat's own history. */

import type { PairView } from '../chats/chats.service.js';
import { requireChat } from '../chats/chats.service.js';
import type { Ctx } from '../context.js';
import type { AppendSlot } from '../ports.js';

export interface NewPairInput {
  question: string;
  /** Absent → the responder answers; "" is stored as an empty answer. */
  response?: string;
}

/** Builds the content write for a slot: the pair is stored before its metadata commits. */
export function pairWriter(ctx: Ctx, input: { question: string; response: string; responseId: string }) {
  let written: PairView | null = null;
  const write = async (slot: AppendSlot) => {
    const pair = {
      responseId: input.responseId,
      chatId: slot.chat.chatId,
      accountId: ctx.accountId,
      seq: slot.seq,
      question: input.question,
      response: input.response,
      type: 'text' as const,
      timestamp: slot.now,
    };
    await ctx.deps.content.append(pair);
    written = { ...pair, branches: [] };
  };
  return {
    write,
    result(): PairView {
      if (!written) throw new Error('pair was not written');
      return written;
    },
  };
}

export async function resolveResponse(ctx: Ctx, chatId: string, input: NewPairInput): Promise<string> {
  if (input.response !== undefined) return input.response;
  return ctx.deps.responder.respond({ chatId, question: input.question });
}

export async function addMessage(ctx: Ctx, input: NewPairInput & { chatId: string }): Promise<PairView> {
  // Before asking the responder, make sure the chat is there (appendPair checks again under the lock).
  if (input.response === undefined) await requireChat(ctx, input.chatId);
  const response = await resolveResponse(ctx, input.chatId, input);
  const writer = pairWriter(ctx, { question: input.question, response, responseId: ctx.deps.newId() });
  await ctx.deps.meta.appendPair(ctx.accountId, input.chatId, writer.write);
  return writer.result();
}
