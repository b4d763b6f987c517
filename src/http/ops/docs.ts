/**
 * The API reference at /docs: Scalar's standalone browser bundle, served by this service, never from a CDN. The
 * package (`@scalar/api-reference`, an exact version) is a devDependency: `npm run build:web` copies its bundle
 * into the built web output (web/dist/docs/scalar-<version>.js, see web/vite.config.ts), which the runtime image
 * carries without the package and its ~46 dependencies. A development checkout without a build falls back to the
 * installed package. The page runs no inline script and loads nothing from another origin, under its own
 * Content-Security-Policy: /app keeps a JWT in localStorage on this origin, so no third-party script may run
 * here, and the page works offline.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

export interface Bundle {
  version: string;
  name: string;
  file: string;
}

/** Where the build puts the bundle, below the web output: `docs/scalar-<version>.js`. */
export const BUNDLE_DIR = 'docs';
const BUNDLE_RE = /^scalar-(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\.js$/;

/** The installed package's directory, or null (a production install: it is a devDependency). */
function installedPackage(): string | null {
  try {
    // The package's exports hide package.json; its main entry is dist/index.js.
    return join(dirname(createRequire(import.meta.url).resolve('@scalar/api-reference')), '..');
  } catch {
    return null;
  }
}

/**
 * The standalone (UMD) bundle, one file with no chunks loaded later: the one the build copied into `webDir`,
 * else the one of the installed package (`packageDir`, default: resolved from node_modules), else undefined.
 */
export function locateBundle(webDir: string | undefined, packageDir = installedPackage()): Bundle | undefined {
  if (webDir) {
    const dir = join(webDir, BUNDLE_DIR);
    const built = existsSync(dir) ? readdirSync(dir).filter((f) => BUNDLE_RE.test(f)) : [];
    const name = built.sort().at(-1);
    if (name) return { version: BUNDLE_RE.exec(name)![1]!, name, file: join(dir, name) };
  }
  if (packageDir) {
    const file = join(packageDir, 'dist', 'browser', 'standalone.js');
    if (!existsSync(file)) return undefined;
    const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
    return { version, name: `scalar-${version}.js`, file };
  }
  return undefined;
}

function pageHtml(scalar: Bundle): string {
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

const NOT_BUILT = 'The API reference is not built: run `npm run build:web` (npm ci does it)';

/**
 * GET /docs (the page, never cached, so a new version's asset names are picked up) and GET /docs/assets/:file
 * (the bundle under its version, the init file under its hash; both cached for a year). The bundle is looked up
 * on first use, and again while it is missing. `packageDir`: the installed package to fall back on (default:
 * resolved from node_modules; null: none).
 */
export function docsHandlers(webDir: string | undefined, packageDir?: string | null) {
  let bundle: Bundle | undefined;
  let bundleBytes: Promise<Uint8Array<ArrayBuffer>> | undefined;
  const scalar = () => {
    bundle ??= locateBundle(webDir, packageDir);
    return bundle;
  };
  const page = (c: Context<AppBindings>) => {
    const found = scalar();
    if (!found) return problemResponse(c, 404, NOT_BUILT);
    return c.body(pageHtml(found), 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': DOCS_CSP,
    });
  };
  const assets = async (c: Context<AppBindings>) => {
    const file = c.req.param('file');
    if (file === INIT_NAME) return c.body(INIT, 200, { 'Content-Type': JS, 'Cache-Control': IMMUTABLE });
    const found = scalar();
    if (!found || file !== found.name) return problemResponse(c, 404, `No file ${c.req.path}`);
    // Read on first use (4 MiB) and kept; a failed read is retried on the next request.
    bundleBytes ??= readFile(found.file).then(
      (b) => new Uint8Array(b),
      (e) => {
        bundleBytes = undefined;
        throw e;
      },
    );
    return c.body(await bundleBytes, 200, { 'Content-Type': JS, 'Cache-Control': IMMUTABLE });
  };
  return { page, assets };
}
