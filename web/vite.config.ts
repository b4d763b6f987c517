import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The API reference's bundle (/docs, src/http/ops/docs.ts), copied from the @scalar/api-reference devDependency
 * into the output as docs/scalar-<version>.js: the runtime needs neither the package nor its dependencies.
 */
function scalarBundle(): Plugin {
  return {
    name: 'branchat-scalar-bundle',
    apply: 'build',
    generateBundle() {
      const main = createRequire(join(import.meta.dirname, 'vite.config.ts')).resolve('@scalar/api-reference');
      const dir = join(dirname(main), '..');
      const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
      const source = readFileSync(join(dir, 'dist', 'browser', 'standalone.js'));
      this.emitFile({ type: 'asset', fileName: `docs/scalar-${version}.js`, source });
    },
  };
}

// Built into web/dist and served by the API at /app (npm run build:web). `npm run dev:web` serves it with
// hot reload and proxies the API (and its WebSocket) to a service on :3000 (`npm start`).
export default defineConfig({
  root: import.meta.dirname,
  base: '/app/',
  plugins: [react(), scalarBundle()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    port: 5173,
    proxy: { '/api': { target: process.env.BRANCHAT_API ?? 'http://localhost:3000', ws: true } },
  },
});
