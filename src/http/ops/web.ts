/**
 * The demo web app (web/, built by `npm run build:web` into web/dist) under /app: static files, and
 * index.html for every other path below /app (client-side routes). Hashed assets are cached for a year,
 * index.html never. A strict Content-Security-Policy: the app only talks to this origin (HTTP and its
 * WebSocket) and runs no inline script.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Context } from 'hono';
import type { AppBindings } from '../app-types.js';
import { problemResponse } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export function webApp(dir: string) {
  const root = resolve(dir);
  return async (c: Context<AppBindings>) => {
    if (c.req.path === '/app') return c.redirect('/app/', 301);
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(c.req.path.slice('/app/'.length)) || 'index.html');
    } catch {
      return problemResponse(c, 404, `No route for GET ${c.req.path}`); // malformed percent-encoding
    }
    let file = join(root, rel);
    if (!file.startsWith(root + sep)) return problemResponse(c, 404, `No route for GET ${c.req.path}`);
    if (!(await isFile(file))) {
      // A missing asset is a 404; anything else is a client-side route of the app.
      if (extname(rel) !== '') return problemResponse(c, 404, `No file ${c.req.path}`);
      file = join(root, 'index.html');
      if (!(await isFile(file))) {
        return problemResponse(c, 404, 'The demo app is not built: run `npm run build:web` (npm ci does it)');
      }
    }
    const immutable = file.startsWith(join(root, 'assets') + sep);
    return c.body(new Uint8Array(await readFile(file)), 200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'Content-Security-Policy': CSP,
    });
  };
}
