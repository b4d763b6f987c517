import pino, { type DestinationStream, type Logger } from 'pino';
import { traceFields } from './observability/tracing.js';

export type { Logger };

export interface LoggerOptions {
  /**
   * With tracing on (OTEL_EXPORTER_OTLP_ENDPOINT): every line written inside a span carries `trace_id` and
   * `span_id` (the request log line: its server span's). Off, nothing is added to any line.
   */
  traceIds?: boolean;
  /** Where lines go (tests); default stdout. */
  destination?: DestinationStream;
}

/** JSON logs on stdout. Authorization headers and bodies are never logged (see http/middleware/request-log.ts). */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const settings = {
    level,
    base: { service: 'branchat' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization'], remove: true },
    ...(options.traceIds ? { mixin: traceFields } : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
