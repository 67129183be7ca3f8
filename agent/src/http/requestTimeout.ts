/**
 * A per-request deadline: when a handler has not answered within `timeoutMs`, the client gets a 503 problem
 * (`request_timeout`) and the request's AbortSignal fires so the handler can stop its work. Anything the
 * handler sends afterwards is dropped (and logged at debug), so a late `res.json` cannot throw.
 */
import type { Request, RequestHandler, Response } from "express";
import { RequestTimeoutError } from "./httpErrors.ts";
import { sendErrorProblem } from "./errorHandler.ts";

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

function timeOut(req: Request, res: Response, timeoutMs: number): void {
  const error = new RequestTimeoutError({
    code: "request_timeout",
    message: `The request was not answered within ${timeoutMs} ms.`,
    details: { timeoutMs },
  });
  controllerOf(req).abort(error);
  if (res.headersSent) return;
  sendErrorProblem(req, res, error);
  dropLateWrites(req, res);
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
