/**
 * Problems (RFC 9457) and network failures in plain sentences, for people rather than developers: one message for
 * the whole action, and one per field the API named (`errors[].path`), to show beside that field.
 */
import { ApiError } from './api';

export interface Described {
  /** One sentence about what went wrong and what to do. */
  message: string;
  /** Per field (the API's path, e.g. `password`, `question`): a sentence to show next to it. */
  fields: Record<string, string>;
  /** The request never reached the server (offline, server down): worth retrying by itself. */
  offline: boolean;
}

const FIELD_NAMES: Record<string, string> = {
  email: 'Email',
  password: 'Password',
  question: 'Your message',
  response: 'The answer',
  name: 'The name',
  comment: 'The comment',
  q: 'The search',
};

/** A validation message of the API (zod's wording) as a short sentence about the field. */
function fieldSentence(path: string, message: string): string {
  const field = FIELD_NAMES[path.split('.').at(-1) ?? path] ?? 'This field';
  const min = /(?:>=|at least)\s*(\d+)\s*character/i.exec(message);
  if (min) return `${field} needs at least ${min[1]} characters.`;
  const max = /(?:<=|at most)\s*(\d+)\s*character/i.exec(message);
  if (max) return `${field} can have at most ${max[1]} characters.`;
  if (/email/i.test(message)) return 'Enter an email address such as ada@example.com.';
  if (/required|undefined/i.test(message)) return `${field} is required.`;
  if (/blank|empty|white ?space/i.test(message)) return `${field} cannot be empty.`;
  return `${field}: ${message.charAt(0).toLowerCase()}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`;
}

function seconds(detail: string): string {
  const n = /(\d+)\s*s\b/.exec(detail)?.[1];
  return n ? ` in ${n} seconds` : ' in a moment';
}

export function describe(err: unknown, context: { notFound?: string } = {}): Described {
  if (!(err instanceof ApiError)) {
    if (err instanceof DOMException && err.name === 'AbortError') {
      return { message: 'Stopped.', fields: {}, offline: false };
    }
    const offline = err instanceof TypeError || (typeof navigator !== 'undefined' && navigator.onLine === false);
    return offline
      ? { message: 'Can’t reach branchat. Check your connection; trying again…', fields: {}, offline: true }
      : { message: 'Something went wrong. Please try again.', fields: {}, offline: false };
  }
  const p = err.problem;
  const fields: Record<string, string> = {};
  for (const e of p.errors ?? []) fields[e.path] = fieldSentence(e.path, e.message);
  const first = Object.values(fields)[0];
  const message = (() => {
    switch (p.status) {
      case 400:
        return 'That request could not be read. Please try again.';
      case 401:
        return p.detail.toLowerCase().includes('password')
          ? 'That email and password do not match.'
          : 'Your session has ended. Please sign in again.';
      case 404:
        return context.notFound ?? 'This no longer exists. It may have been deleted.';
      case 409:
        return /email/i.test(p.detail)
          ? 'An account with this email already exists. Sign in instead.'
          : 'The same request is still running. Wait a moment.';
      case 412:
        return 'This changed in the meantime. Reload it and try again.';
      case 413:
        return 'That is too large to send.';
      case 422:
        return first ?? 'Please check what you entered.';
      case 429:
        return `Too many requests. Try again${seconds(p.detail)}.`;
      case 502:
        return 'The model could not answer. Try again.';
      case 504:
        return 'The model took too long to answer. Try again.';
      case 503:
        return 'branchat is busy or cannot reach its database. Try again in a moment.';
      default:
        return p.status >= 500
          ? 'Something went wrong on the server. Please try again.'
          : 'Something went wrong. Please try again.';
    }
  })();
  return { message, fields, offline: false };
}
