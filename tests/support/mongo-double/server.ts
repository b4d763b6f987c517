/**
 * A MongoDB wire-protocol TEST DOUBLE, so the MongoDB content adapter runs in CI where no mongod exists.
 *
 * What it is: a node:net TCP server (works under Bun) speaking OP_MSG (plus the OP_QUERY handshake),
 * keeping databases in memory and evaluating filters, updates, sorts, projections and pipelines with
 * mingo. It implements the commands the pinned driver (mongodb 7.6 via @mikro-orm/mongodb 7.2) sends for
 * this project's operations, found by tracing them (see tests/support/README.md), with unique indexes
 * enforced (E11000) and real cursor batching.
 * It announces itself as the primary of a one-member replica set (`rs0`), so the driver takes production's
 * paths: retryable writes (a retry of a `txnNumber` gets the first answer, not a second run), sessions,
 * transactions (applied with an undo log: commit keeps, abort undoes), the streaming monitor.
 * What it is not: a database. One node, no auth, no TLS, no compression, no isolation between transactions,
 * no query planner (every query is a scan), no change streams. Anything it does not implement
 * is answered with ok:0 "mongo-double: unsupported ..." and recorded in `unsupported`, never ignored.
 *
 * Test-only: src/ never imports it. Set MONGO_DOUBLE_TRACE=1 to log every command with its fields.
 */
import { createServer, type Socket } from 'node:net';
import { type Fault, type Injected, type Interleave, type LoggedCommand, MongoEngine, NetworkFault } from './engine.js';
import { encodeMsg, encodeReply, OP_MSG, ProtocolError, parseMessage, takeMessages } from './wire.js';

export interface MongoDouble {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Names of the commands received, in order. */
  commands: string[];
  /** Every command received with its fields, in order, if started with `log: true` (else null). */
  log: LoggedCommand[] | null;
  /** Every "unsupported" answer given (command, option or operator named). */
  unsupported: string[];
  /**
   * Answers the next matching command (`fault.times` of them) with a server error instead of running it, e.g.
   * `failNext({ command: 'find', code: 91, codeName: 'ShutdownInProgress', labels: ['RetryableWriteError'] })`,
   * or drops the connection without an answer (`network: true`).
   */
  failNext(fault: Fault): void;
  /** Runs a competing command before, or inside the race window of, the next matching command (engine.ts). */
  interleave(hook: Interleave): void;
  /** Disarms every fault and interleaving not yet used. */
  clearFaults(): void;
  /** Faults answered and commands interleaved, in order. */
  injected: Injected[];
}

export async function startMongoDouble(options: { port?: number; log?: boolean } = {}): Promise<MongoDouble> {
  const engine = new MongoEngine(Boolean(process.env.MONGO_DOUBLE_TRACE), { log: options.log });
  const sockets = new Set<Socket>();
  /** Awaitable hellos held back (below), by timer: each answers at its time, or at once after a fault. */
  const held = new Map<ReturnType<typeof setTimeout>, () => void>();
  engine.onFault = () => {
    for (const [t, answer] of held) {
      clearTimeout(t);
      answer();
    }
  };
  let connections = 0;

  const server = createServer((socket) => {
    const connectionId = ++connections;
    sockets.add(socket);
    const mine = new Set<ReturnType<typeof setTimeout>>();
    socket.on('close', () => {
      sockets.delete(socket);
      for (const t of mine) {
        clearTimeout(t);
        held.delete(t);
      }
    });
    socket.on('error', () => socket.destroy());
    // Received bytes not yet framed, kept as chunks until the message in progress (`needed` bytes, once its
    // length is known) is complete: concatenating on every chunk is quadratic for a 16 MiB message.
    let chunks: Buffer[] = [];
    let buffered = 0;
    let needed = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      buffered += chunk.length;
      if (buffered < needed) return;
      try {
        const { messages, rest } = takeMessages(chunks.length === 1 ? chunk : Buffer.concat(chunks, buffered));
        chunks = rest.length ? [Buffer.from(rest)] : [];
        buffered = rest.length;
        needed = rest.length >= 4 ? rest.readInt32LE(0) : 0; // (takeMessages has checked it)
        for (const message of messages) {
          const request = parseMessage(message);
          if (request.opCode === OP_MSG) {
            const reply = engine.run(request.body, { db: String(request.body.$db ?? 'admin'), connectionId });
            if (request.moreToCome) continue;
            const wait = awaitable(request.body);
            if (wait > 0) {
              // The monitor's awaitable hello: a server answers when its topology changes or after maxAwaitTimeMS
              // (this one's never changes). Answering at once would make the driver ask again at once, forever.
              const answer = () => {
                held.delete(t);
                mine.delete(t);
                if (!socket.destroyed) socket.write(encodeMsg(request.requestId, reply));
              };
              const t = setTimeout(answer, wait);
              held.set(t, answer);
              mine.add(t);
              continue;
            }
            socket.write(encodeMsg(request.requestId, reply));
          } else {
            // Legacy OP_QUERY: only the handshake may come this way (MongoDB >= 5.1 removed the rest).
            const name = Object.keys(request.body)[0] ?? '';
            const handshake = request.collection.endsWith('.$cmd') && ['isMaster', 'ismaster', 'hello'].includes(name);
            const reply = handshake
              ? engine.run(request.body, { db: request.collection.split('.')[0]!, connectionId })
              : engine.run({ [`OP_QUERY ${name}`]: 1 }, { db: 'admin', connectionId });
            socket.write(encodeReply(request.requestId, reply));
          }
        }
      } catch (e) {
        if (e instanceof NetworkFault) {
          socket.destroy();
          return;
        }
        const message = `mongo-double: ${e instanceof ProtocolError ? 'protocol error' : 'error'}: ${(e as Error).message}`;
        engine.unsupported.push(message);
        console.error(`[mongo-double] ${message}; closing the connection`);
        socket.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  engine.address = `127.0.0.1:${port}`;

  return {
    url: `mongodb://127.0.0.1:${port}`,
    port,
    commands: engine.commands,
    log: engine.log,
    unsupported: engine.unsupported,
    injected: engine.injected,
    failNext: (fault) => {
      engine.faults.push(fault);
    },
    interleave: (hook) => {
      engine.interleavings.push(hook);
    },
    clearFaults: () => {
      engine.faults.length = 0;
      engine.interleavings.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** How long to hold back a hello that carries topologyVersion and maxAwaitTimeMS (0: answer now). */
function awaitable(body: Record<string, unknown>): number {
  const name = Object.keys(body)[0] ?? '';
  if (!['hello', 'isMaster', 'ismaster'].includes(name) || body.topologyVersion === undefined) return 0;
  const ms = Number(body.maxAwaitTimeMS ?? 0);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
