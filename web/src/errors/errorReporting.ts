/**
 * The web app's unexpected errors (uncaught exceptions, unhandled rejections) go to Sentry when the build was
 * given `VITE_SENTRY_DSN`. `@sentry/react` is imported only then, and only after the first screen rendered: it
 * is its own chunk, outside the first-screen bundle budget (web/scripts/bundleSize.ts). Without a DSN nothing
 * is loaded.
 *
 * What leaves the browser: the error, its stack, the page path, the release and environment. Not the query
 * string or fragment (they can carry OAuth codes), request headers or cookies, the user, breadcrumbs (clicks,
 * console, fetches), and known secret shapes in messages are masked.
 */
import { scrubEventText } from "@resolution-autopilot/vocabulary/errorEventScrub";
import type { BrowserOptions, ErrorEvent } from "@sentry/react";
import type { AppEnv } from "../env.ts";

type SentryClient = typeof import("./sentryClient.ts");

/** Masks private keys, signatures, bearer tokens and `key=value` secrets in free text. */
export function scrubText(text: string): string {
  return text
    .replace(/0x[0-9a-fA-F]{64,}/g, "[hex-redacted]")
    .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 [redacted]")
    .replace(
      /\b(cookie|authorization|token|access_token|refresh_token|secret|password|code|state|ra_session)(["']?\s*[:=]\s*["']?)[^\s"';&,}]+/gi,
      "$1$2[redacted]",
    );
}

/** A URL without its query string and fragment. */
function bareUrl(url: string): string {
  return url.replace(/[?#].*$/, "");
}

/** Sentry `beforeSend`: what may leave the browser. */
export function scrubEvent(event: ErrorEvent): ErrorEvent {
  if (event.request !== undefined) {
    event.request = event.request.url === undefined ? {} : { url: bareUrl(event.request.url) };
  }
  scrubEventText(event, scrubText, (frame) => {
    if (frame.filename !== undefined) frame.filename = bareUrl(frame.filename);
    if (frame.abs_path !== undefined) frame.abs_path = bareUrl(frame.abs_path);
  });
  return event;
}

/** The options `init` gets: only the global handlers, linked errors and de-duplication. */
export function sentryOptions(
  env: Pick<AppEnv, "VITE_SENTRY_DSN" | "VITE_SENTRY_ENVIRONMENT" | "VITE_RELEASE">,
  sentry: Pick<SentryClient, "globalHandlersIntegration" | "linkedErrorsIntegration" | "dedupeIntegration">,
): BrowserOptions {
  return {
    dsn: env.VITE_SENTRY_DSN,
    environment: env.VITE_SENTRY_ENVIRONMENT ?? "production",
    ...(env.VITE_RELEASE === undefined ? {} : { release: env.VITE_RELEASE }),
    defaultIntegrations: false,
    integrations: [
      sentry.globalHandlersIntegration(),
      sentry.linkedErrorsIntegration(),
      sentry.dedupeIntegration(),
    ],
    maxBreadcrumbs: 0,
    sendClientReports: false,
    beforeBreadcrumb: () => null,
    beforeSend: scrubEvent,
  };
}

/** Starts Sentry when a DSN was built in; resolves true when it did. */
export async function startErrorReporting(
  env: Pick<AppEnv, "VITE_SENTRY_DSN" | "VITE_SENTRY_ENVIRONMENT" | "VITE_RELEASE">,
  load: () => Promise<SentryClient> = () => import("./sentryClient.ts"),
): Promise<boolean> {
  if (env.VITE_SENTRY_DSN === undefined) return false;
  const sentry = await load();
  sentry.init(sentryOptions(env, sentry));
  return true;
}
