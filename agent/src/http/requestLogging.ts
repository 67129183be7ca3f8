/**
 * Request ids and request logs: each request gets an id (`req.id`, echoed in `X-Request-Id`), a child logger
 * carrying it (`req.log`, lines tagged `reqId`) for everything a route logs, and one line when it ends:
 * `request completed` (level info; error for a 5xx) or `request aborted` (warn) when the client left first.
 *
 * The line names only what an operator needs to follow a request: its id, method, path, client address, status
 * and duration in ms. Headers and query strings are left out on purpose: they are where cookies, bearer tokens
 * and OAuth codes travel. Because those fields are whitelisted, the line is written without the logger's
 * redaction pass, which costs more than the rest of the line together (docs/performance.md, "HTTP API");
 * everything else a request logs (`req.log`) keeps the redaction.
 */
import { IncomingMessage } from "node:http";
import type { RequestHandler } from "express";
import type { Logger } from "../logger.ts";
import { currentTraceId } from "../telemetry/spans.ts";
import { genReqId } from "./requestId.ts";

declare module "http" {
  interface IncomingMessage {
    /** The request id (X-Request-Id), set by `requestLogging`. */
    id?: string;
    /** A child logger tagging lines with the request id, set by `requestLogging`. */
    log?: Logger;
  }
}

/** Paths whose successful requests are not logged (probes and scrapes would drown the rest). */
const QUIET_PATHS = /^\/(health|metrics)(\?|$)/;

/** What a request log line says about the request. */
interface LoggedRequest {
  id: string;
  method: string | undefined;
  /** The path without its query string. */
  path: string;
  remoteAddress: string | undefined;
}

function pathOf(req: IncomingMessage & { originalUrl?: string }): string {
  const url = req.originalUrl ?? req.url ?? "";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

const PARENT_LOGGER = Symbol("parentLogger");
const REQUEST_LOGGER = Symbol("requestLogger");

interface LazyRequestLog {
  [PARENT_LOGGER]?: Logger;
  [REQUEST_LOGGER]?: Logger;
}

// `req.log` is made on first use: most requests log nothing but their request line, and a pino child per request
// costs more than that line. One getter and setter for every request (not closures), so requests share a shape.
function getRequestLog(this: IncomingMessage & LazyRequestLog): Logger | undefined {
  const made = this[REQUEST_LOGGER];
  if (made !== undefined) return made;
  const parent = this[PARENT_LOGGER];
  if (parent === undefined) return undefined;
  const child = parent.child({ reqId: this.id });
  this[REQUEST_LOGGER] = child;
  return child;
}

function setRequestLog(this: IncomingMessage & LazyRequestLog, logger: Logger | undefined): void {
  this[REQUEST_LOGGER] = logger;
}

/** Request prototypes that carry the `log` accessor (Express gives each app's requests a prototype of its own). */
const withLogAccessor = new WeakSet<object>();

/**
 * Puts the `log` accessor on the request's prototype, once per prototype: defining it on every request cost a
 * property definition (and a new object shape) per request. A request of that prototype without a parent logger
 * reads `req.log` as undefined, as it did before the accessor.
 */
function ensureLogAccessor(req: IncomingMessage): void {
  const prototype: unknown = Object.getPrototypeOf(req);
  if (typeof prototype === "object" && prototype !== null && withLogAccessor.has(prototype)) return;
  if (typeof prototype !== "object" || prototype === null || prototype === IncomingMessage.prototype) {
    // Not an Express app's request (a bare Node server's): Node's own prototype is every server's and every
    // client response's in the process, so the accessor goes on this request alone.
    Object.defineProperty(req, "log", { get: getRequestLog, set: setRequestLog, configurable: true });
    return;
  }
  Object.defineProperty(prototype, "log", { get: getRequestLog, set: setRequestLog, configurable: true });
  withLogAccessor.add(prototype);
}

export function requestLogging(logger: Logger): RequestHandler {
  // The whitelisted request line needs no redaction; a child without it skips that pass.
  const lines = logger.child({}, { redact: [] });
  return (req, res, next) => {
    const started = performance.now();
    const id = genReqId(req, res);
    req.id = id;
    (req as LazyRequestLog)[PARENT_LOGGER] = logger;
    ensureLogAccessor(req);
    // Read now, inside the request's span (undefined while tracing is off); the other lines get it from the mixin.
    const traceId = currentTraceId();
    res.on("close", () => {
      const finished = res.writableFinished;
      if (finished && res.statusCode < 500 && QUIET_PATHS.test(req.originalUrl)) return;
      const line = {
        ...(traceId === undefined ? {} : { traceId }),
        req: {
          id,
          method: req.method,
          path: pathOf(req),
          remoteAddress: req.socket.remoteAddress,
        } satisfies LoggedRequest,
        res: { statusCode: res.statusCode },
        responseTime: Math.round(performance.now() - started),
      };
      if (!finished) lines.warn(line, "request aborted");
      else if (res.statusCode >= 500) lines.error(line, "request errored");
      else lines.info(line, "request completed");
    });
    next();
  };
}
