/**
 * First contact: what `GET /` and `GET /favicon.ico` answer, so that opening http://localhost:3000 in a browser,
 * or curling it, leads somewhere instead of to a 404.
 *
 * - `GET /` from a browser (Accept prefers text/html): 302 to the demo app (/app/), or to the API reference
 *   (/docs) where the app is not served. Anything else (`Accept: application/json`, curl's any-type default, no
 *   Accept): 200 JSON naming the entry points. `Vary: Accept` either way.
 * - `GET /favicon.ico`: a small icon (16×16 and 32×32, a branching tree), drawn here at first request: no binary
 *   file in the repository or the image.
 */
import type { Context } from 'hono';
import { accepts } from 'hono/accepts';
import type { AppBindings } from '../app-types.js';

export interface EntryPointOptions {
  /** The demo app is served at /app (WEB_DIR). */
  app: boolean;
  /** /metrics is mounted (its access rules still apply: loopback or METRICS_TOKEN). */
  metrics: boolean;
}

export interface EntryPoint {
  href: string;
  title: string;
}

/** The entry points of this service, as `GET /` lists them (only those mounted). */
export function entryPoints(options: EntryPointOptions): Record<string, EntryPoint> {
  const links: Record<string, EntryPoint> = {};
  if (options.app) links.app = { href: '/app/', title: 'the demo app (sign up, chat, fork, the tree, search)' };
  links.docs = { href: '/docs', title: 'the API reference' };
  links.openapi = { href: '/openapi.json', title: 'the OpenAPI 3.1 document' };
  links.api = { href: '/api/v1', title: 'the REST API (Bearer token from /api/v1/auth/register or login)' };
  links.health = { href: '/healthz', title: 'liveness' };
  links.ready = { href: '/readyz', title: 'readiness (the databases answer)' };
  if (options.metrics) links.metrics = { href: '/metrics', title: 'Prometheus metrics (loopback or METRICS_TOKEN)' };
  return links;
}

/** GET / */
export function home(options: EntryPointOptions) {
  const links = entryPoints(options);
  const body = JSON.stringify({
    service: 'branchat',
    description: 'A chat backend where any conversation can branch from any message.',
    links,
  });
  const browserTarget = options.app ? '/app/' : '/docs';
  return (c: Context<AppBindings>) => {
    c.header('Vary', 'Accept');
    const type = accepts(c, {
      header: 'Accept',
      supports: ['application/json', 'text/html'],
      default: 'application/json',
    });
    if (type === 'text/html') return c.redirect(browserTarget, 302);
    return c.body(body, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  };
}

// ---- the icon ------------------------------------------------------------------------------------------

/** The drawing in a unit square: a rounded tile, and a trunk with one branch, three nodes. */
const TILE = [79, 70, 229] as const; // indigo
const INK = [255, 255, 255] as const;
const NODES: [number, number][] = [
  [0.36, 0.8], // the root (bottom)
  [0.36, 0.22], // the main line
  [0.7, 0.36], // the branch
];
const FORK: [number, number] = [0.36, 0.6];
const SEGMENTS: [[number, number], [number, number]][] = [
  [NODES[0]!, NODES[1]!],
  [FORK, NODES[2]!],
];

function distanceToSegment(px: number, py: number, [ax, ay]: [number, number], [bx, by]: [number, number]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Coverage of the tile and of the ink at a point of the unit square. */
function sample(x: number, y: number): { tile: boolean; ink: boolean } {
  const r = 0.2; // corner radius
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  const tile = Math.hypot(x - cx, y - cy) <= r;
  const ink =
    SEGMENTS.some(([a, b]) => distanceToSegment(x, y, a, b) <= 0.055) ||
    NODES.some(([nx, ny]) => Math.hypot(x - nx, y - ny) <= 0.1);
  return { tile, ink: tile && ink };
}

/** `size`×`size` BGRA pixels, top row first, 4×4 supersampled. */
function draw(size: number): Uint8Array {
  const px = new Uint8Array(size * size * 4);
  const n = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let tile = 0;
      let ink = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const s = sample((x + (sx + 0.5) / n) / size, (y + (sy + 0.5) / n) / size);
          if (s.tile) tile++;
          if (s.ink) ink++;
        }
      }
      const alpha = tile / (n * n);
      const mix = tile === 0 ? 0 : ink / tile;
      const rgb = TILE.map((c, i) => Math.round(c + (INK[i]! - c) * mix));
      const o = (y * size + x) * 4;
      px[o] = rgb[2]!;
      px[o + 1] = rgb[1]!;
      px[o + 2] = rgb[0]!;
      px[o + 3] = Math.round(alpha * 255);
    }
  }
  return px;
}

/** One ICO image: BITMAPINFOHEADER, 32-bit BGRA rows bottom-up, then an all-zero AND mask (alpha is used). */
function bitmap(size: number): Uint8Array {
  const pixels = draw(size);
  const maskRow = Math.ceil(size / 32) * 4;
  const out = new Uint8Array(40 + pixels.length + maskRow * size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 40, true); // header size
  v.setInt32(4, size, true);
  v.setInt32(8, size * 2, true); // the XOR image and the AND mask
  v.setUint16(12, 1, true); // planes
  v.setUint16(14, 32, true); // bits per pixel
  v.setUint32(20, pixels.length + maskRow * size, true);
  const row = size * 4;
  for (let y = 0; y < size; y++) out.set(pixels.subarray(y * row, (y + 1) * row), 40 + (size - 1 - y) * row);
  return out;
}

/** An .ico file holding the icon at each of `sizes`. */
export function drawIcon(sizes: readonly number[] = [16, 32]): Uint8Array<ArrayBuffer> {
  const images = sizes.map(bitmap);
  const total = 6 + 16 * sizes.length + images.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint16(2, 1, true); // type: icon
  v.setUint16(4, sizes.length, true);
  let offset = 6 + 16 * sizes.length;
  sizes.forEach((size, i) => {
    const e = 6 + 16 * i;
    out[e] = size % 256; // 0 means 256
    out[e + 1] = size % 256;
    v.setUint16(e + 4, 1, true); // planes
    v.setUint16(e + 6, 32, true); // bits per pixel
    v.setUint32(e + 8, images[i]!.length, true);
    v.setUint32(e + 12, offset, true);
    out.set(images[i]!, offset);
    offset += images[i]!.length;
  });
  return out;
}

let icon: Uint8Array<ArrayBuffer> | undefined;

/** GET /favicon.ico */
export function favicon() {
  return (c: Context<AppBindings>) => {
    icon ??= drawIcon();
    return c.body(icon, 200, { 'Content-Type': 'image/x-icon', 'Cache-Control': 'public, max-age=86400' });
  };
}
