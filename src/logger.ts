import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout. Authorization headers and bodies are never logged (see http/middleware/request-log.ts). */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'branchat' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization'], remove: true },
  });
}
