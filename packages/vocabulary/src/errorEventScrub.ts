/**
 * What the agent's and the web app's Sentry `beforeSend` both take out of an error event the same way: the
 * user, breadcrumbs and extra data go, and the message and each exception's value are masked with the side's
 * own `scrubText`. What each does with the request and the stack frames stays its own (`scrubFrame`).
 */

/** The parts of a Sentry `ErrorEvent` scrubbed here (structurally; this package does not depend on Sentry). */
export interface ScrubbableEvent<Frame> {
  user?: unknown;
  breadcrumbs?: unknown;
  extra?: unknown;
  message?: string | undefined;
  exception?:
    | {
        values?:
          | { value?: string | undefined; stacktrace?: { frames?: Frame[] | undefined } | undefined }[]
          | undefined;
      }
    | undefined;
}

/** Scrubs `event` in place: see the file comment. */
export function scrubEventText<Frame>(
  event: ScrubbableEvent<Frame>,
  scrubText: (text: string) => string,
  scrubFrame: (frame: Frame) => void,
): void {
  delete event.user;
  delete event.breadcrumbs;
  delete event.extra;
  if (event.message !== undefined) event.message = scrubText(event.message);
  for (const exception of event.exception?.values ?? []) {
    if (exception.value !== undefined) exception.value = scrubText(exception.value);
    for (const frame of exception.stacktrace?.frames ?? []) scrubFrame(frame);
  }
}
