/** Appending a question/response pair to a chat's own history. */

import type { PairView } from '../chats/chats.service.js';
import { requireChat } from '../chats/chats.service.js';
import { titleLater } from '../chats/titles.js';
import type { Ctx } from '../context.js';
import { CancelledError, UnavailableError } from '../errors.js';
import { givenAnswer, type PendingAnswer, prepareAnswer } from '../generation/generate.js';
import { type ChatRecord, type Generation, kindFields, type PairKind } from '../model.js';
import type { AppendSlot } from '../ports.js';

export interface NewPairInput {
  question: string;
  /** Absent → the responder answers; "" is stored as an empty answer. */
  response?: string;
  /** Absent → text. */
  kind?: PairKind;
}

/**
 * Builds the content write for a slot. Order of the dual write: content first (under the tree lock, with
 * the slot's fencing token), then the metadata commit that makes it visible. If the transaction certainly
 * rolled back after the content write, `commit()` removes the now-orphaned content (best effort: what it
 * misses is invisible, replaced by the next write at that slot, and swept by the reconciler).
 */
function pairWriter(
  ctx: Ctx,
  input: { question: string; response: string; responseId: string; kind?: PairKind; generation: Generation | null },
) {
  let written: { view: PairView; fence: number } | null = null;
  const write = async (slot: AppendSlot) => {
    const pair = {
      responseId: input.responseId,
      chatId: slot.chat.chatId,
      accountId: ctx.accountId,
      seq: slot.seq,
      question: input.question,
      response: input.response,
      ...kindFields(input.kind ?? { type: 'text' }),
      timestamp: slot.now,
      generation: input.generation,
    };
    await ctx.deps.content.append(pair, slot.fence);
    written = { view: { ...pair, branches: [], feedback: null }, fence: slot.fence };
  };
  return {
    write,
    /** Runs the metadata commit that makes the pair visible; on failure, removes what was written. */
    async commit<T>(run: (write: (slot: AppendSlot) => Promise<void>) => Promise<T>): Promise<T> {
      try {
        return await run(write);
      } catch (e) {
        const w = written as { view: PairView; fence: number } | null;
        // A lost connection leaves it open whether COMMIT went through: then the content stays (invisible if
        // the commit failed) and the reconciler, which reads the committed own_count, decides later.
        if (w && !ctx.deps.content.atomicWithMetadata && !(e instanceof UnavailableError)) {
          await ctx.deps.content.removeSlot(w.view.accountId, w.view.chatId, w.view.seq, w.fence).catch(() => {});
        }
        throw e;
      }
    },
    result(): PairView {
      if (!written) throw new Error('pair was not written');
      return written.view;
    },
  };
}

/** The stored pair and the chat it was appended to, as committed. */
export interface AddedPair {
  pair: PairView;
  chat: ChatRecord;
}

/**
 * A write that waits for its response: `run` receives the answer (passing each piece of text to `onDelta`)
 * and stores the pair once it is complete. Nothing is stored if the answer fails or the client goes away.
 */
export interface PendingWrite<T> {
  run(onDelta?: (text: string) => void): Promise<T>;
}

/**
 * Receives the answer (each piece of text to `onDelta`) and, if the client still waits for it, stores the pair
 * through `commit` (the metadata write that runs the content write under the tree lock, and announces the pair
 * that `written` returns once the content write ran). Both writes that add a pair (add-message, create-branch
 * with a question) end here.
 */
export async function storeAnswer<T>(
  ctx: Ctx,
  answer: PendingAnswer,
  pair: { question: string; kind?: PairKind },
  signal: AbortSignal | undefined,
  onDelta: ((text: string) => void) | undefined,
  commit: (write: (slot: AppendSlot) => Promise<void>, written: () => PairView) => Promise<T>,
): Promise<{ committed: T; pair: PairView }> {
  const { text, generation } = await answer.run(onDelta);
  ensureWanted(signal);
  const writer = pairWriter(ctx, {
    question: pair.question,
    response: text,
    responseId: ctx.deps.newId(),
    kind: pair.kind,
    generation,
  });
  const committed = await writer.commit((write) => commit(write, () => writer.result()));
  return { committed, pair: writer.result() };
}

/** Throws if the client has gone away: an answer nobody waits for is not stored. */
export function ensureWanted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new CancelledError('The client went away before the answer was stored; nothing was stored');
}

/**
 * Checks the chat, builds the model's context from its visible history and starts the answer (a refusal
 * or timeout of the model is thrown here, before anything is streamed).
 */
export async function startAddMessage(
  ctx: Ctx,
  input: NewPairInput & { chatId: string },
  signal?: AbortSignal,
): Promise<PendingWrite<AddedPair>> {
  // Before asking the responder, make sure the chat is there (appendPair checks again under the lock).
  const answer =
    input.response === undefined
      ? await prepareAnswer(ctx, await requireChat(ctx, input.chatId), input.question, signal)
      : givenAnswer(input.response);
  return {
    async run(onDelta) {
      const { committed, pair } = await storeAnswer(ctx, answer, input, signal, onDelta, (write, written) =>
        ctx.deps.meta.appendPair(ctx.accountId, input.chatId, write, () => [
          { event: 'message.added', pair: written() },
        ]),
      );
      // A conversation still called by its default name gets a title, after this answer (not awaited).
      titleLater(ctx, committed.chat, pair);
      return { pair, chat: committed.chat };
    },
  };
}

/** Adds a pair; a `signal` that aborts (the client went away) cancels a generated answer and stores nothing. */
export async function addMessage(
  ctx: Ctx,
  input: NewPairInput & { chatId: string },
  signal?: AbortSignal,
): Promise<AddedPair> {
  return (await startAddMessage(ctx, input, signal)).run();
}
