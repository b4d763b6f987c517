import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into web/dist and served by the API at /app (npm run build:web). `npm run dev:web` serves it with
// hot reload and proxies the API (and its WebSocket) to a service on :3000 (`npm start`).
export default defineConfig({
  root: import.meta.dirname,
  base: '/app/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    port: 5173,
    proxy: { '/api': { target: process.env.BRANCHAT_API ?? 'http://localhost:3000', ws: true } },
  },
});
