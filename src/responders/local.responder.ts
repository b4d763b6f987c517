import type { Responder } from '../domain/ports.js';

/**
 * The default responder: local and deterministic (no network), so the service works out of the box
 * and tests can predict answers. The same question always gets the same answer.
 */
export class LocalResponder implements Responder {
  async respond(input: { question: string }): Promise<string> {
    const q = input.question.trim();
    // Cut on whole code points: half a surrogate pair would not survive storage.
    const points = Array.from(q);
    const quoted = points.length > 200 ? `${points.slice(0, 200).join('')}…` : q;
    return `You asked: "${quoted}". This is branchat's local responder; plug in a model to get real answers.`;
  }
}
