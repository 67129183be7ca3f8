/**
 * Starts OpenTelemetry tracing when an OTLP endpoint is configured: the Node SDK with the instrumentations of
 * HTTP (server and client), Express, node-postgres and ioredis, and the agent's own spans (`spans.ts`),
 * exported over OTLP/HTTP to `${endpoint}/v1/traces` in batches, through the scrubbing exporter.
 *
 * It must run before Express, pg and ioredis are imported: it registers the ESM loader hook the
 * instrumentations patch through, and `main.ts` imports the rest of the agent after it. Without an endpoint
 * nothing here is loaded (the SDK is imported dynamically), and spans cost nothing.
 */
import { register } from "node:module";
import type { IncomingMessage } from "node:http";
import { enableSpans } from "./spans.ts";

export interface StartTracingParameters {
  /** OTLP/HTTP base URL, e.g. http://127.0.0.1:4318. */
  endpoint: string;
  serviceName: string;
  /** `service.version`. */
  release?: string | undefined;
  /** `deployment.environment.name`. */
  environment: string;
}

export interface Tracing {
  /** Exports what is buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

/** Probes and scrapes: not traced (they would drown the traces that matter). */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/** `${endpoint}/v1/traces`, whether or not the endpoint ends with a slash (OTLP spec, "Endpoint URLs for OTLP/HTTP"). */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
}

export async function startTracing({
  endpoint,
  serviceName,
  release,
  environment,
}: StartTracingParameters): Promise<Tracing> {
  const { createAddHookMessageChannel } = await import("import-in-the-middle");
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register("import-in-the-middle/hook.mjs", import.meta.url, registerOptions);

  const [
    { NodeSDK },
    { OTLPTraceExporter },
    { BatchSpanProcessor },
    { resourceFromAttributes },
    { HttpInstrumentation },
    { ExpressInstrumentation, ExpressLayerType },
    { PgInstrumentation },
    { IORedisInstrumentation },
    { scrubbingExporter },
  ] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/instrumentation-http"),
    import("@opentelemetry/instrumentation-express"),
    import("@opentelemetry/instrumentation-pg"),
    import("@opentelemetry/instrumentation-ioredis"),
    import("./scrubbingExporter.ts"),
  ]);

  const exporter = scrubbingExporter(new OTLPTraceExporter({ url: tracesUrl(endpoint) }));
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      "service.name": serviceName,
      "deployment.environment.name": environment,
      ...(release === undefined ? {} : { "service.version": release }),
    }),
    // Only what is configured here: no environment-driven detectors, and no metrics or log exporters (the SDK
    // would start OTLP ones by default; metrics are Prometheus' job here, logs are pino's on stdout). The sampler
    // still follows OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default: parent-based, always on).
    autoDetectResources: false,
    metricReaders: [],
    logRecordProcessors: [],
    spanProcessors: [new BatchSpanProcessor({ exporter })],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.test(req.url ?? ""),
        // Outgoing calls only inside a trace (no orphan spans for background polling).
        requireParentforOutgoingSpans: true,
      }),
      // Routers and request handlers; not every middleware (they would double the spans of a request).
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      // Parameterized SQL text only; bound values are never recorded (enhancedDatabaseReporting off).
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      // The command name only: arguments carry session ids, nonces and keys.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  enableSpans(true);
  return {
    async shutdown() {
      enableSpans(false);
      await sdk.shutdown();
    },
  };
}
