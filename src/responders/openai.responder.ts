/**
 * A responder for any OpenAI-compatible Chat Completions endpoint (OpenAI, Azure OpenAI's v1 API, vLLM,
 * Ollama, llama.cpp server, LiteLLM …) through the official `openai` package. Always streams; asks for
 * the usage report at the end (`stream_options.include_usage`) and falls back to local counts without it.
 */
import OpenAI from 'openai';
import { cleanTitle, localTitle } from '../domain/chats/titles.js';
import { UpstreamError, UpstreamTimeoutError } from '../domain/errors.js';
import { truncate } from '../domain/limits.js';
import type { Responder, ResponderChunk, ResponderRequest, TitleRequest } from '../domain/ports.js';

export interface OpenAIResponderOptions {
  /** e.g. https://api.openai.com/v1 (unset: the package's default, OpenAI itself). */
  baseURL?: string;
  apiKey?: string;
  model: string;
  /** Longest wait for the endpoint's response headers. */
  timeoutMs: number;
  /** Upper bound of the answer's tokens (`max_tokens`); unset: the endpoint's default. */
  maxTokens?: number;
}

/** Upstream failures as domain errors. The endpoint's own message is not passed on (it may echo the prompt). */
export function upstreamError(e: unknown): Error {
  if (e instanceof OpenAI.APIConnectionTimeoutError) {
    return new UpstreamTimeoutError('The model endpoint did not answer in time', { cause: e });
  }
  if (e instanceof OpenAI.APIUserAbortError) return e; // our own abort: the caller knows why
  if (e instanceof OpenAI.APIConnectionError) {
    return new UpstreamError('The model endpoint could not be reached', { cause: e });
  }
  if (e instanceof OpenAI.APIError) {
    const status = e.status ? ` with status ${e.status}` : '';
    return new UpstreamError(`The model endpoint refused the request${status}`, { cause: e });
  }
  return new UpstreamError('The model endpoint broke off its answer', { cause: e });
}

/** What the model is asked for a title (proposeTitle). */
export const TITLE_INSTRUCTION =
  'Give a short title (≤ 6 words) for this conversation. Answer with the title only: no quotes, no final punctuation.';
/** The title's tokens at most, and how much of the question and the answer it is proposed from (characters). */
const TITLE_MAX_TOKENS = 16;
const TITLE_INPUT_MAX = 2000;
/** The longest a title request may take (or the answers' timeout, when shorter). */
const TITLE_TIMEOUT_MS = 10_000;

export class OpenAIResponder implements Responder {
  readonly model: string;
  private readonly client: OpenAI;
  private readonly maxTokens?: number;
  private readonly titleTimeoutMs: number;

  constructor(options: OpenAIResponderOptions) {
    this.model = options.model;
    this.maxTokens = options.maxTokens;
    this.titleTimeoutMs = Math.min(options.timeoutMs, TITLE_TIMEOUT_MS);
    this.client = new OpenAI({
      baseURL: options.baseURL,
      // A local OpenAI-compatible server usually needs no key; the package insists on one.
      apiKey: options.apiKey ?? 'unused',
      timeout: options.timeoutMs,
      // A retried generation would be billed twice and could stream twice: failures go to the client.
      maxRetries: 0,
    });
  }

  async start(request: ResponderRequest): Promise<AsyncIterable<ResponderChunk>> {
    let stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>;
    try {
      stream = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: request.messages,
          stream: true,
          stream_options: { include_usage: true },
          ...(this.maxTokens ? { max_tokens: this.maxTokens } : {}),
        },
        { signal: request.signal },
      );
    } catch (e) {
      throw upstreamError(e);
    }
    const fallbackModel = this.model;
    return (async function* () {
      try {
        for await (const chunk of stream) {
          const text = chunk.choices[0]?.delta?.content;
          if (text) yield { kind: 'delta' as const, text };
          if (chunk.usage) {
            yield {
              kind: 'usage' as const,
              model: chunk.model || fallbackModel,
              promptTokens: chunk.usage.prompt_tokens ?? null,
              completionTokens: chunk.usage.completion_tokens ?? null,
            };
          }
        }
      } catch (e) {
        throw upstreamError(e);
      }
    })();
  }

  /**
   * A title from one chat completion of the configured model (TITLE_INSTRUCTION, at most TITLE_MAX_TOKENS tokens,
   * streamed and read up to its first line), cleaned (domain/chats/titles.ts). On any failure (refused, unreachable,
   * too slow, empty) the local title of the question instead: a title never fails because of the model.
   */
  async proposeTitle(request: TitleRequest): Promise<string> {
    const fallback = () => localTitle(request.question);
    // The whole exchange is bounded, the stream included (the client's own timeout ends at the headers).
    const signal = AbortSignal.any([request.signal, AbortSignal.timeout(this.titleTimeoutMs)]);
    try {
      const stream = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: [
            { role: 'system', content: TITLE_INSTRUCTION },
            {
              role: 'user',
              content:
                `Question: ${truncate(request.question, TITLE_INPUT_MAX)}\n\n` +
                `Answer: ${truncate(request.answer, TITLE_INPUT_MAX)}`,
            },
          ],
          stream: true,
          max_tokens: TITLE_MAX_TOKENS,
        },
        { signal, timeout: this.titleTimeoutMs },
      );
      let text = '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        // One line is all a title is: the rest is not waited for.
        if (/\S[^\n]*\n/.test(text) || text.length > 1000) break;
      }
      return cleanTitle(text) || fallback();
    } catch {
      return fallback();
    }
  }
}
