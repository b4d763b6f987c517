/**
 * A responder for any OpenAI-compatible Chat Completions endpoint (OpenAI, Azure OpenAI's v1 API, vLLM,
 * Ollama, llama.cpp server, LiteLLM …) through the official `openai` package. Always streams; asks for
 * the usage report at the end (`stream_options.include_usage`) and falls back to local counts without it.
 */
import OpenAI from 'openai';
import { UpstreamError, UpstreamTimeoutError } from '../domain/errors.js';
import type { Responder, ResponderChunk, ResponderRequest } from '../domain/ports.js';

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

export class OpenAIResponder implements Responder {
  readonly model: string;
  private readonly client: OpenAI;
  private readonly maxTokens?: number;

  constructor(options: OpenAIResponderOptions) {
    this.model = options.model;
    this.maxTokens = options.maxTokens;
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
}
