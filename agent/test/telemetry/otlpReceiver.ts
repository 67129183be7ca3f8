/**
 * A minimal OTLP/HTTP trace receiver on loopback, for tests: accepts `POST /v1/traces` in the JSON encoding (what
 * `@opentelemetry/exporter-trace-otlp-http` sends), keeps every raw body (to search for what must never leave the
 * agent) and every span decoded into a plain shape: name, ids, kind, status and attributes as a flat object.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  kind: number;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  attributes: Record<string, AttributeValue>;
  scope: string;
  resource: Record<string, AttributeValue>;
}

export interface OtlpReceiver {
  /** The OTLP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Every request body as received (JSON text). */
  bodies: string[];
  /** Content types seen (the exporter's encoding). */
  contentTypes: string[];
  /** Requests to any other path (`/v1/metrics`, `/v1/logs`): the agent exports traces only. */
  unexpected: string[];
  close(): Promise<void>;
}

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
}

interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

function decodeValue(value: OtlpAnyValue): AttributeValue {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeValue);
  return null;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) out[key] = decodeValue(value);
  return out;
}

interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        name: string;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        kind?: number;
        status?: { code?: number };
        attributes?: OtlpKeyValue[];
      }[];
    }[];
  }[];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const contentTypes: string[] = [];
  const unexpected: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        unexpected.push(`${req.method} ${req.url}`);
        res.writeHead(404).end();
        return;
      }
      bodies.push(text);
      contentTypes.push(String(req.headers["content-type"]));
      try {
        const decoded = JSON.parse(text) as OtlpTraces;
        for (const resourceSpans of decoded.resourceSpans ?? []) {
          const resource = attributesOf(resourceSpans.resource?.attributes);
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
              spans.push({
                name: span.name,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? "",
                kind: span.kind ?? 0,
                statusCode: span.status?.code ?? 0,
                attributes: attributesOf(span.attributes),
                scope: scopeSpans.scope?.name ?? "",
                resource,
              });
            }
          }
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    bodies,
    contentTypes,
    unexpected,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
