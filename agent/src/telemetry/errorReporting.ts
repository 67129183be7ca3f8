/**
 * Unexpected errors go to Sentry when `SENTRY_DSN` is set: 5xx answers, unhandled rejections and uncaught
 * exceptions, and failed background runs. Expected 4xx answers are never reported. Each event carries the
 * request id, route, method and status (or the background task), the trace id when tracing is on, the release
 * and the environment, and nothing else: no request headers, cookies, body, query string, user, breadcrumbs or
 * local variables, and known secret shapes are masked in messages (`scrubEvent`).
 *
 * Without a DSN the reporter is a no-op and `@sentry/node` is never loaded.
 */
import { scrubEventText } from "@resolution-autopilot/vocabulary/errorEventScrub";
import type { ErrorEvent, EventHint } from "@sentry/node";
import { scrubText } from "./scrubText.ts";
import { currentTraceId } from "./spans.ts";

export interface ErrorContext {
  requestId?: string | undefined;
  /** Matched route pattern (`/api/commitments/:id`), never the raw URL. */
  route?: string | undefined;
  method?: string | undefined;
  status?: number | undefined;
  /** Background task that failed (`keeper`, `indexer`...). */
  task?: string | undefined;
}

export interface ErrorReporter {
  report(error: unknown, context: ErrorContext): void;
  /** Sends what is queued; resolves false when `timeoutMs` passed first. */
  flush(timeoutMs: number): Promise<boolean>;
  close(timeoutMs: number): Promise<void>;
}

const noReporter: ErrorReporter = {
  report() {},
  flush: async () => true,
  close: async () => {},
};

let installed: ErrorReporter = noReporter;

/** Reports `error` through the installed reporter (none unless `startErrorReporting` ran). */
export function reportError(error: unknown, context: ErrorContext): void {
  try {
    installed.report(error, context);
  } catch {
    // Reporting must never break the path that reports.
  }
}

export { scrubText };

/** Sentry `beforeSend`: what may leave the process. Exported for tests. */
export function scrubEvent(event: ErrorEvent, _hint?: EventHint): ErrorEvent {
  delete event.request;
  scrubEventText(event, scrubText, (frame) => {
    delete frame.vars;
    delete frame.pre_context;
    delete frame.context_line;
    delete frame.post_context;
  });
  return event;
}

export interface StartErrorReportingParameters {
  dsn: string;
  release: string | undefined;
  environment: string;
}

/** Starts `@sentry/node` and installs it as the reporter. Call once, early in `main`. */
export async function startErrorReporting({
  dsn,
  release,
  environment,
}: StartErrorReportingParameters): Promise<ErrorReporter> {
  const Sentry = await import("@sentry/node");
  Sentry.initWithoutDefaultIntegrations({
    dsn,
    environment,
    ...(release === undefined ? {} : { release }),
    // Nothing about the user or the request is collected (the integrations that would are not installed either).
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      genAI: { inputs: false, outputs: false },
    },
    maxBreadcrumbs: 0,
    sendClientReports: false,
    integrations: [
      Sentry.linkedErrorsIntegration(),
      Sentry.dedupeIntegration(),
      Sentry.functionToStringIntegration(),
      Sentry.onUncaughtExceptionIntegration(),
      // strict: report, then exit as Node would without a handler (a rejected promise nobody handles is a bug).
      Sentry.onUnhandledRejectionIntegration({ mode: "strict" }),
    ],
    beforeSend: scrubEvent,
    beforeBreadcrumb: () => null,
  });
  const reporter: ErrorReporter = {
    report(error, context) {
      Sentry.withScope((scope) => {
        const tags: Record<string, string> = {};
        if (context.requestId !== undefined) tags.request_id = context.requestId;
        if (context.route !== undefined) tags.route = context.route;
        if (context.method !== undefined) tags.method = context.method;
        if (context.status !== undefined) tags.status = String(context.status);
        if (context.task !== undefined) tags.task = context.task;
        const traceId = currentTraceId();
        if (traceId !== undefined) tags.trace_id = traceId;
        scope.setTags(tags);
        scope.setLevel(context.status !== undefined && context.status < 500 ? "warning" : "error");
        Sentry.captureException(error);
      });
    },
    flush: (timeoutMs) => Sentry.flush(timeoutMs),
    async close(timeoutMs) {
      await Sentry.close(timeoutMs);
      if (installed === reporter) installed = noReporter;
    },
  };
  installed = reporter;
  return reporter;
}
