/**
 * A fake OpenAI-compatible Chat Completions endpoint, started by the tests themselves (never the internet).
 * Each request is answered by the next scripted behaviour (or the default one), and recorded with what
 * happened to it (finished, or cancelled by the caller).
 *
 *   const fake = await startFakeOpenAI();
 *   fake.next({ kind: 'stream', chunks: ['Hel', 'lo'] });
 *   … OPENAI_BASE_URL = fake.url …
 */

export type Behaviour =
  /** Streams `chunks` (one SSE event each, `delayMs` apart), then the usage report unless `usage: false`. */
  | {
      kind: 'stream';
      chunks: string[];
      delayMs?: number;
      usage?: false | { prompt_tokens: number; completion_tokens: number };
      model?: string;
      /** Waits for this before sending the chunk at index `gateAt` (a test controls the pace). */
      gate?: Promise<void>;
      gateAt?: number;
    }
  /** Answers this HTTP status with an OpenAI-style error body. */
  | { kind: 'status'; status: number; message?: string }
  /** Never sends headers. */
  | { kind: 'hang' }
  /** Sends `chunks`, then nothing more (the connection stays open). */
  | { kind: 'stall'; chunks: string[] }
  /** Sends `chunks`, then (50 ms later, once they are out) breaks the connection without finishing the stream. */
  | { kind: 'break'; chunks: string[] }
  /** Breaks the connection before any header is sent (the caller sees ECONNRESET). */
  | { kind: 'reset' };

export interface RecordedRequest {
  body: {
    model: string;
    messages: { role: string; content: string }[];
    stream?: boolean;
    stream_options?: unknown;
    max_tokens?: number;
  };
  authorization: string | null;
  /** Resolves to true when the caller went away before the answer ended, false when it ended. */
  outcome: Promise<'finished' | 'cancelled'>;
}

export interface FakeOpenAI {
  /** Base URL to give as OPENAI_BASE_URL (…/v1). */
  url: string;
  requests: RecordedRequest[];
  next(b: Behaviour): void;
  stop(): Promise<void>;
}

const enc = new TextEncoder();
const sse = (data: unknown) => enc.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);

function chunk(id: string, model: string, delta: Record<string, unknown>, finish: string | null = null) {
  return {
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

export async function startFakeOpenAI(defaultBehaviour: Behaviour = { kind: 'stream', chunks: ['ok'] }) {
  const queue: Behaviour[] = [];
  const requests: RecordedRequest[] = [];

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        return Response.json({ error: { message: 'not found' } }, { status: 404 });
      }
      const body = (await req.json()) as RecordedRequest['body'];
      const b = queue.shift() ?? defaultBehaviour;
      let settle!: (o: 'finished' | 'cancelled') => void;
      const outcome = new Promise<'finished' | 'cancelled'>((r) => {
        settle = r;
      });
      req.signal.addEventListener('abort', () => settle('cancelled'), { once: true });
      requests.push({ body, authorization: req.headers.get('authorization'), outcome });

      if (b.kind === 'status') {
        settle('finished');
        return Response.json(
          { error: { message: b.message ?? `fake error ${b.status}`, type: 'server_error', code: null } },
          { status: b.status },
        );
      }
      if (b.kind === 'hang') return new Promise<Response>(() => {});
      if (b.kind === 'reset') {
        settle('finished');
        return new Response(
          new ReadableStream({
            // No reason given: Bun would print it as an error, and the caller sees the same reset either way.
            start(ctl) {
              ctl.error();
            },
          }),
        );
      }

      const id = `chatcmpl-${crypto.randomUUID()}`;
      const model = (b.kind === 'stream' && b.model) || `${body.model}-fake`;
      let cancelled = false;
      const stream = new ReadableStream<Uint8Array>({
        async start(ctl) {
          ctl.enqueue(sse(chunk(id, model, { role: 'assistant', content: '' })));
          const chunks = b.chunks;
          for (let i = 0; i < chunks.length; i++) {
            if (b.kind === 'stream') {
              if (b.gate && b.gateAt === i) await b.gate;
              if (b.delayMs) await Bun.sleep(b.delayMs);
            }
            if (cancelled) return;
            ctl.enqueue(sse(chunk(id, model, { content: chunks[i] })));
          }
          if (b.kind === 'stall') return; // keeps the stream open, sends nothing more
          if (b.kind === 'break') {
            await Bun.sleep(50); // let the headers and chunks go out first: the break comes mid-stream
            ctl.error(); // no reason: see 'reset'
            return;
          }
          ctl.enqueue(sse(chunk(id, model, {}, 'stop')));
          if (body.stream_options && b.usage !== false) {
            const usage = b.usage ?? { prompt_tokens: 11, completion_tokens: chunks.length };
            ctl.enqueue(
              sse({
                id,
                object: 'chat.completion.chunk',
                created: 0,
                model,
                choices: [],
                usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
              }),
            );
          }
          ctl.enqueue(sse('[DONE]'));
          ctl.close();
          settle('finished');
        },
        cancel() {
          cancelled = true;
          settle('cancelled');
        },
      });
      return new Response(stream, { headers: { 'Content-Type': 'text/event-stream' } });
    },
  });

  const fake: FakeOpenAI = {
    url: `http://127.0.0.1:${server.port}/v1`,
    requests,
    next: (b) => queue.push(b),
    stop: () => server.stop(true),
  };
  return fake;
}
