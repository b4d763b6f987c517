import { localTitle } from '../domain/chats/titles.js';
import type { Responder, ResponderChunk, ResponderRequest, TitleRequest } from '../domain/ports.js';

/** The model name recorded on the local responder's pairs. */
export const LOCAL_MODEL = 'branchat-local';

/** The local responder's answer to a question (deterministic: the same question, the same answer). */
export function localAnswer(question: string): string {
  const q = question.trim();
  // Cut on whole code points: half a surrogate pair would not survive storage.
  const points = Array.from(q);
  const quoted = points.length > 200 ? `${points.slice(0, 200).join('')}…` : q;
  return `You asked: "${quoted}". This is branchat's local responder; plug in a model to get real answers.`;
}

/**
 * The default responder: local and deterministic (no network), so the service works out of the box and
 * tests can predict answers. It streams its answer word by word, like a model would.
 */
export class LocalResponder implements Responder {
  readonly model = LOCAL_MODEL;

  async start(request: ResponderRequest): Promise<AsyncIterable<ResponderChunk>> {
    const question = request.messages[request.messages.length - 1]?.content ?? '';
    const words = localAnswer(question).split(/(?<= )/);
    return (async function* () {
      for (const text of words) yield { kind: 'delta' as const, text };
    })();
  }

  /** The question's first words (domain/chats/titles.ts): the same question, the same title. */
  async proposeTitle(request: TitleRequest): Promise<string> {
    return localTitle(request.question);
  }
}
