/**
 * Import: the questions and answers of a checked node tree, with the transparent nodes (system, tool, hidden,
 * message-less) taken out; and the ways each question is answered (variants).
 */
import { SYSTEM_PROMPT_MAX } from '../../limits.js';
import type { Message } from './messages.js';
import type { RawNode } from './nodes.js';
import { checkText, type Scope } from './problems.js';

/** A question or answer node, with its kept descendants attached through transparent nodes. */
export interface Kept {
  id: string;
  message: Message;
  children: Kept[];
}

/**
 * One way a question is answered: a chain of consecutive answers (merged into one response; empty when the
 * question is unanswered) ending at `end`, and the questions that follow it.
 */
export interface Variant {
  answers: Kept[];
  end: Kept;
  next: Kept[];
}

/**
 * Every variant of a question, in node order. A question with several answers (regenerations) has one
 * variant per answer; an answer followed by another answer extends the chain; an answer (or the question)
 * followed by questions ends a variant there.
 */
export function variantsOf(question: Kept): Variant[] {
  interface Chain {
    node: Kept;
    previous: Chain | null;
  }
  const answersOf = (c: Chain | null) => {
    const out: Kept[] = [];
    for (let at = c; at !== null; at = at.previous) out.push(at.node);
    return out.reverse();
  };
  const out: Variant[] = [];
  // Depth first, node order kept: a task either ends a variant at its chain's last node, or expands it.
  const tasks: { chain: Chain | null; end: boolean }[] = [{ chain: null, end: false }];
  for (let task = tasks.pop(); task; task = tasks.pop()) {
    const last = task.chain?.node ?? question;
    if (task.end) {
      const next = last.children.filter((k) => k.message.kind === 'question');
      out.push({ answers: answersOf(task.chain), end: last, next });
      continue;
    }
    const sub: { chain: Chain | null; end: boolean }[] = [];
    let ended = false;
    for (const k of last.children) {
      if (k.message.kind === 'answer') sub.push({ chain: { node: k, previous: task.chain }, end: false });
      else if (!ended) {
        sub.push({ chain: task.chain, end: true });
        ended = true;
      }
    }
    if (sub.length === 0) sub.push({ chain: task.chain, end: true });
    for (let i = sub.length - 1; i >= 0; i--) tasks.push(sub[i] as (typeof sub)[number]);
  }
  return out;
}

/**
 * Questions and answers attached to their nearest kept ancestor (in node order), through transparent
 * nodes; also the first system message with text, in node order.
 */
export function keepTree(nodes: Map<string, RawNode>, rootNode: string, sc: Scope) {
  const top: Kept[] = [];
  let firstSystem: string | null = null;
  const stack: { id: string; above: Kept | null; asked: boolean }[] = [{ id: rootNode, above: null, asked: false }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const n = nodes.get(item.id) as RawNode;
    const m = n.message;
    let { above, asked } = item;
    if (m && (m.kind === 'question' || m.kind === 'answer')) {
      if (m.kind === 'answer' && !asked) sc.issue(`mapping.${n.id}.message`, 'is an answer with no question before it');
      const kept: Kept = { id: n.id, message: m, children: [] };
      (above ? above.children : top).push(kept);
      above = kept;
      asked ||= m.kind === 'question';
    } else if (m?.kind === 'system' && m.text !== '' && firstSystem === null) firstSystem = n.id;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push({ id: n.children[i] as string, above, asked });
  }
  return { top, firstSystem };
}

/** The first non-empty system message on the current path; without a current_node, the first in node order. */
export function systemPromptOf(
  nodes: Map<string, RawNode>,
  ancestry: string[] | null,
  firstSystem: string | null,
  sc: Scope,
): string | null {
  const hasPrompt = (id: string) => nodes.get(id)?.message?.kind === 'system' && nodes.get(id)?.message?.text !== '';
  const id = ancestry === null ? firstSystem : (ancestry.find(hasPrompt) ?? null);
  if (id === null) return null;
  const text = nodes.get(id)?.message?.text ?? '';
  checkText(text, SYSTEM_PROMPT_MAX, `mapping.${id}.message.content`, 'the system prompt', sc);
  return text;
}
