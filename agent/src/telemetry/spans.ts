/**
 * The agent's own spans, over the OpenTelemetry API only (the SDK is loaded by `startTracing` when an OTLP
 * endpoint is configured). While tracing is off, `inSpan` calls its function directly: no span object, no
 * context switch, nothing allocated, so instrumented code costs nothing on an agent that exports no traces.
 *
 * Attributes name what an operator needs to follow a request (ids, counts, outcomes, model and token counts,
 * durations); never a secret or personal content (keys, cookies, tokens, notes, calendar text, prompts). The
 * exporter scrubs again on the way out (`scrubbingExporter.ts`), as a second line.
 */
import {
  type Attributes,
  isSpanContextValid,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { scrubText } from "./scrubText.ts";

export type { Attributes, Span };

/** Instrumentation scope of the agent's own spans. */
export const TRACER_NAME = "resolution-autopilot-agent";

let enabled = false;

/** Called by `startTracing` once the SDK is registered. */
export function enableSpans(on = true): void {
  enabled = on;
}

/** Whether spans are being recorded and exported (an OTLP endpoint is configured). */
export function tracingEnabled(): boolean {
  return enabled;
}

export interface InSpanOptions {
  /** Default internal; `client` for calls leaving the process (RPC, model provider). */
  kind?: "internal" | "client" | "producer" | "consumer";
  /** Only inside an active span: a call made outside any request or run (a probe, a poll) is not traced. */
  requireParent?: boolean;
}

const KINDS = {
  internal: SpanKind.INTERNAL,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
} as const;

/**
 * Runs `fn` inside a span named `name` (child of the active one), ending it when `fn` settles; a throw is
 * recorded on the span (status error, exception event) and rethrown. `fn` gets the span to add attributes
 * learnt along the way, or `undefined` while tracing is off.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined) => Promise<T>,
  options: InSpanOptions = {},
): Promise<T> {
  if (!enabled || (options.requireParent === true && trace.getActiveSpan() === undefined)) {
    return fn(undefined);
  }
  return trace
    .getTracer(TRACER_NAME)
    .startActiveSpan(name, { attributes, kind: KINDS[options.kind ?? "internal"] }, async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        markFailed(span, error);
        throw error;
      } finally {
        span.end();
      }
    });
}

/**
 * Records `error` on `span`: status error with the error's class and code, and its first message line scrubbed
 * (`scrubText`: a viem error names the RPC URL and the request body, which may hold a key or a signed transaction);
 * never its details object.
 */
export function markFailed(span: Span, error: unknown): void {
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === "string" ? code : name });
  span.setAttribute("error.type", typeof code === "string" ? code : name);
  if (error instanceof Error) {
    const message = scrubText(error.message.split("\n", 1)[0] ?? "").slice(0, 300);
    span.recordException({ name: error.name, message });
  }
}

/** The trace id of the active span, when tracing is on and a span is active. */
export function currentTraceId(): string | undefined {
  if (!enabled) return undefined;
  const context = trace.getActiveSpan()?.spanContext();
  return context !== undefined && isSpanContextValid(context) ? context.traceId : undefined;
}

/** Fields a log line carries inside a span (`traceId`, `spanId`); none outside one or while tracing is off. */
export function traceLogFields(): { traceId?: string; spanId?: string } {
  if (!enabled) return {};
  const context = trace.getActiveSpan()?.spanContext();
  if (context === undefined || !isSpanContextValid(context)) return {};
  return { traceId: context.traceId, spanId: context.spanId };
}
