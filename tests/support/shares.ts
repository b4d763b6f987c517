/**
 * Calls of the share-link routes for the integration tests (tests/integration/shares.test.ts,
 * share-privacy.test.ts): the owner's through their client, the public read through a client without a token.
 */
import type { Client, Res } from './client.js';

export type Query = Record<string, string | number>;

export async function createShare(a: Client, body: Record<string, unknown>) {
  const r = await a.call('POST', '/api/v1/shares/create-share', { body });
  if (r.status !== 201) throw new Error(`create-share ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The public read, with no Authorization header, through `through` (any client: its token is not sent). */
export function readShare(through: Client, token: string, query: Query = {}): Promise<Res> {
  return through.call('GET', `/api/v1/public/shares/${encodeURIComponent(token)}`, { query, token: null });
}

/** The public read's 200 body (anything else throws). */
export async function shownShare(through: Client, token: string, query: Query = {}) {
  const r = await readShare(through, token, query);
  if (r.status !== 200) throw new Error(`public read ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export const questions = (body: any): string[] => body.qa_pairs.map((p: any) => p.question);

export function listShares(a: Client, query: Query = {}) {
  return a.call('GET', '/api/v1/shares/list-shares', { query });
}

export function revokeShare(a: Client, shareId: string) {
  return a.call('DELETE', '/api/v1/shares/delete-share', { query: { share_id: shareId } });
}

/** A problem without its request id (which differs per request): what must be identical for every dead link. */
export function sameness(r: Res) {
  const { instance: _i, ...rest } = r.body;
  return { status: r.status, type: r.headers.get('Content-Type'), body: rest };
}
