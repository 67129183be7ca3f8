/**
 * A per-request deadline: when a handler has not answered within `timeoutMs`, the client gets a 503 problem
 * (`request_timeout`) and the request's AbortSignal fires so the handler can stop its work; when the client itself
 * had not sent the whole body yet, a 408 (`request_body_timeout`) that closes the connection instead (a stalled
 * client is not the service failing: no 5xx, no alert). Anything the
 * handler sends afterwards is dropped (and logged at debug), so a late `res.json` cannot throw.
 */
import type { Request, RequestHandler, Response } from "express";
import { sendErrorProblem } from "./errorHandler.ts";
import { BodyTimeoutError, RequestTimeoutError } from "./httpErrors.ts";

/** Made on first use: most requests never ask for their signal, and an AbortController per request adds up. */
const controllers = new WeakMap<Request, AbortController>();

function controllerOf(req: Request): AbortController {
  let controller = controllers.get(req);
  if (controller === undefined) {
    controller = new AbortController();
    controllers.set(req, controller);
  }
  return controller;
}

/** Aborted when the request times out or the client goes away. Pass it to fetches, queries, RPC calls. */
export function requestSignal(req: Request): AbortSignal {
  return controllerOf(req).signal;
}

/** Turns the response's sending methods into no-ops once the timeout answer has gone out. */
function dropLateWrites(req: Request, res: Response): void {
  let logged = false;
  const drop = function (this: Response) {
    if (!logged) {
      logged = true;
      req.log?.debug("late response dropped after the request timed out");
    }
    return this;
  };
  for (const method of [
    "json",
    "send",
    "sendStatus",
    "status",
    "set",
    "setHeader",
    "write",
    "end",
  ] as const) {
    Object.defineProperty(res, method, { value: drop, configurable: true, writable: true });
  }
}

/**
 * How long an unfinished body is watched, once the deadline has passed, for bytes still arriving. None in that
 * time (and none waiting in the socket: the decision is taken after the loop's next read of it): the client
 * stalled, a 408. Some: the body is on its way and this side is late (an overloaded loop, an upload paced to a few
 * hundred KiB a turn), a 503 like any other timeout.
 */
export const BODY_PROGRESS_WINDOW_MS = 50;

function serverTimeout(timeoutMs: number): RequestTimeoutError {
  return new RequestTimeoutError({
    code: "request_timeout",
    message: `The request was not answered within ${timeoutMs} ms.`,
    details: { timeoutMs },
  });
}

function answerTimeout(req: Request, res: Response, error: RequestTimeoutError | BodyTimeoutError): void {
  if (res.headersSent || res.closed) return;
  // The rest of the body would be read as the next request: the connection ends with this answer.
  if (error instanceof BodyTimeoutError) res.setHeader("Connection", "close");
  sendErrorProblem(req, res, error);
  dropLateWrites(req, res);
}

function timeOut(req: Request, res: Response, timeoutMs: number): void {
  controllerOf(req).abort(serverTimeout(timeoutMs));
  if (res.headersSent) return;
  if (req.complete) {
    answerTimeout(req, res, serverTimeout(timeoutMs));
    return;
  }
  // The body has not all arrived: the client's delay or ours? Whether any of it still arrives says (see above).
  const readBefore = req.socket?.bytesRead ?? 0;
  setTimeout(() => {
    // After the poll phase of the next turn: bytes waiting in the socket have been read by then.
    setImmediate(() => {
      const stalled = !req.complete && (req.socket?.bytesRead ?? 0) === readBefore;
      answerTimeout(
        req,
        res,
        stalled
          ? new BodyTimeoutError({
              code: "request_body_timeout",
              message: `The request body did not arrive within ${timeoutMs} ms.`,
              details: { timeoutMs },
            })
          : serverTimeout(timeoutMs),
      );
    });
  }, BODY_PROGRESS_WINDOW_MS);
}

export function requestTimeout(timeoutMs: number): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(timeOut, timeoutMs, req, res, timeoutMs);
    res.on("close", () => {
      clearTimeout(timer);
      if (res.writableFinished) return;
      // The client left first: abort the signal, also for a handler that asks for it only later.
      const controller = controllerOf(req);
      if (!controller.signal.aborted) controller.abort(new Error("The client closed the connection."));
    });
    next();
  };
}
