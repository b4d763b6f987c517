/**
 * A server span per request (observability/tracing.ts; docs/observability.md): named `METHOD /route/template`,
 * child of the caller's span when a W3C `traceparent` header names one. The request runs in the span's context,
 * so the store and model spans it causes, and its log lines (logger.ts), belong to it. The span ends when the
 * handler returns (a streamed body goes on after).
 */
import { context, SpanStatusCode } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { failSpan, startServerSpan, tracingActive } from '../../observability/tracing.js';
import type { AppBindings } from '../app-types.js';
import { loggedPath } from '../middleware/request-log.js';
import { routeTemplate } from './metrics.js';

/** The middleware when tracing is on, else null (nothing is registered: no cost per request). */
export function serverSpans(): MiddlewareHandler<AppBindings> | null {
  if (!tracingActive()) return null;
  return async (c, next) => {
    const started = startServerSpan(
      c.req.method,
      {
        'http.request.method': c.req.method,
        'url.path': loggedPath(c.req.path),
        'url.scheme': c.req.url.startsWith('https:') ? 'https' : 'http',
        'branchat.request_id': c.get('requestId'),
      },
      c.req.header('traceparent'),
      c.req.header('tracestate'),
    );
    // Tracing stopped since the app was made.
    if (!started) return next();
    const { span, ctx } = started;
    try {
      await context.with(ctx, next);
    } catch (e) {
      failSpan(span, e);
      throw e;
    } finally {
      const route = routeTemplate(c);
      const status = c.res.status;
      span.updateName(`${c.req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', status);
      if (c.error) failSpan(span, c.error);
      else if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}
