/**
 * The first thing `main` runs: tracing (when `OTEL_EXPORTER_OTLP_ENDPOINT` is set) and error reporting (when
 * `SENTRY_DSN` is set), before the rest of the agent is imported, so the instrumentations see Express, pg and
 * ioredis load. It reads only the telemetry variables, with the same parsers as `loadConfig`; a wrong value
 * starts nothing here and `loadConfig` then stops the boot naming it.
 */
import { z } from "zod";
import { type TelemetryConfig, telemetryConfigFromEnv, telemetryEnvShape } from "./telemetryConfig.ts";
import { tracingEnabled, traceLogFields } from "./spans.ts";

export interface Telemetry {
  /** For `createLogger`: adds `traceId`/`spanId` to lines written inside a span (undefined while tracing is off). */
  logMixin: (() => object) | undefined;
  /** Exports buffered spans and flushes error reports (bounded by `timeoutMs`). */
  close(timeoutMs: number): Promise<void>;
}

export async function startTelemetry(env: Record<string, string | undefined>): Promise<Telemetry> {
  const present: Record<string, string> = {};
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && value !== "") present[key] = value;
  const parsed = z.object(telemetryEnvShape).safeParse(present);
  if (!parsed.success) return { logMixin: undefined, close: async () => {} };
  return startTelemetryFromConfig(telemetryConfigFromEnv(parsed.data));
}

export async function startTelemetryFromConfig(config: TelemetryConfig): Promise<Telemetry> {
  const closers: ((timeoutMs: number) => Promise<void>)[] = [];
  if (config.otlpEndpoint !== undefined) {
    const { startTracing } = await import("./tracing.ts");
    const tracing = await startTracing({
      endpoint: config.otlpEndpoint,
      serviceName: config.serviceName,
      release: config.release,
      environment: config.environment,
    });
    closers.push(() => tracing.shutdown());
  }
  if (config.sentryDsn !== undefined) {
    const { startErrorReporting } = await import("./errorReporting.ts");
    const reporter = await startErrorReporting({
      dsn: config.sentryDsn.reveal(),
      release: config.release,
      environment: config.environment,
    });
    closers.push((timeoutMs) => reporter.close(timeoutMs));
  }
  return {
    logMixin: tracingEnabled() ? traceLogFields : undefined,
    async close(timeoutMs) {
      await Promise.allSettled(closers.map((close) => close(timeoutMs)));
    },
  };
}
