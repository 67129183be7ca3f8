/**
 * The observability part of the configuration: where traces go (OTLP over HTTP) and where unexpected errors go
 * (Sentry). Both are off unless their variable is set, and then cost nothing: no SDK is started, no span made.
 */
import { z } from "zod";
import { boolean, parseUrl, Secret } from "../configValues.ts";

export interface TelemetryConfig {
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); traces go to `${endpoint}/v1/traces`. Unset: no tracing. */
  otlpEndpoint: string | undefined;
  /** `service.name` of every span (`OTEL_SERVICE_NAME`). */
  serviceName: string;
  /** Sentry DSN (`SENTRY_DSN`). Unset: no error reporting. */
  sentryDsn: Secret<string> | undefined;
  /** `SENTRY_ENVIRONMENT`, e.g. production or staging. */
  environment: string;
  /** The build running (`RELEASE`), e.g. a git sha; tagged on spans and Sentry events. */
  release: string | undefined;
  /** `OTEL_SDK_DISABLED=true` turns tracing off even with an endpoint (the SDK's own switch). */
}

export const telemetryEnvShape = {
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .refine((raw) => {
      const url = parseUrl(raw);
      return url !== null && (url.protocol === "http:" || url.protocol === "https:");
    }, "must be an http(s) URL, e.g. http://127.0.0.1:4318")
    .optional(),
  OTEL_SERVICE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 characters from A-Z a-z 0-9 . _ -")
    .default("resolution-autopilot-agent"),
  OTEL_SDK_DISABLED: boolean.default(false),
  SENTRY_DSN: z
    .string()
    .refine((raw) => {
      const url = parseUrl(raw);
      return (
        url !== null && /^https?:$/.test(url.protocol) && url.username !== "" && /\/\d+$/.test(url.pathname)
      );
    }, "must be a Sentry DSN, e.g. https://key@o0.ingest.sentry.io/123")
    .transform((raw) => new Secret(raw))
    .optional(),
  SENTRY_ENVIRONMENT: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 characters from A-Z a-z 0-9 . _ -")
    .default("production"),
  RELEASE: z
    .string()
    .regex(/^[A-Za-z0-9._@+-]{1,128}$/, "must be 1-128 characters from A-Z a-z 0-9 . _ @ + -")
    .optional(),
};

type TelemetryEnv = {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_SERVICE_NAME: string;
  OTEL_SDK_DISABLED: boolean;
  SENTRY_DSN?: Secret<string> | undefined;
  SENTRY_ENVIRONMENT: string;
  RELEASE?: string | undefined;
};

export function telemetryConfigFromEnv(e: TelemetryEnv): TelemetryConfig {
  return {
    otlpEndpoint: e.OTEL_SDK_DISABLED ? undefined : e.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: e.OTEL_SERVICE_NAME,
    sentryDsn: e.SENTRY_DSN,
    environment: e.SENTRY_ENVIRONMENT,
    release: e.RELEASE,
  };
}

/** For the startup audit line: whether each is on, never the DSN. */
export function redactedTelemetryConfig(config: TelemetryConfig): Record<string, unknown> {
  return {
    tracing: config.otlpEndpoint === undefined ? "off" : "otlp",
    serviceName: config.serviceName,
    sentry: config.sentryDsn === undefined ? "off" : "on",
    environment: config.environment,
    release: config.release ?? null,
  };
}
