/**
 * One log line per request (`request completed`, or `request errored` at level error for a 5xx), and `req.log`,
 * a child logger carrying the request id, for everything a route logs.
 *
 * The line names only what an operator needs to follow a request: its id, method, path, client address, status
 * and duration. Headers and query strings are left out on purpose: they are where cookies, bearer tokens and
 * OAuth codes travel, and whitelisting fields is both safer and far cheaper than logging everything and
 * redacting it afterwards (docs/performance.md, "HTTP API"). The logger's redaction list still
 * applies to whatever else is logged.
 */
import type { ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import { pinoHttp } from "pino-http";
import type { Logger } from "../logger.ts";
import { genReqId } from "./requestId.ts";

/** Paths whose successful requests are not logged (probes and scrapes would drown the rest). */
const QUIET_PATHS = /^\/(health|metrics)(\?|$)/;

/** What a request log line says about the request. */
interface LoggedRequest {
  id: unknown;
  method: string | undefined;
  /** The path without its query string. */
  path: string;
  remoteAddress: string | undefined;
}

/** What pino-http hands a request serializer: its standard serialization (`url` is Express's `originalUrl`). */
interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  remoteAddress?: string;
}

function describeRequest(req: SerializedRequest): LoggedRequest {
  const url = req.url ?? "";
  const query = url.indexOf("?");
  return {
    id: req.id,
    method: req.method,
    path: query === -1 ? url : url.slice(0, query),
    remoteAddress: req.remoteAddress,
  };
}

export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId,
    quietReqLogger: true,
    customLogLevel: (_req, res, error) => (error !== undefined || res.statusCode >= 500 ? "error" : "info"),
    autoLogging: { ignore: (req) => QUIET_PATHS.test(req.url ?? "") },
    serializers: {
      req: describeRequest,
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
  });
}
