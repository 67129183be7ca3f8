/**
 * A per-request deadline: when a handler has not answered within `timeoutMs`, the client gets a 503 problem
 * (`request_timeout`) and the request's AbortSignal fires so the handler can stop its work. Anything the
 * handler sends afterwards is dropped (and logged at debug), so a late `res.json` cannot throw.
 */
import type { Request, RequestHandler, Response } from "express";
import { RequestTimeoutError } from "./httpErrors.ts";
import { sendErrorProblem } from "./errorHandler.ts";

const signals = new WeakMap<Request, AbortSignal>();

/** Aborted when the request times out or the client goes away. Pass it to fetches, queries, RPC calls. */
export function requestSignal(req: Request): AbortSignal {
  let signal = signals.get(req);
  if (signal === undefined) {
    signal = new AbortController().signal;
    signals.set(req, signal);
  }
  return signal;
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

export function requestTimeout(timeoutMs: number): RequestHandler {
  return (req, res, next) => {
    const controller = new AbortController();
    signals.set(req, controller.signal);
    const timer = setTimeout(() => {
      const error = new RequestTimeoutError({
        code: "request_timeout",
        message: `The request was not answered within ${timeoutMs} ms.`,
        details: { timeoutMs },
      });
      controller.abort(error);
      if (res.headersSent) return;
      sendErrorProblem(req, res, error);
      dropLateWrites(req, res);
    }, timeoutMs);
    res.once("close", () => {
      clearTimeout(timer);
      if (!res.writableFinished && !controller.signal.aborted) {
        controller.abort(new Error("The client closed the connection."));
      }
    });
    next();
  };
}
