/**
 * The Express ends of the error path: `notFound` for unknown routes and `errorHandler` for anything thrown or
 * passed to `next(err)`. Both answer through `problemForError`, the single mapping.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import { NotFoundError } from "../errors.ts";
import { reportError } from "../telemetry/errorReporting.ts";
import { currentTraceId } from "../telemetry/spans.ts";
import { routeLabel } from "./metricsRoute.ts";
import { PROBLEM_CONTENT_TYPE, type ProblemDocument, problemForError } from "./problem.ts";

function requestIdOf(req: Request): string | undefined {
  return typeof req.id === "string" ? req.id : undefined;
}

/** Sends a problem document for `problem`, stamped with the request path and id. */
export function sendProblem(req: Request, res: Response, status: number, problem: ProblemDocument): void {
  const body: ProblemDocument = { ...problem, instance: req.originalUrl.split("?")[0] ?? "/" };
  const requestId = requestIdOf(req);
  if (requestId !== undefined) body.requestId = requestId;
  // With tracing on, the trace of this request: a user's error report leads straight to it.
  const traceId = currentTraceId();
  if (traceId !== undefined) body.traceId = traceId;
  res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** Maps `error` to a problem document, logs it as it deserves, and answers (unless already answered). */
export function sendErrorProblem(req: Request, res: Response, error: unknown): void {
  const mapped = problemForError(error);
  const log = req.log;
  if (mapped.unexpected) {
    log?.error({ err: error }, "unexpected error while handling the request");
  } else if (mapped.status >= 500) {
    log?.warn({ err: error, code: mapped.problem.code }, "request failed: service unavailable");
  }
  // Every 5xx goes to error reporting (a no-op without SENTRY_DSN); expected 4xx answers never do.
  if (mapped.status >= 500) {
    reportError(error, {
      requestId: requestIdOf(req),
      route: routeLabel(req),
      method: req.method,
      status: mapped.status,
    });
  }
  if (res.headersSent) {
    // The request already got its answer (e.g. a 503 after the timeout); a late failure changes nothing.
    log?.debug({ err: error }, "error after the response was sent");
    return;
  }
  for (const [name, value] of Object.entries(mapped.headers)) res.setHeader(name, value);
  sendProblem(req, res, mapped.status, mapped.problem);
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(
    new NotFoundError({
      code: "not_found",
      message: `No route for ${req.method} ${req.path}.`,
    }),
  );
};

export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  sendErrorProblem(req, res, error);
};
