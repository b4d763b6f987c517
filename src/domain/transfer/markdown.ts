/** A chat's visible history as Markdown: for reading, sharing and pasting elsewhere (export only). */
import { type ChatRecord, isStartFork, type PairRecord } from '../model.js';

const stamp = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** A fence longer than any backtick run in the text, so code containing ``` stays inside its block. */
function fenced(text: string, language: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}

export function historyMarkdown(chat: ChatRecord, pairs: PairRecord[], exportedAt: Date): string {
  const lines: string[] = [`# ${chat.name.replace(/\s+/g, ' ')}`, ''];
  // A start fork's history is its own: it asks the conversation's first question differently.
  const kind = isStartFork(chat)
    ? 'a branch from the start of the conversation (its first question asked differently)'
    : chat.chatType === 'branch'
      ? 'a branch'
      : 'a conversation';
  lines.push(`*Exported from branchat on ${stamp(exportedAt)}: ${kind}, ${pairs.length} question(s) and answer(s).*`);
  lines.push('');
  if (chat.systemPrompt) {
    lines.push('**System prompt**', '', ...chat.systemPrompt.split('\n').map((l) => `> ${l}`), '');
  }
  for (const p of pairs) {
    lines.push('---', '', `**You** · ${stamp(p.timestamp)}`, '', p.question, '');
    const who = p.generation ? `**Assistant** (${p.generation.model})` : '**Assistant**';
    lines.push(who, '');
    if (p.type === 'code') lines.push(fenced(p.response, p.language ?? ''));
    else lines.push(p.response === '' ? '*(no answer)*' : p.response);
    if (p.type === 'link' && p.url) lines.push('', `<${p.url}>`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
