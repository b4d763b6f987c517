/**
 * The API reference at /docs: Scalar's standalone browser bundle, served by this service from the pinned npm
 * package (`@scalar/api-reference`, an exact version in dependencies), never from a CDN. The page runs no
 * inline script and loads nothing from another origin, under its own Content-Security-Policy: /app keeps a
 * JWT in localStorage on this origin, so no third-party script may run here, and the page works offline.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Context } from 'hono';
import type { AppBindings } from '../app-types.js';
import { problemResponse } from '../errors.js';

/**
 * Scripts only from this origin (the bundle and the small init file: no inline script, no eval). Styles allow
 * 'unsafe-inline' because the bundle injects its stylesheet and CodeMirror's at run time, without a nonce;
 * styles cannot run code. No fonts from elsewhere (the default fonts are switched off), no workers, no frames,
 * and requests ("Test Request", the OpenAPI document) only to this origin.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "font-src 'self' data:; connect-src 'self'; worker-src 'none'; frame-src 'none'; object-src 'none'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Options of Scalar's createApiReference: nothing that reaches another origin. */
const CONFIG = {
  url: '/openapi.json',
  // Otherwise the page loads Inter and JetBrains Mono from fonts.scalar.com.
  withDefaultFonts: false,
  telemetry: false,
  // The AI agent, the MCP button and the developer toolbar talk to scalar.com (shown on localhost by default).
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: 'never',
  // "Open API Client" opens client.scalar.com with this server's document URL: a link out, so it is hidden.
  hideClientButton: true,
};

/**
 * Loaded before the bundle. The zod inside it probes for eval with `Function('')` (its JIT), which this CSP
 * refuses and reports as a violation; `jitless` in zod 4's global config (what `z.config({ jitless: true })`
 * sets; zod keeps it on globalThis, shared by every copy) skips the probe, with the same results. The reference
 * mounts once every script has run.
 */
const INIT = `globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig ?? {}, { jitless: true });
document.addEventListener('DOMContentLoaded', () => Scalar.createApiReference('#app', ${JSON.stringify(CONFIG)}));
`;
const INIT_NAME = `init-${createHash('sha256').update(INIT).digest('hex').slice(0, 12)}.js`;

interface Bundle {
  version: string;
  name: string;
  file: string;
}

let bundle: Bundle | undefined;
let bundleBytes: Promise<Uint8Array<ArrayBuffer>> | undefined;

/** The installed package's standalone (UMD) bundle: one file, no chunks loaded later. Resolved once. */
function scalarBundle(): Bundle {
  if (!bundle) {
    // The package's exports hide package.json; its main entry is dist/index.js.
    const main = createRequire(import.meta.url).resolve('@scalar/api-reference');
    const dir = join(dirname(main), '..');
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    bundle = { version, name: `scalar-${version}.js`, file: join(dir, 'dist', 'browser', 'standalone.js') };
  }
  return bundle;
}

function page(scalar: Bundle): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>branchat API</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="/docs/assets/${INIT_NAME}"></script>
    <script src="/docs/assets/${scalar.name}"></script>
  </body>
</html>
`;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const JS = 'text/javascript; charset=utf-8';

/** GET /docs: the page (never cached, so a new version's asset names are picked up). */
export function docsPage() {
  return (c: Context<AppBindings>) =>
    c.body(page(scalarBundle()), 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': DOCS_CSP,
    });
}

/** GET /docs/assets/:file: the bundle under its version, the init file under its hash; both cached for a year. */
export function docsAssets() {
  return async (c: Context<AppBindings>) => {
    const file = c.req.param('file');
    const scalar = scalarBundle();
    if (file === INIT_NAME) return c.body(INIT, 200, { 'Content-Type': JS, 'Cache-Control': IMMUTABLE });
    if (file !== scalar.name) return problemResponse(c, 404, `No file ${c.req.path}`);
    // Read on first use (4 MiB) and kept; a failed read is retried on the next request.
    bundleBytes ??= readFile(scalar.file).then(
      (b) => new Uint8Array(b),
      (e) => {
        bundleBytes = undefined;
        throw e;
      },
    );
    return c.body(await bundleBytes, 200, { 'Content-Type': JS, 'Cache-Control': IMMUTABLE });
  };
}
