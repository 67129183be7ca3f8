/**
 * A span exporter in front of the real one that removes, from every span and span event, the attributes that
 * could carry a secret or personal data, whatever instrumentation set them: anything named like a cookie,
 * authorization header, token, key, secret, password, note, calendar, prompt or message content, client
 * address or user agent; query strings are cut from URLs (OAuth codes and states travel there).
 */
import type { Attributes } from "@opentelemetry/api";
import type { ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";

/** Attribute keys never exported. */
export const FORBIDDEN_ATTRIBUTE =
  /cookie|authori[sz]ation|token(?!s?\.(count|input|output|total))|secret|passw|private|api[._-]?key|\bnotes?\b|calendar|ical|prompt|message\.content|completion\.content|client\.address|client_ip|user_agent|user\.(email|name)|email/i;

/** Keys whose value is a URL or a request target: exported without their query string. */
const URL_ATTRIBUTES = new Set(["url.full", "http.url", "http.target", "url.original"]);

/** Token counters are fine (`gen_ai.usage.input_tokens`): they say how many, not what. */
const ALLOWED = /^gen_ai\.usage\.|^coach\.model\.(input|output)_tokens$/;

export function scrubAttributes(attributes: Attributes): Attributes {
  const clean: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!ALLOWED.test(key) && (FORBIDDEN_ATTRIBUTE.test(key) || key === "url.query")) continue;
    if (URL_ATTRIBUTES.has(key) && typeof value === "string") {
      const query = value.indexOf("?");
      clean[key] = query === -1 ? value : value.slice(0, query);
      continue;
    }
    clean[key] = value;
  }
  return clean;
}

function scrubSpan(span: ReadableSpan): ReadableSpan {
  // A view of the span with clean attributes and events; everything else is read through to the original.
  return Object.create(span, {
    attributes: { value: scrubAttributes(span.attributes), enumerable: true },
    events: {
      value: span.events.map((event) =>
        event.attributes === undefined ? event : { ...event, attributes: scrubAttributes(event.attributes) },
      ),
      enumerable: true,
    },
  }) as ReadableSpan;
}

export function scrubbingExporter(inner: SpanExporter): SpanExporter {
  return {
    export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
      inner.export(spans.map(scrubSpan), resultCallback);
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}
