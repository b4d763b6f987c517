/**
 * Opaque keyset cursors of the listings that page by (time, id): list-chats and list-shares. A cursor is base64url
 * JSON `[epoch ms, uuid, ...extra]`; anything else, or a time no listing can show, is a 422 on `cursor`.
 */
import { ValidationError } from './errors.js';
import { MAX_TIME_MS, MIN_TIME_MS } from './model.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeTimeIdCursor(at: Date, id: string, ...extra: unknown[]): string {
  return Buffer.from(JSON.stringify([at.getTime(), id, ...extra])).toString('base64url');
}

/**
 * The time, the (lowercased) id and the extra elements of a cursor `issuer` gave out; `extraOk` says whether the
 * elements after the id are ones it issues (default: none).
 */
export function decodeTimeIdCursor(
  raw: string,
  issuer: string,
  extraOk: (extra: unknown[]) => boolean = (extra) => extra.length === 0,
): { at: Date; id: string; extra: unknown[] } {
  const bad = () =>
    new ValidationError('Invalid cursor', [{ path: 'cursor', message: `not a cursor issued by ${issuer}` }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length < 2 ||
    !extraOk(parsed.slice(2)) ||
    typeof parsed[0] !== 'number' ||
    !Number.isSafeInteger(parsed[0]) ||
    // Any time a listing can show (a row outside the stored-time window reads clamped to years 1..9999).
    parsed[0] < MIN_TIME_MS ||
    parsed[0] > MAX_TIME_MS ||
    typeof parsed[1] !== 'string' ||
    !UUID_RE.test(parsed[1])
  ) {
    throw bad();
  }
  return { at: new Date(parsed[0]), id: parsed[1].toLowerCase(), extra: parsed.slice(2) };
}
