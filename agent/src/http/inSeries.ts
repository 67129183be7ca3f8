/**
 * Several middlewares as one: each runs after the previous one called `next()`, in order, with Express 5's error
 * semantics (`next(error)`, a throw, or a rejected promise skips the rest and goes to the error handlers). One
 * router layer instead of several: Express matches and dispatches every layer of every request, and the agent's
 * edge (metrics, request log, timeout, security headers, CORS) runs for all of them.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";

export function inSeries(handlers: readonly RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let position = 0;
    const fail = (error: unknown) => {
      next(error ?? new Error("Rejected promise"));
    };
    const step = (error?: unknown) => {
      // An error, or Express's 'route' / 'router' signals: the series ends and Express takes it from there.
      if (error !== undefined && error !== null && error !== false) {
        next(error);
        return;
      }
      const handler = handlers[position];
      position += 1;
      if (handler === undefined) {
        next();
        return;
      }
      try {
        const result: unknown = handler(req, res, step);
        if (result instanceof Promise) result.then(undefined, fail);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
