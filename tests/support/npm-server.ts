/**
 * The server process as a user starts it: `npm start` (the README's command), in its own process group so
 * that a signal reaches npm and the server under it. For the e2e tests; tests/faults/harness.ts runs the
 * server binary directly instead.
 */
import { join } from 'node:path';

export const root = join(import.meta.dir, '..', '..');

export interface NpmServer {
  base: string;
  proc: ReturnType<typeof Bun.spawn>;
  log(): string;
}

/** `npm start` with exactly `env` (plus PATH and HOME), listening on `port`; resolves once /healthz answers. */
export async function startNpmServer(port: number, env: Record<string, string>): Promise<NpmServer> {
  const proc = Bun.spawn(['npm', 'start', '--silent'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', PORT: String(port), ...env },
    stdout: 'pipe',
    stderr: 'pipe',
    detached: true,
  });
  const out: string[] = [];
  const drain = async (s: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of s) out.push(decoder.decode(chunk, { stream: true }));
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  const server: NpmServer = { base: `http://127.0.0.1:${port}`, proc, log: () => out.join('') };
  for (let i = 0; i < 120; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}):\n${server.log()}`);
    const ok = await fetch(`${server.base}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return server;
    await Bun.sleep(250);
  }
  throw new Error(`server did not become healthy:\n${server.log()}`);
}

/** Sends `signal` to npm and the server under it (the whole group). */
export function signalNpmServer(server: NpmServer, signal: NodeJS.Signals): void {
  try {
    process.kill(-server.proc.pid, signal);
  } catch {
    try {
      server.proc.kill(signal); // already gone, or not a group leader
    } catch {}
  }
}

/** SIGTERM, then SIGKILL if it lingers; waits until the server under npm has logged its shutdown. */
export async function stopNpmServer(server: NpmServer): Promise<void> {
  signalNpmServer(server, 'SIGTERM');
  const exited = await Promise.race([server.proc.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
  if (!exited) signalNpmServer(server, 'SIGKILL');
  // npm may exit before the server under it has finished its graceful shutdown.
  for (let i = 0; i < 100 && !server.log().includes('"msg":"stopped"'); i++) await Bun.sleep(100);
}
